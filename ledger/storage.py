"""Storage of the ledger beside the event table, on SQLite and on PostgreSQL.

The event recorders are the library's, extended so that one save also writes, in the
same transaction as the events:

- the command record (idempotency key → result), so a command sent twice, or retried
  after its commit acknowledgement was lost, is recognised as already landed;
- a credential (password hash), which stays out of the event log: events are exported
  to auditors, secrets are not.

Tables are created only by ``sdsi init`` (``CREATE_TABLE=y``); opening an uninitialised
database is detected by :meth:`LedgerStorage.missing_tables`. The DDL below is schema
version 1, frozen: later changes are steps of ``ledger/migrations.py``.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from eventsourcing.utils import retry
from psycopg.sql import SQL, Identifier

from ledger.errors import EventOutsideLog, LedgerCorrupted
from ledger.personal_keys import TABLE as KEYS_TABLE
from ledger.personal_keys import Erasure

# Sealing (see docs/integrity.md): one row per sealed event, in log order, and the
# signed checkpoints. Both tables, and the event table, are append-only: triggers
# refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL) for every role, owner included.
APPEND_ONLY_SQLITE = ("stored_events", "seals", "checkpoints")
APPEND_ONLY_POSTGRES = ("events", "seals", "checkpoints")
SEAL_DDL_SQLITE = [
    "CREATE TABLE IF NOT EXISTS seals ("
    " position INTEGER PRIMARY KEY, notification_id INTEGER NOT NULL UNIQUE,"
    " originator_id TEXT NOT NULL, originator_version INTEGER NOT NULL,"
    " leaf BLOB NOT NULL, UNIQUE (originator_id, originator_version))",
    "CREATE TABLE IF NOT EXISTS checkpoints ("
    " seq INTEGER PRIMARY KEY, tree_size INTEGER NOT NULL UNIQUE, root BLOB NOT NULL,"
    " issued_at TEXT NOT NULL, reason TEXT NOT NULL, note TEXT NOT NULL,"
    " frontier BLOB NOT NULL, consistency_proof BLOB NOT NULL)",
    *(
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table}"
        f" BEGIN SELECT RAISE(ABORT, 'the SDSI ledger is append-only:"
        f" {op} on {table} refused'); END"
        for table in APPEND_ONLY_SQLITE
        for op in ("UPDATE", "DELETE")
    ),
]
SEAL_DDL_POSTGRES = [
    "CREATE TABLE IF NOT EXISTS {s}.{p}seals ("
    " position bigint PRIMARY KEY, notification_id bigint NOT NULL UNIQUE,"
    " originator_id uuid NOT NULL, originator_version bigint NOT NULL,"
    " leaf bytea NOT NULL, UNIQUE (originator_id, originator_version))",
    "CREATE TABLE IF NOT EXISTS {s}.{p}checkpoints ("
    " seq bigint PRIMARY KEY, tree_size bigint NOT NULL UNIQUE, root bytea NOT NULL,"
    " issued_at text NOT NULL, reason text NOT NULL, note text NOT NULL,"
    " frontier bytea NOT NULL, consistency_proof bytea NOT NULL)",
    "CREATE OR REPLACE FUNCTION {s}.{p}refuse_change() RETURNS trigger"
    " LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION"
    " 'the SDSI ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME"
    " USING ERRCODE = 'insufficient_privilege'; END $$",
    *(
        statement
        for table in APPEND_ONLY_POSTGRES
        for statement in (
            f"DROP TRIGGER IF EXISTS {{p}}{table}_append_only ON {{s}}.{{p}}{table}",
            f"CREATE TRIGGER {{p}}{table}_append_only BEFORE UPDATE OR DELETE"
            f" ON {{s}}.{{p}}{table} FOR EACH ROW"
            " EXECUTE FUNCTION {s}.{p}refuse_change()",
            f"DROP TRIGGER IF EXISTS {{p}}{table}_no_truncate ON {{s}}.{{p}}{table}",
            f"CREATE TRIGGER {{p}}{table}_no_truncate BEFORE TRUNCATE"
            f" ON {{s}}.{{p}}{table} FOR EACH STATEMENT"
            " EXECUTE FUNCTION {s}.{p}refuse_change()",
        )
    ),
]

# Extra tables, per backend; ``{p}`` is the table prefix ("" on SQLite, "sdsi_" on
# PostgreSQL), ``{s}`` the PostgreSQL schema. Other parts of the ledger (sealing)
# append their own DDL here so that `sdsi init` creates everything at once.
EXTRA_DDL: dict[str, list[str]] = {
    "sqlite": [
        "CREATE TABLE IF NOT EXISTS commands ("
        " key TEXT PRIMARY KEY, command TEXT NOT NULL, actor TEXT NOT NULL,"
        " recorded_at TEXT NOT NULL, last_originator_id TEXT,"
        " last_originator_version INTEGER, result TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS credentials ("
        " username TEXT PRIMARY KEY, password_hash TEXT NOT NULL,"
        " changed_at TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        *SEAL_DDL_SQLITE,
    ],
    "postgres": [
        "CREATE TABLE IF NOT EXISTS {s}.{p}commands ("
        " key text PRIMARY KEY, command text NOT NULL, actor text NOT NULL,"
        " recorded_at text NOT NULL, last_originator_id uuid,"
        " last_originator_version bigint, result text NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {s}.{p}credentials ("
        " username text PRIMARY KEY, password_hash text NOT NULL,"
        " changed_at timestamptz NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {s}.{p}meta (key text PRIMARY KEY, value text NOT NULL)",
        # Refuses (as an integrity conflict, so the command is retried with fresh roles)
        # a save whose actor's account changed after the roles were read: checked after
        # the events table lock, with no extra round trip.
        "CREATE OR REPLACE FUNCTION {s}.{p}check_actor(actor uuid, expected bigint)"
        " RETURNS integer LANGUAGE plpgsql AS $$ BEGIN"
        " IF (SELECT max(originator_version) FROM {s}.{p}events WHERE originator_id = actor)"
        " IS DISTINCT FROM expected THEN"
        " RAISE EXCEPTION 'the account of the actor changed' USING ERRCODE = '23P99';"
        " END IF; RETURN 1; END $$",
        *SEAL_DDL_POSTGRES,
    ],
}


@dataclass(frozen=True)
class CommandRecord:
    """What a landed command returned, under its idempotency key."""

    key: str
    command: str
    actor: str
    recorded_at: str
    last_originator_id: UUID | None
    last_originator_version: int | None
    result: dict[str, Any]
    # SHA-256 of the command's canonical arguments (``ledger.idempotency``); None in
    # records written before schema version 3, whose keys keep the old behaviour.
    arguments_hash: str | None = None


@dataclass(frozen=True)
class ActorCheck:
    """An aggregate version a command relied on without changing it, checked at save
    (the actor's account whose roles it used, or what a rule read, such as the other
    proposal of a dependency): a concurrent change fails the save, which is retried."""

    originator_id: UUID
    version: int | None  # None: the aggregate must still not exist


@dataclass(frozen=True)
class Credential:
    """A password hash to store with the events of the same command."""

    username: str
    password_hash: str
    changed_at: str
    # Set by an administrator's reset: the account must choose a new password at its
    # next sign-in before it can do anything else (schema version 4).
    must_change: bool = False


@dataclass(frozen=True)
class EndSessions:
    """End the sessions and API tokens of an account with the events of the same
    command (a password change or reset, a disabled account), but ``keep``."""

    username: str
    why: str
    at: float
    keep: str | None = None  # the id of the session that made the change


def _events_query(
    base: str,
    ph: str,
    gt: int | None,
    lte: int | None,
    desc: bool,
    limit: int | None,
) -> tuple[str, list[Any]]:
    """The tail of the library's ``select_events`` statement, and its parameters."""
    params: list[Any] = []
    if gt is not None:
        base += f" AND originator_version > {ph}"
        params.append(gt)
    if lte is not None:
        base += f" AND originator_version <= {ph}"
        params.append(lte)
    base += " ORDER BY originator_version " + ("DESC" if desc else "ASC")
    if limit is not None:
        base += f" LIMIT {ph}"
        params.append(limit)
    return base, params


