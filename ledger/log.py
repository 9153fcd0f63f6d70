"""Reading the event log in commit order, with the ledger's gap-free positions.

Notification ids (the library's ``notification_id`` / SQLite ``rowid``) can have gaps on
PostgreSQL (a rolled-back insert burns a sequence value). The ledger's own *positions*
are a gap-free counter: position ``p`` is the ``p``-th event of the log. Every follower
(sealing, projections) derives them the same way — position of an event = position of
the previous one + 1 — so they agree, and an imported bundle (whose notification ids
differ) has the same positions.

Reading "greater than the last notification id" never skips an event committed late:
SQLite has one writer at a time, and the PostgreSQL recorder takes an exclusive table
lock before allocating ids, so ids become visible in commit order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import Notification


@dataclass(frozen=True)
class Cursor:
    """Where a follower stands: the last position it processed and its notification id."""

    position: int = 0
    notification_id: int = 0


@dataclass(frozen=True)
class LogEntry:
    """One stored event with its gap-free position."""

    position: int
    notification: Notification

    @property
    def notification_id(self) -> int:
        return int(self.notification.id)


def read_batch(recorder: Any, after: Cursor, limit: int = 1000, stop: int | None = None) -> list[LogEntry]:
    """Up to ``limit`` entries after ``after`` (and at most notification id ``stop``)."""
    notifications: Sequence[Notification] = recorder.select_notifications(
        start=after.notification_id, limit=limit, stop=stop, inclusive_of_start=False
    )
    return [LogEntry(after.position + i, n) for i, n in enumerate(notifications, start=1)]


def read_log(recorder: Any, after: Cursor = Cursor(), page: int = 1000, stop: int | None = None) -> Iterator[list[LogEntry]]:
    """Batches of entries from ``after`` to the head (or notification id ``stop``)."""
    while True:
        batch = read_batch(recorder, after, page, stop)
        if batch:
            yield batch
            last = batch[-1]
            after = Cursor(last.position, last.notification_id)
        if len(batch) < page:
            return
