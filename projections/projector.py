"""The one code path of the read side: follow, rebuild and replay as of a position.

A :class:`Projector` reads the log in batches (``ledger.log``), hands every event to the
handlers the views registered for its class (``projections.registry``), and writes everything a
batch changed — documents, derived rows, appended rows and the tracking position of
every view — in one transaction. The tracking row must still hold the batch's starting
position when it commits, so a duplicate or out-of-order batch is refused and rolled
back: killing the projector at any moment and restarting it loses and duplicates nothing.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import psycopg

from ledger.log import Cursor, LogEntry, read_batch
from projections.election import election_for
from projections.registry import (  # noqa: F401 - the handler-facing API, re-exported
    ANY_EVENT,
    BEFORE_FLUSH,
    CHILDREN_OF,
    HANDLERS,
    ROW_OF,
    Handler,
    Meta,
    cents,
    document,
    iso,
    on,
    on_every_event,
)
from projections.schema import BY_NAME, DERIVED, FINGERPRINT, VIEWS, Table
from projections.store import ViewStore

Key = tuple[Any, ...]
_ABSENT = object()
LOCK_WAIT = 120.0  # seconds a rebuild waits for the followers' current catch-up

log = logging.getLogger(__name__)


class OutOfOrder(Exception):
    """A batch does not start where the views stand: refused, nothing written."""


class ProjectionError(Exception):
    """A handler failed: processing stops and says which event."""


# --- the unit of work ------------------------------------------------------------------


class DocCache:
    """Documents kept between batches, loaded from the store on a miss.

    Bounded both in count and in size (the length of each document's JSON, a fair
    proxy of its memory), least recently used first: memory stays flat however many
    events and entities the log holds."""

    def __init__(
        self, store: ViewStore, maxsize: int = 20_000, max_bytes: int = 24 * 1024 * 1024
    ) -> None:
        self.store = store
        self.maxsize = maxsize
        self.max_bytes = max_bytes
        self.docs: OrderedDict[tuple[str, Key], Any] = OrderedDict()
        self.sizes: dict[tuple[str, Key], int] = {}
        self.total = 0
        self.fresh = False  # the store was empty when we started: a miss means absent
        self.evicted = False

    def get(self, table: str, key: Key) -> dict[str, Any] | None:
        k = (table, key)
        if k in self.docs:
            self.docs.move_to_end(k)
            value = self.docs[k]
            return None if value is _ABSENT else value  # type: ignore[no-any-return]
        if self.fresh and not self.evicted:
            self.docs[k] = _ABSENT
            return None
        t = BY_NAME[table]
        where = " AND ".join(f"{c} = ?" for c in t.key)
        row = self.store.fetchone(f"SELECT doc FROM {{{table}}} WHERE {where}", key)
        doc = orjson.loads(row[0]) if row else None
        self.docs[k] = doc if doc is not None else _ABSENT
        if row:
            self.weigh(k, len(row[0]))
        return doc

    def prefetch(self, table: str, keys: Iterable[Key], chunk: int = 500) -> None:
        """Load the documents of ``keys`` the cache lacks, a few hundred per query
        instead of one query per event. Documents whose write is still pending are
        always cached (:meth:`trim` protects them), so what the store returns is
        current."""
        if self.fresh and not self.evicted:
            return  # a miss means absent
        missing = [k for k in set(keys) if (table, k) not in self.docs]
        if not missing:
            return
        t = BY_NAME[table]
        if len(t.key) != 1:
            raise ValueError(f"prefetch needs a one-column key, {table} has {t.key}")
        for i in range(0, len(missing), chunk):
            part = missing[i : i + chunk]
            marks = ", ".join("?" * len(part))
            found = {
                (row[0],): row[1]
                for row in self.store.fetchall(
                    f"SELECT {t.key[0]}, doc FROM {{{table}}} WHERE {t.key[0]} IN ({marks})",
                    [k[0] for k in part],
                )
            }
            for key in part:
                k = (table, key)
                text = found.get(key)
                if text is None:
                    self.docs[k] = _ABSENT
                else:
                    self.docs[k] = orjson.loads(text)
                    self.weigh(k, len(text))

    def set(self, table: str, key: Key, doc: dict[str, Any]) -> None:
        self.docs[(table, key)] = doc
        self.docs.move_to_end((table, key))

    def weigh(self, k: tuple[str, Key], size: int) -> None:
        """Record the serialised size of a cached document."""
        self.total += size - self.sizes.get(k, 0)
        self.sizes[k] = size

    def trim(self, protect: frozenset[tuple[str, Key]] = frozenset()) -> None:
        """Evict the least recently used documents, never one whose write is pending."""
        kept: list[tuple[tuple[str, Key], Any]] = []
        while self.docs and (
            len(self.docs) > self.maxsize or self.total > self.max_bytes
        ):
            k, value = self.docs.popitem(last=False)
            if k in protect:
                kept.append((k, value))
                continue
            self.total -= self.sizes.pop(k, 0)
            self.evicted = True
        for k, value in kept:  # back at the recent end, in their order
            self.docs[k] = value

    def clear(self) -> None:
        self.docs.clear()
        self.sizes.clear()
        self.total = 0
        self.evicted = self.fresh

    def invalidate(self) -> None:
        """Forget everything, including that the store was empty: another writer may
        have written documents since they were cached."""
        self.fresh = False
        self.clear()


class Batch:
    """What one batch of events changes, written in one transaction by :meth:`flush`."""

    def __init__(self, cache: DocCache, start: Cursor) -> None:
        self.cache = cache
        self.start = start
        self.end = start
        self.dirty: dict[tuple[str, Key], dict[str, Any]] = {}
        self.appended: dict[str, list[tuple[Any, ...]]] = {}
        self.marks: dict[
            str, set[Any]
        ] = {}  # work deferred to the flush (e.g. consolidation)

    def mark(self, kind: str, key: Any) -> None:
        self.marks.setdefault(kind, set()).add(key)

    def take_mark(self, kind: str, key: Any) -> bool:
        """Whether ``key`` was marked for ``kind`` (and unmark it)."""
        marked = self.marks.get(kind, set())
        if key in marked:
            marked.discard(key)
            return True
        return False

    def doc(self, table: str, key: Key) -> dict[str, Any] | None:
        k = (table, key)
        if k in self.dirty:
            return self.dirty[k]
        return self.cache.get(table, key)

    def put(self, table: str, key: Key, doc: dict[str, Any]) -> dict[str, Any]:
        self.dirty[(table, key)] = doc
        self.cache.set(table, key, doc)
        return doc

    def touch(self, table: str, key: Key) -> dict[str, Any]:
        """The document, marked changed (it must exist)."""
        doc = self.doc(table, key)
        if doc is None:
            raise KeyError(f"{table} {key} is unknown to the views")
        return self.put(table, key, doc)

    def append(self, table: str, row: tuple[Any, ...]) -> None:
        self.appended.setdefault(table, []).append(row)

    def flush(self, store: ViewStore, views: Iterable[str]) -> None:
        """Write everything, and move the tracking of ``views`` from start to end."""
        self.prepare().write(store, tuple(views))

    def prepare(self) -> Writes:
        """Serialise what the batch changed (in the caller's thread: documents may keep
        changing afterwards); :meth:`Writes.write` then needs no Python object."""
        for hook in BEFORE_FLUSH:
            hook(self)
        w = Writes(self.start, self.end, dict(self.appended), frozenset(self.dirty))
        for (table, key), doc in self.dirty.items():
            serialised = orjson.dumps(doc, option=orjson.OPT_SORT_KEYS).decode()
            w.docs.setdefault(table, []).append((*ROW_OF[table](doc), serialised))
            self.cache.weigh((table, key), len(serialised))
            if table in CHILDREN_OF:
                for child, rows in CHILDREN_OF[table](self, doc).items():
                    w.children.setdefault(child, []).extend(rows)
                for child_table in DERIVED.get(table, []):
                    w.parents.setdefault(child_table.name, []).append(key[:1])
        return w


@dataclass
class Writes:
    """The rows one batch writes, ready to go to the store in one transaction."""

    start: Cursor
    end: Cursor
    appended: dict[str, list[tuple[Any, ...]]]
    keys: frozenset[tuple[str, Key]]
    docs: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    children: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    parents: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)

    def write(self, store: ViewStore, views: tuple[str, ...]) -> None:
        now = iso(datetime.now(UTC))
        with store.transaction() as cur:
            self._check_tracking(store, cur, views)
            for table, rows in self.docs.items():
                store.upsert_many(cur, BY_NAME[table], rows)
            for child, keys in self.parents.items():
                t = BY_NAME[child]
                store.delete_many(cur, t, t.parent_cols, keys)
            for child, rows in self.children.items():
                store.insert_many(cur, BY_NAME[child], rows)
            for table, rows in self.appended.items():
                store.insert_many(cur, BY_NAME[table], rows)
            for view in views:
                cur.execute(
                    store._ph(
                        f"UPDATE {store.name('tracking')} SET position = ?, notification_id = ?, updated_at = ? WHERE view = ?"
                    ),
                    (self.end.position, self.end.notification_id, now, view),
                )

    def _check_tracking(self, store: ViewStore, cur: Any, views: Iterable[str]) -> None:
        lock = " FOR UPDATE" if store.kind == "postgres" else ""
        for view in views:
            cur.execute(
                store._ph(
                    f"SELECT position FROM {store.name('tracking')} WHERE view = ?{lock}"
                ),
                (view,),
            )
            row = cur.fetchone()
            position = row[0] if row else None
            if position != self.start.position:
                raise OutOfOrder(
                    f"view {view} stands at position {position}, the batch starts after {self.start.position}: refused"
                )


class Writer:
    """Writes prepared batches in one background thread, one at a time and in order, so
    the database works while the next batch is being projected (SQLite and psycopg
    release the GIL while they execute)."""

    def __init__(self, store: ViewStore, views: tuple[str, ...]) -> None:
        self.store = store
        self.views = views
        self._queue: queue.Queue[Writes | None] = queue.Queue(maxsize=1)
        self._idle = threading.Event()
        self._idle.set()
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, name="sdsi-view-writer", daemon=True
        )
        self._thread.start()

    def submit(self, writes: Writes) -> None:
        """Queue ``writes`` once the previous batch is committed (re-raising its error)."""
        self.wait()
        self._idle.clear()
        self._queue.put(writes)

    def _run(self) -> None:
        while (writes := self._queue.get()) is not None:
            try:
                writes.write(self.store, self.views)
            except BaseException as exc:  # re-raised in the projecting thread by wait()
                self._error = exc
            finally:
                self._idle.set()

    def wait(self) -> None:
        """Block until the pending batch is committed; re-raise its error."""
        self._idle.wait()
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()


# --- the projector ------------------------------------------------------------------------


@contextlib.contextmanager
def _without_cycle_collector() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a rebuild.

    A rebuild allocates millions of objects and keeps thousands of documents cached;
    the collector would walk them again and again (10-15 % of a rebuild's CPU time)
    to find no cycle: documents are plain dicts and lists, events are dropped once
    projected. Reference counting still frees everything; the collector resumes (if
    it was running) at the end, whatever happened, and finds any cycle then."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class Projector:
    """Projects the ledger's events into a view store (follow, rebuild or as-of replay)."""

    def __init__(
        self,
        ledger: Any,
        store: ViewStore,
        *,
        batch_size: int = 2000,
        views: tuple[str, ...] = VIEWS,
    ) -> None:
        self.ledger = ledger
        self.store = store
        self.batch_size = batch_size
        self.views = views
        self.cache = DocCache(store)
        self._mapper = ledger.mapper
        self.election = election_for(store)
        # The views' position the cached documents reflect: the cache is valid only
        # while the stored position is the one this projector last wrote or read.
        self._synced: Cursor | None = None
        # Whether the secondary indexes are known to exist: a rebuild creates them at
        # its end, so one interrupted (SIGTERM, SIGKILL, an error) leaves the views
        # without them; whoever completes those views must create them.
        self._indexed = False

    # --- tracking ------------------------------------------------------------------------

    def ensure_tables(self, *, indexes: bool = True) -> None:
        """Create the view tables and tracking rows if missing (``sdsi init`` / temp views);
        a new tracking row records the code's schema fingerprint."""
        self.store.create_tables(indexes=indexes)
        with self.store.transaction() as cur:
            self._add_tracking(cur)

    def _add_tracking(self, cur: Any) -> None:
        """The tracking rows missing, at position 0 with the code's fingerprint."""
        for view in self.views:
            cur.execute(
                self.store._ph(
                    f"SELECT 1 FROM {self.store.name('tracking')} WHERE view = ?"
                ),
                (view,),
            )
            if cur.fetchone() is None:
                cur.execute(
                    self.store._ph(
                        f"INSERT INTO {self.store.name('tracking')} (view, position, notification_id, updated_at, schema) VALUES (?, 0, 0, ?, ?)"
                    ),
                    (view, iso(datetime.now(UTC)), FINGERPRINT),
                )

    def cursor(self) -> Cursor:
        """Where the views stand (they move together)."""
        rows = self.store.fetchall(
            "SELECT view, position, notification_id FROM {tracking}"
        )
        mine = [(p, n) for v, p, n in rows if v in self.views]
        if len(mine) != len(self.views):
            raise ProjectionError(
                "the view tables are not initialised: run `sdsi init`"
            )
        if len(set(mine)) != 1:
            raise ProjectionError(
                f"views stand at different positions {sorted(set(mine))}: run `sdsi projections rebuild`"
            )
        return Cursor(int(mine[0][0]), int(mine[0][1]))

    def reset(self) -> None:
        """Empty every view (for a rebuild): drop and recreate the tables, without their
        secondary indexes until :meth:`finish_bulk` (bulk loading is faster without)."""
        self._indexed = False  # until the rebuild ends (or a catch-up completes it)
        # one transaction: other processes read the old views until it commits
        self.store.recreate_tables(indexes=False, then=self._add_tracking)
        self.cache.clear()
        self.cache.fresh = True
        self.cache.evicted = False
        self._synced = Cursor()

    def _sync_cache(self, stored: Cursor) -> None:
        """Drop the cached documents unless the views stand where this projector left
        them: another process (or a rebuild) wrote newer documents meanwhile."""
        if self._synced != stored:
            self.cache.invalidate()
            self._indexed = False  # another process (maybe a rebuild) wrote meanwhile
        self._synced = stored

    def close(self) -> None:
        """Release the views' lock if held (the store stays open)."""
        self.election.close()

    # --- processing ----------------------------------------------------------------------

    def process(self, entries: list[LogEntry], start: Cursor) -> Cursor:
        """Apply one batch and commit it with the new tracking position."""
        with self.election.held(wait=LOCK_WAIT):
            return self._process(entries, start)

    def _process(self, entries: list[LogEntry], start: Cursor) -> Cursor:
        stored = self.cursor()
        self._sync_cache(stored)
        if stored != start or not entries or entries[0].position != start.position + 1:
            raise OutOfOrder(
                f"the views stand at position {stored.position}, the batch starts after {start.position}: refused"
            )
        self._prefetch(entries)
        batch = Batch(self.cache, start)
        for entry in entries:
            self._apply(batch, entry)
        last = entries[-1]
        batch.end = Cursor(last.position, last.notification_id)
        try:
            batch.flush(self.store, self.views)
        except BaseException:
            self._synced = None  # in-memory documents may hold unwritten changes
            self.cache.invalidate()
            raise
        self._synced = batch.end
        self.cache.trim()
        return batch.end

    def _prefetch(self, entries: list[LogEntry]) -> None:
        """Every event's first read is its aggregate's row of the audit trail
        (``aggregates``, keyed by originator id): fetch those of a batch together."""
        if self.cache.fresh and not self.cache.evicted:
            return  # nothing to fetch: a miss means absent
        self.cache.prefetch(
            "aggregates", [(str(e.notification.originator_id),) for e in entries]
        )

    def _apply(self, batch: Batch, entry: LogEntry) -> None:
        n = entry.notification
        try:
            event = self._mapper.to_domain_event(n)
            meta = Meta(
                entry.position,
                entry.notification_id,
                iso(event.timestamp),
                event.context,
                n.topic,
                n.state,
            )
            for handler in ANY_EVENT:
                handler(batch, event, meta)
            for handler in HANDLERS.get(type(event), ()):
                handler(batch, event, meta)
        except Exception as exc:
            raise ProjectionError(
                f"projecting event at position {entry.position} (notification {entry.notification_id}, "
                f"{n.topic}, {n.originator_id} v{n.originator_version}) failed: {type(exc).__name__}: {exc}"
            ) from exc

    def catch_up(
        self,
        *,
        stop_position: int | None = None,
        progress: Callable[[int], None] | None = None,
        wait: float | None = LOCK_WAIT,
    ) -> int:
        """Process events until the head (or ``stop_position``); returns how many.

        Only the process that holds the views' lock projects (``projections.election``):
        the lock is waited for ``wait`` seconds (:class:`ElectionTimeout` after), or with
        ``wait=None`` (followers) not at all: another process is projecting, so nothing
        is done and 0 returned at once."""
        with self.election.held(wait=wait) as won:
            if not won:
                return 0
            n = self._catch_up(stop_position, progress)
            if not self._indexed:
                self._create_missing_indexes()
            return n

    def _catch_up(
        self, stop_position: int | None, progress: Callable[[int], None] | None
    ) -> int:
        """Pipelined: batch N+1 is read and projected while batch N is being written."""
        cursor = self.cursor()
        self._sync_cache(cursor)
        writer = Writer(self.store, self.views)
        done = 0
        try:
            while stop_position is None or cursor.position < stop_position:
                limit = (
                    self.batch_size
                    if stop_position is None
                    else min(self.batch_size, stop_position - cursor.position)
                )
                entries = read_batch(self.ledger.recorder, cursor, limit)
                if not entries:
                    break
                self._prefetch(entries)
                batch = Batch(self.cache, cursor)
                for entry in entries:
                    self._apply(batch, entry)
                last = entries[-1]
                batch.end = cursor = Cursor(last.position, last.notification_id)
                writes = batch.prepare()
                writer.submit(writes)  # waits for the previous batch first
                self._synced = cursor  # once written (an error resets it below)
                self.cache.trim(protect=writes.keys)
                done += len(entries)
                if progress:
                    progress(len(entries))
            writer.wait()
        except BaseException:
            with contextlib.suppress(
                BaseException
            ):  # the first error is the one to report
                writer.wait()
            self._synced = None  # in-memory documents may hold unwritten changes
            self.cache.invalidate()
            raise
        finally:
            writer.close()
        return done

    def _create_missing_indexes(self) -> None:
        """Create the indexes an interrupted rebuild left out (one catalog read when
        none is missing). A role that may not create them (not the tables' owner)
        follows without them, saying so: the owner's ``sdsi projections rebuild``
        creates them."""
        try:
            created = self.store.create_missing_indexes()
        except psycopg.errors.InsufficientPrivilege:
            log.warning(
                "view indexes missing (a rebuild was interrupted) and this role may "
                "not create them: run `sdsi projections rebuild` as the owner"
            )
            return
        if created:
            log.info("created the view indexes an interrupted rebuild left out")
        self._indexed = True

    def rebuild(
        self,
        progress: Callable[[int], None] | None = None,
        *,
        stop_position: int | None = None,
    ) -> int:
        """Empty the views and project the whole log (or up to ``stop_position``) again,
        holding the views' lock throughout (followers wait for the end)."""
        with self.election.held(wait=LOCK_WAIT):
            return self.rebuild_locked(progress, stop_position=stop_position)

    def rebuild_locked(
        self,
        progress: Callable[[int], None] | None = None,
        *,
        stop_position: int | None = None,
    ) -> int:
        """:meth:`rebuild`, the views' lock being held by the caller."""
        with _without_cycle_collector():
            self.reset()
            n = self._catch_up(stop_position, progress)
            self.store.create_indexes()
            self._indexed = True
        return n

    def follow(
        self, stop: Any, wait: Callable[[float], None] | None = None, poll: float = 0.2
    ) -> None:
        """Catch up, then keep following new events until ``stop`` is set."""
        wait = wait or (lambda seconds: stop.wait(seconds))
        while not stop.is_set():
            if self.catch_up(wait=None) == 0:
                wait(poll)


def wait_for(
    store: ViewStore,
    notification_id: int,
    timeout: float = 5.0,
    view: str = "portfolio",
) -> bool:
    """Read-your-writes: wait until ``view`` has processed ``notification_id``."""
    deadline = time.monotonic() + timeout
    while True:
        row = store.fetchone(
            "SELECT notification_id FROM {tracking} WHERE view = ?", (view,)
        )
        if row is not None and row[0] >= notification_id:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)


__all__ = [
    "Batch",
    "Meta",
    "Projector",
    "Table",
    "cents",
    "document",
    "iso",
    "on",
    "on_every_event",
]
