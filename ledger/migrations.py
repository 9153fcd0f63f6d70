"""Versioned changes of the ledger's schema: one path for new and existing databases.

The tables ``sdsi init`` first creates (the library's event table and
``storage.EXTRA_DDL``) are **schema version 1**, and stay frozen: every later change of
the ledger's tables is a :class:`Migration` appended to :data:`MIGRATIONS`, with the
version it produces. The ``meta`` table's ``schema_version`` says which steps a
database has had.

:func:`migrate` brings a database to :data:`SCHEMA_VERSION`: in one transaction,
holding a lock that serialises concurrent openers (``BEGIN IMMEDIATE`` on SQLite, an
advisory lock on PostgreSQL), it re-reads the version, applies the missing steps in
order and records the new version — all or nothing. A fresh ``sdsi init`` takes the
same path from version 1, so a new database and an upgraded one have the same schema
(a test checks it). It runs on ``sdsi init`` and whenever the ledger is opened; a role
that may not alter the tables (the least-privilege app role) gets
:class:`~ledger.errors.SchemaOutdated`, naming ``sdsi init``.

Guards (triggers, constraints) may be removed by the tables' owner: ``sdsi init``
re-installs them every time (:func:`ensure_guards`), as it does the append-only
triggers.

To add a migration: write ``_step(conn, names)`` running its statements for both
backends (``names.postgres`` tells which), append ``Migration(N + 1, "what", _step)``,
and never edit an earlier step or the version-1 DDL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from ledger.errors import SchemaOutdated

BASELINE = 1
LOCK_KEY = 0x5D5113D6  # advisory lock of schema changes, with the schema (PostgreSQL)


@dataclass(frozen=True)
class Names:
    """The qualified names a migration needs, for one database."""

    postgres: bool
    events: str  # the event table, quoted and qualified on PostgreSQL
    prefix: str  # prefix of the ledger's own tables, qualified on PostgreSQL
    bare_prefix: str  # the same, unqualified (for constraint and trigger names)
    schema: str  # PostgreSQL schema ("" on SQLite)

    def table(self, name: str) -> str:
        return f"{self.prefix}{name}"


@dataclass(frozen=True)
class Migration:
    """One change of the schema, producing ``version``."""

    version: int
    summary: str
    apply: Callable[[Any, Names], None]


@dataclass
class Upgrade:
    """What opening the ledger changed in its schema."""

    before: int
    after: int
    created: bool = False  # the schema was new (``sdsi init`` on an empty database)
    applied: list[Migration] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)  # guards re-installed


# --- the steps ---------------------------------------------------------------------

# Version 2. Every event row must be in the log that sealing, verification, exports
# and the views read (notification id > 0, in the order ids were issued): a row with
# id <= 0 was loaded by the write side while everything else skipped it (issue 12).
SQLITE_ID_GUARD = "stored_events_id_in_log"
PG_ID_CHECK = "events_id_positive"  # prefixed by the table prefix
PG_ID_TRIGGER = "events_id_in_log"
PG_ID_FUNCTION = "check_event_id"


def _sqlite_id_guard(names: Names) -> list[str]:
    # AFTER INSERT: in a BEFORE trigger SQLite has not chosen the rowid yet. Ids the
    # recorder does not give explicitly are max + 1: anything else is refused.
    return [
        f"CREATE TRIGGER IF NOT EXISTS {SQLITE_ID_GUARD} AFTER INSERT ON {names.events}"
        " WHEN NEW.rowid <= 0"
        f" OR NEW.rowid <> COALESCE((SELECT rowid FROM {names.events}"
        " WHERE rowid < NEW.rowid ORDER BY rowid DESC LIMIT 1), 0) + 1"
        f" OR EXISTS (SELECT 1 FROM {names.events} WHERE rowid > NEW.rowid)"
        " BEGIN SELECT RAISE(ABORT, 'the SDSI ledger refuses an event id outside its"
        " log: ids are positive and follow the last one'); END"
    ]


def _postgres_id_guard(conn: Any, names: Names) -> list[sql.Composable]:
    row = conn.execute(
        "SELECT pg_get_serial_sequence(%s, 'notification_id')", (names.events,)
    ).fetchone()
    if not row or not row[0]:
        raise SchemaOutdated(f"{names.events} has no notification id sequence")
    sequence = row[0]
    schema = sql.Identifier(names.schema)
    check = sql.Identifier(names.bare_prefix + PG_ID_CHECK)
    events = sql.SQL(names.events)
    function = sql.SQL("{}.{}").format(
        schema, sql.Identifier(names.bare_prefix + PG_ID_FUNCTION)
    )
    trigger = sql.Identifier(names.bare_prefix + PG_ID_TRIGGER)
    return [
        # The CHECK holds even with triggers disabled (session_replication_role).
        sql.SQL(
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_constraint"
            " WHERE conrelid = {rel}::regclass AND conname = {name}) THEN"
            " ALTER TABLE {events} ADD CONSTRAINT {check}"
            " CHECK (notification_id > 0) NOT VALID; END IF; END $$"
        ).format(
            rel=sql.Literal(names.events),
            name=sql.Literal(names.bare_prefix + PG_ID_CHECK),
            events=events,
            check=check,
        ),
        # Ids from the sequence only, each after the last stored one: no row slipped
        # above the head (later rows would then get smaller ids, which followers
        # skip) nor into a gap below it.
        sql.SQL(
            "CREATE OR REPLACE FUNCTION {function}() RETURNS trigger"
            " LANGUAGE plpgsql AS $$ BEGIN"
            " IF NEW.notification_id IS NULL OR NEW.notification_id <= 0"
            " OR NEW.notification_id > COALESCE(pg_sequence_last_value({seq}::regclass), 0)"
            " OR EXISTS (SELECT 1 FROM {events}"
            " WHERE notification_id >= NEW.notification_id) THEN"
            " RAISE EXCEPTION 'the SDSI ledger refuses event % version % with id %:"
            " ids come from its sequence, after the last one',"
            " NEW.originator_id, NEW.originator_version, NEW.notification_id"
            " USING ERRCODE = 'insufficient_privilege'; END IF; RETURN NEW; END $$"
        ).format(function=function, seq=sql.Literal(sequence), events=events),
        sql.SQL("DROP TRIGGER IF EXISTS {trigger} ON {events}").format(
            trigger=trigger, events=events
        ),
        sql.SQL(
            "CREATE TRIGGER {trigger} BEFORE INSERT ON {events}"
            " FOR EACH ROW EXECUTE FUNCTION {function}()"
        ).format(trigger=trigger, events=events, function=function),
    ]


def _validate_id_check(conn: Any, names: Names) -> None:
    """Validate the CHECK if no stored row breaks it (else it guards new rows only,
    and ``sdsi verify`` reports the old ones)."""
    row = conn.execute(
        "SELECT convalidated FROM pg_constraint"
        " WHERE conrelid = %s::regclass AND conname = %s",
        (names.events, names.bare_prefix + PG_ID_CHECK),
    ).fetchone()
    if row is None or row[0]:
        return
    outside = conn.execute(
        sql.SQL("SELECT 1 FROM {} WHERE notification_id <= 0 LIMIT 1").format(
            sql.SQL(names.events)
        )
    ).fetchone()
    if outside is None:
        conn.execute(
            sql.SQL("ALTER TABLE {} VALIDATE CONSTRAINT {}").format(
                sql.SQL(names.events),
                sql.Identifier(names.bare_prefix + PG_ID_CHECK),
            )
        )


def install_id_guard(conn: Any, names: Names) -> None:
    """Version 2, also re-run by every ``sdsi init``: event ids stay in the log."""
    if names.postgres:
        for statement in _postgres_id_guard(conn, names):
            conn.execute(statement)
        _validate_id_check(conn, names)
    else:
        for statement in _sqlite_id_guard(names):
            conn.execute(statement)


def _arguments_hash(conn: Any, names: Names) -> None:
    """Version 3: a command record keeps the hash of the command's arguments."""
    if names.postgres:
        conn.execute(
            sql.SQL(
                "ALTER TABLE {} ADD COLUMN IF NOT EXISTS arguments_hash text"
            ).format(sql.SQL(names.table("commands")))
        )
        return
    columns = [r[1] for r in conn.execute("PRAGMA table_info(commands)").fetchall()]
    if "arguments_hash" not in columns:
        conn.execute("ALTER TABLE commands ADD COLUMN arguments_hash TEXT")


