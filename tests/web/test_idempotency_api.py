"""``Idempotency-Key`` through the API, on both backends (issue 12, defect 7).

The same key with the same request answers the first result (200, ``replayed``) and
writes nothing; the same key with another body, path or command answers 422
``idempotency_key_reused`` and writes nothing — whatever changed, at any depth.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from tests.ledger.test_idempotency import mutated
from tests.web.ui_client import Site
from tests.web.world import OWN_DIRECTION, bearer, login, open_world
from web.api.schemas import DraftProposal
from web.security import unstorable

_unique = itertools.count(1)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    running = open_world(request, tmp_path_factory, request.param)
    yield running
    running.close()


def draft_body(n: int) -> dict[str, Any]:
    return {
        "code": f"API-{n}",
        "direction": OWN_DIRECTION,
        "title": "Tablettes pour les écoles",
        "description": "Équiper les classes de CM1 et CM2.",
        "costs": [{"year": 2026, "section": "investissement", "amount": "1000.00"}],
        "risks": [{"label": "Retard de livraison", "level": 2}],
    }


def post(site: Site, path: str, key: str, body: dict[str, Any]) -> Any:
    headers = {**bearer(site, login("dsi")), "Idempotency-Key": key}
    return site.app.test_client().post(path, headers=headers, json=body)


def test_the_same_request_twice_answers_the_first_result_and_writes_once(
    site: Site,
) -> None:
    n = next(_unique)
    first = post(site, "/api/v1/proposals", f"api-{n}", draft_body(n))
    assert first.status_code == 201, first.get_json()
    head = site.head()
    again = post(site, "/api/v1/proposals", f"api-{n}", draft_body(n))
    assert again.status_code == 200
    assert again.get_json()["replayed"] is True
    assert again.get_json()["result"] == first.get_json()["result"]
    assert site.head() == head


@pytest.mark.parametrize(
    "change",
    [
        "title",
        "nested amount",
        "a risk added",
        "another direction",
    ],
)
def test_the_same_key_with_another_body_is_refused_and_writes_nothing(
    site: Site, change: str
) -> None:
    n = next(_unique)
    body = draft_body(n)
    assert post(site, "/api/v1/proposals", f"api-{n}", body).status_code == 201
    head = site.head()
    other = {
        "title": {**body, "title": "Tablettes pour les collèges"},
        "nested amount": {
            **body,
            "costs": [{**body["costs"][0], "amount": "1000.01"}],
        },
        "a risk added": {
            **body,
            "risks": [*body["risks"], {"label": "Coût", "level": 1}],
        },
        "another direction": {**body, "direction": "EDU"},
    }[change]
    refused = post(site, "/api/v1/proposals", f"api-{n}", other)
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["code"] == "idempotency_key_reused"
    assert error["details"] == {
        "key": f"api-{n}",
        "previous": "draft_proposal",
        "command": "draft_proposal",
    }
    assert site.head() == head


def test_the_same_key_on_another_resource_or_command_is_refused(site: Site) -> None:
    n = next(_unique)
    admin = {**bearer(site, "admin"), "Idempotency-Key": f"grant-{n}"}
    client = site.app.test_client()
    body = {"role": "auditor", "reason": "renfort"}
    granted = client.post("/api/v1/accounts/u.member/grants", headers=admin, json=body)
    assert granted.status_code == 201, granted.get_json()
    head = site.head()
    elsewhere = client.post("/api/v1/accounts/u.chair/grants", headers=admin, json=body)
    revoked = client.post(
        "/api/v1/accounts/u.member/revocations", headers=admin, json=body
    )
    assert [elsewhere.status_code, revoked.status_code] == [422, 422]
    assert revoked.get_json()["error"]["details"]["previous"] == "grant_role"
    assert site.head() == head


@given(data=st.data())
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_any_change_of_the_body_under_the_same_key_is_refused(
    site: Site, data: Any
) -> None:
    n = next(_unique)
    body = draft_body(n)
    assert post(site, "/api/v1/proposals", f"gen-{n}", body).status_code == 201
    head = site.head()
    field = data.draw(st.sampled_from(sorted(body)), label="field")
    other = {**body, field: data.draw(mutated(body[field]), label="value")}
    answer = post(site, "/api/v1/proposals", f"gen-{n}", other)
    # A body the request checks and the schema accept reaches the ledger and is
    # refused as a reused key; one they refuse never gets that far. Never a replayed
    # 200, never a write.
    try:
        if unstorable(other):
            raise ValidationError(unstorable(other))
        DraftProposal().load(other)
    except ValidationError:
        expected = "invalid_fields"
    else:
        expected = "idempotency_key_reused"
    assert answer.status_code == 422, answer.get_json()
    assert answer.get_json()["error"]["code"] == expected
    assert site.head() == head
