"""English is really available: every page of the UI renders in English with
``?lang=en`` (no French label left in the navigation, headings, table heads, labels
and buttons), euros and dates the English way, domain errors in English, French by
default unchanged — and the catalog translates every message the code holds."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from flask import Flask

import domain.errors as domain_errors
import ledger.errors  # noqa: F401  (its domain errors are listed too)
from exports import registry
from optimiser import api as optimiser
from tests.web.demo_site import (
    ADMIN,
    AUDITOR,
    CHAIR,
    DSI,
    EVALUATOR,
    FINANCE,
    MEMBER,
    PASSWORD,
    REFERENT,
    field_error,
    page,
    shared_site,
)
from tests.web.ui_client import Site, text
from web import domain_messages
from web.formatting import day, eur
from web.i18n import compile_catalogs
from web.ui import exports as exports_ui

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "web" / "translations"
CATALOG = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
PROJECT = "SITEWEB"  # in progress in the demo, with its AP/CP

# What the navigation, headings and buttons of the main pages say in English, and
# the French they must no longer say (checked on the page's visible labels).
ENGLISH_LABELS = {
    "/": ["Home", "Portfolio", "COPIL sessions", "Arbitration", "Budget", "Sign out"],
    "/portefeuille": ["Project portfolio", "Value and risk", "Rank"],
    "/seances": ["Steering committee (COPIL) sessions", "Convene a session"],
    "/arbitrages": ["Arbitration history", "Filter"],
    "/budget": [
        "Budget: envelopes, AP/CP (programme authorisation / payment credits), "
        "commitments and payment orders",
        "Envelopes by financial year and section",
        "Record a commitment",
    ],
    "/grille": ["Evaluation grid", "Value criteria", "Risk criteria"],
    "/plan": ["Divisions and departments", "Strategic axes and indicators"],
    "/scenarios": ["Optimisation scenarios"],
    "/audit": ["Ledger audit log and integrity", "Verify the whole ledger now"],
    "/exports": ["Exports", "Download"],
    "/admin/comptes": ["Administration: accounts and roles", "Create an account"],
}
FRENCH_LABELS = [
    "Accueil",
    "Portefeuille",
    "Séances du COPIL",
    "Arbitrages",
    "Grille d'évaluation",
    "Se déconnecter",
    "Enregistrer",
    "Filtrer",
    "Exercice",
    "Statut",
    "Montant",
    "Fiche",
    "Direction",
    "Pôle",
    "Engagements",
    "Mandats",
    "Enveloppes",
    "Rôles",
    "Télécharger",
    "Registre SDSI",
]
MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|"
    "November|December"
)
ENGLISH_EURO = re.compile(r"€\d{1,3}(?:,\d{3})*\.\d{2}")
FRENCH_EURO = re.compile(r"\d{1,3}(?:[\u202f\u00a0 ]\d{3})*,\d{2}[\u202f\u00a0 ]€")


@pytest.fixture(scope="module")
def site(request: pytest.FixtureRequest) -> Site:
    return shared_site(request, "sqlite")


def english(site: Site, user: str | None) -> Any:
    """A browser signed in as ``user`` that asked for English once."""
    client = site.client(user)
    assert (
        client.get("/connexion?lang=en" if user is None else "/?lang=en").status_code
        == 200
    )
    return client


def labels(body: str) -> list[str]:
    """The texts of the page's labels: navigation links, headings, table heads and
    captions, form labels, legends, summaries and buttons, and the page title."""
    found = []
    nav = re.search(r"<nav aria-label=[^>]*>(.*?)</nav>", body, re.S)
    chunks = [(nav.group(1) if nav else "", "a")]
    for tag in ("title", "h1", "h2", "h3", "th", "caption", "label", "legend",
                "summary", "button", "dt"):  # fmt: skip
        chunks.append((body, tag))
    for source, tag in chunks:
        for inner in re.findall(rf"<{tag}\b[^>]*>(.*?)</{tag}>", source, re.S):
            plain = re.sub(r"<[^>]+>", " ", inner)
            plain = re.sub(r"\s+", " ", html.unescape(plain)).strip(" *:")
            if plain:
                found.append(plain)
    return found


def visible_text(body: str) -> str:
    """The page's text, tags dropped and whitespace collapsed (header included)."""
    plain = re.sub(r"<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", html.unescape(plain))


