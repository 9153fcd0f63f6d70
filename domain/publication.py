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
    "project.scores": "les scores consolidés (valeur, risque) de chaque décision",
}

# What each field withholds in the open data (``/donnees-ouvertes``): the columns it
# empties, per dataset (the column stays, so the file still matches its schema;
# none of them is required by its schema), and the datasets it removes whole
# (a dataset that is nothing but the withheld field, or whose required columns are).
OPEN_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "project.direction": {
        "projets": ("direction", "direction_libelle", "pole", "pole_libelle"),
        "decisions": ("direction", "direction_libelle", "pole", "pole_libelle"),
        "budget": ("direction", "direction_libelle", "pole", "pole_libelle"),
    },
    "project.progress": {"projets": ("avancement",)},
    "project.budget": {
        "projets": ("ap_accordee", "premiere_annee", "derniere_annee"),
        "decisions": ("ap_accordee", "cp_accordes"),
    },
    "budget.axes": {"budget": ("axe", "axe_libelle")},
    "decision.rationale": {
        "decisions": ("motif", "justification_ecart"),
        "decisions-grille": ("motif", "justification_ecart"),
    },
    "decision.conditions": {"decisions": ("conditions",)},
    "decision.votes": {
        "decisions": ("votes_pour", "votes_contre", "abstentions", "ecart_majorite"),
        "decisions-grille": ("pour", "contre", "abstention"),
        "deliberations": ("VOTE_POUR", "VOTE_CONTRE", "VOTE_ABSTENTION"),
    },
    "project.scores": {"decisions": ("valeur", "risque")},
}
OPEN_DATASETS: dict[str, tuple[str, ...]] = {
    "project.budget": ("budget",),
    "decision.votes": ("votes",),
    "checkpoint": ("points-de-controle",),
}


def withheld_columns(hidden: Iterable[str], dataset: str) -> frozenset[str]:
    """The columns of open-data ``dataset`` emptied when ``hidden`` are withheld."""
    return frozenset(
        column
        for name in hidden
        for column in OPEN_COLUMNS.get(name, {}).get(dataset, ())
    )


def withheld_datasets(hidden: Iterable[str]) -> frozenset[str]:
    """The open-data datasets not published when ``hidden`` are withheld."""
    return frozenset(d for name in hidden for d in OPEN_DATASETS.get(name, ()))


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