# Version 4. Signing in (issue 13): sessions and API tokens are rows of the database
# (so a logout, a password change or a disabled account ends them in every worker),
# failed logins are counted there when Redis is not configured, and a password reset
# by an administrator may force a change at the next sign-in.
SESSIONS_TABLE = "auth_sessions"
THROTTLE_TABLE = "login_throttle"
THROTTLE_FUNCTION = "login_attempt"


def _login_attempt_function(names: Names) -> sql.Composable:
    """PostgreSQL: one failed-login attempt over several counters, in one round trip
    (``ledger.throttle`` has the same algorithm for SQLite and Redis): unless one of
    them makes the caller wait, each counter gets one more failure, now."""
    table = sql.SQL(names.table(THROTTLE_TABLE))
    function = sql.SQL("{}.{}").format(
        sql.Identifier(names.schema),
        sql.Identifier(names.bare_prefix + THROTTLE_FUNCTION),
    )
    return sql.SQL(
        "CREATE OR REPLACE FUNCTION {function}(keys text[], frees integer[],"
        " caps integer[], windows integer[], now double precision)"
        " RETURNS double precision LANGUAGE plpgsql AS $$"
        " DECLARE i integer; n integer; t double precision;"
        " wait double precision := 0; counts integer[] := '{{}}';"
        " BEGIN"
        " INSERT INTO {table} (key, failures, last_at)"
        " SELECT k, 0, 0 FROM unnest(keys) AS k ON CONFLICT (key) DO NOTHING;"
        " FOR i IN 1 .. array_length(keys, 1) LOOP"
        " SELECT failures, last_at INTO n, t FROM {table}"
        " WHERE key = keys[i] FOR UPDATE;"
        " IF n > 0 AND now - t >= windows[i] THEN n := 0; END IF;"
        " IF n >= frees[i] THEN"
        " wait := greatest(wait, t + least(caps[i], power(2, n - frees[i])) - now);"
        " END IF;"
        " counts := counts || n;"
        " END LOOP;"
        " IF wait > 0 THEN RETURN wait; END IF;"
        " FOR i IN 1 .. array_length(keys, 1) LOOP"
        " UPDATE {table} SET failures = counts[i] + 1, last_at = now"
        " WHERE key = keys[i];"
        " END LOOP;"
        " RETURN 0; END $$"
    ).format(function=function, table=table)


