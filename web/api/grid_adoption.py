"""A grid draft's adoption put to the COPIL's vote: on a session's agenda, voted by
the present voting members (never a consultant), decided by the session's chair —
the decision adopts the grid (``ledger.commands.grid_adoption``)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import fields, validate

from web.api import schemas as s
from web.api.commands import documented, ledger, run
from web.auth import requires

grid_votes = Blueprint(
    "api_grid_votes",
    __name__,
    url_prefix="/api/v1",
    description="Adoption d'une grille mise au vote du COPIL",
)
BLUEPRINTS = (grid_votes,)


class GridItemIn(s.Base):
    """The grid version whose adoption goes on the agenda."""

    number = fields.Integer(required=True, validate=validate.Range(min=1))


class GridVoteIn(s.Base):
    """A vote on adopting the grid: for (pour), against (contre), abstain."""

    choice = fields.String(
        required=True, validate=validate.OneOf(["for", "against", "abstain"])
    )


class GridDecisionIn(s.Base):
    """The COPIL's decision: adopted or not, why; a justification when it departs
    from the vote's majority."""

    adopted = fields.Boolean(required=True)
    rationale = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    justification = fields.String(load_default="", validate=validate.Length(max=4000))


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
