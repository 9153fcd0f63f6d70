"""The projector's rebuild machinery: a bounded document cache that evicts and fetches
a batch's rows together, the cycle collector paused only while rebuilding, and the
SQLite drop that skips zeroing freed pages — none of which may change the views."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest

from ledger.app import open_ledger
from ledger.core import Caller
from projections import queries as q
from projections.projector import Projector
from projections.service import ReadModel
from projections.store import SQLiteViewStore
from tests.conftest import make_settings
from tests.demo_template import demo_copy


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def demo_ledger(request, tmp_path_factory):  # type: ignore[no-untyped-def]
    """The demo municipality, loaded without projecting it (once per backend)."""
    tmp = tmp_path_factory.mktemp(request.param)
    # A copy of the demo, views created but empty (tests/demo_template.py)
    url = demo_copy(request, str(request.param), tmp, "raw")
    settings = make_settings(tmp / "data", url)
    led = open_ledger(settings)
    rm = ReadModel(led, settings)
    yield led, rm
    rm.close()
    led.close()


def _rebuilt(ledger: Any, path: Path) -> dict[str, Any]:
    store = SQLiteViewStore(path)
    try:
        projector = Projector(ledger, store)
        projector.ensure_tables()
        projector.rebuild()
        return q.dump(store)  # type: ignore[no-any-return]
    finally:
        store.close()


def test_following_with_a_tiny_cache_gives_the_rebuilt_views(
    demo_ledger, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    ledger, rm = demo_ledger
    projector = rm.projector(batch_size=150)
    projector.cache.maxsize, projector.cache.max_bytes = 60, 40_000
    done = projector.catch_up()
    assert done == rm.head_position()
    # documents were evicted and fetched back (one by one, or a batch's aggregates
    # together): the views are still those of a rebuild with room for everything
    assert projector.cache.evicted
    followed = q.dump(rm.store)
    assert followed == _rebuilt(ledger, tmp_path / "rebuilt.db")
    assert len(followed["events"]) == done


def test_prefetch_caches_present_and_absent_aggregates(demo_ledger) -> None:  # type: ignore[no-untyped-def]
    _ledger, rm = demo_ledger
    rm.projector().rebuild()
    projector = rm.projector()
    cache = projector.cache  # not fresh: every miss goes to the store
    first = rm.store.fetchone("SELECT id, type, key FROM {aggregates} ORDER BY id")
    assert first is not None
    cache.prefetch("aggregates", [(first[0],), ("no-such-aggregate",)])
    assert cache.docs[("aggregates", (first[0],))] == {
        "id": first[0],
        "type": first[1],
        "key": first[2],
    }
    assert cache.get("aggregates", ("no-such-aggregate",)) is None
    assert cache.total > 0


@pytest.mark.parametrize("enabled", [True, False])
def test_rebuild_pauses_the_cycle_collector_and_restores_it(
    demo_ledger, monkeypatch: pytest.MonkeyPatch, enabled: bool
) -> None:  # type: ignore[no-untyped-def]
    _ledger, rm = demo_ledger
    during: list[bool] = []
    catch_up = Projector._catch_up
    projector = rm.projector()

    def observed(self: Projector, *args: Any) -> int:
        if self is projector:  # not a follower another test left running in a thread
            during.append(gc.isenabled())
        return catch_up(self, *args)

    monkeypatch.setattr(Projector, "_catch_up", observed)
    (gc.enable if enabled else gc.disable)()
    try:
        n = projector.rebuild()
        assert (during, gc.isenabled()) == ([False], enabled)
    finally:
        gc.enable()
    assert n == rm.head_position()


def test_sqlite_drop_leaves_secure_delete_as_it_was(tmp_path: Path) -> None:
    store = SQLiteViewStore(tmp_path / "views.db")
    try:
        store.create_tables()
        conn = store._connection()
        conn.execute("PRAGMA secure_delete = ON")
        store.drop_tables()
        assert conn.execute("PRAGMA secure_delete").fetchone() == (1,)
        assert store.fetchall("SELECT name FROM sqlite_master") == []
    finally:
        store.close()


class _Interrupted(Exception):
    pass


def _index_names(store: Any) -> set[str]:
    if isinstance(store, SQLiteViewStore):
        rows = store.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        )
    else:
        schema = store.prefix.split(".")[0].strip('"')
        rows = store.fetchall(
            "SELECT indexname FROM pg_indexes WHERE schemaname = ?"
            " AND indexname NOT LIKE '%%_pkey'",
            (schema,),
        )
    return {name.split(".")[-1] for (name,) in rows}


def test_a_rebuild_interrupted_midway_is_completed_by_the_follower_with_its_indexes(
    demo_ledger, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """A rebuild stopped after its first batches (SIGTERM, SIGKILL, an error) leaves
    the views at a consistent position without their secondary indexes (created at
    the end of a rebuild): the follower that completes them must not leave them so."""
    led, rm = demo_ledger
    rm.projector().rebuild()
    indexes = _index_names(rm.store)
    assert len(indexes) > 10

    seen = [0]

    def interrupt(batch: int) -> None:
        seen[0] += batch
        if seen[0] >= 600:
            raise _Interrupted

    projector = rm.projector(batch_size=200)
    projector.catch_up()  # the same projector followed before (its indexes were there)
    with pytest.raises(_Interrupted):
        projector.rebuild(progress=interrupt)
    assert 0 < rm.current_position() < rm.head_position()

    projector.catch_up()
    assert rm.current_position() == rm.head_position()
    assert q.dump(rm.store) == _rebuilt(led, tmp_path / "fresh.db")
    assert _index_names(rm.store) == indexes


def test_only_missing_indexes_are_created_and_a_role_that_may_not_follows_anyway(
    demo_ledger, monkeypatch, caplog
) -> None:  # type: ignore[no-untyped-def]
    """With every index present no DDL runs (a least-privilege application role may
    not even ``CREATE INDEX IF NOT EXISTS``: it is not the tables' owner); a missing
    one is created alone; a role refused the creation still follows, and says so."""
    import psycopg

    led, rm = demo_ledger
    rm.projector().catch_up()
    store = rm.store
    assert store.create_missing_indexes() == []
    with store.transaction() as cur:
        cur.execute(f"DROP INDEX {_qualified_index(store, 'proposals_status')}")
    assert store.create_missing_indexes() == [f"{_bare(store)}proposals_status"]
    assert store.create_missing_indexes() == []

    def refused() -> list[str]:
        raise psycopg.errors.InsufficientPrivilege("must be owner of table")

    monkeypatch.setattr(store, "create_missing_indexes", refused)
    led.grant_role(Caller("admin", reason="contrôle"), "admin", "auditor")
    with caplog.at_level("WARNING"):
        assert rm.projector().catch_up() == 1
    assert "run `sdsi projections rebuild` as the owner" in caplog.text
    assert rm.current_position() == rm.head_position()


def _bare(store: Any) -> str:
    return store.prefix.split(".")[-1]


def _qualified_index(store: Any, name: str) -> str:
    schema = store.prefix.split(".")[0] + "." if "." in store.prefix else ""
    return f"{schema}{_bare(store)}{name}"
