"""The access matrix: what each role may see and do, in one place.

Every UI route and API endpoint names one permission (``@requires("…")``); the
generated access-matrix test walks the route table, so a new route cannot be missed.
Referents act only for their own direction: a permission listed in ``SCOPED`` is
granted to a referent only for proposals of the direction in their grant.
The ledger enforces the domain rules again on every command; this matrix decides what
the UI shows and what the web layer lets through.
"""

from __future__ import annotations

from collections.abc import Iterable

from domain.deliverables import DRAFTING_ROLES as DELIVERABLE_DRAFTERS
from domain.deliverables import LIST_EDITORS as DELIVERABLE_LIST_EDITORS
from domain.deliverables import REVIEWERS as DELIVERABLE_REVIEWERS
from domain.discussion import WRITERS as DISCUSSION_WRITERS
from domain.findings import AUTHORS as FINDING_AUTHORS
from domain.inventory import EDITORS as INVENTORY_EDITORS
from domain.reviewed_documents import EDITORS as REGISTER_EDITORS
from domain.scenarios import MAY_COMPUTE
from domain.values import (
    BUDGET_READERS,
    CERTIFICATE_READERS,
    MINUTES_READERS,
    NEVER_VOTING_ROLES,
    READER_ROLES,
    VOTING_ROLES,
    Role,
)

ALL = Role.names()
READERS = Role.names(READER_ROLES)

PERMISSIONS: dict[str, frozenset[str]] = {
    # everyone signed in
    "home": ALL,
    "notifications": ALL,  # one's own inbox, preferences and follows
    "grid.view": ALL,
    "session.view": ALL,
    "plan.view": ALL,
    "export.opendata": ALL,
    "export.plan": ALL,
    # proposals
    "proposal.view": ALL,  # referents: their direction only (SCOPED)
    "proposal.draft": frozenset({"referent", "dsi"}),
    "proposal.amend": frozenset({"referent", "dsi"}),
    "proposal.submit": frozenset({"referent", "dsi"}),
    "proposal.withdraw": frozenset({"referent", "dsi"}),
    "proposal.qualify": frozenset({"dsi"}),
    "proposal.execute": frozenset({"dsi"}),
    "proposal.cancel": frozenset({"dsi", "chair"}),
    "proposal.split": frozenset({"dsi", "chair"}),  # cost shared between entities
    "proposal.score": frozenset({"evaluator"}),
    # attachments (business case, quotes…): read with their subject
    "proposal.attach": frozenset({"referent", "dsi"}),  # referents: own direction
    "session.attach": frozenset({"chair", "dsi"}),  # sessions and their decisions
    # discussion (domain.discussion): referents on their direction's proposals (SCOPED)
    # and on grid drafts; who reads internal comments is the domain's rule
    "proposal.discuss": Role.names(DISCUSSION_WRITERS),
    "grid.discuss": Role.names(DISCUSSION_WRITERS),
    "discussion.moderate": frozenset({"chair"}),
    # portfolio, capacity, arbitration history
    "portfolio.view": READERS,
    "decisions.view": READERS,
    # grid
    "grid.edit": frozenset({"dsi", "chair"}),
    "grid.adopt": frozenset({"chair"}),
    # consolidation of a grid draft: the chair accepts or declines propositions
    "grid.consolidate": frozenset({"chair"}),
    # committee sessions
    "session.manage": frozenset({"chair"}),
    "session.convocation": frozenset({"chair", "dsi"}),  # the chair of that session
    "session.vote": Role.names(VOTING_ROLES),  # who may take a voting seat
    # budget
    "budget.view": Role.names(BUDGET_READERS),
    "budget.edit": frozenset({"finance"}),
    "budget.revise_ap": frozenset({"finance", "chair"}),
    "finance.import": frozenset({"finance"}),
    "finance.settings": frozenset({"finance", "admin"}),
    # the same role sets as the exporters declare (domain.values), which the CLI reports
    "export.budget": Role.names(BUDGET_READERS),
    "export.apcp": Role.names(BUDGET_READERS),
    "export.minutes": Role.names(MINUTES_READERS),
    "export.certificate": Role.names(CERTIFICATE_READERS),
    # audit and integrity
    "audit.view": frozenset({"auditor", "admin"}),
    "integrity.view": ALL,
    # scenarios (optimiser)
    "scenario.view": frozenset(
        {"dsi", "chair", "member", "finance", "auditor", "consultant"}
    ),
    "scenario.run": Role.names(MAY_COMPUTE),  # the aggregate checks the same set
    # administration
    "admin.accounts": frozenset({"admin"}),
    # messages sent through the accessibility statement's contact form
    "accessibility.messages": frozenset({"admin"}),
    # reference data (the "Référentiel"): who sets the municipality up and keeps it
    "reference.view": ALL,
    "municipality.edit": frozenset({"admin"}),
    "plan.edit": frozenset({"admin", "dsi", "chair"}),  # define, retitle, schedule
    "plan.phases": frozenset({"dsi", "chair"}),  # a phase starts, a phase is done
    # the phases' expected deliverables (domain.deliverables): keep the list, submit
    # (their owners), validate or send back (the chair; the DSI naming a decision)
    "plan.deliverables": Role.names(DELIVERABLE_LIST_EDITORS),
    "plan.deliverables.submit": Role.names(DELIVERABLE_DRAFTERS),
    "plan.deliverables.review": Role.names(DELIVERABLE_REVIEWERS),
    "plan.extend": frozenset({"admin", "dsi"}),  # a new last year
    "plan.follow": frozenset({"dsi", "chair"}),  # the next plan
    "organisation.edit": frozenset({"dsi", "admin"}),  # pôles, directions, teams
    "strategy.edit": frozenset({"dsi", "chair", "admin"}),  # axes, indicators
    "committee.edit": frozenset({"admin", "chair"}),  # the COPIL's composition
    "setup.import": frozenset({"admin"}),  # the organisation from a set-up file
    # the diagnosis of the information system (phase 4, domain.inventory)
    "diagnosis.view": ALL,  # referents read it to assess their direction's use
    "diagnosis.inventory": Role.names(INVENTORY_EDITORS),  # register, change, import
    "diagnosis.assess": frozenset({"dsi"}),  # the technical assessment
    # a referent, for their own direction only: the ledger checks the direction
    # (domain.inventory), which is the request's, not a proposal's
    "diagnosis.assess_use": frozenset({"referent"}),
    "diagnosis.findings": Role.names(FINDING_AUTHORS),
    "proposal.link": frozenset({"referent", "dsi"}),  # applications and findings cited
    # the document review (phase 2, domain.reviewed_documents): everyone reads the
    # register (referents cite its documents); its keepers register, change, withdraw
    # and attach the files
    "document_review.view": ALL,
    "document_review.edit": Role.names(REGISTER_EDITORS),
}

