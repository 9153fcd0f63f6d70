"""Decisions: COPIL sessions, votes and the decisions with what they recorded; the
records its queries read (with the capacity of teams against approved workloads)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from projections.records import eur, score
from projections.table import Table
from projections.table import table as T

SESSIONS = T(
    "sessions",
    "doc",
    ("code",),
    "code title on_date chair status quorum_required:int present_voting:int search doc",
)
VOTES = T(
    "votes",
    "append",
    ("position",),
    "position:int session proposal member choice at",
    (("session", "proposal"),),
)
DECISIONS = T(
    "decisions",
    "append",
    ("position",),
    "position:int session proposal session_date decided_at outcome ap_c:int grid_version:int revision:int "
    "scenario votes_for:int votes_against:int abstentions:int present_voting:int quorum_required:int "
    "departs:int override:int chair search doc",
    (("session",), ("proposal",)),
)

TABLES: tuple[Table, ...] = (
    SESSIONS,
    VOTES,
    DECISIONS,
)


@dataclass(frozen=True, slots=True)
class VoteRow:
    """A vote (``votes``); ``current`` is False once the member voted again."""

    position: int
    session: str
    proposal: str
    member: str
    choice: str
    at: str

    def as_dict(self, *, current: bool) -> dict[str, Any]:
        return {
            "position": self.position,
            "session": self.session,
            "proposal": self.proposal,
            "member": self.member,
            "choice": self.choice,
            "at": self.at,
            "current": current,
        }


@dataclass(frozen=True, slots=True)
class DecisionRow:
    """A decision (``decisions``), with the evidence it recorded (``doc``)."""

    position: int
    session: str
    proposal: str
    session_date: str | None
    decided_at: str
    outcome: str
    ap_c: int | None
    grid_version: int | None
    revision: int | None
    scenario: str | None
    votes_for: int
    votes_against: int
    abstentions: int
    present_voting: int
    quorum_required: int
    departs: int
    override: int
    chair: str | None
    doc: str

    def as_dict(self, *, votes: list[dict[str, Any]]) -> dict[str, Any]:
        evidence = json.loads(self.doc)
        return {
            "position": self.position,
            "session": self.session,
            "proposal": self.proposal,
            "session_date": self.session_date,
            "decided_at": self.decided_at,
            "outcome": self.outcome,
            "ap": eur(self.ap_c),
            "grid_version": self.grid_version,
            "revision": self.revision,
            "scenario": self.scenario,
            "votes_for": self.votes_for,
            "votes_against": self.votes_against,
            "abstentions": self.abstentions,
            "present_voting": self.present_voting,
            "quorum_required": self.quorum_required,
            "departs_from_majority": bool(self.departs),
            "override": bool(self.override),
            "chair": self.chair,
            "rationale": evidence["rationale"],
            "justification": evidence["justification"],
            "conditions": evidence["conditions"],
            "override_reason": evidence["override_reason"],
            "cp": evidence["cp"],
            "conflicts": evidence.get("conflicts", []),
            "scores": evidence["scores"],
            "evidence_recorded": not evidence.get("recomputed", True),
            "budget_state": evidence["budget"],
            "split": evidence.get("split"),
            "votes": votes,
            "positions": evidence["positions"],
            "present": evidence["present"],
            "value": score(evidence["value_x100"]),
            "risk": score(evidence["risk_x100"]),
        }


@dataclass(frozen=True, slots=True)
class CapacityRow:
    """A team's capacity in a year (``team_capacity``, ``teams``) against the workload
    approved projects reserved (``workloads`` of active ``proposals``)."""

    team: str
    name: str
    kind: str
    year: int
    days: int
    workload: int

    def as_dict(self, *, overrides: list[str]) -> dict[str, Any]:
        workload = int(self.workload)  # SUM is numeric on PostgreSQL, an int on SQLite
        return {
            "team": self.team,
            "name": self.name,
            "kind": self.kind,
            "year": self.year,
            "capacity": self.days,
            "workload": workload,
            "load": (Decimal(workload * 100) / self.days).quantize(Decimal("0.1"))
            if self.days
            else None,
            "overload": workload > self.days,
            "overrides": overrides,
        }
