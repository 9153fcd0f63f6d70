"""The inbox, its counter in the menu, marking read, preferences and following a
proposal, through the pages and the API; each person sees and marks only their own
notifications. Both backends."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from ledger.core import Caller
from ledger.notifications import NotificationSettings
from projections.notification_mail import dispatch
from tests.web.ui_client import Site, text
from tests.web.world import OTHER, OWN, bearer, login, open_world
from web.notifications import readable


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    running = open_world(request, tmp_path_factory, request.param)
    running.ledger.submit_proposal(Caller(login("referent")), OWN)
    running.caught_up()
    yield running
    running.close()


def _badge(body: str) -> str | None:
    found = re.search(r'<span class="visually-hidden">\(([^)]*)\)</span>', body)
    return found.group(1) if found else None


def test_the_dsi_is_told_to_qualify_and_counts_it_down(site: Site) -> None:
    dsi = site.client(login("dsi"))
    home = dsi.get("/").get_data(as_text=True)
    assert _badge(home) == "1 notification non lue"
    page = dsi.get("/notifications")
    assert page.status_code == 200
    shown = text(page)
    assert "Fiche à qualifier" in shown and f"{OWN} — Projet de test" in shown
    assert f'href="/fiches/{OWN}"' in page.get_data(as_text=True)
    answer = dsi.post("/notifications/lues", data={"all": "1"})
    assert answer.status_code == 302
    assert _badge(dsi.get("/").get_data(as_text=True)) is None
    assert "Lue" in text(dsi.get("/notifications"))


def test_the_api_gives_each_person_their_own_notifications_only(site: Site) -> None:
    api = site.app.test_client()
    dsi = api.get("/api/v1/notifications", headers=bearer(site, login("dsi")))
    assert dsi.status_code == 200
    body = dsi.get_json()
    assert [(n["kind"], n["subject"]) for n in body["notifications"]] == [
        ("qualify", OWN)
    ]
    assert body["count"] == 1 and "Link" in dsi.headers
    their_id = body["notifications"][0]["id"]
    # someone else's notification cannot be marked, and is not shown
    for who in ("evaluator", "finance", "referent"):
        headers = bearer(site, login(who))
        mine = api.get("/api/v1/notifications", headers=headers).get_json()
        assert mine["notifications"] == [] and mine["unread"] == 0
        refused = api.post(
            "/api/v1/notifications/mark-read", json={"ids": [their_id]}, headers=headers
        )
        assert refused.status_code == 404
    assert api.get("/api/v1/notifications").status_code == 401
    bad = api.post(
        "/api/v1/notifications/mark-read",
        json={"ids": "x"},
        headers=bearer(site, login("dsi")),
    )
    assert bad.status_code == 422 and "ids" in bad.get_json()["error"]["details"]


def test_preferences_are_read_and_replaced_per_kind(site: Site) -> None:
    api = site.app.test_client()
    headers = bearer(site, login("member"))
    got = api.get("/api/v1/notifications/preferences", headers=headers).get_json()
    assert got == {k: "app" for k in got} and "vote" in got
    put = api.put(
        "/api/v1/notifications/preferences",
        json={"vote": "immediate", "decision": "digest"},
        headers=headers,
    )
    assert put.status_code == 200
    assert put.get_json()["vote"] == "immediate"
    assert put.get_json()["decision"] == "digest"
    for bad in ({"vote": "sometimes"}, {"unknown": "app"}):
        answer = api.put("/api/v1/notifications/preferences", json=bad, headers=headers)
        assert answer.status_code == 422
    page = site.client(login("member")).get("/notifications/preferences")
    assert page.status_code == 200
    assert 'id="p-vote-immediate" name="vote" value="immediate" checked' in (
        page.get_data(as_text=True)
    )


def test_following_a_proposal_follows_its_direction_s_access(site: Site) -> None:
    api = site.app.test_client()
    referent = bearer(site, login("referent"))
    assert api.put(f"/api/v1/proposals/{OWN}/follow", headers=referent).get_json() == {
        "proposal": OWN,
        "following": True,
    }
    # another direction's proposal: a referent may not even see it
    assert (
        api.put(f"/api/v1/proposals/{OTHER}/follow", headers=referent).status_code
        == 403
    )
    assert (
        api.put(
            "/api/v1/proposals/NOPE/follow", headers=bearer(site, login("dsi"))
        ).status_code
        == 404
    )
    page = site.client(login("referent")).get(f"/fiches/{OWN}")
    assert "Ne plus suivre" in page.get_data(as_text=True)
    # the DSI qualifies it: the follower is told
    site.ledger.qualify_proposal(
        Caller(login("dsi")),
        OWN,
        {"costs": [{"year": 2026, "section": "investissement", "amount": "5.00"}]},
    )
    site.caught_up()
    mine = api.get("/api/v1/notifications", headers=referent).get_json()
    assert [(n["kind"], n["detail"]) for n in mine["notifications"]] == [
        ("follow", "Qualified")
    ]
    gone = api.delete(f"/api/v1/proposals/{OWN}/follow", headers=referent)
    assert gone.get_json()["following"] is False
    assert api.get("/api/v1/notifications", headers=referent).get_json()["count"] == 0


def test_a_follow_stops_telling_once_the_proposal_is_out_of_reach(
    site: Site,
) -> None:
    """A referent who followed their direction's proposal, then moved to another
    direction: its changes no longer reach them, neither in the inbox nor by e-mail."""

    led = site.ledger
    admin = Caller(actor="admin", reason="mutation")
    led.add_user(
        admin, "u.mover", "Mutée", "mot-de-passe-test-1",
        email="mover@ville.example.fr", roles=[("referent", "DSN")],
    )  # fmt: skip
    site.caught_up()
    api = site.app.test_client()
    mover = bearer(site, "u.mover")
    assert api.put(f"/api/v1/proposals/{OWN}/follow", headers=mover).status_code == 200
    NotificationSettings(led.storage).set_preferences(
        "u.mover", {"follow": "immediate"}
    )
    led.grant_role(admin, "u.mover", "referent", "EDU")
    led.revoke_role(admin, "u.mover", "referent", "DSN")
    dispatch(site.read_model.store, led.storage)  # the cursor to now
    led.qualify_proposal(
        Caller(login("dsi")),
        OWN,
        {"costs": [{"year": 2026, "section": "investissement", "amount": "7.00"}]},
    )
    site.caught_up()
    inbox = api.get("/api/v1/notifications", headers=mover).get_json()
    assert inbox["notifications"] == [] and inbox["unread"] == 0
    report = dispatch(
        site.read_model.store,
        led.storage,
        may_read=readable(led, site.read_model.store),
    )
    assert report.queued == 0
