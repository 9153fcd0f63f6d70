"""Attachments: a business case, a quote, a study joined to a proposal, a decision or
a COPIL session; the file of a document of the review register.

The ledger records what was attached — the subject, the file's SHA-256, size, media
type (read from its bytes, ``domain.attachment_types``), its file name, who sent it
and an optional description; the bytes themselves are kept by the attachment store
(``ledger.attachment_store``), by SHA-256. One aggregate per attachment:
``Attached`` creates it, ``Replaced`` gives it a new file while naming the previous
SHA-256 (both files stay downloadable), ``Removed`` takes it off the subject with
a reason (its files and history stay).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.accounts import has_role, require
from domain.base import LedgerAggregate, current_context, natural_id
from domain.documents import sha256_hex
from domain.errors import InvalidValue, NotReferentOfDirection, ReasonRequired
from domain.reviewed_documents import EDITORS as REGISTER_EDITORS
from domain.values import Role, positive_int, text

# ``deliverable``: a phase's deliverable (ref ``N/phase/key``), joined only by
# submitting it (``ledger.commands.deliverables``)
SUBJECTS = ("proposal", "decision", "session", "deliverable", "document")
SUBJECT_LABELS = {
    "proposal": "fiche",
    "decision": "décision",
    "session": "séance",
    "deliverable": "livrable",
    "document": "document de la revue documentaire",
}


class Attachment(LedgerAggregate):
    """A file joined to a subject, with every file it had."""

    def __init__(self) -> None:
        self.subject = ""
        self.ref = ""
        self.sha256 = ""
        self.size = 0
        self.media_type = ""
        self.filename = ""
        self.description = ""
        self.previous: list[str] = []
        self.removed = False

    @staticmethod
    def id_for(subject: str, ref: str, sha256: str, generation: int = 0) -> UUID:
        """The same file attached twice to one subject is the same attachment;
        once that one is removed or holds another file, the file may be attached
        again: the next ``generation`` (``ledger.commands.attachments``)."""
        if generation:
            return natural_id("attachment", subject, ref, sha256, str(generation))
        return natural_id("attachment", subject, ref, sha256)

    class Attached(LedgerAggregate.Created):
        subject_kind: str
        subject_ref: str
        sha256: str
        size: int
        media_type: str
        filename: str
        description: str

        def apply(self, agg: Attachment) -> None:
            agg.subject, agg.ref = self.subject_kind, self.subject_ref
            agg.sha256, agg.size, agg.media_type = (
                self.sha256,
                self.size,
                self.media_type,
            )
            agg.filename, agg.description = self.filename, self.description

    class Replaced(LedgerAggregate.Event):
        sha256: str
        size: int
        media_type: str
        filename: str
        description: str
        replaces: str

        def apply(self, agg: Attachment) -> None:
            agg.previous.append(self.replaces)
            agg.sha256, agg.size, agg.media_type = (
                self.sha256,
                self.size,
                self.media_type,
            )
            agg.filename, agg.description = self.filename, self.description

    class Removed(LedgerAggregate.Event):
        sha256: str

        def apply(self, agg: Attachment) -> None:
            agg.removed = True

    @classmethod
    def attach(
        cls,
        subject: str,
        ref: str,
        *,
        sha256: str,
        size: int,
        media_type: str,
        filename: str,
        description: str = "",
        generation: int = 0,
    ) -> Attachment:
        """A new attachment of the file ``sha256`` to ``subject`` ``ref``."""
        digest = sha256_hex(sha256)
        return cls._create(
            cls.Attached,
            id=cls.id_for(subject, ref, digest, generation),
            subject_kind=subject_kind(subject),
            subject_ref=text(ref, "ref", max_len=120),
            sha256=digest,
            size=_size(size),
            media_type=text(media_type, "media_type", max_len=100),
            filename=text(filename, "filename", max_len=200),
            description=text(description, "description", max_len=500, required=False),
        )

    def replace(
        self,
        *,
        sha256: str,
        size: int,
        media_type: str,
        filename: str,
        description: str = "",
    ) -> None:
        """A new file for this attachment; the previous one is kept."""
        self._open("remplacer")
        digest = sha256_hex(sha256)
        if digest == self.sha256:
            raise InvalidValue("file", filename, "c'est déjà le fichier en vigueur")
        self.trigger_event(
            self.Replaced,
            sha256=digest,
            size=_size(size),
            media_type=text(media_type, "media_type", max_len=100),
            filename=text(filename, "filename", max_len=200),
            description=text(description, "description", max_len=500, required=False),
            replaces=self.sha256,
        )

    def remove(self) -> None:
        """Take the attachment off its subject (a reason is required)."""
        self._open("retirer")
        if not (current_context().reason or "").strip():
            raise ReasonRequired("retirer une pièce jointe")
        self.trigger_event(self.Removed, sha256=self.sha256)

    def _open(self, action: str) -> None:
        if self.removed:
            raise InvalidValue(
                "attachment",
                self.filename,
                f"pièce jointe retirée : impossible de {action}",
            )


def subject_kind(value: Any) -> str:
    if value not in SUBJECTS:
        raise InvalidValue(
            "subject", value, "fiche, décision, séance ou document attendu"
        )
    return str(value)


def require_may_attach(subject: str, ref: str, direction: str | None) -> None:
    """Proposals: their direction's referent or the DSI; decisions and sessions: the
    chair or the DSI (who prepares the COPIL's files); documents of the review
    register: who keeps it (``domain.reviewed_documents.EDITORS``)."""
    ctx = current_context()
    action = "joindre une pièce à une " + SUBJECT_LABELS.get(subject, subject)
    if subject == "proposal":
        if has_role(ctx.roles, Role.DSI):
            return
        if direction is not None and has_role(ctx.roles, Role.REFERENT, direction):
            return
        if has_role(ctx.roles, Role.REFERENT):
            raise NotReferentOfDirection(
                actor=ctx.actor, direction=direction, proposal=ref
            )
        require(action, Role.REFERENT, Role.DSI)
        return
    if subject == "document":  # the review register's keepers
        require(action, *REGISTER_EDITORS)
        return
    require(action, Role.CHAIR, Role.DSI)


def _size(value: Any) -> int:
    return positive_int(value, "size", allow_zero=False)