# Permissions refused to some roles whatever else their holder is granted: the
# consultant (AMO) never takes a voting seat (the ledger refuses its votes too).
EXCLUDED: dict[str, frozenset[str]] = {
    "session.vote": Role.names(NEVER_VOTING_ROLES),
}

# Permissions a referent holds only for proposals of their own direction.
SCOPED = frozenset(
    {
        "proposal.view",
        "proposal.amend",
        "proposal.submit",
        "proposal.withdraw",
        "proposal.attach",
        "proposal.discuss",
        "proposal.link",
    }
)


def role_names(grants: Iterable[str]) -> set[str]:
    """``referent:DSN`` → ``referent``."""
    return {g.split(":", 1)[0] for g in grants}


def referent_directions(grants: Iterable[str]) -> set[str]:
    return {g.split(":", 1)[1] for g in grants if g.startswith("referent:")}


def allowed(
    grants: Iterable[str], permission: str, direction: str | None = None
) -> bool:
    """Whether an account with ``grants`` holds ``permission`` (for ``direction``)."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")
    grants = list(grants)
    roles = role_names(grants)
    holders = PERMISSIONS[permission]
    if roles & EXCLUDED.get(permission, frozenset()):
        return False
    if roles & (holders - {"referent"}):
        return True
    if "referent" in holders and "referent" in roles:
        if permission in SCOPED and direction is not None:
            return direction in referent_directions(grants)
        return True
    return False
