"""Schemas of the phase checklist's API: the phases with their expected deliverables,
and the bodies of the commands on them (``web.api.phases``)."""

from __future__ import annotations

from marshmallow import fields, validate

from domain.deliverables import RECORD_KINDS
from web.api.schemas import CODE, Base, OptionalReason, PhaseDate

KINDS = validate.OneOf(["document", "record"])
STATUSES = (
    "attendu : expected, soumis : submitted, validé : validated, renvoyé : returned"
)


class DeliverableIn(OptionalReason):
    key = fields.String(required=True, validate=CODE)
    label = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(
        required=True,
        validate=KINDS,
        metadata={"description": "document (un fichier) ou record (un enregistrement)"},
    )


class DeliverableLabel(OptionalReason):
    label = fields.String(required=True, validate=validate.Length(min=1, max=200))


class RecordSubmission(OptionalReason):
    record_kind = fields.String(
        required=True,
        validate=validate.OneOf(list(RECORD_KINDS)),
        metadata={
            "description": "Ce que le livrable désigne : " + ", ".join(RECORD_KINDS)
        },
    )
    record_ref = fields.String(
        load_default="",
        validate=validate.Length(max=120),
        metadata={"description": "Référence (facultative : n° de grille, code…)"},
    )


class Submission(OptionalReason):
    """The page's submission: a file part, or a record (checked by the ledger)."""

    record_kind = fields.String(load_default=None, validate=validate.Length(max=40))
    record_ref = fields.String(load_default="", validate=validate.Length(max=120))


class Review(OptionalReason):
    copil_decision = fields.String(
        load_default=None,
        validate=validate.Length(max=120),
        metadata={
            "description": "Code de la séance du COPIL qui a décidé (ex. "
            "« COPIL-2026-11-24 ») : une séance tenue, c'est-à-dire ouverte au "
            "moins une fois (ouverte ou close) ; obligatoire hors présidence du "
            "COPIL. Une séance inconnue ou pas encore ouverte est refusée (422, "
            "champ copil_decision)"
        },
    )


class PhaseComplete(PhaseDate):
    without_deliverables = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Terminer malgré des livrables non validés (motif exigé)"
        },
    )


class DeliverableOut(Base):
    key = fields.String()
    label = fields.String()
    kind = fields.String()
    status = fields.String(
        metadata={"description": STATUSES + ", not_recorded (phase close avant)"}
    )
    owner = fields.String(allow_none=True)
    submitted_at = fields.String(allow_none=True)
    sha256 = fields.String(allow_none=True)
    filename = fields.String(allow_none=True)
    attachment = fields.String(allow_none=True)
    record_kind = fields.String(allow_none=True)
    record_ref = fields.String(allow_none=True)
    reviewed_by = fields.String(allow_none=True)
    reviewed_at = fields.String(allow_none=True)
    decision = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)


class PhaseOverride(Base):
    reason = fields.String(allow_none=True)
    actor = fields.String()
    at = fields.String()
    missing = fields.List(fields.String())


class PhaseChecklistEntry(Base):
    code = fields.String()
    status = fields.String()
    planned_start = fields.String(allow_none=True)
    planned_end = fields.String(allow_none=True)
    started_on = fields.String(allow_none=True)
    done_on = fields.String(allow_none=True)
    override = fields.Nested(PhaseOverride, allow_none=True)
    deliverables = fields.List(fields.Nested(DeliverableOut))
    dropped = fields.List(fields.Nested(DeliverableOut))
    missing = fields.List(fields.String())


class PhaseChecklist(Base):
    plan = fields.Integer(allow_none=True)
    phases = fields.List(fields.Nested(PhaseChecklistEntry))
