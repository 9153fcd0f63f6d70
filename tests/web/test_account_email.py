"""An account's e-mail address, set or changed after its creation: by the account
itself ("Mes notifications", the API), or by an administrator (the account's page,
the API); anyone else is refused; a bad address is refused naming the field with
nothing written; notifications then go to the new address. Both backends."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ledger.core import Caller
from ledger.notifications import NotificationSettings
from ledger.outbox import Outbox
from projections import queries as q
from projections.notification_mail import dispatch
from tests.web.ui_client import Site, text
from tests.web.world import OWN, SPARE, bearer, login, open_world

WATCHER = "u.veille"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    running = open_world(request, tmp_path_factory, request.param)
    running.ledger.add_user(
        Caller(actor="admin", reason="veille"), WATCHER, "Veille DSI",
        "mot-de-passe-test-1", roles=[("dsi", None)],
    )  # fmt: skip
    running.caught_up()
    yield running
    running.close()


def _email(site: Site, name: str) -> str:
    return str((q.account(site.read_model.store, name) or {})["email"])


def test_one_s_own_address_is_set_on_mes_notifications_and_mails_go_there(
    site: Site,
) -> None:
    led = site.ledger
    NotificationSettings(led.storage).set_preferences(WATCHER, {"qualify": "immediate"})
    dispatch(site.read_model.store, led.storage)  # the cursor to now
    browser = site.client(WATCHER)
    page = browser.get("/notifications/preferences")
    assert "Votre compte n'a pas d'adresse électronique" in text(page)
    head = site.head()
    sent = browser.post(
        "/notifications/preferences", data={"email": " veille@ville.example.fr "}
    )
    assert sent.status_code == 302
    assert site.events_since(head) == ["Account.EmailChanged"]
    assert _email(site, WATCHER) == "veille@ville.example.fr"
    assert "Adresse électronique : veille@ville.example.fr." in text(
        browser.get("/notifications/preferences")
    )
    led.submit_proposal(Caller(login("referent")), OWN)
    site.caught_up()
    report = dispatch(site.read_model.store, led.storage)
    assert report.queued >= 1
    mine = [m for m in Outbox(led.storage).newest() if "veille" in m.recipient]
    assert [m.recipient for m in mine] == ["veille@ville.example.fr"]


def test_the_administrator_made_by_init_sets_its_own_address_by_the_api(
    site: Site,
) -> None:
    api = site.app.test_client()
    assert _email(site, "admin") == ""
    answer = api.put(
        "/api/v1/accounts/admin/email",
        json={"email": "admin@ville.example.fr"},
        headers=bearer(site, "admin"),
    )
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["result"] == {
        "username": "admin",
        "email": "admin@ville.example.fr",
    }
    assert _email(site, "admin") == "admin@ville.example.fr"


def test_an_administrator_changes_and_clears_another_account_s_address(
    site: Site,
) -> None:
    admin = site.client("admin")
    head = site.head()
    sent = admin.post(
        f"/admin/comptes/{SPARE}/adresse",
        data={"email": "reserve@ville.example.fr", "reason": "nouvelle adresse"},
    )
    assert sent.status_code == 302
    assert _email(site, SPARE) == "reserve@ville.example.fr"
    trail = q.audit_trail(site.read_model.store, limit=5)["events"]
    assert trail[0]["event_type"] == "Account.EmailChanged"
    assert (trail[0]["actor"], trail[0]["reason"]) == ("admin", "nouvelle adresse")
    audit = text(admin.get("/audit"))  # the change, with its field's French label,
    # never the addresses: the audit view would keep them after an erasure
    assert "Courriel : [donnée personnelle] → [donnée personnelle]" in audit, audit[
        :3000
    ]
    assert "reserve@ville.example.fr" not in audit
    api = site.app.test_client()
    cleared = api.put(
        f"/api/v1/accounts/{SPARE}/email",
        json={"email": ""},
        headers=bearer(site, "admin"),
    )
    assert cleared.status_code == 201
    assert _email(site, SPARE) == ""
    assert site.events_since(head) == ["Account.EmailChanged"] * 2
    # the address it had is told (the first change had none to tell)
    told = [
        m for m in Outbox(site.ledger.storage).newest() if m.key.startswith("email-")
    ]
    assert [(m.recipient, m.subject) for m in told] == [
        (
            "reserve@ville.example.fr",
            "Registre SDSI : l'adresse électronique de votre compte a changé",
        )
    ]
    assert (
        f"L'adresse électronique du compte « {SPARE} » du registre SDSI vient "
        "d'être changée par le compte « admin »."
    ) in told[0].text


def test_another_account_s_address_is_refused_to_a_non_administrator(
    site: Site,
) -> None:
    api = site.app.test_client()
    head = site.head()
    for who in ("member", "dsi", "referent"):
        refused = api.put(
            f"/api/v1/accounts/{SPARE}/email",
            json={"email": "pirate@ville.example.fr"},
            headers=bearer(site, login(who)),
        )
        assert refused.status_code == 403, who
    assert (
        site.client(login("dsi"))
        .post(
            f"/admin/comptes/{SPARE}/adresse", data={"email": "pirate@ville.example.fr"}
        )
        .status_code
        == 403
    )
    assert site.head() == head
    assert _email(site, SPARE) != "pirate@ville.example.fr"


@pytest.mark.parametrize(
    "bad", ["dsi@mairie", "pas une adresse", "a@ville.fr, b@ville.fr", "x" * 255]
)
def test_a_bad_address_is_refused_naming_the_field_with_nothing_written(
    site: Site, bad: str
) -> None:
    api = site.app.test_client()
    head = site.head()
    before = _email(site, login("member"))
    answer = api.put(
        f"/api/v1/accounts/{login('member')}/email",
        json={"email": bad},
        headers=bearer(site, login("member")),
    )
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    named = error["details"].get("field") or next(iter(error["details"]))
    assert named == "email", error  # the rule's refusal, or the schema's (too long)
    assert "Adresse électronique" in error["message"] or "email" in error["details"]
    page = site.client(login("member")).post(
        "/notifications/preferences", data={"email": bad}
    )
    assert page.status_code == 422
    body = page.get_data(as_text=True)
    assert 'aria-invalid="true" aria-describedby="email-error"' in body
    assert 'class="error-summary"' in body and 'href="#email"' in body
    admin_page = site.client("admin").post(
        f"/admin/comptes/{login('member')}/adresse", data={"email": bad}
    )
    assert admin_page.status_code == 422
    shown = admin_page.get_data(as_text=True)
    assert 'id="email-email-error"' in shown and 'href="#email-email"' in shown
    assert site.head() == head
    assert _email(site, login("member")) == before