def _in_log(rows: Sequence[Any], id_column: str) -> None:
    """Refuse to load an aggregate one of whose stored events lies outside the log.

    Sealing, verification, exports and the views read the log (ids > 0, in order);
    a row with id <= 0 is none of theirs. Ignoring it here would also be wrong — its
    version would still collide with the next one written — so the write side stops,
    naming the row, and ``sdsi verify`` reports it (docs/integrity.md).
    """
    for row in rows:
        nid = row[id_column]
        if nid is None or nid <= 0:
            raise EventOutsideLog(
                originator_id=str(UUID(str(row["originator_id"]))),
                version=row["originator_version"],
                notification_id=nid,
            )


def _contiguous(rows: Sequence[Any], gt: int | None, desc: bool) -> None:
    """Refuse to load an aggregate whose stored versions do not follow each other.

    The library would stop on the first version that is not the next one with an
    ``OriginatorVersionError`` (or an ``AssertionError`` when version 1 is missing):
    a bare 500 saying nothing of the ledger. The guard of schema version 6 refuses
    such rows; this names them when the owner stored some anyway (docs/integrity.md).
    """
    versions = [int(row["originator_version"]) for row in rows]
    if desc:
        versions.reverse()
    if not versions:
        return
    previous = versions[0] - 1 if desc else (gt or 0)
    for version in versions:
        if version != previous + 1:
            raise LedgerCorrupted(
                originator_id=str(UUID(str(rows[0]["originator_id"]))),
                previous=previous,
                found=version,
            )
        previous = version


