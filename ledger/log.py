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

import threading
from array import array
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
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


def read_batch(
    recorder: Any, after: Cursor, limit: int = 1000, stop: int | None = None
) -> list[LogEntry]:
    """Up to ``limit`` entries after ``after`` (and at most notification id ``stop``)."""
    notifications: Sequence[Notification] = recorder.select_notifications(
        start=after.notification_id, limit=limit, stop=stop, inclusive_of_start=False
    )
    return [
        LogEntry(after.position + i, n) for i, n in enumerate(notifications, start=1)
    ]


def read_log(
    recorder: Any, after: Cursor = Cursor(), page: int = 1000, stop: int | None = None
) -> Iterator[list[LogEntry]]:
    """Batches of entries from ``after`` to the head (or notification id ``stop``)."""
    while True:
        batch = read_batch(recorder, after, page, stop)
        if batch:
            yield batch
            last = batch[-1]
            after = Cursor(last.position, last.notification_id)
        if len(batch) < page:
            return


class TimeIndex:
    """Which position of the log a moment designates, read from the log itself.

    ``position_at(t)`` is the position of the last event recorded at or before ``t``
    (0 if none): the views "as of t" are those after that event. Events commit in log
    order but are stamped by their command's clock, so times are not always in log
    order (concurrent writers; the demo's history, simulated, follows an administrator
    created today). The index keeps, for each position, the earliest time recorded from
    there to the end of the log — non-decreasing, 8 bytes an event — and bisects it. It
    is extended from the log on each call (only what was appended since), never from a
    view, so a moment resolves to the same position whatever the views' lag."""

    def __init__(self, recorder: Any, mapper: Any) -> None:
        self.recorder = recorder
        self.mapper = mapper
        self._earliest = array("q")  # position p → min time (µs) of events p..head
        self._cursor = Cursor()
        self._lock = threading.Lock()

    def _extend(self) -> None:
        earliest = self._earliest
        for batch in read_log(self.recorder, self._cursor, page=5000):
            for entry in batch:
                at = _micros(self.mapper.to_domain_event(entry.notification).timestamp)
                # every earlier position whose suffix started later now starts at `at`
                for i in range(bisect_right(earliest, at), len(earliest)):
                    earliest[i] = at
                earliest.append(at)
            last = batch[-1]
            self._cursor = Cursor(last.position, last.notification_id)

    def position_at(self, moment: datetime) -> int:
        """The position of the last event recorded at or before ``moment``."""
        with self._lock:
            self._extend()
            return bisect_right(self._earliest, _micros(moment))

    def head(self) -> int:
        """The number of events in the log (as of this call)."""
        with self._lock:
            self._extend()
            return len(self._earliest)


def _micros(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
