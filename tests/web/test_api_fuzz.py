"""No 500 for anything a client sends: random JSON bodies, query strings and path
values against every API route, with a token holding every role, on both backends.

Every answer is below 500, and every error carries the one error shape.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema
from werkzeug.routing import Rule

from ledger.core import Caller
from tests.conftest import ci_sized
from tests.web.ui_client import Site
from tests.web.world import (
    OTHER,
    OWN,
    OWN_DIRECTION,
    PASSWORD,
    SPARE,
    bearer,
    open_world,
)
from web.api import schemas

EVERYONE = "u.all"
EXAMPLES_PER_ROUTE = ci_sized(12, 8)  # fewer under CI=true (tests/conftest.py)
# Routes whose valid calls run the optimiser (seconds each): fuzzed with invalid data.
SLOW = ("/scenarios",)


def field_names() -> list[str]:
    """Every field name the API's request schemas know, to reach deep validation."""
    names: set[str] = set()
    for value in vars(schemas).values():
        if (
            isinstance(value, type)
            and issubclass(value, Schema)
            and value is not Schema
        ):
            names.update(f.data_key or n for n, f in value._declared_fields.items())
    return sorted(names)


FIELDS = field_names()
text = st.text(max_size=12)
# Text no database can store: it must be refused, never reach SQL (or the ledger).
hazards = st.sampled_from(["\x00", "a\x00b", "\ud800", "x\udfff"])
awkward = hazards | st.sampled_from(
    [
        "",
        " ",
        "é",
        "0",
        "-1",
        "1e309",
        "NaN",
        "null",
        "true",
        "position:",
        "position:1",
        "position:-1",
        "position:99999999999999999999",
        "2024-02-30",
        "2024-01-01T00:00:00+25:00",
        "9999-12-31T23:59:59Z",
        "../../etc/passwd",
        "%",
        "a/b",
        "'; DROP TABLE events; --",
        "x" * 300,
        OWN,
        OTHER,
        OWN_DIRECTION,
        "investissement",
    ]
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | text
    | awkward
    | awkward
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(FIELDS) | text, inner, max_size=5)
    ),
    max_leaves=12,
)
bodies = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=8) | json_values
queries = st.dictionaries(
    st.sampled_from([*FIELDS, "as_of", "from", "to", "limit", "offset"]) | text,
    st.integers(-5, 10**6).map(str) | text | awkward | awkward,
    max_size=5,
)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    running = open_world(request, tmp_path_factory, request.param)
    roles = [
        (r, None)
        for r in ("dsi", "evaluator", "member", "chair", "finance", "auditor", "admin")
    ]
    running.ledger.add_user(
        Caller(actor="admin", reason="tests"),
        EVERYONE,
        "Tous les rôles",
        PASSWORD,
        roles=[("referent", OWN_DIRECTION), *roles],
    )
    running.caught_up()
    running.app.config["PROPAGATE_EXCEPTIONS"] = False  # a 500 is an answer here
    yield running
    running.close()


def api_rules(site: Site) -> list[tuple[Rule, str]]:
    return sorted(
        (
            (rule, method)
            for rule in site.app.url_map.iter_rules()
            if rule.rule.startswith("/api/v1/")
            for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
        ),
        key=lambda rm: (rm[0].rule, rm[1]),
    )


def path_value(name: str, converter: str) -> st.SearchStrategy[str]:
    if converter == "IntegerConverter":
        return st.integers(0, 10**15).map(str)
    known = {
        "code": [OWN, OTHER],
        "username": [SPARE],
        "milestone": ["M1"],
        "phase": ["cadrage", "diagnostic_si"],
    }.get(name, [])
    hostile = (text | awkward | awkward).map(
        lambda v: quote(v, safe="", errors="surrogatepass")
    )
    return st.sampled_from(known) | hostile if known else hostile


def check_answer(response: Any, where: str) -> None:
    assert response.status_code < 500, (
        f"{where} → {response.status_code}: " + response.get_data(as_text=True)[:500]
    )
    if response.status_code >= 400:
        body = response.get_json(silent=True)
        assert isinstance(body, dict) and set(body) == {"error"}, f"{where}: {body!r}"
        assert set(body["error"]) == {"code", "message", "details"}, where
        assert isinstance(body["error"]["details"], dict), where


def fuzzer(client: Any, headers: dict[str, str], rule: Rule, method: str) -> Any:
    """A hypothesis test of one route and method."""
    converters = {n: type(c).__name__ for n, c in rule._converters.items()}
    slow = any(part in rule.rule for part in SLOW) and method == "POST"

    @settings(
        max_examples=EXAMPLES_PER_ROUTE,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def call(data: st.DataObject) -> None:
        url = rule.rule
        for name, conv in converters.items():
            value = data.draw(path_value(name, conv), label=name)
            url = url.replace(f"<{name}>", value).replace(f"<int:{name}>", value)
        query = data.draw(queries, label="query")
        if query:
            url += "?" + urlencode(query, errors="surrogatepass")
        if method == "GET":
            response = client.get(url, headers=headers)
        else:
            kind = data.draw(st.sampled_from(["json", "raw", "form"]), label="kind")
            if kind == "json":
                body = data.draw(bodies, label="body")
                if slow and isinstance(body, dict):
                    body["time_limit"] = "pas un nombre"  # never a real solve
                response = client.open(url, method=method, json=body, headers=headers)
            elif kind == "raw":
                raw = data.draw(st.binary(max_size=40), label="raw")
                response = client.open(
                    url,
                    method=method,
                    data=raw,
                    headers={**headers, "Content-Type": "application/json"},
                )
            else:
                form = data.draw(st.dictionaries(text, text, max_size=3), label="form")
                response = client.open(url, method=method, data=form, headers=headers)
        check_answer(response, f"{method} {url}")

    return call


def test_no_answer_is_a_server_error_whatever_the_client_sends(site: Site) -> None:
    headers = bearer(site, EVERYONE)
    client = site.app.test_client()
    rules = api_rules(site)
    assert len(rules) > 50
    failures = []
    for rule, method in rules:
        try:
            fuzzer(client, headers, rule, method)()
        except AssertionError as exc:
            failures.append(f"{method} {rule.rule}: {exc}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/proposals/a%00b",
        "/api/v1/audit?actor=a%00b",
        "/api/v1/portfolio?status=%00",
        "/api/v1/sessions/%00",
        "/api/v1/audit/diff?a=%00&b=position:1",
    ],
)
def test_text_no_database_can_store_is_refused_with_422(site: Site, url: str) -> None:
    response = site.app.test_client().get(url, headers=bearer(site, EVERYONE))
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid_fields"


def test_a_nul_character_in_a_command_is_refused_and_writes_nothing(site: Site) -> None:
    head = site.head()
    for title in ("a\x00b", "a\ud800b"):
        response = site.app.test_client().post(
            "/api/v1/proposals",
            headers=bearer(site, EVERYONE),
            json={
                "code": "P-NUL",
                "direction": OWN_DIRECTION,
                "title": title,
                "description": "x",
            },
        )
        assert response.status_code == 422
        assert "title" in response.get_json()["error"]["details"]
    assert site.head() == head
    assert site.read_model.current_position() == head
