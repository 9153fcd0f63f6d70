"""Decisions: COPIL sessions, votes and the decisions with what they recorded."""

from __future__ import annotations

from projections.table import Table
from projections.table import table as T

SESSIONS = T(
    "sessions",
    "doc",
    ("code",),
    "code title on_date chair status quorum_required:int present_voting:int doc",
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
    "departs:int override:int chair doc",
    (("session",), ("proposal",)),
)

TABLES: tuple[Table, ...] = (
    SESSIONS,
    VOTES,
    DECISIONS,
)
