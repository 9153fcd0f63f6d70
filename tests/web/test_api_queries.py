"""Query parameters of the JSON API, on both backends: every GET operation of
``/api/v1/openapi.json`` refuses a parameter it does not document — a misspelt filter
among them — with 422 in the usual error shape naming it, instead of answering as if
it were not there; the parameters it documents (``as_of``, filters, pagination…) are
still accepted, each with a valid value."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projections import queries as q
from tests.web.demo_site import ADMIN, AUDITOR, CHAIR, DSI, FINANCE, shared_site, token
from tests.web.ui_client import Site

# Demo accounts that, between them, may read everything (finance alone reads the
# finance imports).
READERS = (AUDITOR, CHAIR, ADMIN, DSI, FINANCE)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest) -> Site:
    return shared_site(request, str(request.param))


def reader(site: Site, path: str) -> dict[str, str]:
    """The headers of a demo account allowed to read ``path``."""
    for login in READERS:
        headers = token(site, login)
        if site.app.test_client().get(path, headers=headers).status_code != 403:
            return headers
    raise AssertionError(f"nobody may read {path}")


def get_operations(site: Site) -> list[tuple[str, list[dict[str, Any]]]]:
    """(path, documented query parameters) of every GET operation."""
    doc = site.app.test_client().get("/api/v1/openapi.json").get_json()
    return [
        (path, [p for p in item["get"].get("parameters", []) if p["in"] == "query"])
        for path, item in doc["paths"].items()
        if "get" in item
    ]


def concrete(path: str) -> str:
    """A URL of the operation, naming what the world holds where it can."""
    code = "COPIL-2021-11-16" if path.startswith("/api/v1/sessions/") else "CLOUD"
    if path.startswith("/api/v1/scenarios/"):
        code = "S-INCONNU"
    return (
        path.replace("{code}", code)
        .replace("{position}", "1")
        .replace("{number}", "1")
        .replace("{sha256}", "0" * 64)
    )


def valid(parameter: dict[str, Any], moment: str) -> str:
    """A value the parameter's schema accepts (the cheapest for the optimiser)."""
    schema, name = parameter["schema"], parameter["name"]
    if schema.get("type") == "integer" and "minimum" in schema:
        return str(schema["minimum"])
    if schema.get("default") is not None:
        return str(schema["default"]).lower()  # booleans as JSON writes them
    if name in ("as_of", "a", "b") and schema.get("type") == "string":
        return moment
    if "enum" in schema:
        return str(schema["enum"][0])
    if schema.get("type") == "integer":
        return str(schema.get("minimum", 1))
    if schema.get("format") == "date":
        return "2026-01-01"
    if schema.get("format") == "date-time":
        return "2026-01-01T00:00:00Z"
    if schema.get("type") == "array":
        return "S-INCONNU"
    return "x"


def misspellings(known: list[str]) -> st.SearchStrategy[str]:
    """Names an operation does not document: misspelt documented ones, and others."""
    typos = st.sampled_from(known or ["as_of"]).flatmap(
        lambda name: st.sampled_from(
            [
                name + "s",
                name.upper(),
                name.replace("_", "-") if "_" in name else name + "_",
                name[1:] + name[0],
                name[:-1],
            ]
        )
    )
    # NUL is refused before any parameter is read ("Caractère interdit", a rule of
    # its own: tests/web/test_api_fuzz.py), not as an unknown parameter
    others = st.text(
        st.characters(codec="utf-8", exclude_characters="&=#%+\x00"), max_size=12
    )
    return (typos | others | st.sampled_from(["lang", "page", "per_page", "q"])).filter(
        lambda name: name not in known
    )


def test_every_get_refuses_an_undocumented_parameter_naming_it(site: Site) -> None:
    client = site.app.test_client()
    operations = get_operations(site)
    assert len(operations) > 30
    for path, parameters in operations:
        headers = reader(site, concrete(path))
        refuses(client, headers, path, [p["name"] for p in parameters])


