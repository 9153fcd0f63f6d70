"""``q`` on the API's lists (portfolio, budget lines, audit trail): the same words
as the search box of their pages, with the same result, on both backends."""

from __future__ import annotations

import pytest

from tests.web.demo_site import AUDITOR, DSI, FINANCE, shared_site, token
from tests.web.ui_client import Site


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest) -> Site:
    return shared_site(request, str(request.param))


def get(site: Site, who: str, path: str) -> dict:  # type: ignore[type-arg]
    answer = site.app.test_client().get(path, headers=token(site, who))
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()  # type: ignore[no-any-return]


def test_the_portfolio_finds_by_words_as_its_page_does(site: Site) -> None:
    every = get(site, DSI, "/api/v1/portfolio?per_page=500")["proposals"]
    found = get(site, DSI, "/api/v1/portfolio?q=cl%C3%94ud&per_page=500")
    codes = [p["code"] for p in found["proposals"]]
    assert "CLOUD" in codes and len(codes) < len(every)
    page = site.client(DSI).get("/portefeuille?q=cl%C3%94ud&per_page=500")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert all(f"/fiches/{c}" in html for c in codes)
    assert not any(
        f'/fiches/{p["code"]}"' in html for p in every if p["code"] not in codes
    )
    none = get(site, DSI, "/api/v1/portfolio?q=introuvable-xyz")
    assert (none["proposals"], none["count"]) == ([], 0)


def test_budget_lines_and_their_totals_follow_the_words(site: Site) -> None:
    none = get(site, FINANCE, "/api/v1/budget?q=introuvable-xyz")
    assert (none["lines"], none["count"]) == ([], 0)
    every = get(site, FINANCE, "/api/v1/budget?per_page=500")
    project = every["lines"][0]["proposal"]
    found = get(site, FINANCE, f"/api/v1/budget?q={project}&per_page=500")
    assert [x for x in every["lines"] if x["proposal"] == project] == [
        x for x in found["lines"] if x["proposal"] == project
    ]
    assert 0 < found["count"] < every["count"]


def test_the_audit_trail_finds_by_words(site: Site) -> None:
    every = get(site, AUDITOR, "/api/v1/audit?per_page=1")["count"]
    found = get(site, AUDITOR, "/api/v1/audit?q=RoleGranted&per_page=500")
    assert 0 < found["count"] < every
    assert {e["event_type"] for e in found["events"]} == {"Account.RoleGranted"}


def test_too_many_words_are_refused_naming_q(site: Site) -> None:
    answer = site.app.test_client().get(
        "/api/v1/portfolio?q=" + "x" * 201, headers=token(site, DSI)
    )
    assert answer.status_code == 422
    assert list(answer.get_json()["error"]["details"]) == ["q"]
