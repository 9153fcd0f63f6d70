"""Each API response schema that serialises a view record declares exactly the keys of
that record's public form (``as_dict``): the queries and the OpenAPI document cannot
drift apart. Database-free: the records are built from sample values."""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

import pytest
from marshmallow import Schema

from projections.views.audit.tables import AuditEventRow
from projections.views.budget.tables import BudgetLineRow, EnvelopeRow, MoveRow
from projections.views.decisions.tables import CapacityRow, DecisionRow, VoteRow
from projections.views.notifications.tables import NotificationRow
from projections.views.portfolio.tables import ProposalRow, RevisionRow
from projections.views.reference.tables import GrantRow, MeasurementRow
from web.api import responses as r
from web.api.notifications import NotificationRecord

# (view record, the response schema of one of its items)
PAIRS: list[tuple[type, type[Schema]]] = [
    (ProposalRow, r.PortfolioRow),
    (RevisionRow, r.Revision),
    (AuditEventRow, r.AuditEvent),
    (EnvelopeRow, r.Envelope),
    (BudgetLineRow, r.BudgetLine),
    (MoveRow, r.Move),
    (VoteRow, r.VoteRecord),
    (DecisionRow, r.Decision),
    (CapacityRow, r.CapacityRow),
    (GrantRow, r.GrantOut),
    (MeasurementRow, r.Measurement),
    (NotificationRow, NotificationRecord),
]
# What a decision's evidence document holds (``views/decisions/handlers.py``).
RECORDED = [
    "rationale",
    "justification",
    "conditions",
    "override_reason",
    "cp",
    "scores",
    "budget",
    "positions",
    "present",
    "value_x100",
    "risk_x100",
]
# Fields whose sample must be a particular JSON text.
SAMPLES: dict[type, dict[str, Any]] = {
    AuditEventRow: {"changes": "[]"},
    MeasurementRow: {"value": "12.5"},
    DecisionRow: {"doc": json.dumps(dict.fromkeys(RECORDED, 1))},
}


def sample(record: type) -> Any:
    """A record with a value of its type in every field: ``1`` for numbers, ``"{}"``
    for text (valid JSON, so a record decoding a JSON column works too), or the
    value ``SAMPLES`` gives."""
    given = SAMPLES.get(record, {})
    return record(
        *(
            given.get(f.name, 1 if str(f.type).startswith("int") else "{}")
            for f in fields(record)
        )
    )


def public(record: type) -> set[str]:
    """The keys of a record's public form (``as_dict``, with what it is given)."""
    extra = {VoteRow: {"current": True}, DecisionRow: {"votes": []}}
    extra[CapacityRow] = {"overrides": []}
    return set(sample(record).as_dict(**extra.get(record, {})))


def declared(schema: type[Schema]) -> set[str]:
    return {f.data_key or name for name, f in schema().fields.items()}


@pytest.mark.parametrize(("record", "schema"), PAIRS, ids=lambda x: x.__name__)
def test_schema_declares_the_record_public_fields(
    record: type, schema: type[Schema]
) -> None:
    assert public(record) == declared(schema)


def test_every_pair_names_distinct_records() -> None:
    assert len({record for record, _ in PAIRS}) == len(PAIRS)
