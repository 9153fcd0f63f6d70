"""Bundles, proofs and `sdsi verify` options, through the command line."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from ledger.app import open_ledger
from ledger.contact import ContactMessages
from ledger.keys import ensure_signing_key
from ledger.sealing import Sealer
from ledger.sealstore import SealStore
from tests.conftest import ADMIN, make_settings
from tests.demo_template import demo_copy
from tests.ledger.integrity_helpers import (
    ROOT,
    Tamperer,
    cli_env,
    insert_session_closed,
    run,
    run_verifier,
    sdsi_verify,
    truncate_everything_after,
    verifier_report,
)
from tests.ledger.test_migrations import use_mail_tables

PASSWORD = "secret-password-1"


@pytest.fixture
def populated(ledger: Any, settings: Any) -> Any:
    """20 events with checkpoints at 5, 10, 11 (a session closed), 16 and 20."""
    ensure_signing_key(settings)
    for i in range(4):
        ledger.add_user(ADMIN, f"user{i}", f"User {i}", PASSWORD, roles=[("dsi", None)])
    insert_session_closed(ledger)
    for i in range(4, 8):
        ledger.add_user(
            ADMIN, f"user{i}", f"User {i}", PASSWORD, roles=[("evaluator", None)]
        )
    ledger.reset_password(ADMIN, "user0", "another-password-1")
    Sealer(ledger, every_events=5).checkpoint_now()
    return ledger


@pytest.fixture
def other_database_url(
    backend: str, tmp_path: Path, pg_server_url_or_none: str | None
) -> Iterator[str]:
    """A second, empty database on the same backend."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path}/other.db"
        return
    assert pg_server_url_or_none is not None
    schema = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(pg_server_url_or_none, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{pg_server_url_or_none}?schema={schema}"
    finally:
        with psycopg.connect(pg_server_url_or_none, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def pg_server_url_or_none(backend: str, request: pytest.FixtureRequest) -> str | None:
    return request.getfixturevalue("pg_server_url") if backend == "postgres" else None


def seal_contents(store: SealStore) -> list[tuple[int, str, int, bytes]]:
    """Seal rows without their notification ids (which differ after an import)."""
    return [
        (s.position, s.originator_id, s.originator_version, s.leaf)
        for s in store.iter_seals()
    ]


def sdsi(settings: Any, url: str, *args: str, **extra: str) -> Any:
    return run("-m", "sdsi", *args, env={**cli_env(settings, url), **extra})


def test_a_bundle_imported_into_an_empty_database_has_identical_seals(
    populated: Any,
    settings: Any,
    database_url: str,
    other_database_url: str,
    tmp_path: Path,
) -> None:
    bundle = tmp_path / "ledger.zip"
    exported = sdsi(settings, database_url, "ledger", "export", str(bundle))
    assert exported.returncode == 0, exported.stderr
    assert "exported 20 events, 20 seals and 5 checkpoints" in exported.stdout
    code, report = verifier_report(bundle, settings.public_key_file)
    assert code == 0 and report["tree_size"] == 20 and report["checkpoints"] == 5

    imported = sdsi(settings, other_database_url, "ledger", "import", str(bundle))
    assert imported.stdout.startswith("imported 20 events, sealed 20, 5 checkpoints")
    assert imported.returncode == 0, imported.stderr
    # the fixture's raw "session closed" event has no session: the views say so
    assert "its views could not be projected" in imported.stderr
    code, theirs = sdsi_verify(settings, other_database_url)
    _, ours = sdsi_verify(settings, database_url)
    assert code == 0 and theirs["root"] == ours["root"]
    copy = open_ledger(make_settings(settings.data_dir, other_database_url))
    try:
        mine, other = SealStore(populated.storage), SealStore(copy.storage)
        assert seal_contents(other) == seal_contents(mine)
        assert other.checkpoints() == mine.checkpoints()
        assert copy.account("user3").grants == ["dsi"]  # the events replay identically
    finally:
        copy.close()
    again = sdsi(settings, other_database_url, "ledger", "import", str(bundle))
    assert again.returncode == 2 and "not empty" in again.stderr
    assert again.stderr.count("\n") == 1


def test_a_bundle_signed_by_an_unknown_key_needs_trust_key(
    populated: Any,
    settings: Any,
    database_url: str,
    other_database_url: str,
    tmp_path: Path,
) -> None:
    bundle = tmp_path / "bundle"
    assert sdsi(settings, database_url, "ledger", "export", str(bundle)).returncode == 0
    elsewhere = {"SDSI_DATA_DIR": str(tmp_path / "elsewhere")}
    refused = sdsi(
        settings, other_database_url, "ledger", "import", str(bundle), **elsewhere
    )
    assert refused.returncode == 2 and "--trust-key" in refused.stderr
    trusted = sdsi(
        settings,
        other_database_url,
        "ledger",
        "import",
        str(bundle),
        "--trust-key",
        **elsewhere,
    )
    assert trusted.returncode == 0, trusted.stderr
    checked = sdsi(settings, other_database_url, "verify", **elsewhere)
    assert checked.returncode == 0 and "5 signed" in checked.stdout


def test_an_import_with_a_file_that_is_no_key_export_imports_nothing(
    populated: Any,
    settings: Any,
    database_url: str,
    other_database_url: str,
    tmp_path: Path,
) -> None:
    bundle, wrong = tmp_path / "ledger.zip", tmp_path / "keys.json"
    assert sdsi(settings, database_url, "ledger", "export", str(bundle)).returncode == 0
    wrong.write_text('{"keys": []}', encoding="utf-8")
    refused = sdsi(
        settings,
        other_database_url,
        "ledger",
        "import",
        str(bundle),
        "--keys",
        str(wrong),
    )
    assert refused.returncode == 2
    assert refused.stderr == (
        f"sdsi: error: {wrong}: not a key export (sdsi-personal-keys-v1 expected)\n"
    )
    again = sdsi(settings, other_database_url, "ledger", "import", str(bundle))
    assert again.stdout.startswith("imported 20 events, sealed 20, 5 checkpoints")


def test_proofs_from_the_cli_verify_with_the_independent_verifier(
    populated: Any, settings: Any, database_url: str, tmp_path: Path
) -> None:
    key = str(settings.public_key_file)
    proof = sdsi(settings, database_url, "ledger", "proof", "7")
    assert proof.returncode == 0, proof.stderr
    data = json.loads(proof.stdout)
    assert (data["position"], data["tree_size"], data["checkpoint"]["seq"]) == (
        7,
        20,
        5,
    )
    assert data["record"]["position"] == 7
    (tmp_path / "p.json").write_text(proof.stdout)
    assert run_verifier("inclusion", str(tmp_path / "p.json"), "--key", key)[0] == 0

    data["proof"][0] = "00" * 32
    (tmp_path / "bad.json").write_text(json.dumps(data))
    assert run_verifier("inclusion", str(tmp_path / "bad.json"), "--key", key)[0] == 1

    older = sdsi(settings, database_url, "ledger", "proof", "7", "--checkpoint", "2")
    assert json.loads(older.stdout)["tree_size"] == 10

    consistency = sdsi(settings, database_url, "ledger", "consistency", "2", "4")
    assert consistency.returncode == 0, consistency.stderr
    (tmp_path / "c.json").write_text(consistency.stdout)
    code, out = run_verifier("consistency", str(tmp_path / "c.json"), "--key", key)
    assert code == 0 and "the tree of size 16 extends the tree of size 10" in out

    missing = sdsi(settings, database_url, "ledger", "proof", "21")
    assert missing.returncode == 2
    assert (
        missing.stderr
        == "sdsi: error: position 21 is not in checkpoint #5 (positions 1..20)\n"
    )


def test_verify_from_a_checkpoint_reads_only_what_follows_it(
    populated: Any,
    settings: Any,
    database_url: str,
    backend: str,
    pg_server_url_or_none: str | None,
) -> None:
    code, report = sdsi_verify(settings, database_url, "--from-checkpoint", "3")
    assert code == 0 and report["from_position"] == 11 and report["checked"] == 9
    unknown = sdsi(settings, database_url, "verify", "--from-checkpoint", "9")
    assert unknown.returncode == 2 and unknown.stderr == (
        "sdsi: error: there is no checkpoint #9\n"
    )
    Tamperer(backend, settings, pg_server_url_or_none).change_state_byte(14)
    code, report = sdsi_verify(settings, database_url, "--from-checkpoint", "3")
    assert code == 1 and report["first_problem"]["position"] == 14


def test_a_checkpoint_kept_by_an_auditor_catches_a_consistent_truncation(
    populated: Any,
    settings: Any,
    database_url: str,
    backend: str,
    pg_server_url_or_none: str | None,
    tmp_path: Path,
) -> None:
    note = sdsi(settings, database_url, "ledger", "checkpoints", "--note", "0").stdout
    kept = tmp_path / "minutes-checkpoint.txt"
    kept.write_text(note)
    truncate_everything_after(Tamperer(backend, settings, pg_server_url_or_none), 12)
    code, _ = sdsi_verify(settings, database_url)
    assert code == 0  # events, seals and checkpoints agree: only an outside copy tells
    code, report = sdsi_verify(settings, database_url, "--checkpoint", str(kept))
    first = report["first_problem"]
    assert code == 1 and (first["kind"], first["position"]) == ("missing", 13)
    bundle = tmp_path / "cut"
    assert (
        sdsi(
            settings, database_url, "ledger", "export", str(bundle), "--no-seal"
        ).returncode
        == 0
    )
    code, out = run_verifier(
        str(bundle), "--key", str(settings.public_key_file), "--checkpoint", str(kept)
    )
    assert code == 1 and "first bad position 13 (missing)" in out


def test_the_app_role_can_append_and_read_but_not_rewrite(
    pg_schema_url: str, tmp_path: Path
) -> None:
    """PostgreSQL only: `sdsi init --app-role` makes a least-privilege login role."""
    settings = make_settings(tmp_path / "data", pg_schema_url)
    role = "sdsi_app_" + uuid.uuid4().hex[:8]
    created = run(
        "-m",
        "sdsi",
        "init",
        "--admin-password",
        "admin-password-1",
        "--app-role",
        role,
        "--app-password",
        "role-password-1",
        env=cli_env(settings, pg_schema_url),
    )
    assert created.returncode == 0, created.stderr
    assert f"created least-privilege role '{role}'" in created.stdout
    server, query = pg_schema_url.split("?")
    as_role = server.replace("postgres@", f"{role}:role-password-1@", 1) + "?" + query
    try:
        app = open_ledger(make_settings(settings.data_dir, as_role))
        try:
            app.add_user(ADMIN, "agent", "Agent", PASSWORD, roles=[("finance", None)])
            # an erasure (version 11): the key, the commands' results, the outbox
            app.add_user(ADMIN, "parti", "Agent Parti", PASSWORD, roles=[])
            app.erase_user(ADMIN, "parti")
            assert app.account("parti").display_name == "personne effacée"
            Sealer(app).checkpoint_now()
            # the accessibility statement's messages: received and read, not rewritten
            contact = ContactMessages(app.storage)
            contact.add("Jeanne", "jeanne@example.fr", "Bonjour", "", "fr")
            assert [m.name for m in contact.newest()] == ["Jeanne"]
            use_mail_tables(app.storage)  # the outbox and reset tokens (version 8)
        finally:
            app.close()
        code, report = sdsi_verify(settings, as_role)
        assert code == 0 and report["tree_size"] == 6
        schema = settings.database.schema
        refusals = {}
        for statement in (
            f"UPDATE {schema}.sdsi_events SET topic = 'x'",
            f"DELETE FROM {schema}.sdsi_seals",
            f"UPDATE {schema}.sdsi_accessibility_messages SET name = 'x'",
            f"TRUNCATE {schema}.sdsi_events",
            f"ALTER TABLE {schema}.sdsi_events DISABLE TRIGGER ALL",
            f"CREATE TABLE {schema}.mine (x int)",
        ):
            with psycopg.connect(
                server.replace("postgres@", f"{role}:role-password-1@", 1),
                autocommit=True,
            ) as conn:
                try:
                    conn.execute(statement)
                except psycopg.Error as exc:
                    verb = statement.split()[0]
                    if "accessibility" in statement:
                        verb += " sdsi_accessibility_messages"
                    refusals[verb] = str(exc).splitlines()[0]
        with psycopg.connect(
            server.replace("postgres@", f"{role}:role-password-1@", 1), autocommit=True
        ) as conn:  # the read models, kept by followers in the app's processes
            conn.execute(f"UPDATE {schema}.sdsi_v_tracking SET view = view")
        assert "append-only" in refusals["UPDATE"]
        assert "permission denied" in refusals["UPDATE sdsi_accessibility_messages"]
        assert "permission denied" in refusals["DELETE"]
        assert "permission denied" in refusals["TRUNCATE"]
        assert "must be owner" in refusals["ALTER"]
        assert "permission denied" in refusals["CREATE"]
        # The owner rebuilds the views (new tables): the app role keeps its access
        # (every request of a worker running as it answered 500 afterwards).
        rebuilt = run(
            "-m", "sdsi", "projections", "rebuild", env=cli_env(settings, pg_schema_url)
        )
        assert rebuilt.returncode == 0, rebuilt.stderr
        assert f"granted the rebuilt views to {role}" in rebuilt.stdout
        with psycopg.connect(
            server.replace("postgres@", f"{role}:role-password-1@", 1), autocommit=True
        ) as conn:
            assert (
                conn.execute(
                    f"SELECT count(*) FROM {schema}.sdsi_v_tracking"
                ).fetchone()[0]
                > 0
            )
        # …and may not rebuild them itself: one line saying who may
        as_app = run(
            "-m", "sdsi", "projections", "rebuild", env=cli_env(settings, as_role)
        )
        assert as_app.returncode == 2, as_app.stderr
        assert "as the database owner" in as_app.stderr
        assert "Traceback" not in as_app.stderr
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")


def test_app_role_on_sqlite_is_a_usage_error(tmp_path: Path) -> None:
    env = {
        "SDSI_DATA_DIR": str(tmp_path / "d"),
        "SDSI_DATABASE_URL": f"sqlite:///{tmp_path}/l.db",
    }
    result = run("-m", "sdsi", "init", "--app-role", "app", env=env)
    assert result.returncode == 2
    assert (
        result.stderr
        == "sdsi: error: --app-role needs PostgreSQL (SQLite has no roles)\n"
    )


def test_a_demo_bundle_verifies_with_nothing_but_python_and_cryptography(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Done when: a bundle exported from the demo verifies with the lone verifier.

    The demo, loaded and sealed, is the suite's copy (tests/demo_template.py): `sdsi
    demo` itself is run by tests/faults/test_signals.py."""
    url = demo_copy(request, "sqlite", tmp_path, "sealed")
    env = {"SDSI_DATA_DIR": str(tmp_path / "data"), "SDSI_DATABASE_URL": url}
    bundle = tmp_path / "demo.zip"
    assert run("-m", "sdsi", "ledger", "export", str(bundle), env=env).returncode == 0
    alone = tmp_path / "auditor"
    alone.mkdir()
    shutil.copy(ROOT / "verifier.py", alone / "verifier.py")
    # -I: isolated mode, without the project's directory or PYTHONPATH on sys.path.
    result = run(
        "-I",
        str(alone / "verifier.py"),
        str(bundle),
        "--key",
        str(tmp_path / "data" / "signing_key.pub"),
        env={},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("bundle verified: tree size ")


def test_an_imported_ledger_has_its_views_projected_identical_to_the_original(
    ledger: Any,
    settings: Any,
    database_url: str,
    other_database_url: str,
    tmp_path: Path,
) -> None:
    """`sdsi ledger import` leaves views that status, replay and rebuild can use at
    once, and they equal the original's (notification ids aside)."""
    from projections import queries as q
    from projections.service import ReadModel, init_views
    from tests.projections.test_generated import advance, setup

    ensure_signing_key(settings)
    setup(ledger, bootstrap=False)
    for n in range(30):
        advance(ledger, n % 4, n % 10)
    init_views(settings, ledger)
    original = ReadModel(ledger, settings)
    original.projector().catch_up()
    Sealer(ledger).checkpoint_now()
    bundle, keys = tmp_path / "ledger.zip", tmp_path / "keys.json"
    assert sdsi(settings, database_url, "ledger", "export", str(bundle)).returncode == 0
    # bundles hold ciphertext only: a restore brings the data keys along
    assert sdsi(settings, database_url, "keys", "export", str(keys)).returncode == 0
    imported = sdsi(
        settings,
        other_database_url,
        "ledger",
        "import",
        str(bundle),
        "--keys",
        str(keys),
    )
    assert imported.returncode == 0, imported.stderr
    live = len(ledger.personal_keys.export()["keys"])
    assert f"{live} key(s) added, 0 erasure(s) applied" in imported.stdout
    head = ledger.head()
    assert f"projected {head} events into the views" in imported.stdout
    status = sdsi(
        settings, other_database_url, "projections", "status", "--format", "json"
    )
    assert status.returncode == 0, status.stderr
    assert {(v["position"], v["lag"]) for v in json.loads(status.stdout)} == {(head, 0)}
    copy = open_ledger(make_settings(settings.data_dir, other_database_url))
    theirs = ReadModel(copy, make_settings(settings.data_dir, other_database_url))
    try:
        mine = q.dump(original.store)
        other = q.dump(theirs.store)
        assert other == mine
    finally:
        theirs.close()
        copy.close()
        original.close()
    replayed = sdsi(
        settings,
        other_database_url,
        "replay",
        "--as-of",
        f"position:{head}",
        "--view",
        "audit",
        "--format",
        "json",
    )
    assert replayed.returncode == 0, replayed.stderr
    assert len(json.loads(replayed.stdout)["rows"]) == head
    rebuilt = sdsi(settings, other_database_url, "projections", "rebuild")
    assert rebuilt.returncode == 0 and f"from {head} events" in rebuilt.stdout
