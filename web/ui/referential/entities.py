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
    ("ccas", N_("CCAS")),
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
