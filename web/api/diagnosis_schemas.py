"""Schemas of the diagnosis endpoints (inventory, assessments, findings, proposals'
links): requests refuse unknown fields; responses declare the views' keys."""

from __future__ import annotations

from marshmallow import fields, validate

from domain.findings import FindingKind, LinkEffect
from domain.inventory import SCALES, InventoryKind
from web.api import responses as r
from web.api.document_review_schemas import Cited
from web.api.responses import DATE, TIME, Dec, Int, Opt, OptInt, Out, Str, Strs
from web.api.schemas import (
    AsOf,
    Base,
    IsoDate,
    Money,
    OptionalReason,
    RequiredReason,
)

__all__ = ["RequiredReason"]  # the withdraw and retire bodies

CODE = validate.Regexp(r"^[A-Za-z0-9_.\-]{1,40}$", error="Code : 1 à 40 caractères.")


def _scale(name: str) -> dict[str, str]:
    levels = ", ".join(f"{k} {v}" for k, v in SCALES[name].items())
    return {"description": f"Niveau de 1 à 4 : {levels}"}


def Level(name: str) -> fields.Integer:
    return fields.Integer(
        required=True, validate=validate.Range(1, 4), metadata=_scale(name)
    )


class Description(Base):
    """A component's description (the inventory's columns)."""

    kind = fields.String(
        load_default="application",
        validate=validate.OneOf([k.value for k in InventoryKind]),
    )
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    direction = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=40),
        metadata={"description": "Code de la direction propriétaire"},
    )  # fmt: skip
    supplier = fields.String(load_default="", validate=validate.Length(max=200))
    technology = fields.String(load_default="", validate=validate.Length(max=200))
    product_version = fields.String(load_default="", validate=validate.Length(max=60))
    end_of_support = IsoDate(load_default=None, allow_none=True, metadata=DATE)
    users = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(0, 10_000_000)
    )
    annual_cost = Money(load_default="0.00")
    criticality = Level("criticality")


class ApplicationIn(Description, OptionalReason):
    code = fields.String(required=True, validate=CODE)


class ApplicationChange(Description, RequiredReason):
    pass


class InventoryLine(Description):
    code = fields.String(required=True, validate=CODE)


class InventoryImport(OptionalReason):
    lines = fields.List(
        fields.Nested(InventoryLine),
        required=True,
        validate=validate.Length(min=1, max=2000),
        metadata={
            "description": "Les composants : un nouveau est inscrit, un différent est "
            "modifié, un identique ne change rien ; tout ou rien"
        },
    )


class DsiAssessmentIn(OptionalReason):
    technical_state = Level("technical_state")
    risk = Level("risk")
    obsolescence = Level("obsolescence")
    comment = fields.String(load_default="", validate=validate.Length(max=2000))


class UseAssessmentIn(OptionalReason):
    satisfaction = Level("satisfaction")
    coverage = Level("coverage")
    comment = fields.String(load_default="", validate=validate.Length(max=2000))


class FindingIn(OptionalReason):
    kind = fields.String(
        required=True, validate=validate.OneOf([k.value for k in FindingKind])
    )
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    statement = fields.String(load_default="", validate=validate.Length(max=4000))
    applications = fields.List(
        fields.String(validate=CODE),
        load_default=list,
        validate=validate.Length(max=50),
    )
    assessments = fields.List(
        fields.String(validate=validate.Length(max=100)),
        load_default=list,
        validate=validate.Length(max=50),
        metadata={"description": "APPLICATION:dsi:N ou APPLICATION:DIRECTION:N"},
    )
    suggestion = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=120),
        metadata={"description": "Clé de la suggestion confirmée (facultatif)"},
    )  # fmt: skip
    documents = Cited(load_default=list)


class LinksIn(OptionalReason):
    applications = fields.Dict(
        keys=fields.String(validate=CODE),
        values=fields.String(validate=validate.OneOf([e.value for e in LinkEffect])),
        load_default=dict,
        validate=validate.Length(max=50),
        metadata={"description": "Code d'application → replaces | changes"},
    )
    findings = fields.List(
        fields.String(validate=CODE),
        load_default=list,
        validate=validate.Length(max=50),
    )
    documents = Cited(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "Codes des documents de la revue documentaire cités ; "
            "absent ou null : inchangés"
        },
    )


