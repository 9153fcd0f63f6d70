"""A municipality from zero, in Chromium: after an empty ``sdsi init`` (no demo), the
administrator's home is the set-up checklist; they follow it through the Référentiel
and the administration pages — the municipality, the accounts, the plan and its
phases, a pôle, a direction, a team and its capacity, an axis, an indicator and a
target, the COPIL's composition — with a refused form along the way, and the chair
then finds the convening form filled from the composition. Then the first cycle, each
person at their browser (the stages are in ``first_cycle.py``): the grid drafted and
adopted, the first envelope voted, a proposal submitted, qualified, scored, put on a
COPIL session's agenda, voted and approved, a commitment recorded; the minutes PDF and
the budget export (CSV and XLSX) downloaded and read back; the plan extended by a year
through the Référentiel and a proposal costed in that year (refused the moment before).
Every page is checked by axe-core and some are shot into docs/screenshots.

On SQLite only: the same templates as on PostgreSQL, whose path the API journey
(``tests/web/test_first_run_journey.py``) and the page tests cover on both backends;
the persona tests take a proposal from draft to decision in the browser.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import make_settings
from tests.web.e2e import first_cycle as cycle
from tests.web.e2e.browsing import Persona
from tests.web.e2e.live import LiveServer, ScenarioClock

ADMIN_PASSWORD = "admin-password-1"
PASSWORD = "mot-de-passe-solide-1"
YEAR = datetime.now(UTC).year


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """An empty ledger as `sdsi init` leaves it, served on 127.0.0.1."""
    from werkzeug.serving import make_server

    from ledger.app import open_ledger
    from ledger.keys import ensure_secret_key, ensure_signing_key
    from projections.service import init_views
    from web.app import create_app

    tmp = tmp_path_factory.mktemp("first-run")
    settings = make_settings(tmp / "data", f"sqlite:///{tmp}/ledger.db")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ensure_secret_key(settings)
    ensure_signing_key(settings)
    ledger = open_ledger(settings, create=True)
    ledger.bootstrap_admin("admin", "Administrateur", ADMIN_PASSWORD)
    init_views(settings, ledger)
    app = create_app({"FOLLOW": True, "SEAL": True}, settings=settings, ledger=ledger)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, name="first-run", daemon=True)
    thread.start()
    clock = ScenarioClock(datetime.now(UTC))  # not installed: the ledger's own time
    live = LiveServer(
        "sqlite", f"http://127.0.0.1:{httpd.server_port}", app, ledger, clock
    )
    try:
        yield live
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        httpd.server_close()
        app.extensions["sdsi"].close()


def step(admin: Persona, item: str) -> Any:
    """The checklist's line for ``item`` on the home page."""
    admin.open("/")
    return admin.main.locator("ul.checklist li").filter(has_text=item)


