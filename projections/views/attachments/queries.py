"""Reading the attachments view: a subject's attachments (current file and history),
one attachment, whether a file was ever recorded, and every recorded file."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from projections.records import fetch, select
from projections.views.attachments.tables import AttachmentEventRow

if TYPE_CHECKING:
    from projections.store import ViewStore

_SELECT = f"SELECT {select(AttachmentEventRow)} FROM {{attachment_events}}"


def attachments(
    store: ViewStore, subject: str, ref: str, *, removed: bool = False
) -> list[dict[str, Any]]:
    """The attachments of ``subject`` ``ref``, oldest first: each with its current
    file and its history (newest first); removed ones only if ``removed``."""
    rows = fetch(
        store,
        AttachmentEventRow,
        _SELECT + " WHERE subject = ? AND ref = ? ORDER BY position",
        [subject, ref],
    )
    out = [_attachment(group) for group in _groups(rows)]
    return [a for a in out if removed or not a["removed"]]


def attachment(store: ViewStore, attachment_id: str) -> dict[str, Any] | None:
    """One attachment with its history, or None."""
    rows = fetch(
        store,
        AttachmentEventRow,
        _SELECT + " WHERE attachment = ? ORDER BY position",
        [attachment_id],
    )
    return _attachment(rows) if rows else None


def recorded_files(store: ViewStore) -> list[dict[str, Any]]:
    """Every file the ledger recorded for an attachment (once per SHA-256), with
    the first file name and subject it was recorded under."""
    rows = fetch(
        store,
        AttachmentEventRow,
        _SELECT + " WHERE kind <> 'removed' ORDER BY position",
    )
    seen: dict[str, dict[str, Any]] = {}
    for r in rows:
        seen.setdefault(
            r.sha256,
            {
                "sha256": r.sha256,
                "size": r.size,
                "filename": r.filename,
                "subject": r.subject,
                "ref": r.ref,
                "position": r.position,
            },
        )
    return list(seen.values())


def _groups(rows: list[AttachmentEventRow]) -> list[list[AttachmentEventRow]]:
    groups: dict[str, list[AttachmentEventRow]] = {}
    for r in rows:
        groups.setdefault(r.attachment, []).append(r)
    return list(groups.values())


def _attachment(rows: list[AttachmentEventRow]) -> dict[str, Any]:
    last, first = rows[-1], rows[0]
    return {
        "id": first.attachment,
        "subject": first.subject,
        "ref": first.ref,
        "current": last.as_dict(),
        "removed": last.kind == "removed",
        "uploader": first.actor,
        "history": [r.as_dict() for r in reversed(rows)],
    }
