"""The accessibility statement (``/accessibilite``): public, linked from the footer of
every page, in the RGAA model's parts; its contact form (CSRF, French messages naming
each field by its label, nothing kept when refused, rate-limited per client) and the
messages' page for the administrators. On SQLite and PostgreSQL, CSRF checked as in
production."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from ledger.contact import ContactMessages
from tests.web.ui_client import Site, text
from tests.web.world import login, open_world


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    running = open_world(
        request, tmp_path_factory, request.param, WTF_CSRF_ENABLED=True
    )
    yield running
    running.close()


def kept(site: Site) -> int:
    return ContactMessages(site.ledger.storage).count()


def csrf_of(client: Any) -> str:
    page = client.get("/accessibilite").get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def send(client: Any, ip: str, **fields: str) -> Any:
    """Post the contact form from address ``ip``, with a valid CSRF token."""
    data = {"csrf_token": csrf_of(client), **fields}
    return client.post("/accessibilite", data=data, environ_base={"REMOTE_ADDR": ip})


GOOD = {
    "name": "Jeanne Martin",
    "email": "jeanne.martin@example.fr",
    "page": "/budget",
    "message": "Le tableau du budget n'est pas lu par mon lecteur d'écran.\nMerci.",
}


def test_the_statement_is_public_with_the_rgaa_models_parts(site: Site) -> None:
    answer = site.client().get("/accessibilite")
    assert answer.status_code == 200
    body = answer.get_data(as_text=True)
    headings = re.findall(r"<h2[^>]*>([^<]+)</h2>", body)
    assert headings == [
        "État de conformité",
        "Contenus non accessibles",
        "Établissement de cette déclaration",
        "Retour d'information et contact",
        "Voies de recours",
    ]
    words = text(answer)
    assert (
        "Le Registre SDSI est non conforme avec le RGAA 4.1 (référentiel général "
        "d'amélioration de l'accessibilité)." in words
    )
    assert "Défenseur des droits Libre réponse 71120 75342 Paris CEDEX 07" in words
    assert 'href="https://formulaire.defenseurdesdroits.fr/"' in body
    assert (
        "Ville de test s'engage à rendre ses services numériques accessibles" in words
    )
    for label in ("Nom *", "Adresse électronique *", "Page concernée", "Message *"):
        assert label in words


@pytest.mark.parametrize("who", [None, "dsi", "admin"])
def test_every_page_opens_with_two_skip_links_and_links_the_statement(
    site: Site, who: str | None
) -> None:
    client = site.client(login(who) if who else None)
    for path in ("/connexion", "/accessibilite") if who is None else ("/", "/plan"):
        body = client.get(path).get_data(as_text=True)
        links = re.findall(r"<a [^>]*href=\"([^\"]+)\"[^>]*>([^<]+)</a>", body)
        target = "#navigation" if who else "#pied"
        assert links[:2] == [
            ("#contenu", "Aller au contenu"),
            (target, "Aller à la navigation"),
        ], path
        assert f'id="{target[1:]}" tabindex="-1"' in body, path
        assert ("/accessibilite", "Accessibilité : non conforme") in links, path


def test_a_message_is_kept_and_shown_to_the_administrators_only(site: Site) -> None:
    before = kept(site)
    visitor = site.client()
    answer = send(visitor, "10.16.0.1", **GOOD)
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/accessibilite#contact"
    thanks = text(visitor.get("/accessibilite"))
    assert (
        "Merci : votre message a été transmis aux administrateurs du registre, "
        "qui vous répondront par courriel." in thanks
    )
    assert kept(site) == before + 1

    page = site.client(login("admin")).get("/admin/accessibilite")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert f"{before + 1} message(s) reçu(s)" in text(page)
    row = re.search(r"<tbody>(.*?)</tbody>", body, re.S)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    assert cells[1:] == [
        "Jeanne Martin",
        '<a href="mailto:jeanne.martin%40example.fr">jeanne.martin@example.fr</a>',
        "/budget",
        "Le tableau du budget n&#39;est pas lu par mon lecteur d&#39;écran.\nMerci.",
    ]
    assert re.fullmatch(r"\d+ \w+\.? \d{4} \d\d:\d\d:\d\d", cells[0]), cells[0]
    assert "Messages sur l'accessibilité" in site.client(login("admin")).get(
        "/admin/comptes"
    ).get_data(as_text=True)
    for role in ("dsi", "chair", "auditor", "referent"):
        assert site.client(login(role)).get("/admin/accessibilite").status_code == 403
    assert site.client().get("/admin/accessibilite").status_code == 302  # sign in


def test_without_its_csrf_token_the_form_is_refused_and_nothing_kept(
    site: Site,
) -> None:
    before = kept(site)
    answer = site.client().post(
        "/accessibilite", data=GOOD, environ_base={"REMOTE_ADDR": "10.16.0.2"}
    )
    assert answer.status_code == 400
    assert kept(site) == before


def test_each_error_is_named_by_its_label_next_to_its_field(site: Site) -> None:
    before = kept(site)
    visitor = site.client()
    answer = send(
        visitor, "10.16.0.3", name="", email="", message="   ", page="x" * 501
    )
    assert answer.status_code == 422
    body = answer.get_data(as_text=True)
    errors = dict(
        re.findall(r'<p class="error" id="contact-(\w+)-e">([^<]+)</p>', body)
    )
    assert errors == {
        "name": "Nom : champ obligatoire.",
        "email": "Adresse électronique : champ obligatoire.",
        "page": "Page concernée : 500 caractères au plus (501 saisis).",
        "message": "Message : champ obligatoire.",
    }
    assert (
        '<p class="flash error" role="alert">Le formulaire contient des erreurs : '
        "rien n&#39;a été envoyé.</p>" in body
    )
    assert 'aria-invalid="true" aria-describedby="contact-email-h contact-email-e"' in (
        body
    )

    answer = send(
        visitor,
        "10.16.0.3",
        name="Jeanne Martin",
        email="jeanne.martin",
        message="m" * 5001,
    )
    body = answer.get_data(as_text=True)
    errors = dict(
        re.findall(r'<p class="error" id="contact-(\w+)-e">([^<]+)</p>', body)
    )
    assert errors == {
        "email": "Adresse électronique : adresse invalide (attendu : nom@domaine.fr).",
        "message": "Message : 5000 caractères au plus (5001 saisis).",
    }
    assert 'value="Jeanne Martin"' in body  # what was typed stays
    assert kept(site) == before


@pytest.fixture
def stopped_clock(site: Site) -> Iterator[list[float]]:
    """The throttle's clock, stopped (moved by the test): waits are exact."""
    counters = site.app.extensions["sdsi"].extra["throttle"].counters
    running, now = counters.clock, [2_000_000_000.0]
    counters.clock = lambda: now[0]
    try:
        yield now
    finally:
        counters.clock = running


