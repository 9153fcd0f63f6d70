"""Numbers as the API promises them, in every operation: a JSON integer where an
integer is asked (non-strict fields took ``"10"``, ``10.9`` as 10, ``"١٢"`` as 12,
``" 1"``, ``"1_0"`` as 10), ASCII digits in a query string, exact decimals never
floats (a quorum of ``1e-999999999`` stopped every view for good)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import fields

from domain.values import percent
from tests.web.ui_client import Site
from tests.web.world import OWN, bearer, login, open_world
from web.api.schemas import Base, Progress, Query, QueryInt, _leaves


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    running = open_world(request, tmp_path_factory, request.param)
    yield running
    running.close()


def _arguments(site: Site) -> list[tuple[str, str, Any]]:
    """(view, location, schema class) of every API operation's arguments."""
    out = []
    for name, view in site.app.view_functions.items():
        doc = getattr(view, "_apidoc", None) or {}
        for parameter in (doc.get("arguments") or {}).get("parameters", []):
            schema = parameter["schema"]
            out.append(
                (
                    name,
                    parameter["in"],
                    schema if isinstance(schema, type) else type(schema),
                )
            )
    return out


def _integer_leaves(schema: Base) -> list[tuple[str, fields.Field]]:
    found = []
    for name, field in schema.fields.items():
        for leaf in _leaves(field):
            if isinstance(leaf, fields.Integer):
                found.append((name, leaf))
            if isinstance(leaf, fields.Nested):
                nested = leaf.schema
                found += [(f"{name}.{n}", f) for n, f in _integer_leaves(nested)]
    return found


def test_every_operation_reads_numbers_strictly(site: Site) -> None:
    arguments = _arguments(site)
    assert len(arguments) > 80  # every API operation with arguments
    for view, location, schema_class in arguments:
        assert issubclass(schema_class, Base), view
        schema = schema_class()
        if location == "query":
            assert issubclass(schema_class, Query), (view, schema_class)
            for name, field in _integer_leaves(schema):
                assert isinstance(field, QueryInt), (view, name)
        else:
            for name, field in _integer_leaves(schema):
                assert field.strict, (view, name)


def test_a_float_or_decimal_field_cannot_be_declared_in_a_request() -> None:
    class Bad(Base):
        share = fields.Float()

    with pytest.raises(TypeError, match=r"never fields\.Float or fields\.Decimal"):
        Bad()


LAX_INTEGERS = ["10", 10.0, 10.9, "١٢", " 1", "1_0", True, "1e1"]


@settings(max_examples=25, deadline=None)
@given(value=st.sampled_from(LAX_INTEGERS))
def test_workload_days_and_cost_years_take_json_integers_only(
    site: Site, value: Any
) -> None:
    head = site.head()
    response = site.client().post(
        f"/api/v1/proposals/{OWN}/qualify",
        json={"workloads": [{"team": "DSI-ETUDES", "year": 2025, "days": value}]},
        headers=bearer(site, login("dsi")),
    )
    assert response.status_code == 422, response.get_json()
    details = response.get_json()["error"]["details"]
    assert "workloads" in details
    assert site.head() == head


@pytest.mark.parametrize(
    "quorum",
    [
        {"kind": "fraction", "value": "1e-999999999"},
        {"kind": "fraction", "value": 0.5},
        {"kind": "fraction", "value": "٠.٥"},
        {"kind": "count", "value": "1_0"},
        {"kind": "count", "value": " 2"},
    ],
)
def test_a_quorum_takes_exact_decimals_only(site: Site, quorum: dict[str, Any]) -> None:
    head = site.head()
    response = site.client().post(
        "/api/v1/sessions",
        json={
            "code": "Q1",
            "title": "t",
            "on": "2026-12-01",
            "voting": [login("member")],
            "quorum": quorum,
        },
        headers=bearer(site, login("chair")),
    )
    assert response.status_code == 422, response.get_json()
    assert "quorum" in response.get_json()["error"]["details"]
    assert site.head() == head


@pytest.mark.parametrize(
    "percent",
    ["5e1", "٥٠", "4_2", 41.5, " 40 ", "1e-5", "-0", "100.000", "40.5000", "+40"],
)
def test_progress_takes_exact_decimals_only(site: Site, percent: Any) -> None:
    head = site.head()
    response = site.client().post(
        f"/api/v1/proposals/{OWN}/progress",
        json={"percent": percent},
        headers=bearer(site, login("dsi")),
    )
    assert response.status_code == 422, response.get_json()
    assert "percent" in response.get_json()["error"]["details"]
    assert site.head() == head


@pytest.mark.parametrize(
    ("percent", "read"), [("42,5", "42.5"), ("100", "100"), (0, "0"), (100, "100")]
)
def test_progress_reads_a_plain_percentage(percent: Any, read: str) -> None:
    """The grammar of every percentage (``domain.values.PERCENT_TEXT``), integers
    too, read by the schema before its range check."""
    assert Progress().load({"percent": percent}) == {"percent": Decimal(read)}


def test_a_percentage_is_never_negative_zero() -> None:
    assert str(percent(Decimal("-0"), "progress")) == "0.00"


@pytest.mark.parametrize(
    "query", ["year=٢٠٢٥", "year=%202025", "year=2_025", "year=2025.0", "year=2e3"]
)
def test_query_integers_are_ascii_digits(site: Site, query: str) -> None:
    response = site.client().get(
        f"/api/v1/budget?{query}", headers=bearer(site, login("finance"))
    )
    assert response.status_code == 422, response.get_json()
    assert "year" in response.get_json()["error"]["details"]
