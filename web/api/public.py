"""The citizens' pages as JSON (``/api/v1/public/…``): no authentication, the same
published fields as ``/public``, as of any past day (``date``)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from ledger.integrity import public_key_json
from projections import public as pub
from web import publication as pubw
from web.api import public_schemas as ps
from web.api.responses import errors
from web.auth import public
from web.cache import cached_read
from web.errors import api_error
from web.state import state

blp = Blueprint(
    "api_public",
    __name__,
    url_prefix="/api/v1/public",
    description="Espace public (sans authentification) : le plan, les projets "
    "décidés, les décisions du COPIL, le point de contrôle signé",
)
BLUEPRINTS = (blp,)
HEADERS = {
    "Cache-Control": {
        "description": f"public, max-age={pubw.MAX_AGE}",
        "schema": {"type": "string"},
    }
}
VERIFY = (
    "Téléchargez la clé publique (/public/cle-publique.pem), enregistrez la note "
    "signée dans note.txt, obtenez l'export du registre et verifier.py auprès de la "
    "collectivité, puis lancez : python verifier.py registre.zip --key "
    "sdsi-cle-publique.pem --checkpoint note.txt (voir docs/integrity.md)."
)


def _read(args: dict[str, Any], read: Any) -> Any:
    """``read(store, fields, asked, position)`` as of ``date``; a bad or future
    date: 422 naming it; nothing published there: 404."""
    try:
        asked = pubw.day_asked(args.get("date"))
    except pubw.BadDate as exc:
        return api_error(422, message=str(exc), details={"date": [str(exc)]})
    store, position = pubw.store_at(asked)
    found = read(store, pubw.fields(), asked, position)
    if found is None:
        return api_error(404)
    headers = {
        "Cache-Control": f"public, max-age={pubw.MAX_AGE}",
        "Vary": "Accept-Language",
    }
    return found, 200, headers


@blp.route("/plan")
@blp.doc(security=[])
@blp.arguments(ps.PublicQuery, location="query")
@blp.response(200, ps.PublicPlan, headers=HEADERS)
@errors(blp, 422, 503)
@public
@cached_read(shared=True)
def plan(args: dict[str, Any]) -> Any:
    """The adopted plan: its axes with their decided projects (status prévue / en cours / réalisée), counts per status, budget voted and spent per axis and year."""
    return _read(args, lambda s, f, *_: pub.plan(s, f))


@blp.route("/projects/<code>")
@blp.doc(security=[])
@blp.arguments(ps.PublicQuery, location="query")
@blp.response(200, ps.PublicProjectDetail, headers=HEADERS)
@errors(blp, 404, 422, 503)
@public
@cached_read(shared=True)
def project(args: dict[str, Any], code: str) -> Any:
    """One decided project: schedule, progress, milestones, budget per year, decisions."""
    return _read(args, lambda s, f, *_: pub.project(s, code, f))


@blp.route("/decisions")
@blp.doc(security=[])
@blp.arguments(ps.PublicQuery, location="query")
@blp.response(200, ps.PublicDecisions, headers=HEADERS)
@errors(blp, 422, 503)
@public
@cached_read(shared=True)
def decisions(args: dict[str, Any]) -> Any:
    """The COPIL's decisions, newest first: date, outcome, vote counts, rationale;
    its decisions on adopting a value grid beside them."""
    return _read(args, _decisions)


def _decisions(store: Any, fields: Any, *_: Any) -> dict[str, Any]:
    return {
        "decisions": pub.decisions(store, fields),
        "grid_decisions": pub.grid_decisions(store, fields),
    }


@blp.route("/checkpoint")
@blp.doc(security=[])
@blp.arguments(ps.PublicQuery, location="query")
@blp.response(200, ps.PublicIntegrity, headers=HEADERS)
@errors(blp, 404, 422, 503)
@public
@cached_read(pubw.checkpoint_seq, shared=True)
def checkpoint(args: dict[str, Any]) -> Any:
    """The latest signed checkpoint (as of ``date``), the public key, how to verify."""

    def read(_s: Any, shown: frozenset[str], asked: Any, position: int) -> Any:
        if "checkpoint" not in shown:
            return None
        return {
            "checkpoint": pubw.checkpoint(position, asked is None),
            "public_key_pem": public_key_json(state().ledger)["pem"],
            "how_to_verify": VERIFY,
        }

    return _read(args, read)
