"""Who projects: one process at a time writes a view store.

Every process of a deployment may run a follower (each ``sdsi serve`` worker on the
embedded SQLite default, ``sdsi projections follow`` on PostgreSQL, a rebuild, a CLI
command catching up). Several projectors writing the same views would each compute
batches from their own in-memory documents; the tracking check refuses a batch that
does not start where the views stand, so nothing is lost, but the work is done twice
and the losers' batches fail. So a projector first wins an election:

- on SQLite, an exclusive ``flock`` on a file beside the views' database (released by
  the kernel when the process dies);
- on PostgreSQL, a session-level advisory lock on one of the store's connections
  (released by the server when the session ends, including when the connection drops).

The lock is taken for one catch-up (followers) or for a whole rebuild, never longer:
followers of the other processes take over as soon as the holder stops.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg


class ElectionTimeout(Exception):
    """Another process kept the views' lock for longer than we could wait."""


class Election:
    """The right to write a view store, held by at most one projector at a time."""

    def try_acquire(self) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def release(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def close(self) -> None:
        """Release the lock and free what holds it."""

    @contextmanager
    def held(self, *, wait: float | None = None) -> Iterator[bool]:
        """Yield whether the lock was won (at once, or within ``wait`` seconds);
        with ``wait`` set, losing raises :class:`ElectionTimeout`."""
        won = self.try_acquire()
        if not won and wait is not None:
            deadline = time.monotonic() + wait
            while not won and time.monotonic() < deadline:
                time.sleep(0.02)
                won = self.try_acquire()
            if not won:
                raise ElectionTimeout(
                    f"another process has been projecting the views for more than "
                    f"{wait:.0f} s: stop it (or wait) and try again"
                )
        try:
            yield won
        finally:
            if won:
                self.release()


class FileElection(Election):
    """An exclusive ``flock`` on ``path`` (SQLite view stores)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        if self._fd is not None:
            raise RuntimeError("the views' lock is already held by this projector")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def close(self) -> None:
        self.release()


class AdvisoryElection(Election):
    """A PostgreSQL session-level advisory lock, held on one of the store's pooled
    connections for as long as the lock is held."""

    def __init__(self, pool: Any, name: str) -> None:
        self.pool = pool
        self.key = int.from_bytes(
            hashlib.sha256(name.encode()).digest()[:8], "big", signed=True
        )
        self._lease: Any = None  # the pool's context manager of the held connection
        self._conn: psycopg.Connection[Any] | None = None

    def try_acquire(self) -> bool:
        if self._conn is not None:
            raise RuntimeError("the views' lock is already held by this projector")
        lease = self.pool.connection()
        conn = lease.__enter__()
        try:
            row = conn.execute(
                "SELECT pg_try_advisory_lock(%s)", (self.key,)
            ).fetchone()
        except BaseException as exc:
            lease.__exit__(type(exc), exc, exc.__traceback__)
            raise
        if not (row and row[0]):
            lease.__exit__(None, None, None)
            return False
        self._lease, self._conn = lease, conn
        return True

    def release(self) -> None:
        if self._conn is None:
            return
        lease, conn = self._lease, self._conn
        self._lease = self._conn = None
        try:
            conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
        except psycopg.Error:
            # Never hand a connection that may still hold the lock back to the pool:
            # closed, it is discarded (and a lost session holds no lock).
            with contextlib.suppress(psycopg.Error):
                conn.close()
        lease.__exit__(None, None, None)


def election_for(store: Any) -> Election:
    """The election guarding writes to ``store`` (by the store's kind)."""
    if store.kind == "postgres":
        return AdvisoryElection(store.pool, f"sdsi views {store.prefix}")
    return FileElection(f"{store.path}.lock")
