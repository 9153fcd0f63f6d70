"""The schema's migration path (``ledger/migrations.py``), on both backends.

A database left by any earlier version is brought to the current schema by ``sdsi
init`` or by opening the ledger — the same schema a new database gets, its rows kept;
a role that may not alter tables is told to run ``sdsi init``; concurrent openers
upgrade once; a guard the owner removed is put back by ``sdsi init``. Written for
issue 12 (defects 2 and 7 are the first two steps); new steps are covered by
``test_a_database_at_any_older_version_upgrades_to_a_new_ones_schema`` unchanged.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest

from domain.organisation import Pole
from ledger.app import Ledger, open_ledger
from ledger.errors import IdempotencyKeyReused, SchemaOutdated
from ledger.guards import create_app_role
from ledger.keys import ensure_signing_key
from ledger.migrations import (
    BASELINE,
    MIGRATIONS,
    PG_ID_CHECK,
    PG_ID_TRIGGER,
    PG_VERSION_TRIGGER,
    SCHEMA_VERSION,
    SQLITE_CANONICAL_ID_GUARD,
    SQLITE_ID_GUARD,
    SQLITE_VERSION_GUARD,
    schema_version,
)
from ledger.verify import verify_ledger
from tests.conftest import ADMIN, ADMIN_PASSWORD, make_settings
from tests.ledger.integrity_helpers import (
    ledger_at_version,
    legacy_accounts,
    legacy_registration,
    sdsi_cli,
)


def schema_of(ledger: Ledger) -> list[tuple[Any, ...]]:
    """Every table, column, constraint, index, trigger and function of the ledger's
    database, named without its PostgreSQL schema (to compare two databases)."""
    storage = ledger.storage
    if not storage.is_postgres:
        return storage.fetchall(
            "SELECT type, name, tbl_name, sql FROM sqlite_master"
            " WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"
        )
    schema = storage.schema
    rows: list[tuple[Any, ...]] = []
    for statement in (
        "SELECT table_name, column_name, data_type, is_nullable, column_default"
        " FROM information_schema.columns WHERE table_schema = ? ORDER BY 1, 2",
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid),"
        " convalidated FROM pg_constraint WHERE connamespace = ?::regnamespace"
        " ORDER BY 2",
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = ? ORDER BY 1",
        "SELECT tgname, pg_get_triggerdef(t.oid), tgenabled FROM pg_trigger t"
        " JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT tgisinternal"
        " AND c.relnamespace = ?::regnamespace ORDER BY 1",
        "SELECT proname, prosrc FROM pg_proc WHERE pronamespace = ?::regnamespace"
        " ORDER BY 1",
    ):
        rows += [
            tuple(str(v).replace(schema, "<schema>") for v in row)
            for row in storage.fetchall(statement, (schema,))
        ]
    return rows


@pytest.fixture
def another_url(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Callable[[], str]:
    """Further empty databases of the test's backend."""
    if backend == "sqlite":
        names = iter(range(1, 100))
        return lambda: f"sqlite:///{tmp_path}/other-{next(names)}.db"
    return request.getfixturevalue("new_pg_schema_url")  # type: ignore[no-any-return]


def test_the_steps_are_numbered_one_after_the_other() -> None:
    assert [m.version for m in MIGRATIONS] == list(
        range(BASELINE + 1, SCHEMA_VERSION + 1)
    )


def test_a_database_at_any_older_version_upgrades_to_a_new_ones_schema(
    tmp_path: Path, another_url: Callable[[], str]
) -> None:
    fresh = open_ledger(make_settings(tmp_path / "fresh", another_url()), create=True)
    try:
        assert fresh.upgrade is not None and fresh.upgrade.created
        expected = schema_of(fresh)
    finally:
        fresh.close()
    for version in range(BASELINE, SCHEMA_VERSION + 1):
        settings = make_settings(tmp_path / f"v{version}", another_url())
        ledger_at_version(settings, version).close()
        upgraded = open_ledger(settings)  # not `sdsi init`: opening upgrades too
        try:
            assert upgraded.upgrade is not None
            assert (upgraded.upgrade.before, upgraded.upgrade.after) == (
                version,
                SCHEMA_VERSION,
            )
            assert [m.version for m in upgraded.upgrade.applied] == list(
                range(version + 1, SCHEMA_VERSION + 1)
            )
            assert schema_version(upgraded) == SCHEMA_VERSION
            assert schema_of(upgraded) == expected, f"from version {version}"
        finally:
            upgraded.close()