def test_the_administrator_sets_a_municipality_up_from_the_checklist(
    browser: Any, fresh: LiveServer
) -> None:
    admin = Persona(browser, fresh, "admin")
    try:
        page = admin.page
        admin.login(ADMIN_PASSWORD)
        checklist = admin.main.get_by_role(
            "region", name="Mise en service de la collectivité"
        )
        expect(checklist).to_contain_text("0 étape(s) sur 9 terminée(s).")
        admin.look("first-run-checklist")

        # the municipality: a wrong SIREN is refused next to its field
        checklist.get_by_role(
            "link", name="Collectivité : nom, SIREN, code INSEE"
        ).click()
        admin.fill("Nom de la collectivité *", "Ville de Paris")
        admin.fill("SIREN *", "217 500 017")
        admin.fill("Code commune INSEE *", "75056")
        admin.click("Enregistrer")
        siren = page.locator("#define-siren")
        expect(siren).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#define-siren-e")).to_contain_text("SIREN invalide")
        admin.look("referential-municipality-errors")
        admin.fill("SIREN *", "217 500 016")
        admin.click("Enregistrer")
        admin.flash("Collectivité enregistrée.")
        expect(admin.meta("SIREN")).to_have_text("217500016")
        admin.look("referential-municipality")
        expect(step(admin, "Collectivité")).to_contain_text("Fait")

        # the accounts the rest of the set-up needs
        for login, name, roles in (
            ("dsi.moreau", "Claire Moreau", ["dsi"]),
            ("dgs.bernard", "Paul Bernard", ["chair", "member"]),
            ("elu.roche", "Anne Roche", ["member"]),
        ):
            admin.open("/admin/comptes/nouveau")
            admin.fill("Identifiant *", login)
            admin.fill("Nom affiché *", name)
            admin.fill("Mot de passe initial *", PASSWORD)
            for role in roles:
                page.locator(f"#f-role-{role}").check()
            admin.click("Créer le compte")
            admin.flash(f"Compte {login} créé.")

        # the plan and its phases
        admin.open("/referentiel/plan")
        admin.fill("Intitulé *", "Schéma directeur numérique")
        admin.fill("Première année *", str(YEAR))
        admin.fill("Dernière année *", str(YEAR + 5))
        admin.click("Définir le plan")
        admin.flash("Plan défini.")
        expect(admin.meta("Collectivité")).to_have_text("Ville de Paris")
        cadrage = admin.main.get_by_role("region", name="1. Cadrage")
        cadrage.get_by_label("Début prévu").fill(f"{YEAR}-01-05")
        cadrage.get_by_label("Fin prévue").fill(f"{YEAR}-03-31")
        cadrage.get_by_role("button", name="Planifier").click()
        admin.flash("Phase planifiée.")
        admin.look("referential-plan")

        # a pôle, a direction, a team with its capacity
        admin.open("/referentiel/poles")
        admin.fill("Code *", "PSF")
        admin.fill("Nom *", "Pôle Services à la population")
        admin.click("Créer le pôle")
        admin.flash("Pôle PSF créé.")
        admin.look("referential-pole")
        admin.open("/referentiel/directions")
        admin.fill("Code *", "EDU")
        admin.fill("Nom *", "Éducation")
        admin.select("Pôle *", "PSF")
        admin.click("Créer la direction")
        admin.flash("Direction EDU créée.")
        admin.look("referential-direction")
        admin.open("/referentiel/equipes")
        admin.fill("Code *", "DSI-APP")
        admin.fill("Nom *", "Applications")
        admin.select("Type *", "dsi")
        for year in range(YEAR, YEAR + 6):
            admin.fill(str(year), "200")
        admin.click("Créer l'équipe")
        admin.flash("Équipe DSI-APP créée.")
        capacity = admin.main.get_by_role(
            "region", name="Fixer la capacité d'une année"
        )
        capacity.get_by_label("Année").fill(str(YEAR + 1))
        capacity.get_by_label("Jours-personne").fill("180")
        capacity.get_by_role("button", name="Enregistrer").click()
        expect(page.locator("#capacity-reason-e")).to_have_text(
            "Un motif est obligatoire pour modifier la capacité d'une équipe."
        )
        capacity.get_by_label("Motif").fill("départ en retraite")
        capacity.get_by_role("button", name="Enregistrer").click()
        admin.flash(f"Capacité {YEAR + 1} enregistrée.")
        history = admin.main.locator("table.events")
        expect(history.locator("tbody tr").first).to_contain_text("départ en retraite")
        admin.look("referential-team")

        # an axis, its indicator and a target
        admin.open("/referentiel/axes")
        admin.fill("Code *", "A1")
        admin.fill("Libellé *", "Services en ligne")
        admin.click("Créer l'axe")
        admin.flash("Axe A1 créé.")
        indicator = admin.main.get_by_role("region", name="Créer un indicateur")
        indicator.get_by_label("Code").fill("A1-I1")
        indicator.get_by_label("Libellé").fill("Démarches en ligne")
        indicator.get_by_label("Unité").fill("%")
        indicator.get_by_label("Valeur de référence").fill("35")
        indicator.get_by_label("Première cible").fill("80")
        indicator.get_by_label("Année de cette cible").fill(str(YEAR + 5))
        indicator.get_by_role("button", name="Créer l'indicateur").click()
        admin.flash("Indicateur A1-I1 créé.")
        admin.look("referential-indicator")

        # the COPIL's composition
        admin.open("/referentiel/copil")
        for login, kind in (("dgs.bernard", "dgs"), ("elu.roche", "elu")):
            appoint = admin.main.get_by_role("region", name="Nommer un membre")
            appoint.get_by_label("Compte").select_option(login)
            appoint.get_by_label("Qualité").select_option(kind)
            appoint.get_by_role("button", name="Nommer").click()
            admin.flash("siège désormais au COPIL")
        appoint = admin.main.get_by_role("region", name="Nommer un membre")
        appoint.get_by_label("Compte").select_option("dsi.moreau")
        appoint.get_by_label("Qualité").select_option("dsi")
        appoint.get_by_label("Voix délibérative").uncheck()
        appoint.get_by_role("button", name="Nommer").click()
        admin.flash("dsi.moreau siège désormais au COPIL.")
        admin.look("referential-committee")

        admin.open("/")
        expect(checklist).to_contain_text("5 étape(s) sur 9 terminée(s).")
        admin.look("first-run-checklist-progress")
    finally:
        admin.close()

    chair = Persona(browser, fresh, "dgs.bernard")
    try:
        chair.login(PASSWORD)
        chair.nav("Séances du COPIL")
        convene = chair.main.get_by_role("region", name="Convoquer une séance")
        # the seats come from the composition: voting members vote, the DSI attends
        checked = convene.locator("input[name^='seat-']:checked")
        expect(checked).to_have_count(3)
        for login, seat in (
            ("dgs.bernard", "voting"),
            ("elu.roche", "voting"),
            ("dsi.moreau", "non_voting"),
        ):
            expect(
                convene.locator(f"input[name='seat-{login}']:checked")
            ).to_have_value(seat)
        expect(
            convene.locator("input[name='seat-dsi.moreau'][value='voting']")
        ).to_have_count(0)
        chair.look()
    finally:
        chair.close()


