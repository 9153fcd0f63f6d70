"""The layout on a desktop (1280 px) and a phone (375 px), on the demo municipality.

No page scrolls sideways: ``document.documentElement.scrollWidth`` is at most the
window's width, and the main content does not scroll either (what is wider, a table,
scrolls inside its own box). Every page of each persona's main navigation is measured,
plus the pages they reach from it (a proposal, a session, the decision form, the
budget of a project). On a phone the navigation folds behind a "Menu" button.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.e2e.browsing import person
from tests.web.e2e.keyboard import Keyboard

# Widths are a matter of templates and CSS, the same on both backends (the persona and
# page tests drive the same pages on PostgreSQL): measured once, on SQLite.
pytestmark = pytest.mark.parametrize("server", ["sqlite"], indirect=True)

WIDTHS = (1280, 375)
# who, and the pages they reach besides their main navigation
PERSONAS = {
    "dsi.martin": ["/fiches/PORTAIL", "/capacite"],
    "dgs.lefebvre": [
        "/seances/COPIL-2026-11-24",
        "/seances/COPIL-2026-11-24/arbitrer/TABLETTE",
    ],
    "fin.garnier": ["/budget/projets/ACCESS"],
    "audit.crc": ["/audit?position=2"],
    "admin.sdsi": ["/admin/comptes/dsi.martin"],
}
MEASURE = """() => {
  const main = document.querySelector("main");
  return [document.documentElement.scrollWidth, main.scrollWidth, main.clientWidth];
}"""


def nav_links(page: Any) -> list[str]:
    nav = page.get_by_role("navigation", name="Navigation principale")
    return [str(a.get_attribute("href")) for a in nav.get_by_role("link").all()]


@pytest.mark.parametrize("username", list(PERSONAS))
def test_no_page_is_wider_than_the_window(
    browser: Any, server: Any, username: str
) -> None:
    with person(browser, server, username) as who:
        pages = nav_links(who.page) + PERSONAS[username]
        assert len(pages) >= 3
        too_wide = []
        for width in WIDTHS:
            who.page.set_viewport_size({"width": width, "height": 800})
            for path in pages:
                assert who.open(path) == 200, path
                document, main, inside = who.page.evaluate(MEASURE)
                if document > width or main > inside:
                    too_wide.append(f"{path} at {width} px: {document} / {main}")
        assert too_wide == []


def test_on_a_phone_the_navigation_folds_behind_a_menu_button(
    browser: Any, server: Any
) -> None:
    with person(browser, server, "fin.garnier") as fin:
        page = fin.page
        page.set_viewport_size({"width": 375, "height": 800})
        fin.open("/budget")
        nav = page.get_by_role("navigation", name="Navigation principale")
        menu = page.get_by_role("button", name="Menu")
        expect(nav).to_be_hidden()
        expect(menu).to_have_attribute("aria-expanded", "false")
        menu.click()
        expect(menu).to_have_attribute("aria-expanded", "true")
        expect(nav.get_by_role("link", name="Budget", exact=True)).to_be_visible()
        nav.get_by_role("link", name="Arbitrages", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Historique des arbitrages"
        )
        # on a desktop there is no button: the navigation is always there
        page.set_viewport_size({"width": 1280, "height": 800})
        expect(page.get_by_role("button", name="Menu")).to_be_hidden()
        expect(nav.get_by_role("link", name="Budget", exact=True)).to_be_visible()


def test_a_wide_table_scrolls_in_its_own_box_reachable_with_the_keyboard(
    browser: Any, server: Any
) -> None:
    with person(browser, server, "fin.garnier") as fin:
        page = fin.page
        page.set_viewport_size({"width": 375, "height": 800})
        fin.open("/budget")
        box = page.get_by_role(
            "region",
            name="Budget primitif (BP), décisions modificatives (DM), total voté, "
            "alloué aux projets (CP) et disponible",
        )
        expect(box).to_have_attribute("tabindex", "0")
        box.focus()
        assert page.evaluate(
            "() => document.activeElement.scrollWidth > document.activeElement.clientWidth"
        )
        page.keyboard.press("ArrowRight")
        # the box scrolls (smoothly: wait for it to have moved)
        page.wait_for_function("() => document.activeElement.scrollLeft > 0")
        # the page itself did not move sideways
        assert page.evaluate("() => window.scrollX") == 0
        # the budget's in-page links sit on a row, none over another
        links = page.get_by_role("navigation", name="Sections de la page").get_by_role(
            "link"
        )
        boxes = [links.nth(i).bounding_box() for i in range(links.count())]
        for a, b in itertools.pairwise(boxes):
            assert a is not None and b is not None
            apart = b["x"] >= a["x"] + a["width"] or b["y"] >= a["y"] + a["height"]
            assert apart, (a, b)


PUBLIC_TITLE = "Réservation en ligne des salles municipales"


def test_a_citizen_reads_the_plan_a_project_and_the_decisions_with_the_keyboard(
    browser: Any, server: Any
) -> None:
    """The citizens' pages (/public), without signing in: axe-core finds no serious
    or critical violation; the keyboard alone goes from the plan to a decided
    project, the decisions, the verification page and a past day (RGAA 7.3, 12.8)."""
    with person(browser, server, None) as citizen:
        for width in WIDTHS:  # no page of theirs is wider than the window either
            citizen.page.set_viewport_size({"width": width, "height": 800})
            for path in ("/public", "/public/decisions", "/public/projets/SALLES"):
                assert citizen.open(path) == 200
                document, main, inside = citizen.page.evaluate(MEASURE)
                assert document <= width and main <= inside, (path, width)
        citizen.page.set_viewport_size({"width": 1280, "height": 800})
        keys = Keyboard(citizen.page)
        assert citizen.open("/public") == 200
        citizen.look()
        first = keys.tab_to()
        assert first["text"] == "Aller au contenu"
        keys.follow(PUBLIC_TITLE)
        expect(citizen.page.get_by_role("heading", level=1)).to_have_text(PUBLIC_TITLE)
        assert "Réalisée" in citizen.text()
        assert "3 pour, 0 contre, 3 abstention(s)" in citizen.text()
        citizen.look()
        keys.follow("Les décisions")
        expect(citizen.page.get_by_role("heading", level=1)).to_have_text(
            "Les décisions du comité de pilotage"
        )
        citizen.look()
        keys.follow("Vérifier")
        expect(citizen.page.get_by_role("heading", level=1)).to_have_text(
            "Vérifier le registre"
        )
        citizen.look()
        # a past day, typed in the date field and sent with Enter
        keys.date("#date", "2021-03-18")
        with citizen.page.expect_navigation():
            keys.press("Enter")
        assert "date=2021-03-18" in citizen.page.url
        keys.follow("Le plan et ses projets")
        assert "fin du 18 mars 2021" in citizen.page.locator(".asof").inner_text()
        citizen.look()
        # the agents' space asks for signing in
        keys.follow("Espace agents")
        assert "/connexion" in citizen.page.url
