"""An attachment in Chromium (issue 17): a referent joins a business case to a
proposal through the "Pièces jointes" form (CSRF and all), downloads it and gets the
very same bytes; then the file is altered on disk and ``sdsi verify --attachments``
names it. On SQLite, over the small world of the web tests rather than the demo (a
few seconds instead of loading ~6,800 events): the store is a directory whatever
the database, and the commands run on both backends in
tests/ledger/test_attachments.py."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from playwright.sync_api import expect

from sdsi.cli import main
from tests.conftest import make_settings
from tests.web.e2e.browsing import Persona
from tests.web.e2e.live import STORY_START, LiveServer, ScenarioClock
from tests.web.world import OWN, PASSWORD, login, populate


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The small world served on 127.0.0.1 as ``sdsi serve`` builds the app."""
    from werkzeug.serving import make_server

    from ledger.app import open_ledger
    from ledger.keys import ensure_secret_key, ensure_signing_key
    from projections.service import init_views
    from web.app import create_app

    tmp = tmp_path_factory.mktemp("e2e-attachments")
    settings = make_settings(tmp / "data", f"sqlite:///{tmp}/ledger.db")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ensure_secret_key(settings)
    ensure_signing_key(settings)
    ledger = open_ledger(settings, create=True)
    ledger.bootstrap_admin("admin", "Administrateur", PASSWORD)
    init_views(settings, ledger)
    populate(ledger)
    app = create_app({"FOLLOW": True, "SEAL": True}, settings=settings, ledger=ledger)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    live = LiveServer(
        "sqlite",
        f"http://127.0.0.1:{httpd.server_port}",
        app,
        ledger,
        ScenarioClock(STORY_START),
    )
    try:
        live.caught_up()
        yield live
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        httpd.server_close()
        app.extensions["sdsi"].close()


CASE = b"%PDF-1.4\n% Dossier d'opportunite P-OWN\n1 0 obj << >> endobj\n%%EOF\n"


def test_an_uploaded_attachment_downloads_intact_and_verify_names_it_once_altered(
    browser: Any, server: Any, tmp_path: Path
) -> None:
    upload = tmp_path / "Étude d'opportunité.pdf"
    upload.write_bytes(CASE)
    digest = hashlib.sha256(CASE).hexdigest()
    ref = Persona(browser, server, login("referent"))
    try:
        ref.login(PASSWORD)
        assert ref.open(f"/fiches/{OWN}") == 200
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
    finally:
        ref.close()
    stored = server.ledger.settings.attachments_dir / "sha256" / digest[:2] / digest[2:]
    stored.chmod(0o644)
    stored.write_bytes(CASE.replace(b"P-OWN", b"AUTRE"))
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
    assert f"attachment altered: Étude d'opportunité.pdf (proposal {OWN}" in (
        result.output
    )
