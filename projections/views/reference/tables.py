"""Reference data: municipality, plan, organisation (poles, directions, teams and their capacity), axes and indicators (with measurements), scoring grids, accounts (with grants) and the COPIL."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from projections.table import Table
from projections.table import table as T

MUNICIPALITY = T("municipality", "doc", ("id",), "id doc")
PLAN = T("plan", "doc", ("id",), "id doc")
POLES = T("poles", "doc", ("code",), "code name doc")
DIRECTIONS = T("directions", "doc", ("code",), "code name pole doc", (("pole",),))
TEAMS = T("teams", "doc", ("code",), "code name kind direction doc")
TEAM_CAPACITY = T(
    "team_capacity",
    "derived",
    ("team", "year"),
    "team year:int days:int",
    parent="teams",
)
AXES = T("axes", "doc", ("code",), "code label doc")
INDICATORS = T("indicators", "doc", ("code",), "code axis label doc", (("axis",),))
MEASUREMENTS = T(
    "measurements",
    "append",
    ("position",),
    "position:int indicator on_date value kind comment at",
    (("indicator",),),
)
GRIDS = T("grids", "doc", ("number",), "number:int label status adopted_on doc")
ACCOUNTS = T(
    "accounts", "doc", ("username",), "username display_name active:int roles doc"
)
GRANTS = T(
    "grants",
    "append",
    ("position",),
    "position:int username action role scope actor reason at",
    (("username",),),
)
COMMITTEE = T(
    "committee", "doc", ("username",), "username kind voting:int sitting:int doc"
)
# the expected deliverables of one phase of one plan (``N/phase``)
DELIVERABLES = T(
    "phase_deliverables", "doc", ("code",), "code plan_number:int phase doc"
)

TABLES: tuple[Table, ...] = (
    MUNICIPALITY,
    PLAN,
    POLES,
    DIRECTIONS,
    TEAMS,
    TEAM_CAPACITY,
    AXES,
    INDICATORS,
    MEASUREMENTS,
    GRIDS,
    ACCOUNTS,
    GRANTS,
    COMMITTEE,
    DELIVERABLES,
)


@dataclass(frozen=True, slots=True)
class GrantRow:
    """A role granted or revoked (``grants``)."""

    position: int
    username: str
    action: str
    role: str
    scope: str | None
    actor: str | None
    reason: str | None
    at: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "username": self.username,
            "action": self.action,
            "role": self.role,
            "scope": self.scope,
            "actor": self.actor,
            "reason": self.reason,
            "at": self.at,
        }


@dataclass(frozen=True, slots=True)
class MeasurementRow:
    """A measurement of an indicator (``measurements``); ``value`` is exact decimal text."""

    position: int
    indicator: str
    on_date: str
    value: str
    kind: str
    comment: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "indicator": self.indicator,
            "on": self.on_date,
            "value": Decimal(self.value),
            "kind": self.kind,
            "comment": self.comment,
        }
