"""Recorders that lose the acknowledgement of a commit that landed (fault injection).

They behave like a connection dropped right after COMMIT: the library's retry runs the
insert again, which then fails with ``IntegrityError`` although the first save landed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry

from ledger.storage import PostgresLedgerRecorder, SQLiteLedgerRecorder


class _LoseAcks:
    lose_next: ClassVar[int] = 0
    lost: ClassVar[int] = 0

    def _after_commit(self) -> None:
        cls = type(self)
        if cls.lose_next > 0:
            cls.lose_next -= 1
            cls.lost += 1
            raise OperationalError(
                "server closed the connection unexpectedly (after COMMIT)"
            )


class FlakySQLiteRecorder(_LoseAcks, SQLiteLedgerRecorder):
    @retry((InterfaceError, OperationalError), max_attempts=3, wait=0.01)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = SQLiteLedgerRecorder.insert_events(self, stored_events, **kwargs)
        self._after_commit()
        return ids


class FlakyPostgresRecorder(_LoseAcks, PostgresLedgerRecorder):
    @retry((InterfaceError, OperationalError), max_attempts=3, wait=0.01)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        unretried = PostgresApplicationRecorder.insert_events.__wrapped__  # type: ignore[attr-defined]
        ids = unretried(self, stored_events, **kwargs)
        self._after_commit()
        return ids  # type: ignore[no-any-return]
