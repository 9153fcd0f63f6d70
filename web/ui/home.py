"""Home: what this user can do now, in one screen."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_login import current_user

from domain.proposals import TO_EXECUTE, TRANSITIONS, Status
from projections import queries as q
from web.auth import requires
from web.cache import cached_read
from web.ui.blueprint import bp
from web.ui.context import store

SCORABLE = Status.names(TRANSITIONS["score"])
TO_EXECUTE_NAMES = Status.names(TO_EXECUTE)


def tasks_for(user: Any, st: Any) -> dict[str, Any]:
    """The to-do lists of each of the user's roles."""
    roles = user.roles
    out: dict[str, Any] = {}
    portfolio = q.portfolio(st)
    grids = q.grids(st)
    adopted = max(
        (g["number"] for g in grids if g["status"] == "adopted"), default=None
    )
    if "referent" in roles or "dsi" in roles:
        mine = (
            [p for p in portfolio if p["direction"] in user.directions]
            if "referent" in roles
            else []
        )
        out["my_proposals"] = mine
        out["drafts"] = [p for p in mine if p["status"] == "draft"]
    if "dsi" in roles:
        out["to_qualify"] = [p for p in portfolio if p["status"] == "submitted"]
        out["to_execute"] = [p for p in portfolio if p["status"] in TO_EXECUTE_NAMES]
    if "evaluator" in roles and adopted is not None:
        todo = []
        for p in portfolio:
            if p["status"] not in SCORABLE:
                continue
            doc = q.proposal(st, p["code"]) or {}
            mine = [
                k
                for k in doc.get("scores", {})
                if k.startswith(f"{doc['revision']}/{adopted}/")
                and k.endswith(f"/{user.username}")
            ]
            if not mine:
                todo.append(p)
        out["to_score"] = todo
        out["adopted_grid"] = adopted
    sessions = q.sessions(st)
    if "member" in roles:
        to_vote = []
        for s in sessions:
            if (
                s["status"] == "open"
                and user.username in s["voting"]
                and user.username in s["present"]
            ):
                pending = [
                    p
                    for p in s["agenda"]
                    if p not in s["decisions"]
                    and user.username not in s["votes"].get(p, {})
                ]
                if pending:
                    to_vote.append({"session": s, "items": pending})
        out["to_vote"] = to_vote
    if "chair" in roles:
        out["my_sessions"] = [
            s
            for s in sessions
            if s["status"] != "closed" and s["chair"] == user.username
        ]
        out["to_schedule"] = [
            p for p in portfolio if p["status"] in ("qualified", "deferred")
        ]
    if "finance" in roles:
        out["envelopes"] = q.envelopes(st)
        out["active_projects"] = [
            p
            for p in portfolio
            if p["ap"] is not None and p["status"] in TO_EXECUTE_NAMES
        ]
    if "auditor" in roles or "admin" in roles:
        from web.state import state

        out["views"] = state().read_model.status()
    if "admin" in roles:
        from web.ui.referential.index import checklist

        out["setup"] = checklist(st)
    return out


@bp.route("/")
@requires("home")
@cached_read()
def home() -> str:
    """What this user can do now."""
    return render_template("home.html", tasks=tasks_for(current_user, store()))