def hidden_row(
    ledger: Ledger,
    notification_id: int | None,
    *,
    version: int = 1,
    upper: bool = False,
) -> str:
    """A well-formed account registration stored with ``notification_id`` (None:
    the database's), as ``version``, its id in upper case if ``upper`` (SQLite): no
    guard stops any of it at version 1. Returns the aggregate id."""
    stored = legacy_registration(f"ghost{uuid.uuid4().hex[:8]}", "Fantôme")
    storage = ledger.storage
    oid: Any = stored.originator_id if storage.is_postgres else stored.originator_id.hex
    if upper:
        oid = oid.upper()
    columns = "originator_id, originator_version, topic, state"
    values = [oid, version, stored.topic, stored.state]
    if notification_id is not None:
        columns = f"{storage.position_column}, {columns}"
        values.insert(0, notification_id)
    marks = ", ".join("?" for _ in values)
    storage.execute(f"INSERT INTO {{events}} ({columns}) VALUES ({marks})", values)
    return str(stored.originator_id)


def test_a_first_release_database_is_upgraded_by_sdsi_init_keeping_its_rows(
    settings: Any, database_url: str, backend: str
) -> None:
    old = ledger_at_version(settings, 1)
    try:
        legacy_accounts(old, 3)
        # A command record of the first release: no arguments hash.
        old.storage.execute(
            "INSERT INTO {t:commands} (key, command, actor, recorded_at,"
            " last_originator_id, last_originator_version, result)"
            " VALUES (?, ?, ?, ?, NULL, NULL, ?)",
            (
                "old-key",
                "create_pole",
                "admin",
                "2026-01-05T10:00:00+00:00",
                '{"code": "OLD"}',
            ),
        )
        hidden_row(old, -1)  # accepted: version 1 had no guard
    finally:
        old.close()

    upgraded = sdsi_cli(
        settings, database_url, "init", "--admin-password", ADMIN_PASSWORD
    )
    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout.splitlines()[-1 - len(MIGRATIONS) :] == [
        f"upgraded the ledger schema from version 1 to {SCHEMA_VERSION}:",
        *(f"  {step.version}: {step.summary}" for step in MIGRATIONS),
    ]
    assert "rows outside the ledger's log" in upgraded.stderr
    again = sdsi_cli(settings, database_url, "init")
    assert "already initialised" in again.stdout and "upgraded" not in again.stdout

    ledger = open_ledger(settings)
    try:
        assert ledger.upgrade is not None and ledger.upgrade.applied == []
        assert [a["username"] for a in _accounts(ledger)] == [
            "admin",  # created by the upgrading `sdsi init`
            "user000000",
            "user000001",
            "user000002",
        ]
        # The row stored before the guards is reported; a new one is refused.
        report = verify_ledger(ledger)
        assert [(p.kind, p.notification_id) for p in report.problems] == [
            ("outside the log", -1)
        ]
        with pytest.raises(Exception, match="the SDSI ledger refuses"):
            hidden_row(ledger, -2)
        if backend == "postgres":  # guards new rows; the old one stays reported
            validated = ledger.storage.fetchone(
                "SELECT convalidated FROM pg_constraint"
                " WHERE conrelid = ?::regclass AND conname = ?",
                (ledger.storage.events_table, "sdsi_" + PG_ID_CHECK),
            )
            assert validated == (False,)
        # A key of the first release keeps the first release's rule; new keys, the new.
        head = ledger.head()
        replayed = ledger.create_pole(ADMIN.with_key("old-key"), "OTHER", "Autre")
        assert replayed.replayed and replayed.data == {"code": "OLD"}
        assert ledger.load(Pole, Pole.id_for("OTHER")) is None
        assert ledger.head() == head
        ledger.create_pole(ADMIN.with_key("new-key"), "NEW", "Nouveau")
        with pytest.raises(IdempotencyKeyReused):
            ledger.create_pole(ADMIN.with_key("new-key"), "NEW", "Autre nom")
    finally:
        ledger.close()


