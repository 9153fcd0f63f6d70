"""The grid built together (issue 20): the chair's consolidation of the
propositions on a grid draft's discussion (accept into the draft, or decline with a
reason), and the grid's adoption put to a COPIL session's vote (on the agenda, the
members' votes, the decision that adopts it). A refused form shows the page again
with its errors."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from web.api import discussion_schemas as api
from web.api import grid_schemas as votes_api
from web.auth import requires
from web.state import state
from web.ui.actions import run_action
from web.ui.blueprint import bp
from web.ui.discussion import _act
from web.ui.forms import scalars


@bp.route("/grille/<int:number>/discussion/<comment_id>/retenir", methods=["POST"])
@requires("grid.consolidate")
def accept_grid_comment(number: int, comment_id: str) -> Any:
    """Take a proposition into the grid draft as proposed (the chair)."""
    return _act(
        "grid",
        number,
        f"accept-{comment_id}",
        api.AcceptIn(),
        {},
        lambda c, d: state().ledger.accept_proposition(c, number, comment_id),
        _("Proposition retenue dans le brouillon de la grille."),
    )


@bp.route("/grille/<int:number>/discussion/<comment_id>/ecarter", methods=["POST"])
@requires("grid.consolidate")
def decline_grid_comment(number: int, comment_id: str) -> Any:
    """Decline a proposition of the grid draft, with a reason (the chair)."""
    return _act(
        "grid",
        number,
        f"decline-{comment_id}",
        api.DeclineIn(),
        scalars(request.form, "reason"),
        lambda c, d: state().ledger.decline_proposition(c, number, comment_id),
        _("Proposition écartée ; le motif est affiché sur la proposition."),
    )


# --- the grid's adoption put to the COPIL's vote ----------------------------------------


def _session_done(code: str, message: str) -> Response:
    flash(message, "success")
    return redirect(url_for("ui.session", code=code, _anchor="grids"))


def _session_act(
    code: str, failed: str, schema: Any, data: dict[str, Any], send: Any, message: str
) -> Any:
    from web.ui.sessions import _session_page

    result, errors, status = run_action(schema, data, send)
    if result is None:
        return _session_page(code, failed, errors, status)
    return _session_done(code, message)


@bp.route("/seances/<code>/grilles", methods=["POST"])
@requires("session.manage")
def put_grid_on_agenda(code: str) -> Any:
    """Put a grid draft's adoption on the session's agenda."""
    return _session_act(
        code,
        "grid-item",
        votes_api.GridItemIn(),
        scalars(request.form, "number"),
        lambda c, d: state().ledger.put_grid_on_agenda(c, code, d["number"]),
        _("Adoption de la grille inscrite à l'ordre du jour."),
    )


@bp.route("/seances/<code>/grilles/<int:number>/vote", methods=["POST"])
@requires("session.vote")
def vote_on_grid(code: str, number: int) -> Any:
    """Vote on adopting the grid."""
    return _session_act(
        code,
        f"grid-vote-{number}",
        votes_api.GridVoteIn(),
        scalars(request.form, "choice"),
        lambda c, d: state().ledger.vote_on_grid(c, code, number, d["choice"]),
        _("Vote enregistré."),
    )


@bp.route("/seances/<code>/grilles/<int:number>/decision", methods=["POST"])
@requires("session.manage")
def decide_grid(code: str, number: int) -> Any:
    """The COPIL's decision on adopting the grid."""
    data = scalars(request.form, "adopted", "rationale", "justification")
    return _session_act(
        code,
        f"grid-decision-{number}",
        votes_api.GridDecisionIn(),
        data,
        lambda c, d: state().ledger.decide_grid(
            c, code, number, d["adopted"], d["rationale"], d["justification"]
        ),
        _("Décision enregistrée."),
    )


@bp.app_template_global("grid_items_of")
def grid_items_of(session: dict[str, Any]) -> dict[str, Any]:
    """The session page's grid items: per grid version put to the vote, its tally,
    the signed-in member's vote and the decision; and the drafts the chair may put
    on the agenda."""
    from flask_login import current_user

    from projections import queries as q
    from web.ui.context import store

    me = current_user.username
    items = []
    for number, item in sorted(
        session.get("grid_items", {}).items(), key=lambda kv: int(kv[0])
    ):
        choices = [v["choice"] for v in item["votes"].values()]
        items.append(
            {
                "number": int(number),
                "tally": {c: choices.count(c) for c in ("for", "against", "abstain")},
                "my_vote": item["votes"].get(me),
                "decision": item["decision"],
            }
        )
    listed = {i["number"] for i in items}  # a draft is put to the vote once a session
    drafts = [
        (str(g["number"]), f"v{g['number']} — {g['label']}")
        for g in q.grids(store())
        if g["status"] == "draft" and g["number"] not in listed
    ]
    return {"items": items, "drafts": drafts}
