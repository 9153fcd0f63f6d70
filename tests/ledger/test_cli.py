"""The `sdsi` command as a newcomer meets it: init, users, and one-line errors."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest


def sdsi(
    *args: str, env: dict[str, str], input: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sdsi", *args],
        env={**os.environ, **env, "SDSI_PASSWORD_HASHING": "fast"},
        capture_output=True,
        text=True,
        timeout=120,
        input=input,
    )


@pytest.fixture
def cli_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    return {"SDSI_DATA_DIR": str(tmp_path / "data"), "SDSI_DATABASE_URL": database_url}


def test_init_twice_creates_once_and_says_nothing_changed(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    first = sdsi("init", "--admin-password", "first-admin-pass", env=cli_env)
    assert first.returncode == 0, first.stderr
    assert "created administrator 'admin'" in first.stdout
    assert "created ledger tables" in first.stdout
    data = tmp_path / "data"
    for name in ("secret_key", "signing_key.pem"):
        mode = stat.S_IMODE((data / name).stat().st_mode)
        assert mode == 0o600, (name, oct(mode))
    key_before = (data / "signing_key.pem").read_bytes()

    second = sdsi("init", env=cli_env)
    assert second.returncode == 0, second.stderr
    assert "already initialised" in second.stdout and "nothing changed" in second.stdout
    assert "created" not in second.stdout
    assert (data / "signing_key.pem").read_bytes() == key_before

    listed = sdsi("users", "list", "--format", "json", env=cli_env)
    assert listed.returncode == 0, listed.stderr
    assert (
        '"username": "admin"' in listed.stdout
        and '"roles": [\n      "admin"\n    ]' in listed.stdout
    )


def test_users_add_grant_revoke_are_events_with_actor_and_reason(
    cli_env: dict[str, str],
) -> None:
    assert (
        sdsi("init", "--admin-password", "first-admin-pass", env=cli_env).returncode
        == 0
    )
    added = sdsi(
        "users",
        "add",
        "marie",
        "--name",
        "Marie Curie",
        "--password",
        "marie-password",
        "--role",
        "evaluator",
        env=cli_env,
    )
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "created marie with roles: evaluator"

    refused = sdsi("users", "grant", "marie", "dsi", env=cli_env)
    assert refused.returncode == 2
    assert (
        refused.stderr.strip()
        == "sdsi: error: Un motif est obligatoire pour attribuer un rôle. [reason_required]"
    )

    assert (
        sdsi(
            "users", "grant", "marie", "dsi", "-r", "renfort DSI", env=cli_env
        ).returncode
        == 0
    )
    assert (
        sdsi(
            "users", "revoke", "marie", "evaluator", "-r", "fin de mission", env=cli_env
        ).returncode
        == 0
    )
    history = sdsi("users", "list", "--history", env=cli_env)
    lines = [
        ln.split(maxsplit=1)[1]
        for ln in history.stdout.splitlines()
        if ln.startswith("    ")
    ]
    assert [ln.split(" by ")[1] for ln in lines if "marie" not in ln][-4:] == [
        "admin: création du compte",
        "admin: création du compte",
        "admin: renfort DSI",
        "admin: fin de mission",
    ]
    assert "marie                Marie Curie                  dsi" in history.stdout


def test_opening_an_uninitialised_database_says_how_to_fix_it(
    cli_env: dict[str, str],
) -> None:
    result = sdsi("users", "list", env=cli_env)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "is not initialised: run `sdsi init` first" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://root@localhost/x", "unsupported scheme 'mysql'"),
        ("sqlite://relative.db", "a SQLite URL is sqlite:///relative/path.db"),
        ("sqlite:///:memory:", "in-memory SQLite is not supported"),
        ("postgresql://postgres@127.0.0.1:5432/", "names no database"),
        ("postgresql://postgres@127.0.0.1:5432/db?pool=3", "unknown parameter(s) pool"),
        (
            "postgresql://postgres@127.0.0.1:1/sdsi",
            "cannot connect to PostgreSQL at postgresql://postgres@127.0.0.1:1/sdsi",
        ),
    ],
)
def test_bad_database_url_is_one_line_and_exit_2(
    tmp_path: Path, url: str, expected: str
) -> None:
    result = sdsi(
        "init", env={"SDSI_DATA_DIR": str(tmp_path / "d"), "SDSI_DATABASE_URL": url}
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("sdsi: error: ")
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_users_passwd_is_a_reset_with_a_reason_forcing_a_change_unless_told(
    cli_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """The operator's break-glass path: a reset event with its reason; every session
    of the account ends; a new password is required at the next sign-in unless
    --no-force-change (the operator's own account, with a password only they know)."""
    from ledger.app import open_ledger
    from ledger.sessions import SessionStore
    from tests.conftest import make_settings

    assert (
        sdsi("init", "--admin-password", "first-admin-pass", env=cli_env).returncode
        == 0
    )
    added = sdsi(
        "users", "add", "marie", "--name", "Marie", "--password", "marie-password",
        env=cli_env,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    settings = make_settings(tmp_path / "data", database_url)
    ledger = open_ledger(settings)
    try:
        secret = SessionStore(ledger.storage).open("marie", "web")
    finally:
        ledger.close()
    no_reason = sdsi(
        "users", "passwd", "marie", "--password", "temp-pass-123", env=cli_env
    )
    assert no_reason.returncode == 2 and "--reason" in no_reason.stderr
    reset = sdsi(
        "users", "passwd", "marie", "--password", "temp-pass-123", "-r", "oubli",
        env=cli_env,
    )  # fmt: skip
    assert reset.returncode == 0, reset.stderr
    assert reset.stdout.strip() == (
        "password of marie reset (a new one must be chosen at the next sign-in);"
        " its sessions and tokens ended"
    )
    own = sdsi(
        "users", "passwd", "admin", "--password", "admin-pass-new", "-r", "bris de glace",
        "--no-force-change", env=cli_env,
    )  # fmt: skip
    assert own.returncode == 0, own.stderr
    assert (
        own.stdout.strip() == "password of admin reset; its sessions and tokens ended"
    )
    ledger = open_ledger(settings)
    try:
        assert SessionStore(ledger.storage).check(secret) is None
        assert ledger.storage.must_change_password("marie") is True
        assert ledger.storage.must_change_password("admin") is False
        assert ledger.authenticate("admin", "admin-pass-new") is not None
        events = [
            (e.context.actor, e.context.reason, e.context.origin, e.force_change)
            for e in ledger.events.get(ledger.account("marie").id)
            if type(e).__name__ == "PasswordReset"
        ]
        assert events == [("admin", "oubli", "cli", True)]
        ended = sdsi("users", "logout", "--all", env=cli_env)
        assert ended.returncode == 0 and ended.stdout.strip() == "0 session(s) ended"
    finally:
        ledger.close()


def test_a_municipality_s_own_administrator_imports_its_set_up_file(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    """After `sdsi init --admin admin.dupont`, the CLI's default actor (`admin`) does
    not exist: the error says how to name the one who acts, and writes nothing; named,
    the import runs, and a second time sends nothing."""
    sample = Path(__file__).resolve().parents[2] / "sdsi" / "demo" / "sample-setup.xlsx"
    assert sdsi("init", "--admin", "admin.dupont", env=cli_env).returncode == 0
    anonymous = sdsi("setup", "import", str(sample), env=cli_env)
    assert anonymous.returncode == 2
    assert anonymous.stderr.strip() == (
        "sdsi: error: Compte inconnu ou désactivé : admin. [unknown_actor] Nommez le "
        "compte qui agit : --actor LOGIN ou SDSI_ACTOR=LOGIN."
    )
    named = {**cli_env, "SDSI_ACTOR": "admin.dupont"}
    first = sdsi("setup", "import", str(sample), env=named)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[-1] == "178 commande(s) envoyée(s)"
    again = sdsi("setup", "import", str(sample), env=named)
    assert again.stdout.splitlines()[-1] == "0 commande(s) envoyée(s)"


def test_setup_import_refuses_a_whole_file_and_a_csv_not_in_utf8_in_one_line(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    """The reviewer's file: a new pôle, a capacity outside the horizon, a reserved
    username — the dry run and the import both list the two errors, exit 2, and the
    pôle is not created; a Windows-1252 CSV is one line naming the file."""
    assert (
        sdsi("init", "--admin-password", "first-admin-pass", env=cli_env).returncode
        == 0
    )
    folder = tmp_path / "setup"
    folder.mkdir()
    (folder / "poles.csv").write_text(
        "code;nom\nPX1;Pôle X1\nDSI;DSI\n", encoding="utf-8"
    )
    (folder / "equipes.csv").write_text(
        "code;nom;type;direction\nDSI-APP;Apps;dsi;\n", encoding="utf-8"
    )
    (folder / "capacites.csv").write_text(
        "equipe;annee;jours\nDSI-APP;2099;10\n", encoding="utf-8"
    )
    (folder / "comptes.csv").write_text(
        "identifiant;nom;courriel;roles\nsystem;Sys;;admin\n", encoding="utf-8"
    )
    from ledger.app import open_ledger
    from ledger.config import Settings
    from ledger.core import Caller

    ledger = open_ledger(Settings.from_env(cli_env))
    try:
        ledger.define_plan(Caller(actor="admin"), "SDSI", "Ville", 2026, 2030)
    finally:
        ledger.close()
    for extra in ([], ["--dry-run"]):
        run = sdsi("setup", "import", str(folder), *extra, env=cli_env)
        assert run.returncode == 2
        assert run.stdout.splitlines() == [
            "capacites, ligne 2, colonne annee : L'année 2099 est hors de l'horizon du plan (2026–2030).",
            "comptes, ligne 2, colonne identifiant : Valeur invalide pour « identifiant » : 'system' (identifiant réservé au registre).",
        ]
        assert run.stderr.strip() == "sdsi: error: 2 erreur(s) : rien n'a été écrit"
    (folder / "capacites.csv").unlink()
    (folder / "comptes.csv").unlink()
    (folder / "poles.csv").write_bytes("code;nom\nPX1;P\xf4le\n".encode("cp1252"))
    run = sdsi("setup", "import", str(folder), env=cli_env)
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == (
        "sdsi: error: setup/poles.csv : le fichier n'est pas en UTF-8 (enregistrez-le "
        "en « CSV UTF-8 »)\n"
    )


def test_users_email_sets_the_init_administrator_s_address_and_refuses_a_bad_one(
    cli_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """`sdsi init` makes an administrator without an address: `sdsi users email`
    gives it one (an event with actor and reason); a bad one is one line, exit 2."""
    from ledger.app import open_ledger
    from tests.conftest import make_settings

    assert (
        sdsi("init", "--admin-password", "first-admin-pass", env=cli_env).returncode
        == 0
    )
    bad = sdsi("users", "email", "admin", "dsi@mairie", env=cli_env)
    assert bad.returncode == 2 and "invalid_value" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    done = sdsi(
        "users", "email", "admin", "dsi@mairie.example.fr", "-r", "adresse de la DSI",
        env=cli_env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "e-mail address of admin: dsi@mairie.example.fr"
    ledger = open_ledger(make_settings(tmp_path / "data", database_url))
    try:
        account = ledger.account("admin")
        assert account is not None and account.email == "dsi@mairie.example.fr"
    finally:
        ledger.close()