def french_msgids() -> set[str]:
    """The French texts the catalog translates into something else."""
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle)
    return {
        m.id
        for m in catalog
        if m.id and m.string and m.string != m.id and "%" not in m.id and len(m.id) > 2
    }


def assert_english(response: Any, where: str, french: set[str]) -> None:
    assert response.status_code == 200, (where, response.status_code)
    body = page(response)
    assert '<html lang="en-GB">' in body, where
    left = [t for t in labels(body) if t in french]
    assert not left, f"{where}: French labels left: {left}"


def codes(body: str, prefix: str) -> list[str]:
    return list(dict.fromkeys(re.findall(rf'href="{prefix}([^"/?#]+)"', body)))


# --- every page in English --------------------------------------------------------


def test_every_page_renders_in_english_with_no_french_label_left(site: Site) -> None:
    french = french_msgids()
    dsi, chair, finance = (
        english(site, DSI),
        english(site, CHAIR),
        english(site, FINANCE),
    )
    auditor, admin = english(site, AUDITOR), english(site, ADMIN)
    sessions = codes(page(chair.get("/seances")), "/seances/")
    scenarios = ["SC-BASE", "SC-PLUS"]  # as the scenario page tests record them
    for code, scale in (("SC-BASE", "1"), ("SC-PLUS", "1.5")):
        if optimiser.get_scenario(site.read_model.store, code) is None:
            response = dsi.post(
                "/scenarios/lancer",
                data={
                    "code": code,
                    "label": f"enveloppes × {scale}",
                    "budget_scale": scale,
                    "time_limit": "10",
                },
            )
            assert response.status_code == 302, text(response)
    open_sessions = [
        s for s in q_sessions(site) if s["status"] == "open" and s["agenda"]
    ]
    pages: list[tuple[Any, str]] = [
        (dsi, "/"),
        (english(site, MEMBER), "/"),
        (english(site, EVALUATOR), "/"),
        (english(site, REFERENT), "/"),
        (finance, "/"),
        (auditor, "/"),
        (admin, "/"),
        (chair, "/"),
        (dsi, "/portefeuille"),
        (dsi, "/capacite"),
        (dsi, f"/fiches/{PROJECT}"),
        (dsi, "/fiches/nouvelle"),
        (dsi, f"/fiches/{PROJECT}/amender"),
        (dsi, f"/fiches/{PROJECT}/qualifier"),
        (chair, "/seances"),
        *[(chair, f"/seances/{code}") for code in sessions[:3]],
        *[
            (chair, f"/seances/{s['code']}/arbitrer/{s['agenda'][0]}")
            for s in open_sessions[:1]
        ],
        (chair, "/arbitrages"),
        (finance, "/budget"),
        (finance, f"/budget/projets/{PROJECT}"),
        (finance, "/budget/bp"),
        (finance, "/budget/dm"),
        (finance, "/budget/engagements"),
        (finance, "/budget/mandats"),
        (finance, f"/budget/projets/{PROJECT}/ap"),
        (dsi, "/grille"),
        (dsi, "/plan"),
        (dsi, "/scenarios"),
        (dsi, f"/scenarios/{scenarios[0]}"),
        (dsi, "/scenarios/lancer"),
        (dsi, "/scenarios/comparer?" + "&".join(f"codes={c}" for c in scenarios[:2])),
        (dsi, "/scenarios/frontiere"),
        (dsi, "/scenarios/robustesse"),
        (auditor, "/audit"),
        (auditor, "/audit/diff?a=2021-01-01&b=2026-01-01"),
        (auditor, "/audit/preuve/1"),
        (auditor, "/exports"),
        (admin, "/admin/comptes"),
        (admin, f"/admin/comptes/{FINANCE}"),
        (admin, "/admin/comptes/nouveau"),
        (admin, "/referentiel"),
        (admin, "/referentiel/collectivite"),
        (admin, "/referentiel/plan"),
        (admin, "/referentiel/poles"),
        (admin, "/referentiel/poles/PRS"),
        (admin, "/referentiel/directions"),
        (admin, "/referentiel/directions/FIN"),
        (admin, "/referentiel/equipes"),
        (admin, "/referentiel/equipes/DSI-APPS"),
        (admin, "/referentiel/axes"),
        (admin, "/referentiel/axes/A1"),
        (admin, f"/referentiel/indicateurs/{first_indicator(site)}"),
        (admin, "/referentiel/copil"),
        (dsi, "/referentiel/plan"),
        (dsi, "/api/docs"),
        (site.client(), "/connexion?lang=en"),
    ]
    for client, url in pages:
        assert_english(client.get(url), url, french)