class SQLiteLedgerRecorder(SQLiteApplicationRecorder):
    """SQLite event recorder that also stores command records and credentials."""

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *EXTRA_DDL["sqlite"]]

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        """The library's query, with each row's id checked (:func:`_in_log`)."""
        statement, params = _events_query(
            f"SELECT rowid, * FROM {self.events_table_name} WHERE originator_id = ?",
            "?",
            gt,
            lte,
            desc,
            limit,
        )
        oid = originator_id.hex if isinstance(originator_id, UUID) else originator_id
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement, [oid, *params])
            rows = c.fetchall()
        _in_log(rows, "rowid")
        _contiguous(rows, gt, desc)
        return [
            StoredEvent(
                originator_id=self.convert_originator_id(row["originator_id"]),
                originator_version=row["originator_version"],
                topic=row["topic"],
                state=row["state"],
            )
            for row in rows
        ]

    def convert_originator_id(self, originator_id: str) -> UUID | str:
        """A stored aggregate id as a UUID; the text as stored when it is none (a row
        the guards of schema version 5 refuse): readers of the log then name the row
        (``ledger.leaf.LeafError``) instead of failing on the whole page."""
        try:
            return super().convert_originator_id(originator_id)
        except (ValueError, TypeError, AttributeError):
            return str(originator_id)

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        _write_extras(c, "?", "", kwargs, stored_events)
        # inside the write transaction: serialised with every writer
        for check in _checks(kwargs):
            c.execute(
                f"SELECT MAX(originator_version) FROM {self.events_table_name} WHERE originator_id = ?",
                (check.originator_id.hex,),
            )
            if c.fetchone()[0] != check.version:
                raise IntegrityError(
                    "a record the command relied on changed since it was read"
                )
        return ids


class PostgresLedgerRecorder(PostgresApplicationRecorder):
    """PostgreSQL event recorder that also stores command records and credentials."""

    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ):
        super().__init__(datastore, events_table_name=events_table_name)
        self.table_prefix = events_table_name.removesuffix("events")
        for ddl in EXTRA_DDL["postgres"]:
            self.sql_create_statements.append(
                SQL(
                    ddl.replace("{s}", "{schema}").replace("{p}", self.table_prefix)
                ).format(schema=Identifier(self.datastore.schema))
            )

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        """The library's query, with each row's id checked (:func:`_in_log`)."""
        statement, params = _events_query(
            f'SELECT * FROM "{self.datastore.schema}".{self.events_table_name}'
            " WHERE originator_id = %s",
            "%s",
            gt,
            lte,
            desc,
            limit,
        )
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, [originator_id, *params], prepare=True)
            rows = curs.fetchall()
        _in_log(rows, "notification_id")
        _contiguous(rows, gt, desc)
        return [
            StoredEvent(
                originator_id=row["originator_id"],
                originator_version=row["originator_version"],
                topic=row["topic"],
                state=bytes(row["state"]),
            )
            for row in rows
        ]

    def _fetch_ids_after_insert_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """The command record, the credential and the actor check, after the events,
        in the same pipelined transaction: a duplicate idempotency key or a changed
        account fails the whole save (IntegrityError).

        After the events, and never prepared: in a pipeline, the statements queued
        after one that fails are skipped by the server, and psycopg 3.3 records a
        statement it meant to prepare there (at its 5th use) as prepared although it
        never was — the connection then fails every later save with "prepared
        statement … does not exist". A duplicate key used to fail first, before the
        library's NOTIFY and INSERT. Now the events INSERT is the last statement of
        its segment, and nothing after a failure here is a prepared one.
        """
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        prefix = f'"{self.datastore.schema}".{self.table_prefix}'
        _write_extras(curs, "%s", prefix, kwargs, stored_events, prepare=False)
        # after the table lock, in the same pipeline: fails the commit
        for check in _checks(kwargs):
            curs.execute(
                f"SELECT {prefix}check_actor(%s, %s)",
                (check.originator_id, check.version),
                prepare=False,
            )
        return ids


