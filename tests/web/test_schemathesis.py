"""schemathesis over /api/v1/openapi.json, against the WSGI app on the demo data,
with a real token for each role, on both backends.

Every operation gets data that fits its schema (random path values, then the demo's
real proposals, sessions, grids…) and data that does not; every answer, for every
role, must be no server error, carry a documented status code and content type, and
match the documented response schema.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ledger.app import open_ledger
from ledger.core import Caller
from ledger.sealing import Sealer
from projections import queries as q
from tests.conftest import ci_sized, make_settings
from tests.demo_template import demo_copy
from tests.web.ui_client import Site, open_site
from tests.web.world import bearer
from web.access import allowed

# One real account per role in the demo municipality.
ACCOUNTS = {
    "referent": "ref.dsn",
    "dsi": "dsi.leroy",
    "evaluator": "eval.petit",
    "member": "elu.dubois",
    "chair": "dgs.lefebvre",
    "finance": "fin.garnier",
    "auditor": "audit.crc",
    "admin": "admin.sdsi",
}
SPARE = "compte.reserve"  # the <username> of account routes: nobody signs in as it
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Cases per operation and generation mode; fewer under CI=true (tests/conftest.py).
EXAMPLES = {
    GenerationMode.POSITIVE: ci_sized(6, 4),
    GenerationMode.NEGATIVE: ci_sized(5, 3),
}
REAL_EXAMPLES = ci_sized(6, 4)
# Operations that verify the whole ledger or run the optimiser many times: fewer cases.
EXPENSIVE = {
    "POST /api/v1/audit/verification": 2,
    "GET /api/v1/scenarios/robustness": 2,
    "GET /api/v1/scenarios/frontier": 2,
    "POST /api/v1/scenarios": 3,
}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    """The demo municipality, sealed, behind the app (once per backend)."""
    tmp = tmp_path_factory.mktemp(f"schemathesis-{request.param}")
    # A copy of the demo, projected (tests/demo_template.py)
    url = demo_copy(request, str(request.param), tmp, "projected")
    settings_ = make_settings(tmp / "data", url)
    led = open_ledger(settings_)
    running = open_site(settings_, led)
    led.add_user(
        Caller(actor="admin", reason="tests"),
        SPARE,
        "Réserve",
        "reserve-password-1",
        roles=[("member", None)],
    )
    # a question on the first proposal: the comment routes get a real comment id
    first = q.portfolio(running.read_model.store)[0]["code"]
    led.post_comment(
        Caller(actor="dsi.leroy"), "proposal", first, kind="question", body="Délai ?"
    )
    Sealer(led).checkpoint_now("tests")
    running.caught_up()
    running.app.config["PROPAGATE_EXCEPTIONS"] = False  # a 500 is an answer here
    yield running
    running.close()


def real_values(site: Site) -> dict[str, list[Any]]:
    """Path values naming what the demo holds, per first path segment and parameter."""
    store = site.read_model.store
    portfolio = q.portfolio(store)
    funded = [p["code"] for p in portfolio if p["ap"] is not None]
    sessions = [s["code"] for s in q.sessions(store)]
    return {
        "proposals/code": [portfolio[0]["code"], funded[0], funded[-1]],
        "projects/code": funded[:3],
        "public/code": funded[:3],  # /public/projects/{code}: decided projects
        "sessions/code": [sessions[0], sessions[-1]],
        "integrity/position": [1, 100, site.head()],
        "grids/number": [1, 2, 3],
        "indicators/code": [q.axes(store)[0]["indicators"][0]["code"]],
        "accounts/username": [SPARE],
        "scenarios/code": ["S-INCONNU"],
        "proposals/milestone": ["MEP"],
        "proposals/comment_id": [
            t["id"]
            for t in q.discussion(
                store, "proposal", portfolio[0]["code"], internal=True
            )
        ],
    }


def real_strategy(operation: Any, values: dict[str, list[Any]]) -> Any:
    """Cases fitting the schema whose path names real records (None: no path values)."""
    names = [p.name for p in operation.path_parameters]
    if not names:
        return None
    segment = operation.path.removeprefix("/api/v1/").split("/")[0]
    choices = [values.get(f"{segment}/{name}", []) for name in names]
    if not all(choices):
        return None
    combos: list[dict[str, Any]] = [{}]
    for name, options in zip(names, choices, strict=True):
        combos = [{**c, name: v} for c in combos for v in options]
    return st.one_of([operation.as_strategy(path_parameters=c) for c in combos])


def permission_of(site: Site, operation: Any) -> str | None:
    """The permission of the view serving ``operation`` (None: public)."""
    path = operation.path
    for parameter in operation.path_parameters:
        path = path.replace("{" + parameter.name + "}", "1")
    endpoint, _ = site.app.url_map.bind("localhost").match(
        path, operation.method.upper()
    )
    return getattr(site.app.view_functions[endpoint], "permission", None)


def senders(
    site: Site, operation: Any, tokens: dict[str, dict[str, str]]
) -> list[list[Any]]:
    """Who sends each case: every role in turn, each time with a role allowed to act
    (so refusals and real work are both checked, without 8 requests per case)."""
    permission = permission_of(site, operation)
    roles = list(ACCOUNTS)
    if permission is None:
        return [[tokens[role]] for role in roles]
    store = site.read_model.store
    able = [
        role
        for role in roles
        if allowed(q.account(store, ACCOUNTS[role])["roles"], permission)
    ] or roles
    return [
        [tokens[role]]
        + ([tokens[able[i % len(able)]]] if able[i % len(able)] != role else [])
        for i, role in enumerate(roles)
    ]


def exercise(strategy: Any, examples: int, who: list[list[Any]]) -> None:
    """Run ``examples`` cases of ``strategy``, sent by the senders in turn."""
    turn = itertools.count()

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        for headers in who[next(turn) % len(who)]:
            case.call_and_validate(headers=headers, checks=CHECKS)

    run()


def test_every_operation_conforms_to_the_openapi_document_for_every_role(
    site: Site,
) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", site.app)
    tokens = {role: bearer(site, login) for role, login in ACCOUNTS.items()}
    values = real_values(site)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        label = f"{operation.method.upper()} {operation.path}"
        cap = EXPENSIVE.get(label)
        strategies = [
            (operation.as_strategy(generation_mode=mode), cap or n)
            for mode, n in EXAMPLES.items()
        ]
        real = real_strategy(operation, values)
        if real is not None:
            strategies.append((real, cap or REAL_EXAMPLES))
        who = senders(site, operation, tokens)
        for strategy, examples in strategies:
            try:
                exercise(strategy, examples, who)
            except Exception as exc:  # a failing check: report them all at once
                failures.append(f"{label}: {exc}")
                break
    assert operations > 60
    assert not failures, f"{len(failures)} operation(s) fail:\n\n" + "\n\n".join(
        failures
    )


def test_the_document_describes_real_responses_and_the_one_error_shape(
    site: Site,
) -> None:
    doc = site.app.test_client().get("/api/v1/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    error = schemas["ErrorResponse"]
    assert error["required"] == ["error"]
    assert set(schemas["ErrorDetail"]["required"]) == {"code", "message", "details"}
    for name in ("DEFAULT_ERROR", "UNPROCESSABLE_ENTITY"):
        ref = doc["components"]["responses"][name]["content"]["application/json"][
            "schema"
        ]
        assert ref == {"$ref": "#/components/schemas/ErrorResponse"}
    undocumented = []
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation["responses"]
            ok = responses.get("200") or responses.get("201") or responses.get("204")
            if not ok or ("content" not in ok and "204" not in responses):
                undocumented.append(f"{method.upper()} {path}")
            public = path.startswith("/api/v1/public/")  # the citizens' pages
            if path != "/api/v1/health" and "auth/token" not in path and not public:
                assert (
                    "401" in operation["responses"]
                    or "default" in operation["responses"]
                )
    assert not undocumented, "answers without a schema: " + ", ".join(undocumented)
    portfolio = schemas["PortfolioRow"]["properties"]
    assert (
        portfolio["value"]["type"] == "string"
        and portfolio["value"]["nullable"] is True
    )
