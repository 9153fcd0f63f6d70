"""An attachment in Chromium (issue 17): the DSN's referent joins a business case to
a proposal through the "Pièces jointes" form, downloads it, gets the very same bytes;
then the file is altered on disk and ``sdsi verify --attachments`` names it. SQLite
only: the store is a directory whatever the database, and the commands are tested
on both backends in tests/ledger/test_attachments.py."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from playwright.sync_api import expect

from sdsi.cli import main
from tests.web.e2e.browsing import person

pytestmark = pytest.mark.parametrize("server", ["sqlite"], indirect=True)

CASE = b"%PDF-1.4\n% Dossier d'opportunite PORTAIL\n1 0 obj << >> endobj\n%%EOF\n"


def test_an_uploaded_attachment_downloads_intact_and_verify_names_it_once_altered(
    browser: Any, server: Any, tmp_path: Path
) -> None:
    upload = tmp_path / "Étude d'opportunité.pdf"
    upload.write_bytes(CASE)
    digest = hashlib.sha256(CASE).hexdigest()
    with person(browser, server, "ref.dsn") as ref:
        assert ref.open("/fiches/PORTAIL") == 200
        section = ref.page.locator("#pieces-jointes")
        section.get_by_label("Fichier", exact=False).first.set_input_files(str(upload))
        section.get_by_label("Description").fill("Étude d'opportunité")
        section.get_by_role("button", name="Joindre").click()
        ref.flash("Pièce jointe enregistrée : Étude d'opportunité.pdf.")
        link = ref.page.locator("#pieces-jointes").get_by_role(
            "link", name="Étude d'opportunité.pdf"
        )
        expect(link).to_be_visible()
        expect(ref.page.locator("#pieces-jointes")).to_contain_text(digest[:12])
        with ref.page.expect_download() as download:
            link.click()
        saved = download.value
        assert saved.suggested_filename == "Étude d'opportunité.pdf"
        assert Path(saved.path()).read_bytes() == CASE
        ref.look()
    stored = server.ledger.settings.attachments_dir / "sha256" / digest[:2] / digest[2:]
    stored.chmod(0o644)
    stored.write_bytes(CASE.replace(b"PORTAIL", b"AUTRE!!"))
    settings = server.ledger.settings
    result = CliRunner().invoke(
        main,
        ["verify", "--attachments"],
        env={
            "SDSI_DATA_DIR": str(settings.data_dir),
            "SDSI_DATABASE_URL": f"sqlite:///{settings.database.sqlite_path}",
        },
    )
    assert result.exit_code == 1
    assert "attachment altered: Étude d'opportunité.pdf (proposal PORTAIL" in (
        result.output
    )
