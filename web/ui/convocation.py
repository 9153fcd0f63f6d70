"""The COPIL convocation from a convened session's page: the chair (or the DSI)
gives the hours and the place; each member with an e-mail address receives the
agenda, a link and an ``.ics`` invitation (``web.convocation``); the members without
an address are named on the page."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from projections import queries as q
from web import convocation
from web.api import schemas as s
from web.auth import requires
from web.state import state
from web.ui.actions import run_action
from web.ui.blueprint import bp
from web.ui.forms import scalars
from web.ui.sessions import Page, _session_page


@bp.route("/seances/<code>/convocation", methods=["POST"])
@requires("session.convocation")
def send_convocation(code: str) -> Response | Page:
    """Send (or send again) the convocation of a session not yet open."""
    data = scalars(request.form, "starts", "ends", "place")
    result, errors, status = run_action(
        s.ConvocationIn(),
        data,
        lambda c, d: convocation.send(c, code, d["starts"], d["ends"], d["place"]),
    )
    if result is None:
        return _session_page(code, "convocation", errors, status)
    sent = len(result["recipients"])
    flash(
        _(
            "Convocation envoyée à %(num)s membre(s) (courriel avec l'ordre du jour "
            "et l'invitation).",
            num=sent,
        ),
        "success",
    )
    missing = result["without_email"]
    if missing:
        names = {
            a["username"]: a["display_name"]
            for a in q.accounts(state().read_model.store)
        }
        flash(
            _(
                "Sans adresse électronique, donc sans courriel : %(names)s.",
                names=", ".join(names.get(m, m) for m in missing),
            ),
            "info",
        )
    return redirect(url_for("ui.session", code=code, _anchor="convocation"))
