"""English pages when the data directory is relative, as ``sdsi demo`` and ``sdsi
serve`` run by default (``./sdsi-data``): the compiled catalogs must still be found.

They were not: Flask-Babel resolved the relative translation directory against the
app's root (``web/``), found no catalog, and every label stayed French while amounts
turned English (``€138,150.00``). Through the Flask test client, on both backends.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.app import open_ledger
from tests.conftest import ADMIN_PASSWORD, make_settings
from tests.web.demo_site import page
from tests.web.test_i18n import french_msgids, labels, visible_text
from tests.web.ui_client import Site, open_site

# A new municipality's administrator: the pages they see first, and what each says.
PAGES = {
    "/": ["Home", "Administration", "Sign out"],
    "/admin/comptes": ["Administration: accounts and roles", "Create an account"],
    "/admin/comptes/nouveau": ["Username", "Display name"],
    "/referentiel": ["Reference data"],
    "/referentiel/collectivite": ["Local authority"],
    "/referentiel/plan": ["Plan"],
}


@pytest.fixture
def relative_site(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Site:
    monkeypatch.chdir(tmp_path)
    settings = make_settings(Path("sdsi-data"), database_url)
    assert not settings.data_dir.is_absolute()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ledger = open_ledger(settings, create=True)
    ledger.bootstrap_admin("admin", "Administrateur", ADMIN_PASSWORD)
    site = open_site(settings, ledger)
    yield site
    site.close()


def test_translations_are_found_from_a_relative_data_directory(
    relative_site: Site, tmp_path: Path
) -> None:
    directory = relative_site.app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")[0]
    assert directory == str(tmp_path / "sdsi-data" / "cache" / "translations")
    assert (Path(directory) / "en" / "LC_MESSAGES" / "messages.mo").is_file()


def test_pages_are_in_english_from_a_relative_data_directory(
    relative_site: Site,
) -> None:
    french = french_msgids()
    client = relative_site.client("admin")
    anonymous = relative_site.client()
    signin = page(anonymous.get("/connexion?lang=en"))
    assert "Sign in" in labels(signin) and "Connexion" not in labels(signin)
    assert client.get("/?lang=en").status_code == 200
    for url, expected in PAGES.items():
        response = client.get(url)
        assert response.status_code == 200, url
        body = page(response)
        assert '<html lang="en-GB">' in body, url
        shown = labels(body)
        assert [t for t in shown if t in french] == [], url
        for label in expected:
            assert label in visible_text(body), (url, label)
    # and French is still the default for anyone who did not ask
    body = page(relative_site.client("admin").get("/admin/comptes"))
    assert '<html lang="fr">' in body
    assert "Créer un compte" in body
