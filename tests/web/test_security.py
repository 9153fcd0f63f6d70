"""Security of the web layer on both backends: CSRF, cookies, headers, login
throttling (shared across app instances through Redis), logged refusals, tokens."""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from collections.abc import Iterator
from typing import Any

import itsdangerous
import pytest
from flask import Flask

from ledger.core import Caller
from tests.web.ui_client import Site
from tests.web.world import (
    OTHER,
    OWN,
    PASSWORD,
    SPARE,
    bearer,
    login,
    open_world,
    token,
)
from web.app import create_app

SCRIPT_SRC = re.compile(r"script-src ([^;]*)")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    """The small world, with CSRF checked as in production."""
    running = open_world(
        request, tmp_path_factory, request.param, WTF_CSRF_ENABLED=True
    )
    yield running
    running.close()


def another_app(site: Site, **settings: Any) -> Flask:
    """A second app instance over the same ledger (another worker, say)."""
    config = {"TESTING": True, "FOLLOW": False, "WTF_CSRF_ENABLED": False}
    base = site.app.extensions["sdsi"].settings
    return create_app(
        config, settings=dataclasses.replace(base, **settings), ledger=site.ledger
    )


def release(app: Flask) -> None:
    """Close what a second app opened (the ledger belongs to the site)."""
    app.extensions["sdsi"].read_model.close()


def csrf_token(page: Any) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert found, "no CSRF token in the page"
    return found.group(1)


