"""What the citizens' pages (``/public``) may show: the public statuses of a decided
project, and the catalogue of the fields a municipality may publish or withhold.

The catalogue holds only what may ever be public. Evaluators' individual scores and
justifications, internal comments, and the names or addresses of referents,
evaluators and agents are not in it, so no setting can publish them. Each field is
published by default; ``SDSI_PUBLIC_HIDE`` (``ledger.config``) withholds some.
"""

from __future__ import annotations

from collections.abc import Iterable

from domain.errors import InvalidValue
from domain.proposals import Status

# A decided project as citizens see it: planned, in progress, done (or cancelled).
PLANNED, IN_PROGRESS, DONE, CANCELLED = "planned", "in_progress", "done", "cancelled"
PUBLIC_STATUSES = (PLANNED, IN_PROGRESS, DONE, CANCELLED)

# The one place that maps the lifecycle onto the public statuses. A proposal that
# was not approved (draft, submitted, deferred, rejected, withdrawn…) is not a
# project of the plan and is not listed; its decision is, on the decisions page.
_PUBLIC_STATUS = {
    Status.APPROVED: PLANNED,
    Status.APPROVED_WITH_CONDITIONS: PLANNED,
    Status.PLANNED: PLANNED,
    Status.IN_PROGRESS: IN_PROGRESS,
    Status.DONE: DONE,
    Status.CANCELLED: CANCELLED,
}
DECIDED = Status.names(frozenset(_PUBLIC_STATUS))


def public_status(status: str) -> str | None:
    """The public status of a proposal's ``status`` (``None``: not a project of the
    plan, not shown)."""
    try:
        return _PUBLIC_STATUS.get(Status(status))
    except ValueError:
        return None


# field → what it publishes (the administrator's documentation, README).
FIELDS: dict[str, str] = {
    "project.description": "la description de chaque projet décidé",
    "project.direction": "la direction qui porte le projet",
    "project.progress": "l'avancement en pourcentage",
    "project.milestones": "les jalons (prévus et atteints)",
    "project.budget": "le budget voté et dépensé de chaque projet",
    "budget.axes": "le budget voté et dépensé par axe et par année",
    "decision.rationale": "le motif de chaque décision du COPIL",
    "decision.conditions": "les conditions d'une approbation sous conditions",
    "decision.votes": "le décompte des votes (pour, contre, abstention)",
    "checkpoint": "le dernier point de contrôle signé et comment le vérifier",
}


def published_fields(hidden: Iterable[str]) -> frozenset[str]:
    """The fields shown when ``hidden`` are withheld; an unknown name is refused
    (a misspelt setting must not leave a field public by mistake)."""
    hidden = list(hidden)
    for name in hidden:
        if name not in FIELDS:
            raise InvalidValue(
                "SDSI_PUBLIC_HIDE", name, "un champ parmi " + ", ".join(sorted(FIELDS))
            )
    return frozenset(FIELDS) - frozenset(hidden)
