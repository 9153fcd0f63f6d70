"""The portfolio page on both backends: a page of proposals sorted by the database,
the links to the other pages keeping the filters and the sort, and the chart of every
scored proposal."""

from __future__ import annotations

import re
from html import unescape

import pytest

from projections import queries as q
from tests.web.demo_site import DSI, page, shared_site
from tests.web.ui_client import Site, text


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest) -> Site:
    return shared_site(request, str(request.param))


def codes(html: str) -> list[str]:
    """The proposals of the table, in order (the chart's links come after it)."""
    table = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<a href="/fiches/([^"?]+)">', table)


def test_a_page_of_the_portfolio_sorted_by_a_column(site: Site) -> None:
    every = q.portfolio(site.read_model.store)
    by_code = sorted(p["code"] for p in every)
    client = site.client(DSI)
    response = client.get("/portefeuille?sort=code&per_page=3&page=2")
    assert response.status_code == 200
    html = page(response)
    assert codes(html) == by_code[3:6]
    assert f"{len(every)} fiche(s) — 3 par page." in text(response)
    assert 'href="/portefeuille?sort=code&amp;per_page=3&amp;page=3" rel="next"' in html
    assert 'aria-sort="ascending"' in html
    descending = page(client.get("/portefeuille?sort=-code&per_page=2"))
    assert codes(descending) == by_code[::-1][:2]
    # by default, ranked by value; a sort it does not know is the default
    ranked = [p["code"] for p in every[:50]]
    assert codes(page(client.get("/portefeuille"))) == ranked
    assert codes(page(client.get("/portefeuille?sort=colour&per_page=x"))) == ranked


def test_the_chart_shows_every_scored_proposal_of_the_filter(site: Site) -> None:
    every = q.portfolio(site.read_model.store)
    status = every[0]["status"]
    scored = [
        p
        for p in every
        if p["status"] == status and p["value"] is not None and p["risk"] is not None
    ]
    html = page(site.client(DSI).get(f"/portefeuille?status={status}&per_page=1"))
    points = re.findall(
        r'<a class="point" href="/fiches/([^"]+)" aria-label="([^"]+)">'
        r"<title>([^<]+)</title>.*?"
        r'<text class="point-code"[^>]*>([^<]+)</text></a>',
        html,
    )
    assert [code for code, *_rest in points] == sorted(p["code"] for p in scored)
    first = min(scored, key=lambda p: p["code"])
    said = f"{first['code']} {first['title']} : {first['value']} / {first['risk']}"
    assert unescape(points[0][1]) == said  # its name, its tooltip, its code on focus
    assert unescape(points[0][2]) == said
    assert points[0][3] == first["code"]
    # the table under the chart lists the same points, by value
    twin = html.split('<details class="chart-table">', 1)[1].split("</details>", 1)[0]
    assert f"Les {len(scored)} points du graphique, en tableau" in twin
    listed = re.findall(r'<th scope="row"><a href="/fiches/([^"]+)">', twin)
    by_value = sorted(scored, key=lambda p: (-float(p["value"]), p["code"]))
    assert listed == [p["code"] for p in by_value]


def test_the_capacity_panel_lists_the_overloads_the_database_selects(
    site: Site,
) -> None:
    store = site.read_model.store
    every = q.capacity(store)
    assert q.capacity(store, overloaded=True) == [c for c in every if c["overload"]]
    assert len(every) > 0


def test_the_demo_s_portfolio_lists_the_uncovered_obsolescence_risks(
    site: Site,
) -> None:
    """Issue 20: the demo's diagnosis leaves some obsolescence risks without a
    proposal; the portfolio's panel lists exactly those, each linked to its page."""
    from datetime import date

    from projections.views.diagnosis import queries as dq

    expected = [r["code"] for r in dq.uncovered_risks(site.read_model.store, date.today())]  # fmt: skip
    assert len(expected) >= 3
    html = page(site.client(DSI).get("/portefeuille"))
    panel = html.split('id="uncovered-risks"', 1)[1].split("</table>", 1)[0]
    assert re.findall(r'href="/diagnostic/applications/([^"]+)"', panel) == expected
