"""Signing in with the municipality's OpenID Connect provider (issue 14, item 6):
authorization code with PKCE against a tiny provider on a loopback port
(tests/oidc_provider.py), on SQLite and PostgreSQL. The account and its roles are
recorded like LDAP ones (actor ``annuaire``, the mapping as reason, nothing written
when the log agrees); a local account is never taken over; a provider down gives a
clear message."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask

from ledger.directory_config import oidc_settings
from ledger.errors import ConfigError
from ledger.queries import account_history
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider
from tests.web.ui_client import Site, text
from tests.web.world import PASSWORD, login, open_world
from web.app import create_app

MAPPING = "copil=member; sdsi-dsi=dsi"
FIRST = "première connexion par l'annuaire (OpenID Connect)"
MEMBER_REASON = (
    "annuaire OpenID Connect : membre du groupe « copil », qui donne le rôle member "
    "(SDSI_OIDC_GROUP_ROLES)"
)
DSI_REASON = (
    "annuaire OpenID Connect : membre du groupe « sdsi-dsi », qui donne le rôle dsi "
    "(SDSI_OIDC_GROUP_ROLES)"
)


def claims(name: str, *groups: str) -> dict[str, Any]:
    return {
        "sub": f"sub-{name}",
        "preferred_username": name,
        "name": name.title(),
        "email": f"{name}@ville.fr",
        "groups": list(groups),
    }


def oidc_env(issuer: str) -> dict[str, str]:
    return {
        "SDSI_OIDC_ISSUER": issuer,
        "SDSI_OIDC_CLIENT_ID": CLIENT_ID,
        "SDSI_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "SDSI_OIDC_GROUPS_CLAIM": "groups",
        "SDSI_OIDC_GROUP_ROLES": MAPPING,
        "SDSI_OIDC_LABEL": "le portail de la ville",
    }


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    running = Provider().start()
    yield running
    running.stop()


@dataclasses.dataclass
class World:
    site: Site
    app: Flask
    provider: Provider

    @property
    def ledger(self) -> Any:
        return self.site.ledger

    def position(self) -> int:
        return int(self.ledger.recorder.max_notification_id() or 0)

    def history(self, name: str) -> list[tuple[str, str, str | None]]:
        found = [a for a in account_history(self.ledger) if a["username"] == name]
        return [(h["change"], h["actor"], h["reason"]) for h in found[0]["history"]]

    def sign_in(self, who: dict[str, Any]) -> tuple[Any, Any]:
        """The browser's round trip: the app → the provider → back to the app."""
        client = self.app.test_client()
        self.provider.next_claims = who
        start = client.get("/connexion/oidc")
        assert start.status_code == 302, start.get_data(as_text=True)
        to_provider = requests.get(
            start.headers["Location"], allow_redirects=False, timeout=10
        )
        assert to_provider.status_code == 302
        back = urlsplit(to_provider.headers["Location"])
        return client, client.get(f"{back.path}?{back.query}")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: Any, provider: Provider
) -> Iterator[World]:
    site = open_world(request, tmp_path_factory, request.param)
    base = site.app.extensions["sdsi"].settings
    settings = dataclasses.replace(base, oidc=oidc_settings(oidc_env(provider.issuer)))
    app = create_app(
        {"TESTING": True, "FOLLOW": False, "WTF_CSRF_ENABLED": False},
        settings=settings,
        ledger=site.ledger,
    )
    yield World(site, app, provider)
    app.extensions["sdsi"].read_model.close()
    site.close()


def test_the_login_page_offers_the_provider_only_when_configured(world: World) -> None:
    page = world.app.test_client().get("/connexion")
    assert 'href="/connexion/oidc"' in page.get_data(as_text=True)
    assert "Se connecter avec le portail de la ville" in text(page)
    plain = world.site.app.test_client().get("/connexion")
    assert "/connexion/oidc" not in plain.get_data(as_text=True)
    assert world.site.app.test_client().get("/connexion/oidc").status_code == 404


def test_a_first_sign_in_uses_pkce_and_records_the_account_and_its_roles(
    world: World,
) -> None:
    client, answer = world.sign_in(claims("olivia", "copil", "sdsi-dsi", "autre"))
    assert answer.status_code == 302 and answer.headers["Location"] == "/"
    assert "Olivia" in client.get("/").get_data(as_text=True)
    asked = world.provider.authorize_requests[-1]
    assert (asked["code_challenge_method"], asked["response_type"]) == ("S256", "code")
    assert len(asked["nonce"]) >= 16
    assert len(world.provider.token_requests[-1]["code_verifier"]) >= 43
    assert world.history("olivia") == [
        ("Registered", "annuaire", FIRST),
        ("DirectoryLinked", "annuaire", FIRST),
        ("+dsi", "annuaire", DSI_REASON),
        ("+member", "annuaire", MEMBER_REASON),
    ]
    account = world.ledger.account("olivia")
    assert (account.directory, account.email) == ("oidc", "olivia@ville.fr")


