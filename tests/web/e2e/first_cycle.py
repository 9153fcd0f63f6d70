"""The rest of the first cycle in Chromium, after the administrator's set-up
(``test_first_run.py``): the stages its tests run in order on the same ``fresh`` server.

Each stage is what a person does at their browser, through the UI only: the DSI drafts
the grid and the chair adopts it, finance votes the first envelope, a referent submits
a costed proposal, the DSI qualifies it, two evaluators score it, the chair convenes
the COPIL, puts it on the agenda and opens it, the members vote, the chair approves it
and closes the session, finance records a commitment; then the minutes PDF and the
budget export are downloaded and read back; then the DSI extends the plan by a year
and the referent costs a proposal in that year. The ledger keeps its own clock: every
fact is dated today (the ledger refuses a future date), inside the plan's horizon.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.web.e2e.browsing import Persona
from tests.web.e2e.live import LiveServer

PASSWORD = "mot-de-passe-solide-1"
TODAY = datetime.now(UTC).date()
YEAR = TODAY.year
SESSION = "COPIL-1"
SESSION_TITLE = "Premier COPIL"
CODE = "EDU-ENT"
TITLE = "Espace numérique de travail"
LATER = "EDU-LAB"
LATER_TITLE = "Laboratoire numérique"
# code, label, family, weight; each on a scale of four levels
CRITERIA = (
    ("VAL", "Valeur pour les usagers", "value", "60"),
    ("ALI", "Alignement stratégique", "value", "40"),
    ("RIS", "Risque de réalisation", "risk", "100"),
)
# levels per evaluator, in the order of CRITERIA
SCORES = {"eval.leroy": (4, 3, 2), "eval.noel": (3, 3, 1)}
# value = Σ weight × (mean − 1) / 3: 60 × 2.5 / 3 + 40 × 2 / 3 = 76.67;
# risk: 100 × 0.5 / 3 = 16.67
VALUE, RISK = "76,67", "16,67"


def signed_in(browser: Any, server: LiveServer, username: str) -> Persona:
    """``username`` signed in through the login form (a fresh tab)."""
    who = Persona(browser, server, username)
    who.login(PASSWORD)
    return who


def heading(who: Persona) -> Any:
    return who.page.get_by_role("heading", level=1)


def create_the_other_accounts(admin: Persona) -> None:
    """The administrator: the evaluators, finance and the Éducation referent."""
    for login, name, roles, referent in (
        ("eval.leroy", "Inès Leroy", ["evaluator"], None),
        ("eval.noel", "Yann Noël", ["evaluator"], None),
        ("fin.perrin", "Lise Perrin", ["finance"], None),
        ("ref.edu", "Léa Martin", [], "EDU"),
    ):
        admin.open("/admin/comptes/nouveau")
        admin.fill("Identifiant *", login)
        admin.fill("Nom affiché *", name)
        admin.fill("Mot de passe initial *", PASSWORD)
        for role in roles:
            admin.page.locator(f"#f-role-{role}").check()
        if referent:
            admin.select("Référent numérique de la direction (facultatif)", referent)
        admin.click("Créer le compte")
        admin.flash(f"Compte {login} créé.")


def draft_the_grid(dsi: Persona) -> None:
    """The DSI drafts version 1 of the grid, criterion by criterion."""
    page = dsi.page
    dsi.nav("Grille d'évaluation")
    expect(dsi.main).to_contain_text("Aucune version de la grille.")
    page.locator("#dr-label").fill("Grille initiale")
    dsi.click("Rédiger la version")
    dsi.flash("Version 1 de la grille rédigée (brouillon).")
    for code, label, family, weight in CRITERIA:
        page.locator("#cr-code").fill(code)
        page.locator("#cr-label").fill(label)
        page.locator("#cr-family").select_option(family)
        page.locator("#cr-weight").fill(weight)
        for level in range(1, 5):
            page.locator(f"#scale-{level - 1}-level").fill(str(level))
            page.locator(f"#scale-{level - 1}-descriptor").fill(f"niveau {level}")
        dsi.click("Enregistrer le critère")
        dsi.flash(f"Critère {code} enregistré dans la version 1.")
    versions = dsi.main.get_by_role("region", name="Versions")
    expect(versions.locator("tbody tr").first.locator("td")).to_contain_text(
        ["v1", "Grille initiale", "Brouillon", "—", "3", "100 %", "100 %"]
    )
    dsi.look("first-run-grid-draft")


def adopt_the_grid(chair: Persona) -> None:
    """The chair adopts it on today's date (pre-filled): it is frozen."""
    chair.nav("Grille d'évaluation")
    expect(chair.page.locator("#ad-on")).to_have_value(TODAY.isoformat())
    chair.page.locator("#ad-reason").fill("adoptée en COPIL")
    chair.click("Adopter la version 1")
    chair.flash("Version 1 adoptée : elle est désormais figée.")
    versions = chair.main.get_by_role("region", name="Versions")
    expect(versions.locator("tbody tr").first).to_contain_text("Adoptée")
    chair.look()


