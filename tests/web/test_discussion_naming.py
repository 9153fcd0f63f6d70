"""A comment flagged as naming persons, through the API and the page's form (issue 19
part 3): ``names`` (logins) seals the text under their keys; a bad login is a 422
naming the field, nothing written; once one of them is erased the thread, the page,
every export and the public pages show « personne effacée », never the text. Both
backends."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from domain.personal import ERASED
from ledger.core import Caller
from tests.conftest import ADMIN
from tests.ledger.test_erasure import leaks
from tests.web.test_discussion import API, REF, api, threads
from tests.web.test_erasure_pages import every_export, public_pages
from tests.web.ui_client import Site, text
from tests.web.world import OWN, bearer, open_world

NAMED = "agent.x42"
BY_API = "L'agent Octave Fernández-Quintal a relevé la panne du serveur"
BY_FORM = "Octave Fernández-Quintal propose de remplacer le commutateur"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    running = open_world(request, tmp_path_factory, request.param)
    running.ledger.add_user(ADMIN, NAMED, "Octave Fernández-Quintal", "octave-pass-1")
    running.caught_up()
    yield running
    running.close()


def test_a_flagged_comment_is_erased_with_the_person_in_every_answer_and_page(
    site: Site,
) -> None:
    posted = api(site, REF, "POST", API, {"body": BY_API, "names": [NAMED]})
    assert posted.status_code == 201, posted.get_json()
    cid = posted.get_json()["result"]["id"]
    client = site.client(REF)
    sent = client.post(
        f"/fiches/{OWN}/discussion", data={"body": BY_FORM, "names": NAMED}
    )
    assert sent.status_code == 302, text(sent)
    shown = {t["body"]: t for t in threads(site, REF)}
    assert (shown[BY_API]["names_flagged"], shown[BY_FORM]["names_flagged"]) == (1, 1)
    assert shown[BY_API]["id"] == cid
    page = text(client.get(f"/fiches/{OWN}"))
    assert BY_FORM in page and "nomme 1 personne(s)" in page

    erased = site.app.test_client().post(
        f"/api/v1/accounts/{NAMED}/erase",
        json={"reason": "demande RGPD n° 31"},
        headers=bearer(site, "admin"),
    )
    assert erased.status_code == 201, erased.get_json()
    bodies = [t["body"] for t in threads(site, REF)]
    assert bodies.count(ERASED) == 2 and BY_API not in bodies
    page = text(client.get(f"/fiches/{OWN}"))
    assert ERASED in page and BY_FORM not in page and BY_API not in page
    secrets = [BY_API, BY_FORM, "Octave Fernández-Quintal"]
    assert leaks(api(site, REF, "GET", API).get_data(), secrets) == []
    assert leaks(every_export(site).encode(), secrets) == []
    assert leaks(public_pages(site).encode(), secrets) == []


def test_naming_an_unknown_login_is_refused_and_writes_nothing(site: Site) -> None:
    head = site.head()
    refused = api(site, REF, "POST", API, {"body": "x", "names": ["inconnu.z"]})
    assert refused.status_code == 422, refused.get_json()
    error = refused.get_json()["error"]
    assert "names" in error["details"] or error["details"].get("field") == "names"
    assert "inconnu.z" in error["message"]
    shape = api(site, REF, "POST", API, {"body": "x", "names": "pas une liste"})
    assert shape.status_code == 422
    form = site.client(REF).post(
        f"/fiches/{OWN}/discussion", data={"body": "x", "names": "inconnu.z"}
    )
    assert form.status_code == 422
    assert "aucun compte de cet identifiant" in text(form)
    reply = site.ledger.post_comment(Caller(REF), "proposal", OWN, body="Q")
    wrong = api(
        site, REF, "POST", f"{API}/{reply['id']}/replies",
        {"body": "x", "names": ["inconnu.z"]},
    )  # fmt: skip
    assert wrong.status_code == 422
    assert site.head() == head + 1  # only the comment written directly
