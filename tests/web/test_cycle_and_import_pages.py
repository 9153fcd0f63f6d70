"""The Référentiel's import of a set-up file (upload, preview, confirm) and the plan
cycle forms (extend, next plan) with the plan selector, from an empty ledger."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.core import Caller
from setupfile.sheets import write_xlsx
from tests.conftest import ADMIN_PASSWORD, make_settings
from tests.setupfile.test_import import ROWS
from tests.web.test_referential_pages import Browser, token
from tests.web.ui_client import Site, open_site, text


@pytest.fixture(scope="module")
def site(tmp_path_factory: Any) -> Iterator[Site]:
    from ledger.app import open_ledger
    from ledger.keys import ensure_signing_key

    tmp: Path = tmp_path_factory.mktemp("cycle-pages")
    settings = make_settings(tmp / "data", f"sqlite:///{tmp}/ledger.db")
    ensure_signing_key(settings)
    ledger = open_ledger(settings, create=True)
    ledger.bootstrap_admin("admin", "Administrateur", ADMIN_PASSWORD)
    running = open_site(settings, ledger, WTF_CSRF_ENABLED=True)
    yield running
    running.close()
    ledger.close()


def upload(browser: Browser, rows: dict[str, list[list[str]]], tmp: Path) -> Any:
    form = browser.get("/referentiel/import")
    write_xlsx(tmp / "parametrage.xlsx", rows)
    return browser.client.post(
        "/referentiel/import",
        data={
            "csrf_token": token(form),
            "file": (
                io.BytesIO((tmp / "parametrage.xlsx").read_bytes()),
                "parametrage.xlsx",
            ),
        },
        content_type="multipart/form-data",
    )


def test_a_file_is_previewed_then_imported_and_plans_follow_each_other(
    site: Site, tmp_path: Path
) -> None:
    admin = Browser(site, "admin", ADMIN_PASSWORD)
    start = site.head()
    wrong = {**ROWS, "poles": [["PRS", ""]], "comptes": [["X", "Nom", "", "dsi"]]}
    refused = upload(admin, wrong, tmp_path)
    assert refused.status_code == 422
    body = text(refused)
    assert "Fichier refusé : rien n'a été écrit" in body
    assert site.head() == start

    head = site.head()
    preview = upload(admin, ROWS, tmp_path)
    assert preview.status_code == 200
    assert "capacites, ligne 3 : crée la capacité de DSI-APP en 2027 (180 j)" in text(
        preview
    )
    assert site.head() == head  # a preview writes nothing
    action = re.search(
        r'action="(/referentiel/import/[0-9a-f]{32})"', preview.get_data(as_text=True)
    )
    assert action is not None
    done = admin.client.post(action.group(1), data={"csrf_token": token(preview)})
    assert done.status_code == 200
    passwords = dict(
        re.findall(
            r"<td>([a-z.]+)</td><td><code>([^<]+)</code>", done.get_data(as_text=True)
        )
    )
    assert sorted(passwords) == ["dsi.moreau", "ref.edu"]
    site.caught_up()
    again = upload(admin, ROWS, tmp_path)
    assert "Rien à changer" in text(again)

    # The plan: the administrator extends it, the DSI adopts the next one.
    site.ledger.define_plan(Caller(actor="admin"), "SDSI", "Ville", 2026, 2030)
    site.caught_up()
    admin.send(
        "/referentiel/plan",
        "/referentiel/plan/prolonger",
        {"last_year": "2031", "reason": "conseil"},
    )
    dsi = Browser(site, "dsi.moreau", passwords["dsi.moreau"])
    dsi.send(
        "/referentiel/plan",
        "/referentiel/plan/suivant",
        {
            "name": "SDSI 2",
            "first_year": "2032",
            "last_year": "2037",
            "reason": "conseil",
        },
    )
    plan_page = text(dsi.get("/referentiel/plan"))
    assert "Les plans successifs" in plan_page
    old = text(dsi.get("/portefeuille?plan=1"))
    assert "Plan montré : SDSI (2026–2031) — achevé, tel qu'il était à sa fin" in old
    assert "Plan montré : SDSI 2 (2032–2037)" in text(dsi.get("/portefeuille"))


def post_file(browser: Browser, name: str, body: bytes) -> Any:
    form = browser.get("/referentiel/import")
    return browser.client.post(
        "/referentiel/import",
        data={"csrf_token": token(form), "file": (io.BytesIO(body), name)},
        content_type="multipart/form-data",
    )


def test_the_browser_creates_at_most_fifty_accounts_a_file(
    site: Site, tmp_path: Path
) -> None:
    from web.ui.referential.importing import MAX_NEW_ACCOUNTS

    admin = Browser(site, "admin", ADMIN_PASSWORD)
    many = {
        "comptes": [
            [f"u.lot{i:03}", f"Agent {i}", "", ""] for i in range(MAX_NEW_ACCOUNTS + 1)
        ]
    }
    head = site.head()
    refused = upload(admin, many, tmp_path)
    assert refused.status_code == 422
    assert (
        "51 comptes à créer : le navigateur en crée au plus 50 par fichier. Importez ce "
        "fichier avec « sdsi setup import FICHIER », ou découpez la feuille comptes."
    ) in text(refused)
    assert site.head() == head
    fifty = {"comptes": many["comptes"][:MAX_NEW_ACCOUNTS]}
    assert upload(admin, fifty, tmp_path).status_code == 200  # previewed, confirmable


def test_a_refused_upload_is_named_as_uploaded_and_old_uploads_are_removed(
    site: Site, tmp_path: Path
) -> None:
    import os
    import time

    admin = Browser(site, "admin", ADMIN_PASSWORD)
    folder = Path(site.app.extensions["sdsi"].settings.data_dir) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    old, fresh = "a" * 32, "b" * 32
    for stem in (old, fresh):
        for suffix in (".xlsx", ".name"):
            (folder / f"{stem}{suffix}").write_text("x")
    two_days_ago = time.time() - 2 * 24 * 3600
    for suffix in (".xlsx", ".name"):
        os.utime(folder / f"{old}{suffix}", (two_days_ago, two_days_ago))
    before = set(folder.iterdir())
    expected = (
        "%s n'est pas un classeur XLSX lisible. Le navigateur accepte le modèle XLSX "
        "rempli (« sdsi setup template -o parametrage.xlsx ») ; un dossier de fichiers "
        "CSV s'importe avec « sdsi setup import DOSSIER »."
    )
    for name, body in (
        ("poles.csv", b"code;nom\nPRS;P\n"),
        ("faux.xlsx", b"pas un zip"),
    ):
        refused = post_file(admin, name, body)
        assert refused.status_code == 422
        assert expected % name in text(refused)
        assert "zip" not in text(refused)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        p.name for p in before if not p.name.startswith(old)
    )