def _checks(kwargs: dict[str, Any]) -> list[ActorCheck]:
    """The versions to check at save: the actor's account, then what rules read."""
    actor: ActorCheck | None = kwargs.get("sdsi_actor")
    reads: Sequence[ActorCheck] = kwargs.get("sdsi_reads") or ()
    return ([actor] if actor is not None else []) + list(reads)


def _write_extras(
    c: Any,
    ph: str,
    prefix: str,
    kwargs: dict[str, Any],
    stored_events: Sequence[StoredEvent],
    **execute: Any,
) -> None:
    """Insert the command record and the credential (``execute``: options of the
    cursor's ``execute``, e.g. ``prepare=False`` on PostgreSQL)."""
    record: CommandRecord | None = kwargs.get("sdsi_command")
    if record is not None:
        last = stored_events[-1] if stored_events else None
        oid = last.originator_id if last else None
        if isinstance(oid, UUID) and ph == "?":
            oid = oid.hex
        c.execute(
            f"INSERT INTO {prefix}commands (key, command, actor, recorded_at,"
            f" last_originator_id, last_originator_version, result, arguments_hash)"
            f" VALUES ({ph}, {ph}, {ph}, {ph}, {ph}, {ph}, {ph}, {ph})",
            (
                record.key,
                record.command,
                record.actor,
                record.recorded_at,
                oid,
                last.originator_version if last else None,
                json.dumps(record.result),
                record.arguments_hash,
            ),
            **execute,
        )
    cred: Credential | None = kwargs.get("sdsi_credential")
    if cred is not None:
        c.execute(
            f"INSERT INTO {prefix}credentials"
            " (username, password_hash, changed_at, must_change)"
            f" VALUES ({ph}, {ph}, {ph}, {ph}) ON CONFLICT (username) DO UPDATE SET"
            " password_hash = EXCLUDED.password_hash, changed_at = EXCLUDED.changed_at,"
            " must_change = EXCLUDED.must_change",
            (cred.username, cred.password_hash, cred.changed_at, cred.must_change),
            **execute,
        )
    erasure: Erasure | None = kwargs.get("sdsi_erasure")
    if erasure is not None:
        _erase(c, ph, prefix, erasure, **execute)
    end: EndSessions | None = kwargs.get("sdsi_end_sessions")
    if end is not None:
        c.execute(
            f"UPDATE {prefix}auth_sessions SET ended_at = {ph}, ended_why = {ph}"
            f" WHERE username = {ph} AND ended_at IS NULL AND id <> {ph}",
            (end.at, end.why, end.username, end.keep or ""),
            **execute,
        )
    # A pending password-reset link dies with the password it would replace (changed,
    # reset, account disabled) or with the address it was sent to (e-mail changed).
    void: str | None = kwargs.get("sdsi_void_resets")
    if end is not None and end.why.startswith("password"):
        void = end.username
    if void is not None:
        c.execute(
            f"UPDATE {prefix}password_resets SET used_at = {ph}"
            f" WHERE username = {ph} AND used_at IS NULL",
            (time.time(), void),
            **execute,
        )


