"""The entities of the territory in the Référentiel: the municipality and the other
legal entities the plan covers (CCAS, intercommunality…), each with its SIREN and its
directions; forms to declare one and to attach a direction to an entity."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask_babel import gettext as _

from domain.errors import AlreadyExists, NotFound
from projections import queries as q
from projections import reference_queries as rq
from web.api import schemas as s
from web.i18n import N_
from web.ui.context import store
from web.ui.formhelp import on_fields
from web.ui.forms import scalars
from web.ui.referential.flows import act, led, page, post, shown


def _context() -> dict[str, Any]:
    st = store()
    directions = [d for d in rq.organisation(st)["directions"] if d["status"] == "open"]
    entities = q.entities(st)
    by_entity: dict[str, list[dict[str, Any]]] = {e["code"]: [] for e in entities}
    for d in directions:
        by_entity.setdefault(d.get("entity") or entities[0]["code"], []).append(d)
    return {
        "entities": entities,
        "directions": directions,
        "by_entity": by_entity,
        "kinds": [(k, _(label)) for k, label in KINDS],
    }


KINDS = (
    ("commune", N_("Commune")),
    ("ccas", N_("CCAS (centre communal d'action sociale)")),
    ("epci", N_("EPCI (intercommunalité)")),
    ("syndicat", N_("Syndicat")),
    ("autre", N_("Autre")),
)

_entities_page = page("ref_entities.html", _context)


@shown("/referentiel/entites")
def ref_entities() -> Any:
    """The entities of the territory, their SIREN and directions."""
    return _entities_page()


@post("/referentiel/entites", "organisation.edit")
def declare_entity() -> Any:
    """Declare an entity (code, name, kind, SIREN)."""
    return act(
        _entities_page,
        "declare",
        s.EntityIn(),
        scalars(request.form, "code", "name", "kind", "siren", "reason"),
        on_fields(
            lambda c, d: led().declare_entity(
                c, d["code"], d["name"], d["kind"], d["siren"]
            ),
            {AlreadyExists: "code"},
        ),
        _("Entité enregistrée."),
        url_for("ui.ref_entities"),
    )


@post("/referentiel/entites/direction", "organisation.edit")
def assign_direction_entity() -> Any:
    """Attach a direction to an entity (reason required)."""
    return act(
        _entities_page,
        "assign",
        s.DirectionEntity(),
        scalars(request.form, "entity", "reason"),
        on_fields(
            lambda c, d: led().assign_direction_entity(
                c, request.form.get("direction", ""), d["entity"]
            ),
            {NotFound: "entity"},
        ),
        _("Direction rattachée."),
        url_for("ui.ref_entities"),
    )


def _entity_code() -> str:
    return request.form.get("code", "").strip()


@post("/referentiel/entites/modifier", "organisation.edit")
def change_entity() -> Any:
    """Change an entity's name, kind or SIREN (reason required)."""
    return act(
        _entities_page,
        "change",
        s.EntityChange(),
        scalars(request.form, "name", "kind", "siren", "reason"),
        on_fields(
            lambda c, d: led().change_entity(
                c, _entity_code(), d["name"], d["kind"], d["siren"]
            ),
            {NotFound: "name"},
        ),
        _("Entité modifiée."),
        url_for("ui.ref_entities"),
    )


@post("/referentiel/entites/fermer", "organisation.edit")
def close_entity() -> Any:
    """Close an entity (reason required)."""
    return act(
        _entities_page,
        "close",
        s.RequiredReason(),
        scalars(request.form, "reason"),
        on_fields(
            lambda c, d: led().close_entity(c, _entity_code()),
            {NotFound: "reason"},
        ),
        _("Entité fermée."),
        url_for("ui.ref_entities"),
    )


@post("/referentiel/entites/repartition", "proposal.split")
def set_cost_split() -> Any:
    """Share a proposal's cost between the entities: one percentage per entity
    (empty: no share), summing to 100; none at all: back to its direction's."""
    proposal = request.form.get("proposal", "").strip()
    shares = [
        {"entity": e["code"], "percent": request.form.get(f"share-{e['code']}", "")}
        for e in q.entities(store())
        if request.form.get(f"share-{e['code']}", "").strip()
    ]
    return act(
        _entities_page,
        "split",
        s.CostSplitIn(),
        {"shares": shares, **scalars(request.form, "reason")},
        on_fields(
            lambda c, d: led().set_cost_split(c, proposal, d["shares"]),
            {NotFound: "proposal"},
        ),
        _("Répartition enregistrée."),
        url_for("ui.ref_entities"),
    )
