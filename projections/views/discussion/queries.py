"""Reading the discussion view: a subject's threads (top-level comments, oldest
first, each with its replies), without the internal ones for those who may not read
them; a hidden comment keeps its place, author and the chair's reason, never its text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from projections.records import documents

if TYPE_CHECKING:
    from projections.store import ViewStore


def _public(d: dict[str, Any]) -> dict[str, Any]:
    """A comment as the pages and the API show it."""
    hidden = d["hidden_reason"] is not None
    return {
        "id": d["id"],
        "subject_kind": d["subject_kind"],
        "subject_id": d["subject_id"],
        "parent": d["parent"],
        "author": d["author"],
        "kind": d["kind"],
        "internal": d["internal"],
        "body": None if hidden else d["body"],
        "proposition": None if hidden else d["proposition"],
        "edited": bool(d["history"]),
        # how many persons the text is flagged as naming (sealed under their keys)
        "names_flagged": len(d.get("named", [])),
        "history": [] if hidden else d["history"],
        "answered": d["answered_by"] is not None,
        "answered_by": d["answered_by"],
        "answered_at": d["answered_at"],
        "hidden": hidden,
        "hidden_by": d["hidden_by"],
        "hidden_at": d["hidden_at"],
        "hidden_reason": d["hidden_reason"],
        "at": d["at"],
        "edited_at": d["edited_at"],
        "position": d["position"],
        # a proposition's consolidation by the chair (accepted into the draft, or
        # declined with a reason); absent from documents written before issue 20
        "settled": d.get("settled"),
    }


def discussion(
    store: ViewStore, subject_kind: str, subject_id: str, *, internal: bool
) -> list[dict[str, Any]]:
    """The threads of a subject, oldest first: each top-level comment with its
    ``replies`` (oldest first); with ``internal`` false, no internal comment."""
    sql = "SELECT doc FROM {comments} WHERE subject_kind = ? AND subject_id = ?"
    if not internal:
        sql += " AND internal = 0"
    rows = documents(store, sql + " ORDER BY position", (subject_kind, subject_id))
    threads: dict[str, dict[str, Any]] = {}
    for d in rows:
        if d["parent"] is None:
            threads[d["id"]] = {**_public(d), "replies": []}
    for d in rows:
        parent = threads.get(d["parent"]) if d["parent"] else None
        if parent is not None:
            parent["replies"].append({**_public(d), "replies": []})
    return list(threads.values())


def discussion_counts(
    store: ViewStore, subject_kind: str, subject_id: str, *, internal: bool
) -> dict[str, int]:
    """How many comments a subject has, and how many questions await an answer."""
    sql = (
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN kind = 'question' AND parent IS NULL"
        " AND answered = 0 AND hidden = 0 THEN 1 ELSE 0 END), 0)"
        " FROM {comments} WHERE subject_kind = ? AND subject_id = ?"
    )
    if not internal:
        sql += " AND internal = 0"
    ((total, open_questions),) = store.fetchall(sql, (subject_kind, subject_id))
    return {"comments": int(total), "open_questions": int(open_questions)}
