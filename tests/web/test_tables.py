"""The list pages' search, sort and pages on both backends (issue 16 item 8): the
portfolio, the arbitration history, the budget's projects, the sessions and the audit
trail read one page sorted and searched by the database; their links keep the
filters, the sort, the search and ``as_of``; the portfolio exports as listed."""

from __future__ import annotations

import csv
import io
import re
from html import unescape
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from domain.search import fold
from projections import queries as q
from projections.paging import Page
from projections.records import documents
from projections.views.audit.queries import audit_trail
from projections.views.decisions import queries as dq
from tests.web.demo_site import AUDITOR, CHAIR, DSI, FINANCE, page, shared_site
from tests.web.ui_client import Site, text


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest) -> Site:
    return shared_site(request, str(request.param))


def tbody(html: str) -> str:
    return html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]


def proposal_codes(html: str) -> list[str]:
    """The proposals of a page's first table, in order."""
    return re.findall(r'<td><a href="/fiches/([^"?]+)[^"]*">', tbody(html))


def folded_texts(site: Site) -> dict[str, str]:
    """Each proposal's searchable text, folded here from its document."""
    docs = documents(site.read_model.store, "SELECT doc FROM {proposals}")
    return {
        d["code"]: fold(
            d["code"],
            d["content"]["title"],
            d["direction"],
            d["content"]["description"],
            d["content"].get("legal_basis"),
        )
        for d in docs
    }


def listed(site: Site) -> list[str]:
    """Every proposal the portfolio lists, by code."""
    return [p["code"] for p in q.portfolio(site.read_model.store)]


# --- the portfolio ----------------------------------------------------------------------


def test_portfolio_search_ignores_case_and_accents(site: Site) -> None:
    texts = folded_texts(site)
    expected = sorted(c for c in listed(site) if "dematerialisation" in texts[c])
    assert {"ETACIV", "SUBV"} <= set(expected)
    client = site.client(DSI)
    for typed in ("DÉMATÉRIALISATION", "dematerialisation", "  Dématérialisation "):
        response = client.get("/portefeuille?sort=code&q=" + quote(typed))
        assert response.status_code == 200
        assert proposal_codes(page(response)) == expected
        assert f"{len(expected)} fiche(s)." in text(response)
    # two words: both must appear (in any field)
    both = client.get("/portefeuille?sort=code&q=" + quote("état civil ECI"))
    assert proposal_codes(page(both)) == sorted(
        c for c in listed(site) if all(w in texts[c] for w in ("etat", "civil", "eci"))
    )
    assert "ETACIV" in proposal_codes(page(both))


@pytest.mark.parametrize("typed", ["%", "_", "\\", "%%_", "'; DROP TABLE x; --"])
def test_portfolio_search_takes_wildcards_and_quotes_literally(
    site: Site, typed: str
) -> None:
    texts = folded_texts(site)
    words = fold(typed).split()
    expected = sorted(c for c in listed(site) if all(w in texts[c] for w in words))
    assert len(expected) < len(listed(site))
    response = site.client(DSI).get("/portefeuille?sort=code&q=" + quote(typed))
    assert response.status_code == 200
    assert proposal_codes(page(response)) == expected
    assert q.portfolio_sorted(site.read_model.store, "code", search=typed) == [
        p
        for p in q.portfolio_sorted(site.read_model.store, "code")
        if p["code"] in expected
    ]


def test_portfolio_page_two_of_a_search_sorted_by_title(site: Site) -> None:
    texts = folded_texts(site)
    rows = [
        p for p in q.portfolio(site.read_model.store) if "gestion" in texts[p["code"]]
    ]
    # titles compare by code point on both backends (SQLite; PostgreSQL in C.UTF-8)
    by_title = [p["code"] for p in sorted(rows, key=lambda p: p["title"])]
    assert len(by_title) > 4
    client = site.client(DSI)
    second = client.get("/portefeuille?q=GESTION&sort=title&per_page=2&page=2")
    assert proposal_codes(page(second)) == by_title[2:4]
    descending = page(client.get("/portefeuille?q=gestion&sort=-title&per_page=2"))
    assert proposal_codes(descending) == by_title[::-1][:2]
    # the "Fiche" column sorts by code; the page keeps the search and the page size
    assert (
        '<th scope="col"><a class="sort" href="/portefeuille?q=gestion&amp;per_page=2'
        '&amp;sort=code">Fiche'
    ) in descending