def _logins(conn: Any, names: Names) -> None:
    """Version 4: sessions and tokens, failed-login counters, forced changes."""
    sessions, throttle = names.table(SESSIONS_TABLE), names.table(THROTTLE_TABLE)
    if names.postgres:
        statements: list[Any] = [
            f"CREATE TABLE IF NOT EXISTS {sessions} ("
            " id text PRIMARY KEY, username text NOT NULL, kind text NOT NULL,"
            " created_at double precision NOT NULL,"
            " expires_at double precision NOT NULL,"
            " last_seen double precision NOT NULL,"
            " ended_at double precision, ended_why text)",
            f"CREATE INDEX IF NOT EXISTS {names.bare_prefix}{SESSIONS_TABLE}_username"
            f" ON {sessions} (username)",
            f"CREATE TABLE IF NOT EXISTS {throttle} ("
            " key text PRIMARY KEY, failures integer NOT NULL,"
            " last_at double precision NOT NULL)",
            f"ALTER TABLE {names.table('credentials')} ADD COLUMN IF NOT EXISTS"
            " must_change boolean NOT NULL DEFAULT false",
            _login_attempt_function(names),
        ]
        for statement in statements:
            conn.execute(statement)
        # The app role (``sdsi init --app-role``), which may write credentials, may
        # write sessions and counters too: an upgrade keeps it working.
        roles = conn.execute(
            "SELECT DISTINCT grantee FROM information_schema.role_table_grants"
            " WHERE table_schema = %s AND table_name = %s AND privilege_type = 'UPDATE'"
            " AND grantee <> current_user",
            (names.schema, names.bare_prefix + "credentials"),
        ).fetchall()
        for (role,) in roles:
            conn.execute(
                sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON {}, {} TO {}").format(
                    sql.SQL(sessions), sql.SQL(throttle), sql.Identifier(role)
                )
            )
        return
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {sessions} ("
        " id TEXT PRIMARY KEY, username TEXT NOT NULL, kind TEXT NOT NULL,"
        " created_at REAL NOT NULL, expires_at REAL NOT NULL, last_seen REAL NOT NULL,"
        " ended_at REAL, ended_why TEXT)"
    )
    conn.execute(
        f"CREATE INDEX IF NOT EXISTS {SESSIONS_TABLE}_username ON {sessions} (username)"
    )
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {throttle} ("
        " key TEXT PRIMARY KEY, failures INTEGER NOT NULL, last_at REAL NOT NULL)"
    )
    columns = [r[1] for r in conn.execute("PRAGMA table_info(credentials)").fetchall()]
    if "must_change" not in columns:
        conn.execute(
            "ALTER TABLE credentials ADD COLUMN must_change INTEGER NOT NULL DEFAULT 0"
        )


