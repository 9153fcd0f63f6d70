"""Attachment files against the hashes the ledger recorded, on both backends:
``sdsi verify --attachments`` names a file altered or removed on disk; a bundle
exported with its files verifies with ``verifier.py``, which names an altered one."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from ledger.core import Caller
from ledger.keys import ensure_signing_key
from sdsi.cli import main
from tests.conftest import make_settings
from tests.ledger.integrity_helpers import run_verifier
from tests.web.world import OWN, login, populate

PDF = b"%PDF-1.4\n% etude\n%%EOF\n"
CSV = "code;libellé\nP1;Étude\n".encode()
REFERENT = Caller(actor=login("referent"), reason="pièce du dossier")


def _attach(led, content: bytes, name: str) -> str:  # type: ignore[no-untyped-def]
    digest = hashlib.sha256(content).hexdigest()
    led.attach_file(
        REFERENT, "proposal", OWN, filename=name, content=content, sha256=digest
    )
    return digest


def _sdsi(settings, url: str, *args: str):  # type: ignore[no-untyped-def]
    """``sdsi ARGS…`` in this process (stdout and stderr apart)."""
    env = {"SDSI_DATA_DIR": str(settings.data_dir), "SDSI_DATABASE_URL": url}
    try:
        runner = CliRunner(mix_stderr=False)
    except TypeError:  # click 8.2 keeps them apart already
        runner = CliRunner()
    return runner.invoke(main, list(args), env=env)


def _alter(led, digest: str, data: bytes) -> Path:  # type: ignore[no-untyped-def]
    path = led.settings.attachments_dir / "sha256" / digest[:2] / digest[2:]
    os.chmod(path, 0o644)
    path.write_bytes(data)
    return path


@pytest.fixture
def attached(ledger, settings):  # type: ignore[no-untyped-def]
    ensure_signing_key(settings)
    populate(ledger)
    return _attach(ledger, PDF, "etude.pdf"), _attach(ledger, CSV, "lignes.csv")


def test_verify_attachments_names_an_altered_and_a_missing_file(
    ledger, settings, database_url: str, attached
) -> None:  # type: ignore[no-untyped-def]
    pdf, csv = attached
    ok = _sdsi(settings, database_url, "verify", "--attachments", "--format", "json")
    assert ok.exit_code == 0, ok.stderr
    assert json.loads(ok.stdout)["attachments"] == {"checked": 2, "problems": []}
    _alter(ledger, pdf, PDF + b"%ajout\n")
    _alter(ledger, csv, b"").unlink()
    result = _sdsi(settings, database_url, "verify", "--attachments")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert "attachments: 2 files checked, 2 bad" in lines
    assert f"attachment altered: etude.pdf (proposal {OWN}, event " in result.stdout
    assert f"recorded sha256 {pdf}" in result.stdout
    assert f"attachment missing: lignes.csv (proposal {OWN}" in result.stdout
    assert "2 attachment file(s) missing or altered" in result.stderr


def test_a_bundle_with_its_files_verifies_and_an_altered_file_is_named(
    ledger, settings, database_url: str, attached, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    pdf, csv = attached
    bundle = tmp_path / "bundle"
    done = _sdsi(
        settings, database_url, "ledger", "export", str(bundle), "--with-attachments"
    )
    assert done.exit_code == 0, done.stderr
    assert "with 2 attachment files" in done.stdout
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["attachments"] == {
        "included": True,
        "files": 2,
        "bytes": len(PDF) + len(CSV),
    }
    assert (bundle / "attachments" / "sha256" / pdf).read_bytes() == PDF
    code, out = run_verifier(str(bundle), "--json")
    report = json.loads(out)
    assert (code, report["ok"], report["attachments"]) == (0, True, [])
    (bundle / "attachments" / "sha256" / csv).write_bytes(b"autre")
    code, out = run_verifier(str(bundle))
    assert code == 1
    assert f"attachment altered: lignes.csv (recorded sha256 {csv}" in out
    assert "BUNDLE VERIFICATION FAILED: attachment files differ" in out
    # exported without the files: nothing to check, and it verifies
    plain = tmp_path / "plain.zip"
    assert _sdsi(settings, database_url, "ledger", "export", str(plain)).exit_code == 0
    code, out = run_verifier(str(plain), "--json")
    assert (code, json.loads(out)["attachments"]) == (0, None)


def test_the_export_refuses_a_store_whose_file_was_altered(
    ledger, settings, database_url: str, attached, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    pdf, _csv = attached
    _alter(ledger, pdf, b"%PDF-1.4 autre")
    bundle = tmp_path / "bundle.zip"
    done = _sdsi(
        settings, database_url, "ledger", "export", str(bundle), "--with-attachments"
    )
    assert done.exit_code == 1
    assert f"attachment {pdf} was altered in the store" in done.stderr
    assert not bundle.exists()


@pytest.fixture
def restored_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path}/restored.db"
    return str(request.getfixturevalue("new_pg_schema_url")())


def test_an_import_puts_the_bundle_s_files_back_and_verifies_them(
    ledger, settings, database_url: str, attached, tmp_path: Path, restored_url: str
) -> None:  # type: ignore[no-untyped-def]
    """A restore from a bundle exported with its files: the attachments are back
    in the new store, so `sdsi verify --attachments` passes there."""
    pdf, csv = attached
    bundle = tmp_path / "bundle.zip"
    _sdsi(settings, database_url, "ledger", "export", str(bundle), "--with-attachments")
    target = make_settings(tmp_path / "restored", restored_url)
    done = _sdsi(target, restored_url, "ledger", "import", str(bundle), "--trust-key")
    assert done.exit_code == 0, done.stderr
    assert "restored 2 attachment files" in done.stdout.splitlines()
    store = target.data_dir / "attachments" / "sha256"
    assert (store / pdf[:2] / pdf[2:]).read_bytes() == PDF
    assert (store / csv[:2] / csv[2:]).read_bytes() == CSV
    checked = _sdsi(target, restored_url, "verify", "--attachments", "--format", "json")
    assert checked.exit_code == 0, checked.stderr
    assert json.loads(checked.stdout)["attachments"] == {"checked": 2, "problems": []}


def test_an_import_refuses_a_bundle_whose_file_was_altered(
    ledger, settings, database_url: str, attached, tmp_path: Path, restored_url: str
) -> None:  # type: ignore[no-untyped-def]
    pdf, _csv = attached
    bundle = tmp_path / "bundle"
    _sdsi(settings, database_url, "ledger", "export", str(bundle), "--with-attachments")
    (bundle / "attachments" / "sha256" / pdf).write_bytes(b"%PDF-1.4 autre")
    target = make_settings(tmp_path / "restored", restored_url)
    done = _sdsi(target, restored_url, "ledger", "import", str(bundle), "--trust-key")
    assert done.exit_code == 1
    assert done.stderr.strip() == (
        f"sdsi: error: attachment {pdf} of the bundle does not match its SHA-256;"
        " nothing was imported"
    )
    assert not (target.data_dir / "attachments" / "sha256" / pdf[:2] / pdf[2:]).exists()
    checked = _sdsi(target, restored_url, "verify", "--format", "json")
    assert json.loads(checked.stdout)["tree_size"] == 0
