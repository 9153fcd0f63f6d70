"""The audit trail: one row per event (who, when, why, what changed), and the
aggregates' natural keys; the record its queries read."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from projections.table import Table
from projections.table import table as T
from projections.views.audit.rendering import payload_changes

EVENTS = T(
    "events",
    "append",
    ("position",),
    "position:int notification_id:int at actor roles origin command idem_key reason "
    "aggregate_type aggregate_id aggregate_key version:int event_type changes payload search",
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


@dataclass(frozen=True, slots=True)
class AuditEventRow:
    """One event of the audit trail (``events``)."""

    position: int
    notification_id: int
    at: str
    actor: str
    roles: str
    origin: str | None
    command: str | None
    idem_key: str | None
    reason: str | None
    aggregate_type: str
    aggregate_id: str
    aggregate_key: str | None
    version: int
    event_type: str
    changes: str
    payload: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "notification_id": self.notification_id,
            "at": self.at,
            "actor": self.actor,
            "roles": self.roles.split(",") if self.roles else [],
            "origin": self.origin,
            "command": self.command,
            "idempotency_key": self.idem_key,
            "reason": self.reason,
            "aggregate_type": self.aggregate_type,
            "aggregate_id": self.aggregate_id,
            "aggregate": self.aggregate_key,
            "version": self.version,
            "event_type": self.event_type,
            "changes": payload_changes(json.loads(self.changes), self.payload),
        }