def first_indicator(site: Site) -> str:
    from projections import reference_queries as rq

    return str(rq.axes(site.read_model.store)[0]["indicators"][0]["code"])


def q_sessions(site: Site) -> list[dict[str, Any]]:
    from projections import queries as q

    return list(q.sessions(site.read_model.store))


def test_main_pages_say_their_labels_in_english(site: Site) -> None:
    users = {"/": CHAIR, "/seances": CHAIR, "/budget": FINANCE, "/audit": AUDITOR}
    users.update({"/exports": AUDITOR, "/admin/comptes": ADMIN})
    for url, expected in ENGLISH_LABELS.items():
        client = english(site, users.get(url, DSI))
        body = page(client.get(url))
        visible = visible_text(body)
        for label in expected:
            assert label in visible, (url, label)
        shown = labels(body)
        for label in FRENCH_LABELS:
            assert label not in shown, (url, label)


def test_the_language_is_kept_in_the_session_and_switched_back(site: Site) -> None:
    client = english(site, DSI)
    body = page(client.get("/portefeuille"))
    assert "Project portfolio" in body and 'href="?lang=fr"' in body
    body = page(client.get("/portefeuille?lang=fr"))
    assert "Portefeuille des projets" in body and 'href="?lang=en"' in body
    assert "Portefeuille des projets" in page(client.get("/portefeuille"))


def test_signing_in_and_out_keeps_the_language(site: Site) -> None:
    client = site.client()
    client.get("/connexion?lang=en")
    refused = client.post("/connexion", data={"username": DSI, "password": "wrong"})
    assert refused.status_code == 401
    assert "Incorrect username or password." in text(refused)
    signed_in = client.post("/connexion", data={"username": DSI, "password": PASSWORD})
    assert signed_in.status_code == 302
    assert "Project portfolio" in page(client.get("/portefeuille"))
    signed_out = client.post("/deconnexion", follow_redirects=True)
    assert "You are signed out." in text(signed_out)
    assert "Sign in" in labels(page(signed_out))


# --- euros and dates ---------------------------------------------------------------


def test_euros_and_dates_are_written_the_english_way(site: Site) -> None:
    app: Flask = site.app
    with app.test_request_context("/?lang=en"):
        assert eur(Decimal("1234.50")) == "€1,234.50"
        assert eur(123450, cents=True) == "€1,234.50"
        assert day("2026-03-17") == "17 March 2026"
        assert day(date(2026, 3, 17)) == "17 March 2026"
    with app.test_request_context("/"):
        assert re.sub(r"\s", " ", eur(Decimal("1234.50"))) == "1 234,50 €"
        assert day("2026-03-17") == "17 mars 2026"
    client = english(site, FINANCE)
    budget = text(client.get(f"/budget/projets/{PROJECT}"))
    assert ENGLISH_EURO.search(budget) and not FRENCH_EURO.search(budget)
    proposal = text(english(site, DSI).get(f"/fiches/{PROJECT}"))
    assert re.search(rf"\b\d{{1,2}} ({MONTHS}) \d{{4}}\b", proposal), proposal[:500]


