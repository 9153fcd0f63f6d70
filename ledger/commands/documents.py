"""Command of the exports: record a document handed out (its SHA-256, for later checks).

The web records one issuance per PDF downloaded (``issue_document``); the exports
themselves never write. The same bytes issued again add an issuance to the record of
that SHA-256 instead of a second record.
"""

from __future__ import annotations

from typing import Any

from domain.documents import IssuedDocument, sha256_hex
from ledger.core import Caller, CommandResult, LedgerCore, Unit
from ledger.idempotency import command
from ledger.throttle import Counters, Rule, spend


class DocumentCommands(LedgerCore):
    """Issued documents: what the municipality handed out, by SHA-256."""

    @command()
    def issue_document(
        self,
        caller: Caller,
        sha256: str,
        *,
        kind: str,
        subject: str = "",
        filename: str,
        size: int,
    ) -> CommandResult:
        """Record that ``caller`` was handed the file of SHA-256 ``sha256`` (an export
        ``kind`` about ``subject``, saved as ``filename``, ``size`` bytes)."""

        def body(unit: Unit) -> dict[str, Any]:
            digest = sha256_hex(sha256)
            doc = unit.find(IssuedDocument, IssuedDocument.id_for(digest))
            if doc is None:
                doc = unit.add(
                    IssuedDocument.issue(
                        digest,
                        kind=kind,
                        subject=subject,
                        filename=filename,
                        size=size,
                    )
                )
            else:
                doc.reissue(filename=filename, size=size)
            return {
                "sha256": doc.sha256,
                "kind": doc.kind,
                "issuances": doc.issuances,
            }

        return self.execute("issue_document", caller, body)


# Sixty PDFs an hour for one account, then a growing wait (capped at ten minutes):
# every download is a permanent event, so a reader cannot fill the ledger with them.
ISSUANCES = Rule("issued-documents", free=60, cap=600, window=3600)


def may_issue(counters: Counters, username: str) -> int:
    """Whole seconds ``username`` must wait before being handed another PDF (0: go
    on, and this one is counted)."""
    return spend(counters, ISSUANCES, username)
