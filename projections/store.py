"""Where the views live: one SQL store, on SQLite (a file of its own) or PostgreSQL.

The store knows the tables of every view (``projections.schema``), creates them, and
offers the few operations the projector and the queries need, with ``?`` placeholders on
both backends. Money is stored as integer cents and times as fixed-width UTC ISO text,
so sums are exact and comparisons are textual on both backends.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from ledger.config import DatabaseConfig
from ledger.outage import install_idle_check
from projections.schema import TABLES, Table

SQLITE_BUSY_TIMEOUT = 30.0


class ViewStore:
    """Base class: tables, transactions, bulk writes and reads."""

    kind = ""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def name(self, table: str) -> str:
        return f"{self.prefix}{table}"

    def sql(self, statement: str) -> str:
        """Replace ``{table}`` names by the store's names (and placeholders on PG)."""
        for t in TABLES:
            statement = statement.replace("{" + t.name + "}", self.name(t.name))
        return statement

    # implemented by subclasses
    def transaction(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def create_tables(
        self, *, indexes: bool = True
    ) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def drop_tables(self) -> None:
        """Drop every view table (a rebuild starts from nothing)."""
        with self.transaction() as cur:
            self._drop(cur)

    def _drop(self, cur: Any) -> None:
        for t in TABLES:
            cur.execute(f"DROP TABLE IF EXISTS {self.name(t.name)}")

    def _create(self, cur: Any, *, indexes: bool) -> None:
        for t in TABLES:
            for ddl in t.ddl(
                self.name(t.name), postgres=self.kind == "postgres", indexes=indexes
            ):
                cur.execute(ddl)

    def recreate_tables(
        self, *, indexes: bool = True, then: Callable[[Any], None] | None = None
    ) -> None:
        """Drop and create every view table, and ``then(cur)``, in one transaction:
        another process never finds the views missing or their tracking empty (it
        reads the old tables until the commit)."""
        with self.transaction() as cur:
            self._drop(cur)
            self._create(cur, indexes=indexes)
            if then is not None:
                then(cur)

    def create_indexes(self) -> None:
        """The secondary indexes of every table (after a bulk load)."""
        with self.transaction() as cur:
            for t in TABLES:
                for ddl in t.index_ddl(self.name(t.name)):
                    cur.execute(ddl)

    def index_names(self) -> set[str]:  # pragma: no cover - abstract
        raise NotImplementedError

    def create_missing_indexes(self) -> list[str]:
        """The secondary indexes missing — a rebuild interrupted before its end
        creates none — created; their names. Those present are left alone: creating
        an index, even ``IF NOT EXISTS``, needs the table's owner, which a
        least-privilege application role following the views is not."""
        present = self.index_names()
        missing = {
            name: ddl
            for t in TABLES
            for name, ddl in t.named_index_ddl(self.name(t.name)).items()
            if name not in present
        }
        if missing:
            with self.transaction() as cur:
                for ddl in missing.values():
                    cur.execute(ddl)
        return sorted(missing)

    def compact(self, tables: Sequence[str]) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def close(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def fingerprints(self) -> set[str | None]:
        """The schema fingerprints the tracking rows hold (``None`` for a row without
        one); ``{None}`` when the tracking table predates fingerprints (no column)."""
        try:
            rows = self.fetchall("SELECT schema FROM {tracking}")
        except (sqlite3.OperationalError, psycopg.errors.UndefinedColumn):
            return {None}
        return {value for (value,) in rows}

    def insert_many(
        self, cur: Any, table: Table, rows: Sequence[tuple[Any, ...]]
    ) -> None:
        if not rows:
            return
        cols = ", ".join(table.columns)
        marks = ", ".join(["?"] * len(table.columns))
        cur.executemany(
            self._ph(f"INSERT INTO {self.name(table.name)} ({cols}) VALUES ({marks})"),
            rows,
        )

    def upsert_many(
        self, cur: Any, table: Table, rows: Sequence[tuple[Any, ...]]
    ) -> None:
        if not rows:
            return
        cols = ", ".join(table.columns)
        marks = ", ".join(["?"] * len(table.columns))
        updates = ", ".join(
            f"{c} = EXCLUDED.{c}" for c in table.columns if c not in table.key
        )
        conflict = f"ON CONFLICT ({', '.join(table.key)}) DO " + (
            f"UPDATE SET {updates}" if updates else "NOTHING"
        )
        cur.executemany(
            self._ph(
                f"INSERT INTO {self.name(table.name)} ({cols}) VALUES ({marks}) {conflict}"
            ),
            rows,
        )

    def delete_many(
        self,
        cur: Any,
        table: Table,
        columns: Sequence[str],
        keys: Sequence[tuple[Any, ...]],
    ) -> None:
        if not keys:
            return
        where = " AND ".join(f"{c} = ?" for c in columns)
        cur.executemany(
            self._ph(f"DELETE FROM {self.name(table.name)} WHERE {where}"), keys
        )

    def fetchall(
        self, statement: str, params: Sequence[Any] = ()
    ) -> list[tuple[Any, ...]]:  # pragma: no cover - abstract
        """The rows of one statement, run on its own (a statement reads one snapshot)."""
        raise NotImplementedError

    def fetchone(
        self, statement: str, params: Sequence[Any] = ()
    ) -> tuple[Any, ...] | None:
        rows = self.fetchall(statement, params)
        return rows[0] if rows else None

    def _ph(self, statement: str) -> str:
        return statement


class SQLiteViewStore(ViewStore):
    """Views in their own SQLite file (WAL): one writer (the projector), many readers."""

    kind = "sqlite"

    def __init__(self, path: Path | str, *, prefix: str = "") -> None:
        super().__init__(prefix)
        self.path = str(path)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[sqlite3.Connection] = []

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path,
                isolation_level=None,
                check_same_thread=False,
                timeout=SQLITE_BUSY_TIMEOUT,
            )
            conn.execute("PRAGMA journal_mode=WAL")
            # Views are rebuildable and written by one projector: commits need atomicity,
            # not an fsync each (WAL + NORMAL keeps them atomic and consistent).
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA cache_size=-16384")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Cursor]:
        """A write transaction (BEGIN IMMEDIATE … COMMIT; rolled back on error)."""
        conn = self._connection()
        cur = conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            yield cur
        except BaseException:
            conn.rollback()
            raise
        else:
            conn.commit()
        finally:
            cur.close()

    def compact(self, tables: Sequence[str]) -> str:
        """Rewrite the file without its free pages (an erased person's old rows),
        and empty the WAL: the whole file, whatever ``tables``."""
        conn = self._connection()
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return f"{self.path}: VACUUM, WAL tronqué"

    def fetchall(
        self, statement: str, params: Sequence[Any] = ()
    ) -> list[tuple[Any, ...]]:
        cur = self._connection().execute(self.sql(statement), tuple(params))
        try:
            return [tuple(r) for r in cur.fetchall()]
        finally:
            cur.close()

    def create_tables(self, *, indexes: bool = True) -> None:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        with self.transaction() as cur:
            self._create(cur, indexes=indexes)

    def recreate_tables(
        self, *, indexes: bool = True, then: Callable[[Any], None] | None = None
    ) -> None:
        with self._fast_delete():
            super().recreate_tables(indexes=indexes, then=then)

    def drop_tables(self) -> None:
        with self._fast_delete():
            super().drop_tables()

    @contextmanager
    def _fast_delete(self) -> Iterator[None]:
        """Drop tables without zeroing each freed page first.

        Debian's SQLite is built with ``secure_delete`` on: a DROP then writes every
        page of the table again (3 s of a 100k-event rebuild, 0.1 s without). The
        views hold nothing the ledger beside them does not, so their freed pages need
        no erasing; ``FAST`` still clears deleted content within the pages it writes."""
        conn = self._connection()
        (previous,) = conn.execute("PRAGMA secure_delete").fetchone()
        conn.execute("PRAGMA secure_delete = FAST")
        try:
            yield
        finally:
            conn.execute(f"PRAGMA secure_delete = {('OFF', 'ON', 'FAST')[previous]}")

    def index_names(self) -> set[str]:
        rows = self.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        )
        return {name for (name,) in rows}

    def exists(self) -> bool:
        if not Path(self.path).exists():
            return False
        return (
            self.fetchone(
                "SELECT name FROM sqlite_master WHERE type='table' AND name=?",
                (self.name("tracking"),),
            )
            is not None
        )

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                with contextlib.suppress(sqlite3.Error):  # a broken connection
                    conn.close()
            self._all.clear()
        self._local = threading.local()


