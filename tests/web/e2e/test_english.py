"""Each persona's main pages in English, in Chromium: no French label left.

Every persona signs in through the English sign-in form (``?lang=en``), then opens
the pages of their job. On each page, every label-like text (headings, table heads,
labels, legends, buttons, links, options, cells, paragraphs, list items, the title,
``aria-label``, ``placeholder`` and ``title`` attributes) is compared, whole, with
the French messages the catalog translates into something else: a label equal to one
of them is a French label left on an English page (``Enregistrer``, ``Statut``…).
Words spelt the same in both languages (``Budget``, ``Plan``, ``Direction``…) have an
identical translation in the catalog and are not looked for.

On SQLite only: the labels come from the templates and the catalog, the same on both
backends; the data on the pages is the demo's on either.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.e2e.browsing import PASSWORD, Persona
from tests.web.test_i18n import french_msgids

pytestmark = pytest.mark.parametrize("server", ["sqlite"], indirect=True)

# Texts of the municipality's own records (its data is French, and stays so): a
# record named like a message of the interface is not a label left untranslated —
# the first administrator's display name, an indicator's unit (on the plan page).
DATA = {"Administrateur", "jours"}

# Each persona's pages (the demo's accounts), the heading each must show in English.
PAGES: dict[str, list[tuple[str, str]]] = {
    "ref.edu": [("/", "Hello"), ("/fiches/nouvelle", "New project proposal")],
    "dsi.martin": [
        ("/", "Hello"),
        ("/portefeuille", "Project portfolio"),
        ("/capacite", "capacity"),
        ("/grille", "Evaluation grid"),
        ("/plan", "2020-2026"),  # the plan's own name
        ("/scenarios", "Optimisation scenarios"),
        ("/scenarios/lancer", "Run a scenario"),
        ("/fiches/SITEWEB", "SITEWEB"),
    ],
    "eval.petit": [("/", "Hello")],
    "dgs.lefebvre": [
        ("/", "Hello"),
        ("/seances", "Steering committee (COPIL) sessions"),
        ("/seances/COPIL-2026-11-24", "24/11/2026"),  # its title
        ("/arbitrages", "Arbitration history"),
    ],
    "elu.dubois": [("/", "Hello")],
    "fin.garnier": [
        ("/", "Hello"),
        ("/budget", "Budget"),
        ("/budget/projets/SITEWEB", "SITEWEB"),
        ("/budget/bp", "primitive budget"),
        ("/budget/engagements", "commitment"),
        ("/budget/mandats", "payment order"),
    ],
    "audit.crc": [
        ("/", "Hello"),
        ("/audit", "Ledger audit log and integrity"),
        ("/exports", "Exports"),
    ],
    "admin.sdsi": [
        ("/", "Hello"),
        ("/admin/comptes", "Administration: accounts and roles"),
        ("/admin/comptes/nouveau", "account"),
        ("/referentiel", "reference data"),
    ],
}

LABELS_JS = """() => {
  const out = [document.title];
  const tags = 'h1,h2,h3,h4,th,caption,label,legend,summary,button,dt,dd,a,option,'
    + 'td,p,li';
  for (const el of document.querySelectorAll(tags)) out.push(el.textContent);
  for (const el of document.querySelectorAll('[aria-label],[placeholder],[title]')) {
    for (const name of ['aria-label', 'placeholder', 'title']) {
      if (el.hasAttribute(name)) out.push(el.getAttribute(name));
    }
  }
  return out;
}"""


def shown_labels(who: Persona) -> list[str]:
    """The page's label-like texts, whitespace collapsed, a required mark or a
    trailing colon dropped (``Montant *`` is the label ``Montant``)."""
    found = []
    for raw in who.page.evaluate(LABELS_JS):
        plain = re.sub(r"\s+", " ", raw or "").strip(" *:")
        if plain:
            found.append(plain)
    return found


def sign_in_in_english(who: Persona) -> None:
    assert who.open("/connexion?lang=en") == 200
    who.page.get_by_label("Username").fill(str(who.username))
    who.page.get_by_label("Password").fill(PASSWORD)
    who.page.get_by_role("button", name="Sign in").click()
    expect(who.page.get_by_role("heading", level=1)).to_contain_text("Hello")


def test_the_sign_in_page_is_in_english(browser: Any, server: Any) -> None:
    french = french_msgids()
    visitor = Persona(browser, server, None)
    try:
        assert visitor.open("/connexion?lang=en") == 200
        assert visitor.page.locator("html").get_attribute("lang") == "en-GB"
        shown = shown_labels(visitor)
        assert "Sign in" in shown
        assert [t for t in shown if t in french] == []
    finally:
        visitor.close()


def test_every_persona_sees_their_pages_in_english(browser: Any, server: Any) -> None:
    french = french_msgids() - DATA
    left: dict[str, list[str]] = {}
    for username, pages in PAGES.items():
        who = Persona(browser, server, username)
        try:
            sign_in_in_english(who)
            for path, heading in pages:
                assert who.open(path) == 200, (username, path)
                assert who.page.locator("html").get_attribute("lang") == "en-GB"
                title = who.page.get_by_role("heading", level=1).inner_text()
                if heading not in title:
                    left[f"{username} {path} heading"] = [title]
                french_here = sorted({t for t in shown_labels(who) if t in french})
                if french_here:
                    left[f"{username} {path}"] = french_here
        finally:
            who.close()
    assert left == {}, f"French labels on English pages: {left}"
