"""The discussion of a proposal in Chromium (issue 17, item 1), on SQLite (pages and
forms, not storage): a referent asks a question on her direction's proposal, the DSI
answers it, the referent marks it answered."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.e2e.browsing import person

pytestmark = pytest.mark.parametrize("server", ["sqlite"], indirect=True)
CODE = "FAMILLE"  # a proposal of the Éducation direction (ref.edu)
QUESTION = "Le paiement en ligne couvre-t-il aussi la cantine ?"


def test_a_referent_asks_the_dsi_answers_the_referent_marks_it_answered(
    browser: Any, server: Any
) -> None:
    with person(browser, server, "ref.edu") as ref:
        assert ref.open(f"/fiches/{CODE}") == 200
        ref.select("Nature *", "question")
        ref.fill("Texte (5 000 caractères au plus) *", QUESTION)
        ref.click("Publier")
        ref.flash("Commentaire publié.")
        question = ref.page.locator("article.comment", has_text=QUESTION)
        expect(question).to_contain_text("en attente de réponse")

    with person(browser, server, "dsi.leroy") as dsi:
        assert dsi.open(f"/fiches/{CODE}") == 200
        dsi.fill("Répondre à ref.edu *", "Oui : cantine et accueil périscolaire.")
        dsi.click("Répondre")
        dsi.flash("Réponse publiée.")

    with person(browser, server, "ref.edu") as ref:
        assert ref.open(f"/fiches/{CODE}") == 200
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
