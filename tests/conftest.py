"""Fixtures shared by the whole suite: the same cases on SQLite and on PostgreSQL.

PostgreSQL comes from ``SDSI_TEST_DATABASE_URL`` (each test gets its own schema, dropped
afterwards), else from a throw-away cluster started here when the PostgreSQL binaries
exist and we are not root; otherwise PostgreSQL cases skip — except under ``CI=true``,
where they fail, so CI can never pass without really running them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from ledger.app import Ledger, open_ledger
from ledger.config import Settings
from ledger.core import Caller

BACKENDS = ("sqlite", "postgres")
ADMIN = Caller(actor="admin", reason="tests")
ADMIN_PASSWORD = "admin-password-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_throwaway_cluster() -> tuple[str, callable]:  # type: ignore[valid-type]
    bindir = Path(
        subprocess.run(
            ["pg_config", "--bindir"], capture_output=True, text=True, check=True
        ).stdout.strip()
    )
    workdir = Path(tempfile.mkdtemp(prefix="sdsi-pg-"))
    port = _free_port()
    subprocess.run(
        [bindir / "initdb", "-D", workdir / "data", "-U", "postgres", "-A", "trust"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            bindir / "pg_ctl",
            "-D",
            workdir / "data",
            "-l",
            workdir / "log",
            "-w",
            "-o",
            f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1",
            "start",
        ],
        check=True,
        capture_output=True,
    )

    def stop() -> None:
        subprocess.run(
            [bindir / "pg_ctl", "-D", workdir / "data", "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(workdir, ignore_errors=True)

    return f"postgresql://postgres@127.0.0.1:{port}/postgres", stop


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """URL of a PostgreSQL server the tests may create schemas in."""
    url = os.environ.get("SDSI_TEST_DATABASE_URL")
    if url:
        yield url
        return
    reason = "no PostgreSQL for the tests: set SDSI_TEST_DATABASE_URL"
    if shutil.which("pg_config") and os.geteuid() != 0:
        try:
            url, stop = _start_throwaway_cluster()
        except (OSError, subprocess.CalledProcessError) as exc:
            reason = f"could not start a throw-away PostgreSQL cluster: {exc}"
        else:
            try:
                yield url
            finally:
                stop()
            return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (PostgreSQL tests never skip under CI=true)")
    pytest.skip(reason)


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
