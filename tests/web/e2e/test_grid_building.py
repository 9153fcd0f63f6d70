"""The grid built together in Chromium (issue 20, part 4), on SQLite (pages and
forms, not storage): on a new draft of the grid, a direction's referent proposes a
criterion with its weight and descriptors in the draft's discussion; the chair takes
it into the draft with one button; the draft then lists the criterion, marked as
coming from the discussion, and the proposition says it was accepted and by whom."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from ledger.core import Caller
from tests.web.e2e.browsing import person

pytestmark = pytest.mark.parametrize("server", ["sqlite"], indirect=True)
REFERENT = "ref.fin"
CHAIR = "dgs.lefebvre"
LABEL = "Dématérialisation des pièces comptables"
WHY = "Les finances demandent que la chaîne comptable sans papier compte."


def test_a_referent_proposes_a_criterion_and_the_chair_takes_it_into_the_draft(
    browser: Any, server: Any
) -> None:
    server.ledger.draft_grid(
        Caller("dsi.martin", reason="révision de la grille"),
        3,
        "Grille révisée avec les directions",
        based_on=2,
    )
    server.caught_up()
    with person(browser, server, REFERENT) as ref:
        assert ref.open("/grille?v=3") == 200
        ref.select("Nature *", "proposition")
        ref.fill("Texte (5 000 caractères au plus) *", WHY)
        ref.fill("Libellé du critère", LABEL)
        ref.fill("Code (facultatif)", "V-DEMAT")
        ref.select("Famille (facultatif)", "value")
        ref.fill("Poids proposé en % (facultatif)", "5")
        ref.fill(
            "Descripteurs des niveaux, un par ligne, du niveau 1 au plus haut "
            "(facultatif)",
            "aucun effet\neffet limité\neffet net\nchaîne sans papier",
        )
        ref.click("Publier")
        ref.flash("Commentaire publié.")
        proposition = ref.page.locator("article.comment", has_text=WHY)
        expect(proposition).to_contain_text(LABEL)
        expect(proposition).to_contain_text("chaîne sans papier")
        # a referent proposes; only the chair consolidates
        expect(
            proposition.get_by_role(
                "button", name=f"Retenir dans le brouillon : {LABEL}"
            )
        ).to_have_count(0)
    server.caught_up()

    with person(browser, server, CHAIR) as chair:
        assert chair.open("/grille?v=3") == 200
        proposition = chair.page.locator("article.comment", has_text=WHY)
        proposition.get_by_role(
            "button", name=f"Retenir dans le brouillon : {LABEL}"
        ).click()
        chair.flash("Proposition retenue dans le brouillon de la grille.")
        row = chair.main.locator("tr#c-V-DEMAT")
        expect(row).to_contain_text(LABEL)
        expect(row).to_contain_text("issu d'une proposition de la discussion")
        expect(row).to_contain_text("4 — chaîne sans papier")
        proposition = chair.page.locator("article.comment", has_text=WHY)
        expect(proposition).to_contain_text(
            f"retenue dans le brouillon (critère V-DEMAT) par {CHAIR}"
        )
        expect(
            proposition.get_by_role(
                "button", name=f"Retenir dans le brouillon : {LABEL}"
            )
        ).to_have_count(0)
        chair.look()
