"""A refused form in Chromium (issue 16, item 5): the focus moves to the summary of its
errors, so the page scrolls to it and a screen reader reads it; each link of the
summary takes the focus to its field.

On SQLite only: focus and scrolling are the browser's and the templates' (a refused
form writes nothing); the form's refusals are checked on both backends by
``tests/web/test_form_errors.py``."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.e2e.browsing import person

pytestmark = pytest.mark.parametrize("server", ["sqlite"], indirect=True)


def test_a_refused_form_focuses_its_error_summary(browser: Any, server: Any) -> None:
    with person(browser, server, "fin.garnier") as fin:
        assert fin.open("/budget/bp") == 200
        fin.page.locator("#f-amount").fill("douze")
        fin.click("Enregistrer le BP")
        heading = fin.page.locator(".error-summary h2")
        expect(heading).to_have_text("Le formulaire contient 5 erreurs")
        expect(heading).to_be_focused()
        links = fin.page.locator(".error-summary a")
        expect(links).to_have_count(5)
        expect(links.nth(0)).to_have_text("Exercice : Champ obligatoire.")
        links.nth(2).click()
        expect(fin.page.locator("#f-amount")).to_be_focused()
        expect(fin.page.locator("#f-amount")).to_have_attribute("aria-invalid", "true")
        fin.look("form-errors")
