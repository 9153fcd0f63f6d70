"""Budget: envelopes and their moves, allocations, each project's budget (AP) with its
CP lines, commitments and payments; the records its queries read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.entities import MAIN
from projections.records import eur
from projections.table import Table
from projections.table import table as T

ENVELOPES = T(
    "envelopes",
    "doc",
    ("entity", "year", "section"),
    "entity year:int section bp_c:int dm_c:int total_c:int allocated_c:int "
    "overrides:int doc",
)
ENVELOPE_MOVES = T(
    "envelope_moves",
    "append",
    ("position",),
    "position:int entity year:int section kind amount_c:int deliberation on_date "
    "actor at",
)
ALLOCATIONS = T(
    "allocations",
    "append",
    ("position",),
    "position:int year:int section proposal amount_c:int previous_c:int override_reason actor at",
    (("proposal",),),
)
PROJECT_BUDGETS = T(
    "project_budgets",
    "doc",
    ("proposal",),
    "proposal ap_initial_c:int ap_c:int revisions:int session doc",
)
PROJECT_LINES = T(
    "project_lines",
    "derived",
    ("proposal", "year", "section"),
    "proposal year:int section cp_initial_c:int cp_c:int committed_c:int paid_c:int "
    "override_alloc:int override_commit:int override_pay:int",
    (("year", "section"),),
    parent="project_budgets",
)
# Each entity's share of each project line (a project wholly the municipality's has
# one row per line, entity ``MAIN``, equal to it); the AP shares ride along.
ENTITY_LINES = T(
    "entity_lines",
    "derived",
    ("proposal", "entity", "year", "section"),
    "proposal entity year:int section ap_initial_c:int ap_c:int cp_initial_c:int "
    "cp_c:int committed_c:int paid_c:int "
    "override_alloc:int override_commit:int override_pay:int",
    (("entity", "year", "section"),),
    parent="project_budgets",
)
ENTITIES = T("entities", "doc", ("code",), "code name kind siren status doc")
COMMITMENTS = T(
    "commitments",
    "derived",
    ("proposal", "reference"),
    "proposal reference year:int section amount_c:int paid_c:int on_date supplier override_reason position:int",
    parent="project_budgets",
)
PAYMENTS = T(
    "payments",
    "derived",
    ("proposal", "reference"),
    "proposal reference commitment amount_c:int on_date override_reason position:int",
    parent="project_budgets",
)

TABLES: tuple[Table, ...] = (
    ENVELOPES,
    ENVELOPE_MOVES,
    ALLOCATIONS,
    PROJECT_BUDGETS,
    PROJECT_LINES,
    ENTITY_LINES,
    ENTITIES,
    COMMITMENTS,
    PAYMENTS,
)


def envelope_label_key(label: str) -> tuple[str, int, str]:
    """The ``envelopes`` key of an envelope's label (``2026/investment`` for the
    municipality, ``ccas:2026/investment`` for another entity)."""
    entity, _, rest = label.rpartition(":")
    year, section = rest.split("/")
    return (entity or MAIN, int(year), section)


@dataclass(frozen=True, slots=True)
class EnvelopeRow:
    """An envelope of a year and section (``envelopes``)."""

    year: int
    section: str
    bp_c: int
    dm_c: int
    total_c: int
    allocated_c: int
    overrides: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "section": self.section,
            "bp": eur(self.bp_c),
            "dm": eur(self.dm_c),
            "total": eur(self.total_c),
            "allocated": eur(self.allocated_c),
            "available": eur(self.total_c - self.allocated_c),
            "overrides": self.overrides,
        }


@dataclass(frozen=True, slots=True)
class BudgetLineRow:
    """A project's line of a year and section (``project_lines``), with its AP
    (``project_budgets``) and the proposal's pôle, direction, axis and status."""

    proposal: str
    title: str | None
    pole: str | None
    direction: str | None
    axis: str | None
    year: int
    section: str
    ap_initial_c: int
    ap_c: int
    cp_initial_c: int
    cp_c: int
    committed_c: int
    paid_c: int
    override_alloc: int
    override_commit: int
    override_pay: int
    status: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "proposal": self.proposal,
            "title": self.title,
            "pole": self.pole,
            "direction": self.direction,
            "axis": self.axis,
            "year": self.year,
            "section": self.section,
            "ap_voted": eur(self.ap_initial_c),
            "ap_current": eur(self.ap_c),
            "ap_revisions": eur(self.ap_c - self.ap_initial_c),
            "cp_initial": eur(self.cp_initial_c),
            "cp": eur(self.cp_c),
            "allocated": eur(self.cp_c),
            "committed": eur(self.committed_c),
            "paid": eur(self.paid_c),
            "available": eur(self.cp_c - self.committed_c),
            "override_allocation": bool(self.override_alloc),
            "override_commitment": bool(self.override_commit),
            "override_payment": bool(self.override_pay),
            "status": self.status,
        }


@dataclass(frozen=True, slots=True)
class MoveRow:
    """A BP or DM movement of an envelope (``envelope_moves``)."""

    position: int
    entity: str
    year: int
    section: str
    kind: str
    amount_c: int
    deliberation: str | None
    on_date: str | None
    actor: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "entity": self.entity,
            "year": self.year,
            "section": self.section,
            "kind": self.kind,
            "amount": eur(self.amount_c),
            "deliberation": self.deliberation,
            "on": self.on_date,
            "actor": self.actor,
        }