class PostgresViewStore(ViewStore):
    """Views in the ledger's PostgreSQL database (tables ``sdsi_v_*``), with a pool."""

    kind = "postgres"

    def __init__(
        self, db: DatabaseConfig, *, prefix: str = "sdsi_v_", pool_size: int = 4
    ) -> None:
        super().__init__(f'"{db.schema}".{prefix}')
        self.schema = db.schema
        self.bare_prefix = prefix
        kwargs = db.libpq_kwargs()
        self.pool = ConnectionPool(
            kwargs=kwargs,
            min_size=1,
            max_size=pool_size,
            open=True,
            name="sdsi-views",
            configure=_autocommit,
            timeout=3,  # as the ledger's pool: a 503 in seconds during an outage
        )
        install_idle_check(self.pool)  # no dead connection after a restart

    def _ph(self, statement: str) -> str:
        return statement.replace("?", "%s")

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Cursor[Any]]:
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            yield cur

    def fetchall(
        self, statement: str, params: Sequence[Any] = ()
    ) -> list[tuple[Any, ...]]:
        """In autocommit: one round trip, no BEGIN / ROLLBACK around it."""
        with self.pool.connection() as conn:
            cur = conn.execute(self._ph(self.sql(statement)), tuple(params))
            return [tuple(r) for r in cur.fetchall()]

    def compact(self, tables: Sequence[str]) -> str:
        """``VACUUM FULL`` of ``tables``: rewritten into new files, the dead tuples
        (an erased person's old rows) are not copied."""
        names = ", ".join(self.name(t) for t in tables)
        with self.pool.connection() as conn:
            conn.execute(f"VACUUM FULL {names}")
        return f"VACUUM FULL {names}"

    def copy_rows(
        self, cur: Any, table: Table, rows: Sequence[tuple[Any, ...]]
    ) -> None:
        """Bulk append with COPY (much faster than INSERT for append-only tables)."""
        if not rows:
            return
        with cur.copy(
            f"COPY {self.name(table.name)} ({', '.join(table.columns)}) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)

    def insert_many(
        self, cur: Any, table: Table, rows: Sequence[tuple[Any, ...]]
    ) -> None:
        self.copy_rows(cur, table, rows)

    def create_tables(self, *, indexes: bool = True) -> None:
        with self.transaction() as cur:
            self._create(cur, indexes=indexes)

    def index_names(self) -> set[str]:
        schema = self.prefix.split(".")[0].strip('"')
        rows = self.fetchall(
            "SELECT indexname FROM pg_indexes WHERE schemaname = ?", (schema,)
        )
        return {name for (name,) in rows}

    def exists(self) -> bool:
        row = self.fetchone("SELECT to_regclass(?)", (self.name("tracking"),))
        return row is not None and row[0] is not None

    def close(self) -> None:
        self.pool.close()


def _autocommit(conn: psycopg.Connection[Any]) -> None:
    conn.autocommit = True  # transactions are explicit: conn.transaction() issues BEGIN


def open_store(db: DatabaseConfig, data_dir: Path) -> ViewStore:
    """The live view store of a deployment (same kind as the ledger's database)."""
    if db.is_postgres:
        return PostgresViewStore(db)
    ledger_file = Path(db.sqlite_path or data_dir / "ledger.db")
    return SQLiteViewStore(ledger_file.with_name(ledger_file.stem + "-views.db"))