class InventoryQuery(AsOf):
    kind = fields.String(
        load_default=None, validate=validate.OneOf([k.value for k in InventoryKind])
    )
    direction = fields.String(load_default=None, validate=validate.Length(max=40))
    criticality = fields.Integer(load_default=None, validate=validate.Range(1, 4))
    q = fields.String(load_default=None, validate=validate.Length(max=100))
    status = fields.String(
        load_default="current", validate=validate.OneOf(["current", "retired", "all"])
    )
    risk = fields.Boolean(load_default=False)


class FindingsQuery(AsOf):
    status = fields.String(
        load_default="current",
        validate=validate.OneOf(["current", "withdrawn", "all"]),
    )


# --- responses -------------------------------------------------------------------------


class DsiView(Out):
    technical_state = Int()
    risk = Int()
    obsolescence = Int()
    comment = Str()
    number = Int(metadata={"description": "Rang de l'évaluation (1 = la première)"})
    actor = Str()
    at = Str(metadata=TIME)


class UseView(Out):
    satisfaction = Int()
    coverage = Int()
    comment = Str()
    number = Int()
    actor = Str()
    at = Str(metadata=TIME)


class ApplicationOut(Out):
    code = Str()
    kind = Str()
    name = Str()
    direction = Opt()
    supplier = Str()
    technology = Str()
    product_version = Str()
    end_of_support = Opt(metadata=DATE)
    users = OptInt()
    annual_cost = Dec()
    criticality = Int()
    retired = fields.Boolean()
    retired_at = Opt(metadata=TIME)
    dsi = fields.Nested(DsiView, allow_none=True)
    directions = r.MapOf(UseView)
    risks = Strs(
        metadata={
            "description": "Risques d'obsolescence : support_ended, support_ending, "
            "obsolescence_high"
        }
    )


class HistoryEntry(Out):
    position = Int()
    event = Str()
    assessor = Str()
    actor = Str()
    reason = Opt()
    at = Str(metadata=TIME)
    detail = r.AnyDict()


class ProposalEffect(Out):
    proposal = Str()
    effect = Str()


class FindingOut(Out):
    code = Str()
    kind = Str()
    title = Str()
    statement = Str()
    applications = Strs()
    assessments = Strs()
    suggestion = Opt()
    status = Str()
    actor = Str()
    at = Str(metadata=TIME)
    withdrawn_at = Opt(metadata=TIME)
    withdrawn_reason = Opt()
    proposals = Strs()
    documents = Strs(metadata={"description": "Documents de la revue cités"})


class ApplicationRecord(ApplicationOut):
    history = fields.List(fields.Nested(HistoryEntry))
    dsi_history = fields.List(fields.Nested(HistoryEntry))
    direction_history = fields.Dict(
        keys=fields.String(), values=fields.List(fields.Nested(HistoryEntry))
    )
    findings = fields.List(fields.Nested(FindingOut))
    proposals = fields.List(fields.Nested(ProposalEffect))


class Inventory(Out):
    applications = fields.List(fields.Nested(ApplicationOut))


class Findings(Out):
    findings = fields.List(fields.Nested(FindingOut))


class SuggestionOut(Out):
    key = Str()
    kind = Str()
    application = Str()
    title = Str()
    statement = Str()
    assessments = Strs()


class Suggestions(Out):
    suggestions = fields.List(fields.Nested(SuggestionOut))


class RiskOut(Out):
    code = Str()
    name = Str()
    direction = Opt()
    criticality = Int()
    end_of_support = Opt(metadata=DATE)
    obsolescence = OptInt()
    risks = Strs()


class UncoveredRisks(Out):
    risks = fields.List(fields.Nested(RiskOut))


class LinksOut(Out):
    proposal = Str()
    applications = r.AnyDict(metadata={"description": "code → replaces | changes"})
    findings = Strs()
    documents = Strs(metadata={"description": "Documents de la revue cités"})
