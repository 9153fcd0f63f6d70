"""Money, dates, unknown fields and wrong types: refused, naming the field."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from domain.budget import Envelope
from domain.errors import InvalidValue
from domain.values import AMOUNT_EXPECTED, Section
from ledger.app import Ledger
from tests.domain.builders import (
    CHAIR,
    DSI,
    FIN,
    INV,
    VOTING,
    YEAR,
    Town,
    by,
    criterion,
    refused,
)

# --- money ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        (1000.5, "montant en décimal exact, jamais en flottant"),
        (True, "montant en décimal exact, jamais en flottant"),
        ("1000.005", "au plus 2 décimales"),
        (Decimal("0.001"), "au plus 2 décimales"),
        ("-5.00", "montant négatif"),
        ("mille", AMOUNT_EXPECTED),
        ("NaN", AMOUNT_EXPECTED),
        ("1e3", AMOUNT_EXPECTED),
        ("1000,50", AMOUNT_EXPECTED),
        ("10000000000000", "montant démesuré"),
        (10**13, "montant démesuré"),
        ([1000], "montant décimal attendu"),
    ],
)
def test_amount_that_is_not_exact_euros_is_refused(
    ledger: Ledger, town: Town, amount: Any, reason: str
) -> None:
    with refused(ledger, InvalidValue) as err:
        ledger.vote_budget(FIN, YEAR, INV, amount, "BP", "2024-12-15")
    assert err.value.field == "amount"
    assert err.value.params["reason"] == reason


@pytest.mark.parametrize(
    "amount", [Decimal("1000.50"), "1000.5", "1000.50", 1000, Decimal("1000.500")]
)
def test_exact_amounts_are_kept_to_the_cent(
    ledger: Ledger, town: Town, amount: Any
) -> None:
    ledger.vote_budget(FIN, YEAR, INV, amount, "BP", "2024-12-15")
    envelope = ledger.load(Envelope, Envelope.id_for(YEAR, Section.INVESTMENT))
    assert envelope is not None
    expected = Decimal("1000.00") if amount == 1000 else Decimal("1000.50")
    assert (envelope.voted, str(envelope.voted)) == (expected, str(expected))


def test_amount_as_a_float_is_refused_in_nested_records(
    ledger: Ledger, town: Town
) -> None:
    costs = [{"year": YEAR, "section": INV, "amount": 1000.5}]
    with refused(ledger, InvalidValue) as err:
        ledger.draft_proposal(by("ref.fin"), "P1", "FIN", town.content(costs=costs))
    assert (err.value.field, err.value.params["value"]) == ("costs[0].amount", 1000.5)


def test_cp_amount_with_more_than_two_decimals_is_refused(
    ledger: Ledger, town: Town
) -> None:
    town.envelope()
    s = town.open(town.on_agenda("P1", town.convene("S1")))
    with refused(ledger, InvalidValue) as err:
        ledger.record_decision(
            CHAIR,
            s,
            "P1",
            "approved",
            "r",
            ap_amount="10.005",
            cp=[{"year": YEAR, "section": INV, "amount": "10.005"}],
        )
    assert err.value.field == "cp[0].amount"


# --- dates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "day", ["2025-13-01", "15/01/2025", "", 20250115, datetime(2025, 1, 15, 9, 0)]
)
def test_date_that_is_not_an_iso_date_is_refused(
    ledger: Ledger, town: Town, day: Any
) -> None:
    with refused(ledger, InvalidValue) as err:
        ledger.vote_budget(FIN, YEAR, INV, "1000.00", "BP", day)
    assert err.value.field == "on"


# --- unknown fields -------------------------------------------------------------------

Send = Callable[[Ledger, Town], Any]


def _draft(**content: Any) -> Send:
    return lambda led, town: led.draft_proposal(
        by("ref.fin"), "P1", "FIN", town.content(**content)
    )


def _submitted(town: Town) -> Any:
    return town.submitted("P1")


def _draft_grid(town: Town) -> Any:
    return town.ledger.draft_grid(DSI, 1, "G", criteria=[criterion("VAL1")])


def _qualify(**qualification: Any) -> Send:
    return lambda led, town: led.qualify_proposal(
        DSI, "P1", town.qualification(**qualification)
    )


UNKNOWN_FIELDS: list[tuple[str, Send, str]] = [
    ("content", _draft(titre="Portail"), "content.titre"),
    (
        "cost line",
        _draft(costs=[{"year": YEAR, "section": INV, "montant": "1.00"}]),
        "costs[0].montant",
    ),
    (
        "component",
        _draft(components=[{"kind": "si", "description": "d", "budget": 3}]),
        "components[0].budget",
    ),
    (
        "axis link",
        _draft(axes=[{"axis": "A1", "effect": "+"}]),
        "axes[0].effect",
    ),
    (
        "workload",
        _draft(workloads=[{"team": "DSI-APPS", "year": YEAR, "hours": 3}]),
        "workloads[0].hours",
    ),
    (
        "dependency",
        _draft(dependencies=[{"kind": "requires", "code": "P0"}]),
        "dependencies[0].code",
    ),
    (
        "risk",
        _draft(risks=[{"label": "r", "level": 2, "owner": "x"}]),
        "risks[0].owner",
    ),
    ("qualification", _qualify(comment="x"), "qualification.comment"),
    (
        "criterion",
        lambda led, town: led.draft_grid(
            DSI, 1, "G", criteria=[{**criterion("VAL1"), "poids": "50"}]
        ),
        "criteria[0].poids",
    ),
    (
        "scale level",
        lambda led, town: led.draft_grid(
            DSI,
            1,
            "G",
            criteria=[
                {
                    **criterion("VAL1"),
                    "scale": [
                        {"level": 1, "descriptor": "a"},
                        {"level": 2, "descriptor": "b", "colour": "red"},
                    ],
                }
            ],
        ),
        "criteria[0].scale[1].colour",
    ),
    (
        "quorum",
        lambda led, town: led.convene_session(
            CHAIR, "S1", "t", "2025-03-01", VOTING, [], {"kind": "count", "n": 2}
        ),
        "quorum.n",
    ),
]


@pytest.mark.parametrize(
    ("what", "send", "field"), UNKNOWN_FIELDS, ids=[w for w, _s, _f in UNKNOWN_FIELDS]
)
def test_unknown_field_is_refused_naming_it(
    ledger: Ledger, town: Town, what: str, send: Send, field: str
) -> None:
    """A misspelt field must never be silently dropped from what is recorded."""
    if what == "qualification":
        _submitted(town)
    with refused(ledger, InvalidValue) as err:
        send(ledger, town)
    assert err.value.field == field
    assert err.value.params["reason"].startswith("champ inconnu")


def test_unknown_field_of_a_score_or_a_cp_line_is_refused_naming_it(
    ledger: Ledger, town: Town
) -> None:
    town.adopt_grid()
    town.submitted("P1")
    with refused(ledger, InvalidValue) as err:
        ledger.score_proposal(
            by("eval1"),
            "P1",
            1,
            1,
            {"VAL1": {"level": 2, "justification": "j", "weight": 3}},
        )
    assert err.value.field == "scores.VAL1.weight"
    town.envelope()
    s = town.open(town.on_agenda("P2", town.convene("S1")))
    with refused(ledger, InvalidValue) as err:
        ledger.record_decision(
            CHAIR,
            s,
            "P2",
            "approved",
            "r",
            ap_amount="10.00",
            cp=[{"year": YEAR, "section": INV, "amount": "10.00", "note": "x"}],
        )
    assert err.value.field == "cp[0].note"


# --- wrong types ----------------------------------------------------------------------

WRONG_TYPES: list[tuple[str, Send, str]] = [
    (
        "content",
        lambda led, t: led.draft_proposal(DSI, "P1", "FIN", "texte"),
        "content",
    ),
    ("costs", _draft(costs="100000"), "costs"),
    (
        "cost year",
        _draft(costs=[{"year": "2025", "section": INV, "amount": "1"}]),
        "costs[0].year",
    ),
    (
        "section",
        _draft(costs=[{"year": YEAR, "section": "inv", "amount": "1"}]),
        "costs[0].section",
    ),
    ("mandatory", _draft(mandatory="oui"), "mandatory"),
    ("title", _draft(title=42), "title"),
    (
        "workload days",
        _draft(workloads=[{"team": "DSI-APPS", "year": YEAR, "days": 1.5}]),
        "workloads[0].days",
    ),
    (
        "criteria",
        lambda led, t: led.draft_grid(DSI, 1, "G", criteria=12),
        "criteria",
    ),
    (
        "team capacity",
        lambda led, t: led.create_team(DSI, "T1", "Équipe", "dsi", None, [2025, 200]),
        "capacity",
    ),
    (
        "capacity days",
        lambda led, t: led.set_team_capacity(DSI, "DSI-APPS", 2025, "200"),
        "days",
    ),
    (
        "voting members",
        lambda led, t: led.convene_session(CHAIR, "S1", "t", "2025-03-01", "m1"),
        "voting",
    ),
    (
        "removed criterion",  # on grid v1, drafted first
        lambda led, t: led.remove_grid_criterion(DSI, 1, ["VAL1"]),
        "criterion",
    ),
]


@pytest.mark.parametrize(
    ("what", "send", "field"), WRONG_TYPES, ids=[w for w, _s, _f in WRONG_TYPES]
)
def test_value_of_the_wrong_type_is_refused_naming_the_field(
    ledger: Ledger, town: Town, what: str, send: Send, field: str
) -> None:
    if what == "removed criterion":
        _draft_grid(town)
    with refused(ledger, InvalidValue) as err:
        send(ledger, town)
    assert err.value.field == field


def test_attendance_that_is_not_a_list_is_refused(ledger: Ledger, town: Town) -> None:
    town.convene("S1")
    with refused(ledger, InvalidValue) as err:
        ledger.open_session(CHAIR, "S1", "m1")
    assert (err.value.field, err.value.params["value"]) == ("present", "m1")


def test_scores_that_are_not_a_mapping_are_refused(ledger: Ledger, town: Town) -> None:
    town.adopt_grid()
    town.submitted("P1")
    with refused(ledger, InvalidValue) as err:
        ledger.score_proposal(by("eval1"), "P1", "1", 1, {"VAL1": {"level": 2}})
    assert err.value.field == "revision"
    with refused(ledger, InvalidValue) as err:
        ledger.score_proposal(by("eval1"), "P1", 1, 1, [("VAL1", 2)])  # type: ignore[arg-type]
    assert err.value.field == "scores"
    with refused(ledger, InvalidValue) as err:
        ledger.score_proposal(by("eval1"), "P1", 1, 1, {"VAL1": 2})
    assert err.value.field == "scores.VAL1"


def test_commitment_reference_of_the_wrong_type_is_refused(
    ledger: Ledger, town: Town
) -> None:
    town.approved_budget("P1")
    with refused(ledger, InvalidValue) as err:
        ledger.record_payment(FIN, "P1", "MD1", ["EJ1"], "1.00", "2025-05-01")  # type: ignore[arg-type]
    assert err.value.field == "commitment"


def test_presence_flag_that_is_not_a_boolean_is_refused(
    ledger: Ledger, town: Town
) -> None:
    town.open(town.convene("S1"))
    with refused(ledger, InvalidValue) as err:
        ledger.set_attendance(CHAIR, "S1", "m1", "yes")  # type: ignore[arg-type]
    assert err.value.field == "present"
