"""Every error of a refused form at once (issue 16, item 5), on both backends: each
message next to its own field (in its own column for the rows of a table), the field
marked ``aria-invalid`` and described by it, and a summary at the top of the form —
"Le formulaire contient N erreurs" — linking to each field with its label and
message. Nothing is written."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from tests.web.demo_site import (
    ADMIN,
    CHAIR,
    DSI,
    FINANCE,
    MEMBER,
    field_error,
    page,
    shared_site,
)
from tests.web.ui_client import Site

OPEN = "COPIL-2026-11-24"  # the demo's open session (FIBRE on its agenda)
AMOUNT = (
    "Montant en euros attendu : chiffres (milliers séparés par une espace), virgule "
    "ou point, au plus deux décimales (ex. 12 500,50 ou 12500.50)."
)
REQUIRED = "Champ obligatoire."


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest) -> Site:
    return shared_site(request, str(request.param))


def summary(body: str) -> tuple[str, list[tuple[str, str]], int]:
    """The summary's heading, its links ``(field id, text)`` and where it starts."""
    found = re.search(
        r'<div class="error-summary" role="alert" aria-labelledby="([^"]+)"[^>]*>'
        r"(.*?)</div>",
        body,
        re.S,
    )
    assert found, "no error summary"
    heading = re.search(
        rf'<h2 id="{found.group(1)}" tabindex="-1">([^<]*)</h2>', found.group(2)
    )
    assert heading, "the summary's heading is not focusable"
    links = re.findall(r'<li><a href="#([^"]+)">([^<]*)</a></li>', found.group(2))
    return (
        html.unescape(heading.group(1)),
        [(i, html.unescape(t)) for i, t in links],
        found.start(),
    )


def assert_next_to_its_field(body: str, field_id: str, message: str) -> None:
    """The message follows its field with no other field in between, in the same
    table cell when the field is one."""
    tag = re.search(rf'<(input|select|textarea)[^>]*id="{field_id}"[^>]*>', body)
    assert tag, field_id
    assert 'aria-invalid="true"' in tag.group(0), field_id
    if 'type="radio"' in tag.group(0) or 'type="checkbox"' in tag.group(0):
        return  # a group: the message follows the last box of the group
    close = {"select": "</select>", "textarea": "</textarea>"}.get(tag.group(1), "")
    start = body.index(close, tag.end()) + len(close) if close else tag.end()
    described = re.search(r'aria-describedby="([^"]+)"', tag.group(0))
    assert described, field_id
    shown = min(
        body.find(f'<p class="error" id="{ident}">', start)
        for ident in described.group(1).split()
    )
    assert shown > 0, (field_id, message)
    between = body[start:shown]
    assert not re.search(r"<(input|select|textarea)\b", between), (field_id, between)
    assert "</td>" not in between, f"{field_id}: its message is in another column"


def assert_refused(
    site: Site,
    user: str,
    url: str,
    data: dict[str, Any],
    expected: list[tuple[str, str, str]],
    status: int = 422,
) -> str:
    """Posting ``data`` shows ``expected`` (field id, label, message), all at once."""
    head = site.head()
    response = site.client(user).post(url, data=data)
    body = page(response)
    assert response.status_code == status, body[:2000]
    heading, links, at = summary(body)
    count = len(expected)
    assert heading == (
        f"Le formulaire contient {count} erreur{'s' if count > 1 else ''}"
    )
    assert links == [(fid, f"{label} : {message}") for fid, label, message in expected]
    form_start = body.rfind("<form", 0, at)
    first_field = re.search(r"<(input|select|textarea)(?![^>]*hidden)", body[at:])
    assert form_start > 0 and first_field, "the summary opens its form"
    for fid, _label, message in expected:
        assert field_error(body, fid) == message, fid
        assert_next_to_its_field(body, fid, message)
    assert site.head() == head, "a refused form wrote nothing"
    return body


