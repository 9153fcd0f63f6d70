"""Self-service password reset ("Mot de passe oublié ?"): the same answer whether an
account exists or not, a single-use link valid 30 minutes sent through the outbox
(delivered by the worker to a real SMTP sink), the new password under the usual
rules, the account's sessions ended, used/expired/unknown links refused clearly.
On SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from ledger.core import Caller
from ledger.mail_config import MailSettings, smtp_settings
from ledger.mailer import MailWorker
from ledger.outbox import Outbox
from ledger.resets import VALIDITY, PasswordResets
from tests.smtp_sink import SmtpSink
from tests.web.ui_client import Site, text
from tests.web.world import PASSWORD, open_world

LOCAL, DIRECTORY_ACCOUNT, NO_EMAIL = "u.oubli", "u.annuaire", "u.sansmail"
EMAIL = "Jeanne.Oubli@ville.example.fr"
ANSWER = "Si un compte correspond, un message a été envoyé."
NEW_PASSWORD = "un-nouveau-secret-42"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    running = open_world(request, tmp_path_factory, request.param)
    led = running.ledger
    admin = Caller(actor="admin", reason="préparation des tests")
    led.add_user(
        admin, LOCAL, "Jeanne Oubli", PASSWORD, email=EMAIL, roles=[("member", None)]
    )
    led.add_user(admin, NO_EMAIL, "Sans Adresse", PASSWORD, roles=[("member", None)])
    led.register_directory_account(
        Caller(actor="annuaire", reason="première connexion"),
        DIRECTORY_ACCOUNT,
        "Compte Annuaire",
        "ldap",
        email="annuaire@ville.example.fr",
    )
    running.caught_up()
    yield running
    running.close()


def reset_mails(site: Site) -> list[Any]:
    return [
        m
        for m in Outbox(site.ledger.storage).newest(500)
        if m.key.startswith("password-reset:")
    ]


def ask(site: Site, identifier: str, ip: str) -> Any:
    return site.client().post(
        "/connexion/mot-de-passe-oublie",
        data={"identifier": identifier},
        environ_base={"REMOTE_ADDR": ip},
        follow_redirects=True,
    )


def link_of(body: str) -> str:
    found = re.search(r"http://localhost(/connexion/nouveau-mot-de-passe/\S+)", body)
    assert found is not None, body
    return found.group(1)


def test_the_sign_in_page_offers_the_reset(site: Site) -> None:
    page = site.client().get("/connexion").get_data(as_text=True)
    assert 'href="/connexion/mot-de-passe-oublie">Mot de passe oublié ?</a>' in page


def test_the_answer_is_the_same_whether_an_account_matches_or_not(
    site: Site,
) -> None:
    before = len(reset_mails(site))
    answers = {}
    for n, identifier in enumerate(
        [
            LOCAL,
            EMAIL.upper(),
            "personne",
            "personne@ville.example.fr",
            DIRECTORY_ACCOUNT,
            NO_EMAIL,
            "admin",
        ]
    ):
        answer = ask(site, identifier, f"10.1.0.{n}")
        assert answer.status_code == 200
        answers[identifier] = text(answer).replace(identifier, "")
        assert ANSWER in answers[identifier]
    assert len(set(answers.values())) == 1
    mails = reset_mails(site)[: len(reset_mails(site)) - before]
    # by login and by address (any case): the local account only, twice
    assert [(m.recipient, m.subject) for m in mails] == [
        (EMAIL, "Registre SDSI : choisir un nouveau mot de passe")
    ] * 2
    assert mails[0].text.startswith("Bonjour Jeanne Oubli,\n\n")
    assert "ouvrez ce lien dans les 30 minutes" in mails[0].text


def test_an_empty_request_names_the_field_and_sends_nothing(site: Site) -> None:
    before = len(reset_mails(site))
    answer = ask(site, "   ", "10.2.0.1")
    assert answer.status_code == 422
    assert "Identifiant ou adresse électronique : champ obligatoire." in text(answer)
    assert len(reset_mails(site)) == before


def test_requests_from_one_client_are_rate_limited(site: Site) -> None:
    statuses = [ask(site, "personne", "10.3.0.1").status_code for _ in range(11)]
    assert statuses == [200] * 10 + [429]
    refused = ask(site, "personne", "10.3.0.1")
    assert "Trop de demandes depuis votre poste" in text(refused)
    assert ask(site, "personne", "10.3.0.2").status_code == 200


def test_the_link_sets_a_new_password_once_and_ends_the_sessions(
    site: Site,
) -> None:
    sink = SmtpSink().start()
    try:
        Outbox(site.ledger.storage)  # the worker empties what earlier tests queued
        worker = MailWorker(
            site.ledger.storage,
            MailSettings(smtp=smtp_settings(sink.url), sender="sdsi@ville.example.fr"),
        )
        worker.drain()
        sink.messages.clear()
        assert ask(site, LOCAL, "10.4.0.1").status_code == 200
        assert worker.drain().sent == 1
    finally:
        sink.stop()
    (message,) = sink.messages
    assert message["To"] == EMAIL
    body = message.get_body(("plain",))
    assert body is not None
    link = link_of(body.get_content())
    other = site.client(LOCAL)
    assert other.get("/").status_code == 200
    head = site.head()

    form = site.client().get(link)
    assert form.status_code == 200
    assert form.headers["Referrer-Policy"] == "no-referrer"
    assert "Nouveau mot de passe" in text(form)

    weak = site.client().post(
        link, data={"password": "1234567890", "password_confirm": "1234567890"}
    )
    assert weak.status_code == 422
    assert "mot de passe trop simple" in text(weak)
    differ = site.client().post(
        link, data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD + "x"}
    )
    assert differ.status_code == 422
    assert "Les deux saisies du nouveau mot de passe diffèrent." in text(differ)
    assert site.head() == head  # nothing written, the link still valid

    done = site.client().post(
        link, data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
    )
    assert done.status_code == 302 and done.headers["Location"] == "/connexion"
    site.caught_up()
    assert site.events_since(head) == ["Account.PasswordChanged"]
    assert site.ledger.authenticate(LOCAL, PASSWORD) is None
    assert site.ledger.authenticate(LOCAL, NEW_PASSWORD) is not None
    assert other.get("/").status_code == 302  # its session ended

    again = site.client().post(
        link, data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
    )
    assert again.status_code == 410
    assert "Ce lien a déjà servi : il ne vaut qu'une fois." in text(again)
    assert site.head() == head + 1


def test_expired_and_unknown_links_are_refused_clearly(site: Site) -> None:
    old = PasswordResets(site.ledger.storage, clock=lambda: time.time() - VALIDITY - 1)
    expired = old.issue(LOCAL)
    answer = site.client().get(f"/connexion/nouveau-mot-de-passe/{expired}")
    assert answer.status_code == 410
    assert "Ce lien a expiré (il vaut 30 minutes) : demandez-en un nouveau." in text(
        answer
    )
    posted = site.client().post(
        f"/connexion/nouveau-mot-de-passe/{expired}",
        data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )
    assert posted.status_code == 410
    nul = site.client().get("/connexion/nouveau-mot-de-passe/%00")
    assert nul.status_code == 422  # refused before any view, as everywhere
    for token in ("inconnu", "x" * 500, "é", "a%0D%0AX"):
        answer = site.client().get(f"/connexion/nouveau-mot-de-passe/{token}")
        assert answer.status_code == 404
        assert "Ce lien n'est pas valable : demandez-en un nouveau." in text(answer)


def test_more_than_three_requests_in_a_row_for_one_account_send_nothing_more(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    led = site.ledger
    led.add_user(
        Caller(actor="admin", reason="préparation des tests"), "u.flood", "Flood",
        PASSWORD, email="flood@ville.example.fr", roles=[("member", None)],
    )  # fmt: skip
    site.caught_up()
    counters = site.app.extensions["sdsi"].extra["throttle"].counters
    now = time.time()
    monkeypatch.setattr(counters, "clock", lambda: now)  # all at the same instant

    def flooded() -> int:
        return sum(1 for m in reset_mails(site) if m.recipient.startswith("flood@"))

    for n in range(5):
        answer = ask(site, "u.flood", f"10.5.0.{n}")
        assert answer.status_code == 200
        assert ANSWER in text(answer)  # the same answer, silently not sent
        assert flooded() == min(n + 1, 3)


def test_a_link_of_an_account_disabled_since_sets_nothing(site: Site) -> None:
    """An account disabled after its link was sent (someone who left): the link
    no longer sets a password, so re-enabling the account cannot bring back one
    chosen by whoever held the mailbox."""
    led = site.ledger
    admin = Caller(actor="admin", reason="préparation des tests")
    led.add_user(
        admin, "u.parti", "Parti", PASSWORD, email="parti@ville.example.fr",
        roles=[("member", None)],
    )  # fmt: skip
    token = PasswordResets(led.storage).issue("u.parti")
    led.disable_user(Caller(actor="admin", reason="départ de l'agent"), "u.parti")
    site.caught_up()
    head = site.head()
    link = f"/connexion/nouveau-mot-de-passe/{token}"
    assert site.client().get(link).status_code == 410
    posted = site.client().post(
        link, data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
    )
    assert posted.status_code == 410
    assert "Ce lien n'est plus valable : ce compte ne peut plus" in text(posted)
    assert site.head() == head
    led.enable_user(Caller(actor="admin", reason="retour"), "u.parti")
    assert led.authenticate("u.parti", NEW_PASSWORD) is None


def test_the_link_points_at_sdsi_base_url_whatever_host_the_request_names(
    site: Site,
) -> None:
    """Reset poisoning: whoever asks chooses the Host header; the link (and its
    token) must still point at the site, never at their server."""
    before = len(reset_mails(site))
    answer = site.client().post(
        "/connexion/mot-de-passe-oublie",
        data={"identifier": LOCAL},
        environ_base={"REMOTE_ADDR": "10.6.0.1"},
        headers={"Host": "pirate.example", "X-Forwarded-Host": "pirate.example"},
    )
    assert answer.status_code == 302
    (mail,) = reset_mails(site)[: len(reset_mails(site)) - before]
    assert "pirate" not in mail.text
    assert link_of(mail.text).startswith("/connexion/nouveau-mot-de-passe/")


@pytest.mark.parametrize("change", ["own password", "admin reset", "e-mail"])
def test_a_pending_link_dies_when_the_password_or_the_address_changes(
    site: Site, change: str
) -> None:
    led = site.ledger
    login = f"u.lien{['own password', 'admin reset', 'e-mail'].index(change)}"
    led.add_user(
        Caller(actor="admin", reason="préparation des tests"), login, "Lien",
        PASSWORD, email=f"{login}@ville.example.fr", roles=[("member", None)],
    )  # fmt: skip
    resets = PasswordResets(led.storage)
    token = resets.issue(login)
    assert resets.state(token).status == "valid"
    if change == "own password":
        led.change_password(Caller(actor=login), login, PASSWORD, NEW_PASSWORD)
    elif change == "admin reset":
        led.reset_password(
            Caller(actor="admin", reason="oubli signalé"), login, NEW_PASSWORD
        )
    else:
        led.change_email(Caller(actor=login), login, "nouvelle@ville.example.fr")
    assert resets.state(token).status == "used"
    site.caught_up()
    head = site.head()
    posted = site.client().post(
        f"/connexion/nouveau-mot-de-passe/{token}",
        data={
            "password": "encore-un-autre-secret-7",
            "password_confirm": "encore-un-autre-secret-7",
        },
    )
    assert posted.status_code == 410
    assert site.head() == head
    assert led.authenticate(login, "encore-un-autre-secret-7") is None


def test_without_sdsi_base_url_no_link_is_sent_and_the_operator_is_told(
    site: Site, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    web = site.app.extensions["sdsi"]
    bare = dataclasses.replace(
        web.settings, mail=dataclasses.replace(web.settings.mail, base_url="")
    )
    monkeypatch.setattr(web, "settings", bare)
    before = len(reset_mails(site))
    answer = ask(site, LOCAL, "10.7.0.1")
    assert answer.status_code == 200
    assert ANSWER in text(answer)  # the same answer: nothing to learn from it
    assert len(reset_mails(site)) == before
    assert (
        "password reset asked for 1 account(s), no link sent: SDSI_BASE_URL is unset"
        in caplog.text
    )
