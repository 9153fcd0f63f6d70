"""A grid draft's adoption put to the COPIL's vote: on a session's agenda, voted by
the present voting members (never a consultant), decided by the session's chair —
the decision adopts the grid (``ledger.commands.grid_adoption``) — and the decisions
so recorded, read like the decisions on proposals."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from projections.views.decisions.grid_queries import grid_decisions
from web.api import responses as r
from web.api.commands import documented, ledger, run
from web.api.grid_schemas import (
    GridDecisionIn,
    GridDecisionQuery,
    GridDecisions,
    GridItemIn,
    GridVoteIn,
)
from web.api.responses import errors
from web.auth import requires
from web.cache import cached_read
from web.state import state

grid_votes = Blueprint(
    "api_grid_votes",
    __name__,
    url_prefix="/api/v1",
    description="Adoption d'une grille mise au vote du COPIL",
)
BLUEPRINTS = (grid_votes,)


@grid_votes.route("/sessions/<code>/grids", methods=["POST"])
@grid_votes.arguments(GridItemIn)
@documented(grid_votes)
@requires("session.manage")
def put_grid_on_agenda(data: dict[str, Any], code: str) -> Any:
    """Put a grid draft's adoption on the session's agenda (its chair)."""
    return run(ledger().put_grid_on_agenda, code, data["number"])


@grid_votes.route("/sessions/<code>/grids/<int:number>/votes", methods=["POST"])
@grid_votes.arguments(GridVoteIn)
@documented(grid_votes)
@requires("session.vote")
def vote_on_grid(data: dict[str, Any], code: str, number: int) -> Any:
    """Vote on adopting the grid (present voting members; a new vote supersedes)."""
    return run(ledger().vote_on_grid, code, number, data["choice"])


@grid_votes.route("/sessions/<code>/grids/<int:number>/decision", methods=["POST"])
@grid_votes.arguments(GridDecisionIn)
@documented(grid_votes)
@requires("session.manage")
def decide_grid(data: dict[str, Any], code: str, number: int) -> Any:
    """The COPIL's decision on the grid (quorum required); adopted, it adopts the
    grid."""
    return run(
        ledger().decide_grid,
        code,
        number,
        data["adopted"],
        data["rationale"],
        data["justification"],
    )


@grid_votes.route("/grid-decisions")
@grid_votes.arguments(GridDecisionQuery, location="query")
@errors(grid_votes, *r.READ_ERRORS)
@grid_votes.response(200, GridDecisions)
@requires("decisions.view")
@cached_read()
def list_grid_decisions(args: dict[str, Any]) -> dict[str, Any]:
    """The COPIL's decisions on adopting a grid, oldest first (``session``,
    ``as_of``)."""
    store = state().read_model.at(args.get("as_of"))
    return {"decisions": grid_decisions(store, args.get("session"))}