def test_the_municipality_reaches_its_first_decision_and_commitment(
    browser: Any, fresh: LiveServer
) -> None:
    """After the set-up, each person at their browser: grid, envelope, a proposal from
    draft to approval in a COPIL session, a commitment (tests/web/e2e/first_cycle.py)."""
    people: dict[str, Persona] = {}

    def who(username: str) -> Persona:
        if username not in people:
            people[username] = cycle.signed_in(browser, fresh, username)
        else:
            people[username].open("/")
        return people[username]

    try:
        admin = Persona(browser, fresh, "admin")
        people["admin"] = admin
        admin.login(ADMIN_PASSWORD)
        cycle.create_the_other_accounts(admin)
        cycle.draft_the_grid(who("dsi.moreau"))
        cycle.adopt_the_grid(who("dgs.bernard"))
        cycle.vote_the_envelope(who("fin.perrin"))
        cycle.submit_a_costed_proposal(who("ref.edu"))
        cycle.qualify_it(who("dsi.moreau"))
        for number, (evaluator, levels) in enumerate(cycle.SCORES.items(), start=1):
            cycle.score_it(who(evaluator), number, levels)
        cycle.convene_and_open(who("dgs.bernard"))
        for member in ("dgs.bernard", "elu.roche"):
            cycle.vote(who(member), "Pour")
        cycle.approve_and_close(who("dgs.bernard"))
        cycle.commit(who("fin.perrin"))
        fresh.story["people"] = people
        # all set up but the plan's five other phases, still to be scheduled
        admin.open("/")
        expect(
            admin.main.get_by_role("region", name="Mise en service de la collectivité")
        ).to_contain_text("8 étape(s) sur 9 terminée(s).")
        admin.look()
    except BaseException:
        for persona in people.values():
            persona.close()
        raise