def test_french_stays_the_default(site: Site) -> None:
    client = site.client(FINANCE)
    body = page(client.get("/budget"))
    assert '<html lang="fr">' in body
    shown = labels(body)
    for label in ("Accueil", "Portefeuille", "Se déconnecter", "Filtrer"):
        assert label in shown, label
    assert "Budget : enveloppes, AP/CP, engagements et mandats" in shown
    assert "Enregistrer un engagement" in visible_text(body)
    assert FRENCH_EURO.search(text(client.get(f"/budget/projets/{PROJECT}")))
    assert not ENGLISH_EURO.search(text(client.get(f"/budget/projets/{PROJECT}")))


def test_exports_are_listed_in_english(site: Site) -> None:
    assert set(exports_ui.ENGLISH) == {e.name for e in registry.available()}
    body = text(english(site, AUDITOR).get("/exports"))
    assert "Ledger integrity certificate" in body
    assert "Certificat d'intégrité du registre" not in body
    assert "Certificat d'intégrité du registre" in text(
        site.client(AUDITOR).get("/exports")
    )


# --- domain errors -----------------------------------------------------------------


def commitment(amount: str) -> dict[str, str]:
    return {
        "proposal": PROJECT,
        "reference": "ENG-EN-1",
        "year": "2026",
        "section": "investissement",
        "amount": amount,
        "on": "2026-03-02",
        "supplier": "Trusted host Ltd",
    }


def test_a_domain_error_is_shown_in_english_next_to_its_field(site: Site) -> None:
    head = site.head()
    response = english(site, FINANCE).post(
        "/budget/engagements", data=commitment("9999999")
    )
    assert response.status_code == 409
    message = field_error(page(response), "f-amount")
    assert message.startswith(f"CP 2026 (investment) of {PROJECT} exceeded"), message
    assert "justified override by finance" in message
    assert site.head() == head
    french = site.client(FINANCE).post(
        "/budget/engagements", data=commitment("9999999")
    )
    assert field_error(page(french), "f-amount").startswith(
        f"CP 2026 (investissement) de {PROJECT} dépassés"
    )


def test_form_and_page_errors_are_in_english(site: Site) -> None:
    client = english(site, FINANCE)
    bad = client.post("/budget/engagements", data=commitment("12,345.678"))
    assert bad.status_code == 422
    assert "The form contains errors: nothing was recorded." in text(bad)
    missing = english(site, DSI).get("/fiches/NOPE-NOPE")
    assert missing.status_code == 404
    assert "Resource not found." in text(missing)
    denied = english(site, MEMBER).get("/admin/comptes")
    assert denied.status_code == 403
    assert "Access denied: your role does not allow access to this page." in text(
        denied
    )


