"""The request schemas of a grid's adoption put to the COPIL's vote (the API's
operations and the session page's forms load the same ones)."""

from __future__ import annotations

from marshmallow import fields, validate

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
