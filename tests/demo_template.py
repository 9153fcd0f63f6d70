"""The demo municipality loaded once per backend and test process, then copied.

Loading the demo is the most expensive set-up of the suite (about ten seconds on
SQLite, several times that on PostgreSQL, where every command is a round trip), and a
dozen modules need it. So it is loaded once per backend into a template, and each
module gets its own copy, as independent as a fresh load:

- SQLite: the ledger file, the views file and the data directory (keys) are copied;
- PostgreSQL: the demo is loaded into a database of its own, which then serves as the
  ``TEMPLATE`` of a ``CREATE DATABASE`` per copy (the same schema name inside); every
  database is dropped at the end of the session (of the module, for the copies).

Three stages, each built from a copy of the previous one on first use:

- ``raw``: ``sdsi init`` (views created, empty), the ``admin`` account, the demo;
- ``projected``: the same, views caught up to the head;
- ``sealed``: the same, then a seal (``Sealer.run_once``).

Copies are opened with ``open_ledger(settings)`` (an existing database, as ``sdsi
serve`` opens it). Under pytest-xdist the workers share the templates: the first to
need one builds it in the run's common temporary directory, holding a file lock the
other waits on, and records it there (``<stage>.json``); the templates' databases are
dropped by the controller at the end of the run (``drop_templates``, from
``tests/conftest.py``), or by the only process without xdist.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from tests.conftest import make_settings

STAGES = ("raw", "projected", "sealed")
SCHEMA = "demo"


@dataclass(frozen=True)
class Template:
    backend: str
    directory: Path  # SQLite files and the data directory
    database: str | None  # PostgreSQL: the template database


_TEMPLATES: dict[tuple[str, str], Template] = {}


def _database_url(server: str, database: str) -> str:
    parts = urlsplit(server)
    query = "&".join(q for q in parts.query.split("&") if q and "schema=" not in q)
    query = "&".join(filter(None, [query, f"schema={SCHEMA}"]))
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", query, ""))


def _url(template_dir: Path, backend: str, server: str | None, db: str | None) -> str:
    if backend == "sqlite":
        return f"sqlite:///{template_dir}/ledger.db"
    assert server is not None and db is not None
    return _database_url(server, db)


def _new_database(server: str, template: str | None) -> str:
    name = "sdsi_t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(server, autocommit=True) as conn:
        if template is None:
            conn.execute(f"CREATE DATABASE {name}")
        else:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    if template is None:
        with psycopg.connect(_database_url(server, name).split("?")[0]) as conn:
            conn.execute(f"CREATE SCHEMA {SCHEMA}")
    return name


def _drop_database(server: str, name: str) -> None:
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _server(request: pytest.FixtureRequest, backend: str) -> str | None:
    if backend == "sqlite":
        return None
    return str(request.getfixturevalue("pg_server_url"))


def _shared_root(config: pytest.Config) -> Path:
    """The directory the templates are built in: the run's own temporary directory,
    which under pytest-xdist is the controller's, parent of every worker's."""
    base = config._tmp_path_factory.getbasetemp()  # type: ignore[attr-defined]
    return (base.parent if hasattr(config, "workerinput") else base) / "demo-templates"


def _template(request: pytest.FixtureRequest, backend: str, stage: str) -> Template:
    """The template of ``stage`` for ``backend``: built by the first process of the
    run that needs it (the others wait for it, then use it), dropped at the end of
    the run (``drop_templates``)."""
    key = (backend, stage)
    if key in _TEMPLATES:
        return _TEMPLATES[key]
    server = _server(request, backend)
    root = _shared_root(request.config)
    root.mkdir(parents=True, exist_ok=True)
    # one template per PostgreSQL server (workers that each start a throw-away
    # cluster do not share theirs)
    where = hashlib.sha256((server or "").encode()).hexdigest()[:8]
    name = f"{backend}-{stage}-{where}"
    with (root / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        record = root / f"{name}.json"
        if record.exists():
            found = json.loads(record.read_text())
            made = Template(backend, Path(found["directory"]), found["database"])
        else:
            directory = root / f"{name}-{uuid.uuid4().hex[:8]}"
            made = _build(request, backend, stage, server, directory)
            record.write_text(
                json.dumps(
                    {
                        "directory": str(directory),
                        "database": made.database,
                        "server": server,
                    }
                )
            )
    _TEMPLATES[key] = made
    return made


def _build(
    request: pytest.FixtureRequest,
    backend: str,
    stage: str,
    server: str | None,
    directory: Path,
) -> Template:
    from ledger.app import open_ledger
    from ledger.keys import ensure_secret_key, ensure_signing_key
    from ledger.sealing import Sealer
    from projections.service import ReadModel, init_views
    from sdsi.demo.loader import DemoLoader

    directory.mkdir()
    if stage == "raw":
        database = _new_database(server, None) if server else None
        settings = make_settings(
            directory / "data", _url(directory, backend, server, database)
        )
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        ensure_secret_key(settings)
        ensure_signing_key(settings)
        led = open_ledger(settings, create=True)
        try:
            led.bootstrap_admin("admin", "Administrateur", "admin-password-1")
            init_views(settings, led)
            DemoLoader(led).run()
        finally:
            led.close()
    else:
        previous = _template(request, backend, STAGES[STAGES.index(stage) - 1])
        database = _copy_into(previous, directory, server)
        settings = make_settings(
            directory / "data", _url(directory, backend, server, database)
        )
        led = open_ledger(settings)
        try:
            if stage == "projected":
                rm = ReadModel(led, settings)
                try:
                    rm.projector().catch_up()
                finally:
                    rm.close()
            else:
                Sealer(led).run_once()
        finally:
            led.close()
    return Template(backend, directory, database)


def drop_templates(config: pytest.Config) -> None:
    """Drop the databases of the run's templates (at the end of the run, by the
    controller under pytest-xdist, else by the only process)."""
    root = _shared_root(config)
    if not root.is_dir():
        return
    for record in sorted(root.glob("*.json")):
        found = json.loads(record.read_text())
        if found["server"] and found["database"]:
            # a throw-away cluster may be gone already, its databases with it
            with contextlib.suppress(psycopg.Error):
                _drop_database(found["server"], found["database"])


def _copy_into(template: Template, directory: Path, server: str | None) -> str | None:
    shutil.copytree(template.directory, directory, dirs_exist_ok=True)
    if template.backend == "sqlite":
        return None
    assert server is not None and template.database is not None
    return _new_database(server, template.database)


def demo_copy(
    request: pytest.FixtureRequest,
    backend: str,
    directory: Path,
    stage: str = "raw",
    *,
    session: bool = False,
) -> str:
    """A copy of the demo (at ``stage``) in ``directory``: its SQLite files or a
    PostgreSQL database of its own, and ``directory/data`` (keys). Returns the
    database URL; the copy's database is dropped when the requesting fixture ends.
    Open it with ``open_ledger(make_settings(directory / "data", url))``."""
    assert stage in STAGES, stage
    template = _template(request, backend, stage)
    server = _server(request, backend)
    database = _copy_into(template, directory, server)
    if server is not None and database is not None:
        owner = request.session if session else request
        owner.addfinalizer(lambda: _drop_database(server, database))
    return _url(directory, backend, server, database)
