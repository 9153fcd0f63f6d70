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
serve`` opens it). Under pytest-xdist each worker builds its own templates.
"""

from __future__ import annotations

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


def _template(request: pytest.FixtureRequest, backend: str, stage: str) -> Template:
    """The template of ``stage`` for ``backend``, built on first use in this process
    and dropped at the end of the session."""
    key = (backend, stage)
    if key in _TEMPLATES:
        return _TEMPLATES[key]
    from ledger.app import open_ledger
    from ledger.keys import ensure_secret_key, ensure_signing_key
    from ledger.sealing import Sealer
    from projections.service import ReadModel, init_views
    from sdsi.demo.loader import DemoLoader

    server = _server(request, backend)
    factory = request.getfixturevalue("tmp_path_factory")
    directory = factory.mktemp(f"demo-template-{backend}-{stage}")
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
    made = Template(backend, directory, database)
    if server is not None and database is not None:
        request.session.addfinalizer(lambda: _drop_database(server, database))
    _TEMPLATES[key] = made
    return made


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
