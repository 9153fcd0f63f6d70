"""The access matrix, generated from the route table: every endpoint × every role ×
own/other direction is allowed or refused exactly as ``web/access.py`` says.

A route added without ``@requires`` or ``@public`` fails
``test_every_route_names_a_permission``; a route added with one is checked here for
every role without anyone listing it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.routing import AnyConverter, Rule

from tests.web.ui_client import Site
from tests.web.world import (
    OTHER,
    OTHER_DIRECTION,
    OWN,
    OWN_DIRECTION,
    ROLES,
    SPARE,
    bearer,
    grants,
    login,
    open_world,
)
from web.access import PERMISSIONS, SCOPED, allowed
from web.auth import public, requires

SKIPPED_METHODS = {"HEAD", "OPTIONS"}
# Values for the URL parameters of the route table (a proposal code is set per case).
PARAMETERS = {
    "proposal": OWN,
    "username": SPARE,
    "number": "1",
    "position": "1",
    "milestone": "M1",
    "filename": "sdsi.css",
}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    running = open_world(request, tmp_path_factory, request.param)
    yield running
    running.close()


def public_endpoints(site: Site) -> set[str]:
    return set(site.app.config["PUBLIC_ENDPOINTS"])


def permission_of(site: Site, rule: Rule) -> str | None:
    """The permission a route's view names (None: public). Missing: AttributeError."""
    if rule.endpoint in public_endpoints(site):
        return None
    return getattr(site.app.view_functions[rule.endpoint], "permission")  # noqa: B009


def scoped(rule: Rule, permission: str | None) -> bool:
    """Whether a referent's right to this route depends on the proposal's direction."""
    return permission in SCOPED and "code" in rule.arguments


def url_for_case(rule: Rule, code: str) -> str:
    values = {}
    for name in rule.arguments:
        converter = rule._converters[name]  # the int converter needs digits
        default = "1" if type(converter).__name__ == "IntegerConverter" else "x"
        if isinstance(converter, AnyConverter):  # ``any(a, b)``: one of its values
            default = sorted(converter.items)[0]
        values[name] = code if name == "code" else PARAMETERS.get(name, default)
    url = rule.rule
    for name, value in values.items():
        # ``<name>``, ``<int:name>``, ``<any("a", "b"):name>``…
        url = re.sub(rf"<(?:[^<>:]+:)?{name}>", lambda _, v=value: v, url)
    return url


def send(site: Site, rule: Rule, method: str, url: str, username: str) -> Any:
    """One request as ``username``: bearer token for the API, session for the UI."""
    api = rule.rule.startswith("/api/v1/")
    if api:
        client = site.app.test_client()
        headers = bearer(site, username)
        if method == "GET":
            return client.get(url, headers=headers)
        return client.open(url, method=method, json={}, headers=headers)
    client = site.client(username)
    if method == "GET":
        return client.get(url)
    return client.open(url, method=method, data={})


def cases(site: Site) -> Iterator[tuple[Rule, str, str | None]]:
    """(rule, method, permission) for every non-public route of the app."""
    for rule in sorted(site.app.url_map.iter_rules(), key=lambda r: r.rule):
        permission = permission_of(site, rule)
        if permission is None:
            continue
        for method in sorted((rule.methods or set()) - SKIPPED_METHODS):
            yield rule, method, permission


def unguarded(app: Flask) -> tuple[list[str], list[str]]:
    """Routes whose view names no permission, and routes naming an unknown one."""
    missing, unknown = [], []
    public = set(app.config["PUBLIC_ENDPOINTS"])
    for rule in app.url_map.iter_rules():
        if rule.endpoint in public:
            continue
        view = app.view_functions[rule.endpoint]
        if not hasattr(view, "permission"):
            missing.append(f"{rule.rule} ({rule.endpoint})")
        elif view.permission is not None and view.permission not in PERMISSIONS:
            unknown.append(f"{rule.rule}: {view.permission}")
    return missing, unknown


def test_every_route_names_a_permission(site: Site) -> None:
    missing, unknown = unguarded(site.app)
    assert not missing, "routes without @requires or @public: " + ", ".join(missing)
    assert not unknown, "routes naming an unknown permission: " + ", ".join(unknown)


def test_a_route_added_without_a_permission_is_caught(site: Site) -> None:
    app = Flask("rogue", static_folder=None)
    app.config["PUBLIC_ENDPOINTS"] = set()
    app.add_url_rule("/oubliee", "rogue.forgotten", lambda: "")
    app.add_url_rule("/gardee", "rogue.guarded", requires("audit.view")(lambda: ""))
    app.add_url_rule("/publique", "rogue.public", public(lambda: ""))
    missing, unknown = unguarded(app)
    assert missing == ["/oubliee (rogue.forgotten)"]
    assert unknown == []
    with pytest.raises(KeyError):
        requires("audit.voir")