def test_account_form_tells_every_error_at_once(site: Site) -> None:
    assert_refused(
        site,
        ADMIN,
        "/admin/comptes/nouveau",
        {"username": "fin.garnier", "password": "aaaaaaaaaaaa", "email": "x" * 255},
        [
            ("f-username", "Identifiant", "Compte existe déjà : fin.garnier."),
            ("f-display_name", "Nom affiché", REQUIRED),
            ("f-email", "Courriel", "Au plus 254 caractères."),
            (
                "f-password",
                "Mot de passe initial",
                "Valeur invalide pour « Mot de passe » : « *** » (mot de passe trop simple).",
            ),
        ],
        status=409,
    )


def test_grant_form_of_an_account(site: Site) -> None:
    assert_refused(
        site,
        ADMIN,
        "/admin/comptes/fin.garnier/attribuer",
        {},
        [("grant-role", "Rôle", REQUIRED), ("grant-reason", "Motif", REQUIRED)],
    )


def test_password_form_tells_every_error_at_once(site: Site) -> None:
    assert_refused(
        site,
        ADMIN,
        "/compte/mot-de-passe",
        {"password": "court"},
        [
            (
                "f-current_password",
                "Mot de passe actuel",
                "Obligatoire, au plus 200 caractères.",
            ),
            ("f-password", "Nouveau mot de passe", "De 10 à 200 caractères."),
            (
                "f-password_confirm",
                "Nouveau mot de passe, à nouveau",
                "Les deux saisies du nouveau mot de passe diffèrent.",
            ),
        ],
    )


def test_proposal_form_puts_each_cost_error_under_its_column(site: Site) -> None:
    assert_refused(
        site,
        DSI,
        "/fiches/nouvelle",
        {
            "code": "bad code!",
            "costs-0-year": "20x6",
            "costs-0-section": "investissement",
            "costs-0-amount": "abc",
            "costs-1-year": "2026",
            "costs-1-amount": "12",
        },
        [
            (
                "f-code",
                "Code de la fiche",
                "Code de 1 à 40 caractères : lettres, chiffres, _ . -",
            ),
            ("f-direction", "Direction porteuse", REQUIRED),
            ("f-title", "Intitulé", REQUIRED),
            ("f-description", "Description", REQUIRED),
            ("costs-0-year", "Année 1", "Nombre entier attendu."),
            ("costs-0-amount", "Montant 1", AMOUNT),
            ("costs-1-section", "Section 2", REQUIRED),
        ],
    )


def test_decision_form(site: Site) -> None:
    assert_refused(
        site,
        CHAIR,
        f"/seances/{OPEN}/arbitrer/FIBRE",
        {"cp-0-year": "2026", "cp-0-amount": "x"},
        [
            ("oc-approved", "Issue", REQUIRED),
            ("f-rationale", "Motivation", REQUIRED),
            ("cp-0-section", "Section 1", REQUIRED),
            ("cp-0-amount", "Montant 1", AMOUNT),
        ],
    )


def test_vote_form(site: Site) -> None:
    assert_refused(
        site,
        MEMBER,
        f"/seances/{OPEN}/votes",
        {"proposal": "FIBRE"},
        [("vt-2-for", "Votre vote sur FIBRE", REQUIRED)],
    )


def test_convening_form(site: Site) -> None:
    assert_refused(
        site,
        CHAIR,
        "/seances/convoquer",
        {"on": "demain"},
        [
            ("cv-code", "Code de la séance", REQUIRED),
            ("cv-title", "Intitulé", REQUIRED),
            ("cv-on", "Date", "Date attendue (AAAA-MM-JJ)."),
            ("cv-n-1", "Membres convoqués", REQUIRED),
        ],
    )


