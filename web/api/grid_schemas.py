"""The schemas of a grid's adoption put to the COPIL's vote: the requests (the API's
operations and the session page's forms load the same ones) and the decisions read."""

from __future__ import annotations

from marshmallow import fields, validate

from web.api import responses as r
from web.api import schemas as s


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


class GridDecisionQuery(s.AsOf):
    session = fields.String(
        load_default=None, metadata={"description": "Seulement cette séance"}
    )


class GridDecisionOut(r.Out):
    """A COPIL decision on adopting a grid version."""

    session = r.Str()
    session_date = r.Opt(metadata=r.DATE)
    number = r.Int(metadata={"description": "Version de la grille"})
    adopted = fields.Boolean()
    rationale = r.Str()
    justification = r.Str()
    votes_for = r.Int()
    votes_against = r.Int()
    abstentions = r.Int()
    present_voting = r.Int()
    quorum_required = r.Int()
    chair = r.Str()
    decided_at = r.Str(metadata=r.TIME)
    position = r.Int()


class GridDecisions(r.Out):
    decisions = fields.List(fields.Nested(GridDecisionOut))
