"""Signing in, changing and resetting passwords, sessions — through the UI (forms with
their CSRF token) and the API, on SQLite and PostgreSQL, with the failed-login
counters in the database or in Redis, across two app instances (two workers).

Issue 13, defects 5 (a password change needed no current password; tokens and
sessions outlived a change) and 6 (one IP locked out for everyone; counters per
worker; X-Forwarded-For believed from anyone).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.config import ConfigError, Settings
from ledger.core import Caller
from ledger.throttle import POLICY
from tests.conftest import ci_sized
from tests.ledger.test_throttle import Model
from tests.web.ui_client import Site
from tests.web.world import PASSWORD, SPARE, login, open_world
from web.app import create_app
from web.proxies import TrustedProxies

REDIS_URL = os.environ.get("SDSI_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# These tests empty Redis db 15, as does the other module using it: under pytest-xdist
# the two never run at the same time (one work unit, tests/conftest.py).
pytestmark = pytest.mark.xdist_group("redis-db15")
WRONG = "mauvais-mot-de-passe"
GHOST = "personne.inconnue"
NEW = "un nouveau mot de passe, avec des espaces "  # kept exactly as typed


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    running = open_world(
        request, tmp_path_factory, request.param, WTF_CSRF_ENABLED=True
    )
    yield running
    running.close()


class Clock:
    """The time the throttles and sessions read, moved only by the test (each new
    clock after every earlier one's time: sessions opened later are newer)."""

    start = 2_000_000_000.0

    def __init__(self) -> None:
        Clock.start += 10_000_000
        self.now = Clock.start

    def __call__(self) -> float:
        return self.now


def _redis_or_skip() -> Any:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is not reachable at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")
    return client


@dataclasses.dataclass
class Workers:
    """Two app instances over one ledger, sharing their counters' store."""

    site: Site
    apps: list[Flask]
    clock: Clock
    redis: Any

    def reset(self) -> None:
        self.site.ledger.storage.execute("DELETE FROM {t:login_throttle}")
        if self.redis is not None:
            self.redis.flushdb()


def make_app(site: Site, clock: Clock, **changes: Any) -> Flask:
    base = site.app.extensions["sdsi"].settings
    app = create_app(
        {"TESTING": True, "FOLLOW": False, "WTF_CSRF_ENABLED": False},
        settings=dataclasses.replace(base, **changes),
        ledger=site.ledger,
    )
    extra = app.extensions["sdsi"].extra
    extra["throttle"].counters.clock = clock
    extra["sessions"].clock = clock
    # this clock runs years ahead of the site's: its purge must not forget the
    # site's sessions (ledger/sessions.py purges what ended a week before "now")
    extra["sessions"].next_purge = float("inf")
    return app


@pytest.fixture(params=["database", "redis"])
def workers(site: Site, request: pytest.FixtureRequest) -> Iterator[Workers]:
    redis = _redis_or_skip() if request.param == "redis" else None
    clock = Clock()
    url = REDIS_URL if redis is not None else None
    apps = [make_app(site, clock, redis_url=url) for _ in range(2)]
    found = Workers(site, apps, clock, redis)
    found.reset()
    yield found
    found.reset()
    for app in apps:
        app.extensions["sdsi"].read_model.close()


def api_login(app: Flask, username: str, password: str, ip: str = "10.1.1.1") -> Any:
    return app.test_client().post(
        "/api/v1/auth/token",
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": ip},
    )


def ui_login(app: Flask, username: str, password: str, ip: str = "10.1.1.1") -> Any:
    return app.test_client().post(
        "/connexion",
        data={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": ip},
    )


def bearer_of(response: Any) -> dict[str, str]:
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def csrf_token(page: Any) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert found, "no CSRF token in the page"
    return found.group(1)


def browser(app: Flask, username: str, password: str) -> Any:
    """A browser signed in through the login form, with its CSRF token."""
    client = app.test_client()
    page = client.get("/connexion")
    signed = client.post(
        "/connexion",
        data={
            "username": username,
            "password": password,
            "csrf_token": csrf_token(page),
        },
    )
    assert signed.status_code == 302, signed.get_data(as_text=True)[:300]
    return client


# --- the throttle, generated ---------------------------------------------------------

ACCOUNTS = {login("finance"): PASSWORD, login("member"): PASSWORD, GHOST: None}
CLIENTS = ("10.1.1.1", "10.1.1.2", "192.0.2.9")
step = st.tuples(
    st.integers(0, 1),  # worker
    st.booleans(),  # through the API (else the login form)
    st.sampled_from(sorted(ACCOUNTS)),
    st.sampled_from(CLIENTS),
    st.booleans(),  # the right password
    st.sampled_from([0, 0, 0, 0.5, 1, 3, 30, 400, 4000]),  # seconds before it
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(steps=st.lists(step, min_size=1, max_size=24))
def test_generated_sign_ins_are_throttled_as_the_model_says(
    workers: Workers, steps: list[tuple[int, bool, str, str, bool, float]]
) -> None:
    """Whoever signs in, from wherever, through either worker and either door: the
    answer is the model's — 429 with the wait in Retry-After, else 401 for a wrong
    password or an unknown login (throttled exactly like a known one), else in."""
    workers.reset()
    model = Model(POLICY)
    for worker, api, username, ip, right, pause in steps:
        workers.clock.now += pause
        app = workers.apps[worker]
        password = ACCOUNTS[username] if right and ACCOUNTS[username] else WRONG
        answer = (api_login if api else ui_login)(app, username, password, ip)
        wait = model.attempt(username, ip, workers.clock.now)
        if wait:
            assert answer.status_code == 429, (username, ip)
            assert answer.headers["Retry-After"] == str(wait)
            continue
        if right and ACCOUNTS[username]:
            assert answer.status_code == (200 if api else 302)
            model.settle(username, ip, success=True)
        else:
            assert answer.status_code == 401
            if api:
                assert answer.get_json()["error"]["code"] == "bad_credentials"


def test_a_failure_seen_by_one_worker_is_seen_by_the_other(workers: Workers) -> None:
    first, second = workers.apps
    for attempt in range(5):
        app = first if attempt % 2 else second
        assert api_login(app, login("finance"), WRONG).status_code == 401
    refused = ui_login(second, login("finance"), PASSWORD)  # even the right one
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    assert "Trop de tentatives : réessayez dans 1 s." in refused.get_data(as_text=True)
    api = api_login(first, login("finance"), PASSWORD)
    assert api.status_code == 429 and api.headers["Retry-After"] == "1"
    assert api.get_json()["error"]["code"] == "too_many_requests"
    # colleagues behind the same address, and this account from elsewhere, go on
    assert api_login(first, login("member"), PASSWORD).status_code == 200
    assert (
        api_login(first, login("finance"), PASSWORD, ip="10.1.1.2").status_code == 200
    )
    workers.clock.now += 1
    assert api_login(second, login("finance"), PASSWORD).status_code == 200


def test_an_unknown_login_is_throttled_exactly_like_a_known_one(
    workers: Workers,
) -> None:
    def answers(username: str, ip: str) -> list[tuple[int, str | None]]:
        out = []
        for pause in (0, 0, 0, 0, 0, 0, 0.5, 0.5, 1, 0, 2, 5):
            workers.clock.now += pause
            r = api_login(workers.apps[len(out) % 2], username, WRONG, ip)
            out.append((r.status_code, r.headers.get("Retry-After")))
        return out

    known = answers(login("member"), "10.1.1.1")
    workers.clock.now += 7200  # every counter forgotten
    assert answers(GHOST, "10.1.1.2") == known
    assert known[:6] == [(401, None)] * 5 + [(429, "1")]


def test_a_crowd_behind_one_address_is_not_locked_out(workers: Workers) -> None:
    """Many failures for many logins from one address (a town hall's NAT): the
    others behind it still sign in until the client's much higher ceiling."""
    app = workers.apps[0]
    for n in range(99):
        assert api_login(app, f"agent.{n}", WRONG).status_code == 401
    assert api_login(app, login("member"), PASSWORD).status_code == 200
    assert api_login(app, "agent.x", WRONG).status_code == 401  # the 100th failure
    refused = api_login(app, login("chair"), PASSWORD)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    assert api_login(app, login("chair"), PASSWORD, ip="10.1.1.2").status_code == 200


# --- trusted proxies ------------------------------------------------------------------


def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy(site: Site) -> None:
    clock = Clock()
    app = make_app(site, clock, trusted_proxies=("10.9.9.0/24",))
    site.ledger.storage.execute("DELETE FROM {t:login_throttle}")
    try:
        client = app.test_client()

        def attempt(
            peer: str, forwarded: str, password: str = WRONG, role: str = "auditor"
        ) -> int:
            return client.post(
                "/api/v1/auth/token",
                json={"username": login(role), "password": password},
                environ_base={"REMOTE_ADDR": peer},
                headers={"X-Forwarded-For": forwarded},
            ).status_code

        for _ in range(5):  # from the proxy, for client 203.0.113.5
            assert attempt("10.9.9.1", "198.51.100.1, 203.0.113.5") == 401
        assert attempt("10.9.9.2", "203.0.113.5", PASSWORD) == 429
        assert attempt("10.9.9.1", "203.0.113.6", PASSWORD) == 200  # another client
        # anyone else's header is ignored: the peer itself is the client
        for _ in range(5):
            assert attempt("198.51.100.7", "203.0.113.9", role="chair") == 401
        assert attempt("198.51.100.7", "203.0.113.10", PASSWORD, "chair") == 429
        assert attempt("198.51.100.8", "203.0.113.9", PASSWORD, "chair") == 200
    finally:
        app.extensions["sdsi"].read_model.close()
        site.ledger.storage.execute("DELETE FROM {t:login_throttle}")


addresses = st.one_of(
    st.ip_addresses(v=4),
    st.ip_addresses(v=6).filter(lambda a: a.ipv4_mapped is None),
).map(str)
NETWORKS = [ipaddress.ip_network("10.9.9.0/24"), ipaddress.ip_network("fd00::/64")]


@given(
    chain=st.lists(addresses, max_size=5),
    proxies=st.lists(st.sampled_from(["10.9.9.1", "10.9.9.2", "fd00::1"]), max_size=3),
    peer=st.one_of(st.sampled_from(["10.9.9.1", "fd00::1"]), addresses),
    junk=st.booleans(),
)
def test_the_client_is_the_rightmost_address_no_trusted_proxy_added(
    chain: list[str], proxies: list[str], peer: str, junk: bool
) -> None:
    """From a trusted peer, the walk from the right passes over trusted proxies and
    stops at the first other address (or at a value that is no address); from any
    other peer, the header is not read at all."""
    middleware = TrustedProxies(lambda e, s: None, [str(n) for n in NETWORKS])
    entries = [*(["not-an-address"] if junk else []), *chain, *proxies]
    expected = peer
    if any(ipaddress.ip_address(peer) in n for n in NETWORKS):
        for hop in reversed(entries):
            try:
                address = ipaddress.ip_address(hop)
            except ValueError:
                break
            expected = str(address)
            if not any(address in n for n in NETWORKS):
                break
    assert middleware.client(peer, ", ".join(entries)) == expected


def test_trusted_proxies_are_read_from_the_environment() -> None:
    settings_ = Settings.from_env(
        {"SDSI_TRUSTED_PROXIES": " 127.0.0.1 , 10.0.0.0/8,::1, 10.0.0.0/8"}
    )
    assert settings_.trusted_proxies == ("127.0.0.1/32", "10.0.0.0/8", "::1/128")
    assert Settings.from_env({}).trusted_proxies == ()
    with pytest.raises(
        ConfigError, match=re.escape("SDSI_TRUSTED_PROXIES: 'proxy.local'")
    ):
        Settings.from_env({"SDSI_TRUSTED_PROXIES": "proxy.local"})


# --- password changes through the API -------------------------------------------------


@pytest.fixture
def worker(site: Site) -> Iterator[Flask]:
    """One more app instance (a worker) over the site's ledger; SPARE's password back
    to the world's afterwards."""
    app = make_app(site, Clock())
    site.ledger.storage.execute("DELETE FROM {t:login_throttle}")
    yield app
    site.ledger.reset_password(
        Caller(actor="admin", reason="fin du test"), SPARE, PASSWORD, force_change=False
    )
    site.ledger.storage.execute("DELETE FROM {t:login_throttle}")
    app.extensions["sdsi"].read_model.close()


def change(app: Flask, headers: dict[str, str], body: dict[str, Any]) -> Any:
    return app.test_client().post(
        f"/api/v1/accounts/{SPARE}/password",
        headers=headers,
        json=body,
        environ_base={"REMOTE_ADDR": "10.1.1.1"},
    )


def test_a_password_change_needs_the_current_password_and_ends_the_other_tokens(
    site: Site, worker: Flask
) -> None:
    mine = bearer_of(api_login(site.app, SPARE, PASSWORD))
    other = bearer_of(api_login(worker, SPARE, PASSWORD))
    browser_ = browser(worker, SPARE, PASSWORD)
    head = site.head()
    missing = change(site.app, mine, {"password": NEW})
    assert missing.status_code == 422
    assert set(missing.get_json()["error"]["details"]) == {"current_password"}
    wrong = change(site.app, mine, {"current_password": WRONG, "password": NEW})
    assert wrong.status_code == 422
    assert wrong.get_json()["error"]["code"] == "current_password_wrong"
    assert wrong.get_json()["error"]["details"]["field"] == "current_password"
    assert site.head() == head  # nothing written
    done = change(site.app, mine, {"current_password": PASSWORD, "password": NEW})
    assert done.status_code == 201, done.get_json()
    assert site.events_since(head) == ["Account.PasswordChanged"]
    me = site.app.test_client().get("/api/v1/me", headers=mine)
    assert me.status_code == 200  # the token that made the change stays valid
    for app, headers in ((site.app, other), (worker, other)):
        refused = app.test_client().get("/api/v1/me", headers=headers)
        assert refused.status_code == 401  # in every worker
    assert browser_.get("/").status_code == 302  # the other session is signed out
    assert api_login(worker, SPARE, PASSWORD).status_code == 401
    assert api_login(worker, SPARE, NEW).status_code == 200  # exactly as typed
    assert api_login(worker, SPARE, NEW.strip()).status_code == 401


def test_wrong_current_passwords_count_as_failed_logins(
    site: Site, worker: Flask
) -> None:
    mine = bearer_of(api_login(worker, SPARE, PASSWORD))
    for _ in range(4):
        wrong = change(worker, mine, {"current_password": WRONG, "password": NEW})
        assert wrong.status_code == 422
    assert api_login(worker, SPARE, WRONG).status_code == 401  # the 5th failure
    throttled = change(worker, mine, {"current_password": PASSWORD, "password": NEW})
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "1"
    assert throttled.get_json()["error"]["details"] == {"retry_after": 1}
    assert api_login(worker, SPARE, PASSWORD).status_code == 429


def test_another_accounts_password_is_not_changed_but_reset_by_an_administrator(
    site: Site, worker: Flask
) -> None:
    member = bearer_of(api_login(worker, login("member"), PASSWORD))
    admin = bearer_of(api_login(worker, "admin", PASSWORD))
    body = {"current_password": PASSWORD, "password": NEW}
    for headers in (member, admin):
        assert change(worker, headers, body).status_code == 403
    client = worker.test_client()
    url = f"/api/v1/accounts/{SPARE}/password-reset"
    denied = client.post(url, headers=member, json={"password": NEW, "reason": "x"})
    assert denied.status_code == 403
    no_reason = client.post(url, headers=admin, json={"password": NEW})
    assert no_reason.status_code == 422
    assert set(no_reason.get_json()["error"]["details"]) == {"reason"}
    own = client.post(
        "/api/v1/accounts/admin/password-reset",
        headers=admin,
        json={"password": NEW, "reason": "oubli"},
    )
    assert own.status_code == 403
    assert own.get_json()["error"]["code"] == "current_password_required"


def test_a_reset_ends_every_session_and_forces_a_change_at_next_sign_in(
    site: Site, worker: Flask
) -> None:
    before = bearer_of(api_login(worker, SPARE, PASSWORD))
    admin = bearer_of(api_login(site.app, "admin", PASSWORD))
    head = site.head()
    reset = site.app.test_client().post(
        f"/api/v1/accounts/{SPARE}/password-reset",
        headers=admin,
        json={"password": "provisoire-1234", "reason": "mot de passe oublié"},
    )
    assert reset.status_code == 201, reset.get_json()
    assert reset.get_json()["result"] == {"username": SPARE, "force_change": True}
    assert site.events_since(head) == ["Account.PasswordReset"]
    assert worker.test_client().get("/api/v1/me", headers=before).status_code == 401
    after = bearer_of(api_login(worker, SPARE, "provisoire-1234"))
    for path in ("/api/v1/me", "/api/v1/portfolio"):
        blocked = worker.test_client().get(path, headers=after)
        assert blocked.status_code == 403
        assert blocked.get_json()["error"]["code"] == "password_change_required"
    done = change(
        worker, after, {"current_password": "provisoire-1234", "password": NEW}
    )
    assert done.status_code == 201
    assert worker.test_client().get("/api/v1/me", headers=after).status_code == 200


def test_logging_out_ends_the_token_and_the_session_in_the_database(
    site: Site, worker: Flask
) -> None:
    token = bearer_of(api_login(worker, SPARE, PASSWORD))
    out = worker.test_client().post("/api/v1/auth/logout", headers=token)
    assert (out.status_code, out.get_json()) == (200, {"ended": True})
    assert site.app.test_client().get("/api/v1/me", headers=token).status_code == 401
    client = browser(worker, SPARE, PASSWORD)
    cookie = client.get_cookie("sdsi_session")
    assert cookie is not None
    page = client.get("/")
    assert page.status_code == 200
    out = client.post("/deconnexion", data={"csrf_token": csrf_token(page)})
    assert out.status_code == 302
    stolen = site.app.test_client()  # the cookie as it was, replayed elsewhere
    stolen.set_cookie("sdsi_session", cookie.value)
    assert stolen.get("/").status_code == 302


def test_sessions_end_when_idle_or_too_old_and_tokens_when_too_old(
    site: Site, worker: Flask
) -> None:
    clock = worker.extensions["sdsi"].extra["sessions"].clock
    client = browser(worker, SPARE, PASSWORD)
    token = bearer_of(api_login(worker, SPARE, PASSWORD))
    for _ in range(8):  # used every 59 minutes: both still open after 7 h 52
        clock.now += 59 * 60
        assert client.get("/").status_code == 200
        assert worker.test_client().get("/api/v1/me", headers=token).status_code == 200
    clock.now += 59 * 60  # 8 h 51: the token's 8 hours are over
    assert worker.test_client().get("/api/v1/me", headers=token).status_code == 401
    assert client.get("/").status_code == 200
    clock.now += 59 * 60  # 9 h 50
    assert client.get("/").status_code == 200
    clock.now += 11 * 60  # 10 h 01: the session's 10 hours too
    assert client.get("/").status_code == 302
    idle = browser(worker, SPARE, PASSWORD)
    clock.now += 60 * 60  # an hour without a request
    assert idle.get("/").status_code == 302


def test_an_account_keeps_at_most_twenty_open_sessions_the_oldest_ending(
    site: Site, worker: Flask
) -> None:
    clock = worker.extensions["sdsi"].extra["sessions"].clock
    tokens = []
    for _ in range(21):
        clock.now += 1
        tokens.append(bearer_of(api_login(worker, SPARE, PASSWORD)))
    answers = [
        worker.test_client().get("/api/v1/me", headers=t).status_code for t in tokens
    ]
    assert answers == [401] + [200] * 20


@settings(
    max_examples=ci_sized(15, 8), deadline=None, suppress_health_check=list(HealthCheck)
)
@given(
    password=st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        min_size=10,
        max_size=200,
    ).filter(lambda p: not p.isdigit() and len(set(p)) >= 4 and p != PASSWORD)
)
def test_passwords_of_any_composition_up_to_200_characters_are_kept_exactly(
    site: Site, worker: Flask, password: str
) -> None:
    """Spaces, accents, emoji, 64 characters and more: the password works as typed,
    and only as typed."""
    site.ledger.storage.execute("DELETE FROM {t:login_throttle}")
    mine = bearer_of(api_login(worker, SPARE, PASSWORD))
    done = change(worker, mine, {"current_password": PASSWORD, "password": password})
    assert done.status_code == 201, done.get_json()
    try:
        assert api_login(worker, SPARE, password).status_code == 200
        if password != password.strip():
            assert api_login(worker, SPARE, password.strip()).status_code == 401
    finally:
        site.ledger.reset_password(
            Caller(actor="admin", reason="test"), SPARE, PASSWORD, force_change=False
        )


def test_disabling_an_account_ends_its_sessions_at_once(
    site: Site, worker: Flask
) -> None:
    site.ledger.add_user(
        Caller(actor="admin", reason="test"), "u.partant", "Partant", PASSWORD
    )
    site.caught_up()
    token = bearer_of(api_login(worker, "u.partant", PASSWORD))
    site.ledger.disable_user(Caller(actor="admin", reason="départ"), "u.partant")
    # refused before the views know of it: the database says so
    assert worker.test_client().get("/api/v1/me", headers=token).status_code == 401


# --- password changes through the UI -------------------------------------------------


def test_the_change_form_needs_the_current_password_and_ends_other_sessions(
    site: Site, worker: Flask
) -> None:
    client = browser(site.app, SPARE, PASSWORD)
    other = browser(worker, SPARE, PASSWORD)
    token = bearer_of(api_login(worker, SPARE, PASSWORD))
    page = client.get("/compte/mot-de-passe")
    before = client.get_cookie("sdsi_session")
    assert before is not None
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for name in ("current_password", "password", "password_confirm"):
        assert re.search(rf'name="{name}" type="password"', html), name
    form = {"csrf_token": csrf_token(page), "current_password": PASSWORD}
    head = site.head()
    no_csrf = client.post(
        "/compte/mot-de-passe",
        data={"current_password": PASSWORD, "password": NEW, "password_confirm": NEW},
    )
    assert no_csrf.status_code == 400
    differ = client.post(
        "/compte/mot-de-passe", data={**form, "password": NEW, "password_confirm": "x"}
    )
    assert differ.status_code == 422
    assert "Les deux saisies du nouveau mot de passe diffèrent." in differ.get_data(
        as_text=True
    )
    wrong = client.post(
        "/compte/mot-de-passe",
        data={
            **form,
            "current_password": WRONG,
            "password": NEW,
            "password_confirm": NEW,
        },
    )
    assert wrong.status_code == 422
    assert f"Le mot de passe actuel de {SPARE} est incorrect." in wrong.get_data(
        as_text=True
    )
    assert site.head() == head
    done = client.post(
        "/compte/mot-de-passe", data={**form, "password": NEW, "password_confirm": NEW}
    )
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert client.get("/").status_code == 200  # still signed in, on a new session
    replayed = site.app.test_client()  # the cookie from before the change
    replayed.set_cookie("sdsi_session", before.value)
    assert replayed.get("/").status_code == 302
    assert other.get("/").status_code == 302
    assert worker.test_client().get("/api/v1/me", headers=token).status_code == 401
    assert site.events_since(head) == ["Account.PasswordChanged"]


def test_after_a_reset_in_the_ui_the_account_can_only_change_its_password(
    site: Site, worker: Flask
) -> None:
    admin = browser(site.app, "admin", PASSWORD)
    page = admin.get(f"/admin/comptes/{SPARE}")
    assert 'id="h-reset"' in page.get_data(as_text=True)
    refused = admin.post(
        f"/admin/comptes/{SPARE}/mot-de-passe",
        data={
            "csrf_token": csrf_token(page),
            "password": "provisoire-1234",
            "force_change": "on",
        },
    )
    assert refused.status_code == 422  # no reason
    done = admin.post(
        f"/admin/comptes/{SPARE}/mot-de-passe",
        data={
            "csrf_token": csrf_token(page),
            "password": "provisoire-1234",
            "force_change": "on",
            "reason": "mot de passe oublié",
        },
    )
    assert done.status_code == 302, done.get_data(as_text=True)[:500]
    user = browser(worker, SPARE, "provisoire-1234")
    for path in ("/", "/portefeuille", f"/admin/comptes/{SPARE}"):
        sent = user.get(path)
        assert (
            sent.status_code == 302
            and sent.headers["Location"] == "/compte/mot-de-passe"
        )
    form = user.get("/compte/mot-de-passe")
    assert "Un administrateur a réinitialisé votre mot de passe" in form.get_data(
        as_text=True
    )
    changed = user.post(
        "/compte/mot-de-passe",
        data={
            "csrf_token": csrf_token(form),
            "current_password": "provisoire-1234",
            "password": NEW,
            "password_confirm": NEW,
        },
    )
    assert changed.status_code == 302
    assert user.get("/").status_code == 200
    # an administrator's own account has no reset form: it changes its password
    own = admin.get("/admin/comptes/admin").get_data(as_text=True)
    assert "/admin/comptes/admin/mot-de-passe" not in own
    assert 'href="/compte/mot-de-passe"' in own


def test_sessions_ended_or_expired_a_week_ago_are_forgotten(site: Site) -> None:
    from ledger.sessions import SessionStore, session_id

    clock = Clock()
    store = SessionStore(site.ledger.storage, clock)
    old, ended = store.open("u.vieux", "api"), store.open("u.vieux", "api")
    store.end(ended)
    clock.now += 7 * 24 * 3600 + 1  # ended a week ago; ``old`` expired 6 d 16 h ago
    recent = store.open("u.vieux", "api")  # the first opening purges
    clock.now += 8 * 3600  # ``old`` too is a week past its end now
    store.next_purge = clock.now  # (at most once an hour otherwise)
    fresh = store.open("u.vieux", "api")
    rows = site.ledger.storage.fetchall(
        "SELECT id FROM {t:auth_sessions} WHERE username = 'u.vieux'"
    )
    assert sorted(r[0] for r in rows) == sorted(map(session_id, (recent, fresh)))
    assert store.check(fresh, "u.vieux") is not None
    assert store.check(old) is None


# --- where the login form sends back to ------------------------------------------------

HOSTILE = st.lists(
    st.sampled_from(
        ["/", "\\", "\t", "\n", "\r", " ", "\x00", "%2f", "%2F", "%5c", "%09", ":",
         "@", "?", "#", ".", "evil.example", "http:", "https:", "javascript:",
         "data:", "//", "a", "é", "%"]
    ),
    max_size=8,
).map("".join)  # fmt: skip


def as_a_browser_reads(location: str) -> str:
    """The absolute URL a browser on the site goes to for ``location`` (it drops
    tabs and newlines anywhere, leading and trailing spaces and controls, and takes
    ``\\`` for ``/`` in an http URL)."""
    from urllib.parse import urljoin

    cleaned = re.sub(r"[\t\n\r]", "", location).strip("\x00 \x1f").replace("\\", "/")
    return urljoin("https://site.example/connexion", cleaned)


@given(value=HOSTILE)
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_next_page_after_signing_in_is_always_on_this_site(
    site: Site, value: str
) -> None:
    from urllib.parse import unquote, urlsplit

    from web.ui.auth import local_target

    with site.app.test_request_context("/connexion"):
        target = local_target(value)
    assert target.startswith("/") and not target.startswith("//")
    parts = urlsplit(as_a_browser_reads(target))
    assert (parts.scheme, parts.netloc) == ("https", "site.example"), target
    assert not unquote(parts.path).replace("\\", "/").startswith("//"), target


@pytest.mark.parametrize(
    ("next_", "location"),
    [
        ("/%09/evil.example", "/"),
        ("/\t/evil.example", "/"),
        ("/\\evil.example", "/"),
        ("/%2F/evil.example", "/"),
        ("https://evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("/referentiel?onglet=poles", "/referentiel?onglet=poles"),
    ],
)
def test_the_login_form_redirects_to_a_local_path_only(
    site: Site, next_: str, location: str
) -> None:
    from urllib.parse import quote

    site.ledger.storage.execute("DELETE FROM {t:login_throttle}")
    client = site.app.test_client()
    page = client.get("/connexion")
    signed = client.post(
        "/connexion?next=" + quote(next_, safe=""),
        data={"username": SPARE, "password": PASSWORD, "csrf_token": csrf_token(page)},
    )
    assert signed.status_code == 302
    assert signed.headers["Location"] == location
