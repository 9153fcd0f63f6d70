"""A moment resolves to the position of the last event recorded at or before it,
whatever the order of the events' times and however the log grew (a fast tier: an
in-memory log, no database)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ledger.log import TimeIndex

T0 = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass
class _Notification:
    id: int
    minute: int


@dataclass
class _Event:
    timestamp: datetime


class _Log:
    """The recorder and mapper surface the index reads, over a list of minutes."""

    def __init__(self) -> None:
        self.rows: list[_Notification] = []

    def append(self, minute: int) -> None:
        # notification ids with gaps, as on PostgreSQL
        self.rows.append(_Notification(3 * len(self.rows) + 1, minute))

    def select_notifications(
        self, start: int, limit: int, stop: Any = None, inclusive_of_start: bool = True
    ) -> list[_Notification]:
        after = [n for n in self.rows if n.id > start]
        return after[:limit]

    def to_domain_event(self, n: _Notification) -> _Event:
        return _Event(T0 + timedelta(minutes=n.minute))


@given(
    chunks=st.lists(st.lists(st.integers(0, 50), max_size=12), min_size=1, max_size=6),
    probes=st.lists(st.integers(-2, 52), min_size=1, max_size=10),
)
def test_position_at_is_the_last_event_at_or_before_the_moment(
    chunks: list[list[int]], probes: list[int]
) -> None:
    log = _Log()
    index = TimeIndex(log, log)
    minutes: list[int] = []
    for chunk in chunks:  # the log grows between questions
        for m in chunk:
            log.append(m)
            minutes.append(m)
        for probe in probes:
            moment = T0 + timedelta(minutes=probe, seconds=30)
            expected = max(
                (p for p, m in enumerate(minutes, 1) if m <= probe + 0.5), default=0
            )
            assert index.position_at(moment) == expected
        assert index.head() == len(minutes)


def test_an_event_stamped_before_earlier_ones_moves_their_moment() -> None:
    log = _Log()
    index = TimeIndex(log, log)
    for m in (40, 10, 20, 30):  # the first event stamped last (the demo's admin)
        log.append(m)
    assert index.position_at(T0 + timedelta(minutes=25)) == 3
    assert index.position_at(T0 + timedelta(minutes=5)) == 0
    assert index.position_at(T0 + timedelta(minutes=40)) == 4
