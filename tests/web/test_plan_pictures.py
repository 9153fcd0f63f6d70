"""The plan page's roadmap (Gantt) and an indicator's chart, on the demo municipality,
on both backends: the bars are those the plan PDF draws (projections/roadmap.py), each
with its title; the indicator's points are its measurements and targets."""

from __future__ import annotations

import re
from html import unescape

import pytest

from projections import queries as q
from projections import reference_queries as rq
from projections import roadmap
from tests.web.demo_site import AUDITOR, page, shared_site
from tests.web.ui_client import Site


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest) -> Site:
    return shared_site(request, str(request.param))


def test_the_plan_page_shows_the_roadmap_of_the_plan_pdf(site: Site) -> None:
    bars = roadmap.roadmap(site.read_model.store)
    assert len(bars) > 10
    html = unescape(page(site.client(AUDITOR).get("/plan")))
    svg = html.split('<svg class="chart gantt"', 1)[1].split("</svg>", 1)[0]
    first, last = roadmap.years(bars, q.plan(site.read_model.store))
    assert f"Feuille de route des projets adoptés, {first}–{last}</text>" in svg
    labels = re.findall(r'<text class="bar-label"[^>]*>([^<]+)</text>', svg)
    assert labels == [b.code for b in bars]
    titles = re.findall(r"<title>([^<]+)</title></rect>", svg)
    assert [t.split(" — ")[0] for t in titles] == [b.code for b in bars]
    assert len(re.findall(r"<g><polygon[^>]*/><title>", svg)) == sum(
        len(b.milestones) for b in bars
    )
    # the same bars as a table, each linking to its proposal
    table = html.split("La feuille de route en tableau", 1)[1].split("</table>", 1)[0]
    assert f"({len(bars)} projets)</summary>" in table
    assert re.findall(r'<th scope="row"><a href="/fiches/([^"]+)">', table) == [
        b.code for b in bars
    ]


def test_an_indicator_page_charts_its_measurements_against_its_targets(
    site: Site,
) -> None:
    store = site.read_model.store
    code = q.axes(store)[0]["indicators"][0]["code"]
    html = unescape(page(site.client(AUDITOR).get(f"/referentiel/indicateurs/{code}")))
    assert "Prévu et réalisé au fil du temps" in html
    svg = html.split('aria-labelledby="ind-t">', 1)[1].split("</svg>", 1)[0]
    doc = rq.indicator(store, code)
    assert doc is not None
    kinds = [m["kind"] for m in doc["measurements"]]
    assert kinds.count("realised") > 1
    assert len(re.findall(r"<title>Réalisé — ", svg)) == kinds.count("realised")
    assert len(re.findall(r"<title>Prévu — ", svg)) == len(kinds) - kinds.count(
        "realised"
    )
    assert len(re.findall(r"<title>Cible — ", svg)) == len(doc["targets"])
    assert f"{code} : valeurs réalisées et prévues, cibles ({doc['unit']})" in svg
