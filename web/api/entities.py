"""The entities a plan covers (the municipality, its CCAS, the intercommunality…),
the entity of a direction and a proposal's cost split — each command one ledger call
(``Idempotency-Key`` honoured), the list read with ``as_of``."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from projections import queries as q
from web.api import responses as r
from web.api import schemas as s
from web.api.commands import documented, ledger, run
from web.api.responses import errors
from web.auth import requires
from web.cache import cached_read
from web.state import state

entities = Blueprint(
    "api_entities",
    __name__,
    url_prefix="/api/v1",
    description=(
        "Entités du territoire : collectivité principale, CCAS, intercommunalité… "
        "avec leur SIREN ; entité d'une direction ; répartition du coût d'une fiche"
    ),
)
BLUEPRINTS = (entities,)


@entities.route("/entities")
@entities.arguments(s.AsOf, location="query")
@entities.response(200, r.Entities)
@errors(entities, *r.READ_ERRORS)
@requires("reference.view")
@cached_read()
def entity_list(args: dict[str, Any]) -> dict[str, Any]:
    """The entities: the municipality first (code ``principale``), then the others."""
    store = state().read_model.at(args.pop("as_of", None))
    return {"entities": q.entities(store)}


@entities.route("/entities", methods=["POST"])
@entities.arguments(s.EntityIn)
@documented(entities)
@requires("organisation.edit")
def declare_entity(data: dict[str, Any]) -> Any:
    """Declare an entity with its kind and SIREN (Luhn key checked)."""
    return run(
        ledger().declare_entity,
        data["code"],
        data["name"],
        data["kind"],
        data["siren"],
        reason=data["reason"],
    )


@entities.route("/entities/<code>", methods=["PUT"])
@entities.arguments(s.EntityChange)
@documented(entities)
@requires("organisation.edit")
def change_entity(data: dict[str, Any], code: str) -> Any:
    """Change an entity's name, kind or SIREN (reason required)."""
    return run(
        ledger().change_entity,
        code,
        data["name"],
        data["kind"],
        data["siren"],
        reason=data["reason"],
    )


@entities.route("/entities/<code>/close", methods=["POST"])
@entities.arguments(s.RequiredReason)
@documented(entities)
@requires("organisation.edit")
def close_entity(data: dict[str, Any], code: str) -> Any:
    """Close an entity (reason required): it receives nothing new."""
    return run(ledger().close_entity, code, reason=data["reason"])


@entities.route("/organisation/directions/<code>/entity", methods=["POST"])
@entities.arguments(s.DirectionEntity)
@documented(entities)
@requires("organisation.edit")
def assign_direction_entity(data: dict[str, Any], code: str) -> Any:
    """Attach a direction to another entity (reason required)."""
    return run(
        ledger().assign_direction_entity, code, data["entity"], reason=data["reason"]
    )


@entities.route("/proposals/<code>/cost-split", methods=["PUT"])
@entities.arguments(s.CostSplitIn)
@documented(entities)
@requires("proposal.split")
def set_cost_split(data: dict[str, Any], code: str) -> Any:
    """Share a proposal's cost between entities (percentages summing to 100, the
    amounts split to the cent by the largest remainder), before its approval."""
    return run(ledger().set_cost_split, code, data["shares"], reason=data["reason"])
