"""A small world for the web security tests: one account per role, two directions, a
proposal in the referent's direction and one in another, behind a running app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ledger.app import open_ledger
from ledger.core import Caller
from ledger.keys import ensure_signing_key
from tests.conftest import make_settings
from tests.web.ui_client import Site, open_site
from web.auth import issue_token

PASSWORD = "mot-de-passe-test-1"
ROLES = (
    "referent",
    "dsi",
    "evaluator",
    "member",
    "chair",
    "finance",
    "auditor",
    "admin",
    "consultant",
)
OWN_DIRECTION, OTHER_DIRECTION = "DSN", "EDU"
OWN, OTHER = "P-OWN", "P-OTHER"
# Acted on by routes with a <username> (disable, grants…): nobody signs in as it.
SPARE = "u.spare"


def login(role: str) -> str:
    """The account holding exactly ``role`` (the bootstrap administrator for admin)."""
    return "admin" if role == "admin" else f"u.{role}"


def grants(role: str) -> list[str]:
    return [f"referent:{OWN_DIRECTION}"] if role == "referent" else [role]


CONTENT = {
    "title": "Projet de test",
    "description": "Un projet pour les tests de sécurité.",
    "costs": [{"year": 2026, "section": "investissement", "amount": "1000.00"}],
}


def populate(ledger: Any) -> None:
    """Organisation, accounts and the two proposals (a few dozen events)."""
    admin = Caller(actor="admin", reason="préparation des tests")
    ledger.add_user(admin, login("dsi"), "DSI", PASSWORD, roles=[("dsi", None)])
    dsi = Caller(actor=login("dsi"), reason="préparation des tests")
    ledger.define_plan(dsi, "SDSI de test", "Ville de test", 2024, 2029)
    ledger.create_pole(dsi, "PDG", "Pôle direction générale")
    ledger.create_direction(dsi, OWN_DIRECTION, "Direction du numérique", "PDG")
    ledger.create_direction(dsi, OTHER_DIRECTION, "Direction de l'éducation", "PDG")
    for role in ROLES:
        if role in ("dsi", "admin"):
            continue
        scope = OWN_DIRECTION if role == "referent" else None
        ledger.add_user(
            admin, login(role), role.title(), PASSWORD, roles=[(role, scope)]
        )
    ledger.add_user(
        admin, SPARE, "Compte de réserve", PASSWORD, roles=[("member", None)]
    )
    referent = Caller(actor=login("referent"), reason="préparation des tests")
    ledger.draft_proposal(referent, OWN, OWN_DIRECTION, CONTENT)
    ledger.draft_proposal(dsi, OTHER, OTHER_DIRECTION, CONTENT)


def open_world(
    request: pytest.FixtureRequest,
    tmp_path_factory: Any,
    backend: str,
    url: str | None = None,
    **config: Any,
) -> Site:
    """The world on ``backend`` behind an app (``config`` overrides the test config);
    on PostgreSQL, in ``url`` or else the module's schema."""
    tmp: Path = tmp_path_factory.mktemp(f"world-{backend}")
    if backend == "sqlite":
        url = f"sqlite:///{tmp}/ledger.db"
    elif url is None:
        url = str(request.getfixturevalue("pg_module_schema_url"))
    settings = make_settings(tmp / "data", url)
    ensure_signing_key(settings)
    led = open_ledger(settings, create=True)
    led.bootstrap_admin("admin", "Administrateur", PASSWORD)
    site = open_site(settings, led, **config)
    populate(led)
    site.caught_up()
    return site


def token(site: Site, username: str) -> str:
    with site.app.test_request_context():
        return issue_token(username)


def bearer(site: Site, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(site, username)}"}
