"""The document review view's handlers: each event of a reviewed document updates
its document and adds a history row (a change names the fields it changed, old and
new). Who cites a document is read from the diagnosis view (``queries``)."""

from __future__ import annotations

import json
from typing import Any

from domain.reviewed_documents import FIELDS, ReviewedDocument
from domain.search import fold
from projections.registry import Batch, Meta, document, on
from projections.views.document_review.tables import (
    REVIEWED_DOCUMENTS,
    REVIEWED_HISTORY,
)


def _plain(e: Any) -> dict[str, Any]:
    out: dict[str, Any] = {f: getattr(e, f) for f in FIELDS}
    out["kind"] = out["kind"].value
    out["date"] = out["date"].isoformat()
    out["axes"] = list(out["axes"])
    return out


def _history(batch: Batch, m: Meta, code: str, event: str, detail: Any) -> None:
    batch.append(
        "reviewed_document_history",
        REVIEWED_HISTORY.row(
            position=m.position,
            document=code,
            event=event,
            actor=m.context.actor,
            reason=m.context.reason,
            at=m.at,
            detail=json.dumps(detail, ensure_ascii=False, sort_keys=True),
        ),
    )


@on(ReviewedDocument.Registered)
def registered(batch: Batch, e: Any, m: Meta) -> None:
    new = _plain(e)
    doc = {
        "code": e.code,
        **new,
        "status": "current",
        "actor": m.context.actor,
        "registered_at": m.at,
        "changed_at": m.at,
        "withdrawn_at": None,
        "withdrawn_reason": None,
    }
    batch.put("reviewed_documents", (e.code,), doc)
    _history(batch, m, e.code, "registered", new)


@on(ReviewedDocument.Changed)
def changed(batch: Batch, e: Any, m: Meta) -> None:
    doc = batch.touch("reviewed_documents", (m.key,))
    new = _plain(e)
    detail = {
        f: {"old": doc.get(f), "new": v} for f, v in new.items() if doc.get(f) != v
    }
    doc.update(new)
    doc["changed_at"] = m.at
    _history(batch, m, m.key, "changed", detail)


@on(ReviewedDocument.Withdrawn)
def withdrawn(batch: Batch, e: Any, m: Meta) -> None:
    doc = batch.touch("reviewed_documents", (m.key,))
    doc["status"] = "withdrawn"
    doc["withdrawn_at"], doc["withdrawn_reason"] = m.at, m.context.reason
    _history(batch, m, m.key, "withdrawn", {})


document(
    "reviewed_documents",
    lambda d: REVIEWED_DOCUMENTS.row(
        code=d["code"],
        kind=d["kind"],
        date=d["date"],
        status=d["status"],
        search=fold(d["code"], d["title"], d["author"], d["summary"]),
    ),
)
