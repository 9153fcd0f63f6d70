"""The audit trail: one row per event (who, when, why, what changed), and the aggregates' natural keys."""

from __future__ import annotations

from projections.table import Table
from projections.table import table as T

EVENTS = T(
    "events",
    "append",
    ("position",),
    "position:int notification_id:int at actor roles origin command idem_key reason "
    "aggregate_type aggregate_id aggregate_key version:int event_type changes payload",
    (
        ("actor",),
        ("aggregate_key",),
        ("event_type",),
        ("aggregate_type",),
        ("at",),
        ("aggregate_id",),
    ),
)
AGGREGATES = T("aggregates", "doc", ("id",), "id type key doc")

TABLES: tuple[Table, ...] = (
    EVENTS,
    AGGREGATES,
)
