"""The discussion of a proposal in Chromium (issue 17, items 1 and 3), on SQLite (pages
and forms, not storage): a referent who chose to be told of answers "immediately"
asks a question on her direction's proposal, the DSI answers it; she finds the answer
in her inbox (the menu's counter, the entry) and marks the question answered; the
mail worker (`sdsi mail work --once`, which dispatches the notifications) sends her
exactly one e-mail, naming the proposal, to a local SMTP sink."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner
from playwright.sync_api import expect

from ledger.core import Caller
from sdsi.cli import main
from tests.smtp_sink import SmtpSink
from tests.web.e2e.browsing import PASSWORD, person

pytestmark = pytest.mark.parametrize("server", ["sqlite"], indirect=True)
CODE = "FAMILLE"  # a proposal of the Éducation direction
TITLE = "Portail famille et paiement en ligne"
QUESTION = "Le paiement en ligne couvre-t-il aussi la cantine ?"
REFERENT = "ref.courriel"  # a second referent of Éducation, with an e-mail address
ADDRESS = "elise.courriel@ville.example"


def _mail_worker(server: Any, sink: SmtpSink) -> str:
    """``sdsi mail work --once`` on the server's ledger, sending to ``sink``."""
    settings = server.app.extensions["sdsi"].settings
    env = {
        "SDSI_DATA_DIR": str(settings.data_dir),
        "SDSI_DATABASE_URL": f"sqlite:///{settings.database.sqlite_path}",
        "SDSI_PASSWORD_HASHING": "fast",
        "SDSI_SMTP_URL": sink.url,
        "SDSI_MAIL_FROM": "sdsi@ville.example",
        "SDSI_BASE_URL": server.url,
    }
    done = CliRunner().invoke(main, ["mail", "work", "--once"], env=env)
    assert done.exit_code == 0, done.output
    return str(done.output)


def test_a_referent_asks_the_dsi_answers_the_referent_is_told_in_app_and_by_mail(
    browser: Any, server: Any
) -> None:
    server.ledger.add_user(
        Caller("admin", reason="Référente suppléante"),
        REFERENT,
        "Élise Courriel",
        PASSWORD,
        email=ADDRESS,
        roles=[("referent", "EDU")],
    )
    server.caught_up()
    with person(browser, server, REFERENT) as ref:
        assert ref.open("/notifications/preferences") == 200
        answers = ref.page.get_by_role("group", name="Réponse à votre question")
        answers.get_by_label("Aussi par courriel, aussitôt").check()
        ref.click("Enregistrer")
        ref.flash("Vos préférences sont enregistrées.")
        assert ref.open(f"/fiches/{CODE}") == 200
        ref.select("Nature *", "question")
        ref.fill("Texte (5 000 caractères au plus) *", QUESTION)
        ref.click("Publier")
        ref.flash("Commentaire publié.")
        question = ref.page.locator("article.comment", has_text=QUESTION)
        expect(question).to_contain_text("en attente de réponse")

    with person(browser, server, "dsi.leroy") as dsi:
        assert dsi.open(f"/fiches/{CODE}") == 200
        dsi.fill(f"Répondre à {REFERENT} *", "Oui : cantine et accueil périscolaire.")
        dsi.click("Répondre")
        dsi.flash("Réponse publiée.")
    server.caught_up()

    with person(browser, server, REFERENT) as ref:
        nav = ref.page.get_by_role("navigation", name="Navigation principale")
        counter = nav.get_by_role("link", name="Notifications")
        expect(counter).to_contain_text("1 notification non lue")
        counter.click()
        (entry,) = ref.main.locator("tbody tr").all()
        expect(entry).to_contain_text("Réponse à votre question — réponse publiée")
        expect(entry).to_contain_text("dsi.leroy")
        entry.get_by_role("link", name=f"{CODE} — {TITLE}").click()
        question = ref.page.locator("article.comment", has_text=QUESTION)
        expect(question.locator(".reply")).to_contain_text(
            "Oui : cantine et accueil périscolaire."
        )
        question.get_by_role("button", name="Marquer comme répondue").click()
        ref.flash("Question marquée comme répondue.")
        question = ref.page.locator("article.comment", has_text=QUESTION)
        expect(question.locator("header").first).to_contain_text("répondue")
        expect(
            question.get_by_role("button", name="Marquer comme répondue")
        ).to_have_count(0)
        ref.look()
    server.caught_up()

    sink = SmtpSink().start()
    try:
        output = _mail_worker(server, sink)
        again = _mail_worker(server, sink)  # a second cycle sends nothing more
    finally:
        sink.stop()
    assert "queued 1 notification e-mail(s) and 0 digest(s)" in output
    assert "sent 1, to retry 0, failed 0" in output
    assert "sent 0, to retry 0, failed 0" in again
    (message,) = sink.messages
    assert [to for _sender, to in sink.envelopes] == [[ADDRESS]]
    assert message["To"] == ADDRESS
    assert message["Subject"] == f"[SDSI] Réponse à votre question : {CODE}"
    text = message.get_content()
    assert f"Réponse à votre question : {CODE} — {TITLE} (réponse publiée)" in text
    assert f"{server.url}/fiches/{CODE}#c-" in text
