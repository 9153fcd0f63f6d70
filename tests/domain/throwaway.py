"""Throw-away databases for the state-machine tests: each example of a machine gets
its own (a PostgreSQL schema, or an SQLite file in its own directory), and the
function to drop it."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

Database = Callable[[], tuple[str, Callable[[], None]]]


def databases(backend: str, request: pytest.FixtureRequest, prefix: str) -> Database:
    """A factory of fresh databases on ``backend``: each call gives a URL and its drop."""
    if backend == "postgres":
        server = request.getfixturevalue("pg_server_url")

        def database() -> tuple[str, Callable[[], None]]:
            schema = f"{prefix}_" + uuid.uuid4().hex[:12]
            with psycopg.connect(server, autocommit=True) as conn:
                conn.execute(f"CREATE SCHEMA {schema}")

            def drop() -> None:
                with psycopg.connect(server, autocommit=True) as conn:
                    conn.execute(f"DROP SCHEMA {schema} CASCADE")

            sep = "&" if "?" in server else "?"
            return f"{server}{sep}schema={schema}", drop

        return database

    def sqlite_database() -> tuple[str, Callable[[], None]]:
        directory = Path(f"/tmp/sdsi-{prefix}-db-{uuid.uuid4().hex[:8]}")
        directory.mkdir()
        return f"sqlite:///{directory}/ledger.db", lambda: shutil.rmtree(directory)

    return sqlite_database
