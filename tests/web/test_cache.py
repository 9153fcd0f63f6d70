"""The cache of read responses (web.cache) on both backends: a repeated read is served
from it, yet never shows stale views, another user's page, a spent form key, a used
flash message or a page to someone whose role was revoked."""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from ledger.core import Caller
from tests.web.test_security import csrf_token, signed_in
from tests.web.ui_client import Site, sign_in
from tests.web.world import OWN, PASSWORD, bearer, login, open_world
from web.app import create_app
from web.cache import Entry, ResponseCache, response_cache

KEYS = re.compile(r'name="idempotency_key" value="([0-9a-f]{32})"')
# a CSRF token is signed with the second it was made: two copies may differ by it
CSRF = re.compile(r'name="csrf_token" value="[^"]+"')


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    running = open_world(
        request, tmp_path_factory, request.param, WTF_CSRF_ENABLED=True
    )
    yield running
    running.close()


def hits(site: Site) -> int:
    with site.app.app_context():
        return response_cache().hits


def html_text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", page))


def body(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return str(response.get_data(as_text=True))


def test_read_views_of_the_ui_and_the_api_are_marked_cacheable(site: Site) -> None:
    views = site.app.view_functions
    marked = {name for name, view in views.items() if hasattr(view, "cache_extra")}
    assert {"ui.portfolio", "ui.proposal", "ui.budget", "ui.audit", "ui.home"} <= marked
    assert {
        "api_views.portfolio",
        "api_views.proposal",
        "api_views.budget",
        "api_views.audit",
    } <= marked
    # forms, commands and the scenario pages (computed on request) are not
    assert not {"ui.login", "ui.new_proposal", "api_views.health"} & marked


def test_a_repeated_page_is_served_from_the_cache_with_fresh_form_keys_and_a_valid_token(
    site: Site,
) -> None:
    client = signed_in(site, "referent")
    first = body(client.get(f"/fiches/{OWN}"))
    before = hits(site)
    second = body(client.get(f"/fiches/{OWN}"))
    assert hits(site) == before + 1
    keys_first, keys_second = KEYS.findall(first), KEYS.findall(second)
    assert keys_first and len(keys_first) == len(keys_second)
    assert not set(keys_first) & set(keys_second)  # a spent key is never served again
    assert len(set(keys_second)) == len(keys_second)
    assert CSRF.sub("", KEYS.sub("", first)) == CSRF.sub("", KEYS.sub("", second))
    # the token of the cached copy is this session's: the form it carries is accepted
    head = site.head()
    response = client.post(
        f"/fiches/{OWN}/amender",
        data={
            "csrf_token": csrf_token(client.get(f"/fiches/{OWN}/amender")),
            "idempotency_key": keys_second[0],
            "title": "Titre amendé après lecture en cache",
            "description": "Amendée.",
            "reason": "Précision",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    assert site.head() == head + 1
    # and the next read shows the new revision, not the cached page
    assert "Titre amendé après lecture en cache" in body(client.get(f"/fiches/{OWN}"))


def test_a_write_by_anyone_is_visible_on_the_next_read(site: Site) -> None:
    client = signed_in(site, "dsi")
    body(client.get("/portefeuille"))
    assert "P-CACHE" not in body(client.get("/portefeuille"))
    dsi = Caller(actor=login("dsi"), reason="test du cache")
    site.ledger.draft_proposal(
        dsi,
        "P-CACHE",
        "EDU",
        {"title": "Écrit ailleurs", "description": "Par un autre processus."},
    )
    site.caught_up()
    assert "P-CACHE" in body(client.get("/portefeuille"))


def test_the_audit_page_follows_the_seals_although_the_views_did_not_move(
    site: Site,
) -> None:
    from ledger.sealing import Sealer

    client = signed_in(site, "auditor")
    counts = re.compile(
        r"registre : <strong>(\d+)</strong> — scellés : <strong>(\d+)</strong>"
    )
    before = counts.search(html_text(body(client.get("/audit"))))
    assert before is not None
    body(client.get("/audit"))
    position = site.read_model.current_position()
    Sealer(site.ledger).run_once()
    assert site.read_model.current_position() == position
    after = counts.search(html_text(body(client.get("/audit"))))
    assert after is not None and after.group(1) == before.group(1)
    assert int(after.group(2)) == site.head() > int(before.group(2))


def test_each_user_gets_their_own_page(site: Site) -> None:
    dsi, finance = signed_in(site, "dsi"), signed_in(site, "finance")
    for _ in range(2):
        page = body(dsi.get("/"))
        assert "<span>DSI</span>" in page and "<span>Finance</span>" not in page
        page = body(finance.get("/"))
        assert "<span>Finance</span>" in page and "<span>DSI</span>" not in page


def test_a_revoked_role_is_refused_although_the_page_was_cached(site: Site) -> None:
    admin = Caller(actor="admin", reason="test du cache")
    site.ledger.add_user(
        admin, "u.cache", "Auditrice temporaire", PASSWORD, roles=[("auditor", None)]
    )
    site.caught_up()
    client = site.app.test_client()
    form = client.get("/connexion")
    client.post(
        "/connexion",
        data={
            "username": "u.cache",
            "password": PASSWORD,
            "csrf_token": csrf_token(form),
        },
    )
    body(client.get("/portefeuille"))
    body(client.get("/portefeuille"))
    site.ledger.revoke_role(admin, "u.cache", "auditor", None)
    site.caught_up()
    assert client.get("/portefeuille").status_code == 403


def test_a_flash_message_is_shown_once_and_never_cached(site: Site) -> None:
    client = signed_in(site, "dsi")
    shown = body(client.get("/portefeuille?as_of=hier"))
    assert "position:N" in shown  # the refusal of the unreadable date, next to the page
    again = body(client.get("/portefeuille?as_of=hier"))
    assert "position:N" in again  # computed again, not a copy without its message
    plain = body(client.get("/portefeuille"))
    assert "position:N" not in plain


def test_api_reads_are_cached_per_token_holder(site: Site) -> None:
    client = site.app.test_client()
    headers = bearer(site, login("dsi"))
    first = client.get("/api/v1/portfolio", headers=headers)
    before = hits(site)
    second = client.get("/api/v1/portfolio", headers=headers)
    assert hits(site) == before + 1
    assert first.get_json() == second.get_json()
    assert second.headers["Content-Type"] == "application/json"
    assert (
        second.headers["Cache-Control"] == "no-store"
    )  # the security headers still apply
    assert client.get("/api/v1/portfolio").status_code == 401  # no token: no copy


def test_the_cache_is_bounded_in_bytes_least_recently_used_first() -> None:
    cache = ResponseCache(max_bytes=250)
    for n in range(3):
        cache.put(("page", n), Entry.of(b"x" * 100, "text/html"))
    assert cache.get(("page", 0)) is None  # 300 bytes > 250: the oldest went
    assert cache.get(("page", 1)) is not None
    cache.put(("page", 3), Entry.of(b"y" * 100, "text/html"))
    assert cache.get(("page", 2)) is None  # page 1 was read more recently
    assert cache.get(("page", 1)) is not None and len(cache) == 2
    cache.put(("big",), Entry.of(b"z" * 300, "text/html"))
    assert cache.get(("big",)) is None  # larger than the whole cache: not kept


def test_an_entry_fills_its_holes_afresh_on_each_use() -> None:
    entry = Entry.of(
        b"<a>TOKEN</a><k>KEY1</k><k>KEY2</k><a>TOKEN</a>",
        "text/html",
        b"TOKEN",
        (b"KEY1", b"KEY2"),
    )
    assert entry.parts == (b"<a>", b"</a><k>", b"</k><k>", b"</k><a>", b"</a>")
    first, second = entry.body(lambda: b"T1"), entry.body(lambda: b"T2")
    assert first.startswith(b"<a>T1</a><k>") and first.endswith(b"<a>T1</a>")
    keys = re.findall(rb"<k>([0-9a-f]{32})</k>", first) + re.findall(
        rb"<k>([0-9a-f]{32})</k>", second
    )
    assert len(set(keys)) == 4  # never the same key twice
    assert Entry.of(b"plain", "text/html").body(lambda: b"unused") == b"plain"


def test_the_cache_can_be_turned_off(site: Site) -> None:
    settings = dataclasses.replace(
        site.app.extensions["sdsi"].settings, page_cache_mb=0
    )
    app: Flask = create_app(
        {"TESTING": True, "FOLLOW": False, "WTF_CSRF_ENABLED": False},
        settings=settings,
        ledger=site.ledger,
    )
    try:
        client = app.test_client()
        sign_in(client, app, login("dsi"))
        for _ in range(2):
            assert client.get("/portefeuille").status_code == 200
        with app.app_context():
            assert (response_cache().hits, response_cache().misses) == (0, 0)
    finally:
        app.extensions["sdsi"].read_model.close()
