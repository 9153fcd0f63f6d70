"""The read API as it was before the views had a package each: thin re-exports of
``projections.views.<view>.queries`` (and ``projections.tracking``) for the pages, the
API, the exports and the CLI that import ``projections.queries``. New code imports the
view's queries module."""

from __future__ import annotations

from projections.records import CENT, eur, score
from projections.tracking import dump, tracking
from projections.views.attachments.queries import (
    attachment,
    attachments,
    recorded_files,
)
from projections.views.audit.queries import (
    audit_trail,
    issued_document,
    latest_data_event,
)
from projections.views.budget.annex import apcp_annex, imputations, line_imputation
from projections.views.budget.queries import (
    LINE_SORTS as BUDGET_LINE_SORTS,
)
from projections.views.budget.queries import (
    MONEY_FIELDS,
    budget_consumption,
    budget_lines,
    budget_lines_page,
    budget_moves,
    budget_projects,
    budget_summary,
    budget_totals,
    entities,
    envelopes,
    project_budget,
    summed_totals,
)
from projections.views.budget.queries import (
    PROJECT_SORTS as BUDGET_PROJECT_SORTS,
)
from projections.views.decisions.approval import approval_envelopes
from projections.views.decisions.queries import (
    ACTIVE_STATUSES,
    agenda_evidence,
    approval_conflicts,
    attendance_journal,
    capacity,
    decision_history,
    evidence_fingerprint,
    held_sessions,
    session,
    sessions,
    votes,
)
from projections.views.discussion.queries import discussion, discussion_counts
from projections.views.portfolio.queries import (
    SORTS as PORTFOLIO_SORTS,
)
from projections.views.portfolio.queries import (
    portfolio,
    portfolio_page,
    portfolio_sorted,
    proposal,
    value_risk_points,
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
    page_reference,
    plan,
    reference,
)

__all__ = [
    "ACTIVE_STATUSES",
    "BUDGET_LINE_SORTS",
    "BUDGET_PROJECT_SORTS",
    "CENT",
    "COMMITTEE_ROLES",
    "MONEY_FIELDS",
    "PORTFOLIO_SORTS",
    "VOTING_ROLES",
    "account",
    "accounts",
    "agenda_evidence",
    "apcp_annex",
    "approval_conflicts",
    "approval_envelopes",
    "attachment",
    "attachments",
    "attendance_journal",
    "audit_trail",
    "axes",
    "budget_consumption",
    "budget_lines",
    "budget_lines_page",
    "budget_moves",
    "budget_projects",
    "budget_summary",
    "budget_totals",
    "capacity",
    "committee",
    "decision_history",
    "discussion",
    "discussion_counts",
    "dump",
    "entities",
    "envelopes",
    "eur",
    "evidence_fingerprint",
    "grants",
    "grid_diff",
    "grids",
    "held_sessions",
    "imputations",
    "issued_document",
    "latest_data_event",
    "line_imputation",
    "measurements",
    "organisation",
    "page_reference",
    "plan",
    "portfolio",
    "portfolio_page",
    "portfolio_sorted",
    "project_budget",
    "proposal",
    "recorded_files",
    "reference",
    "score",
    "session",
    "sessions",
    "summed_totals",
    "tracking",
    "value_risk_points",
    "votes",
]
