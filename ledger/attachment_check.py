"""Every file the ledger recorded for an attachment, checked against its SHA-256.

``sdsi verify --attachments`` and the bundle export read the recorded files from the
event log itself (``Attachment.Attached`` and ``Attachment.Replaced``), not from the
views: what the ledger sealed is what must be on disk. A file is *missing* when the
store has nothing under its SHA-256, *altered* when the bytes stored there no longer
hash to it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from eventsourcing.utils import get_topic

from domain.attachments import Attachment
from ledger.attachment_store import FileAttachmentStore
from ledger.core import LedgerCore
from ledger.queries import iter_events

TOPICS = [get_topic(Attachment.Attached), get_topic(Attachment.Replaced)]
ATTACHMENT_TOPICS = frozenset(TOPICS)


@dataclass(frozen=True)
class RecordedFile:
    """A file as the ledger recorded it (its first record)."""

    sha256: str
    size: int
    filename: str
    subject: str
    ref: str
    position: int


@dataclass(frozen=True)
class FileProblem:
    """A recorded file the store does not hold intact."""

    file: RecordedFile
    kind: str  # "missing" or "altered"
    found: str | None = None  # the SHA-256 of the altered bytes

    def line(self) -> str:
        f = self.file
        where = f"{f.subject} {f.ref}, event {f.position}"
        if self.kind == "missing":
            return f"attachment missing: {f.filename} ({where}) sha256 {f.sha256}"
        return (
            f"attachment altered: {f.filename} ({where}) recorded sha256 {f.sha256},"
            f" stored file hashes to {self.found}"
        )


def recorded_files(ledger: LedgerCore) -> list[RecordedFile]:
    """Every attachment file the event log records, once per SHA-256, log order."""
    subjects: dict[Any, tuple[str, str]] = {}
    seen: dict[str, RecordedFile] = {}
    for nid, ev in iter_events(ledger, TOPICS):
        if isinstance(ev, Attachment.Attached):
            subjects[ev.originator_id] = (ev.subject_kind, ev.subject_ref)
        subject, ref = subjects.get(ev.originator_id, ("?", "?"))
        seen.setdefault(
            ev.sha256,
            RecordedFile(ev.sha256, ev.size, ev.filename, subject, ref, nid),
        )
    return list(seen.values())


def recorded_sha256(state: bytes) -> str:
    """The SHA-256 an attachment event's stored state records (JSON)."""
    value = json.loads(state)["sha256"]
    if not isinstance(value, str):
        raise ValueError("an attachment event without its SHA-256")
    return value


def check_files(
    store: FileAttachmentStore, files: list[RecordedFile]
) -> list[FileProblem]:
    """The recorded files that are missing from ``store`` or altered there."""
    problems = []
    for f in files:
        found = store.digest(f.sha256)
        if found is None:
            problems.append(FileProblem(f, "missing"))
        elif found != f.sha256:
            problems.append(FileProblem(f, "altered", found))
    return problems