def _accounts(ledger: Ledger) -> list[dict[str, Any]]:
    from ledger.queries import account_history

    return account_history(ledger)


def test_a_database_newer_than_the_program_is_refused(ledger: Ledger) -> None:
    settings = ledger.settings
    ledger.storage.set_meta("schema_version", str(SCHEMA_VERSION + 1))
    with pytest.raises(SchemaOutdated, match="newer than this program knows"):
        open_ledger(settings)


def test_concurrent_openers_upgrade_once(settings: Any) -> None:
    ledger_at_version(settings, 1).close()
    opened: list[Ledger] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def open_one() -> None:
        try:
            led = open_ledger(settings)
        except BaseException as exc:  # reported below
            with lock:
                errors.append(exc)
        else:
            with lock:
                opened.append(led)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        steps = [
            [m.version for m in led.upgrade.applied]
            for led in opened
            if led.upgrade is not None
        ]
        assert sorted(steps) == [[], [], [], list(range(2, SCHEMA_VERSION + 1))]
        assert {schema_version(led) for led in opened} == {SCHEMA_VERSION}
    finally:
        for led in opened:
            led.close()


def test_the_app_role_cannot_upgrade_and_is_told_to_run_sdsi_init(
    pg_schema_url: str, pg_server_url: str, tmp_path: Path
) -> None:
    """All or nothing: the role's attempt leaves version 1 as it was."""
    settings = make_settings(tmp_path / "data", pg_schema_url)
    old = ledger_at_version(settings, 1)
    role = "sdsi_app_" + uuid.uuid4().hex[:8]
    try:
        create_app_role(old, role, "role-password-1")
        old.close()
        server, query = pg_schema_url.split("?")
        as_role = server.replace("postgres@", f"{role}:role-password-1@", 1)
        with pytest.raises(SchemaOutdated) as refused:
            open_ledger(make_settings(tmp_path / "data", f"{as_role}?{query}"))
        assert "is at version 1 and needs version" in str(refused.value)
        assert "run `sdsi init` as the owner of the database" in str(refused.value)
        owner = open_ledger(settings)
        try:
            assert owner.upgrade is not None
            assert [m.version for m in owner.upgrade.applied] == [
                m.version for m in MIGRATIONS
            ]
        finally:
            owner.close()
        app = open_ledger(make_settings(tmp_path / "data", f"{as_role}?{query}"))
        try:
            assert app.upgrade is not None and app.upgrade.applied == []
            app.bootstrap_admin("admin", "Administrateur", ADMIN_PASSWORD)
            # the upgrade let the role it found write sessions and counters
            from ledger.sessions import SessionStore
            from ledger.throttle import ACCOUNT, DatabaseCounters

            store = SessionStore(app.storage)
            assert store.check(store.open("admin", "web"), "admin") is not None
            counters = DatabaseCounters(app.storage)
            assert counters.attempt([("k", ACCOUNT)]) == 0.0
            use_mail_tables(app.storage)  # and the outbox and reset tokens
        finally:
            app.close()
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")


