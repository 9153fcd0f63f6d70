"""Bounded parsing: a JSON body is measured (size, nesting) before it is decoded, so no
body makes the server recurse — 10,000 nested brackets answered 500 (RecursionError),
even on the unauthenticated token endpoint."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.web.ui_client import Site
from tests.web.world import bearer, login, open_world
from web.limits import MAX_JSON_DEPTH, json_too_deep

SCALARS = st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab,:')
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(alphabet='[]{}"\\k'), inner, max_size=3)
    ),
    max_leaves=40,
)


def depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    return 0


@given(value=VALUES, limit=st.integers(0, 8), indent=st.sampled_from([None, 1]))
def test_the_depth_check_agrees_with_the_decoded_depth(
    value: Any, limit: int, indent: int | None
) -> None:
    body = json.dumps(value, indent=indent).encode()
    assert json_too_deep(body, limit) == (depth(value) > limit)


@given(
    junk=st.binary(max_size=300)
    | st.text(alphabet='[]{}"\\a\n', max_size=300).map(str.encode)
)
def test_any_bytes_are_measured_without_error(junk: bytes) -> None:
    assert json_too_deep(junk) in (True, False)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    running = open_world(request, tmp_path_factory, request.param)
    yield running
    running.close()


@pytest.mark.parametrize(
    "path", ["/api/v1/auth/token", "/api/v1/proposals", "/api/v1/sessions"]
)
@pytest.mark.parametrize("levels", [MAX_JSON_DEPTH + 1, 10_000, 200_000])
def test_deeply_nested_bodies_are_refused_with_400_and_nothing_written(
    site: Site, path: str, levels: int
) -> None:
    head = site.head()
    client = site.client()
    headers = {} if path.endswith("token") else bearer(site, login("dsi"))
    body = "[" * levels + "]" * levels
    response = client.post(
        path, data=body, headers=headers, content_type="application/json"
    )
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "json_too_deep"
    assert f"au plus {MAX_JSON_DEPTH} niveaux" in error["message"]
    assert site.head() == head


def test_a_body_within_the_depth_limit_reaches_the_schema(site: Site) -> None:
    nested: Any = "x"
    for _ in range(MAX_JSON_DEPTH - 1):
        nested = [nested]
    response = site.client().post(
        "/api/v1/auth/token", json={"username": nested, "password": "p"}
    )
    assert response.status_code == 422  # the schema's refusal, naming the field
    assert "username" in response.get_json()["error"]["details"]


def test_a_body_over_the_size_limit_is_refused_with_413(site: Site) -> None:
    response = site.client().post(
        "/api/v1/auth/token",
        data=json.dumps({"username": "a" * 3_000_000, "password": "p"}),
        content_type="application/json",
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


@pytest.mark.parametrize("path", ["/api/v1/auth/token", "/api/v1/proposals"])
def test_numbers_longer_than_any_field_are_refused_before_decoding(
    site: Site, path: str
) -> None:
    """Python's decoder refuses integers over 4,300 digits with ValueError (a 500)."""
    head = site.head()
    headers = {} if path.endswith("token") else bearer(site, login("dsi"))
    body = '{"title": ' + "9" * 5000 + "}"
    response = site.client().post(
        path, data=body, headers=headers, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "json_number_too_long"
    assert site.head() == head


def test_a_form_integer_of_thousands_of_digits_is_refused_naming_the_field(
    site: Site,
) -> None:
    from tests.web.ui_client import text

    head = site.head()
    client = site.client(login("finance"))
    response = client.post(
        "/budget/bp",
        data={
            "year": "9" * 5000,
            "section": "investissement",
            "amount": "1000",
            "deliberation": "BP",
            "on": "2026-01-05",
        },
    )
    assert response.status_code == 422  # refused in the form, not a 500
    assert "Not a valid integer" not in text(response)
    assert site.head() == head
