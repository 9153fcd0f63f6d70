"""The portfolio shows the obsolescence risks no live proposal covers (issue 20,
part 3), on its page and through ``GET /api/v1/portfolio/uncovered-risks``, on both
backends: a proposal that changes an application covers it, a withdrawn one no
longer does, an application without risk is never listed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ledger.core import Caller
from tests.web.ui_client import Site, text
from tests.web.world import OTHER, OWN, OWN_DIRECTION, bearer, login, open_world

BASE = {
    "kind": "application",
    "direction": OWN_DIRECTION,
    "supplier": "Éditeur",
    "technology": "Java",
    "product_version": "1",
    "users": 10,
    "annual_cost": "1000.00",
}
# code → (name, end of support, criticality, DSI obsolescence or None)
APPS = {
    "PAIE": ("Paie et RH", "2020-12-31", 4, None),
    "GED": ("Gestion documentaire", "2099-12-31", 2, 1),
    "VIEUX": ("Vieux logiciel", None, 3, 3),
    "SIG": ("Information géographique", "2021-06-30", 2, None),
}
EXPECTED = [
    {
        "code": "SIG",
        "name": "Information géographique",
        "direction": OWN_DIRECTION,
        "criticality": 2,
        "end_of_support": "2021-06-30",
        "obsolescence": None,
        "risks": ["support_ended"],
    },
    {
        "code": "VIEUX",
        "name": "Vieux logiciel",
        "direction": OWN_DIRECTION,
        "criticality": 3,
        "end_of_support": None,
        "obsolescence": 3,
        "risks": ["obsolescence_high"],
    },
]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    running = open_world(request, tmp_path_factory, request.param)
    led = running.ledger
    dsi = Caller(actor=login("dsi"), reason="inventaire")
    for code, (name, end, criticality, obsolescence) in APPS.items():
        values = {**BASE, "name": name, "end_of_support": end}
        led.register_application(dsi, code, {**values, "criticality": criticality})
        if obsolescence is not None:
            led.assess_application(
                dsi, code, technical_state=3, risk=2, obsolescence=obsolescence
            )
    led.link_proposal(dsi, OWN, applications={"PAIE": "changes"})
    led.link_proposal(dsi, OTHER, applications={"SIG": "replaces"})
    led.withdraw_proposal(dsi, OTHER)  # a withdrawn proposal covers nothing
    running.caught_up()
    yield running
    running.close()


def test_the_api_lists_the_uncovered_risks_for_portfolio_readers(site: Site) -> None:
    client = site.app.test_client()
    url = "/api/v1/portfolio/uncovered-risks"
    for reader in ("chair", "dsi", "auditor", "consultant"):
        answer = client.get(url, headers=bearer(site, login(reader)))
        assert answer.status_code == 200, reader
        assert answer.get_json() == {"risks": EXPECTED}
    refused = client.get(url, headers=bearer(site, login("referent")))
    assert refused.status_code == 403
    bad = client.get(url + "?as_of=hier", headers=bearer(site, login("chair")))
    assert bad.status_code == 422


def test_the_portfolio_page_shows_them_with_links_to_the_applications(
    site: Site,
) -> None:
    page = site.client(login("chair")).get("/portefeuille")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    panel = html[html.index('id="uncovered-risks"') : html.index("</section>", html.index('id="uncovered-risks"'))]  # fmt: skip
    assert 'href="/diagnostic/applications/SIG"' in panel
    assert 'href="/diagnostic/applications/VIEUX"' in panel
    for covered_or_safe in ("PAIE", "GED"):
        assert f"/diagnostic/applications/{covered_or_safe}" not in panel
    shown = text(page)
    assert "SIG — Information géographique" in shown
    assert "VIEUX — Vieux logiciel" in shown
    assert "support terminé" in shown
    assert "obsolescence élevée" in shown