def test_signing_in_again_writes_nothing_and_a_group_left_revokes_its_role(
    world: World,
) -> None:
    assert world.sign_in(claims("paul", "copil", "sdsi-dsi"))[1].status_code == 302
    before = world.position()
    assert world.sign_in(claims("paul", "sdsi-dsi", "copil"))[1].status_code == 302
    assert world.position() == before
    assert world.sign_in(claims("paul", "sdsi-dsi"))[1].status_code == 302
    assert world.position() == before + 1
    assert world.history("paul")[-1] == (
        "-member",
        "annuaire",
        "annuaire OpenID Connect : membre d'aucun groupe donnant le rôle member "
        "(SDSI_OIDC_GROUP_ROLES : « copil »)",
    )
    assert world.ledger.account("paul").grants == ["dsi"]


def test_a_local_account_is_never_taken_over(world: World) -> None:
    before = world.position()
    for name in ("admin", login("member")):
        _, refused = world.sign_in(claims(name, "sdsi-dsi"))
        assert refused.status_code == 401
        assert "Connexion par l'annuaire refusée." in text(refused)
    assert world.position() == before
    assert world.ledger.account(login("member")).grants == ["member"]
    signed = world.app.test_client().post(
        "/connexion", data={"username": "admin", "password": PASSWORD}
    )
    assert signed.status_code == 302


def test_another_subject_with_the_same_username_is_refused(world: World) -> None:
    """The account is the provider's subject (``iss#sub``, recorded at its first
    sign-in), not its reusable username."""
    assert world.sign_in(claims("rose", "copil"))[1].status_code == 302
    assert world.ledger.account("rose").directory_subject == (
        f"{world.provider.issuer}#sub-rose"
    )
    before = world.position()
    _, refused = world.sign_in({**claims("rose", "sdsi-dsi"), "sub": "sub-autre"})
    assert refused.status_code == 401
    assert world.position() == before


def test_a_forged_or_replayed_return_is_refused(world: World) -> None:
    client = world.app.test_client()
    world.provider.next_claims = claims("quentin", "copil")
    start = client.get("/connexion/oidc")
    to_provider = requests.get(
        start.headers["Location"], allow_redirects=False, timeout=10
    )
    back = urlsplit(to_provider.headers["Location"])
    code = parse_qs(back.query)["code"][0]
    before = world.position()
    # another browser (no state in its session) cannot use the code
    stranger = world.app.test_client().get(f"{back.path}?{back.query}")
    assert stranger.status_code == 401
    # a state that is not this browser's
    forged = client.get(f"{back.path}?code={code}&state=forged")
    assert forged.status_code == 401
    assert world.position() == before
    # the provider's error comes back as a refusal too
    error = client.get(f"{back.path}?error=access_denied&state=x")
    assert error.status_code == 401


def test_a_provider_down_gives_a_clear_message(world: World) -> None:
    settings = dataclasses.replace(
        world.app.extensions["sdsi"].settings,
        oidc=oidc_settings(oidc_env("http://127.0.0.1:9")),  # nothing listens there
    )
    app = create_app(
        {"TESTING": True, "FOLLOW": False, "WTF_CSRF_ENABLED": False},
        settings=settings,
        ledger=world.ledger,
    )
    try:
        down = app.test_client().get("/connexion/oidc")
        assert down.status_code == 503
        assert (
            "Le fournisseur d'identité de la collectivité ne répond pas : la connexion "
            "par l'annuaire est impossible pour l'instant. Réessayez plus tard ; les "
            "comptes locaux peuvent se connecter."
        ) in text(down)
        signed = app.test_client().post(
            "/connexion", data={"username": "admin", "password": PASSWORD}
        )
        assert signed.status_code == 302
    finally:
        app.extensions["sdsi"].read_model.close()


def test_a_provider_whose_metadata_names_another_issuer_is_not_followed(
    world: World,
) -> None:
    """OpenID Connect Discovery §4.3: the metadata's issuer must be the one
    configured (here the same provider reached as ``localhost``)."""
    other = world.provider.issuer.replace("127.0.0.1", "localhost")
    settings = dataclasses.replace(
        world.app.extensions["sdsi"].settings, oidc=oidc_settings(oidc_env(other))
    )
    app = create_app(
        {"TESTING": True, "FOLLOW": False, "WTF_CSRF_ENABLED": False},
        settings=settings,
        ledger=world.ledger,
    )
    try:
        asked = len(world.provider.authorize_requests)
        assert app.test_client().get("/connexion/oidc").status_code == 503
        assert len(world.provider.authorize_requests) == asked
    finally:
        app.extensions["sdsi"].read_model.close()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"SDSI_OIDC_ISSUER": "http://idp.ville.fr"}, "must be an https:// URL"),
        ({"SDSI_OIDC_CLIENT_ID": ""}, "SDSI_OIDC_CLIENT_ID is required"),
        ({"SDSI_OIDC_GROUP_ROLES": "copil=maire"}, "unknown role 'maire'"),
    ],
)
def test_wrong_oidc_settings_are_refused_at_start(
    changes: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        oidc_settings({**oidc_env("https://idp.ville.fr"), **changes})
    assert message in str(caught.value)


def test_the_oidc_mapping_defaults_to_the_ldap_one() -> None:
    env = {**oidc_env("https://idp.ville.fr"), "SDSI_OIDC_GROUP_ROLES": ""}
    found = oidc_settings({**env, "SDSI_LDAP_GROUP_ROLES": "copil=member"})
    assert found is not None
    assert (found.mapping.variable, found.mapping.managed) == (
        "SDSI_LDAP_GROUP_ROLES",
        {"member"},
    )
