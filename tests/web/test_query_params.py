"""No query parameter is silently ignored: every GET route of the app, enumerated from
``app.url_map``, refuses one it does not read — pages with a French 400 page naming
it, downloads and the API with a 422 JSON error naming it — and never answers 500.
The API also refuses a repeated parameter and names the allowed values of an
enumerated filter. Both backends.

Justified exceptions: the static files (a cache-busting query string is not ours to
read) and the OpenAPI document (``api-docs.*``: it takes no parameter and describes
the others).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.routing import Rule

from tests.web.test_access_matrix import permission_of, send, url_for_case
from tests.web.ui_client import Site, text
from tests.web.world import OWN, OWN_DIRECTION, ROLES, grants, login, open_world
from web.access import SCOPED, allowed
from web.query_params import ACCEPTED

EXCEPTIONS = ("static", "ui.static", "api-docs.")
UNKNOWN = "zz_inconnu"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    running = open_world(request, tmp_path_factory, request.param)
    yield running
    running.close()


def get_routes(site: Site) -> Iterator[Rule]:
    for rule in sorted(site.app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" in (rule.methods or ()) and not rule.endpoint.startswith(EXCEPTIONS):
            yield rule


def someone_allowed(site: Site, rule: Rule) -> str | None:
    """An account the route lets in (None: a public route, anonymous)."""
    permission = permission_of(site, rule)
    if permission is None:
        return None
    direction = OWN_DIRECTION if permission in SCOPED else None
    for role in ROLES:
        if allowed(grants(role), permission, direction):
            return login(role)
    raise AssertionError(f"nobody may GET {rule.rule}")


def get(site: Site, rule: Rule, query: str) -> Any:
    url = url_for_case(rule, OWN) + query
    username = someone_allowed(site, rule)
    if username is None:
        return site.app.test_client().get(url)
    return send(site, rule, "GET", url, username)


def test_every_get_route_refuses_an_unknown_parameter_naming_it(site: Site) -> None:
    checked = []
    for rule in get_routes(site):
        head = site.head()
        response = get(site, rule, f"?{UNKNOWN}=1")
        where = f"GET {rule.rule} ({rule.endpoint}): {response.status_code}"
        json_error = rule.rule.startswith(
            ("/api/v1/", "/exports/")
        ) and rule.endpoint != ("ui.exports")
        if json_error:
            assert response.status_code == 422, where
            error = response.get_json()["error"]
            assert list(error["details"]) == [UNKNOWN], where
            assert error["message"] == f"Paramètre de requête inconnu : {UNKNOWN}.", (
                where
            )
        else:
            assert response.status_code == 400, where
            assert f"Paramètre d'adresse inconnu : {UNKNOWN}." in text(response), where
        assert site.head() == head, where
        checked.append(rule.endpoint)
    assert len(checked) > 100
    assert {
        "ui.portfolio",
        "ui.export_budget",
        "api_views.portfolio",
        "ui.login",
    } <= set(checked)


def test_the_parameters_a_page_reads_are_accepted(site: Site) -> None:
    """The other side: what the table lists is not refused (nor answered 500)."""
    rules = {r.endpoint: r for r in get_routes(site)}
    for endpoint, names in ACCEPTED.items():
        if endpoint not in rules:
            continue
        query = "&".join(
            f"{n.replace('-*', '-0-code')}=" for n in (*names, "lang", "as_of")
        )
        response = get(site, rules[endpoint], f"?{query}")
        assert response.status_code not in (400, 500), (endpoint, response.status_code)


def test_a_misspelt_filter_is_named_on_a_french_page(site: Site) -> None:
    client = site.client(login("dsi"))
    response = client.get("/portefeuille?stauts=approved")
    assert response.status_code == 400
    assert (
        "Paramètre d'adresse inconnu : stauts. Paramètres acceptés par cette page : "
        "as_of, axis, direction, grid_version, lang, page, per_page, plan, pole, q, "
        "sort, status, year."
    ) in text(response)


def test_the_api_refuses_a_repeated_parameter_naming_it(site: Site) -> None:
    headers = {"Authorization": f"Bearer {_token(site)}"}
    client = site.app.test_client()
    response = client.get("/api/v1/portfolio?year=2025&year=2026", headers=headers)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["message"] == "Paramètre de requête répété : year."
    assert error["details"] == {
        "year": ["Une seule valeur est acceptée pour ce paramètre."]
    }
    once = client.get("/api/v1/portfolio?year=2026", headers=headers)
    assert once.status_code == 200


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/portfolio?status=aproved", "status"),
        ("/api/v1/decisions?outcome=ok", "outcome"),
    ],
)
def test_an_enumerated_filter_names_its_allowed_values(
    site: Site, url: str, field: str
) -> None:
    response = site.app.test_client().get(
        url, headers={"Authorization": f"Bearer {_token(site)}"}
    )
    assert response.status_code == 422
    details = response.get_json()["error"]["details"]
    assert "approved" in " ".join(details[field]), details


def _token(site: Site) -> str:
    from tests.web.world import token

    return token(site, login("dsi"))