def signed_in(site: Site, role: str) -> Any:
    """A browser that signed in through the login form (with its CSRF token)."""
    client = site.app.test_client()
    form = client.get("/connexion")
    response = client.post(
        "/connexion",
        data={
            "username": login(role),
            "password": PASSWORD,
            "csrf_token": csrf_token(form),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


# --- CSRF -----------------------------------------------------------------------------


def test_a_ui_form_without_csrf_token_is_refused_and_writes_nothing(site: Site) -> None:
    client = signed_in(site, "referent")
    head = site.head()
    response = client.post(f"/fiches/{OWN}/soumettre", data={})
    assert response.status_code == 400
    assert "Jeton CSRF absent ou invalide" in response.get_data(as_text=True)
    forged = client.post(f"/fiches/{OWN}/soumettre", data={"csrf_token": "forged"})
    assert forged.status_code == 400
    assert site.head() == head


def test_a_ui_form_with_its_csrf_token_is_accepted(site: Site) -> None:
    client = signed_in(site, "dsi")
    page = client.get("/fiches/nouvelle")
    head = site.head()
    response = client.post(
        "/fiches/nouvelle",
        data={
            "csrf_token": csrf_token(page),
            "code": "P-CSRF",
            "direction": "EDU",
            "title": "Projet CSRF",
            "description": "Envoyé avec son jeton.",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/fiches/P-CSRF")
    assert site.head() == head + 1


def test_the_login_form_needs_its_csrf_token(site: Site) -> None:
    client = site.app.test_client()
    response = client.post(
        "/connexion", data={"username": login("dsi"), "password": PASSWORD}
    )
    assert response.status_code == 400
    assert client.get("/").status_code == 302  # still anonymous


def test_api_calls_with_a_bearer_token_need_no_csrf_token(site: Site) -> None:
    client = site.app.test_client()
    head = site.head()
    response = client.post(
        f"/api/v1/proposals/{OTHER}/amend",
        headers=bearer(site, login("dsi")),
        json={
            "title": "Nouveau titre",
            "description": "Amendée.",
            "reason": "Précision du besoin",
        },
    )
    assert response.status_code == 201, response.get_json()
    assert site.head() == head + 1


def test_a_session_cookie_writing_to_the_api_needs_the_csrf_token(site: Site) -> None:
    client = signed_in(site, "dsi")
    body = {
        "title": "Titre par le navigateur",
        "description": "Amendée.",
        "reason": "Essai",
    }
    head = site.head()
    refused = client.post(f"/api/v1/proposals/{OTHER}/amend", json=body)
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "csrf"
    assert site.head() == head
    page = client.get(f"/fiches/{OTHER}")
    accepted = client.post(
        f"/api/v1/proposals/{OTHER}/amend",
        json=body,
        headers={"X-CSRFToken": csrf_token(page)},
    )
    assert accepted.status_code == 201, accepted.get_json()
    assert client.get("/api/v1/me").status_code == 200  # reads need no token


# --- cookies and headers --------------------------------------------------------------


def session_cookie(response: Any) -> str:
    cookies = [
        c
        for c in response.headers.getlist("Set-Cookie")
        if c.startswith("sdsi_session=")
    ]
    assert cookies, "no session cookie set"
    return cookies[-1]


def test_the_session_cookie_is_httponly_and_samesite_lax_and_not_secure_over_http(
    site: Site,
) -> None:
    client = site.app.test_client()
    form = client.get("/connexion")
    response = client.post(
        "/connexion",
        data={
            "username": login("auditor"),
            "password": PASSWORD,
            "csrf_token": csrf_token(form),
        },
    )
    cookie = session_cookie(response)
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie
    assert "Strict-Transport-Security" not in response.headers


def test_over_https_the_cookie_is_secure_and_hsts_is_sent(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ledger.config import Settings

    monkeypatch.setenv("SDSI_HTTPS", "1")
    assert Settings.from_env().https is True  # the variable is read by Settings
    app = another_app(site, https=True)
    try:
        client = app.test_client()
        response = client.post(
            "/connexion",
            base_url="https://sdsi.example",
            data={"username": login("auditor"), "password": PASSWORD},
        )
        assert response.status_code == 302
        cookie = session_cookie(response)
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
        page = client.get("/", base_url="https://sdsi.example")
        assert page.status_code == 200
        assert "max-age=31536000" in page.headers["Strict-Transport-Security"]
    finally:
        release(app)


def assert_secure_headers(response: Any, where: str) -> None:
    h = response.headers
    csp = h.get("Content-Security-Policy", "")
    scripts = SCRIPT_SRC.search(csp)
    assert scripts, f"{where}: no script-src in {csp!r}"
    assert "'unsafe-inline'" not in scripts.group(1), where
    assert "'unsafe-eval'" not in scripts.group(1), where
    assert "frame-ancestors 'none'" in csp, where
    assert h.get("X-Content-Type-Options") == "nosniff", where
    assert h.get("Referrer-Policy") == "strict-origin-when-cross-origin", where
    assert h.get("X-Frame-Options") == "DENY", where


def test_every_kind_of_response_carries_the_security_headers(site: Site) -> None:
    anonymous = site.app.test_client()
    auditor = site.client(login("auditor"))
    referent = site.client(login("referent"))
    api = bearer(site, login("auditor"))
    responses = {
        "login page": anonymous.get("/connexion"),
        "redirect to login": anonymous.get("/portefeuille"),
        "page": auditor.get("/audit"),
        "403 page": referent.get("/audit"),
        "404 page": auditor.get("/nulle-part"),
        "static file": anonymous.get("/static/sdsi.css"),
        "API read": anonymous.get("/api/v1/portfolio", headers=api),
        "API 401": anonymous.get("/api/v1/portfolio"),
        "API 404": anonymous.get("/api/v1/proposals/INCONNU", headers=api),
        "API 405": anonymous.delete("/api/v1/portfolio", headers=api),
        "OpenAPI document": anonymous.get("/api/v1/openapi.json"),
    }
    for where, response in responses.items():
        assert_secure_headers(response, where)
    assert responses["page"].status_code == 200
    assert responses["403 page"].status_code == 403
    assert responses["API 401"].status_code == 401
    assert responses["API read"].headers["Cache-Control"] == "no-store"


def test_pages_load_no_inline_script(site: Site) -> None:
    for url in ("/", "/portefeuille", f"/fiches/{OWN}", "/audit"):
        body = site.client(login("dsi" if url != "/audit" else "auditor")).get(url)
        html = body.get_data(as_text=True)
        assert body.status_code == 200, url
        inline = [s for s in re.findall(r"<script([^>]*)>", html) if "src=" not in s]
        assert not inline, f"{url}: inline script"
        assert " on" + "click=" not in html and "javascript:" not in html, url


# --- throttling: tests/web/test_logins.py and tests/ledger/test_throttle.py -----------


# --- refusals are logged --------------------------------------------------------------


def test_denied_attempts_are_logged_with_who_what_and_why(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="sdsi.access"):
        page = site.client(login("referent")).get(f"/fiches/{OTHER}")
        api = site.app.test_client().post(
            "/api/v1/budget/envelopes", headers=bearer(site, login("member")), json={}
        )
    assert page.status_code == 403 and api.status_code == 403
    messages = [r.getMessage() for r in caplog.records if r.name == "sdsi.access"]
    assert any(
        "u.referent" in m
        and f"/fiches/{OTHER}" in m
        and "proposal.view" in m
        and "EDU" in m
        for m in messages
    ), messages
    assert any(
        "u.member" in m and "POST /api/v1/budget/envelopes" in m and "budget.edit" in m
        for m in messages
    ), messages


# --- bearer tokens --------------------------------------------------------------------


def api_login(app: Flask, username: str, password: str) -> Any:
    return app.test_client().post(
        "/api/v1/auth/token", json={"username": username, "password": password}
    )


def test_a_token_is_refused_once_the_password_changes(site: Site) -> None:
    client = site.app.test_client()
    issued = api_login(site.app, SPARE, PASSWORD)
    assert issued.status_code == 200
    headers = {"Authorization": f"Bearer {issued.get_json()['token']}"}
    assert client.get("/api/v1/me", headers=headers).get_json()["username"] == SPARE
    site.ledger.change_password(
        Caller(actor=SPARE), SPARE, PASSWORD, "un-tout-nouveau-mot-2"
    )
    refused = client.get("/api/v1/me", headers=headers)
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "unauthenticated"
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    fresh = api_login(site.app, SPARE, "un-tout-nouveau-mot-2").get_json()["token"]
    assert (
        client.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {fresh}"}
        ).status_code
        == 200
    )


def test_an_expired_token_is_refused(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    nine_hours_ago = int(time.time()) - 9 * 3600
    with monkeypatch.context() as m:
        m.setattr(
            itsdangerous.timed.TimestampSigner,
            "get_timestamp",
            lambda self: nine_hours_ago,
        )
        old = token(site, login("auditor"))
    client = site.app.test_client()
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {old}"})
    assert response.status_code == 401
    assert (
        client.get("/api/v1/me", headers=bearer(site, login("auditor"))).status_code
        == 200
    )


@pytest.mark.parametrize(
    "header",
    [
        "Bearer ",
        "Bearer n'importe-quoi",
        "Basic dXNlcjpwYXNz",
        "bearer x.y.z",
    ],
)
def test_malformed_credentials_are_refused_with_401(site: Site, header: str) -> None:
    response = site.app.test_client().get(
        "/api/v1/me", headers={"Authorization": header}
    )
    assert response.status_code == 401
    assert set(response.get_json()["error"]) == {"code", "message", "details"}


def test_a_token_signed_with_another_secret_is_refused(site: Site) -> None:
    forged = itsdangerous.URLSafeTimedSerializer(
        "autre-secret", salt="sdsi-api-token"
    ).dumps({"u": login("admin"), "s": "0" * 16})
    response = site.app.test_client().get(
        "/api/v1/accounts", headers={"Authorization": f"Bearer {forged}"}
    )
    assert response.status_code == 401


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_revoked_role_takes_effect_at_once_while_the_views_lag(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: Any
) -> None:
    """Who may do what is read from the log, not from the views: a role revoked (or an
    account disabled) while nobody follows the views is refused at the next request
    (it used to keep reading until the views caught up)."""
    url = request.getfixturevalue("pg_schema_url") if backend == "postgres" else None
    site = open_world(request, tmp_path_factory, backend, url)
    web = site.app.extensions["sdsi"]
    if web.follower is not None:  # nobody follows the views from now on
        web.follower.close()
        web.follower = None
    try:
        auditor = bearer(site, login("auditor"))
        assert (
            site.client().get("/api/v1/portfolio", headers=auditor).status_code == 200
        )
        read_model = site.app.extensions["sdsi"].read_model
        site.ledger.revoke_role(
            Caller("admin", reason="départ"), login("auditor"), "auditor", None
        )
        assert read_model.current_position() < read_model.head_position()  # lagging
        refused = site.client().get("/api/v1/portfolio", headers=auditor)
        assert refused.status_code == 403
        dsi = bearer(site, login("dsi"))
        assert site.client().get("/api/v1/me", headers=dsi).status_code == 200
        site.ledger.grant_role(
            Caller("admin", reason="intérim"), login("dsi"), "auditor", None
        )
        me = site.client().get("/api/v1/me", headers=dsi).get_json()
        assert "auditor" in me["roles"]  # a grant too, before the views know it
        assert read_model.current_position() < read_model.head_position()
    finally:
        site.close()


def test_the_sign_in_is_one_statement_and_sees_another_workers_change_at_once(
    site: Site,
) -> None:
    """Each request checks its session and reads the account's newest version in the
    log in one statement; the account cached at that version answers without another
    round trip, and a role granted or revoked by another worker (another ledger
    instance, its own cache) is seen at the very next request."""
    from ledger.app import open_ledger

    member = bearer(site, login("member"))
    web = site.app.extensions["sdsi"]
    assert site.client().get("/api/v1/me", headers=member).status_code == 200
    store = web.ledger.repository.event_store
    reads: list[Any] = []
    original = store.get

    def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append(kwargs.get("originator_id", args[0] if args else None))
        return original(*args, **kwargs)

    other = open_ledger(web.settings)  # another worker: its own cache
    store.get = counted  # type: ignore[method-assign]
    try:
        me = site.client().get("/api/v1/me", headers=member).get_json()
        assert me["roles"] == ["member"]
        assert reads == []  # the account came from the cache at its newest version
        other.grant_role(
            Caller("admin", reason="intérim"), login("member"), "auditor", None
        )
        me = site.client().get("/api/v1/me", headers=member).get_json()
        assert sorted(me["roles"]) == ["auditor", "member"]
        assert len(reads) == 1  # the newer event read once, then cached again
        assert site.client().get("/api/v1/audit", headers=member).status_code == 200
        other.revoke_role(
            Caller("admin", reason="fin"), login("member"), "auditor", None
        )
        assert site.client().get("/api/v1/audit", headers=member).status_code == 403
        me = site.client().get("/api/v1/me", headers=member).get_json()
        assert me["roles"] == ["member"]
        assert len(reads) == 2
    finally:
        store.get = original  # type: ignore[method-assign]
        other.close()