def vote_the_envelope(fin: Persona) -> None:
    """Finance votes the primitive budget of this year's investment section."""
    fin.open("/budget/bp")
    fin.select("Exercice *", str(YEAR))
    fin.select("Section *", "investissement")
    fin.fill("Montant du BP (€) *", "500 000,00")
    fin.fill("Référence de la délibération *", f"BP {YEAR}")
    fin.fill("Date du vote *", TODAY.isoformat())
    fin.click("Enregistrer le BP")
    fin.flash(f"Budget primitif {YEAR} (investissement) enregistré.")
    fin.look()


def draft(ref: Persona, code: str, title: str, year: int, amount: str) -> None:
    """The referent fills the new proposal form and saves the draft."""
    page = ref.page
    ref.open("/")
    ref.click("Rédiger une fiche", role="link")
    expect(heading(ref)).to_have_text("Nouvelle fiche projet")
    ref.fill("Code de la fiche *", code)
    ref.select("Direction porteuse *", "EDU")
    ref.fill("Intitulé *", title)
    ref.fill("Description *", f"{title} pour les écoles élémentaires.")
    page.locator("#axes-0-axis").select_option("A1")
    page.locator("#axes-0-indicator").select_option("A1-I1")
    page.locator("#axes-0-expected_effect").fill("+5 %")
    page.locator("#costs-0-year").fill(str(year))
    page.locator("#costs-0-section").select_option("investissement")
    page.locator("#costs-0-amount").fill(amount)
    page.locator("#risks-0-label").fill("Adhésion des écoles")
    page.locator("#risks-0-level").select_option("2")
    ref.click("Enregistrer le brouillon")


def submit_a_costed_proposal(ref: Persona) -> None:
    draft(ref, CODE, TITLE, YEAR, "120 000,00")
    ref.flash(f"Fiche {CODE} enregistrée (brouillon).")
    expect(
        ref.main.locator("table").filter(has_text="Coûts par année")
    ).to_contain_text("120 000,00 €")
    ref.click("Soumettre")
    ref.flash("Fiche soumise.")
    expect(ref.meta("Statut")).to_have_text("Soumise")
    ref.look()


def qualify_it(dsi: Persona) -> None:
    page = dsi.page
    dsi.open("/")
    to_qualify = dsi.main.get_by_role("region", name="Fiches à qualifier")
    to_qualify.get_by_role("link", name=CODE, exact=True).click()
    expect(page.locator("#costs-0-amount")).to_have_value("120000.00")
    page.locator("#workloads-0-team").select_option("DSI-APP")
    page.locator("#workloads-0-year").fill(str(YEAR))
    page.locator("#workloads-0-days").fill("60")
    dsi.click("Enregistrer la qualification")
    dsi.flash("Qualification enregistrée.")
    expect(dsi.meta("Statut")).to_have_text("Qualifiée")
    workloads = dsi.main.locator("table").filter(has_text="Charge par équipe")
    expect(workloads.locator("tbody td")).to_have_text(["DSI-APP", str(YEAR), "60"])
    dsi.look()


def score_it(ev: Persona, number: int, levels: tuple[int, ...]) -> None:
    page = ev.page
    to_score = ev.main.get_by_role("region", name="Fiches à noter")
    to_score.get_by_role("link", name=CODE, exact=True).click()
    expect(heading(ev)).to_have_text(f"Noter la fiche {CODE} — {TITLE}")
    for (criterion, *_rest), level in zip(CRITERIA, levels, strict=True):
        page.locator(f"#lv-{criterion}").select_option(str(level))
        page.locator(f"#js-{criterion}").fill(f"Niveau {level} : vu en revue.")
    ev.click("Enregistrer mes notes")
    ev.flash("3 note(s) enregistrée(s).")
    expect(ev.meta("Valeur / risque")).to_contain_text(
        f"(grille v1, {number} évaluateur(s))"
    )
    ev.look()


def convene_and_open(chair: Persona) -> None:
    """The chair convenes the COPIL (seats from the composition), puts the proposal
    on the agenda, and opens the session with everyone present."""
    chair.nav("Séances du COPIL")
    convene = chair.main.get_by_role("region", name="Convoquer une séance")
    convene.get_by_label("Code de la séance").fill(SESSION)
    convene.get_by_label("Intitulé").fill(SESSION_TITLE)
    convene.get_by_label("Date").fill(TODAY.isoformat())
    chair.click("Convoquer la séance")
    chair.flash(f"Séance {SESSION} convoquée.")
    expect(heading(chair)).to_have_text(SESSION_TITLE)
    agenda = chair.main.get_by_role("region", name="Ordre du jour")
    agenda.get_by_label("Inscrire une fiche qualifiée ou ajournée").select_option(CODE)
    chair.click("Inscrire à l'ordre du jour")
    chair.flash(f"Fiche {CODE} inscrite à l'ordre du jour.")
    expect(agenda.locator("tbody tr").first.locator("td")).to_have_text(
        [f"{CODE} — {TITLE}", "EDU", "À l'ordre du jour", VALUE, RISK,
         "0 pour, 0 contre, 0 abstention(s)", "en attente"]
    )  # fmt: skip
    chair.click("Ouvrir la séance")
    chair.flash("Séance ouverte.")
    quorum = chair.main.get_by_role("region", name="Présences et quorum")
    expect(quorum).to_contain_text("quorum atteint")
    chair.look("first-run-session-open")