def _erase(c: Any, ph: str, prefix: str, erasure: Erasure, **execute: Any) -> None:
    """Destroy the subject's data key (the row stays: the erasure register), and
    replace the plain text the side tables copied (command results, mail outbox)."""
    c.execute(
        f"INSERT INTO {prefix}{KEYS_TABLE} (subject, data_key, created_at, erased_at)"
        f" VALUES ({ph}, NULL, {ph}, {ph}) ON CONFLICT (subject) DO UPDATE SET"
        " data_key = NULL, erased_at = EXCLUDED.erased_at",
        (str(erasure.subject), erasure.at, erasure.at),
        **execute,
    )
    for old, new in erasure.scrub:
        like = f"%{old}%"
        c.execute(
            f"UPDATE {prefix}commands SET result = REPLACE(result, {ph}, {ph})"
            f" WHERE result LIKE {ph}",
            (old, new, like),
            **execute,
        )
        c.execute(
            f"UPDATE {prefix}mail_outbox SET recipient = REPLACE(recipient, {ph}, {ph}),"
            f" subject = REPLACE(subject, {ph}, {ph}), body = REPLACE(body, {ph}, {ph}),"
            f" attachments = REPLACE(attachments, {ph}, {ph}),"
            # the mail server's refusal names the address (SMTPRecipientsRefused)
            f" last_error = REPLACE(last_error, {ph}, {ph})"
            f" WHERE recipient LIKE {ph} OR subject LIKE {ph} OR body LIKE {ph}"
            f" OR attachments LIKE {ph} OR last_error LIKE {ph}",
            (*(old, new) * 5, *(like,) * 5),
            **execute,
        )
    if erasure.scrub:
        _scrub_attachments(c, ph, prefix, erasure.scrub, **execute)
        # a mail still queued for them is never sent (its address is the marker now)
        c.execute(
            f"UPDATE {prefix}mail_outbox SET status = 'failed', lease_owner = NULL,"
            f" last_error = {ph} WHERE status = 'queued' AND recipient LIKE {ph}",
            ("destinataire effacé (RGPD art. 17)", f"%{erasure.scrub[0][1]}%"),
            **execute,
        )


def _scrub_attachments(
    c: Any, ph: str, prefix: str, scrub: Sequence[tuple[str, str]], **execute: Any
) -> None:
    """The outbox's attachments are base64 in JSON (``ledger.outbox``), and a
    convocation's ``.ics`` folds its lines at 75 octets: a name or address there is
    found only decoded and unfolded. A text attachment that names the person is
    stored again unfolded, with the marker in its place."""
    c.execute(
        f"SELECT id, attachments FROM {prefix}mail_outbox"
        " WHERE attachments IS NOT NULL AND attachments NOT IN ('', '[]')",
        **execute,
    )
    for row in c.fetchall():
        row_id, stored = (
            (row["id"], row["attachments"]) if isinstance(row, dict) else row
        )
        items, changed = json.loads(stored), False
        for item in items:
            content = base64.b64decode(item["content"])
            if str(item.get("media_type", "")).startswith("text/"):
                content = content.replace(b"\r\n ", b"").replace(b"\n ", b"")
            scrubbed = content
            for old, new in scrub:
                scrubbed = scrubbed.replace(old.encode(), new.encode())
            if scrubbed != content:
                item["content"] = base64.b64encode(scrubbed).decode("ascii")
                changed = True
        if changed:
            c.execute(
                f"UPDATE {prefix}mail_outbox SET attachments = {ph} WHERE id = {ph}",
                (json.dumps(items, separators=(",", ":")), row_id),
                **execute,
            )