def test_budget_forms(site: Site) -> None:
    assert_refused(
        site,
        FINANCE,
        "/budget/bp",
        {"amount": "abc"},
        [
            ("f-year", "Exercice", REQUIRED),
            ("f-section", "Section", REQUIRED),
            ("f-amount", "Montant du BP (€)", AMOUNT),
            ("f-deliberation", "Référence de la délibération", REQUIRED),
            ("f-on", "Date du vote", REQUIRED),
        ],
    )
    assert_refused(
        site,
        FINANCE,
        "/budget/dm",
        {},
        [
            ("f-year", "Exercice", REQUIRED),
            ("f-section", "Section", REQUIRED),
            ("f-delta", "Montant de la DM (€, négatif pour une réduction)", REQUIRED),
            ("f-deliberation", "Référence de la délibération", REQUIRED),
            ("f-on", "Date de la délibération", REQUIRED),
        ],
    )
    assert_refused(
        site,
        FINANCE,
        "/budget/engagements",
        {},
        [
            ("f-proposal", "Projet", REQUIRED),
            ("f-reference", "Référence de l'engagement", REQUIRED),
            ("f-year", "Exercice des CP", REQUIRED),
            ("f-section", "Section", REQUIRED),
            ("f-amount", "Montant (€)", REQUIRED),
            ("f-on", "Date de l'engagement", REQUIRED),
            ("f-supplier", "Fournisseur", REQUIRED),
        ],
    )
    assert_refused(
        site,
        FINANCE,
        "/budget/mandats",
        {},
        [
            ("f-commitment", "Engagement", REQUIRED),
            ("f-reference", "Référence du mandat", REQUIRED),
            ("f-amount", "Montant (€)", REQUIRED),
            ("f-on", "Date du mandat", REQUIRED),
        ],
    )


def test_grid_forms(site: Site) -> None:
    assert_refused(
        site,
        DSI,
        "/grille/versions",
        {"number": "x"},
        [
            ("dr-number", "Numéro de version", "Nombre entier attendu."),
            ("dr-label", "Intitulé", REQUIRED),
        ],
    )


def test_scenario_form(site: Site) -> None:
    assert_refused(
        site,
        DSI,
        "/scenarios/lancer",
        {"risk_weight": "x", "forced_in-0-code": "FIBRE"},
        [
            ("f-code", "Code du scénario", REQUIRED),
            (
                "f-risk_weight",
                "Poids du risque",
                "Nombre décimal positif attendu (ex. 1,1).",
            ),
            ("forced_in-0-reason", "Projets imposés : motif 1", REQUIRED),
        ],
    )


def test_referential_forms(site: Site) -> None:
    assert_refused(
        site,
        DSI,
        "/referentiel/equipes",
        {"kind": "x", "capacity-2026": "abc"},
        [
            ("create-code", "Code", REQUIRED),
            ("create-name", "Nom", REQUIRED),
            ("create-kind", "Type", "Valeurs possibles : dsi, business."),
            ("create-capacity-2026", "2026", "Nombre entier attendu."),
        ],
    )
    assert_refused(
        site,
        ADMIN,
        "/referentiel/directions",
        {},
        [
            ("create-code", "Code", REQUIRED),
            ("create-name", "Nom", REQUIRED),
            ("create-pole", "Pôle", REQUIRED),
        ],
    )
    assert_refused(
        site,
        CHAIR,
        "/referentiel/copil",
        {},
        [
            ("appoint-username", "Compte", REQUIRED),
            ("appoint-kind", "Qualité", REQUIRED),
        ],
    )


def test_project_execution_form_on_the_proposal_page(site: Site) -> None:
    body = assert_refused(
        site,
        DSI,
        "/fiches/WIFI/jalons",
        {"planned": "bientôt"},
        [
            ("ms-code", "Code", REQUIRED),
            ("ms-label", "Libellé", REQUIRED),
            ("ms-planned", "Date prévue", "Date attendue (AAAA-MM-JJ)."),
        ],
    )
    assert 'value="bientôt"' in body  # what was typed is kept


def test_an_error_about_a_whole_table_links_to_its_first_cell(site: Site) -> None:
    response = site.client(FINANCE).post(
        "/budget/projets/ENT/ap",
        data={
            "ap_amount": "1000.00",
            "cp-0-year": "2026",
            "cp-0-section": "investissement",
            "cp-0-amount": "900.00",
            "deliberation": "DCM",
            "reason": "essai",
        },
    )
    body = page(response)
    heading, links, _at = summary(body)
    assert heading == "Le formulaire contient 1 erreur"
    assert links[0][0] == "cp-0-year"
    assert links[0][1].startswith("Exercice 1 : ")
    assert field_error(body, "cp-0-year") == links[0][1].removeprefix("Exercice 1 : ")
