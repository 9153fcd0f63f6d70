"""Every command of the ledger is reachable by the role that owns it: each
``@command`` method of ``ledger.app.Ledger`` is called by at least one operation of the
JSON API (listed in the OpenAPI document), and by a form of the UI where a person does
it — except the few listed below, each with the reason.

The commands are enumerated from the ledger class (the methods ``@command`` marks), and
the operations from the app's route table: the source of each view names the ledger
method it calls. A command added without an API operation fails here.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from typing import Any

import pytest

from ledger.app import Ledger
from tests.web.ui_client import Site
from tests.web.world import open_world

# Commands with no API operation, and why.
NOT_IN_API = {
    "bootstrap_admin": (
        "`sdsi init` only: the system actor creates the first administrator of an "
        "empty ledger, before any account can sign in"
    ),
    "register_directory_account": (
        "sent by a directory sign-in only (LDAP bind or OpenID Connect), as the "
        "pseudo-actor `annuaire`, for the account the directory vouched for"
    ),
}
NOT_IN_API["issue_document"] = (
    "recorded by the server itself when a PDF is downloaded (the export's SHA-256): "
    "nobody sends it; GET /api/v1/audit/documents/{sha256} reads it back"
)
NOT_IN_API["import_finance_batch"] = (
    "sent by the finance import itself (`sdsi finance import`, the page "
    "/budget/import), one per batch of 5,000 lines of a file after its dry run"
)
# Commands no page of the UI sends (a person does them through the API or the CLI).
NOT_IN_UI = {**NOT_IN_API}
NOT_IN_API["set_forgotten_password"] = (
    "sent only by the page of the e-mailed reset link (web.ui.password_reset), after "
    "the link's single-use token is spent (ledger.resets): the token is the only "
    "credential, and one rate-limited door is enough"
)
# Helpers that views call and that send a command on their behalf (with checks the
# view must not skip, e.g. the sign-in throttle for the current password).
# The optimiser computes a scenario from the views, then records it with the command.
HELPERS = {
    "change_own_password": "change_password",
    "compute_and_record": "record_scenario",
    "convocation.send": "send_convocation",  # then queues the e-mails
    "redeem": "set_forgotten_password",  # spends the reset link's token first
    # the inventory's file import checks every line, then sends them in one command
    "apply_inventory": "import_inventory",
}
CALL = re.compile(
    r"\b(?:ledger\(\)|led\(\)|led|state\(\)\.ledger|self\.ledger)\.(\w+)\b"
)


def commands() -> set[str]:
    """The ledger's commands: the methods ``@command`` marks."""
    return {
        name
        for name, member in inspect.getmembers(Ledger, inspect.isfunction)
        if getattr(member, "__sdsi_command__", None) == name
    }


def called(view: Any) -> set[str]:
    """The ledger methods a view's source calls."""
    while hasattr(view, "__wrapped__"):
        view = view.__wrapped__
    source = inspect.getsource(view)
    found = set(CALL.findall(source))
    found |= {
        command
        for helper, command in HELPERS.items()
        if f"{helper}(" in source or f"run({helper}," in source  # called, or sent
    }
    return found


@pytest.fixture(scope="module")
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    running = open_world(request, tmp_path_factory, "sqlite")
    yield running
    running.close()


def operations(site: Site, *, api: bool) -> dict[str, list[str]]:
    """Command → the ``METHOD path`` of the API's (or the UI's) routes calling it."""
    out: dict[str, list[str]] = {}
    names = commands()
    for rule in site.app.url_map.iter_rules():
        if rule.rule.startswith("/api/") != api:
            continue
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS", "GET"})
        if not methods:
            continue
        for name in called(site.app.view_functions[rule.endpoint]) & names:
            out.setdefault(name, []).extend(f"{m} {rule.rule}" for m in methods)
    return out


def test_the_ledger_has_its_commands() -> None:
    found = commands()
    assert len(found) >= 68
    assert {
        "define_municipality",
        "close_direction",
        "appoint_committee_member",
    } <= found


def test_every_command_has_an_api_operation(site: Site) -> None:
    api = operations(site, api=True)
    missing = sorted(commands() - set(api) - set(NOT_IN_API))
    assert missing == [], "commands without an API operation: " + ", ".join(missing)
    assert sorted(set(NOT_IN_API) & set(api)) == [], "listed but exposed: update"


def test_every_api_operation_of_a_command_is_in_the_openapi_document(
    site: Site,
) -> None:
    document = site.app.test_client().get("/api/v1/openapi.json").get_json()
    listed = {
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method in item
    }
    undocumented = []
    for command, routes in operations(site, api=True).items():
        for route in routes:
            method, path = route.split(" ", 1)
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path)
            if f"{method} {path}" not in listed:
                undocumented.append(f"{command}: {method} {path}")
    assert undocumented == []


def test_every_command_a_person_does_has_a_form(site: Site) -> None:
    ui = operations(site, api=False)
    missing = sorted(commands() - set(ui) - set(NOT_IN_UI))
    assert missing == [], "commands no page sends: " + ", ".join(missing)
    assert sorted(set(NOT_IN_UI) & set(ui)) == [], "listed but sent by a page: update"


def test_the_listed_exceptions_are_commands() -> None:
    assert set(NOT_IN_UI) <= commands()
