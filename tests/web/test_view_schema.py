"""Views built by an earlier release are rebuilt before they are read, on both backends:
the app (and the follower, and ``sdsi serve``'s workers) starting over old view tables —
a `search` column missing, no or another schema fingerprint — rebuild them once, under
the views' lock, and the pages reading the new column answer; a role that may not
recreate the tables is refused with the command to run."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest

from ledger.app import open_ledger
from ledger.errors import SchemaOutdated
from ledger.guards import create_app_role
from ledger.keys import ensure_secret_key
from projections.schema import (
    FINGERPRINT,
    HANDLERS_REVISION,
    TABLES,
    describe,
    fingerprint,
)
from projections.service import ReadModel, init_views, upgrade_live_views
from projections.store import open_store
from projections.table import table
from tests.conftest import make_settings
from tests.ledger.integrity_helpers import ROOT, cli_env, sdsi_cli
from tests.web.ui_client import TEST_CONFIG, Site, sign_in
from tests.web.world import OTHER, OWN, PASSWORD, login, populate
from web.app import create_app

REBUILT = re.compile(
    r"rebuilt the views \(schema [0-9a-f]{12}\): (.*); (\d+) events in [0-9.]+ s"
)


@pytest.fixture
def world(ledger: Any, settings: Any) -> Any:
    """Views built and caught up with the small world (two proposals)."""
    return build_world(ledger, settings)


def build_world(ledger: Any, settings: Any) -> Any:
    populate(ledger)
    init_views(settings, ledger)
    rm = ReadModel(ledger, settings)
    try:
        rm.projector().catch_up()
        assert rm.current_position() == ledger.head()
        assert rm.schema_matches()
    finally:
        rm.close()
    return ledger


def make_old(settings: Any, *, fingerprint_value: str | None) -> None:
    """The views as a release without the `search` column left them: the column
    dropped, and the tracking rows without fingerprint (``None``: the column dropped
    too) or holding another one."""
    store = open_store(settings.database, settings.data_dir)
    try:
        with store.transaction() as cur:
            cur.execute(f"ALTER TABLE {store.name('proposals')} DROP COLUMN search")
            if fingerprint_value is None:
                cur.execute(f"ALTER TABLE {store.name('tracking')} DROP COLUMN schema")
            else:
                cur.execute(
                    store._ph(f"UPDATE {store.name('tracking')} SET schema = ?"),
                    (fingerprint_value,),
                )
        expected = {None} if fingerprint_value is None else {fingerprint_value}
        assert store.fingerprints() == expected
    finally:
        store.close()


def proposal_codes(body: str) -> list[str]:
    tbody = body.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<td><a href="/fiches/([^"?]+)[^"]*">', tbody)


def rebuild_lines(caplog: pytest.LogCaptureFixture) -> list[tuple[str, int]]:
    return [
        (m.group(1), int(m.group(2)))
        for r in caplog.records
        if (m := REBUILT.fullmatch(r.getMessage()))
    ]


def test_the_fingerprint_describes_names_columns_types_keys_and_indexes() -> None:
    assert re.fullmatch(r"[0-9a-f]{64}", FINGERPRINT)
    assert fingerprint(TABLES) == FINGERPRINT
    base = table("t", "doc", ("id",), "id n:int doc", indexes=(("n",),))
    variants = [
        table("u", "doc", ("id",), "id n:int doc", indexes=(("n",),)),
        table("t", "doc", ("id",), "id n:int search doc", indexes=(("n",),)),
        table("t", "doc", ("id",), "id n doc", indexes=(("n",),)),
        table("t", "doc", ("id", "n"), "id n:int doc", indexes=(("n",),)),
        table("t", "doc", ("id",), "id n:int doc"),
    ]
    prints = {fingerprint((base,)), *(fingerprint((v,)) for v in variants)}
    assert len(prints) == 6
    assert describe((base,), revision=1) == (
        '[{"name":"t","cols":[["id","text"],["n","int"],["doc","text"]],'
        '"key":["id"],"indexes":[["n"]]}]'
    )
    # The handlers' revision is part of it: views built by handlers that wrote less
    # (same tables) are rebuilt all the same.
    assert describe((base,)) == (
        describe((base,), revision=1) + f"\nhandlers:{HANDLERS_REVISION}"
    )
    assert HANDLERS_REVISION == 2
    assert hashlib.sha256(describe(TABLES, revision=1).encode()).hexdigest() != (
        FINGERPRINT
    )


@pytest.mark.parametrize("old_fingerprint", [None, "0" * 64])
def test_the_app_rebuilds_old_views_before_serving_the_search(
    world: Any,
    settings: Any,
    old_fingerprint: str | None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    make_old(settings, fingerprint_value=old_fingerprint)
    ensure_secret_key(settings)
    caplog.set_level(logging.WARNING, logger="projections.upgrade")
    app = create_app(TEST_CONFIG, settings=settings, ledger=world)
    site = Site(app, world)
    try:
        why = (
            "the views record no schema fingerprint (built by an earlier release)"
            if old_fingerprint is None
            else f"the views' schema 000000000000 differs from the code's {FINGERPRINT[:12]}"
        )
        assert rebuild_lines(caplog) == [(why, world.head())]
        assert site.read_model.schema_matches()
        assert site.read_model.store.fingerprints() == {FINGERPRINT}
        client = app.test_client()
        sign_in(client, app, login("dsi"))
        found = client.get("/portefeuille?sort=code&q=dsn")
        assert found.status_code == 200
        assert proposal_codes(found.get_data(as_text=True)) == [OWN]
        every = client.get("/portefeuille?sort=code&q=" + "projet de test")
        assert every.status_code == 200
        assert proposal_codes(every.get_data(as_text=True)) == [OTHER, OWN]
    finally:
        site.close()
    # started again: the views match, nothing is rebuilt
    caplog.clear()
    again = create_app(TEST_CONFIG, settings=settings, ledger=world)
    try:
        assert rebuild_lines(caplog) == []
    finally:
        again.extensions["sdsi"].close()


def test_status_tells_then_the_follower_rebuilds(
    world: Any, settings: Any, database_url: str
) -> None:
    make_old(settings, fingerprint_value="1" * 64)
    before = sdsi_cli(settings, database_url, "projections", "status")
    assert before.returncode == 0, before.stderr
    assert before.stdout.splitlines()[-1] == (
        "schema: the views do not match the code: the next start (or "
        "`sdsi projections rebuild`) rebuilds them"
    )
    followed = sdsi_cli(
        settings, database_url, "projections", "follow", "--once", "--no-seal"
    )
    assert followed.returncode == 0, followed.stderr
    head = world.head()
    assert followed.stdout.strip() == (
        f"caught up: 0 events projected, views at position {head}"
    )
    lines = [
        m.groups() for m in map(REBUILT.fullmatch, followed.stderr.splitlines()) if m
    ]
    assert lines == [
        (
            f"the views' schema 111111111111 differs from the code's {FINGERPRINT[:12]}",
            str(head),
        )
    ]
    after = sdsi_cli(settings, database_url, "projections", "status")
    assert after.stdout.splitlines()[-1] == "schema: the views match the code"
    store = open_store(settings.database, settings.data_dir)
    try:
        columns = [
            c for (c,) in store.fetchall("SELECT search FROM {proposals} ORDER BY code")
        ]
        assert len(columns) == 2 and all("projet de test" in c for c in columns)
    finally:
        store.close()


def test_processes_starting_together_rebuild_once(
    world: Any, settings: Any, database_url: str
) -> None:
    make_old(settings, fingerprint_value=None)
    env = {**cli_env(settings, database_url), "SDSI_PASSWORD_HASHING": "fast"}

    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sdsi",
                "projections",
                "follow",
                "--once",
                "--no-seal",
            ],
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [e for _o, e in outputs]
    stderr = "".join(e for _o, e in outputs)
    assert len(REBUILT.findall(stderr)) == 1
    assert len(re.findall(r"^rebuilding the views before serving: ", stderr, re.M)) == 1
    store = open_store(settings.database, settings.data_dir)
    try:
        assert store.fingerprints() == {FINGERPRINT}
    finally:
        store.close()


def test_a_role_that_may_not_recreate_the_views_is_refused(
    pg_schema_url: str, pg_server_url: str, tmp_path: Path
) -> None:
    """PostgreSQL only (SQLite has no roles): the application role of
    ``sdsi init --app-role`` reads and writes rows, it may not drop tables."""
    settings = make_settings(tmp_path / "data", pg_schema_url)
    world = open_ledger(settings, create=True)
    world.bootstrap_admin("admin", "Administrateur", PASSWORD)
    build_world(world, settings)
    role = "sdsi_app_" + uuid.uuid4().hex[:8]
    try:
        create_app_role(world, role, "role-password-1")
        make_old(settings, fingerprint_value="2" * 64)
        server, query = pg_schema_url.split("?")
        as_role = server.replace("postgres@", f"{role}:role-password-1@", 1)
        role_settings = make_settings(settings.data_dir, f"{as_role}?{query}")
        app_ledger = open_ledger(role_settings)
        try:
            with pytest.raises(SchemaOutdated) as refused:
                ReadModel(app_ledger, role_settings)
        finally:
            app_ledger.close()
        assert str(refused.value) == (
            f"the views do not match this release (the views' schema 222222222222 "
            f"differs from the code's {FINGERPRINT[:12]}) and {role} may not recreate "
            "them: run `sdsi projections rebuild` as the database owner"
        )
        store = open_store(settings.database, settings.data_dir)
        try:
            assert store.fingerprints() == {"2" * 64}  # nothing changed
        finally:
            store.close()
    finally:
        world.close()
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")


def test_sdsi_serve_rebuilds_before_starting_its_workers(
    world: Any, settings: Any
) -> None:
    """``sdsi serve`` upgrades in its own process, before gunicorn forks: a rebuild in
    a booting worker would outlast the worker timeout on a large ledger."""
    make_old(settings, fingerprint_value="3" * 64)
    assert upgrade_live_views(settings, world) == world.head()
    assert upgrade_live_views(settings, world) is None
    store = open_store(settings.database, settings.data_dir)
    try:
        assert store.fingerprints() == {FINGERPRINT}
    finally:
        store.close()
