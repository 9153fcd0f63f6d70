"""Attachments: one row per attachment event (attached, replaced, removed), so a
subject's list shows each attachment's current file and its history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from projections.table import Table
from projections.table import table as T

ATTACHMENT_HEADS = T(
    "attachment_heads", "doc", ("id",), "id subject ref doc", (("subject", "ref"),)
)
ATTACHMENT_EVENTS = T(
    "attachment_events",
    "append",
    ("position",),
    "position:int attachment subject ref kind sha256 size:int media_type filename "
    "description previous actor reason at",
    (("subject", "ref"), ("attachment",), ("sha256",)),
)

TABLES: tuple[Table, ...] = (ATTACHMENT_HEADS, ATTACHMENT_EVENTS)


@dataclass(frozen=True, slots=True)
class AttachmentEventRow:
    """One event of an attachment (``attachment_events``)."""

    position: int
    attachment: str
    subject: str
    ref: str
    kind: str
    sha256: str
    size: int
    media_type: str
    filename: str
    description: str
    previous: str | None
    actor: str
    reason: str | None
    at: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "event": self.kind,
            "sha256": self.sha256,
            "size": self.size,
            "media_type": self.media_type,
            "filename": self.filename,
            "description": self.description,
            "previous": self.previous,
            "actor": self.actor,
            "reason": self.reason,
            "at": self.at,
        }
