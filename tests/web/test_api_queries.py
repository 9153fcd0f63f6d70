"""Query parameters of the JSON API, on both backends: every GET operation of
``/api/v1/openapi.json`` refuses a parameter it does not document — a misspelt filter
among them — with 422 in the usual error shape naming it, instead of answering as if
it were not there; the parameters it documents (``as_of``, filters, pagination…) are
still accepted, each with a valid value."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.web.demo_site import ADMIN, AUDITOR, CHAIR, DSI, shared_site, token
from tests.web.ui_client import Site

# Demo accounts that, between them, may read everything.
READERS = (AUDITOR, CHAIR, ADMIN, DSI)


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
    return path.replace("{code}", code).replace("{position}", "1")


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
    others = st.text(
        st.characters(codec="utf-8", exclude_characters="&=#%+"), max_size=12
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


def test_a_misspelt_filter_no_longer_answers_the_whole_list(site: Site) -> None:
    client, headers = site.app.test_client(), token(site, DSI)
    everything = client.get("/api/v1/portfolio", headers=headers).get_json()
    status = everything["proposals"][0]["status"]
    wanted = [p for p in everything["proposals"] if p["status"] == status]
    assert 0 < len(wanted) < len(everything["proposals"])
    filtered = client.get(f"/api/v1/portfolio?status={status}", headers=headers)
    assert (filtered.status_code, filtered.get_json()) == (
        200,
        {"plan": everything["plan"], "proposals": wanted},
    )
    misspelt = client.get(f"/api/v1/portfolio?stauts={status}", headers=headers)
    assert misspelt.status_code == 422
    assert list(misspelt.get_json()["error"]["details"]) == ["stauts"]


def test_a_command_refuses_a_query_parameter_and_writes_nothing(site: Site) -> None:
    client, headers = site.app.test_client(), token(site, CHAIR)
    head = site.head()
    response = client.post(
        "/api/v1/sessions/COPIL-2021-11-16/close?dry_run=1", json={}, headers=headers
    )
    assert response.status_code == 422
    assert list(response.get_json()["error"]["details"]) == ["dry_run"]
    assert site.head() == head
