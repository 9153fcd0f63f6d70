"""The diagnosis of the information system in Chromium (issue 20, phase 4), on the
demo: the DSI and the Médiathèques' referent assess the same application, the chair
finds both views side by side on its page, the DSI records a finding resting on
them, and the referent's proposal cites the application it replaces and the
finding — which the diagnosis page then shows as cited."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.e2e.browsing import person

pytestmark = pytest.mark.parametrize("server", ["sqlite"], indirect=True)
APP = "MEDIATHEQUE"
PROPOSAL = "SIGB"  # the Médiathèques' proposal of a new library system


def test_the_dsi_and_a_direction_assess_the_diagnosis_shows_both_a_proposal_cites_it(
    browser: Any, server: Any
) -> None:
    with person(browser, server, "dsi.leroy") as dsi:
        assert dsi.open(f"/diagnostic/applications/{APP}") == 200
        dsi.select("État technique *", "1")
        dsi.select("Risques *", "4")
        dsi.select("Obsolescence *", "4")
        dsi.fill("Commentaire", "Serveur hors garantie, base non sauvegardée.")
        dsi.click("Enregistrer l'évaluation de la DSI")
        dsi.flash("Évaluation de la DSI enregistrée.")
    server.caught_up()

    with person(browser, server, "ref.med") as ref:
        assert ref.open(f"/diagnostic/applications/{APP}") == 200
        expect(ref.main.get_by_role("button", name="Enregistrer l'évaluation de la DSI")).to_have_count(0)  # fmt: skip
        ref.select("Satisfaction *", "1")
        ref.select("Couverture des besoins *", "2")
        ref.fill("Commentaire", "Catalogue en ligne inutilisable sur mobile.")
        ref.click("Enregistrer l'évaluation de la direction")
        ref.flash("Évaluation de la direction MED enregistrée.")
    server.caught_up()

    with person(browser, server, "dgs.lefebvre") as chair:
        assert chair.open(f"/diagnostic/applications/{APP}") == 200
        dsi_view = chair.page.locator("#view-dsi")
        expect(dsi_view).to_contain_text("1 — mauvais")
        expect(dsi_view).to_contain_text("Serveur hors garantie")
        expect(dsi_view).to_contain_text("Évaluations précédentes")
        med_view = chair.page.locator("#view-MED")
        expect(med_view).to_contain_text("1 — insatisfaite")
        expect(med_view).to_contain_text("Catalogue en ligne inutilisable")
        expect(chair.page.locator("#view-CUL")).to_be_visible()  # a using direction
        expect(chair.main.get_by_role("button", name="Enregistrer")).to_have_count(0)
        chair.look("diagnosis-application")

    with person(browser, server, "dsi.leroy") as dsi:
        assert dsi.open("/diagnostic") == 200
        dsi.select("Nature *", "risk")
        dsi.fill("Intitulé *", "Médiathèque : système en fin de vie")
        dsi.page.get_by_label("Applications concernées").select_option(APP)
        dsi.fill("Évaluations citées", f"{APP}:dsi:2 {APP}:MED:2")
        dsi.click("Enregistrer le constat")
        dsi.flash("enregistré.")
        message = dsi.page.locator(".flash").first.inner_text()
        finding = re.search(r"CST-\d{3}", message)
        assert finding is not None, message
        code = finding.group(0)
    server.caught_up()

    with person(browser, server, "ref.med") as ref:
        assert ref.open(f"/fiches/{PROPOSAL}") == 200
        ref.page.get_by_text("Lier la fiche au diagnostic").click()
        ref.select("Application 1", APP)
        ref.select("Effet sur l'application 1", "replaces")
        ref.page.get_by_label(re.compile(f"^{code} ")).check()
        ref.click("Enregistrer les liens")
        ref.flash("Liens avec le diagnostic enregistrés.")
        section = ref.main.locator("#diagnostic + p")
        expect(section).to_contain_text(APP)
    server.caught_up()

    with person(browser, server, "dgs.lefebvre") as chair:
        assert chair.open("/diagnostic") == 200
        row = chair.page.locator(f"#finding-{code}")
        expect(row).to_contain_text(PROPOSAL)
        expect(row).to_contain_text(f"{APP}:MED:2")
        chair.look("diagnosis")