# Version 5. One aggregate, one stored id (issue 12, review): the SQLite recorder stores
# an aggregate id as the 32 lower-case hex digits of its UUID and looks it up by them,
# while the log, sealing and verification parse any textual form of a UUID. A row
# stored as upper case, with hyphens or braces, was the same aggregate for the log and
# another one for the write side. PostgreSQL stores ``uuid`` values: one form already.
SQLITE_CANONICAL_ID_GUARD = "stored_events_canonical_id"


def install_canonical_id_guard(conn: Any, names: Names) -> None:
    """Version 5, also re-run by every ``sdsi init``: aggregate ids in one form."""
    if names.postgres:
        row = conn.execute(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
            " WHERE attrelid = %s::regclass AND attname = 'originator_id'",
            (names.events,),
        ).fetchone()
        if row is None or row[0] != "uuid":
            raise SchemaOutdated(
                f"{names.events}.originator_id is {row[0] if row else 'missing'},"
                " not uuid"
            )
        return
    conn.execute(
        f"CREATE TRIGGER IF NOT EXISTS {SQLITE_CANONICAL_ID_GUARD}"
        f" BEFORE INSERT ON {names.events}"
        " WHEN typeof(NEW.originator_id) <> 'text'"
        " OR length(NEW.originator_id) <> 32"
        " OR NEW.originator_id GLOB '*[^0-9a-f]*'"
        " BEGIN SELECT RAISE(ABORT, 'the SDSI ledger refuses an aggregate id not"
        " in its stored form: 32 lower-case hex digits'); END"
    )


# Version 6. An aggregate's versions are 1, 2, 3… in the order they are stored: a new
# event's version is the last one of its aggregate + 1 (1 for a new aggregate). The
# primary key refuses a second event of the same version, not a gap (version 5 after
# 3), which the write side cannot load and which hides what versions 4 said.
SQLITE_VERSION_GUARD = "stored_events_next_version"
PG_VERSION_TRIGGER = "events_next_version"
PG_VERSION_FUNCTION = "check_event_version"


def install_version_guard(conn: Any, names: Names) -> None:
    """Version 6, also re-run by every ``sdsi init``: versions follow each other."""
    if not names.postgres:
        conn.execute(
            f"CREATE TRIGGER IF NOT EXISTS {SQLITE_VERSION_GUARD}"
            f" BEFORE INSERT ON {names.events}"
            " WHEN NEW.originator_version IS NOT COALESCE((SELECT"
            f" max(originator_version) FROM {names.events}"
            " WHERE originator_id = NEW.originator_id), 0) + 1"
            " BEGIN SELECT RAISE(ABORT, 'the SDSI ledger refuses an event version"
            " that does not follow the last one of its aggregate'); END"
        )
        return
    events = sql.SQL(names.events)
    function = sql.SQL("{}.{}").format(
        sql.Identifier(names.schema),
        sql.Identifier(names.bare_prefix + PG_VERSION_FUNCTION),
    )
    trigger = sql.Identifier(names.bare_prefix + PG_VERSION_TRIGGER)
    for statement in (
        # Row by row, each sees the rows inserted before it by the same statement.
        # A version already stored is what a writer that read the aggregate before
        # another one saved gets: a unique violation, as the primary key would say
        # (the ledger retries it, or recognises a command that already landed). A
        # gap is no race: refused as the other guards refuse.
        sql.SQL(
            "CREATE OR REPLACE FUNCTION {function}() RETURNS trigger"
            " LANGUAGE plpgsql AS $$ DECLARE last bigint; BEGIN"
            " SELECT max(originator_version) INTO last FROM {events}"
            " WHERE originator_id = NEW.originator_id;"
            " last := COALESCE(last, 0);"
            " IF NEW.originator_version IS NULL"
            " OR NEW.originator_version <> last + 1 THEN"
            " RAISE EXCEPTION 'the SDSI ledger refuses event % version %: the last"
            " version of its aggregate is %, the next one must be %',"
            " NEW.originator_id, NEW.originator_version, last, last + 1"
            " USING ERRCODE = CASE WHEN NEW.originator_version <= last"
            " THEN 'unique_violation' ELSE 'insufficient_privilege' END;"
            " END IF; RETURN NEW; END $$"
        ).format(function=function, events=events),
        sql.SQL("DROP TRIGGER IF EXISTS {trigger} ON {events}").format(
            trigger=trigger, events=events
        ),
        sql.SQL(
            "CREATE TRIGGER {trigger} BEFORE INSERT ON {events}"
            " FOR EACH ROW EXECUTE FUNCTION {function}()"
        ).format(trigger=trigger, events=events, function=function),
    ):
        conn.execute(statement)


