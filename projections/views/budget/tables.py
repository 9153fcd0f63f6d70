"""Budget: envelopes and their moves, allocations, each project's budget (AP) with its CP lines, commitments and payments."""

from __future__ import annotations

from projections.table import Table
from projections.table import table as T

ENVELOPES = T(
    "envelopes",
    "doc",
    ("year", "section"),
    "year:int section bp_c:int dm_c:int total_c:int allocated_c:int overrides:int doc",
)
ENVELOPE_MOVES = T(
    "envelope_moves",
    "append",
    ("position",),
    "position:int year:int section kind amount_c:int deliberation on_date actor at",
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
    COMMITMENTS,
    PAYMENTS,
)