def test_messages_are_rate_limited_per_client(
    site: Site, stopped_clock: list[float]
) -> None:
    before = kept(site)
    visitor = site.client()
    for _ in range(5):
        assert send(visitor, "10.16.0.4", **GOOD).status_code == 302
    for wait in (1, 1):  # refused twice: a refusal does not lengthen the wait
        refused = send(visitor, "10.16.0.4", **GOOD)
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == str(wait)
        assert (
            f"Trop de messages envoyés depuis votre poste : réessayez dans {wait} s. "
            "Rien n'a été envoyé." in text(refused)
        )
    assert kept(site) == before + 5
    # another client is not held back
    assert send(site.client(), "10.16.0.5", **GOOD).status_code == 302
    assert kept(site) == before + 6
    # a second later, one more; the next one waits 2 s
    stopped_clock[0] += 1
    assert send(visitor, "10.16.0.4", **GOOD).status_code == 302
    assert send(visitor, "10.16.0.4", **GOOD).headers["Retry-After"] == "2"
    # an hour without a message: five free again
    stopped_clock[0] += 3600
    for _ in range(5):
        assert send(visitor, "10.16.0.4", **GOOD).status_code == 302
    assert kept(site) == before + 12


def test_control_characters_are_dropped_and_line_breaks_kept(site: Site) -> None:
    """Control characters no one types are dropped (line breaks stay in the
    message); NUL, which PostgreSQL refuses, is refused as on every form."""
    before = kept(site)
    refused = send(site.client(), "10.16.0.7", **{**GOOD, "message": "a\x00b"})
    assert refused.status_code == 422
    assert kept(site) == before
    answer = send(
        site.client(),
        "10.16.0.7",
        name="Jean\x08ne\tMartin",
        email=" jeanne@example.fr\x07",
        page="/budget\r\n",
        message="Première ligne\x1b\r\nSeconde ligne\x7f",
    )
    assert answer.status_code == 302, text(answer)
    newest = ContactMessages(site.ledger.storage).newest(limit=1)[0]
    assert (newest.name, newest.email, newest.page, newest.message) == (
        "Jeanne Martin",
        "jeanne@example.fr",
        "/budget",
        "Première ligne\r\nSeconde ligne",
    )
