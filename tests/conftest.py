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


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Under pytest-xdist, a worker hands where its PostgreSQL cases ran to the
    controller, which prints the summary line; the controller (or the only process)
    drops the demo templates the run built (tests/demo_template.py)."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["pg_source"] = dict(PG_SOURCE)
    else:  # the controller, or the only process: the workers are done
        from tests.demo_template import drop_templates

        drop_templates(session.config)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    found = getattr(node, "workeroutput", {}).get("pg_source", {})
    if "skipped" in found or "where" not in PG_SOURCE:
        PG_SOURCE.update(found)


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
            "SDSI_BASE_URL": "http://localhost",
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


def ci_sized(full: int, ci: int) -> int:
    """How many examples a generated test runs: ``ci`` under ``CI=true`` (sized for
    the CI's time budget), ``full`` elsewhere or with ``SDSI_TEST_FULL_SIZE=1``."""
    if os.environ.get("CI") == "true" and os.environ.get("SDSI_TEST_FULL_SIZE") != "1":
        return ci
    return full


def wait_until(predicate: callable, timeout: float = 10.0) -> bool:  # type: ignore[valid-type]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return bool(predicate())


# --- pytest-xdist: two workers, one module at a time each ---------------------------
#
# `addopts` runs the suite on two workers (pyproject.toml). A work unit is a whole test
# module, so a module's expensive fixtures (a demo copy, a live server) are built once,
# on one worker; tests marked ``xdist_group(name)`` form one unit whatever their module
# (the Redis tests share db 15 and empty it: they never run at the same time). The
# longest units go first, so the two workers finish close together: a unit's cost is
# the seconds it took in CI (MODULE_SECONDS, for the modules whose few tests take long:
# a long one scheduled last would leave a core idle) or else its tests' count times
# the usual seconds per test of its directory (SECONDS_PER_TEST). Only the order
# depends on these figures, never what runs.
SECONDS_PER_TEST = {
    "tests/web/e2e/": 8.0,
    "tests/faults/": 20.0,
    "tests/projections/": 2.5,
    "tests/web/": 1.2,
}
OTHER_SECONDS_PER_TEST = 0.7
MODULE_SECONDS = {
    "tests/ledger/test_tamper.py": 130,
    "tests/faults/test_postgres_outages.py": 125,
    "tests/ledger/test_bundle_import.py": 120,
    "tests/ledger/test_bundles_and_proofs.py": 115,
    "tests/ledger/test_cli.py": 80,
    "tests/web/test_schemathesis.py": 75,
    "tests/domain/test_state_machine.py": 60,
    "tests/web/test_erasure_pages.py": 55,
    "tests/demo/test_demo_documents.py": 50,
    "tests/domain/test_demo_replay.py": 50,
    "tests/ledger/test_witness_delivery.py": 45,
    "tests/demo/test_demo_texture.py": 45,
    "tests/projections/test_processes.py": 40,
    "tests/faults/test_sqlite_writers.py": 40,
    "tests/ledger/test_sealing.py": 40,
    "tests/ledger/test_throttle.py": 20,
    "tests/exports/test_unusual_sessions.py": 30,
    "tests/ledger/test_migrations.py": 30,
}


def _unit_of(nodeid: str) -> str:
    if nodeid.rfind("@") > nodeid.rfind("]"):
        return nodeid.split("@")[-1]
    return nodeid.split("::", 1)[0]


def _seconds(nodeid: str) -> float:
    """What one test adds to its unit's cost (its module's, if that is measured)."""
    module = nodeid.split("::", 1)[0]
    tests = _TESTS_OF.get(module)
    if module in MODULE_SECONDS and tests:
        return MODULE_SECONDS[module] / tests
    for prefix, seconds in SECONDS_PER_TEST.items():
        if nodeid.startswith(prefix):
            return seconds
    return OTHER_SECONDS_PER_TEST


_TESTS_OF: dict[str, int] = {}  # tests per module, of the collection being scheduled


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: Any, log: Any) -> Any:
    from xdist.scheduler import LoadScopeScheduling

    class ModuleScheduling(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return _unit_of(nodeid)

        def schedule(self) -> None:
            # LoadScopeScheduling.schedule, the units ordered by cost, not by count
            if self.collection is not None or not self.collection_is_completed:
                super().schedule()
                return
            if not self._check_nodes_have_same_collection():
                self.log("**Different tests collected, aborting run**")
                return
            self.collection = list(next(iter(self.registered_collections.values())))
            if not self.collection:
                return
            for nodeid in self.collection:
                module = nodeid.split("::", 1)[0]
                _TESTS_OF[module] = _TESTS_OF.get(module, 0) + 1
            units: dict[str, dict[str, bool]] = {}
            cost: dict[str, float] = {}
            for nodeid in self.collection:
                unit = _unit_of(nodeid)
                units.setdefault(unit, {})[nodeid] = False
                cost[unit] = cost.get(unit, 0.0) + _seconds(nodeid)
            for unit in sorted(units, key=lambda u: -cost[u]):
                self.workqueue[unit] = units[unit]
            for _ in range(len(self.nodes) - len(self.workqueue)):
                unused, _assigned = self.assigned_work.popitem()
                unused.shutdown()
            for node in self.nodes:
                self._assign_work_unit(node)
            for node in self.nodes:
                self._reschedule(node)
            if not self.workqueue:
                for node in self.nodes:
                    node.shutdown()

    return ModuleScheduling(config, log)
