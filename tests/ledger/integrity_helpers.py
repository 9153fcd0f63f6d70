"""Helpers for the integrity tests: quick events, and a database owner who tampers.

The tamperer connects like the owner of the database would: on SQLite it drops the
append-only triggers of the file; on PostgreSQL it connects as the superuser with
``session_replication_role = replica`` (triggers off for the session).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg
from eventsourcing.persistence import StoredEvent

from domain.accounts import SYSTEM, Account
from domain.base import command_context
from domain.values import CommandContext
from ledger.leaf import leaf_hash_of
from ledger.migrations import SQLITE_ID_GUARD
from ledger.sealing import SESSION_CLOSED_TOPIC
from ledger.storage import APPEND_ONLY_SQLITE

ROOT = Path(__file__).resolve().parents[2]
VERIFIER = ROOT / "verifier.py"


def context(command: str = "bulk") -> CommandContext:
    return CommandContext(
        actor=SYSTEM,
        roles=(SYSTEM,),
        at=datetime.now(UTC),
        origin="cli",
        command=command,
        key=f"k-{uuid4().hex}",
        reason="tests",
    )


def bulk_accounts(ledger: Any, count: int, prefix: str = "user") -> None:
    """``count`` accounts (one event each), saved in one transaction per 500."""
    for start in range(0, count, 500):
        with command_context(context()):
            accounts = [
                Account.register(f"{prefix}{i:06d}", f"User {i}")
                for i in range(start, min(count, start + 500))
            ]
        ledger.save(*accounts)


def legacy_registration(username: str, name: str) -> StoredEvent:
    """An account registration as releases before schema version 11 stored it: the
    name in clear (a database at an older version has no data-key table, so the
    current mapper, which encrypts names, cannot write it)."""
    from eventsourcing.utils import get_topic

    at = {"_type_": "datetime_iso", "_data_": datetime.now(UTC).isoformat()}
    state = {
        "timestamp": at,
        "originator_topic": get_topic(Account),
        "username": username,
        "display_name": name,
        "email": "",
        "class_version": 2,
        "context": {"_type_": "vo:CommandContext", "_data_": {
            "actor": "system", "roles": ["system"], "at": at, "origin": "cli",
            "command": "add_user", "key": f"k-{uuid4().hex}", "reason": "tests"}},
    }  # fmt: skip
    return StoredEvent(
        Account.id_for(username), 1, get_topic(Account.Registered),
        json.dumps(state).encode(),
    )  # fmt: skip


def legacy_accounts(ledger: Any, count: int, prefix: str = "user") -> None:
    """``count`` accounts stored as an old release did (:func:`legacy_registration`)."""
    ledger.recorder.insert_events(
        [legacy_registration(f"{prefix}{i:06d}", f"User {i}") for i in range(count)]
    )


def session_closed_state(at: datetime | None = None) -> bytes:
    """A stored state shaped like a domain event's (for a ``Session.Closed`` topic)."""
    at = at or datetime.now(UTC)
    stamp = {"_type_": "datetime_iso", "_data_": at.isoformat()}
    ctx = {
        "_type_": "vo:CommandContext",
        "_data_": {
            "actor": "chair",
            "roles": ["chair"],
            "at": stamp,
            "origin": "web",
            "command": "close_session",
            "key": f"k-{uuid4().hex}",
            "reason": None,
        },
    }
    return json.dumps({"timestamp": stamp, "context": ctx}).encode()


def insert_session_closed(ledger: Any) -> None:
    """A raw ``Session.Closed`` event (the sealer only looks at its topic)."""
    ledger.recorder.insert_events(
        [
            StoredEvent(
                originator_id=uuid4(),
                originator_version=1,
                topic=SESSION_CLOSED_TOPIC,
                state=session_closed_state(),
            )
        ]
    )