def test_the_minutes_and_the_budget_export_say_what_was_decided(
    fresh: LiveServer,
) -> None:
    people = fresh.story["people"]
    name, pdf = cycle.download(
        people["dgs.bernard"],
        "Procès-verbal de séance du COPIL",
        re.compile(f"^PDF .*{cycle.SESSION}$"),
    )
    assert name.endswith(".pdf") and pdf.startswith(b"%PDF"), name
    text = cycle.minutes_text(pdf)
    for said in (
        f"Collectivité Ville de Paris Séance {cycle.SESSION} ",
        "Présidence Paul Bernard Statut séance close",
        "2 membres votants présents sur 2. Quorum atteint.",
        f"1 {cycle.CODE} {cycle.TITLE} EDU approuvée",
        f"valeur {cycle.VALUE} / 100, risque {cycle.RISK} / 100, 2 évaluateur(s)",
        "Votes en vigueur : pour 2, contre 0, abstention 0.",  # may end a page
        "Décision approuvée Motif Priorité du mandat. AP accordée 120 000,00 €",
        f"Exercice Section CP {cycle.YEAR} investissement 120 000,00 €",
    ):
        near = text.find(said.split(" ")[0])
        assert said in text, (said, text[max(near, 0) : near + 300])
    name, csv_bytes = cycle.download(
        people["fin.perrin"],
        "Consommation budgétaire (AP/CP, engagements, mandats)",
        "CSV (;) — Consommation budgétaire (AP/CP, engagements, mandats)",
    )
    assert name.endswith(".csv"), name
    line = cycle.budget_line(csv_bytes, cycle.CODE)
    assert {
        k: line[k]
        for k in ("Exercice", "Section", "Direction", "AP votée", "CP de l'exercice",
                  "Engagé", "Mandaté", "Disponible")
    } == {
        "Exercice": str(cycle.YEAR), "Section": "investissement", "Direction": "EDU",
        "AP votée": "120000,00", "CP de l'exercice": "120000,00",
        "Engagé": "45000,00", "Mandaté": "0,00", "Disponible": "75000,00",
    }  # fmt: skip
    name, xlsx = cycle.download(
        people["fin.perrin"],
        "Consommation budgétaire (AP/CP, engagements, mandats)",
        "Excel (XLSX) — Consommation budgétaire (AP/CP, engagements, mandats)",
    )
    assert name.endswith(".xlsx"), name
    cells = cycle.workbook_line(xlsx, cycle.CODE)
    assert {
        k: cells[k] for k in ("Exercice", "AP votée", "CP de l'exercice", "Engagé",
                              "Mandaté", "Disponible")
    } == {
        "Exercice": cycle.YEAR, "AP votée": 120000, "CP de l'exercice": 120000,
        "Engagé": 45000, "Mandaté": 0, "Disponible": 75000,
    }  # fmt: skip


def test_the_plan_is_extended_and_a_proposal_costed_in_the_new_year(
    fresh: LiveServer,
) -> None:
    people = fresh.story["people"]
    try:
        ref, dsi = people["ref.edu"], people["dsi.moreau"]
        # before the extension, the year after the horizon is refused, nothing written
        cycle.draft(ref, cycle.LATER, cycle.LATER_TITLE, YEAR + 6, "8 000,00")
        outside = (
            f"L'année {YEAR + 6} est hors de l'horizon du plan ({YEAR}–{YEAR + 5})."
        )
        expect(ref.main.locator(".error-summary a")).to_have_text(
            f"Année 1 : {outside}"
        )
        costs = ref.main.locator("table").filter(has_text="Coûts par année")
        expect(costs.locator("p.error")).to_have_text(outside)
        expect(ref.page.locator("#costs-0-year")).to_have_value(str(YEAR + 6))
        ref.look()
        assert ref.open(f"/fiches/{cycle.LATER}") == 404
        cycle.extend_the_plan(dsi)
        cycle.draft(ref, cycle.LATER, cycle.LATER_TITLE, YEAR + 6, "8 000,00")
        ref.flash(f"Fiche {cycle.LATER} enregistrée (brouillon).")
        costs = ref.main.locator("table").filter(has_text="Coûts par année")
        expect(costs.locator("tbody td")).to_have_text(
            [str(YEAR + 6), "Investissement", "8 000,00 €"]
        )
        ref.click("Soumettre")
        ref.flash("Fiche soumise.")
        expect(ref.meta("Statut")).to_have_text("Soumise")
        ref.look("first-run-proposal-new-year")
    finally:
        for persona in people.values():
            persona.close()
