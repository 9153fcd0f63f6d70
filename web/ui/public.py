"""The citizens' pages (``/public``), open to everyone without signing in: the
adopted plan and its decided projects, each project, the COPIL's decisions, and the
signed checkpoint with how to verify it — as today or as of any past day
(``?date=AAAA-MM-JJ``). One response per page and language, shared by every visitor
(:mod:`web.cache`), that browsers and proxies may keep a minute."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Response, abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from projections import public as pub
from web import publication as pubw
from web.auth import public
from web.cache import cached_read
from web.formatting import label
from web.state import state
from web.ui.blueprint import bp

STATUS = {
    "planned": _l("Prévue"),
    "in_progress": _l("En cours"),
    "done": _l("Réalisée"),
    "cancelled": _l("Annulée"),
}


@bp.app_template_filter("public_status")
def public_status_label(value: str) -> str:
    return label(STATUS, value)


Reader = Callable[[Any, frozenset[str], date | None, int], Any]


def _error(message: str, status: int) -> Response:
    body = render_template("public_error.html", message=message, status=status)
    return Response(body, status=status)  # not kept: Cache-Control no-store


def _page(template: str, read: Reader, **context: Any) -> Response:
    """The page as of ``?date=``; a bad or future date: 400, in French, naming it;
    nothing published under that address: 404."""
    try:
        asked = pubw.day_asked(request.args.get("date"))
    except pubw.BadDate as exc:
        return _error(str(exc), 400)
    store, position = pubw.store_at(asked)
    shown = pubw.fields()
    found = read(store, shown, asked, position)
    if found is None:
        return _error(_("Cette page ne publie rien à cette adresse."), 404)
    body = render_template(
        template,
        asked=asked,
        position=position,
        fields=shown,
        data=found,
        date_arg={"date": asked.isoformat()} if asked else {},
        **context,
    )
    return pubw.public_headers(Response(body))


@bp.route("/public")
@public
@cached_read(shared=True)
def public_plan() -> Response:
    """The adopted plan: axes, decided projects with their status, budget per axis."""
    return _page("public_plan.html", lambda s, f, *_: pub.plan(s, f))


@bp.route("/public/projets/<code>")
@public
@cached_read(shared=True)
def public_project(code: str) -> Response:
    """One decided project: schedule, progress, milestones, budget, decisions."""
    return _page(
        "public_project.html", lambda s, f, *_: pub.project(s, code, f), code=code
    )


@bp.route("/public/decisions")
@public
@cached_read(shared=True)
def public_decisions() -> Response:
    """Every decision of the COPIL: date, outcome, vote counts, rationale; its
    decisions on adopting a value grid."""
    return _page(
        "public_decisions.html",
        lambda s, f, *_: {
            "decisions": pub.decisions(s, f),
            "grid_decisions": pub.grid_decisions(s, f),
        },
    )


@bp.route("/public/verifier")
@public
@cached_read(pubw.checkpoint_seq, shared=True)
def public_checkpoint() -> Response:
    """The latest signed checkpoint and how anyone can verify the ledger with it."""

    def read(
        _store: Any, shown: frozenset[str], asked: date | None, position: int
    ) -> dict[str, Any] | None:
        if "checkpoint" not in shown:
            return None
        return {"checkpoint": pubw.checkpoint(position, asked is None)}

    return _page("public_checkpoint.html", read)


@bp.route("/public/cle-publique.pem")
@public
def public_key() -> Response:
    """The public key that signs the checkpoints (PEM), for ``verifier.py --key``."""
    if "checkpoint" not in pubw.fields():
        abort(404)
    from ledger.integrity import public_key_json

    key = public_key_json(state().ledger)
    response = Response(
        key["pem"],
        mimetype="application/x-pem-file",
        headers={"Content-Disposition": 'attachment; filename="sdsi-cle-publique.pem"'},
    )
    return pubw.public_headers(response)