class LedgerStorage:
    """Plain SQL on the ledger database, for what the library's API does not cover."""

    def __init__(self, recorder: SQLiteLedgerRecorder | PostgresLedgerRecorder) -> None:
        self.recorder = recorder
        self.is_postgres = isinstance(recorder, PostgresLedgerRecorder)
        if isinstance(recorder, PostgresLedgerRecorder):
            self.ph = "%s"
            self.schema = recorder.datastore.schema
            self.prefix = f'"{self.schema}".{recorder.table_prefix}'
            self.events_table = f'"{self.schema}".{recorder.events_table_name}'
            self.position_column = "notification_id"
        else:
            self.ph = "?"
            self.schema = ""
            self.prefix = ""
            self.events_table = recorder.events_table_name
            self.position_column = "rowid"

    def table(self, name: str) -> str:
        """The qualified name of one of the ledger's own tables."""
        return f"{self.prefix}{name}"

    def sql(self, statement: str) -> str:
        """``?`` placeholders and ``{t:name}`` tables, converted for this backend."""
        statement = statement.replace("{events}", self.events_table)
        while "{t:" in statement:
            start = statement.index("{t:")
            end = statement.index("}", start)
            statement = (
                statement[:start]
                + self.table(statement[start + 3 : end])
                + statement[end + 1 :]
            )
        return statement.replace("?", self.ph) if self.is_postgres else statement

    @contextmanager
    def cursor(self, *, commit: bool = False) -> Iterator[Any]:
        """A cursor in a transaction, committed at the end if ``commit``; a read on
        PostgreSQL runs as one autocommit statement (no BEGIN/ROLLBACK round trips)."""
        datastore: Any = self.recorder.datastore
        if self.is_postgres and not commit:
            with datastore.get_connection() as conn, conn.cursor() as curs:
                yield curs
            return
        with datastore.transaction(commit=commit) as curs:
            yield curs

    @retry((InterfaceError, OperationalError), max_attempts=3, wait=0.2)
    def fetchall(
        self, statement: str, params: Sequence[Any] = ()
    ) -> list[tuple[Any, ...]]:
        with self.cursor() as c:
            c.execute(self.sql(statement), tuple(params))
            return [
                tuple(row.values()) if isinstance(row, dict) else tuple(row)
                for row in c.fetchall()
            ]

    def fetchone(
        self, statement: str, params: Sequence[Any] = ()
    ) -> tuple[Any, ...] | None:
        rows = self.fetchall(statement, params)
        return rows[0] if rows else None

    @property
    def pending_events_sql(self) -> str:
        """``SELECT count(*)`` of the events recorded after the notification id ``?``.

        The ``ORDER BY … LIMIT`` keeps PostgreSQL on the index when the statement is
        prepared: its generic plan otherwise expects a third of the table and starts a
        parallel scan, ~6 ms instead of ~0.1 ms when nothing is pending.
        """
        column = self.position_column
        return (
            f"SELECT count(*) FROM (SELECT {column} FROM {{events}} WHERE {column} > ?"
            f" ORDER BY {column} LIMIT 9223372036854775807) pending"
        )

    def count_events_after(self, notification_id: int) -> int:
        """How many events were recorded after ``notification_id`` (an index range)."""
        row = self.fetchone(self.pending_events_sql, (notification_id,))
        return int(row[0]) if row else 0

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        with self.cursor(commit=True) as c:
            c.execute(self.sql(statement), tuple(params))

    # --- initialisation ------------------------------------------------------------

    def missing_tables(self) -> list[str]:
        """Ledger tables that do not exist yet."""
        names = [
            self.recorder.events_table_name,
            *(
                self.table(n)
                for n in ("commands", "credentials", "meta", "seals", "checkpoints")
            ),
        ]
        missing = []
        for name in names:
            bare = name.split(".")[-1]
            if self.is_postgres:
                row = self.fetchone(
                    "SELECT to_regclass(?)", (f'"{self.schema}".{bare}',)
                )
                exists = row is not None and row[0] is not None
            else:
                row = self.fetchone(
                    "SELECT name FROM sqlite_master WHERE type='table' AND name=?",
                    (bare,),
                )
                exists = row is not None
            if not exists:
                missing.append(bare)
        return missing

    def get_meta(self, key: str) -> str | None:
        row = self.fetchone("SELECT value FROM {t:meta} WHERE key = ?", (key,))
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.execute(
            "INSERT INTO {t:meta} (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            (key, value),
        )

    # --- commands and credentials ----------------------------------------------------

    def get_command(self, key: str) -> CommandRecord | None:
        row = self.fetchone(
            "SELECT key, command, actor, recorded_at, last_originator_id,"
            " last_originator_version, result, arguments_hash FROM {t:commands}"
            " WHERE key = ?",
            (key,),
        )
        if row is None:
            return None
        oid = row[4]
        return CommandRecord(
            key=row[0],
            command=row[1],
            actor=row[2],
            recorded_at=str(row[3]),
            last_originator_id=UUID(str(oid)) if oid else None,
            last_originator_version=row[5],
            result=json.loads(row[6]),
            arguments_hash=row[7],
        )

    def notification_id_of(self, originator_id: UUID, version: int) -> int | None:
        oid: Any = originator_id if self.is_postgres else originator_id.hex
        row = self.fetchone(
            f"SELECT {self.position_column} FROM {{events}}"
            " WHERE originator_id = ? AND originator_version = ?",
            (oid, version),
        )
        return None if row is None else int(row[0])

    def usernames(self) -> list[str]:
        """Every account that has a password (every account ever registered)."""
        return [
            str(r[0])
            for r in self.fetchall(
                "SELECT username FROM {t:credentials} ORDER BY username"
            )
        ]

    def password_hash(self, username: str) -> str | None:
        row = self.fetchone(
            "SELECT password_hash FROM {t:credentials} WHERE username = ?", (username,)
        )
        return None if row is None else str(row[0])

    def must_change_password(self, username: str) -> bool:
        """Whether an administrator's reset obliges ``username`` to choose a new
        password before doing anything else."""
        row = self.fetchone(
            "SELECT must_change FROM {t:credentials} WHERE username = ?", (username,)
        )
        return bool(row and row[0])