def all_domain_errors() -> list[type[domain_errors.DomainError]]:
    found, todo = [], [domain_errors.DomainError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_every_domain_error_has_an_english_template_with_the_same_params() -> None:
    fields = re.compile(r"\{(\w+)")
    for cls in all_domain_errors():
        assert cls.code in domain_messages.ENGLISH, cls.code
        english_template = domain_messages.ENGLISH[cls.code]
        assert set(fields.findall(english_template)) == set(
            fields.findall(cls.template)
        ), cls.code
    assert set(domain_messages.LABELS) == set(domain_errors.LABELS)


def test_domain_errors_put_their_french_params_into_english(site: Site) -> None:
    """Each refusal in both languages: fields by their labels, values as typed (never
    a Python repr), amounts and percentages written as the page writes numbers."""
    e = domain_errors
    cases = [
        (
            e.NotFound(kind="Fiche projet", id="X"),
            "Project proposal not found: X.",
            "Fiche projet introuvable : X.",
        ),
        (
            e.InvalidTransition(proposal="P", status="draft", action="decide"),
            "Proposal P is “draft”: the action “decide” is not possible.",
            "La fiche P est « brouillon » : l'action « arbitrer » n'est pas possible.",
        ),
        (
            e.NotAllowed(actor="u", action="créer un pôle", roles="aucun"),
            "u is not allowed to create a division (roles: none).",
            "u n'a pas le droit de créer un pôle (rôles : aucun).",
        ),
        (
            e.InvalidValue("amount", "1,5", "au plus 2 décimales"),
            "Invalid value for “Amount”: “1,5” (at most 2 decimal places).",
            "Valeur invalide pour « Montant » : « 1,5 » (au plus 2 décimales).",
        ),
        (
            e.InvalidValue("title", "x", "au plus 200 caractères"),
            "Invalid value for “Title”: “x” (at most 200 characters).",
            "Valeur invalide pour « Intitulé » : « x » (au plus 200 caractères).",
        ),
        (
            e.InvalidValue(
                "costs[1].amount", Decimal("0.00"), "montant positif attendu"
            ),
            "Invalid value for “Amount (Costs, line 2)”: “0.00” (positive amount "
            "expected).",
            "Valeur invalide pour « Montant (Coûts, ligne 2) » : « 0,00 » (montant "
            "positif attendu).",
        ),
        (
            e.BudgetAlreadyVoted(year=2026, section="fonctionnement"),
            "The 2026 primitive budget (BP) (operating) has already been voted; "
            "adjustments go through a budget amendment (DM).",
            None,
        ),
        (
            e.InvalidValue("x", "y", "une raison encore inconnue"),
            "Invalid value for “x”: “y” (une raison encore inconnue).",
            "Valeur invalide pour « x » : « y » (une raison encore inconnue).",
        ),
        (
            e.CPExceeded(
                year=2026,
                section="investissement",
                proposal="P",
                requested=Decimal("90000.00"),
                available=Decimal("1234.5"),
            ),
            "CP 2026 (investment) of P exceeded: commitment of €90,000.00, "
            "€1,234.50 available. Going beyond them requires a justified override by "
            "finance.",
            "CP 2026 (investissement) de P dépassés : engagement de 90\u202f000,00 €, "
            "1\u202f234,50 € disponibles. Un dépassement exige un forçage motivé des "
            "finances.",
        ),
        (
            e.WeightsDoNotSum(version=2, family="value", total=Decimal("30")),
            "The weights of the “value” family in grid v2 total 30.00%, not 100%.",
            "Les poids de la famille « valeur » de la grille v2 totalisent 30,00 %, "
            "pas 100 %.",
        ),
        (
            e.DecisionAmountsInvalid(
                proposal="P",
                reason="le total des CP (90000.00 €) diffère de l'AP (100000.00 €)",
            ),
            "Inconsistent amounts in the decision on P: the CP total (€90,000.00) "
            "differs from the AP (€100,000.00).",
            "Montants de la décision sur P incohérents : le total des CP "
            "(90\u202f000,00\u00a0€) diffère de l'AP (100\u202f000,00\u00a0€).",
        ),
    ]
    with site.app.test_request_context("/?lang=en"):
        for error, expected, _french in cases:
            assert domain_messages.localised(error) == expected
    with site.app.test_request_context("/"):
        for error, _english, expected in cases:
            assert domain_messages.localised(error) == (expected or error.message)


# --- the catalog ---------------------------------------------------------------------


def extract(target: Path) -> Any:
    """The messages of the code, extracted as README.md says."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "--sort-output",
            "-o",
            str(target),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with target.open("rb") as handle:
        return read_po(handle)


def test_the_catalog_translates_every_message_of_the_code(tmp_path: Path) -> None:
    extracted = extract(tmp_path / "messages.pot")
    wanted = {m.id for m in extracted if m.id}
    assert len(wanted) > 900  # the extraction really ran over web/
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle)
    missing, untranslated, broken = [], [], []
    placeholders = re.compile(r"%\(\w+\)[-#0 +]?\d*(?:\.\d+)?[sdfr]|%%|\{\w*\}")
    for msgid in sorted(wanted, key=str):
        message = catalog.get(msgid)
        if message is None:
            missing.append(msgid)
        elif not message.string or message.fuzzy:
            untranslated.append(msgid)
        elif sorted(placeholders.findall(message.string)) != sorted(
            placeholders.findall(msgid)
        ):
            broken.append(msgid)
    assert not missing, f"not in {CATALOG.name} (run pybabel update): {missing}"
    assert not untranslated, f"empty or fuzzy translations: {untranslated}"
    assert not broken, f"placeholders changed by the translation: {broken}"
    with (TRANSLATIONS / "messages.pot").open("rb") as handle:
        template = {m.id for m in read_po(handle) if m.id}
    assert template == wanted, "web/translations/messages.pot is out of date"


def test_no_compiled_catalog_is_committed() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "*.mo"], cwd=ROOT, capture_output=True, text=True
    )
    assert tracked.stdout.strip() == ""


def test_catalogs_are_compiled_when_missing_or_older_than_their_po(
    tmp_path: Path,
) -> None:
    source = tmp_path / "src"
    (source / "en" / "LC_MESSAGES").mkdir(parents=True)
    po = source / "en" / "LC_MESSAGES" / "messages.po"
    po.write_bytes(CATALOG.read_bytes())
    target = tmp_path / "cache"
    mo = target / "en" / "LC_MESSAGES" / "messages.mo"
    assert compile_catalogs(source, target) == [mo]
    assert compile_catalogs(source, target) == []  # up to date: left alone
    stamp = mo.stat().st_mtime
    os.utime(po, (stamp + 10, stamp + 10))
    assert compile_catalogs(source, target) == [mo]


def test_the_app_reads_the_catalog_compiled_at_start_up(site: Site) -> None:
    directories = site.app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")
    compiled = Path(directories[0]) / "en" / "LC_MESSAGES" / "messages.mo"
    assert compiled.exists()
    assert compiled.stat().st_mtime >= CATALOG.stat().st_mtime
    assert not (TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.mo").exists()


def test_labels_of_literal_values_follow_each_request_language(site: Site) -> None:
    """A filter applied to a literal (``'investissement'|section``) is evaluated per
    request, not folded once in whichever language compiled the template first."""
    for first, second in (("en", "fr"), ("fr", "en"), ("en", "fr")):
        for lang in (first, second):
            client = site.client(FINANCE)
            assert client.get(f"/?lang={lang}").status_code == 200
            body = page(client.get("/budget/bp"))
            options = re.findall(r"<option[^>]*>([^<]*)</option>", body)
            wanted, unwanted = (
                ("Investissement", "Investment")
                if lang == "fr"
                else ("Investment", "Investissement")
            )
            assert wanted in options and unwanted not in options, (lang, options)


def test_every_status_shown_has_its_french_label() -> None:
    """A proposal withdrawn by its referent read « withdrawn » in the French pages
    (the portfolio's status filter, its row, the proposal page): every status of a
    proposal, a session and a phase has its label."""
    from domain.plan import PhaseStatus
    from domain.proposals import Status
    from domain.sessions import SessionStatus
    from web.formatting import STATUS

    shown = {s.value for enum in (Status, SessionStatus, PhaseStatus) for s in enum}
    assert shown - set(STATUS) == set()
    assert str(STATUS["withdrawn"]) == "Retirée"