def test_every_portfolio_link_keeps_as_of_the_search_and_the_sort(site: Site) -> None:
    store = site.read_model.store
    first = dq.decision_history(store)[0]["position"]
    at = f"position:{first}"
    response = site.client(DSI).get(
        f"/portefeuille?as_of={quote(at)}&sort=code&per_page=2&q=a"
    )
    html = page(response)
    assert response.status_code == 200
    moment = quote(at, safe="")
    # the pager, a sort header, the filter form, the export
    assert (
        f'href="/portefeuille?as_of={moment}&amp;sort=code&amp;per_page=2&amp;q=a'
        '&amp;page=2" rel="next"'
    ) in html
    assert (
        f'href="/portefeuille?as_of={moment}&amp;per_page=2&amp;q=a&amp;sort=-code">'
        in html
    )
    assert f'<input type="hidden" name="as_of" value="{at}">' in html
    assert '<input type="hidden" name="sort" value="code">' in html
    assert f'href="/portefeuille.csv?as_of={at}&amp;sort=code&amp;q=a"' in html


def test_portfolio_export_is_the_filtered_sorted_list_on_every_page(
    site: Site,
) -> None:
    store = site.read_model.store
    rows = q.portfolio_sorted(store, "-cost_investment", search="portail")
    assert len(rows) >= 2
    client = site.client(DSI)
    got = client.get("/portefeuille.csv?sort=-cost_investment&q=portail&per_page=1")
    assert got.status_code == 200
    assert got.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "filename=portefeuille.csv" in got.headers["Content-Disposition"]
    lines = list(
        csv.reader(
            io.StringIO(got.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"
        )
    )
    assert lines[0][:4] == ["Rang", "Fiche", "Intitulé", "Direction"]
    assert [line[1] for line in lines[1:]] == [r["code"] for r in rows]
    first = rows[0]
    cost = f"{first['cost_investment']:.2f}".replace(".", ",")
    assert lines[1][12] == cost
    book = client.get("/portefeuille.xlsx?sort=-cost_investment&q=portail")
    assert book.status_code == 200
    sheet = load_workbook(io.BytesIO(book.data), read_only=True)["Portefeuille"]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][1] == "Fiche"
    assert [v[1] for v in values[1:]] == [r["code"] for r in rows]
    assert values[1][12] == float(first["cost_investment"])
    assert client.get("/portefeuille.pdf").status_code == 404


# --- the arbitration history --------------------------------------------------------------


def decision_rows(html: str) -> list[int]:
    return [int(p) for p in re.findall(r'<tr id="d-(\d+)">', html)]


def test_decisions_are_paged_sorted_and_searched_by_the_database(site: Site) -> None:
    store = site.read_model.store
    every = dq.decision_history(store)
    assert len(every) > 50
    client = site.client(CHAIR)
    # 50 by default, newest first
    first = client.get("/arbitrages")
    assert decision_rows(page(first)) == [d["position"] for d in every[::-1][:50]]
    assert f"{len(every)} décision(s) — 50 par page." in text(first)
    # page 2 sorted by proposal (then newest first)
    by_proposal = sorted(every, key=lambda d: (d["proposal"], -d["position"]))
    second = client.get("/arbitrages?sort=proposal&per_page=5&page=2")
    assert decision_rows(page(second)) == [d["position"] for d in by_proposal[5:10]]
    assert (
        'aria-sort="ascending"><a class="sort" href="/arbitrages?per_page=5&amp;sort=-proposal">Fiche'
        in page(second)
    )
    # search: the proposal's title, without accents
    hits = client.get("/arbitrages?q=" + quote("ETAT CIVIL"))
    expected = [d["position"] for d in every[::-1] if d["proposal"] == "ETACIV"]
    assert expected
    assert decision_rows(page(hits)) == expected


def test_a_decision_search_matches_its_rationale(site: Site) -> None:
    store = site.read_model.store
    every = dq.decision_history(store)
    word = fold(every[0]["rationale"]).split()[-1]
    expected = [
        d["position"]
        for d in every[::-1]
        if word
        in fold(
            d["proposal"],
            d["session"],
            d["rationale"],
            d["conditions"],
            d["justification"],
            d["override_reason"],
        )
        or word in fold(q.proposal(store, d["proposal"])["content"]["title"])
        or word in fold(q.proposal(store, d["proposal"])["direction"])
    ]
    got, count, _page = dq.decision_page(store, Page(1, 500), search=word)
    assert [d["position"] for d in got] == expected
    assert count == len(expected)


# --- sessions, budget projects, audit -------------------------------------------------------


def test_sessions_sorted_searched_and_paged(site: Site) -> None:
    every = q.sessions(site.read_model.store)
    client = site.client(CHAIR)
    html = page(client.get("/seances?sort=on_date&per_page=3&page=2"))
    # by date, then newest first (the list's own order) on the same date
    by_date = sorted(
        sorted(every, key=lambda s: s["code"], reverse=True), key=lambda s: s["on"]
    )
    assert re.findall(r'<a href="/seances/([^"?]+)">', tbody(html)) == [
        s["code"] for s in by_date[3:6]
    ]
    assert f"{len(every)} séance(s) — 3 par page." in unescape(html)
    year = every[0]["code"].split("-")[1]
    hits = page(client.get(f"/seances?q=COPIL+{year}"))
    newest_first = sorted(every, key=lambda s: (s["on"], s["code"]), reverse=True)
    assert re.findall(r'<a href="/seances/([^"?]+)">', tbody(hits)) == [
        s["code"]
        for s in newest_first
        if all(w in fold(s["code"], s["title"], s["chair"]) for w in ("copil", year))
    ]


