"""The discussion's request and response schemas (the API's operations and the UI's
forms load the same ones)."""

from __future__ import annotations

from marshmallow import fields, validate

from domain.discussion import MAX_BODY, MAX_REASON, CommentKind
from domain.values import Family
from web.api import responses as r
from web.api import schemas as s

# --- request schemas -------------------------------------------------------------------


class PropositionIn(s.Base):
    """A criterion proposed for a grid draft."""

    criterion_label = fields.String(
        required=True, validate=validate.Length(min=1, max=200)
    )
    criterion_code = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=40)
    )
    family = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf([f.value for f in Family]),
    )
    weight = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=20),
        metadata={"description": 'Poids proposé en % (ex. "15" ou "12.5")'},
    )
    scale = fields.List(
        fields.Dict(),
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=20),
        metadata={
            "description": "Descripteurs proposés : "
            '[{"level": 1, "descriptor": "…"}, …] (niveaux consécutifs)'
        },
    )


BODY = validate.Length(min=1, max=MAX_BODY)


def names_field() -> fields.List:
    """The flag « this text names persons »: their logins (docs/privacy.md)."""
    return fields.List(
        fields.String(validate=validate.Length(min=1, max=80)),
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=20),
        metadata={
            "description": "Identifiants des personnes que le texte nomme : il est"
            " alors chiffré sous leurs clés et lu « personne effacée » après"
            " l'effacement de l'une d'elles (RGPD). À la modification, absent :"
            " les personnes du texte actuel ; [] : aucune"
        },
    )


class CommentIn(s.Base):
    """A new comment, question or (on a grid draft) proposition."""

    kind = fields.String(
        load_default=CommentKind.COMMENT.value,
        validate=validate.OneOf([k.value for k in CommentKind]),
    )
    body = fields.String(required=True, validate=BODY)
    internal = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Interne : lu par la DSI, les évaluateurs, la présidence"
        },
    )
    proposition = fields.Nested(PropositionIn, load_default=None, allow_none=True)
    names = names_field()


class BodyIn(s.Base):
    """A reply, or the new text of one's own comment."""

    body = fields.String(required=True, validate=BODY)
    names = names_field()


class HideIn(s.Base):
    """Why the chair hides a comment (shown instead of it)."""

    reason = fields.String(
        required=True, validate=validate.Length(min=1, max=MAX_REASON)
    )


class AcceptIn(s.Base):
    """The chair takes a proposition into the draft: the criterion as adjusted, or
    nothing to take the proposition as it is over the draft's criterion of the same
    code."""

    criterion = fields.Dict(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "Critère complet (code, label, family, weight, scale, "
            "axis, indicator) ; absent : la proposition telle quelle"
        },
    )


class DeclineIn(s.Base):
    """Why the chair declines a proposition (shown on it)."""

    reason = fields.String(
        required=True, validate=validate.Length(min=1, max=MAX_REASON)
    )


class AnswerIn(s.Base):
    """Nothing to send: the question is marked answered."""


# --- response schemas ------------------------------------------------------------------


class Version(r.Out):
    body = r.Str()
    at = r.Str()


class CommentOut(r.Out):
    id = r.Str()
    subject_kind = r.Str()
    subject_id = r.Str()
    parent = r.Opt()
    author = r.Str()
    kind = r.Str()
    internal = fields.Boolean()
    body = r.Opt(metadata={"description": "Absent (null) si masqué"})
    proposition = fields.Dict(allow_none=True)
    edited = fields.Boolean()
    names_flagged = fields.Integer(
        metadata={"description": "Nombre de personnes que le texte nomme (chiffré)"}
    )
    history = fields.List(fields.Nested(Version))
    answered = fields.Boolean()
    answered_by = r.Opt()
    answered_at = r.Opt()
    hidden = fields.Boolean()
    hidden_by = r.Opt()
    hidden_at = r.Opt()
    hidden_reason = r.Opt()
    at = r.Str()
    edited_at = r.Opt()
    position = r.Int()
    settled = fields.Dict(
        allow_none=True,
        metadata={
            "description": "Proposition retenue (outcome accepted, criterion) ou "
            "écartée (outcome declined, reason) par la présidence"
        },
    )


class Thread(CommentOut):
    replies = fields.List(fields.Nested(CommentOut))


class Discussion(r.Out):
    subject_kind = r.Str()
    subject_id = r.Str()
    comments = r.Int()
    open_questions = r.Int()
    threads = fields.List(fields.Nested(Thread))
