"""Amounts through the JSON API, on both backends.

Every amount field of every command is found in ``/api/v1/openapi.json`` (the
``x-sdsi-money`` mark of ``web.api.schemas.Money``, in nested rows too) and must
refuse, naming itself, anything but a decimal string ``-?[0-9]+(\\.[0-9]{1,2})?``
(minus only where negative amounts are allowed) or an integer: exponents,
underscores, signs, spaces, other digits, three decimals, empty, huge texts, floats,
booleans, lists — and write nothing. Valid amounts are recorded and read back exactly.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.values import AMOUNT_EXPECTED
from ledger.core import Caller
from tests.amounts import (
    DECIMALS,
    FORMAT,
    HUGE,
    MAX_CENTS,
    NEGATIVE,
    api_amounts,
    bad_api_amounts,
    value_of,
)
from tests.web.ui_client import Site
from tests.web.world import PASSWORD, bearer, open_world
from web.api.schemas import FLOAT_REFUSED, NOT_AN_AMOUNT

EVERYONE = "u.amounts"
REASONS = {
    FORMAT: AMOUNT_EXPECTED,
    DECIMALS: "au plus 2 décimales",
    NEGATIVE: "montant négatif",
    HUGE: "montant démesuré",
}
# Amount fields the walk must at least find (a new one is found and covered alike).
KNOWN = {
    ("POST", "/api/v1/proposals", "costs.*.amount"),
    ("POST", "/api/v1/proposals/{code}/amend", "costs.*.amount"),
    ("POST", "/api/v1/proposals/{code}/qualify", "costs.*.amount"),
    ("POST", "/api/v1/sessions/{code}/decisions", "ap_amount"),
    ("POST", "/api/v1/sessions/{code}/decisions", "cp.*.amount"),
    ("POST", "/api/v1/budget/envelopes", "amount"),
    ("POST", "/api/v1/budget/adjustments", "delta"),
    ("POST", "/api/v1/projects/{code}/ap-revisions", "ap_amount"),
    ("POST", "/api/v1/projects/{code}/ap-revisions", "cp.*.amount"),
    ("POST", "/api/v1/projects/{code}/commitments", "amount"),
    ("POST", "/api/v1/projects/{code}/payments", "amount"),
}
AMOUNT_LIKE = re.compile(r"amount|delta|montant")
REFERENCES = itertools.count(1)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    running = open_world(request, tmp_path_factory, request.param)
    admin = Caller(actor="admin", reason="tests")
    roles = [(r, None) for r in ("dsi", "chair", "finance", "member", "admin")]
    running.ledger.add_user(admin, EVERYONE, "Tous les rôles", PASSWORD, roles=roles)
    running.ledger.vote_budget(
        Caller(actor=EVERYONE),
        2026,
        "investissement",
        "900000000000.00",
        "BP 2026",
        "2025-12-15",
    )
    running.caught_up()
    yield running
    running.close()


def money_fields(doc: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    """(method, path, field, signed) of every amount field of every request body;
    ``field`` is dotted, ``*`` for the rows of a list."""
    schemas = doc["components"]["schemas"]

    def resolve(schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
        return schema

    def walk(schema: dict[str, Any], prefix: str) -> Iterator[tuple[str, bool]]:
        schema = resolve(schema)
        if schema.get("type") == "array":
            yield from walk(schema["items"], f"{prefix}*.")
        for name, prop in schema.get("properties", {}).items():
            prop = resolve(prop)
            if prop.get("x-sdsi-money"):
                yield prefix + name, prop["pattern"].startswith("^-?")
            else:
                assert not AMOUNT_LIKE.search(name) or prop.get("type") in (
                    "array",
                    "object",
                ), f"{prefix}{name}: an amount not read as one ({prop})"
                yield from walk(prop, f"{prefix}{name}.")

    found = []
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method not in ("post", "put", "patch"):
                continue
            body = operation.get("requestBody")
            if not body:
                continue
            for media_type, content in body["content"].items():
                fields = list(walk(content["schema"], ""))
                if media_type == "application/json":
                    found += [(method.upper(), path, f, s) for f, s in fields]
                else:
                    # A multipart upload (attachments) is walked too, so that an
                    # amount-like name there still fails above; the sweep below
                    # sends JSON bodies only, so such a body must carry no amount.
                    assert fields == [], f"{method} {path} ({media_type}): {fields}"
    return found


def body_with(field: str, value: Any) -> dict[str, Any]:
    """A body holding ``value`` at ``field`` (``cp.*.amount``: in the first row)."""
    head, _, rest = field.partition(".")
    if not rest:
        return {head: value}
    if rest.startswith("*."):
        return {head: [body_with(rest[2:], value)]}
    return {head: body_with(rest, value)}


def error_at(details: Any, field: str) -> Any:
    """The messages of ``field`` in the error details (rows keyed by their index)."""
    for key in field.split("."):
        details = details["0" if key == "*" else key]
    return details


def concrete(path: str) -> str:
    """A URL of the operation (path parameters: names the world holds)."""
    return (
        path.replace("{code}", "P-OWN")
        .replace("{number}", "1")
        .replace("{username}", "u.spare")
    )


def test_the_walk_finds_every_amount_field(site: Site) -> None:
    doc = site.app.test_client().get("/api/v1/openapi.json").get_json()
    found = money_fields(doc)
    assert {(m, p, f) for m, p, f, _signed in found} >= KNOWN
    assert [f for m, p, f, signed in found if signed] == ["delta"]


def not_amounts(signed: bool) -> st.SearchStrategy[tuple[Any, str]]:
    """What a JSON body may hold that is not an amount, and the message it gets."""
    texts = bad_api_amounts(signed).map(lambda bad: (bad[0], REASONS[bad[1]]))
    others = st.one_of(
        st.floats(allow_nan=False, allow_infinity=False).map(
            lambda f: (f, FLOAT_REFUSED)
        ),
        st.sampled_from([True, False, [], ["1.00"], {"amount": "1.00"}]).map(
            lambda v: (v, NOT_AN_AMOUNT)
        ),
        st.integers(MAX_CENTS // 100 + 1, 10**30).map(lambda n: (n, REASONS[HUGE])),
    )
    negative_ints = st.integers(-(10**6), -1).map(lambda n: (n, REASONS[NEGATIVE]))
    return texts | others | (st.nothing() if signed else negative_ints)


def test_every_amount_field_refuses_what_is_not_an_amount_and_writes_nothing(
    site: Site,
) -> None:
    doc = site.app.test_client().get("/api/v1/openapi.json").get_json()
    for method, path, field, signed in money_fields(doc):
        refuses(site, method, path, field, signed)


def refuses(site: Site, method: str, path: str, field: str, signed: bool) -> None:
    """Generated values that are not amounts, sent in ``field`` of the operation."""
    client, headers = site.app.test_client(), bearer(site, EVERYONE)

    @settings(
        max_examples=8,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(bad=not_amounts(signed))
    def check(bad: tuple[Any, str]) -> None:
        value, message = bad
        head = site.head()
        response = client.open(
            concrete(path), method=method, json=body_with(field, value), headers=headers
        )
        assert response.status_code == 422, (path, field, value)
        error = response.get_json()["error"]
        assert error["code"] == "invalid_fields"
        assert error_at(error["details"], field) == [message], (path, value)
        assert site.head() == head

    check()


@settings(
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(
    delta=api_amounts(1, 10**11, signed=True)
    | st.integers(-(10**9), 10**9).filter(bool).map(lambda n: (n, Decimal(n))),
    cost=api_amounts(0, MAX_CENTS)
    | st.integers(0, 10**12).map(lambda n: (n, Decimal(n))),
)
def test_amounts_are_recorded_and_read_back_exactly(
    site: Site, delta: tuple[Any, Decimal], cost: tuple[Any, Decimal]
) -> None:
    client, ref = site.app.test_client(), f"R{next(REFERENCES)}"
    headers = bearer(site, EVERYONE)
    adjusted = client.post(
        "/api/v1/budget/adjustments",
        json={
            "year": 2026,
            "section": "investissement",
            "delta": delta[0],
            "deliberation": f"DM {ref}",
            "on": "2026-06-30",
        },
        headers=headers,
    )
    assert adjusted.status_code == 201, adjusted.get_json()
    moves = client.get("/api/v1/budget/moves", headers=headers).get_json()["moves"]
    (move,) = [m for m in moves if m["deliberation"] == f"DM {ref}"]
    assert move["amount"] == f"{delta[1]:.2f}"
    drafted = client.post(
        "/api/v1/proposals",
        json={
            "code": f"X{ref}",
            "direction": "DSN",
            "title": "Projet",
            "description": "Saisi par l'API.",
            "costs": [{"year": 2026, "section": "investissement", "amount": cost[0]}],
        },
        headers=headers,
    )
    assert drafted.status_code == 201, drafted.get_json()
    doc = client.get(f"/api/v1/proposals/X{ref}", headers=headers).get_json()
    assert [value_of(c["amount_c"]) for c in doc["costs"]] == [cost[1]]
