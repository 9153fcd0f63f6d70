"""Schemas of the document review endpoints (phase 2): requests refuse unknown
fields; responses declare the view's keys."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from domain.reviewed_documents import MAX_AXES, MAX_CITED, ReviewedKind
from web.api.responses import DATE, TIME, Int, Opt, Out, Str, Strs
from web.api.schemas import (
    AsOf,
    Base,
    IsoDate,
    OptionalReason,
    RequiredReason,
    Searched,
)

CODE = validate.Regexp(r"^[A-Za-z0-9_.\-]{1,40}$", error="Code : 1 à 40 caractères.")
KINDS = [k.value for k in ReviewedKind]
STATUSES = ["current", "withdrawn", "all"]


__all__ = ["RequiredReason"]  # the withdraw body


def Cited(**kw: Any) -> fields.List:
    """The documents of the register a proposal or a finding cites."""
    kw.setdefault(
        "metadata", {"description": "Codes des documents de la revue (DOC-001…)"}
    )
    return fields.List(
        fields.String(validate=CODE), validate=validate.Length(max=MAX_CITED), **kw
    )


class Description(Base):
    """A reviewed document's description."""

    kind = fields.String(
        required=True,
        validate=validate.OneOf(KINDS),
        metadata={"description": "plan, audit, study, contract, report, "
                  "deliberation, note ou other"},
    )  # fmt: skip
    date = IsoDate(required=True, metadata=DATE)
    author = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Organisme ou personne (texte libre)"},
    )
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    summary = fields.String(load_default="", validate=validate.Length(max=4000))
    axes = fields.List(
        fields.String(validate=CODE),
        load_default=list,
        validate=validate.Length(max=MAX_AXES),
        metadata={"description": "Codes des axes stratégiques que le document éclaire"},
    )


class DocumentIn(Description, OptionalReason):
    pass


class DocumentChange(Description, RequiredReason):
    pass


class FindingDocumentsIn(OptionalReason):
    documents = Cited(required=True)


class RegisterQuery(AsOf, Searched):
    kind = fields.String(load_default=None, validate=validate.OneOf(KINDS))
    axis = fields.String(load_default=None, validate=validate.Length(max=40))
    status = fields.String(load_default="current", validate=validate.OneOf(STATUSES))


# --- responses -------------------------------------------------------------------------


class DocumentOut(Out):
    code = Str()
    kind = Str()
    date = Str(metadata=DATE)
    author = Str()
    title = Str()
    summary = Str()
    axes = Strs()
    status = Str()
    actor = Str()
    registered_at = Str(metadata=TIME)
    changed_at = Str(metadata=TIME)
    withdrawn_at = Opt(metadata=TIME)
    withdrawn_reason = Opt()
    proposals = Strs(metadata={"description": "Fiches projet qui citent le document"})
    findings = Strs(metadata={"description": "Constats qui citent le document"})


class DocumentHistoryEntry(Out):
    position = Int()
    event = Str(metadata={"description": "registered, changed ou withdrawn"})
    actor = Str()
    reason = Opt()
    at = Str(metadata=TIME)
    detail = fields.Dict(keys=fields.String(), values=fields.Raw())


class DocumentRecord(DocumentOut):
    history = fields.List(fields.Nested(DocumentHistoryEntry))


class Register(Out):
    documents = fields.List(fields.Nested(DocumentOut))
