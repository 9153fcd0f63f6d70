"""One row per attachment event; a removal repeats the file it took off."""

from __future__ import annotations

from typing import Any

from domain.attachments import Attachment
from projections.registry import Batch, Meta, document, on
from projections.views.attachments.tables import ATTACHMENT_EVENTS, ATTACHMENT_HEADS


@on(Attachment.Attached, Attachment.Replaced, Attachment.Removed)
def attachment_event(batch: Batch, e: Any, m: Meta) -> None:
    """The attachment's file as of this event (a removal: the file it had)."""
    key = str(e.originator_id)
    if isinstance(e, Attachment.Attached):
        subject, ref, kind = e.subject_kind, e.subject_ref, "attached"
        file = _file(e)
    else:
        first = batch.doc("attachment_heads", (key,))
        if first is None:
            raise LookupError(f"attachment {key}: event before its Attached")
        subject, ref = first["subject"], first["ref"]
        kind = "replaced" if isinstance(e, Attachment.Replaced) else "removed"
        file = _file(e) if kind == "replaced" else first["file"]
    batch.put(
        "attachment_heads",
        (key,),
        {"id": key, "subject": subject, "ref": ref, "file": file},
    )
    batch.append(
        "attachment_events",
        ATTACHMENT_EVENTS.row(
            position=m.position,
            attachment=key,
            subject=subject,
            ref=ref,
            kind=kind,
            previous=getattr(e, "replaces", None),
            actor=m.context.actor,
            reason=m.context.reason,
            at=m.at,
            **file,
        ),
    )


def _file(e: Any) -> dict[str, Any]:
    return {
        "sha256": e.sha256,
        "size": e.size,
        "media_type": e.media_type,
        "filename": e.filename,
        "description": e.description,
    }


def _head_row(d: dict[str, Any]) -> tuple[Any, ...]:
    return ATTACHMENT_HEADS.row(id=d["id"], subject=d["subject"], ref=d["ref"])


document("attachment_heads", _head_row)
