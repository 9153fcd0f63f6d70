"""Commands on attachments: attach a file to a proposal, a decision, a session or a
document of the review register,
replace it (the previous file kept), remove it.

Every rule is checked before anything is written: the subject exists, the caller
may attach to it, the file is not empty nor larger than ``SDSI_ATTACHMENT_MAX_BYTES``,
its type (read from its bytes) is accepted and agrees with its name. Only then are
the bytes stored (by SHA-256, ``ledger.attachment_store``) and the event saved; a
refused upload leaves neither file nor event.
"""

from __future__ import annotations

import hashlib
from functools import cached_property
from typing import Any
from uuid import UUID

from domain.attachment_types import safe_filename, sniff
from domain.attachments import Attachment, require_may_attach, subject_kind
from domain.errors import InvalidValue, NotFound
from domain.proposals import Proposal
from domain.sessions import Session
from domain.values import text
from ledger.attachment_store import FileAttachmentStore
from ledger.commands.reviewed_documents import reviewed_document
from ledger.core import Caller, CommandResult, LedgerCore, Unit
from ledger.idempotency import command
from ledger.throttle import Counters, Rule, spend


class AttachmentCommands(LedgerCore):
    """Attachments: files joined to proposals, decisions and sessions."""

    @cached_property
    def attachment_store(self) -> FileAttachmentStore:
        """Where the attachments' bytes are kept (under the data directory)."""
        return FileAttachmentStore(self.settings.attachments_dir)

    @command(exclude=("content",))
    def attach_file(
        self,
        caller: Caller,
        subject: str,
        ref: str,
        *,
        filename: str,
        content: bytes,
        sha256: str,
        description: str = "",
    ) -> CommandResult:
        """Join ``content`` (named ``filename``, of SHA-256 ``sha256``) to ``subject``
        ``ref`` (a proposal code, a session code, ``SESSION/PROPOSAL`` for a decision)."""

        def body(unit: Unit) -> dict[str, Any]:
            kind = subject_kind(subject)
            require_may_attach(kind, ref, self._subject_direction(unit, kind, ref))
            file = self._checked(content, filename, sha256)
            generation = self._generation(unit, kind, ref, file)
            agg = unit.add(
                Attachment.attach(
                    kind, ref, description=description, generation=generation, **file
                )
            )
            self.attachment_store.put(content)
            return _result(agg)

        return self.execute("attach_file", caller, body)

    @command(exclude=("content",))
    def replace_attachment(
        self,
        caller: Caller,
        attachment_id: str,
        *,
        filename: str,
        content: bytes,
        sha256: str,
        description: str = "",
    ) -> CommandResult:
        """Give attachment ``attachment_id`` a new file; the previous one is kept."""

        def body(unit: Unit) -> dict[str, Any]:
            agg = self._attachment(unit, attachment_id)
            require_may_attach(
                agg.subject,
                agg.ref,
                self._subject_direction(unit, agg.subject, agg.ref),
            )
            file = self._checked(content, filename, sha256)
            agg.replace(description=description, **file)
            self.attachment_store.put(content)
            return _result(agg)

        return self.execute("replace_attachment", caller, body)

    @command()
    def remove_attachment(self, caller: Caller, attachment_id: str) -> CommandResult:
        """Take attachment ``attachment_id`` off its subject (``caller.reason`` says
        why); its files and history stay."""

        def body(unit: Unit) -> dict[str, Any]:
            agg = self._attachment(unit, attachment_id)
            require_may_attach(
                agg.subject,
                agg.ref,
                self._subject_direction(unit, agg.subject, agg.ref),
            )
            agg.remove()
            return _result(agg)

        return self.execute("remove_attachment", caller, body)

    def _generation(self, unit: Unit, kind: str, ref: str, file: dict[str, Any]) -> int:
        """The first free id for this file on this subject; refused while an
        attachment found on the way still holds it (removed or replaced away, the
        file may be joined again)."""
        for generation in range(MAX_REATTACH):
            found = unit.find(
                Attachment, Attachment.id_for(kind, ref, file["sha256"], generation)
            )
            if found is None:
                return generation
            if not found.removed and found.sha256 == file["sha256"]:
                break
        raise InvalidValue("file", file["filename"], "ce fichier est déjà joint ici")

    def _attachment(self, unit: Unit, attachment_id: str) -> Attachment:
        try:
            agg_id = UUID(str(attachment_id))
        except ValueError:
            raise NotFound(kind="Pièce jointe", id=str(attachment_id)[:60]) from None
        return unit.get(Attachment, agg_id, kind="Pièce jointe", label=attachment_id)

    def _checked(self, content: bytes, filename: str, sha256: str) -> dict[str, Any]:
        """The file's recorded fields, or the first rule it breaks."""
        name = safe_filename(filename)
        if not isinstance(content, bytes) or not content:
            raise InvalidValue("file", name, "le fichier est vide")
        limit = self.settings.attachment_max_bytes
        if len(content) > limit:
            raise InvalidValue(
                "file",
                name,
                f"le fichier dépasse la taille maximale de {_human(limit)}",
            )
        digest = hashlib.sha256(content).hexdigest()
        if text(sha256, "sha256", max_len=80).lower() != digest:
            raise InvalidValue("sha256", sha256, "ne correspond pas au contenu")
        return {
            "sha256": digest,
            "size": len(content),
            "media_type": sniff(content, name),
            "filename": name,
        }

    def _subject_direction(self, unit: Unit, subject: str, ref: str) -> str | None:
        """The subject exists (else :class:`NotFound`); a proposal's direction. A
        deliverable's file is joined and replaced only by submitting it."""
        if subject == "deliverable":
            raise InvalidValue(
                "subject", subject, "le fichier d'un livrable se soumet depuis sa phase"
            )
        if subject == "proposal":
            proposal = unit.get(Proposal, Proposal.id_for(ref), kind="Fiche", label=ref)
            return str(proposal.direction)
        if subject == "document":
            reviewed_document(unit, ref)
            return None
        session_code, _, proposal_code = ref.partition("/")
        session = unit.get(
            Session, Session.id_for(session_code), kind="Séance", label=session_code
        )
        if subject == "decision" and proposal_code not in session.decisions:
            raise NotFound(kind="Décision", id=ref)
        if subject == "session" and proposal_code:
            raise NotFound(kind="Séance", id=ref)
        return None


def _result(agg: Attachment) -> dict[str, Any]:
    return {
        "id": str(agg.id),
        "subject": agg.subject,
        "ref": agg.ref,
        "sha256": agg.sha256,
        "size": agg.size,
        "media_type": agg.media_type,
        "filename": agg.filename,
        "removed": agg.removed,
    }


def _human(size: int) -> str:
    if size >= 1024 * 1024 and size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)} Mo"
    if size >= 1024 and size % 1024 == 0:
        return f"{size // 1024} Ko"
    return f"{size} octets"


# Thirty uploads an hour for one account, then a growing wait (capped at ten
# minutes): every upload is a permanent event and a stored file.
UPLOADS = Rule("attachment-uploads", free=30, cap=600, window=3600)
# How many times one file may be joined again to one subject after removals.
MAX_REATTACH = 100


def may_upload(counters: Counters, username: str) -> int:
    """Whole seconds ``username`` must wait before another upload (0: go on, and
    this one is counted)."""
    return spend(counters, UPLOADS, username)