def vote(voter: Persona, choice: str) -> None:
    to_vote = voter.main.get_by_role("region", name="Séances où voter")
    to_vote.get_by_role("link", name=SESSION_TITLE).click()
    ballot = voter.main.get_by_role("group", name=f"Votre vote sur {CODE}")
    ballot.get_by_label(choice, exact=True).check()
    voter.click("Voter")
    voter.flash(f"Vote enregistré sur {CODE}.")


def approve_and_close(chair: Persona) -> None:
    page = chair.page
    chair.open(f"/seances/{SESSION}")
    item = chair.main.locator(f"#item-{CODE}")
    expect(item).to_contain_text(
        "Votes en vigueur : 2 pour, 0 contre, 0 abstention(s)."
    )
    item.get_by_role("link", name=f"Arbitrer {CODE}").click()
    page.get_by_label("Approuvée", exact=True).check()
    chair.fill("Motivation *", "Priorité du mandat.")
    chair.fill("Autorisation de programme (AP, €)", "120 000,00")
    page.locator("#cp-0-year").fill(str(YEAR))
    page.locator("#cp-0-section").select_option("investissement")
    page.locator("#cp-0-amount").fill("120 000,00")
    chair.click("Enregistrer la décision")
    chair.flash(f"Décision enregistrée sur {CODE}.")
    decision = chair.main.get_by_role("region", name="Décisions").locator("article")
    expect(decision).to_contain_text(f"{CODE} : Approuvée")
    expect(decision).to_contain_text("AP accordée : 120 000,00 €")
    chair.click("Clore la séance")
    chair.flash("Séance close.")
    expect(chair.meta("Statut")).to_contain_text("Close")
    chair.look()


def commit(fin: Persona) -> None:
    page = fin.page
    fin.open(f"/budget/engagements?proposal={CODE}")
    fin.fill("Référence de l'engagement *", "ENG-1")
    fin.select("Exercice des CP *", str(YEAR))
    fin.select("Section *", "investissement")
    fin.fill("Montant (€) *", "45 000,00")
    fin.fill("Date de l'engagement *", TODAY.isoformat())
    fin.fill("Fournisseur *", "Éditeur ENT")
    fin.click("Enregistrer l'engagement")
    fin.flash("Engagement ENG-1 enregistré.")
    expect(fin.meta("AP votée")).to_have_text(f"120 000,00 € (séance {SESSION})")
    expect(page.locator("#cp + .table-scroll > table").locator("tbody td")).to_have_text(
        [str(YEAR), "Investissement", "120 000,00 €", "120 000,00 €", "45 000,00 €",
         "0,00 €", "75 000,00 €", ""]
    )  # fmt: skip
    fin.look()


def download(
    who: Persona, region: str, link: str | re.Pattern[str]
) -> tuple[str, bytes]:
    """A file from the Exports page: its suggested name and its bytes."""
    who.nav("Exports")
    section = who.main.get_by_role("region", name=region)
    with who.page.expect_download() as started:
        section.get_by_role("link", name=link).click()
    name = started.value.suggested_filename
    return name, Path(started.value.path()).read_bytes()


def minutes_text(content: bytes) -> str:
    """The text of a PDF, whitespace collapsed."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    return re.sub(r"\s+", " ", text)


def budget_line(content: bytes, code: str) -> dict[str, str]:
    """The one line of ``code`` in the budget CSV export."""
    assert content.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte order mark"
    rows = csv.DictReader(io.StringIO(content.decode("utf-8-sig")), delimiter=";")
    ours = [r for r in rows if r["Projet"] == code]
    assert len(ours) == 1, ours
    return ours[0]


def workbook_line(content: bytes, code: str) -> dict[str, Any]:
    """The one line of ``code`` on the first sheet of the budget XLSX export."""
    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    header, *rows = sheet.iter_rows(values_only=True)
    ours = [dict(zip(header, r, strict=True)) for r in rows if code in r]
    assert len(ours) == 1, ours
    return ours[0]


def extend_the_plan(dsi: Persona) -> None:
    """The DSI gives the plan one more year through the Référentiel's form."""
    dsi.open("/referentiel/plan")
    extend = dsi.main.get_by_role("region", name="Prolonger le plan")
    expect(extend.get_by_label("Nouvelle dernière année")).to_have_value(str(YEAR + 6))
    extend.get_by_label("Motif").fill("délibération du conseil")
    extend.get_by_role("button", name="Prolonger").click()
    dsi.flash("Horizon du plan modifié.")
    expect(dsi.meta("Horizon")).to_have_text(f"{YEAR}–{YEAR + 6}")
    dsi.look("first-run-plan-extended")