# Version 7. The accessibility statement's contact form (issue 16): messages from
# anyone, signed in or not, read by the administrators. A plain table, not events: a
# message is not an act of the plan's governance, and it holds a member of the
# public's name and e-mail address, which must be erasable (GDPR) where the ledger
# keeps everything for ever.
CONTACT_TABLE = "accessibility_messages"


def _contact_messages(conn: Any, names: Names) -> None:
    """Version 7: messages sent through the accessibility statement's form."""
    table = names.table(CONTACT_TABLE)
    if names.postgres:
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {table} ("
            " id bigserial PRIMARY KEY, received_at double precision NOT NULL,"
            " name text NOT NULL, email text NOT NULL, message text NOT NULL,"
            " page text NOT NULL DEFAULT '', lang text NOT NULL DEFAULT '')"
        )
        # the app role writes them, as it writes sessions (version 4)
        roles = conn.execute(
            "SELECT DISTINCT grantee FROM information_schema.role_table_grants"
            " WHERE table_schema = %s AND table_name = %s AND privilege_type = 'UPDATE'"
            " AND grantee <> current_user",
            (names.schema, names.bare_prefix + "credentials"),
        ).fetchall()
        sequence = conn.execute(
            "SELECT pg_get_serial_sequence(%s, 'id')", (table,)
        ).fetchone()[0]
        for (role,) in roles:
            conn.execute(
                sql.SQL("GRANT SELECT, INSERT ON {} TO {}").format(
                    sql.SQL(table), sql.Identifier(role)
                )
            )
            conn.execute(
                sql.SQL("GRANT USAGE ON SEQUENCE {} TO {}").format(
                    sql.SQL(sequence), sql.Identifier(role)
                )
            )
        return
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {table} ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT, received_at REAL NOT NULL,"
        " name TEXT NOT NULL, email TEXT NOT NULL, message TEXT NOT NULL,"
        " page TEXT NOT NULL DEFAULT '', lang TEXT NOT NULL DEFAULT '')"
    )


# Version 8. E-mail (issue 17): the outbox the mail worker sends from, and the
# password-reset tokens (only their SHA-256). Plain tables, not events: an e-mail or a
# token is no act of the plan's governance, and they hold addresses and secrets.
OUTBOX_TABLE = "mail_outbox"
RESET_TABLE = "password_resets"


def _grant_app_role(
    conn: Any, names: Names, table: str, privileges: str, *, serial: bool
) -> None:
    """Give the app role (the grantee of UPDATE on credentials) ``privileges`` on
    ``table`` (qualified) and, if ``serial``, on its id sequence."""
    roles = conn.execute(
        "SELECT DISTINCT grantee FROM information_schema.role_table_grants"
        " WHERE table_schema = %s AND table_name = %s AND privilege_type = 'UPDATE'"
        " AND grantee <> current_user",
        (names.schema, names.bare_prefix + "credentials"),
    ).fetchall()
    sequence = None
    if serial:
        sequence = conn.execute(
            "SELECT pg_get_serial_sequence(%s, 'id')", (table,)
        ).fetchone()[0]
    for (role,) in roles:
        conn.execute(
            sql.SQL("GRANT {} ON {} TO {}").format(
                sql.SQL(privileges), sql.SQL(table), sql.Identifier(role)
            )
        )
        if sequence:
            conn.execute(
                sql.SQL("GRANT USAGE ON SEQUENCE {} TO {}").format(
                    sql.SQL(sequence), sql.Identifier(role)
                )
            )


