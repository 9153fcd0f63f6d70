"""Each persona's main flow with the keyboard only (RGAA 7.3, 12.8, 12.9; WCAG 2.1.1).

No mouse and no programmatic filling: Tab and Shift+Tab move the focus, Enter follows
links and submits, Space ticks boxes, arrows choose in lists and radio groups, and
text is typed (``tests/web/e2e/keyboard.py``). Every element the focus reaches shows
a visible focus ring contrasting at least 3:1 with its background (RGAA 10.7).

One proposal goes the whole way, in this order (the tests share the
server's state): the referent signs in and submits it, the DSI qualifies it, an
evaluator scores it, the chair convenes a session, puts it on the agenda and opens
it, an elected member votes, the chair records the approval, finance downloads the
budget export, and the auditor verifies the ledger and replays it as of the evening
before the decision. Then the skip links, and the accessibility statement reached
from the footer, its form sent and read by an administrator — all by keyboard. Pages
are checked with axe-core (``Persona.look``).

On SQLite only: the subject is the keyboard (focus order, keys, focus rings), the
same templates and scripts on both backends; the same commands through the same forms
are driven on PostgreSQL by the persona tests (``test_personas.py``), and every form's
storage path by the page tests (``tests/web``) on both backends.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.e2e.browsing import PASSWORD, Persona, person
from tests.web.e2e.keyboard import Keyboard
from tests.web.e2e.live import ROOT

pytestmark = pytest.mark.parametrize("server", ["sqlite"], indirect=True)

CODE = "KB-AFFICHAGE"
TITLE = "Affichage dynamique dans les écoles"
SESSION = "COPIL-2026-12-17"
SESSION_TITLE = "COPIL clavier de décembre"


@contextmanager
def at_keyboard(
    browser: Any, server: Any, username: str | None
) -> Iterator[tuple[Persona, Keyboard]]:
    """``username`` at a fresh tab, signed in with the keyboard (anonymous if None)."""
    with person(browser, server, None) as who:
        keys = Keyboard(who.page)
        if username is not None:
            who.open("/connexion")  # typed in the address bar
            expect(who.page.get_by_label("Identifiant")).to_be_focused()  # autofocus
            keys.type(username)
            keys.press("Tab")
            keys.type(PASSWORD)
            keys.press("Enter")
            expect(heading(who)).to_contain_text("Bonjour")
        yield who, keys


def heading(who: Persona) -> Any:
    return who.page.get_by_role("heading", level=1)


def test_the_referent_drafts_and_submits_a_proposal_with_the_keyboard(
    browser: Any, server: Any
) -> None:
    server.clock.on("2026-12-01T09:00:00")
    with at_keyboard(browser, server, "ref.edu") as (ref, keys):
        keys.follow("Rédiger une fiche")
        expect(heading(ref)).to_have_text("Nouvelle fiche projet")
        keys.write("#f-code", CODE)
        keys.choose("#f-direction", "EDU")
        keys.write("#f-title", TITLE)
        keys.write(
            "#f-description", "Des écrans d'information dans le hall des écoles."
        )
        # back to the code with Shift+Tab: the order is the reading order
        keys.tab_to("#f-code", back=True)
        keys.tab_to("#f-description")
        keys.choose("#axes-0-axis", "A1")
        keys.write("#axes-0-expected_effect", "Information des familles")
        keys.write("#costs-0-year", "2026")
        keys.choose("#costs-0-section", "investissement")
        keys.write("#costs-0-amount", "18000.00")
        keys.push("Enregistrer le brouillon")
        ref.flash(f"Fiche {CODE} enregistrée (brouillon).")
        expect(ref.meta("Statut")).to_have_text("Brouillon")
        ref.look()
        keys.push("Soumettre", key="Space")  # a button answers Space as well
        ref.flash("Fiche soumise.")
        expect(ref.meta("Statut")).to_have_text("Soumise")


def test_the_dsi_qualifies_it_with_the_keyboard(browser: Any, server: Any) -> None:
    server.clock.on("2026-12-02T10:00:00")
    with at_keyboard(browser, server, "dsi.martin") as (dsi, keys):
        keys.follow(CODE, "[aria-labelledby=t-qual] a")  # in "Fiches à qualifier"
        expect(heading(dsi)).to_have_text(f"Qualifier la fiche {CODE} — {TITLE}")
        keys.write("#costs-0-amount", "19500.00")
        keys.choose("#workloads-0-team", "DSI-APPS")
        keys.write("#workloads-0-year", "2026")
        keys.write("#workloads-0-days", "12")
        keys.write("#f-note", "Pose des écrans comprise.")
        keys.push("Enregistrer la qualification")
        dsi.flash("Qualification enregistrée.")
        expect(dsi.meta("Statut")).to_have_text("Qualifiée")
        costs = dsi.main.locator("table").filter(has_text="Coûts par année")
        expect(costs.locator("tbody td")).to_have_text(
            ["2026", "Investissement", "19 500,00 €"]
        )


CRITERIA = (
    "V-STRAT", "V-USAG", "V-EFF", "V-REG", "V-MUT", "V-DATA",
    "V-SECU", "V-SOBR", "R-TECH", "R-FOUR", "R-CHG", "R-SECU",
)  # fmt: skip


def test_an_evaluator_scores_it_with_the_keyboard(browser: Any, server: Any) -> None:
    server.clock.on("2026-12-03T11:00:00")
    with at_keyboard(browser, server, "eval.petit") as (ev, keys):
        keys.follow(CODE, "[aria-labelledby=t-score] a")  # in "Fiches à noter"
        expect(heading(ev)).to_have_text(f"Noter la fiche {CODE} — {TITLE}")
        for criterion in CRITERIA:
            level = "2" if criterion.startswith("R-") else "3"
            keys.choose(f"#lv-{criterion}", level)
            keys.write(f"#js-{criterion}", f"{criterion} : niveau {level}.")
        ev.look()
        keys.push("Enregistrer mes notes")
        ev.flash("12 note(s) enregistrée(s).")
        expect(ev.meta("Valeur / risque")).to_contain_text(
            "(grille v2, 1 évaluateur(s))"
        )


def test_the_chair_convenes_a_session_and_opens_it_with_the_keyboard(
    browser: Any, server: Any
) -> None:
    server.clock.on("2026-12-04T09:00:00")
    with at_keyboard(browser, server, "dgs.lefebvre") as (chair, keys):
        keys.follow("Séances du COPIL")
        expect(heading(chair)).to_have_text("Séances du comité de pilotage")
        keys.write("#cv-code", SESSION)
        keys.write("#cv-title", SESSION_TITLE)
        keys.date("#cv-on", "2026-12-17")
        expect(chair.page.locator("#cv-on")).to_have_value("2026-12-17")
        keys.push("Convoquer la séance")
        chair.flash(f"Séance {SESSION} convoquée.")
        expect(heading(chair)).to_have_text(SESSION_TITLE)
        keys.choose("#ag-proposal", CODE)
        keys.push("Inscrire à l'ordre du jour")
        chair.flash(f"Fiche {CODE} inscrite à l'ordre du jour.")
        server.clock.on("2026-12-17T14:00:00")
        keys.push("Ouvrir la séance")
        chair.flash("Séance ouverte.")
        expect(chair.meta("Statut")).to_contain_text("Ouverte")


def test_an_elected_member_votes_with_the_keyboard(browser: Any, server: Any) -> None:
    server.clock.on("2026-12-17T14:10:00")
    with at_keyboard(browser, server, "elu.dubois") as (member, keys):
        keys.follow(SESSION_TITLE, "[aria-labelledby=t-vote] a")  # "Séances où voter"
        expect(heading(member)).to_have_text(SESSION_TITLE)
        # Tab enters the radio group on its first choice; the arrows move and check
        first = keys.tab_to("input[type=radio][name=choice]")
        assert first["text"] == "Pour"
        keys.press("Space")
        keys.press("ArrowRight")
        keys.press("ArrowLeft")
        ballot = member.main.get_by_role("group", name=f"Votre vote sur {CODE}")
        expect(ballot.get_by_label("Pour", exact=True)).to_be_checked()
        member.look()
        keys.push("Voter")
        member.flash(f"Vote enregistré sur {CODE}.")
        expect(member.main.locator(f"#item-{CODE}")).to_contain_text(
            "Votre vote actuel : Pour"
        )


def test_the_chair_records_the_decision_with_the_keyboard(
    browser: Any, server: Any
) -> None:
    server.clock.on("2026-12-17T15:00:00")
    with at_keyboard(browser, server, "dgs.lefebvre") as (chair, keys):
        keys.follow("Séances du COPIL")
        keys.follow(SESSION_TITLE)
        keys.follow(f"Arbitrer {CODE}")
        expect(heading(chair)).to_have_text(f"Arbitrer {CODE} — {TITLE}")
        keys.tab_to("input[type=radio][name=outcome]")
        keys.press("Space")  # the first outcome
        expect(chair.page.get_by_label("Approuvée", exact=True)).to_be_checked()
        keys.write("#f-rationale", "Valeur élevée, coût modéré.")
        keys.write("#f-ap_amount", "19500.00")
        keys.write("#cp-0-year", "2026")
        keys.choose("#cp-0-section", "investissement")
        keys.write("#cp-0-amount", "19500.00")
        chair.look()
        keys.push("Enregistrer la décision")
        chair.flash(f"Décision enregistrée sur {CODE}.")
        decision = chair.main.get_by_role("region", name="Décisions").locator("article")
        expect(decision).to_contain_text(f"{CODE} : Approuvée")
        expect(decision).to_contain_text("AP accordée : 19 500,00 €")


def test_finance_downloads_the_budget_export_with_the_keyboard(
    browser: Any, server: Any
) -> None:
    with at_keyboard(browser, server, "fin.garnier") as (fin, keys):
        keys.follow("Exports")
        expect(heading(fin)).to_have_text("Exports")
        with fin.page.expect_download() as download:
            keys.follow(
                "CSV (;) — Consommation budgétaire (AP/CP, engagements, mandats)",
                loads=False,
            )
        content = Path(download.value.path()).read_bytes()
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    ours = [r for r in rows if r["Projet"] == CODE]
    assert [(r["Exercice"], r["AP votée"], r["CP de l'exercice"]) for r in ours] == [
        ("2026", "19500,00", "19500,00")
    ]


def test_the_auditor_verifies_and_replays_a_date_with_the_keyboard(
    browser: Any, server: Any
) -> None:
    with at_keyboard(browser, server, "audit.crc") as (auditor, keys):
        keys.follow("Audit")
        expect(heading(auditor)).to_have_text(
            "Journal d'audit et intégrité du registre"
        )
        keys.push("Vérifier tout le registre maintenant")
        expect(auditor.main.locator("#verification [role=status]")).to_have_text(
            "Registre intègre"
        )
        # the evening before the decision: on the agenda, not yet decided
        keys.moment("#f-as_of", "2026-12-16T18:00")
        keys.push("Voir à cette date")
        banner = auditor.page.locator(".asof")
        expect(banner).to_contain_text(
            "Vue historique : l'état du registre au 2026-12-16T18:00"
        )
        keys.write("#f-code", CODE)
        keys.push("Ouvrir la fiche")
        expect(heading(auditor)).to_have_text(f"{CODE} — {TITLE}")
        expect(auditor.meta("Statut")).to_have_text("À l'ordre du jour")
        keys.follow("Revenir à l'état actuel")
        expect(banner).to_have_count(0)
        expect(auditor.meta("Statut")).to_have_text("Approuvée")


def test_the_skip_links_come_first_and_lead_to_the_content_and_the_navigation(
    browser: Any, server: Any
) -> None:
    with at_keyboard(browser, server, "dsi.martin") as (dsi, keys):
        dsi.open("/portefeuille")
        first = keys.tab_to()
        assert first["text"] == "Aller au contenu"
        second = keys.tab_to()
        assert second["text"] == "Aller à la navigation"
        keys.press("Enter")
        expect(dsi.page.locator("#navigation")).to_be_focused()
        nav_first = keys.tab_to()
        assert nav_first["text"] == "Accueil"
        keys.tab_to(text="Aller au contenu", back=True)
        keys.press("Enter")
        expect(dsi.main).to_be_focused()
        keys.tab_to()
        inside = dsi.page.evaluate(
            "() => document.querySelector('main').contains(document.activeElement)"
        )
        assert inside, "the Tab after the skip link goes into the content"


def test_a_visitor_writes_from_the_accessibility_statement_with_the_keyboard(
    browser: Any, server: Any
) -> None:
    with at_keyboard(browser, server, None) as (visitor, keys):
        visitor.open("/connexion")
        keys.tab_to(text="Aller à la navigation")
        keys.press("Enter")  # to the footer's navigation: no menu before signing in
        keys.follow("Accessibilité : non conforme")
        expect(heading(visitor)).to_have_text("Déclaration d'accessibilité")
        visitor.look("accessibility")
        keys.write("#contact-name", "Jeanne Martin")
        keys.write("#contact-email", "jeanne.martin")
        keys.write("#contact-message", "Le graphique du portefeuille n'est pas lu.")
        keys.push("Envoyer le message")
        expect(visitor.page.locator("#contact-email-e")).to_have_text(
            "Adresse électronique : adresse invalide (attendu : nom@domaine.fr)."
        )
        visitor.look("accessibility-errors")
        keys.write("#contact-email", "jeanne.martin@example.fr")
        keys.push("Envoyer le message")
        visitor.flash(
            "Merci : votre message a été transmis aux administrateurs du registre, "
            "qui vous répondront par courriel."
        )
    with at_keyboard(browser, server, "admin.sdsi") as (admin, keys):
        keys.follow("Administration")
        keys.follow("Messages sur l'accessibilité")
        expect(heading(admin)).to_have_text("Messages sur l'accessibilité")
        row = admin.main.locator("tbody tr").first
        expect(row.locator("td").nth(1)).to_have_text("Jeanne Martin")
        expect(row.locator("td").nth(4)).to_have_text(
            "Le graphique du portefeuille n'est pas lu."
        )
        assert re.fullmatch(
            r"\d+ \w+\.? 2026 \d\d:\d\d:\d\d", row.locator("td").first.inner_text()
        )
        admin.look("accessibility-messages")


def test_every_link_button_and_field_shows_its_focus(browser: Any, server: Any) -> None:
    """Tab through whole pages, header to footer: each element the focus reaches has
    a visible ring (not ``none``, ≥ 2 px, ≥ 3:1), on the dark header as on the
    page; the focus never sticks (no keyboard trap: the tour comes back)."""
    pages = {
        "dsi.martin": ("/", "/portefeuille", "/plan", f"/fiches/{CODE}"),
        "fin.garnier": ("/budget", "/exports"),
        None: ("/connexion", "/accessibilite"),
    }
    for username, paths in pages.items():
        with at_keyboard(browser, server, username) as (who, keys):
            for path in paths:
                who.open(path)
                keys.tab_to(text="Aller au contenu")  # the login form has autofocus
                keys.seen.clear()
                keys.tab_to(text="Aller au contenu", limit=1500)  # round the page
                tags = {s["tag"] for s in keys.seen}
                assert {"a", "button"} <= tags or path == "/plan", (path, tags)
                assert len(keys.seen) >= 5, path


AXE_TABLE = re.compile(r"<!-- axe-rgaa -->\n(.*?)\n<!-- /axe-rgaa -->", re.S)


def test_this_document_lists_the_rgaa_tests_axe_core_runs(
    browser: Any, server: Any
) -> None:
    """docs/accessibility.md's table of the RGAA tests axe-core covers is axe-core's
    own: the rules it runs, their RGAA tags, and whether their violations fail the
    tests (serious, critical) — an upgrade that changes them changes the table."""
    if not server.inspect:
        return  # the same axe-core on both runs
    from axe_playwright_python.sync_playwright import Axe

    with person(browser, server, None) as visitor:
        visitor.open("/accessibilite")
        results = Axe().run(visitor.page).response
        ran = {
            r["id"]
            for kind in ("passes", "violations", "incomplete", "inapplicable")
            for r in results[kind]
        }
        rules = visitor.page.evaluate(
            "() => axe._audit.rules.map(r => [r.id, r.impact, r.tags])"
        )
    covered: dict[tuple[int, int], list[tuple[str, str, bool]]] = {}
    for rule, impact, tags in sorted(rules):
        if rule not in ran:
            continue
        for tag in tags:
            found = re.fullmatch(r"RGAA-(\d+)\.(\d+)\.(\d+)", tag)
            if found:
                key = (int(found[1]), int(found[2]))
                test = ".".join(found.groups())
                blocking = impact in ("serious", "critical")
                covered.setdefault(key, []).append((rule, test, blocking))
    lines = [
        "| RGAA criterion | axe-core rules that fail the tests (serious, critical) "
        "| axe-core rules run, reported only (moderate, minor) |",
        "|---|---|---|",
    ]
    for (theme, number), found in sorted(covered.items()):
        failing = [f"`{r}` ({t})" for r, t, b in found if b]
        reported = [f"`{r}` ({t})" for r, t, b in found if not b]
        lines.append(
            f"| {theme}.{number} | {', '.join(failing) or '—'} "
            f"| {', '.join(reported) or '—'} |"
        )
    doc = (ROOT / "docs" / "accessibility.md").read_text(encoding="utf-8")
    table = AXE_TABLE.search(doc)
    assert table is not None, "docs/accessibility.md: the axe-rgaa table is missing"
    assert table.group(1).splitlines() == lines
    assert f"{len(ran)} rules" in doc
