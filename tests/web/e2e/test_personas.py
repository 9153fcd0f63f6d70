"""Each persona's main flow, end to end in Chromium, through the UI only.

One proposal of the Éducation direction goes the whole way, on each backend: the
referent drafts and submits it, the DSI qualifies it, two evaluators score it, the
chair convenes a session, puts it on the agenda, opens the session, the members vote,
the chair approves it with its AP and CP and closes the session, finance records a
commitment and downloads the budget export, and the auditor looks at the ledger as it
stood before the decision. The tests run in this order and share the server's state.

Then every other page, as each persona finds it after the story (some opened by their
address, as from a bookmark): the refusals (403, 404, a refused sign-in, a refused
commitment), the keyboard's skip link, and the pages of the DSI, chair, members,
finance, auditor and administrator. Every page a persona looks at is checked by
axe-core and shot into docs/screenshots (browsing.Persona.look).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.web.e2e.browsing import person

CODE = "E2E-TABLETTES"
TITLE = "Tablettes numériques pour les écoles élémentaires"


def test_referent_drafts_a_proposal_for_their_direction_and_submits_it(
    browser: Any, server: Any
) -> None:
    server.clock.on("2026-12-01T09:00:00")
    with person(browser, server, "ref.edu") as ref:
        page = ref.page
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Bonjour Élise Garnier"
        )
        ref.look("home-referent")

        ref.click("Rédiger une fiche", role="link")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Nouvelle fiche projet"
        )
        # a referent drafts for their own direction only
        assert page.locator("#f-direction option").all_inner_texts() == [
            "—",
            "EDU — Éducation",
        ]
        ref.look("proposal-new")

        # an empty form: nothing is written, each field says what is missing
        ref.click("Enregistrer le brouillon")
        summary = ref.main.locator(".error-summary h2")
        expect(summary).to_have_text("Le formulaire contient 4 erreurs")
        expect(summary).to_be_focused()
        expect(ref.main.locator(".error-summary a").first).to_have_text(
            "Code de la fiche : Champ obligatoire."
        )
        expect(page.locator("#e-code")).to_have_text("Champ obligatoire.")
        ref.look("proposal-new-errors")

        ref.fill("Code de la fiche *", CODE)
        ref.select("Direction porteuse *", "EDU")
        ref.fill("Intitulé *", TITLE)
        ref.fill(
            "Description *",
            "Équiper les classes de CM1 et CM2 de tablettes gérées par la DSI.",
        )
        ref.fill("Organisation — description", "Un référent numérique par école")
        ref.fill("Système d'information — description", "Flotte de 240 tablettes")
        page.locator("#axes-0-axis").select_option("A1")
        page.locator("#axes-0-expected_effect").fill("Usages numériques en classe")
        page.locator("#costs-0-year").fill("2026")
        page.locator("#costs-0-section").select_option("investissement")
        page.locator("#costs-0-amount").fill("30000.00")
        page.locator("#risks-0-label").fill("Disponibilité du réseau des écoles")
        page.locator("#risks-0-level").select_option("2")
        ref.click("Enregistrer le brouillon")

        ref.flash(f"Fiche {CODE} enregistrée (brouillon).")
        expect(page.get_by_role("heading", level=1)).to_have_text(f"{CODE} — {TITLE}")
        expect(ref.meta("Statut")).to_have_text("Brouillon")
        expect(
            ref.main.locator("table").filter(has_text="Coûts par année")
        ).to_contain_text("30 000,00 €")
        ref.look("proposal-draft")

        ref.click("Soumettre")
        ref.flash("Fiche soumise.")
        expect(ref.meta("Statut")).to_have_text("Soumise")
        ref.look()


def test_dsi_qualifies_the_submitted_proposal(browser: Any, server: Any) -> None:
    server.clock.on("2026-12-02T10:00:00")
    with person(browser, server, "dsi.martin") as dsi:
        page = dsi.page
        to_qualify = dsi.main.get_by_role("region", name="Fiches à qualifier")
        expect(to_qualify).to_contain_text(f"{CODE} — {TITLE}")
        dsi.look("home-dsi")

        to_qualify.get_by_role("link", name=CODE, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            f"Qualifier la fiche {CODE} — {TITLE}"
        )
        # pre-filled with the referent's estimate
        expect(page.locator("#costs-0-amount")).to_have_value("30000.00")
        dsi.look("qualify")
        page.locator("#costs-0-amount").fill("32000.00")
        page.locator("#workloads-0-team").select_option("DSI-APPS")
        page.locator("#workloads-0-year").fill("2026")
        page.locator("#workloads-0-days").fill("25")
        dsi.fill("Note de la DSI", "Ajout du MDM et de la formation des enseignants.")
        dsi.click("Enregistrer la qualification")

        dsi.flash("Qualification enregistrée.")
        expect(dsi.meta("Statut")).to_have_text("Qualifiée")
        expect(
            dsi.main.get_by_role("heading", level=2, name="Estimations")
        ).to_contain_text("qualifiées par la DSI")
        costs = dsi.main.locator("table").filter(has_text="Coûts par année")
        expect(costs.locator("tbody td")).to_have_text(
            ["2026", "Investissement", "32 000,00 €"]
        )
        workloads = dsi.main.locator("table").filter(has_text="Charge par équipe")
        expect(workloads.locator("tbody td")).to_have_text(["DSI-APPS", "2026", "25"])
        dsi.look()


# Levels given by each evaluator on the adopted grid (v2; levels 1 to 4).
SCORES = {
    "dga.roux": {
        "V-STRAT": 4, "V-USAG": 4, "V-EFF": 4, "V-REG": 1, "V-MUT": 4, "V-DATA": 4,
        "V-SECU": 4, "V-SOBR": 4, "R-TECH": 2, "R-FOUR": 2, "R-CHG": 2, "R-SECU": 2,
    },
    "eval.petit": {
        "V-STRAT": 4, "V-USAG": 3, "V-EFF": 3, "V-REG": 1, "V-MUT": 3, "V-DATA": 3,
        "V-SECU": 3, "V-SOBR": 3, "R-TECH": 1, "R-FOUR": 2, "R-CHG": 2, "R-SECU": 2,
    },
}  # fmt: skip
# value = Σ weight × (mean − 1) / 3 over the value criteria (weights sum to 100):
# 18 × 1 + (15 + 12 + 8 + 10 + 10 + 17) × 2.5 / 3 = 78; risk: 30 × 0.5 / 3 +
# (20 + 30 + 20) × 1 / 3 = 28.33…
VALUE, RISK = "78,00", "28,33"


def test_two_evaluators_score_it_with_justifications(browser: Any, server: Any) -> None:
    server.clock.on("2026-12-03T11:00:00")
    for number, (evaluator, levels) in enumerate(SCORES.items(), start=1):
        with person(browser, server, evaluator) as ev:
            page = ev.page
            to_score = ev.main.get_by_role("region", name="Fiches à noter")
            expect(to_score).to_contain_text(f"{CODE} — {TITLE}")
            to_score.get_by_role("link", name=CODE, exact=True).click()
            expect(page.get_by_role("heading", level=1)).to_have_text(
                f"Noter la fiche {CODE} — {TITLE}"
            )
            if number == 1:
                # a level without its justification is refused, and nothing written
                page.locator("#lv-V-STRAT").select_option("4")
                ev.click("Enregistrer mes notes")
                expect(ev.main.locator(".error-summary h2")).to_have_text(
                    "Le formulaire contient 1 erreur"
                )
                why = page.locator("#js-V-STRAT")
                expect(why).to_have_attribute("aria-invalid", "true")
                expect(why).to_have_attribute("aria-describedby", "js-V-STRAT-e")
                expect(page.locator("#js-V-STRAT-e")).to_be_visible()
                ev.look("score-errors")
            for criterion, level in levels.items():
                page.locator(f"#lv-{criterion}").select_option(str(level))
                page.locator(f"#js-{criterion}").fill(
                    f"{criterion} : niveau {level} selon {evaluator}."
                )
            ev.look("score" if number == 1 else None)
            ev.click("Enregistrer mes notes")
            ev.flash("12 note(s) enregistrée(s).")
            expect(ev.meta("Valeur / risque")).to_contain_text(
                f"(grille v2, {number} évaluateur(s))"
            )
            ev.look("proposal-scored" if number == 2 else None)
    with person(browser, server, "dsi.martin") as dsi:
        dsi.open(f"/fiches/{CODE}")
        expect(dsi.meta("Valeur / risque")).to_have_text(
            f"{VALUE} / {RISK} (grille v2, 2 évaluateur(s))"
        )
        summary = dsi.main.locator("table").filter(
            has_text="Grille v2 — 2 évaluateur(s)"
        )
        expect(summary.locator("caption")).to_contain_text(
            f"valeur {VALUE}, risque {RISK}"
        )
        dsi.page.get_by_text("Toutes les notes, avec leur justification").click()
        expect(
            dsi.main.get_by_role("cell", name="V-SOBR : niveau 3 selon eval.petit.")
        ).to_be_visible()


SESSION = "COPIL-2026-12-10"
SESSION_TITLE = "COPIL de décembre 2026"
# member → vote on the proposal (elu.simon is absent, dga.fournier does not vote)
VOTES = {
    "dgs.lefebvre": "Pour",
    "dga.roux": "Pour",
    "elu.dubois": "Pour",
    "elu.moreau": "Contre",
    "elu.laurent": "Abstention",
}


def test_chair_convenes_a_session_puts_it_on_the_agenda_and_opens_it(
    browser: Any, server: Any
) -> None:
    server.clock.on("2026-12-04T09:00:00")
    with person(browser, server, "dgs.lefebvre") as chair:
        page = chair.page
        chair.nav("Séances du COPIL")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Séances du comité de pilotage"
        )
        chair.look("sessions")
        convene = chair.main.get_by_role("region", name="Convoquer une séance")
        convene.get_by_label("Code de la séance").fill(SESSION)
        convene.get_by_label("Intitulé").fill(SESSION_TITLE)
        convene.get_by_label("Date").fill("2026-12-10")
        chair.click("Convoquer la séance")

        chair.flash(f"Séance {SESSION} convoquée.")
        expect(page.get_by_role("heading", level=1)).to_have_text(SESSION_TITLE)
        expect(chair.meta("Statut")).to_contain_text("Convoquée")
        expect(chair.meta("Règle de quorum")).to_have_text(
            "majorité des membres votants — 4 requis sur 7"
        )
        agenda = chair.main.get_by_role("region", name="Ordre du jour")
        agenda.get_by_label("Inscrire une fiche qualifiée ou ajournée").select_option(
            CODE
        )
        chair.click("Inscrire à l'ordre du jour")
        chair.flash(f"Fiche {CODE} inscrite à l'ordre du jour.")
        expect(agenda.locator("tbody tr").first.locator("td")).to_have_text(
            [f"{CODE} — {TITLE}", "EDU", "À l'ordre du jour", VALUE, RISK,
             "0 pour, 0 contre, 0 abstention(s)", "en attente"]
        )  # fmt: skip
        chair.look("session-convened")

        server.clock.on("2026-12-10T14:00:00")
        attendance = chair.main.get_by_role("group", name="Ouvrir la séance")
        attendance.get_by_label("Sylvie Simon (voix délibérative)").uncheck()
        chair.click("Ouvrir la séance")
        chair.flash("Séance ouverte.")
        expect(chair.meta("Statut")).to_contain_text("Ouverte")
        quorum = chair.main.get_by_role("region", name="Présences et quorum")
        expect(quorum.locator("[data-quorum]")).to_have_text("6 / 4")
        expect(quorum).to_contain_text("quorum atteint")
        expect(
            quorum.get_by_role("row", name="Sylvie Simon (elu.simon)")
        ).to_contain_text("absent(e)")
        chair.look("session-open")


def test_members_vote_on_the_item(browser: Any, server: Any) -> None:
    server.clock.on("2026-12-10T14:10:00")
    for member, choice in VOTES.items():
        with person(browser, server, member) as voter:
            page = voter.page
            to_vote = voter.main.get_by_role("region", name="Séances où voter")
            to_vote.get_by_role("link", name=SESSION_TITLE).click()
            expect(page.get_by_role("heading", level=1)).to_have_text(SESSION_TITLE)
            ballot = voter.main.get_by_role("group", name=f"Votre vote sur {CODE}")
            ballot.get_by_label(choice, exact=True).check()
            voter.click("Voter")
            voter.flash(f"Vote enregistré sur {CODE}.")
            item = voter.main.locator(f"#item-{CODE}")
            expect(item).to_contain_text(f"Votre vote actuel : {choice}")
            if member == "elu.dubois":
                voter.look("session-vote")
    with person(browser, server, "elu.simon") as absent:
        absent.open(f"/seances/{SESSION}")
        expect(absent.main.locator(f"#item-{CODE}")).to_contain_text(
            "Vous êtes noté(e) absent(e) : vous ne pouvez pas voter."
        )
        absent.look()


def test_chair_records_the_decision_with_ap_and_cp_and_closes_the_session(
    browser: Any, server: Any
) -> None:
    server.clock.on("2026-12-10T15:00:00")
    with person(browser, server, "dgs.lefebvre") as chair:
        page = chair.page
        chair.open(f"/seances/{SESSION}")
        item = chair.main.locator(f"#item-{CODE}")
        expect(item).to_contain_text(
            "Votes en vigueur : 3 pour, 1 contre, 1 abstention(s)."
        )
        item.get_by_role("link", name=f"Arbitrer {CODE}").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            f"Arbitrer {CODE} — {TITLE}"
        )
        expect(page.locator("#tally")).to_contain_text(
            "3 pour, 1 contre, 1 abstention(s) — majorité favorable"
        )
        chair.look("decide")

        page.get_by_label("Approuvée", exact=True).check()
        chair.fill("Motivation *", "Priorité du projet éducatif ; valeur élevée.")
        chair.fill("Autorisation de programme (AP, €)", "32000.00")
        page.locator("#cp-0-year").fill("2026")
        page.locator("#cp-0-section").select_option("investissement")
        page.locator("#cp-0-amount").fill("32000.00")
        chair.click("Enregistrer la décision")

        chair.flash(f"Décision enregistrée sur {CODE}.")
        decision = chair.main.get_by_role("region", name="Décisions").locator("article")
        expect(decision).to_have_count(1)
        expect(decision).to_contain_text(f"{CODE} : Approuvée")
        expect(decision).to_contain_text("AP accordée : 32 000,00 €")
        expect(decision).to_contain_text(
            "Vote : 3 pour, 1 contre, 1 abstention(s) ; quorum 6/4 ; grille v2."
        )

        chair.click("Clore la séance")
        chair.flash("Séance close.")
        expect(chair.meta("Statut")).to_contain_text("Close")
        chair.look("session-closed")

        chair.open(f"/fiches/{CODE}")
        expect(chair.meta("Statut")).to_have_text("Approuvée")
        budget = chair.main.locator("table").filter(has_text="Disponible")
        expect(budget.locator("tbody td")).to_have_text(
            [
                "2026",
                "Investissement",
                "32 000,00 €",
                "0,00 €",
                "0,00 €",
                "32 000,00 €",
                "",
            ]
        )
        chair.look("proposal-approved")


def test_the_referent_sees_the_decision_in_the_menu_counter_and_the_inbox(
    browser: Any, server: Any
) -> None:
    with person(browser, server, "ref.edu") as ref:
        nav = ref.page.get_by_role("navigation", name="Navigation principale")
        counter = nav.get_by_role("link", name="Notifications")
        # the demo's decisions on Éducation's proposals, and this one, not yet read
        expect(counter).to_contain_text("notifications non lues")
        counter.click()
        expect(ref.page.get_by_role("heading", level=1)).to_have_text("Notifications")
        newest = ref.main.locator("tbody tr").first
        expect(newest).to_contain_text(
            "Décision sur une fiche de votre direction — Approuvée"
        )
        expect(newest).to_contain_text("dgs.lefebvre")
        expect(newest.get_by_role("link", name=f"{CODE} — {TITLE}")).to_have_attribute(
            "href", f"/fiches/{CODE}"
        )
        ref.look("notifications-inbox")
        ref.click("Tout marquer comme lu")
        ref.flash("Toutes vos notifications sont marquées comme lues.")
        expect(counter).to_have_text("Notifications")
        expect(newest).to_contain_text("Lue")


COMMITMENT = "ENG-2026-E2E-01"


def test_finance_records_a_commitment_and_downloads_the_budget_export(
    browser: Any, server: Any
) -> None:
    server.clock.on("2026-12-14T10:00:00")
    with person(browser, server, "fin.garnier") as fin:
        page = fin.page
        fin.nav("Budget")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Budget : enveloppes, AP/CP, engagements et mandats"
        )
        filters = fin.main.get_by_role("form", name="Filtres")
        filters.get_by_label("Direction").select_option("EDU")
        filters.get_by_role("button", name="Filtrer").click()
        expect(page.locator("#projets ~ .table-scroll > table").first).to_contain_text(
            f"{CODE} — {TITLE}"
        )
        fin.look("budget")
        fin.click("Enregistrer un engagement", role="link")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Enregistrer un engagement"
        )
        fin.select("Projet *", CODE)
        fin.fill("Référence de l'engagement *", COMMITMENT)
        fin.select("Exercice des CP *", "2026")
        fin.select("Section *", "investissement")
        fin.fill("Montant (€) *", "12000.00")
        fin.fill("Date de l'engagement *", "2026-12-14")
        fin.fill("Fournisseur *", "UGAP")
        fin.look("commitment-form")
        fin.click("Enregistrer l'engagement")

        fin.flash(f"Engagement {COMMITMENT} enregistré.")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            f"AP/CP du projet {CODE} — {TITLE}"
        )
        expect(fin.meta("AP votée")).to_have_text(f"32 000,00 € (séance {SESSION})")
        cp = page.locator("#cp + .table-scroll > table")
        expect(cp.locator("tbody td")).to_have_text(
            ["2026", "Investissement", "32 000,00 €", "32 000,00 €", "12 000,00 €",
             "0,00 €", "20 000,00 €", ""]
        )  # fmt: skip
        commitments = page.locator("#engagements + .table-scroll > table")
        expect(commitments.locator("tbody td").nth(1)).to_have_text(COMMITMENT)
        expect(commitments.locator("tbody td").nth(2)).to_have_text("14 décembre 2026")
        fin.look("project-budget")

        fin.nav("Exports")
        expect(page.get_by_role("heading", level=1)).to_have_text("Exports")
        fin.look("exports")
        budget = fin.main.get_by_role(
            "region", name="Consommation budgétaire (AP/CP, engagements, mandats)"
        )
        with page.expect_download() as download:
            budget.get_by_role("link", name="CSV (;)").click()
        assert download.value.suggested_filename.endswith(".csv")
        content = Path(download.value.path()).read_bytes()
    assert content.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte order mark"
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    ours = [r for r in rows if r["Projet"] == CODE]
    assert len(ours) == 1, ours
    line = ours[0]
    assert (line["Exercice"], line["Section"], line["Direction"], line["Statut"]) == (
        "2026",
        "investissement",
        "EDU",
        "approuvé",
    ), line
    money = {
        k: line[k]
        for k in ("AP votée", "CP de l'exercice", "Engagé", "Mandaté", "Disponible")
    }
    assert money == {
        "AP votée": "32000,00",
        "CP de l'exercice": "32000,00",
        "Engagé": "12000,00",
        "Mandaté": "0,00",
        "Disponible": "20000,00",
    }


def test_auditor_replays_a_date_before_the_decision_then_comes_back_to_now(
    browser: Any, server: Any
) -> None:
    with person(browser, server, "audit.crc") as auditor:
        page = auditor.page
        auditor.nav("Audit")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Journal d'audit et intégrité du registre"
        )
        # the proposal's events, newest first, each with its command context
        events = auditor.main.get_by_role("form", name="Filtres des événements")
        events.get_by_label("Objet (code, identifiant)").fill(CODE)
        events.get_by_role("button", name="Filtrer").click()
        decided = page.locator("table.events tbody tr").filter(has_text="dgs.lefebvre")
        expect(decided.first).to_contain_text("10 déc. 2026 16:00")
        auditor.look("audit")
        replay = auditor.main.get_by_role(
            "region", name="Revoir le registre à une date"
        )
        # the evening before the session: scored and on the agenda, not yet decided
        replay.get_by_label("Date et heure (UTC)").fill("2026-12-09T18:00")
        auditor.click("Voir à cette date")
        banner = page.locator(".asof")
        expect(banner).to_contain_text(
            "Vue historique : l'état du registre au 2026-12-09T18:00"
        )
        auditor.fill("Une fiche à cette date (code)", CODE)
        auditor.click("Ouvrir la fiche")

        expect(page.get_by_role("heading", level=1)).to_have_text(f"{CODE} — {TITLE}")
        expect(banner).to_contain_text("Les actions sont désactivées.")
        expect(auditor.meta("Statut")).to_have_text("À l'ordre du jour")
        expect(auditor.meta("Valeur / risque")).to_have_text(
            f"{VALUE} / {RISK} (grille v2, 2 évaluateur(s))"
        )
        decisions = auditor.main.get_by_role("heading", level=2, name="Décisions")
        expect(decisions.locator("xpath=following-sibling::*[1]")).to_have_text(
            "Aucune décision."
        )
        auditor.look("proposal-as-of")

        banner.get_by_role("link", name="Revenir à l'état actuel").click()
        expect(banner).to_have_count(0)
        expect(auditor.meta("Statut")).to_have_text("Approuvée")
        expect(auditor.main.locator("section.card").first).to_contain_text(
            f"{SESSION} (10 décembre 2026) : Approuvée"
        )
        auditor.look()


# --- every other page, as each persona finds it after the story ----------------------


def heading(who: Any) -> Any:
    return who.page.get_by_role("heading", level=1)


def test_a_visitor_signs_in_with_the_keyboard_and_sees_refused_credentials(
    browser: Any, server: Any
) -> None:
    with person(browser, server, None) as visitor:
        page = visitor.page
        visitor.open("/portefeuille")
        expect(page).to_have_url(re.compile(r"/connexion\?next=%2Fportefeuille$"))
        expect(heading(visitor)).to_have_text("Connexion")
        expect(page.get_by_label("Identifiant")).to_be_focused()
        visitor.look("login")

        visitor.fill("Identifiant", "personne")
        visitor.fill("Mot de passe", "pas-le-bon")
        page.keyboard.press("Enter")
        expect(visitor.main.get_by_role("alert")).to_have_text(
            "Identifiant ou mot de passe incorrect."
        )
        visitor.look("login-refused")

        visitor.open("/api/docs")
        expect(heading(visitor)).to_contain_text("API")
        # the first Tab reaches the skip link, shown while it has the focus
        page.keyboard.press("Tab")
        skip = page.get_by_role("link", name="Aller au contenu")
        expect(skip).to_be_focused()
        expect(skip).to_be_in_viewport()
        page.keyboard.press("Enter")
        expect(visitor.main).to_be_focused()
        visitor.look("api-docs")


def test_a_referent_meets_readable_refusals(browser: Any, server: Any) -> None:
    with person(browser, server, "ref.edu") as ref:
        assert ref.open("/budget") == 403
        expect(heading(ref)).to_have_text("Accès refusé")
        expect(ref.main.get_by_role("alert")).to_have_text(
            "Accès refusé : votre rôle ne permet pas d'accéder à cette page."
        )
        ref.look("error-403")
        assert ref.open("/fiches/INCONNUE") == 404
        expect(heading(ref)).to_have_text("Introuvable")
        ref.look("error-404")
        # another direction's proposal cannot be amended by this referent
        assert ref.open("/fiches/PORTAIL/amender") == 403


def test_the_dsi_pages(browser: Any, server: Any) -> None:
    with person(browser, server, "dsi.martin") as dsi:
        page = dsi.page
        dsi.nav("Portefeuille")
        expect(heading(dsi)).to_have_text("Portefeuille des projets")
        expect(page.get_by_role("row").filter(has_text=CODE)).to_contain_text(VALUE)
        dsi.look("portfolio")
        dsi.click("Détail par équipe et par année", role="link")
        expect(heading(dsi)).to_contain_text("Capacité")
        dsi.look("capacity")
        dsi.nav("Grille d'évaluation")
        expect(heading(dsi)).to_contain_text("Grille")
        dsi.look("grid")
        dsi.open("/plan")
        expect(heading(dsi)).to_contain_text("Schéma directeur")
        dsi.look("plan")
        runs = (("SC-E2E-01", "Enveloppes votées", "1"), ("SC-E2E-02", "+10 %", "1.1"))
        for number, (scenario, label, scale) in enumerate(runs):
            dsi.nav("Scénarios")
            dsi.click("Lancer un scénario", role="link")
            expect(heading(dsi)).to_have_text("Lancer un scénario")
            dsi.look(None if number else "scenario-run")
            dsi.fill("Code du scénario *", scenario)
            dsi.fill("Intitulé", label)
            dsi.fill("Facteur d'enveloppe", scale)
            dsi.click("Calculer et enregistrer")
            dsi.flash(f"Scénario {scenario} calculé et enregistré.")
            dsi.look(None if number else "scenario")
        dsi.nav("Scénarios")
        expect(heading(dsi)).to_have_text("Scénarios d'optimisation")
        dsi.look("scenarios")
        for scenario, _label, _scale in runs:
            page.get_by_label(f"Comparer {scenario}").check()
        dsi.click("Comparer les scénarios cochés")
        expect(dsi.main).to_contain_text("SC-E2E-02")
        dsi.look("scenario-compare")
        for link, shot in (
            ("Frontière efficace", "scenario-frontier"),
            ("Robustesse de la sélection", "scenario-robustness"),
        ):
            dsi.nav("Scénarios")
            dsi.click(link, role="link")
            expect(heading(dsi)).to_be_visible()
            dsi.look(shot)
        dsi.open(f"/fiches/{CODE}/amender")
        expect(heading(dsi)).to_have_text(f"Amender la fiche {CODE}")
        dsi.look("proposal-amend")


def test_the_chair_and_members_pages(browser: Any, server: Any) -> None:
    with person(browser, server, "dgs.lefebvre") as chair:
        chair.look("home-chair")
        chair.nav("Arbitrages")
        expect(heading(chair)).to_have_text("Historique des arbitrages")
        filters = chair.main.get_by_role("form", name="Filtres")
        filters.get_by_label("Séance", exact=True).select_option(SESSION)
        filters.get_by_role("button", name="Filtrer").click()
        expect(chair.main).to_contain_text("1 décision(s)")
        expect(chair.main).to_contain_text(CODE)
        chair.look("decisions")
        chair.open(f"/budget/projets/{CODE}/ap")
        expect(heading(chair)).to_have_text(f"Réviser l'AP du projet {CODE}")
        chair.look("ap-revision")
    with person(browser, server, "elu.dubois") as member:
        expect(
            member.main.get_by_role("region", name="Séances où voter")
        ).to_be_visible()
        member.look("home-member")
        member.open("/seances/COPIL-2026-11-24")
        expect(
            member.main.get_by_role("region", name="Présences et quorum")
        ).to_be_visible()
        member.look("session-demo-open")
    with person(browser, server, "eval.petit") as evaluator:
        expect(
            evaluator.main.get_by_role("region", name="Fiches à noter")
        ).to_be_visible()
        evaluator.look("home-evaluator")


def test_the_finance_pages(browser: Any, server: Any) -> None:
    with person(browser, server, "fin.garnier") as fin:
        fin.look("home-finance")
        for path, title, shot in (
            ("/budget/bp", "Voter un budget primitif (BP)", "budget-bp"),
            ("/budget/dm", "Enregistrer une décision modificative (DM)", "budget-dm"),
            ("/budget/mandats", "Enregistrer un mandat", "payment-form"),
        ):
            assert fin.open(path) == 200
            expect(heading(fin)).to_have_text(title)
            fin.look(shot)
        # a commitment over the CP left is refused next to its field, nothing written
        fin.open(f"/budget/engagements?proposal={CODE}")
        fin.fill("Référence de l'engagement *", "ENG-2026-E2E-02")
        fin.select("Exercice des CP *", "2026")
        fin.select("Section *", "investissement")
        fin.fill("Montant (€) *", "25000.00")
        fin.fill("Date de l'engagement *", "2026-12-14")
        fin.fill("Fournisseur *", "UGAP")
        fin.click("Enregistrer l'engagement")
        expect(fin.main.locator(".error-summary a")).to_have_text(
            "Montant (€) : CP 2026 (investissement) de E2E-TABLETTES dépassés : "
            "engagement de 25\u202f000,00 €, 20\u202f000,00 € disponibles. Un dépassement "
            "exige un forçage motivé des finances."
        )
        fin.look("commitment-refused")


def test_the_auditor_and_administrator_pages(browser: Any, server: Any) -> None:
    with person(browser, server, "audit.crc") as auditor:
        auditor.look("home-auditor")
        auditor.open("/audit")
        diff = auditor.main.get_by_role("region", name="Comparer deux dates")
        diff.get_by_label("Du (date, date-heure UTC ou position:N)").fill("2026-12-09")
        diff.get_by_label("Au").fill("2026-12-15")
        diff.get_by_role("button", name="Comparer").click()
        expect(auditor.main).to_contain_text(CODE)
        auditor.look("audit-diff")
        auditor.open("/audit")
        auditor.page.locator("table.events a.pos").first.click()
        auditor.page.get_by_role(
            "link", name="Preuve d'inclusion de cet événement"
        ).click()
        auditor.look("audit-proof")
    with person(browser, server, "admin.sdsi") as admin:
        admin.nav("Administration")
        expect(admin.main.get_by_role("link", name="ref.edu")).to_be_visible()
        admin.look("accounts")
        admin.main.get_by_role("link", name="ref.edu").click()
        expect(heading(admin)).to_contain_text("ref.edu")
        admin.look("account")
        admin.open("/admin/comptes/nouveau")
        admin.look("account-new")