def _mail(conn: Any, names: Names) -> None:
    """Version 8: the mail outbox and the password-reset tokens."""
    outbox = names.table(OUTBOX_TABLE)
    resets = names.table(RESET_TABLE)
    if names.postgres:
        ident, real, txt, integer = "bigserial", "double precision", "text", "integer"
    else:
        ident, real, txt, integer = "INTEGER", "REAL", "TEXT", "INTEGER"
    auto = "" if names.postgres else " AUTOINCREMENT"
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {outbox} ("
        f" id {ident} PRIMARY KEY{auto}, key {txt} NOT NULL UNIQUE,"
        f" recipient {txt} NOT NULL, subject {txt} NOT NULL, body {txt} NOT NULL,"
        f" attachments {txt} NOT NULL DEFAULT '[]',"
        f" status {txt} NOT NULL DEFAULT 'queued',"  # queued | sent | failed
        f" attempts {integer} NOT NULL DEFAULT 0, queued_at {real} NOT NULL,"
        f" next_attempt_at {real} NOT NULL, last_error {txt} NOT NULL DEFAULT '',"
        f" lease_owner {txt}, lease_until {real}, sent_at {real})"
    )
    index = f"{names.bare_prefix}{OUTBOX_TABLE}_due"
    conn.execute(
        f"CREATE INDEX IF NOT EXISTS {index} ON {outbox} (status, next_attempt_at)"
    )
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {resets} ("
        f" token_hash {txt} PRIMARY KEY, username {txt} NOT NULL,"
        f" created_at {real} NOT NULL, expires_at {real} NOT NULL,"
        f" used_at {real})"
    )
    if names.postgres:
        _grant_app_role(conn, names, outbox, "SELECT, INSERT, UPDATE", serial=True)
        _grant_app_role(
            conn, names, resets, "SELECT, INSERT, UPDATE, DELETE", serial=False
        )


# Version 9. Notifications (issue 17): each person's choices (delivery per kind of
# notification, proposals followed) and read marks, and where the e-mail dispatch and
# each person's daily digest stand. Plain tables, not events: they are a person's
# settings and reading, no act of the plan's governance. The dispatch starts at the
# log's end when this step runs, so an upgraded ledger never mails its history.
NOTIFICATION_TABLES = (
    "notification_preferences",
    "notification_follows",
    "notification_reads",
    "notification_seen",
    "notification_dispatch",
    "notification_digests",
)


def _notifications(conn: Any, names: Names) -> None:
    """Version 9: notification preferences, follows, read marks, dispatch cursors."""
    txt, integer = ("text", "bigint") if names.postgres else ("TEXT", "INTEGER")
    t = names.table
    for ddl in (
        f"{t('notification_preferences')} (login {txt} NOT NULL, kind {txt} NOT NULL,"
        f" delivery {txt} NOT NULL, PRIMARY KEY (login, kind))",
        f"{t('notification_follows')} (login {txt} NOT NULL, proposal {txt} NOT NULL,"
        f" since_position {integer} NOT NULL, PRIMARY KEY (login, proposal))",
        f"{t('notification_reads')} (login {txt} NOT NULL,"
        f" position {integer} NOT NULL, PRIMARY KEY (login, position))",
        f"{t('notification_seen')} (login {txt} PRIMARY KEY,"
        f" position {integer} NOT NULL)",
        f"{t('notification_dispatch')} (name {txt} PRIMARY KEY,"
        f" position {integer} NOT NULL)",
        f"{t('notification_digests')} (login {txt} PRIMARY KEY,"
        f" last_date {txt} NOT NULL, position {integer} NOT NULL)",
    ):
        conn.execute(f"CREATE TABLE IF NOT EXISTS {ddl}")
    # the newest id, not the number of events: PostgreSQL's ids have gaps
    newest = "notification_id" if names.postgres else "rowid"
    (head,) = conn.execute(
        f"SELECT COALESCE(max({newest}), 0) FROM {names.events}"
    ).fetchone()
    ph = "%s" if names.postgres else "?"
    conn.execute(
        f"INSERT INTO {t('notification_dispatch')} (name, position)"
        f" VALUES ({ph}, {ph}) ON CONFLICT (name) DO NOTHING",
        ("mail", int(head)),
    )
    if names.postgres:
        for name in NOTIFICATION_TABLES:
            _grant_app_role(
                conn, names, t(name), "SELECT, INSERT, UPDATE, DELETE", serial=False
            )


# Version 10. Witnesses (issue 19): the cosignatures each witness returned, and where
# the delivery to each witness stands (its last known size, failures, next attempt).
# Plain tables, not events: a cosignature is another body's statement about the log,
# received after the checkpoint it signs, and kept beside it.
COSIGNATURES_TABLE = "witness_cosignatures"
DELIVERIES_TABLE = "witness_deliveries"


