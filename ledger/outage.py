"""What a database outage looks like from here, and how long to wait before retrying.

PostgreSQL restarted, a network cut, a pool with no live connection: the errors come
from psycopg, its pool, or the eventsourcing library's wrappers of them. Long-running
processes (followers, sealers) wait and retry with a growing delay; the web answers
503 with ``Retry-After`` rather than 500 (``web/errors.py``).
"""

from __future__ import annotations

import contextlib
import random
import select
import sqlite3
import threading
from typing import Any

import psycopg
from eventsourcing.persistence import InterfaceError as LibraryInterfaceError
from eventsourcing.persistence import OperationalError as LibraryOperationalError
from psycopg_pool import PoolTimeout

from ledger.errors import StorageUnavailable

OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    psycopg.OperationalError,
    psycopg.InterfaceError,
    LibraryOperationalError,
    LibraryInterfaceError,
    PoolTimeout,
    StorageUnavailable,
    sqlite3.OperationalError,
)
_SQLITE_OUTAGES = ("database is locked", "disk i/o error", "unable to open")


def is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` says the database is (for now) out of reach — not a bug."""
    if isinstance(exc, sqlite3.OperationalError):
        return any(text in str(exc).lower() for text in _SQLITE_OUTAGES)
    return isinstance(exc, OUTAGE_ERRORS)


def views_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the view tables are missing or out of reach for now (the
    owner rebuilding them, or not yet granting the rebuilt ones to the app role)."""
    if isinstance(exc, sqlite3.OperationalError):
        return "no such table" in str(exc).lower()
    return isinstance(
        exc, psycopg.errors.UndefinedTable | psycopg.errors.InsufficientPrivilege
    )


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class Backoff:
    """Exponential delays with jitter: 0.5 s, 1 s, 2 s … up to ``cap``."""

    def __init__(self, initial: float = 0.5, cap: float = 15.0) -> None:
        self.initial, self.cap = initial, cap
        self.failures = 0
        self.since: float | None = None

    def next(self, now: float) -> float:
        """The delay before the next attempt, after one more failure at ``now``."""
        if self.since is None:
            self.since = now
        delay = min(self.cap, self.initial * 2**self.failures)
        self.failures += 1
        return delay * random.uniform(0.8, 1.2)

    def reset(self) -> float | None:
        """Back to normal; returns since when it had been failing (or None)."""
        since, self.since, self.failures = self.since, None, 0
        return since


def idle_check(pool: Any = None) -> Any:
    """A pool's check before lending a connection, without a round trip.

    An idle connection's socket has nothing to read — unless the server closed it
    (restarted, or the session was killed): only then is it pinged, which raises and
    makes the pool replace it. The first dead one found means the others died with the
    same server: the whole pool is checked at once (otherwise the pool tries its idle
    connections one after another, pausing between failures: 3.8 s for five). So the
    first requests after a database restart get live connections, and the usual
    checkout costs one ``select`` call, not a query."""

    def check(conn: psycopg.Connection[Any]) -> None:
        readable, _, _ = select.select([conn.pgconn.socket], [], [], 0)
        if not readable:
            return
        try:
            conn.execute("")
        except psycopg.Error:
            if pool is not None:
                threading.Thread(target=_check_pool, args=(pool,), daemon=True).start()
            raise

    return check


def _check_pool(pool: Any) -> None:
    with contextlib.suppress(Exception):
        pool.check()


def install_idle_check(pool: Any) -> None:
    """Give a pool the library created (it offers only a pinging check) ours."""
    if hasattr(pool, "_check"):
        pool._check = idle_check(pool)


def _cap_pool_reconnection_delay() -> None:
    """Reconnect pooled connections at most a second apart.

    psycopg_pool replaces a dead connection in the background, retrying with delays
    that double from 1 s (1, 2, 4, 8, 16 s…): after a three-second database restart,
    its pools stayed empty for ~20 s and every request waited. A failed connection to a
    server that is down costs nothing, so we retry every 0.25–1 s instead."""
    import psycopg_pool.base
    import psycopg_pool.pool

    original = psycopg_pool.base.AttemptWithBackoff

    class CappedBackoff(original):  # type: ignore[misc,valid-type]
        INITIAL_DELAY = 0.25
        MAX_DELAY = 1.0

        def update_delay(self, now: float) -> None:
            super().update_delay(now)
            self.delay = min(self.delay, self.MAX_DELAY)

    if getattr(psycopg_pool.pool, "AttemptWithBackoff", None) is original:
        psycopg_pool.pool.AttemptWithBackoff = CappedBackoff  # type: ignore[misc]


_cap_pool_reconnection_delay()