def run(
    *args: str, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python ARGS…`` in a fresh process with ``env`` added."""
    return subprocess.run(
        [sys.executable, *args],
        env={**os.environ, **env, "SDSI_PASSWORD_HASHING": "fast"},
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


def cli_env(settings: Any, database_url: str) -> dict[str, str]:
    return {"SDSI_DATA_DIR": str(settings.data_dir), "SDSI_DATABASE_URL": database_url}


def sdsi_cli(
    settings: Any, database_url: str, *args: str
) -> subprocess.CompletedProcess[str]:
    """``python -m sdsi ARGS…`` on the ledger of ``settings``."""
    return run("-m", "sdsi", *args, env=cli_env(settings, database_url))


def ledger_at_version(settings: Any, version: int, *, keys_table: bool = False) -> Any:
    """A new database whose schema stops at ``version`` (1: as the first release's
    ``sdsi init`` left it), as the Ledger object of that version would open it;
    ``keys_table``: with the data-key table too, for tests that write through
    today's domain (see below)."""
    from ledger.app import Ledger
    from ledger.migrations import MIGRATIONS, _locked, migrate, names_of

    KEYS_VERSION = 11  # the data keys of personal values (erasure)

    db = settings.database
    if not db.is_postgres:
        Path(db.sqlite_path).parent.mkdir(parents=True, exist_ok=True)
    env = {**db.eventsourcing_env(create_table=True), **settings.library_env}
    old = Ledger(settings, env=env)
    old.storage.set_meta("schema_version", "1")
    if version > 1:
        migrate(old, target=version)
    if keys_table and version < KEYS_VERSION:
        # Today's domain writes names and e-mails encrypted, so the events a test
        # writes into this older database need the key table (a real database of
        # that release holds them in clear: tests/ledger/test_erasure.py covers
        # those). Created as its own step does, so the upgrade finds it and goes on.
        step = next(m for m in MIGRATIONS if m.version == KEYS_VERSION)
        with _locked(old) as conn:
            step.apply(conn, names_of(old))
    return old


def sdsi_verify(
    settings: Any, database_url: str, *extra: str
) -> tuple[int, dict[str, Any]]:
    """Run ``python -m sdsi verify --format json``: exit status and report."""
    result = run(
        "-m",
        "sdsi",
        "verify",
        "--format",
        "json",
        *extra,
        env=cli_env(settings, database_url),
    )
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def run_verifier(*args: str) -> tuple[int, str]:
    result = run(str(VERIFIER), *args, env={})
    assert result.returncode in (0, 1), result.stdout + result.stderr
    return result.returncode, result.stdout


def verifier_report(bundle: Path, key: Path) -> tuple[int, dict[str, Any]]:
    """Run ``verifier.py BUNDLE --key KEY --json``: exit status and report."""
    code, out = run_verifier(str(bundle), "--key", str(key), "--json")
    return code, json.loads(out)


def outside_event(ledger: Any, username: str) -> StoredEvent:
    """The next event of ``username``'s account (it is disabled), well formed, as the
    write side would load it: what a row slipped outside the log would hold."""
    account = ledger.account(username)
    with command_context(context("disable_user")):
        account.disable()
    return ledger.mapper.to_stored_event(account.collect_events()[0])


class Tamperer:
    """Direct SQL on the ledger's tables, as the database owner could run it."""

    def __init__(self, backend: str, settings: Any, server_url: str | None) -> None:
        self.backend = backend
        self.settings = settings
        self.server_url = server_url
        db = settings.database
        if backend == "sqlite":
            self.events, self.nid, self.ph = "stored_events", "rowid", "?"
            self.seals, self.checkpoints = "seals", "checkpoints"
        else:
            s = f'"{db.schema}"'
            self.events, self.nid, self.ph = f"{s}.sdsi_events", "notification_id", "%s"
            self.seals, self.checkpoints = f"{s}.sdsi_seals", f"{s}.sdsi_checkpoints"

    @contextmanager
    def connect(self) -> Iterator[Any]:
        """A connection with the guards out of the way, committed at the end."""
        if self.backend == "sqlite":
            conn = sqlite3.connect(self.settings.database.sqlite_path)
            try:
                for table in APPEND_ONLY_SQLITE:
                    for op in ("update", "delete"):
                        conn.execute(f"DROP TRIGGER IF EXISTS {table}_no_{op}")
                conn.execute(f"DROP TRIGGER IF EXISTS {SQLITE_ID_GUARD}")
                yield conn
                conn.commit()
            finally:
                conn.close()
        else:
            assert self.server_url is not None
            with psycopg.connect(self.server_url, autocommit=False) as conn:
                conn.execute("SET session_replication_role = replica")
                yield conn
                conn.commit()

    @contextmanager
    def guarded(self, url: str | None = None) -> Iterator[Any]:
        """A plain connection, every guard in place: as the owner (or as ``url``, the
        app role on PostgreSQL) would get one; committed at the end."""
        if self.backend == "sqlite":
            conn = sqlite3.connect(self.settings.database.sqlite_path)
            try:
                yield conn
                conn.commit()
            finally:
                conn.close()
        else:
            target = url or self.server_url
            assert target is not None
            with psycopg.connect(target, autocommit=False) as conn:
                yield conn
                conn.commit()

    def insert_row(
        self,
        conn: Any,
        nid: int | None,
        event: StoredEvent,
        stored_id: str | None = None,
    ) -> None:
        """``event`` with the id ``nid`` (``None``: the one the database gives), its
        aggregate id written as ``stored_id`` if given (any text of the UUID)."""
        columns, values = (
            "originator_id, originator_version, topic, state",
            [
                self._db_id(event.originator_id) if stored_id is None else stored_id,
                event.originator_version,
                event.topic,
                event.state,
            ],
        )
        if nid is not None:
            columns, values = "{nid}, " + columns, [nid, *values]
        marks = ", ".join("?" for _ in values)
        conn.execute(self.q(f"INSERT INTO {{e}} ({columns}) VALUES ({marks})"), values)

    def remove_id_guards(self) -> None:
        """What an owner set on hiding a row would do first (or a database older than
        the guards): no CHECK, no id trigger."""
        from ledger.migrations import PG_ID_CHECK, PG_ID_TRIGGER

        with self.guarded() as conn:
            if self.backend == "sqlite":
                conn.execute(f"DROP TRIGGER IF EXISTS {SQLITE_ID_GUARD}")
            else:
                conn.execute(
                    f"ALTER TABLE {self.events} DROP CONSTRAINT IF EXISTS sdsi_{PG_ID_CHECK}"
                )
                conn.execute(
                    f"ALTER TABLE {self.events} DISABLE TRIGGER sdsi_{PG_ID_TRIGGER}"
                )

    def remove_row_guards(self) -> None:
        """Every guard of a row's id, aggregate id and version removed (the primary
        key stays): what an owner set on slipping a row in would do first."""
        from ledger.migrations import (
            PG_VERSION_TRIGGER,
            SQLITE_CANONICAL_ID_GUARD,
            SQLITE_VERSION_GUARD,
        )

        self.remove_id_guards()
        with self.guarded() as conn:
            if self.backend == "sqlite":
                for name in (SQLITE_CANONICAL_ID_GUARD, SQLITE_VERSION_GUARD):
                    conn.execute(f"DROP TRIGGER IF EXISTS {name}")
            else:
                conn.execute(
                    f"ALTER TABLE {self.events} DISABLE TRIGGER sdsi_{PG_VERSION_TRIGGER}"
                )

    def drop_primary_key(self) -> None:
        """No key on (aggregate id, version) any more: a second event of a version
        can be stored. SQLite cannot drop a key: the table is rebuilt without it,
        keeping every row's id."""
        with self.guarded() as conn:
            if self.backend == "postgres":
                name = conn.execute(
                    "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass"
                    " AND contype = 'p'",
                    (self.events,),
                ).fetchone()[0]
                conn.execute(f'ALTER TABLE {self.events} DROP CONSTRAINT "{name}"')
                return
            conn.executescript(
                "BEGIN;"
                " CREATE TABLE rebuilt (originator_id TEXT, originator_version"
                " INTEGER, topic TEXT, state BLOB);"
                " INSERT INTO rebuilt (rowid, originator_id, originator_version,"
                " topic, state) SELECT rowid, originator_id, originator_version,"
                " topic, state FROM stored_events;"
                " DROP TABLE stored_events;"
                " ALTER TABLE rebuilt RENAME TO stored_events;"
                " COMMIT;"
            )

    def count(self) -> int:
        """Rows of the event table, whatever their ids."""
        with self.guarded() as conn:
            return int(conn.execute(self.q("SELECT count(*) FROM {e}")).fetchone()[0])

    def last_id(self) -> int:
        """The largest id of the event table."""
        with self.guarded() as conn:
            row = conn.execute(self.q("SELECT max({nid}) FROM {e}")).fetchone()
            return int(row[0] or 0)

    def issued(self) -> int:
        """PostgreSQL: the last id the event sequence issued."""
        with self.guarded() as conn:
            row = conn.execute(
                "SELECT pg_sequence_last_value(pg_get_serial_sequence(%s,"
                " 'notification_id'))",
                (self.events,),
            ).fetchone()
            return int(row[0] or 0)

    def stored_ids(self) -> list[tuple[int, str]]:
        """(id, aggregate id as text) of every row, by id."""
        with self.guarded() as conn:
            cast = (
                "originator_id" if self.backend == "sqlite" else "originator_id::text"
            )
            rows = conn.execute(
                self.q(f"SELECT {{nid}}, {cast} FROM {{e}} ORDER BY {{nid}}")
            ).fetchall()
            return [(int(r[0]), str(r[1])) for r in rows]

    def next_free_id(self) -> int:
        """An id above every one the database issued (SQLite: not max + 1, which is
        what it gives itself)."""
        with self.guarded() as conn:
            if self.backend == "sqlite":
                return (
                    int(
                        conn.execute("SELECT max(rowid) FROM stored_events").fetchone()[
                            0
                        ]
                    )
                    + 2
                )
            issued = conn.execute(
                "SELECT pg_sequence_last_value(pg_get_serial_sequence(%s,"
                " 'notification_id'))",
                (self.events,),
            ).fetchone()[0]
            return int(issued) + 1

    def q(self, sql: str) -> str:
        return (
            sql.replace("{e}", self.events)
            .replace("{nid}", self.nid)
            .replace("{s}", self.seals)
            .replace("{c}", self.checkpoints)
            .replace("?", self.ph)
        )

    def _db_id(self, originator_id: Any) -> Any:
        uuid = UUID(str(originator_id))
        return uuid.hex if self.backend == "sqlite" else uuid

    def row(self, conn: Any, position: int) -> tuple[Any, ...]:
        """(nid, originator_id, version, topic, state) of the event at ``position``."""
        cur = conn.execute(
            self.q(
                "SELECT {nid}, originator_id, originator_version, topic, state FROM {e}"
                " ORDER BY {nid} LIMIT 1 OFFSET ?"
            ),
            (position - 1,),
        )
        return tuple(cur.fetchone())

    def change_state_byte(self, position: int) -> None:
        with self.connect() as conn:
            nid, *_, state = self.row(conn, position)
            state = bytes(state)
            i = state.index(b'"actor":"') + len(b'"actor":"')
            forged = state[:i] + bytes([state[i] ^ 0x20]) + state[i + 1 :]  # flip case
            conn.execute(
                self.q("UPDATE {e} SET state = ? WHERE {nid} = ?"), (forged, nid)
            )

    def change_topic(self, position: int, topic: str) -> None:
        with self.connect() as conn:
            nid = self.row(conn, position)[0]
            conn.execute(
                self.q("UPDATE {e} SET topic = ? WHERE {nid} = ?"), (topic, nid)
            )

    def delete(self, position: int) -> None:
        with self.connect() as conn:
            nid = self.row(conn, position)[0]
            conn.execute(self.q("DELETE FROM {e} WHERE {nid} = ?"), (nid,))

    def insert_before(self, position: int, event: StoredEvent) -> None:
        """Make room at ``position``'s notification id and insert ``event`` there."""
        with self.connect() as conn:
            nid = self.row(conn, position)[0]
            conn.execute(
                self.q("UPDATE {e} SET {nid} = {nid} + 1000000 WHERE {nid} >= ?"),
                (nid,),
            )
            conn.execute(
                self.q(
                    "INSERT INTO {e} ({nid}, originator_id, originator_version, topic,"
                    " state)"
                    " VALUES (?, ?, ?, ?, ?)"
                ),
                (
                    nid,
                    self._db_id(event.originator_id),
                    event.originator_version,
                    event.topic,
                    event.state,
                ),
            )

    def swap(self, first: int, second: int) -> None:
        """Exchange the contents of two rows (their notification ids stay)."""
        with self.connect() as conn:
            a, b = self.row(conn, first), self.row(conn, second)
            parking = self._db_id(uuid4())
            conn.execute(
                self.q("UPDATE {e} SET originator_id = ? WHERE {nid} = ?"),
                (parking, a[0]),
            )
            for target, source in ((b, a), (a, b)):
                conn.execute(
                    self.q(
                        "UPDATE {e} SET originator_id = ?, originator_version = ?,"
                        " topic = ?,"
                        " state = ? WHERE {nid} = ?"
                    ),
                    (source[1], source[2], source[3], source[4], target[0]),
                )

    def cut_tail(self, count: int) -> None:
        with self.connect() as conn:
            cur = conn.execute(
                self.q("SELECT {nid} FROM {e} ORDER BY {nid} DESC LIMIT ?"), (count,)
            )
            for (nid,) in cur.fetchall():
                conn.execute(self.q("DELETE FROM {e} WHERE {nid} = ?"), (nid,))

    def reseal(self, position: int) -> None:
        """Alter the event at ``position`` and rewrite its seal to match."""
        self.change_state_byte(position)
        with self.connect() as conn:
            _, oid, version, topic, state = self.row(conn, position)
            leaf = leaf_hash_of(position, UUID(str(oid)), version, topic, bytes(state))
            conn.execute(
                self.q("UPDATE {s} SET leaf = ? WHERE position = ?"), (leaf, position)
            )

    def replace_checkpoints(self, from_size: int, rows: list[Any]) -> None:
        """Delete the checkpoints of size ``from_size`` and up; insert ``rows``."""
        with self.connect() as conn:
            conn.execute(self.q("DELETE FROM {c} WHERE tree_size >= ?"), (from_size,))
            for r in rows:
                conn.execute(
                    self.q(
                        "INSERT INTO {c} (seq, tree_size, root, issued_at, reason,"
                        " note,"
                        " frontier, consistency_proof) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                    ),
                    (
                        r.seq,
                        r.tree_size,
                        r.root,
                        r.issued_at,
                        r.reason,
                        r.note,
                        r.frontier,
                        b"".join(r.consistency_proof),
                    ),
                )


def forged_checkpoints(ledger: Any, keep: int, sizes: list[int], key: Any) -> list[Any]:
    """Checkpoints over the (tampered) seal rows, after the one of size ``keep``
    (0: from the empty tree, every checkpoint replaced)."""
    from ledger.merkle import CompactRange, consistency_proof_from
    from ledger.notes import Checkpoint, sign_note
    from ledger.sealstore import CheckpointRow, SealStore

    store = SealStore(ledger.storage)
    origin = ledger.settings.ledger_origin
    leaves = [s.leaf for s in store.iter_seals()]
    kept = store.checkpoint_at_size(keep) if keep else None
    previous = CompactRange.from_bytes(keep, kept.frontier) if kept else CompactRange()
    rows = []
    for seq, size in enumerate(sizes, start=(kept.seq if kept else 0) + 1):
        compact = CompactRange()
        compact.extend(leaves[:size])
        proof = consistency_proof_from(previous, leaves[previous.size : size])
        note = sign_note(Checkpoint(origin, size, compact.root()).text(), origin, key)
        rows.append(
            CheckpointRow(
                seq,
                size,
                compact.root(),
                "2026-01-01T00:00:00+00:00",
                "manual",
                note,
                compact.to_bytes(),
                tuple(proof),
            )
        )
        previous = compact
    return rows


def truncate_everything_after(tamperer: Tamperer, size: int) -> None:
    """Cut events, seals and checkpoints beyond ``size`` consistently."""
    with tamperer.connect() as conn:
        nid = tamperer.row(conn, size)[0]
        conn.execute(tamperer.q("DELETE FROM {e} WHERE {nid} > ?"), (nid,))
        conn.execute(tamperer.q("DELETE FROM {s} WHERE position > ?"), (size,))
        conn.execute(tamperer.q("DELETE FROM {c} WHERE tree_size > ?"), (size,))