def _witnesses(conn: Any, names: Names) -> None:
    """Version 10: witness cosignatures and delivery state."""
    if names.postgres:
        txt, integer, real = "text", "bigint", "double precision"
    else:
        txt, integer, real = "TEXT", "INTEGER", "REAL"
    t = names.table
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {t(COSIGNATURES_TABLE)} ("
        f" witness {txt} NOT NULL, seq {integer} NOT NULL,"
        f" tree_size {integer} NOT NULL, line {txt} NOT NULL,"
        f" timestamp {integer} NOT NULL, received_at {real} NOT NULL,"
        " PRIMARY KEY (witness, seq))"
    )
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {t(DELIVERIES_TABLE)} ("
        f" witness {txt} PRIMARY KEY, url {txt} NOT NULL,"
        f" known_size {integer} NOT NULL DEFAULT 0,"
        f" status {txt} NOT NULL DEFAULT 'pending',"  # pending | ok | failing
        f" attempts {integer} NOT NULL DEFAULT 0,"
        f" next_attempt_at {real} NOT NULL DEFAULT 0,"
        f" last_error {txt} NOT NULL DEFAULT '', last_attempt_at {real},"
        f" last_success_at {real})"
    )
    if names.postgres:
        for name in (COSIGNATURES_TABLE, DELIVERIES_TABLE):
            _grant_app_role(
                conn, names, t(name), "SELECT, INSERT, UPDATE", serial=False
            )


# Version 11. Crypto-shredding (issue 19): one data key per data subject (an
# account's id). Erasure sets the key to NULL and stamps ``erased_at`` (the row stays:
# the erasure register). Never in bundles; backed up with ``sdsi keys export``.
KEYS_TABLE = "personal_keys"


def _personal_keys(conn: Any, names: Names) -> None:
    """Version 11: the data keys of personal values, and the erasure register."""
    txt = "text" if names.postgres else "TEXT"
    table = names.table(KEYS_TABLE)
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {table} (subject {txt} PRIMARY KEY,"
        f" data_key {txt}, created_at {txt} NOT NULL, erased_at {txt})"
    )
    if names.postgres:
        _grant_app_role(conn, names, table, "SELECT, INSERT, UPDATE", serial=False)
        # an erasure replaces the person's values in the commands' results
        _grant_app_role(
            conn, names, names.table("commands"), "UPDATE (result)", serial=False
        )


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        2,
        "event ids are positive, from the sequence and after the last one",
        install_id_guard,
    ),
    Migration(3, "command records keep the hash of their arguments", _arguments_hash),
    Migration(
        4,
        "sessions and tokens, failed-login counters, forced password changes",
        _logins,
    ),
    Migration(
        5, "aggregate ids are stored in one form only", install_canonical_id_guard
    ),
    Migration(
        6,
        "an event's version follows the last one of its aggregate",
        install_version_guard,
    ),
    Migration(
        7, "messages of the accessibility statement's contact form", _contact_messages
    ),
    Migration(8, "the mail outbox and the password-reset tokens", _mail),
    Migration(
        9,
        "notification preferences, follows, read marks and dispatch cursors",
        _notifications,
    ),
    Migration(10, "witness cosignatures and their delivery state", _witnesses),
    Migration(
        11, "the data keys of personal values and the erasure register", _personal_keys
    ),
)
# The guards ``sdsi init`` puts back when the owner removed them: (version that
# introduced them, installer).
GUARDS: tuple[tuple[int, Callable[[Any, Names], None]], ...] = (
    (2, install_id_guard),
    (5, install_canonical_id_guard),
    (6, install_version_guard),
)
SCHEMA_VERSION = MIGRATIONS[-1].version


# --- running them ------------------------------------------------------------------


def names_of(ledger: Any) -> Names:
    storage = ledger.storage
    if storage.is_postgres:
        bare = ledger.recorder.table_prefix
        return Names(True, storage.events_table, storage.prefix, bare, storage.schema)
    return Names(False, storage.events_table, "", "", "")


