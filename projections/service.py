"""The read model of a running process: the live views, as-of views, following, status.

- ``ReadModel.at(as_of)`` gives the store to read: the live views, or a temporary SQLite
  store into which the same projector replayed the log up to that moment (cached, a few
  at a time). ``as_of`` is ``position:N`` or an ISO date-time (UTC if no offset): the
  views as they stood after the last event recorded at or before it (resolved from
  the log itself, whatever the views' lag).
- ``ReadModel.wait_for`` gives read-your-writes after a command.
- ``Follower`` runs the projector in a background thread (embedded mode), waking up on
  PostgreSQL notifications or polling SQLite.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import threading
from collections import OrderedDict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from domain.errors import InvalidValue
from ledger.config import Settings
from ledger.log import TimeIndex
from projections.election import ElectionTimeout
from projections.projector import (
    ProjectionError,
    Projector,
    wait_for,
)
from projections.schema import VIEWS
from projections.store import SQLiteViewStore, ViewStore, open_store
from projections.tracking import tracking
from projections.upgrade import schema_matches, upgrade_views
from projections.views import load_handlers

log = logging.getLogger(__name__)


_POSITION = re.compile(r"[0-9]{1,18}", re.ASCII)


def past_views_root(settings: Settings) -> Path:
    """Where every process of this ledger keeps its cached past views (one folder
    each, ``asof-POSITION.db`` files): under the data directory, so an erasure made
    by any process (``sdsi users erase``) finds them all (:func:`purge_past_views`)."""
    root = Path(settings.data_dir) / "asof-cache"
    root.mkdir(parents=True, exist_ok=True)
    return root


def _unlink_store(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def purge_past_views(settings: Settings) -> int:
    """After an erasure: delete every process's cached past views of this ledger,
    which were projected before it and may hold the erased text. A process whose
    files are gone notices the erasure (the register's count) at its next past view
    and replays it. How many files were deleted."""
    gone = 0
    for path in sorted(past_views_root(settings).glob("*/asof-*.db*")):
        path.unlink(missing_ok=True)
        gone += 1
    return gone


class ViewsNotInitialised(Exception):
    """The view tables do not exist: ``sdsi init`` creates them."""


def parse_as_of(value: str) -> tuple[str, Any]:
    """``("position", N)`` or ``("time", aware UTC datetime)``; InvalidValue otherwise."""
    text = value.strip()
    shown = value[:60] + "…" if len(value) > 60 else value
    if text.startswith("position:"):
        raw = text.split(":", 1)[1]
        if not _POSITION.fullmatch(raw):
            raise InvalidValue("as_of", shown, "position:N avec N entier positif")
        return "position", int(raw)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return "time", moment.astimezone(UTC)
    except (ValueError, OverflowError):  # 0001-01-01T00:00+14:00 has no UTC instant
        raise InvalidValue(
            "as_of", shown, "date-heure ISO 8601 (UTC) ou position:N"
        ) from None


class ReadModel:
    """The views one process reads, live or as of a past moment."""

    def __init__(
        self,
        ledger: Any,
        settings: Settings,
        *,
        store: ViewStore | None = None,
        cache_size: int = 4,
        upgrade: bool = True,
    ) -> None:
        """``upgrade``: rebuild the views first if their schema is not the code's
        (``projections.upgrade``); off for ``sdsi projections status`` and ``rebuild``."""
        load_handlers()
        self.ledger = ledger
        self.settings = settings
        self.store = store or open_store(settings.database, settings.data_dir)
        if not self.store.exists():
            raise ViewsNotInitialised(
                "the view tables are not initialised: run `sdsi init` first"
            )
        if upgrade:
            try:
                upgrade_views(ledger, self.store)
            except BaseException:
                self.store.close()
                raise
        self._asof: OrderedDict[int, SQLiteViewStore] = OrderedDict()
        self._asof_lock = threading.Lock()
        self._erased = -1  # erasures counted when the past views were cached
        self._cache_size = cache_size
        self._tmp = Path(
            tempfile.mkdtemp(prefix="sdsi-asof-", dir=past_views_root(settings))
        )
        self.times = TimeIndex(ledger.recorder, ledger.mapper)

    def projector(self, **kw: Any) -> Projector:
        return Projector(self.ledger, self.store, **kw)

    # --- as of ------------------------------------------------------------------------------

    def position_of(self, as_of: str) -> int:
        """The ledger position a moment designates, resolved from the log itself
        (never from the views, which may lag): a position is checked against the
        head; a time gives the position of the last event recorded at or before it."""
        kind, value = parse_as_of(as_of)
        if kind == "position":
            head = self.head_position()
            if value > head:
                raise InvalidValue(
                    "as_of", as_of, f"position au-delà de la dernière ({head})"
                )
            return int(value)
        return self.times.position_at(value)

    def at(self, as_of: str | None) -> ViewStore:
        """The live views (``None``) or the views as of ``as_of``."""
        if not as_of:
            return self.store
        position = self.position_of(as_of)
        if position == self.current_position():
            return self.store
        return self.replay(position)

    def forget_past_views(self) -> None:
        """Drop the cached past views (after an erasure: they may hold its text)."""
        with self._asof_lock:
            self._drop_past_views()

    def forget_past_views_if_erased(self) -> None:
        """Drop the cached past views if a person was erased since they were made,
        by any process (their files would keep the name on disk until this process
        next replays a moment). Reads nothing while no past view is cached."""
        if not self._asof:
            return
        erased = self.ledger.personal_keys.generation()
        with self._asof_lock:
            if erased != self._erased:
                self._drop_past_views()
                self._erased = erased

    def _drop_past_views(self) -> None:
        for store in self._asof.values():
            store.close()
            _unlink_store(Path(store.path))
        self._asof.clear()

    def replay(self, position: int) -> SQLiteViewStore:
        """A temporary store holding the views as of ``position`` (same projector);
        the cache is dropped when a person was erased since it was filled (by any
        process: the erasure register's count changed)."""
        erased = self.ledger.personal_keys.generation()
        with self._asof_lock:
            if erased != self._erased:
                self._drop_past_views()
                self._erased = erased
            if position in self._asof:
                self._asof.move_to_end(position)
                return self._asof[position]
            store = SQLiteViewStore(self._tmp / f"asof-{position}.db")
            Projector(self.ledger, store, batch_size=5000).rebuild(
                stop_position=position
            )
            self._asof[position] = store
            while len(self._asof) > self._cache_size:
                _pos, old = self._asof.popitem(last=False)
                old.close()
                _unlink_store(Path(old.path))
            return store

    # --- status ------------------------------------------------------------------------------

    def current_position(self) -> int:
        return self.mark()[0]

    def mark(self) -> tuple[int, int]:
        """The views' (position, notification id): how far every view has got."""
        row = self.store.fetchone(
            "SELECT MIN(position), MIN(notification_id) FROM {tracking}"
        )
        return (int(row[0] or 0), int(row[1] or 0)) if row else (0, 0)

    def head_position(self) -> int:
        """Number of events in the log: the position of the newest one (the views'
        position plus the events after it — an index range, not a full count)."""
        position, nid = self.mark()
        return position + int(self.ledger.storage.count_events_after(nid))

    def status(self) -> list[dict[str, Any]]:
        head = self.head_position()
        return [
            {**t, "head": head, "lag": head - t["position"]}
            for t in tracking(self.store)
            if t["view"] in VIEWS
        ]

    def schema_matches(self) -> bool:
        """Whether the live views have the shape the code declares."""
        return schema_matches(self.store)

    def wait_for(self, notification_id: int | None, timeout: float = 5.0) -> bool:
        """Read-your-writes: True once the views include ``notification_id``."""
        if not notification_id:
            return True
        return wait_for(self.store, notification_id, timeout)

    def close(self) -> None:
        with self._asof_lock:
            for store in self._asof.values():
                store.close()
            self._asof.clear()
        shutil.rmtree(self._tmp, ignore_errors=True)
        self.store.close()


def init_views(settings: Settings, ledger: Any) -> bool:
    """Create the view tables (``sdsi init``); True if they were missing."""
    load_handlers()
    store = open_store(settings.database, settings.data_dir)
    try:
        existed = store.exists()
        if existed:
            upgrade_views(ledger, store)  # tables of an earlier release: rebuilt
        Projector(ledger, store).ensure_tables()
        return not existed
    finally:
        store.close()


def upgrade_live_views(settings: Settings, ledger: Any) -> int | None:
    """Rebuild the live views if they exist and their schema is not the code's
    (``sdsi serve``, before its workers start: a rebuild in a booting worker would
    outlast gunicorn's worker timeout on a large ledger)."""
    load_handlers()
    store = open_store(settings.database, settings.data_dir)
    try:
        return upgrade_views(ledger, store) if store.exists() else None
    finally:
        store.close()


class Follower:
    """Keeps the views (and any extra followers, e.g. sealing) up to date in a thread."""

    def __init__(
        self,
        read_model: ReadModel,
        *,
        poll: float = 0.2,
        extra: list[Any] | None = None,
    ) -> None:
        self.read_model = read_model
        self.poll = poll
        self.extra = extra or []
        self.stop = threading.Event()
        self.wake = threading.Event()
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Follower:
        self._thread = threading.Thread(
            target=self._run, name="sdsi-follower", daemon=True
        )
        self._thread.start()
        return self

    def notify(self) -> None:
        """Wake up now (after a command of this process)."""
        self.wake.set()

    def _run(self) -> None:
        projector = self.read_model.projector()
        try:
            self._loop(projector)
        finally:
            projector.close()

    def _loop(self, projector: Projector) -> None:
        woken = False
        while not self.stop.is_set():
            try:
                # Woken by a command of this process: wait a little for the views' lock
                # if another process is projecting, so the command's event is projected
                # promptly (by whichever process gets there first).
                moved = projector.catch_up(wait=1.0 if woken else None)
                for follower in self.extra:
                    follower()
            except ElectionTimeout:
                moved = 0
            except ProjectionError as exc:
                self.error = exc
                log.error("projection stopped: %s", exc)
                return
            except Exception as exc:
                log.warning("follower: %s (retrying)", exc)
                moved = 0
                self.stop.wait(1.0)
            woken = False
            if not moved:
                woken = self.wake.wait(self.poll)
                self.wake.clear()

    def close(self, timeout: float = 5.0) -> None:
        self.stop.set()
        self.wake.set()
        if self._thread is not None:
            self._thread.join(timeout)


def listen_wait(settings: Settings) -> Any:
    """A wait function that wakes on PostgreSQL NOTIFY from the event table's inserts."""
    db = settings.database
    conn = psycopg.connect(**db.libpq_kwargs(), autocommit=True)  # type: ignore[arg-type]
    conn.execute("LISTEN sdsi_events")

    def wait(timeout: float) -> None:
        for _ in conn.notifies(timeout=timeout, stop_after=1):
            pass

    wait.connection = conn  # type: ignore[attr-defined]
    return wait
