"""Issued documents: the SHA-256 of every PDF handed out, so a copy can be checked.

The acts of the municipality (plan, minutes, certificate…) are issued as PDF/A files.
Each time one is downloaded, the ledger records which file it was: its kind, its
subject (a session, a plan, a moment), its file name, its SHA-256 and size, who took
it and when. Anyone holding a printed or forwarded copy can later give its SHA-256
(or the file) and learn whether, when and by whom that exact file was issued.

One aggregate per SHA-256: the first download creates it (``Issued``), every later
download of the very same bytes adds ``Reissued``. The PDFs are deterministic (the
same data give the same bytes), so the same document downloaded twice is one record
with two issuances, and a document whose data changed is another record.
"""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from domain.base import LedgerAggregate, natural_id
from domain.errors import InvalidValue
from domain.values import positive_int, text

_SHA256 = re.compile(r"[0-9a-f]{64}")
MAX_SIZE = 1 << 31


def sha256_hex(value: Any, field: str = "sha256") -> str:
    """A SHA-256 in lowercase hexadecimal (64 characters); spaces and case ignored."""
    digest = re.sub(r"\s+", "", value).lower() if isinstance(value, str) else value
    if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
        raise InvalidValue(
            field, value, "empreinte SHA-256 de 64 chiffres hexadécimaux"
        )
    return digest


class IssuedDocument(LedgerAggregate):
    """A file the municipality handed out, identified by its SHA-256."""

    def __init__(self) -> None:
        self.sha256 = ""
        self.kind = ""
        self.subject = ""
        self.filename = ""
        self.size = 0
        self.issuances = 0

    @staticmethod
    def id_for(sha256: str) -> UUID:
        return natural_id("document", sha256)

    class Issued(LedgerAggregate.Created):
        sha256: str
        kind: str
        subject: str
        filename: str
        size: int

        def apply(self, agg: IssuedDocument) -> None:
            agg.sha256, agg.kind, agg.subject = self.sha256, self.kind, self.subject
            agg.filename, agg.size, agg.issuances = self.filename, self.size, 1

    class Reissued(LedgerAggregate.Event):
        filename: str

        def apply(self, agg: IssuedDocument) -> None:
            agg.issuances += 1

    @classmethod
    def issue(
        cls, sha256: str, *, kind: str, subject: str, filename: str, size: int
    ) -> IssuedDocument:
        """The first issuance of a file (any signed-in user who may download it)."""
        digest = sha256_hex(sha256)
        return cls._create(
            cls.Issued,
            id=cls.id_for(digest),
            sha256=digest,
            kind=text(kind, "kind", max_len=40),
            subject=text(subject, "subject", max_len=200, required=False),
            filename=text(filename, "filename", max_len=200),
            size=_size(size),
        )

    def reissue(self, *, filename: str, size: int) -> None:
        """The same bytes handed out again."""
        if _size(size) != self.size:
            raise InvalidValue("size", size, f"la taille enregistrée est {self.size}")
        self.trigger_event(
            self.Reissued, filename=text(filename, "filename", max_len=200)
        )


def _size(value: Any) -> int:
    size = positive_int(value, "size", allow_zero=False)
    if size >= MAX_SIZE:
        raise InvalidValue("size", value, "fichier trop grand")
    return size
