"""Fixtures shared by the whole suite: the same cases on SQLite and on PostgreSQL.

PostgreSQL comes from ``SDSI_TEST_DATABASE_URL`` (each test gets its own schema, dropped
afterwards), else from a local server on 127.0.0.1:5432, else from a throw-away cluster
started here when the PostgreSQL binaries exist (as an unprivileged user when run as
root); otherwise PostgreSQL cases skip — and the summary line says so — except under
``CI=true``, where they fail, so CI can never pass without really running them.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from ledger.app import Ledger, open_ledger
from ledger.config import Settings
from ledger.core import Caller
from tests.pgcluster import free_port, local_server, start_cluster

BACKENDS = ("sqlite", "postgres")
ADMIN = Caller(actor="admin", reason="tests")
ADMIN_PASSWORD = "admin-password-1"


def _free_port() -> int:
    return free_port()


# How the PostgreSQL cases run, for the summary line (`pytest_terminal_summary`).
PG_SOURCE: dict[str, str] = {}


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """URL of a PostgreSQL server the tests may create schemas in: the one named by
    ``SDSI_TEST_DATABASE_URL``, else a local server on 127.0.0.1:5432, else a
    throw-away cluster started here (as an unprivileged user when run as root);
    otherwise the PostgreSQL cases skip — except under ``CI=true``, where they fail."""
    url = os.environ.get("SDSI_TEST_DATABASE_URL")
    if url:
        PG_SOURCE["where"] = "SDSI_TEST_DATABASE_URL"
        yield url
        return
    local = os.environ.get(
        "SDSI_TEST_LOCAL_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    url = local_server(local) if local != "none" else None
    if url:
        PG_SOURCE["where"] = f"the local server ({url})"
        yield url
        return
    try:
        cluster = start_cluster()
    except RuntimeError as exc:
        reason = f"no PostgreSQL for the tests: {exc}; set SDSI_TEST_DATABASE_URL"
    else:
        PG_SOURCE["where"] = f"a throw-away cluster on port {cluster.port}"
        try:
            yield cluster.url
        finally:
            cluster.destroy()
        return
    PG_SOURCE["skipped"] = reason
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (PostgreSQL tests never skip under CI=true)")
    pytest.skip(reason)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say where the PostgreSQL cases ran, or why they were skipped."""
    if "skipped" in PG_SOURCE:
        terminalreporter.write_line(
            f"PostgreSQL cases SKIPPED: {PG_SOURCE['skipped']}", yellow=True, bold=True
        )
    elif "where" in PG_SOURCE:
        terminalreporter.write_line(f"PostgreSQL cases ran on {PG_SOURCE['where']}")


@pytest.fixture
def pg_schema_url(pg_server_url: str) -> Iterator[str]:
    """A fresh, empty schema on the test server; dropped after the test."""
    schema = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in pg_server_url else "?"
    try:
        yield f"{pg_server_url}{sep}schema={schema}"
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def new_pg_schema_url(pg_server_url: str) -> Iterator[callable]:  # type: ignore[valid-type]
    """A factory of further fresh schemas (for tests that need two databases)."""
    made: list[str] = []

    def make() -> str:
        schema = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        made.append(schema)
        sep = "&" if "?" in pg_server_url else "?"
        return f"{pg_server_url}{sep}schema={schema}"

    yield make
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        for schema in made:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(scope="module")
def pg_module_schema_url(pg_server_url: str) -> Iterator[str]:
    """A fresh schema shared by the tests of one module (for expensive set-ups)."""
    schema = "m_" + uuid.uuid4().hex[:12]
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in pg_server_url else "?"
    try:
        yield f"{pg_server_url}{sep}schema={schema}"
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path}/ledger.db"
    return str(request.getfixturevalue("pg_schema_url"))


def make_settings(data_dir: Path, database_url: str, **library_env: str) -> Settings:
    base = Settings.from_env(
        {
            "SDSI_DATA_DIR": str(data_dir),
            "SDSI_DATABASE_URL": database_url,
            "SDSI_PASSWORD_HASHING": "fast",
        }
    )
    return Settings(**{**base.__dict__, "library_env": library_env})


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path / "data", database_url)


@pytest.fixture
def ledger(settings: Settings) -> Iterator[Ledger]:
    """An initialised ledger with one administrator, ``admin``."""
    led = open_ledger(settings, create=True)
    led.bootstrap_admin("admin", "Administrateur", ADMIN_PASSWORD)
    try:
        yield led
    finally:
        led.close()


def wait_until(predicate: callable, timeout: float = 10.0) -> bool:  # type: ignore[valid-type]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return bool(predicate())
