"""The Référentiel's index: every kind of reference record, and the first run's
checklist (also on the administrator's home page) saying what a new municipality has
set up and linking to where the rest is done."""

from __future__ import annotations

from typing import Any

from flask import render_template, url_for
from flask_login import current_user

from projections import queries as q
from projections import reference_queries as rq
from web.auth import requires
from web.cache import cached_read
from web.i18n import N_
from web.ui.blueprint import bp
from web.ui.context import store

# The first run's checklist: item → (label, page, permission to open it, who does it).
CHECKLIST: tuple[tuple[str, str, str, str, str], ...] = (
    ("municipality", N_("Collectivité : nom, SIREN, code INSEE"), "ui.ref_municipality", "reference.view", "municipality.edit"),
    ("plan", N_("Plan et ses six phases"), "ui.ref_plan", "reference.view", "plan.edit"),
    ("organisation", N_("Organisation : pôles et directions"), "ui.ref_poles", "reference.view", "organisation.edit"),
    ("teams", N_("Équipes et capacités"), "ui.ref_teams", "reference.view", "organisation.edit"),
    ("strategy", N_("Axes stratégiques et indicateurs"), "ui.ref_axes", "reference.view", "strategy.edit"),
    ("grid", N_("Première grille d'évaluation (brouillon, puis adoptée)"), "ui.grids", "grid.view", "grid.edit"),
    ("accounts", N_("Comptes et rôles"), "ui.accounts", "admin.accounts", "admin.accounts"),
    ("committee", N_("Composition du COPIL"), "ui.ref_committee", "reference.view", "committee.edit"),
    ("budget", N_("Premières enveloppes budgétaires (BP)"), "ui.budget", "budget.view", "budget.edit"),
)  # fmt: skip


def checklist(st: Any) -> list[dict[str, Any]]:
    """The first run's items, each with its state, figures, page and who does it."""
    states = rq.setup_checklist(st)
    items = []
    for key, label, endpoint, view, edit in CHECKLIST:
        items.append({
            "key": key, "label": label, **states[key],
            "url": url_for(endpoint) if current_user.can(view) else None,
            "mine": current_user.can(edit),
        })  # fmt: skip
    return items


@bp.route("/referentiel")
@requires("reference.view")
@cached_read()
def referential() -> str:
    """Every kind of reference record, and what a new municipality has set up."""
    st = store()
    org = rq.organisation(st)
    return render_template(
        "referential.html",
        items=checklist(st),
        municipality=rq.municipality(st),
        plan=q.plan(st),
        org=org,
        axes=rq.axes(st),
        members=[m for m in rq.committee_members(st) if m["sitting"]],
    )
