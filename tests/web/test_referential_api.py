"""The reference data's API operations refuse hostile input naming the field, and write
nothing — generated, on both backends.

Each case takes one operation with a body that would be accepted, replaces one field
with a value of no kind that field takes (another type, out of range, empty, too long,
control characters, lone surrogates, exponents, a float for a decimal, a wrong key of
an identifier…) and checks the answer: 422, the field named (by the schema, or by the
ledger's ``details.field``), nothing written. The reads answer their records with
``as_of`` and their history.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.errors import InvalidValue
from domain.municipality import insee_code, siren, siret
from ledger.core import Caller
from tests.web.ui_client import Site
from tests.web.world import bearer, open_world

EVERYONE = "u.reference"
TODAY = datetime.now(UTC).date().isoformat()
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}$")
_n = iter(range(1, 10**9))


def valid(check: Any, value: Any) -> bool:
    try:
        check(value)
    except InvalidValue:
        return False
    return True


other_types = st.one_of(
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
unstorable = st.sampled_from(["a\x00b", "\ud800", "x\udfff", "\x07bip"])
FIELD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "code": other_types
    | st.none()
    | unstorable
    | st.text(max_size=50).filter(lambda t: not CODE.fullmatch(t)),
    "text": other_types
    | st.none()
    | unstorable
    | st.sampled_from(["", " ", "\t\n", "x" * 201]),
    "year": st.one_of(
        st.integers().filter(lambda y: not 2000 <= y <= 2100),
        st.floats(),
        st.text(max_size=6),
        st.booleans(),
        st.none(),
    ),
    "siren": other_types
    | st.none()
    | st.text(max_size=14).filter(lambda t: not valid(siren, t)),
    "siret": other_types
    | st.none()
    | st.text(min_size=1, max_size=16).filter(lambda t: not valid(siret, t)),
    "insee": other_types
    | st.none()
    | st.text(max_size=7).filter(lambda t: not valid(insee_code, t)),
    "decimal": st.one_of(
        st.floats(),
        st.booleans(),
        st.none(),
        st.lists(st.integers(), max_size=2),
        st.sampled_from(["", "1e5", "NaN", "1_000", " 1", "١٢", "1.2.3", "--1", "∞"]),
    ),
    "date": other_types
    | st.none()
    | st.sampled_from(["", "2024-02-30", "31/12/2026", "2026-13-01", "demain"]),
    "days": st.one_of(
        st.integers(max_value=-1),
        st.integers(min_value=100_001),
        st.floats(),
        st.text(max_size=5),
        st.booleans(),
        st.none(),
    ),
    "bool": st.sampled_from(["peut-être", "2", "", [], {}, 1.5, None]),
    "kind": other_types
    | st.none()
    | st.text(max_size=10).filter(
        lambda t: t not in ("elu", "dgs", "dga", "dsi", "expert")
    ),
    "team_kind": other_types
    | st.none()
    | st.text(max_size=10).filter(lambda t: t not in ("dsi", "business")),
    "reason": other_types | st.none() | st.sampled_from(["", "x" * 2001]),
    "reason_optional": other_types | st.sampled_from(["x" * 2001]),
}


def fresh() -> str:
    return f"R{next(_n)}"


# (method, path, a body that would be accepted, field → kind of hostile values)
def operations() -> list[tuple[str, str, Any, dict[str, str]]]:
    identity = {"name": "Ville", "siren": "217500016", "insee": "75056", "siret": ""}
    return [
        ("POST", "/municipality", lambda: identity,
         {"name": "text", "siren": "siren", "insee": "insee", "siret": "siret",
          "reason": "reason_optional"}),
        ("PUT", "/municipality", lambda: {**identity, "reason": "correction"},
         {"name": "text", "siren": "siren", "insee": "insee", "siret": "siret",
          "reason": "reason"}),
        ("POST", "/plan", lambda: {"name": "SDSI", "first_year": 2024, "last_year": 2029},
         {"name": "text", "first_year": "year", "last_year": "year"}),
        ("POST", "/plan/rename", lambda: {"name": "SDSI 2", "reason": "titre"},
         {"name": "text", "reason": "reason"}),
        ("POST", "/plan/phases/cadrage/schedule",
         lambda: {"planned_start": "2024-01-01", "planned_end": "2024-02-01"},
         {"planned_start": "date", "planned_end": "date"}),
        ("POST", "/plan/phases/revue_documentaire/start", lambda: {"on": TODAY},
         {"on": "date"}),
        ("POST", "/organisation/poles", lambda: {"code": fresh(), "name": "Pôle"},
         {"code": "code", "name": "text", "reason": "reason_optional"}),
        ("POST", "/organisation/poles/PDG/rename", lambda: {"name": "Pôle DG", "reason": "r"},
         {"name": "text", "reason": "reason"}),
        ("POST", "/organisation/poles/PDG/close", lambda: {"reason": "r"}, {"reason": "reason"}),
        ("POST", "/organisation/directions",
         lambda: {"code": fresh(), "name": "Direction", "pole": "PDG"},
         {"code": "code", "name": "text", "pole": "code"}),
        ("POST", "/organisation/directions/EDU/rename",
         lambda: {"name": "Éducation", "reason": "r"}, {"name": "text", "reason": "reason"}),
        ("POST", "/organisation/directions/EDU/move", lambda: {"pole": "PDG", "reason": "r"},
         {"pole": "code", "reason": "reason"}),
        ("POST", "/organisation/directions/EDU/close", lambda: {"reason": "r"},
         {"reason": "reason"}),
        ("POST", "/organisation/teams",
         lambda: {"code": fresh(), "name": "Équipe", "kind": "dsi"},
         {"code": "code", "name": "text", "kind": "team_kind", "direction": "code"}),
        ("POST", "/organisation/teams/T-REF/rename", lambda: {"name": "Équipe", "reason": "r"},
         {"name": "text", "reason": "reason"}),
        ("POST", "/organisation/teams/T-REF/close", lambda: {"reason": "r"},
         {"reason": "reason"}),
        ("PUT", "/organisation/teams/T-REF/capacity/2026", lambda: {"days": 100},
         {"days": "days", "reason": "reason_optional"}),
        ("POST", "/axes", lambda: {"code": fresh(), "label": "Axe"},
         {"code": "code", "label": "text"}),
        ("POST", "/axes/A-REF/rename", lambda: {"label": "Axe", "reason": "r"},
         {"label": "text", "reason": "reason"}),
        ("POST", "/axes/A-REF/close", lambda: {"reason": "r"}, {"reason": "reason"}),
        ("POST", "/axes/A-REF/indicators",
         lambda: {"code": fresh(), "label": "Indicateur", "unit": "%", "baseline": "1",
                  "target": "2", "target_year": 2028},
         {"code": "code", "label": "text", "unit": "text", "baseline": "decimal",
          "target": "decimal", "target_year": "year"}),
        ("POST", "/indicators/I-REF/rename", lambda: {"label": "Indicateur", "reason": "r"},
         {"label": "text", "reason": "reason"}),
        ("POST", "/indicators/I-REF/close", lambda: {"reason": "r"}, {"reason": "reason"}),
        ("PUT", "/indicators/I-REF/targets/2027", lambda: {"value": "3"},
         {"value": "decimal", "reason": "reason_optional"}),
        ("POST", "/committee/members",
         lambda: {"username": "u.member", "kind": "elu", "voting": True},
         {"kind": "kind", "voting": "bool", "reason": "reason_optional"}),
        ("PUT", "/committee/members/u.chair", lambda: {"kind": "dgs", "voting": True,
                                                       "reason": "r"},
         {"kind": "kind", "voting": "bool", "reason": "reason"}),
        ("POST", "/committee/members/u.chair/remove", lambda: {"reason": "r"},
         {"reason": "reason"}),
    ]  # fmt: skip


OPERATIONS = operations()
CASES = [
    (i, field) for i, (_m, _p, _b, fields) in enumerate(OPERATIONS) for field in fields
]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    running = open_world(request, tmp_path_factory, request.param)
    led = running.ledger
    admin = Caller("admin", reason="tests")
    roles = [(r, None) for r in ("dsi", "chair", "member", "admin")]
    led.add_user(admin, EVERYONE, "Référentiel", "mot-de-passe-test-1", roles=roles)
    led.define_municipality(admin, "Ville", "217500016", "75056")
    led.create_team(admin, "T-REF", "Équipe", "dsi", capacity={2026: 100})
    led.create_axis(admin, "A-REF", "Axe")
    led.create_indicator(admin, "I-REF", "A-REF", "Indicateur", "%", 1, 2, 2028)
    led.appoint_committee_member(admin, "u.chair", "dgs", True)
    running.caught_up()
    yield running
    running.close()


def named(body: dict[str, Any], field: str) -> bool:
    details = body["error"]["details"]
    return field in details or details.get("field") == field


@settings(
    max_examples=160,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_hostile_field_is_refused_naming_it_and_nothing_is_written(
    site: Site, data: st.DataObject
) -> None:
    i, field = data.draw(st.sampled_from(CASES), label="case")
    method, path, body, fields = OPERATIONS[i]
    value = data.draw(FIELD_VALUES[fields[field]], label=field)
    sent = {**body(), field: value}
    head = site.head()
    response = site.app.test_client().open(
        "/api/v1" + path, method=method, json=sent, headers=bearer(site, EVERYONE)
    )
    answer = response.get_json()
    assert response.status_code == 422, (method, path, field, value, answer)
    assert named(answer, field), (method, path, field, value, answer)
    assert site.head() == head


def test_each_case_is_possible_when_the_field_is_right(site: Site) -> None:
    """The bodies the cases start from are accepted (the refusals above are the
    field's), then the records read back with their history."""
    client = site.app.test_client()
    headers = bearer(site, EVERYONE)
    accepted = []
    for method, path, body, _fields in OPERATIONS:
        response = client.open(
            "/api/v1" + path, method=method, json=body(), headers=headers
        )
        code = (
            response.get_json()["error"]["code"]
            if response.status_code >= 400
            else None
        )
        accepted.append((method, path, response.status_code, code))
    refused = {
        ("POST", "/municipality"): "already_exists",  # defined once, by the fixture
        ("POST", "/plan"): "already_exists",  # defined once, by the world
        ("POST", "/organisation/poles/PDG/close"): "pole_has_open_directions",
        ("PUT", "/organisation/teams/T-REF/capacity/2026"): "record_closed",
        ("POST", "/axes/A-REF/close"): "axis_has_open_indicators",
        ("PUT", "/indicators/I-REF/targets/2027"): "record_closed",
    }
    wrong = [
        (m, p, status, code)
        for m, p, status, code in accepted
        if (status, code)
        != ((409, refused[(m, p)]) if (m, p) in refused else (201, None))
    ]
    assert wrong == []
    site.caught_up()
    team = client.get("/api/v1/organisation/teams/T-REF", headers=headers).get_json()
    assert team["status"] == "closed"
    assert [e["event_type"] for e in team["history"]][-1] == "Team.Created"
    members = client.get("/api/v1/committee/members", headers=headers).get_json()
    assert [(m["username"], m["sitting"]) for m in members["members"]] == [
        ("u.member", True),
        ("u.chair", False),
    ]
    town = client.get("/api/v1/municipality", headers=headers).get_json()
    position = town["history"][-1]["position"]
    past = client.get(
        f"/api/v1/municipality?as_of=position:{position}", headers=headers
    ).get_json()
    assert past["municipality"]["name"] == "Ville"
    assert [e["event_type"] for e in past["history"]] == ["Municipality.Defined"]
