"""Thin re-export of ``projections.views.reference.detail`` (the reference records with
their history) for the pages, the API and the exports that import it by this name."""

from projections.views.reference.deliverable_queries import phase_checklist
from projections.views.reference.detail import (
    HISTORY_LIMIT,
    NEEDED_ROLES,
    axes,
    axis,
    committee_members,
    committee_record,
    direction,
    history,
    indicator,
    municipality,
    municipality_record,
    organisation,
    plan_record,
    pole,
    referents,
    setup_checklist,
    team,
)

__all__ = [
    "HISTORY_LIMIT",
    "NEEDED_ROLES",
    "axes",
    "axis",
    "committee_members",
    "committee_record",
    "direction",
    "history",
    "indicator",
    "municipality",
    "municipality_record",
    "organisation",
    "phase_checklist",
    "plan_record",
    "pole",
    "referents",
    "setup_checklist",
    "team",
]
