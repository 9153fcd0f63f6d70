"""Commands of the document review (phase 2): register, change and withdraw the
documents the SDSI reviews, and the checks of the documents proposals and findings
cite (``ledger.commands.inventory``: ``link_proposal``, ``record_finding``,
``cite_documents_in_finding``)."""

from __future__ import annotations

from typing import Any

from domain.accounts import require
from domain.reviewed_documents import (
    EDITORS,
    ReviewedDocument,
    cited,
    description,
    document_code,
)
from domain.values import as_dict
from ledger.commands.organisation import Lookups
from ledger.core import Caller, CommandResult, LedgerCore, Unit
from ledger.idempotency import command


def reviewed_document(unit: Unit, document: str) -> ReviewedDocument:
    return unit.get(
        ReviewedDocument,
        ReviewedDocument.id_for(str(document)),
        kind="Document de la revue documentaire",
        label=str(document)[:60],
    )


def current_documents(unit: Unit, documents: Any) -> list[str]:
    """``documents`` (codes) as cited: each in the register and not withdrawn —
    guarded: a document withdrawn before the citing command is saved makes it run
    again, refused (``tests/ledger/test_diagnosis_races.py``)."""
    found = cited(documents)
    for d in found:
        unit.guard(reviewed_document(unit, d)).check_current()
    return found


def _axes(unit: Unit, values: dict[str, Any], kept: list[str]) -> None:
    """The description is valid, each axis exists, and one the document did not
    inform yet is open."""
    for a in description(values)["axes"]:
        axis = Lookups.axis(unit, a)
        if a not in kept:
            axis.check_open("y rattacher un document", "axes")


def _summary(doc: ReviewedDocument) -> dict[str, Any]:
    return {"code": doc.code, "kind": doc.kind.value, "title": doc.title}


class ReviewedDocumentCommands(LedgerCore):
    """The register of the document review."""

    @command()
    def register_document(
        self, caller: Caller, values: dict[str, Any]
    ) -> CommandResult:
        """Add a document to the register; its code is the next free ``DOC-NNN``."""

        def body(unit: Unit) -> dict[str, Any]:
            require("inscrire un document à la revue documentaire", *EDITORS)
            fields = as_dict(values, "values")
            _axes(unit, fields, [])
            number = 1
            while unit.find(
                ReviewedDocument, ReviewedDocument.id_for(document_code(number))
            ):
                number += 1
            doc = ReviewedDocument.register(document_code(number), fields)
            return _summary(unit.add(doc))

        return self.execute("register_document", caller, body)

    @command()
    def change_document(
        self, caller: Caller, document: str, values: dict[str, Any]
    ) -> CommandResult:
        """Record a new description of a document (reason required)."""

        def body(unit: Unit) -> dict[str, Any]:
            require("modifier un document de la revue documentaire", *EDITORS)
            doc = reviewed_document(unit, document)
            fields = as_dict(values, "values")
            _axes(unit, fields, doc.axes)
            changed = doc.change(fields)
            return {**_summary(doc), "changed": changed}

        return self.execute("change_document", caller, body)

    @command()
    def withdraw_document(self, caller: Caller, document: str) -> CommandResult:
        """The document leaves the register (reason required); it stays visible."""

        def body(unit: Unit) -> dict[str, Any]:
            doc = reviewed_document(unit, document)
            doc.withdraw()
            return _summary(doc)

        return self.execute("withdraw_document", caller, body)