def test_the_route_table_is_what_the_matrix_covers(site: Site) -> None:
    checked = list(cases(site))
    assert len(checked) > 80
    endpoints = {rule.endpoint for rule, _, _ in checked}
    for expected in (
        "ui.audit",
        "ui.audit_verify",
        "api_audit.diff",
        "api_views.portfolio",
        "ui.proposal",
        "api_proposals.submit",
        "ui.portfolio",
        # issue 18's finance import: past imports, profiles, code mappings
        "ui.finance_import_reconciliation",
        "ui.finance_import_reconciliation_file",
        "ui.finance_profiles",
        "ui.finance_mappings",
        "ui.finance_mapping_remove",
        "api_finance.list_imports",
        "api_finance.import_reconciliation",
        "api_finance.list_profiles",
        "api_finance.list_mappings",
    ):
        assert expected in endpoints
    assert {m for _, m, _ in checked} >= {"GET", "POST"}


# Everything reachable without signing in. Issue 17 added the /donnees-ouvertes page,
# its files, its archive and its schemas, the password reset's two pages and the
# citizens' pages (CITIZENS, below).
PUBLIC = {
    "api-docs.openapi_json",
    "api_auth.token",
    "api_views.health",
    "static",
    "ui.accessibility",
    "ui.api_docs",
    "ui.login",
    "ui.logout",
    "ui.oidc_callback",
    "ui.oidc_login",
    "ui.open_data",
    "ui.open_data_archive",
    "ui.open_data_file",
    "ui.open_data_schema",
    "ui.password_forgotten",  # a local account asks for a reset link
    "ui.password_reset",  # ... and follows it (single-use token)
    "ui.static",
}


def test_only_the_known_routes_are_public(site: Site) -> None:
    found = {
        rule.endpoint
        for rule in site.app.url_map.iter_rules()
        if permission_of(site, rule) is None
    }
    assert found == PUBLIC | CITIZENS


def test_public_routes_answer_anonymous_visitors(site: Site) -> None:
    for rule in site.app.url_map.iter_rules():
        if permission_of(site, rule) is not None or "GET" not in (rule.methods or ()):
            continue
        url = url_for_case(rule, OWN)
        response = site.app.test_client().get(url)
        assert response.status_code not in (401, 403), url


# The citizens' pages and their JSON twin: the only routes open to anyone besides
# sign-in, health, the API's document, the accessibility statement and static files.
CITIZENS = {
    "ui.public_plan",
    "ui.public_project",
    "ui.public_decisions",
    "ui.public_checkpoint",
    "ui.public_key",
    "api_public.plan",
    "api_public.project",
    "api_public.decisions",
    "api_public.checkpoint",
}


def test_the_citizens_pages_are_public_and_only_they_are_under_public(
    site: Site,
) -> None:
    open_to_all = {
        rule.endpoint
        for rule in site.app.url_map.iter_rules()
        if permission_of(site, rule) is None
    }
    assert open_to_all >= CITIZENS
    under_public = {
        rule.endpoint
        for rule in site.app.url_map.iter_rules()
        if rule.rule.startswith(("/public", "/api/v1/public"))
    }
    assert under_public == CITIZENS
    client = site.app.test_client()
    for url in ("/public", "/public/decisions", "/api/v1/public/plan"):
        assert client.get(url).status_code == 200, url


def test_anonymous_visitors_are_sent_to_sign_in(site: Site) -> None:
    for rule, method, _permission in cases(site):
        url = url_for_case(rule, OWN)
        client = site.app.test_client()
        head = site.head()
        response = client.open(url, method=method, json={} if method != "GET" else None)
        if rule.rule.startswith("/api/"):
            assert response.status_code == 401, f"{method} {url}"
            assert response.get_json()["error"]["code"] == "unauthenticated"
        else:
            assert response.status_code == 302, f"{method} {url}"
            assert "/connexion" in response.headers["Location"]
        assert site.head() == head, f"{method} {url} wrote events"


@pytest.mark.parametrize("role", ROLES)
def test_each_route_is_allowed_or_refused_as_the_matrix_says(
    site: Site, role: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Allowed: anything but 401/403. Refused: 403, nothing written, a log line."""
    username = login(role)
    held = grants(role)
    wrong = []
    checked = 0
    for rule, method, permission in cases(site):
        assert permission is not None
        directions = [(OWN, OWN_DIRECTION), (OTHER, OTHER_DIRECTION)]
        if not scoped(rule, permission):
            directions = directions[:1]
        for code, direction in directions:
            expected = allowed(
                held, permission, direction if scoped(rule, permission) else None
            )
            url = url_for_case(rule, code)
            head = site.head()
            caplog.clear()
            with caplog.at_level(logging.WARNING, logger="sdsi.access"):
                response = send(site, rule, method, url, username)
            checked += 1
            status = response.status_code
            where = f"{role}: {method} {url} ({permission}) → {status}"
            if expected and status in (401, 403):
                wrong.append(f"{where}, expected allowed")
            elif not expected:
                if status != 403:
                    wrong.append(f"{where}, expected 403")
                elif site.head() != head:
                    wrong.append(f"{where}: a refused request wrote events")
                elif not any("denied" in r.getMessage() for r in caplog.records):
                    wrong.append(f"{where}: the refusal was not logged on sdsi.access")
            assert response.headers.get("X-Content-Type-Options") == "nosniff", where
            assert (
                "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
            )
    assert checked > 80
    assert not wrong, f"{len(wrong)} of {checked} cases differ:\n" + "\n".join(wrong)
