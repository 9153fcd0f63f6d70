"""Reading the audit trail."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from projections.paging import matching, order_by
from projections.records import fetch, scalar, select
from projections.views.audit.tables import AuditEventRow

if TYPE_CHECKING:
    from projections.store import ViewStore


# The audit trail's sort keys (``sort``): the column each one orders by.
AUDIT_SORTS = {
    "position": "position",
    "at": "at",
    "actor": "actor",
    "aggregate": "aggregate_key",
    "event_type": "event_type",
}


def audit_trail(
    store: ViewStore,
    *,
    actor: str | None = None,
    aggregate: str | None = None,
    event_type: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 100,
    offset: int = 0,
    oldest_first: bool = False,
    search: str | None = None,
    sort: str | None = None,
) -> dict[str, Any]:
    """Events with position, time, actor, roles, origin, command, reason and changes:
    ``limit`` of them from ``offset``, newest first (or ``oldest_first``, or sorted by
    ``sort``, a key of :data:`AUDIT_SORTS`), and the number of events that match
    (``total``). ``search``: words the actor, object, event type, command, reason or
    origin must all contain (case and accents ignored)."""
    where, params = [], []
    if actor:
        where.append("actor = ?")
        params.append(actor)
    if aggregate:  # the aggregate and its sub-records ("CODE/evaluator"): index ranges
        where.append("(aggregate_key = ? OR (aggregate_key > ? AND aggregate_key < ?))")
        params += [aggregate, aggregate + "/", aggregate + "0"]
    if event_type:
        where.append("(event_type = ? OR aggregate_type = ?)")
        params += [event_type, event_type]
    if since:
        where.append("at >= ?")
        params.append(since)
    if until:
        where.append("at <= ?")
        params.append(until)
    found, fp = matching("search", search)
    where += found
    params += fp
    clause = " WHERE " + " AND ".join(where) if where else ""
    if clause:
        total = scalar(store, "SELECT count(*) FROM {events}" + clause, params)
    else:  # positions are gap-free: the newest one is the count
        total = scalar(store, "SELECT COALESCE(MAX(position), 0) FROM {events}")
    by_position = f"position {'ASC' if oldest_first else 'DESC'}"
    order = order_by(sort, AUDIT_SORTS, by_position) if sort else by_position
    rows = fetch(
        store,
        AuditEventRow,
        f"SELECT {select(AuditEventRow)} FROM {{events}}"
        + clause
        + f" ORDER BY {order} LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return {"total": total, "events": [r.as_dict() for r in rows]}


# Aggregates that record what was done with the data, not data of the documents.
NOT_DATA = ("IssuedDocument",)


def latest_data_event(store: ViewStore) -> dict[str, Any] | None:
    """Position and time of the newest event that is data (not an issued document)."""
    marks = ", ".join("?" for _ in NOT_DATA)
    rows = store.fetchall(
        "SELECT position, at FROM {events} WHERE aggregate_type NOT IN ("
        + marks
        + ") ORDER BY position DESC LIMIT 1",
        list(NOT_DATA),
    )
    return {"position": rows[0][0], "at": rows[0][1]} if rows else None


def issued_document(store: ViewStore, sha256: str) -> dict[str, Any] | None:
    """The document of SHA-256 ``sha256`` as the ledger recorded it when it was handed
    out (kind, subject, size) with every issuance (when, to whom, under which file
    name), oldest first; None if no file with that SHA-256 was ever issued."""
    rows = fetch(
        store,
        AuditEventRow,
        f"SELECT {select(AuditEventRow)} FROM {{events}} WHERE aggregate_key = ?"
        " AND aggregate_type = 'IssuedDocument' ORDER BY position",
        [sha256],
    )
    if not rows:
        return None
    first = _payload(rows[0].payload)
    return {
        "sha256": sha256,
        "kind": first.get("kind"),
        "subject": first.get("subject"),
        "size": first.get("size"),
        "issuances": [
            {
                "position": r.position,
                "at": r.at,
                "actor": r.actor,
                "origin": r.origin,
                "filename": _payload(r.payload).get("filename"),
            }
            for r in rows
        ],
    }


def _payload(text: str) -> dict[str, Any]:
    doc = json.loads(text)
    return doc if isinstance(doc, dict) else {}
