"""An erased account opens no door (issue 19, ``docs/privacy.md``): its password, an
API token and a browser session opened before the erasure, and a password-reset
link e-mailed before it all fail cleanly (401, a redirect to the sign-in page, 410),
writing nothing. Both backends."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ledger.core import Caller
from ledger.resets import PasswordResets
from tests.conftest import ADMIN
from tests.web.ui_client import Site, text
from tests.web.world import bearer, open_world

LOGIN, PASSWORD = "m12345", "un-mot-de-passe-solide-19"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    running = open_world(request, tmp_path_factory, str(request.param))
    yield running
    running.close()


def test_every_door_opened_before_the_erasure_is_closed_after_it(site: Site) -> None:
    site.ledger.add_user(
        ADMIN,
        LOGIN,
        "Zoé Lefèvre",
        PASSWORD,
        email="zoe@ville.fr",
        roles=[("dsi", None)],
    )
    api = site.app.test_client()
    token = bearer(site, LOGIN)
    assert api.get("/api/v1/me", headers=token).status_code == 200
    browser = site.client()
    signed = browser.post("/connexion", data={"username": LOGIN, "password": PASSWORD})
    assert signed.status_code == 302
    assert browser.get("/").status_code == 200
    link = PasswordResets(site.ledger.storage).issue(LOGIN)

    site.ledger.erase_user(Caller(actor="admin", reason="demande RGPD"), LOGIN)
    site.caught_up()
    head = site.head()

    assert api.get("/api/v1/me", headers=token).status_code == 401
    page = browser.get("/")
    assert page.status_code == 302 and "/connexion" in page.headers["Location"]
    wrong = api.post(
        "/api/v1/auth/token", json={"username": LOGIN, "password": PASSWORD}
    )
    assert (wrong.status_code, wrong.get_json()["error"]["code"]) == (
        401,
        "bad_credentials",
    )
    form = site.client().post(
        "/connexion", data={"username": LOGIN, "password": PASSWORD}
    )
    assert form.status_code == 401
    assert "Identifiant ou mot de passe incorrect." in text(form)
    url = f"/connexion/nouveau-mot-de-passe/{link}"
    assert site.client().get(url).status_code == 410
    new = "un-autre-mot-de-passe-19"
    posted = site.client().post(url, data={"password": new, "password_confirm": new})
    assert posted.status_code == 410
    assert site.head() == head  # nothing written
