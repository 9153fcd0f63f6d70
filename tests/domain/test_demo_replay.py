"""The demo municipality: its stored events rebuild what was saved, deterministically.

The demo is loaded once per backend (scale 1, ~6,000 events, through the same ledger
commands a user sends) with every aggregate captured, deep-copied, right after each
save. Then:

- a fresh ledger on the same database, without aggregate cache, rebuilds from the
  stored events every aggregate of the log, and a replay of the raw stored events
  through the mapper does too; each equals the state captured when it was saved.
  "Equal" means the same class, id, version and creation/modification times and every
  attribute equal — and also the same ``repr``, so a value decoded as an equal but
  different value (``Decimal("1.5")`` for ``Decimal("1.50")``, a list for a tuple, an
  int for a bool) is caught too;
- a second load into another fresh database gives the same events: same topics,
  originator ids and versions in the same order, and the same state once the
  idempotency key (a random ``auto-…`` key, or a fixed ``demo-…`` one for the
  comments, whose ids derive from it) is removed —
  times included, as the demo's clock is simulated (the bootstrap administrator, created
  before the demo starts, is created at a fixed time too). The second load is made on
  SQLite, and the PostgreSQL load must give the very same events as the SQLite one:
  that covers PostgreSQL's determinism without a fourth load.
"""

from __future__ import annotations

import copy
import json
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from eventsourcing.domain import Aggregate

from ledger.app import Ledger, open_ledger
from ledger.config import Settings
from sdsi.demo.loader import DemoLoader
from tests.conftest import BACKENDS, make_settings

BOOTSTRAP_TIME = datetime(2020, 1, 2, 8, 0, tzinfo=UTC)


@dataclass
class DemoLoad:
    """One demo load: where it is, its saved aggregates and its stored events."""

    settings: Settings
    saved: dict[Any, Aggregate]
    events: list[tuple[str, Any, int, dict[str, Any]]]


def database(
    backend: str, request: pytest.FixtureRequest
) -> tuple[str, Callable[[], None]]:
    """A fresh database URL and how to remove it."""
    if backend == "sqlite":
        directory = Path(tempfile.mkdtemp(prefix="sdsi-demo-"))
        return f"sqlite:///{directory}/ledger.db", lambda: shutil.rmtree(directory)
    server = request.getfixturevalue("pg_server_url")
    schema = "demo_" + uuid.uuid4().hex[:12]
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")

    def drop() -> None:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")

    sep = "&" if "?" in server else "?"
    return f"{server}{sep}schema={schema}", drop


def load_demo(url: str, data_dir: Path) -> DemoLoad:
    """Load the demo at scale 1, capturing each aggregate as it is saved."""
    settings = make_settings(data_dir, url)
    ledger = open_ledger(settings, create=True)
    saved: dict[Any, Aggregate] = {}
    save = ledger.save

    def capturing_save(*aggregates: Any, **kwargs: Any) -> Any:
        recordings = save(*aggregates, **kwargs)
        for agg in aggregates:  # saved: deep-copy it, later commands reload their own
            saved[agg.id] = copy.deepcopy(agg)
        return recordings

    ledger.save = capturing_save  # type: ignore[method-assign]
    try:
        ledger.clock = lambda: BOOTSTRAP_TIME
        ledger.bootstrap_admin("admin", "Administrateur", "admin-password-1")
        DemoLoader(ledger, scale=1).run()
        events = stored_events(ledger)
    finally:
        ledger.close()
    return DemoLoad(settings, saved, events)


def stored_events(ledger: Ledger) -> list[tuple[str, Any, int, dict[str, Any]]]:
    """The stored events in log order: topic, originator, version, state (no key)."""
    out = []
    start = 0
    while batch := ledger.recorder.select_notifications(
        start=start, limit=1000, inclusive_of_start=False
    ):
        for n in batch:
            state = json.loads(n.state)
            key = state["context"]["_data_"].pop("key")
            # random, or fixed where the key names what it creates (a comment's id
            # comes from its command's key: the demo's grid propositions)
            assert key.startswith(("auto-", "demo-"))
            for name, value in state.items():  # random nonces: compare the text
                if isinstance(value, dict) and value.get("_type_") == "pii":
                    state[name] = ledger.mapper.transcoder.decode(
                        json.dumps(value).encode()
                    ).text
            out.append((n.topic, n.originator_id, n.originator_version, state))
        start = batch[-1].id
    return out


