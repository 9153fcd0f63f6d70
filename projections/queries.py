"""The read API as it was before the views had a package each: thin re-exports of
``projections.views.<view>.queries`` (and ``projections.tracking``) for the pages, the
API, the exports and the CLI that import ``projections.queries``. New code imports the
view's queries module."""

from __future__ import annotations

from projections.records import CENT, eur, score
from projections.tracking import dump, tracking
from projections.views.audit.queries import (
    audit_trail,
)
from projections.views.budget.queries import (
    MONEY_FIELDS,
    budget_consumption,
    budget_lines,
    budget_moves,
    budget_totals,
    envelopes,
    project_budget,
)
from projections.views.decisions.queries import (
    ACTIVE_STATUSES,
    agenda_evidence,
    approval_conflicts,
    attendance_journal,
    capacity,
    decision_history,
    evidence_fingerprint,
    session,
    sessions,
    votes,
)
from projections.views.portfolio.queries import (
    portfolio,
    proposal,
)
from projections.views.reference.queries import (
    COMMITTEE_ROLES,
    VOTING_ROLES,
    account,
    accounts,
    axes,
    committee,
    grants,
    grid_diff,
    grids,
    measurements,
    organisation,
    plan,
)

__all__ = [
    "ACTIVE_STATUSES",
    "CENT",
    "COMMITTEE_ROLES",
    "MONEY_FIELDS",
    "VOTING_ROLES",
    "account",
    "accounts",
    "agenda_evidence",
    "approval_conflicts",
    "attendance_journal",
    "audit_trail",
    "axes",
    "budget_consumption",
    "budget_lines",
    "budget_moves",
    "budget_totals",
    "capacity",
    "committee",
    "decision_history",
    "dump",
    "envelopes",
    "eur",
    "evidence_fingerprint",
    "grants",
    "grid_diff",
    "grids",
    "measurements",
    "organisation",
    "plan",
    "portfolio",
    "project_budget",
    "proposal",
    "score",
    "session",
    "sessions",
    "tracking",
    "votes",
]
