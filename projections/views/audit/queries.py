"""Reading the audit trail."""

from __future__ import annotations

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