class DemoLoads:
    """The demo loaded at most once per backend for the tests of this module."""

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self.request = request
        self.loads: dict[str, DemoLoad] = {}
        self.cleanups: list[Callable[[], None]] = []

    def get(self, backend: str) -> DemoLoad:
        if backend not in self.loads:
            url, drop = database(backend, self.request)
            directory = Path(tempfile.mkdtemp(prefix="sdsi-demo-data-"))
            self.cleanups += [drop, lambda: shutil.rmtree(directory)]
            self.loads[backend] = load_demo(url, directory)
        return self.loads[backend]


@pytest.fixture(scope="module")
def demo_loads(request: pytest.FixtureRequest) -> Iterator[DemoLoads]:
    loads = DemoLoads(request)
    try:
        yield loads
    finally:
        for cleanup in loads.cleanups:
            cleanup()


@pytest.fixture(params=BACKENDS)
def demo(request: pytest.FixtureRequest, demo_loads: DemoLoads) -> tuple[str, DemoLoad]:
    """The backend and its demo load."""
    return request.param, demo_loads.get(request.param)


def test_stored_demo_events_rebuild_every_aggregate_as_it_was_saved(
    demo: tuple[str, DemoLoad],
) -> None:
    _backend, load = demo
    # no aggregate cache: every get replays the stored events
    no_cache = {"AGGREGATE_CACHE_MAXSIZE": ""}
    ledger = open_ledger(replace(load.settings, library_env=no_cache))
    try:
        assert ledger.repository.cache is None
        ids = {originator for _t, originator, _v, _s in load.events}
        assert ids == set(load.saved)
        versions: dict[Any, int] = {}
        for _topic, originator, version, _state in load.events:
            assert version == versions.get(originator, 0) + 1  # no gap, no reorder
            versions[originator] = version
        for agg_id, saved in load.saved.items():
            rebuilt = ledger.repository.get(agg_id)
            replayed = None
            for stored in ledger.recorder.select_events(agg_id):
                replayed = ledger.mapper.to_domain_event(stored).mutate(replayed)
            for agg in (rebuilt, replayed):
                assert agg == saved, f"{type(saved).__name__} {agg_id} differs"
                assert repr(agg) == repr(saved)
            assert saved.version == versions[agg_id]
    finally:
        ledger.close()


def test_demo_load_is_deterministic(
    demo_loads: DemoLoads, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    first = demo_loads.get("sqlite")
    url, drop = database("sqlite", request)
    try:
        second = load_demo(url, tmp_path)
    finally:
        drop()
    assert len(second.events) == len(first.events) > 5000
    for a, b in zip(first.events, second.events, strict=True):
        assert a == b, f"{a[0]} {a[1]} v{a[2]}"


def test_demo_gives_the_same_events_on_sqlite_and_postgresql(
    demo_loads: DemoLoads,
) -> None:
    sqlite, postgres = demo_loads.get("sqlite"), demo_loads.get("postgres")
    assert sqlite.events == postgres.events


def test_the_aggregate_copy_equals_a_generic_deep_copy_and_shares_nothing_mutable(
    demo_loads: DemoLoads,
) -> None:
    """``LedgerAggregate.__deepcopy__`` (the aggregate cache copies every command's
    aggregate with it) gives what the generic ``copy.deepcopy`` gives, on every
    aggregate of the demo, and no list, dict or set is shared with the original."""
    saved = demo_loads.get("sqlite").saved
    kinds = set()
    for aggregate in saved.values():
        fast = copy.deepcopy(aggregate)
        generic = copy.deepcopy(aggregate.__dict__)  # no __deepcopy__ of ours involved
        assert type(fast) is type(aggregate)
        assert fast.__dict__ == generic and repr(fast.__dict__) == repr(generic)
        for name, value in aggregate.__dict__.items():
            kinds.add(type(aggregate).__name__)
            for original, copied in zip(
                _containers(value), _containers(fast.__dict__[name]), strict=True
            ):
                assert copied is not original, (type(aggregate).__name__, name)
    assert len(kinds) >= 10  # every kind of aggregate the demo has


def _containers(value: Any) -> Iterator[Any]:
    """Every list, dict and set inside ``value``, depth first."""
    if isinstance(value, (list, dict, set)):
        yield value
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple, set)):
        for item in value:
            yield from _containers(item)