def test_sdsi_init_puts_back_every_guard_the_owner_removed(
    settings: Any, database_url: str, backend: str, request: pytest.FixtureRequest
) -> None:
    created = sdsi_cli(
        settings, database_url, "init", "--admin-password", ADMIN_PASSWORD
    )
    assert created.returncode == 0, created.stderr
    if backend == "sqlite":
        restored = [SQLITE_ID_GUARD, SQLITE_CANONICAL_ID_GUARD, SQLITE_VERSION_GUARD]
        with sqlite3.connect(settings.database.sqlite_path) as conn:
            for name in restored:
                conn.execute(f"DROP TRIGGER {name}")
    else:
        table = f'"{settings.database.schema}".sdsi_events'
        with psycopg.connect(
            request.getfixturevalue("pg_server_url"), autocommit=True
        ) as conn:
            conn.execute(f"ALTER TABLE {table} DROP CONSTRAINT sdsi_{PG_ID_CHECK}")
            for name in (PG_ID_TRIGGER, PG_VERSION_TRIGGER):
                conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER sdsi_{name}")
        restored = [
            f"sdsi_{PG_ID_TRIGGER}",
            f"sdsi_{PG_ID_CHECK}",
            f"sdsi_{PG_VERSION_TRIGGER}",
        ]
    again = sdsi_cli(settings, database_url, "init")
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == [
        f"restored the guard {name} (it was missing)" for name in sorted(restored)
    ]
    ledger = open_ledger(settings)
    try:
        with pytest.raises(Exception, match="the SDSI ledger refuses"):
            hidden_row(ledger, 0)
        with pytest.raises(Exception, match="the SDSI ledger refuses"):
            hidden_row(ledger, None, version=2)
        if backend == "sqlite":
            with pytest.raises(Exception, match="the SDSI ledger refuses"):
                hidden_row(ledger, None, upper=True)
    finally:
        ledger.close()
    assert "nothing changed" in sdsi_cli(settings, database_url, "init").stdout


def test_rows_stored_before_the_version_guards_stay_reported_after_the_upgrade(
    settings: Any, backend: str
) -> None:
    """A database at version 4 may hold a version gap (and, on SQLite, an aggregate
    id in another form): the upgrade guards new rows, verify names the old ones."""
    ensure_signing_key(settings)
    old = ledger_at_version(settings, 4)
    try:
        legacy_accounts(old, 2)
        gap = hidden_row(old, None, version=3)
        odd = hidden_row(old, None, upper=True) if backend == "sqlite" else None
    finally:
        old.close()
    ledger = open_ledger(settings)
    try:
        applied = ledger.upgrade.applied  # type: ignore[union-attr]
        assert [m.version for m in applied] == list(range(5, SCHEMA_VERSION + 1))
        report = verify_ledger(ledger)
        expected = [
            (
                "version gap",
                3,
                f"aggregate {gap}: version 3 first, versions start at 1",
            )
        ]
        if odd is not None:
            expected.append(
                (
                    "non-canonical id",
                    4,
                    f"event {odd} version 1 is stored under the aggregate id"
                    f" {UUID(odd).hex.upper()!r}, not {UUID(odd).hex!r}: the log counts"
                    " it in its aggregate, the write side does not see it",
                )
            )
        assert [(p.kind, p.position, p.detail) for p in report.problems] == expected
        with pytest.raises(Exception, match="the SDSI ledger refuses"):
            hidden_row(ledger, None, version=2)
    finally:
        ledger.close()


def use_mail_tables(storage: Any) -> None:
    """What the app role does with the tables of schema version 8: queue, claim and
    mark e-mails; issue and spend reset tokens."""
    from ledger.mail_config import MailSettings
    from ledger.mailer import MailWorker
    from ledger.outbox import Outbox
    from ledger.resets import PasswordResets

    outbox = Outbox(storage)
    assert outbox.add(key="k", recipient="a@ville.fr", subject="S", text="T")
    worker = MailWorker(storage, MailSettings())
    (claimed,) = worker.claim()
    worker._mark_failed(claimed, "test", permanent=False)
    assert outbox.counts() == {"queued": 1, "sent": 0, "failed": 0}
    resets = PasswordResets(storage)
    assert resets.spend(resets.issue("admin")) == "admin"
    resets.forget_expired(0)
