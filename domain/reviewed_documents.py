"""The document review (phase 2 of the SDSI, *revue documentaire*).

A register of the existing documents the SDSI reviews — previous plans, audits,
studies, contracts, reports, deliberations, notes — each with its kind, date, author
(an organisation or a person, free text), title, summary and the strategic axes it
informs. One aggregate per document, coded ``DOC-001``…: ``Registered`` creates it,
``Changed`` records a new description (the history keeps every one, a reason is
required), ``Withdrawn`` takes it out of the register with a reason (never deleted:
it stays visible as withdrawn). The file itself, when there is one, is an attachment
(``domain.attachments``, subject ``document``): its SHA-256 is in the ledger.

Proposals (``domain.findings.ProposalLinks``) and findings (``Finding``) cite
documents by code; a withdrawn document can no longer be cited.

Not to be confused with ``domain.documents``: the documents the ledger *issues*
(PDF minutes, certificates) and their hashes.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from domain.accounts import require
from domain.base import LedgerAggregate, natural_id
from domain.errors import DocumentWithdrawn, InvalidValue
from domain.records import reason_for
from domain.values import (
    DRAFTING_ROLES,
    DomainEnum,
    as_list,
    code,
    enum_value,
    record_date,
    text,
)

# Who keeps the register: the drafting roles (the DSI and its AMO consultant); the
# chair and the COPIL read it and validate the phase's deliverable.
EDITORS = tuple(sorted(DRAFTING_ROLES, key=lambda r: r.value))
MAX_AXES = 20
MAX_CITED = 50  # documents one proposal or finding cites
FIELDS = ("kind", "date", "author", "title", "summary", "axes")


class ReviewedKind(DomainEnum):
    """What kind of document is reviewed."""

    PLAN = "plan"
    AUDIT = "audit"
    STUDY = "study"
    CONTRACT = "contract"
    REPORT = "report"
    DELIBERATION = "deliberation"
    NOTE = "note"
    OTHER = "other"


KIND_LABELS = {
    "plan": "plan ou schéma directeur",
    "audit": "audit",
    "study": "étude",
    "contract": "contrat",
    "report": "rapport",
    "deliberation": "délibération",
    "note": "note",
    "other": "autre",
}


def document_code(number: int) -> str:
    return f"DOC-{number:03d}"


def description(values: dict[str, Any]) -> dict[str, Any]:
    """The checked description of a document from ``values`` (keys of
    :data:`FIELDS`; ``summary`` and ``axes`` may be missing). ``axes`` are codes,
    sorted and without repeats (the ledger checked they exist)."""
    axes = as_list(values.get("axes"), "axes")
    if len(axes) > MAX_AXES:
        raise InvalidValue("axes", len(axes), f"au plus {MAX_AXES} axes")
    day = values.get("date")
    if day in (None, ""):
        raise InvalidValue("date", day, "obligatoire")
    when = record_date(day, "date")
    return {
        "kind": enum_value(ReviewedKind, values.get("kind"), "kind"),
        "date": when,
        "author": text(values.get("author"), "author"),
        "title": text(values.get("title"), "title"),
        "summary": text(values.get("summary"), "summary", max_len=4000, required=False),
        "axes": sorted({code(a, "axes") for a in axes}),
    }


def cited(values: Any, field: str = "documents") -> list[str]:
    """The document codes a proposal or a finding cites: sorted, no repeats."""
    found = sorted({code(v, field) for v in as_list(values, field)})
    if len(found) > MAX_CITED:
        raise InvalidValue(field, len(found), f"au plus {MAX_CITED} documents")
    return found


class ReviewedDocument(LedgerAggregate):
    """A document of the review register, its description and its history."""

    def __init__(self) -> None:
        self.code = ""
        self.kind = ReviewedKind.OTHER
        self.date: date | None = None
        self.author = ""
        self.title = ""
        self.summary = ""
        self.axes: list[str] = []
        self.withdrawn_at: datetime | None = None

    @staticmethod
    def id_for(document: str) -> UUID:
        return natural_id("reviewed-document", document)

    class Registered(LedgerAggregate.Created):
        code: str
        kind: ReviewedKind
        date: date
        author: str
        title: str
        summary: str
        axes: list[str]

        def apply(self, agg: ReviewedDocument) -> None:
            agg.code = self.code
            _describe(agg, self)

    class Changed(LedgerAggregate.Event):
        kind: ReviewedKind
        date: date
        author: str
        title: str
        summary: str
        axes: list[str]

        def apply(self, agg: ReviewedDocument) -> None:
            _describe(agg, self)

    class Withdrawn(LedgerAggregate.Event):
        def apply(self, agg: ReviewedDocument) -> None:
            agg.withdrawn_at = self.timestamp

    @classmethod
    def register(cls, document: str, values: dict[str, Any]) -> ReviewedDocument:
        """A new document of the register (the caller checked its axes exist)."""
        require("inscrire un document à la revue documentaire", *EDITORS)
        return cls._create(
            cls.Registered,
            id=cls.id_for(document),
            code=document,
            **description(values),
        )

    def change(self, values: dict[str, Any]) -> bool:
        """A new description (reason required); nothing if it is the same."""
        require("modifier un document de la revue documentaire", *EDITORS)
        self.check_current("document")
        new = description(values)
        if new == self.described():
            return False
        reason_for("modifier un document de la revue documentaire")
        self.trigger_event(self.Changed, **new)
        return True

    def withdraw(self) -> None:
        """The document leaves the register (reason required); it stays visible."""
        require("retirer un document de la revue documentaire", *EDITORS)
        self.check_current("document")
        reason_for("retirer un document de la revue documentaire")
        self.trigger_event(self.Withdrawn)

    def described(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in FIELDS}

    def check_current(self, field: str = "documents") -> None:
        if self.withdrawn_at is not None:
            raise DocumentWithdrawn(field=field, document=self.code)


def _describe(agg: ReviewedDocument, e: Any) -> None:
    agg.kind, agg.date, agg.author = e.kind, e.date, e.author
    agg.title, agg.summary, agg.axes = e.title, e.summary, list(e.axes)