@contextmanager
def _locked(ledger: Any) -> Iterator[Any]:
    """A connection in a transaction that holds the schema-change lock; committed at
    the end, rolled back on error. Its own connection: not the library's pool."""
    db = ledger.settings.database
    if db.is_postgres:
        with psycopg.connect(**db.libpq_kwargs()) as conn:  # type: ignore[arg-type]
            conn.execute(  # per schema: ledgers in other schemas do not wait
                "SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
                (LOCK_KEY, db.schema),
            )
            yield conn  # committed on leaving the block, rolled back on error
        return
    conn = sqlite3.connect(db.sqlite_path, isolation_level=None, timeout=30)
    try:
        conn.execute("BEGIN IMMEDIATE")  # the write lock first: versions read are final
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        conn.close()


def _read_version(conn: Any, names: Names) -> int | None:
    ph = "%s" if names.postgres else "?"
    row = conn.execute(
        f"SELECT value FROM {names.table('meta')} WHERE key = {ph}",
        ("schema_version",),
    ).fetchone()
    return None if row is None else int(row[0])


def _write_version(conn: Any, names: Names, version: int) -> None:
    ph = "%s" if names.postgres else "?"
    conn.execute(
        f"INSERT INTO {names.table('meta')} (key, value) VALUES ({ph}, {ph})"
        " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        ("schema_version", str(version)),
    )


def schema_version(ledger: Any) -> int | None:
    """The version recorded in ``meta`` (``None``: not initialised)."""
    value = ledger.storage.get_meta("schema_version")
    return None if value is None else int(value)


def migrate(
    ledger: Any, *, fresh: bool = False, target: int = SCHEMA_VERSION
) -> Upgrade:
    """Apply the missing steps up to ``target`` (``fresh``: tables just created by
    ``sdsi init``, version 1 when ``meta`` has none yet)."""
    current = schema_version(ledger)
    if current is None and not fresh:
        raise SchemaOutdated("the ledger has no schema version: run `sdsi init`")
    if current is not None and current > SCHEMA_VERSION:
        raise SchemaOutdated(
            f"the ledger database is at schema version {current}, newer than this "
            f"program knows ({SCHEMA_VERSION}): upgrade sdsi-ledger"
        )
    if current is not None and current >= target:
        return Upgrade(current, current)  # the usual case: one read, no lock
    names = names_of(ledger)
    before = BASELINE if current is None else current
    try:
        with _locked(ledger) as conn:
            current = _read_version(conn, names)
            before = BASELINE if current is None else current
            upgrade = Upgrade(before, before, created=current is None)
            if current is None:
                _write_version(conn, names, BASELINE)
            for step in MIGRATIONS:
                if before < step.version <= target:
                    step.apply(conn, names)
                    _write_version(conn, names, step.version)
                    upgrade.applied.append(step)
                    upgrade.after = step.version
    except (psycopg.Error, sqlite3.Error) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        raise SchemaOutdated(
            f"the ledger schema is at version {before} and needs version {target}"
            f", which could not be applied ({first}): run"
            " `sdsi init` as the owner of the database"
        ) from exc
    return upgrade


def ensure_guards(ledger: Any) -> list[str]:
    """Re-install the guards the tables' owner may have removed; names restored."""
    names = names_of(ledger)
    before = _guards_present(ledger, names)
    if all(before.values()):
        return []
    with _locked(ledger) as conn:
        version = _read_version(conn, names) or 0
        for since, install in GUARDS:
            if version >= since:
                install(conn, names)
    after = _guards_present(ledger, names)
    return sorted(name for name, ok in after.items() if ok and not before[name])


def _guards_present(ledger: Any, names: Names) -> dict[str, bool]:
    storage = ledger.storage
    if names.postgres:
        check = storage.fetchone(
            "SELECT count(*) FROM pg_constraint WHERE conrelid = ?::regclass"
            " AND conname = ?",
            (names.events, names.bare_prefix + PG_ID_CHECK),
        )
        present = {names.bare_prefix + PG_ID_CHECK: bool(check and check[0])}
        for name in (PG_ID_TRIGGER, PG_VERSION_TRIGGER):
            trigger = storage.fetchone(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = ?::regclass"
                " AND tgname = ? AND tgenabled <> 'D'",
                (names.events, names.bare_prefix + name),
            )
            present[names.bare_prefix + name] = bool(trigger and trigger[0])
        return present
    present = {}
    for name in (SQLITE_ID_GUARD, SQLITE_CANONICAL_ID_GUARD, SQLITE_VERSION_GUARD):
        row = storage.fetchone(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = ?",
            (name,),
        )
        present[name] = bool(row and row[0])
    return present
