"""Portfolio: each proposal (document and filter columns), its per-grid values, axes,
years and workloads (derived), and its revisions; the records its queries read."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from projections.records import eur, score
from projections.table import Table
from projections.table import table as T

PROPOSALS = T(
    "proposals",
    "doc",
    ("code",),
    "code title direction pole axis status revision:int mandatory:int referent session "
    "first_year:int last_year:int cost_inv_c:int cost_ope_c:int days:int value_x100:int "
    "risk_x100:int grid_version:int evaluators:int stale:int outcome ap_c:int "
    "progress_x100:int planned_start planned_end updated_position:int search doc",
    (("status",), ("direction",), ("pole",)),
)
PROPOSAL_VALUES = T(
    "proposal_values",
    "derived",
    ("proposal", "grid_version"),
    "proposal grid_version:int revision:int value_x100:int risk_x100:int evaluators:int complete:int",
    (("grid_version",),),
    parent="proposals",
)
PROPOSAL_AXES = T(
    "proposal_axes",
    "derived",
    ("proposal", "axis"),
    "proposal axis indicator",
    (("axis",),),
    parent="proposals",
)
PROPOSAL_YEARS = T(
    "proposal_years",
    "derived",
    ("proposal", "year"),
    "proposal year:int",
    (("year",),),
    parent="proposals",
)
WORKLOADS = T(
    "workloads",
    "derived",
    ("proposal", "team", "year"),
    "proposal team year:int days:int",
    (("team", "year"),),
    parent="proposals",
)
REVISIONS = T(
    "revisions",
    "append",
    ("position",),
    "position:int proposal revision:int at actor reason doc",
    (("proposal",),),
)

TABLES: tuple[Table, ...] = (
    PROPOSALS,
    PROPOSAL_VALUES,
    PROPOSAL_AXES,
    PROPOSAL_YEARS,
    WORKLOADS,
    REVISIONS,
)


@dataclass(frozen=True, slots=True)
class ProposalRow:
    """A proposal in the portfolio list (``proposals``, or its values on one grid
    version), with its rank by value."""

    code: str
    title: str
    direction: str
    pole: str | None
    axis: str | None
    status: str
    revision: int
    mandatory: int
    value_x100: int | None
    risk_x100: int | None
    grid_version: int | None
    evaluators: int | None
    stale: int
    outcome: str | None
    ap_c: int | None
    progress_x100: int | None
    cost_inv_c: int
    cost_ope_c: int
    days: int
    first_year: int | None
    last_year: int | None
    session: str | None
    updated_position: int
    rank: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "title": self.title,
            "direction": self.direction,
            "pole": self.pole,
            "axis": self.axis,
            "status": self.status,
            "revision": self.revision,
            "mandatory": bool(self.mandatory),
            "value": score(self.value_x100),
            "risk": score(self.risk_x100),
            "grid_version": self.grid_version,
            "evaluators": self.evaluators,
            "stale_scores": self.stale,
            "outcome": self.outcome,
            "ap": eur(self.ap_c),
            "progress": score(self.progress_x100),
            "cost_investment": eur(self.cost_inv_c),
            "cost_operating": eur(self.cost_ope_c),
            "workload_days": self.days,
            "first_year": self.first_year,
            "last_year": self.last_year,
            "session": self.session,
            "position": self.updated_position,
            "rank": self.rank,
        }


@dataclass(frozen=True, slots=True)
class RevisionRow:
    """One revision of a proposal (``revisions``): who amended it, when, why, and its
    content then."""

    position: int
    revision: int
    at: str
    actor: str
    reason: str | None
    doc: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "revision": self.revision,
            "at": self.at,
            "actor": self.actor,
            "reason": self.reason,
            "content": json.loads(self.doc),
        }
