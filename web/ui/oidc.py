"""Sign-in with the municipality's OpenID Connect provider (``Authlib``):
authorization code with PKCE (S256), the ID token's signature, issuer, audience and
nonce checked; the account and its roles recorded as for LDAP
(``ledger.directory.record_sign_in``, source ``oidc``). Off unless
``SDSI_OIDC_ISSUER`` is set."""

from __future__ import annotations

import logging
from typing import Any

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, abort, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from domain.values import Origin
from ledger.directory import (
    DirectoryUser,
    NotTheSameAccount,
    account_name,
    record_sign_in,
)
from ledger.directory_config import OidcSettings
from web.auth import load_user, public
from web.state import state
from web.ui.auth import start_session
from web.ui.blueprint import bp

log = logging.getLogger("sdsi.access")
CLIENT = "sdsi_oidc"


def init_oidc(app: Flask, settings: OidcSettings) -> OAuth:
    """The app's OpenID Connect client (its provider's metadata read at first use)."""
    oauth = OAuth(app)
    oauth.register(
        CLIENT,
        client_id=settings.client_id,
        client_secret=settings.client_secret or None,
        server_metadata_url=settings.issuer + "/.well-known/openid-configuration",
        client_kwargs={
            "scope": settings.scope,
            "code_challenge_method": "S256",
            "timeout": 10,
        },
    )
    return oauth


def _settings() -> OidcSettings:
    found = state().settings.oidc
    if found is None:
        abort(404)
    return found


def _refused(message: str, status: int) -> Response:
    return Response(
        render_template(
            "login.html", error=message, username="", oidc=state().settings.oidc
        ),
        status=status,
        mimetype="text/html",
    )


def provider_down() -> str:
    return _(
        "Le fournisseur d'identité de la collectivité ne répond pas : la connexion "
        "par l'annuaire est impossible pour l'instant. Réessayez plus tard ; les "
        "comptes locaux peuvent se connecter."
    )


@bp.route("/connexion/oidc")
@public
def oidc_login() -> Any:
    """Off to the provider, with a fresh state, nonce and PKCE verifier."""
    if current_user.is_authenticated:
        return redirect(url_for("ui.home"))
    settings = _settings()
    client = state().extra["oidc"].create_client(CLIENT)
    try:
        issuer = str(client.load_server_metadata().get("issuer", "")).rstrip("/")
        if (
            issuer != settings.issuer
        ):  # OIDC Discovery §4.3: a provider passing for another
            log.error(
                "OpenID provider's metadata names issuer %r, not %r",
                issuer,
                settings.issuer,
            )
            return _refused(provider_down(), 503)
        return client.authorize_redirect(url_for("ui.oidc_callback", _external=True))
    except (requests.RequestException, OAuthError, ValueError, KeyError) as exc:
        log.error("OpenID provider unavailable: %s", exc)
        return _refused(provider_down(), 503)


@bp.route("/connexion/oidc/retour")
@public
def oidc_callback() -> Any:
    """Back from the provider: the code exchanged (with the verifier) for tokens,
    the ID token checked, then the account signed in."""
    settings = _settings()
    client = state().extra["oidc"].create_client(CLIENT)
    try:
        token = client.authorize_access_token()
    except requests.RequestException as exc:
        log.error("OpenID provider unavailable: %s", exc)
        return _refused(provider_down(), 503)
    except Exception as exc:  # OAuthError, a bad ID token (joserfc errors)...
        log.warning("OpenID sign-in refused: %s: %s", type(exc).__name__, exc)
        return _refused(_("Connexion par l'annuaire refusée."), 401)
    claims = token.get("userinfo") or {}
    name = account_name(str(claims.get(settings.username_claim, "")))
    groups = claims.get(settings.groups_claim) or []
    if not isinstance(groups, list):
        groups = [groups]
    led = state().ledger
    account = led.account(name) if name is not None else None
    if name is None or (account is not None and account.directory != "oidc"):
        # not an account name, or a local (or LDAP) account: never taken over
        log.warning("OpenID sign-in refused for %r (sub %r)", name, claims.get("sub"))
        return _refused(_("Connexion par l'annuaire refusée."), 401)
    user = DirectoryUser(
        username=name,
        display_name=str(claims.get("name") or ""),
        email=str(claims.get("email") or ""),
        groups=frozenset(str(g) for g in groups),
        subject=f"{claims.get('iss', '')}#{claims.get('sub', '')}",
    )
    try:
        record_sign_in(led, user, "oidc", settings.mapping, Origin.WEB)
    except NotTheSameAccount:
        log.warning(
            "OpenID sign-in refused for %r: another subject (%r)", name, user.subject
        )
        return _refused(_("Connexion par l'annuaire refusée."), 401)
    signed_in = load_user(name)
    if signed_in is None:  # disabled by an administrator
        return _refused(_("Connexion par l'annuaire refusée."), 401)
    start_session(signed_in)
    return redirect(url_for("ui.home"))