def test_budget_projects_sorted_and_searched(site: Site) -> None:
    store = site.read_model.store
    everything, _count, _p = q.budget_projects(store, Page(1, 500))
    by_paid = sorted(everything, key=lambda p: (-p["paid"], p["proposal"]))
    client = site.client(FINANCE)
    html = page(client.get("/budget?sort=-paid&per_page=3&page=2"))
    table = html.split('id="projets"', 1)[1]
    shown = re.findall(r'<tr><td><a href="/budget/projets/([^"?]+)">', tbody(table))
    assert shown == [p["proposal"] for p in by_paid[3:6]]
    assert 'aria-sort="descending"' in table.split("</thead>", 1)[0]
    texts = folded_texts(site)
    word = max(everything[0]["title"].split(), key=len)  # accents and capitals kept
    hits = page(client.get("/budget?q=" + quote(word.upper())))
    found = re.findall(
        r'<tr><td><a href="/budget/projets/([^"?]+)">',
        tbody(hits.split('id="projets"', 1)[1]),
    )
    assert found == sorted(
        p["proposal"] for p in everything if fold(word) in texts[p["proposal"]]
    )
    assert everything[0]["proposal"] in found
    assert len(found) < len(everything)


def audit_rows(html: str) -> list[int]:
    return [int(p) for p in re.findall(r'<tr id="e-(\d+)"', html)]


def test_audit_search_and_sort_by_actor(site: Site) -> None:
    store = site.read_model.store
    client = site.client(AUDITOR)
    everything = audit_trail(store, limit=100000)["events"]

    def searched(e: dict[str, Any]) -> str:
        fields = ("actor", "aggregate", "event_type", "command", "reason", "origin")
        return fold(*(e[k] for k in fields))

    # a word with an accent from a reason, typed in capitals
    typed = next(
        w
        for e in everything
        for w in (e["reason"] or "").split()
        if len(w) > 6 and fold(w) != w.lower() and w.isalpha()
    ).upper()
    expected = [e["position"] for e in everything if fold(typed) in searched(e)]
    assert expected
    got = audit_trail(store, search=typed, limit=100000)
    assert [e["position"] for e in got["events"]] == expected
    assert got["total"] == len(expected)
    html = page(client.get("/audit?per_page=25&q=" + quote(typed)))
    assert audit_rows(html) == expected[:25]
    by_actor = sorted(everything, key=lambda e: (e["actor"], -e["position"]))
    second = page(client.get("/audit?sort=actor&per_page=25&page=2"))
    assert audit_rows(second) == [e["position"] for e in by_actor[25:50]]
    assert (
        'aria-sort="ascending"><a class="sort" href="/audit?per_page=25&amp;'
        'sort=-actor">Acteur'
    ) in second


# --- any parameters: never an error ---------------------------------------------------------

LISTS = {
    "/portefeuille": (DSI, tuple(q.PORTFOLIO_SORTS)),
    "/portefeuille.csv": (DSI, tuple(q.PORTFOLIO_SORTS)),
    "/arbitrages": (CHAIR, tuple(dq.DECISION_SORTS)),
    "/budget": (FINANCE, tuple(q.BUDGET_PROJECT_SORTS)),
    "/seances": (CHAIR, tuple(dq.SESSION_SORTS)),
    "/audit": (AUDITOR, ("position", "at", "actor", "aggregate", "event_type")),
}
numbers = st.one_of(
    st.integers(-3, 10**12).map(str),
    st.sampled_from(["", "0", "1", "2", "1e3", "٣", " 2", "2.5", "-1"]),
    st.text(max_size=8),
)
searches = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["%", "_", "\\", "%_\\", "'", '"', "é", "ÉTAT", "\x00", "a" * 300]),
)


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
@given(data=st.data())
def test_any_page_sort_and_search_answers_a_page(site: Site, data: Any) -> None:
    path = data.draw(st.sampled_from(sorted(LISTS)), label="path")
    user, sorts = LISTS[path]
    keys = st.sampled_from(sorts)
    sort = data.draw(
        st.one_of(keys, keys.map(lambda k: "-" + k), st.text(max_size=10)),
        label="sort",
    )
    query = {
        name: value
        for name, value in (
            ("page", data.draw(numbers, label="page")),
            ("per_page", data.draw(numbers, label="per_page")),
            ("sort", sort),
            ("q", data.draw(searches, label="q")),
        )
        if data.draw(st.booleans(), label=f"with {name}")
    }
    url = path + ("?" + urlencode(query, errors="surrogatepass") if query else "")
    response = site.client(user).get(url)
    assert response.status_code == 200, (url, response.status_code)