def refuses(client: Any, headers: dict[str, str], path: str, known: list[str]) -> None:
    @settings(
        max_examples=6,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(name=misspellings(known), value=st.sampled_from(["1", "", "x", "true"]))
    def check(name: str, value: str) -> None:
        response = client.get(
            concrete(path), query_string={name: value}, headers=headers
        )
        assert response.status_code == 422, (path, name, response.get_json())
        accepted = ", ".join(sorted(known)) or "aucun"
        assert response.get_json() == {
            "error": {
                "code": "invalid_fields",
                "message": f"Paramètre de requête inconnu : {name}.",
                "details": {
                    name: [f"Paramètre inconnu (paramètres acceptés : {accepted})."]
                },
            }
        }

    check()


def test_documented_parameters_are_still_accepted(site: Site) -> None:
    client = site.app.test_client()
    for path, parameters in get_operations(site):
        url = concrete(path)
        headers = reader(site, url)
        # Every documented parameter, with a valid value (projects forced in or out
        # of a scenario below: a project has to be named with a reason).
        query = {
            p["name"]: valid(p, f"position:{site.head()}")
            for p in parameters
            if p["name"] not in ("forced_in", "forced_out")
        }
        response = client.get(url, query_string=query, headers=headers)
        assert response.status_code in (200, 404), (path, query, response.get_json())
        if response.status_code == 404:  # a scenario the demo does not hold
            assert response.get_json()["error"]["code"] == "not_found", path
        for name in {"forced_in", "forced_out"} & {p["name"] for p in parameters}:
            refused = client.get(url, query_string={name: "CLOUD"}, headers=headers)
            assert refused.get_json()["error"]["details"] == {
                name: ["CODE=MOTIF attendu."]
            }


def every_page(client: Any, url: str, headers: dict[str, str], key: str) -> list[Any]:
    """Every row of a paged API list, following its ``Link: rel="next"`` headers;
    each page says the same ``count``, and the rows add up to it."""
    rows: list[Any] = []
    counts = set()
    while url:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        rows += body[key]
        counts.add(body["count"])
        found = re.search(r'<([^>]+)>; rel="next"', response.headers["Link"])
        url = found.group(1) if found else ""
    assert counts == {len(rows)}
    return rows


def test_a_misspelt_filter_no_longer_answers_the_whole_list(site: Site) -> None:
    client, headers = site.app.test_client(), token(site, DSI)
    first = client.get("/api/v1/portfolio?per_page=7", headers=headers)
    everything = every_page(
        client, "/api/v1/portfolio?per_page=7", headers, "proposals"
    )
    assert first.get_json()["count"] == len(everything) > 7
    status = everything[0]["status"]
    wanted = [p for p in everything if p["status"] == status]
    assert 0 < len(wanted) < len(everything)
    filtered = client.get(
        f"/api/v1/portfolio?status={status}&per_page=500", headers=headers
    )
    assert (filtered.status_code, filtered.get_json()) == (
        200,
        {
            "plan": first.get_json()["plan"],
            "proposals": wanted,
            "count": len(wanted),
            "page": 1,
            "per_page": 500,
        },
    )
    misspelt = client.get(f"/api/v1/portfolio?stauts={status}", headers=headers)
    assert misspelt.status_code == 422
    assert list(misspelt.get_json()["error"]["details"]) == ["stauts"]


def test_the_portfolio_api_pages_sorts_and_links(site: Site) -> None:
    client, headers = site.app.test_client(), token(site, DSI)
    everything = every_page(
        client, "/api/v1/portfolio?per_page=500", headers, "proposals"
    )
    by_code = sorted(everything, key=lambda p: p["code"])
    second = client.get(
        "/api/v1/portfolio?sort=code&per_page=3&page=2", headers=headers
    )
    assert second.get_json()["proposals"] == by_code[3:6]
    last = -(-len(everything) // 3)
    assert second.headers["Link"] == ", ".join(
        f'<http://localhost/api/v1/portfolio?sort=code&per_page=3&page={n}>; rel="{rel}"'
        for rel, n in (("first", 1), ("last", last), ("prev", 1), ("next", 3))
    )
    descending = client.get("/api/v1/portfolio?sort=-code&per_page=2", headers=headers)
    assert descending.get_json()["proposals"] == by_code[::-1][:2]
    # the default order is the rank by value, unscored ones last
    ranked = every_page(client, "/api/v1/portfolio?per_page=10", headers, "proposals")
    assert ranked == everything
    assert [p["rank"] for p in ranked if p["rank"] is not None] == sorted(
        p["rank"] for p in ranked if p["rank"] is not None
    )
    beyond = client.get("/api/v1/portfolio?per_page=500&page=99", headers=headers)
    assert (
        beyond.get_json()["page"] == 1 and beyond.get_json()["proposals"] == everything
    )
    for bad in ("sort=colour", "per_page=501", "page=0"):
        refused = client.get(f"/api/v1/portfolio?{bad}", headers=headers)
        assert refused.status_code == 422, bad
        assert list(refused.get_json()["error"]["details"]) == [bad.split("=")[0]]


def test_a_command_refuses_a_query_parameter_and_writes_nothing(site: Site) -> None:
    client, headers = site.app.test_client(), token(site, CHAIR)
    head = site.head()
    response = client.post(
        "/api/v1/sessions/COPIL-2021-11-16/close?dry_run=1", json={}, headers=headers
    )
    assert response.status_code == 422
    assert list(response.get_json()["error"]["details"]) == ["dry_run"]
    assert site.head() == head


def test_the_budget_api_pages_its_lines_and_sums_every_line(site: Site) -> None:
    client, headers = site.app.test_client(), token(site, AUDITOR)
    store = site.read_model.store
    lines = every_page(client, "/api/v1/budget?per_page=9", headers, "lines")
    assert [(x["proposal"], x["year"], x["section"]) for x in lines] == [
        (x["proposal"], x["year"], x["section"]) for x in q.budget_lines(store)
    ]
    first = client.get("/api/v1/budget?per_page=9", headers=headers).get_json()
    data = q.budget_consumption(store)
    assert first["total"] == {k: str(v) for k, v in data["total"].items()}
    assert first["totals"]["pole"] == {
        pole: {k: str(v) for k, v in sums.items()}
        for pole, sums in data["totals"]["pole"].items()
    }
    assert len(first["envelopes"]) == len(data["envelopes"])
    by_paid = client.get("/api/v1/budget?sort=-paid&per_page=3", headers=headers)
    assert [x["paid"] for x in by_paid.get_json()["lines"]] == [
        str(v) for v in sorted((x["paid"] for x in data["lines"]), reverse=True)[:3]
    ]


def test_the_audit_api_pages_newest_first_or_oldest_first(site: Site) -> None:
    client, headers = site.app.test_client(), token(site, AUDITOR)
    head = site.head()
    newest = client.get("/api/v1/audit?per_page=4&page=2", headers=headers)
    body = newest.get_json()
    assert (body["count"], body["total"], body["page"], body["per_page"]) == (
        head,
        head,
        2,
        4,
    )
    assert [e["position"] for e in body["events"]] == [head - 4 - i for i in range(4)]
    assert (
        'rel="next"' in newest.headers["Link"]
        and 'rel="prev"' in newest.headers["Link"]
    )
    oldest = client.get("/api/v1/audit?per_page=3&sort=position", headers=headers)
    assert [e["position"] for e in oldest.get_json()["events"]] == [1, 2, 3]
