"""The list pages in Chromium (issue 16 item 8): the arbitration history is a page of
50 rows, not 13,000 px; a column heading sorts it from the keyboard and says so
(``aria-sort``); the search box finds a proposal's decisions without its accents; the
pager keeps the search and the sort; the portfolio downloads as listed."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.web.e2e.browsing import person


def test_the_arbitration_history_sorts_searches_and_pages_from_the_keyboard(
    browser: Any, server: Any
) -> None:
    with person(browser, server, "dgs.lefebvre") as chair:
        page = chair.page
        chair.open("/arbitrages")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Historique des arbitrages"
        )
        rows = chair.main.locator("table.decisions > tbody > tr[id^='d-']")
        expect(rows).to_have_count(50)
        height = page.evaluate("document.documentElement.scrollHeight")
        assert height < 6000, height  # 13,000 px before, every decision unfolded
        chair.look("arbitrages-table")

        heading = chair.main.locator("table.decisions th").filter(has_text="Fiche")
        heading.get_by_role("link").focus()
        page.keyboard.press("Enter")
        expect(heading).to_have_attribute("aria-sort", "ascending")
        assert "sort=proposal" in page.url
        codes = rows.locator("td:nth-child(4) a").all_inner_texts()
        assert codes == sorted(codes)

        search = page.get_by_label("Rechercher", exact=True)
        search.fill("ETAT CIVIL")
        search.press("Enter")
        expect(
            chair.main.locator("table.decisions th").filter(has_text="Fiche")
        ).to_have_attribute("aria-sort", "ascending")
        found = rows.locator("td:nth-child(4) a").all_inner_texts()
        assert found and set(found) == {"ETACIV"}, found
        assert re.search(r"[?&]q=ETAT\+CIVIL", page.url) and "sort=proposal" in page.url


def test_the_portfolio_downloads_what_it_lists(browser: Any, server: Any) -> None:
    with person(browser, server, "dsi.martin") as dsi:
        page = dsi.page
        dsi.open("/portefeuille?q=portail&sort=code")
        listed = (
            dsi.main.locator("table")
            .first.locator("tbody td:nth-child(2) > a")
            .all_inner_texts()
        )
        assert "PORTAIL" in listed
        with page.expect_download() as download:
            dsi.main.get_by_role("link", name="CSV", exact=True).click()
        content = Path(download.value.path()).read_text(encoding="utf-8")
        rows = list(csv.reader(io.StringIO(content.lstrip("\ufeff")), delimiter=";"))
        assert [r[1] for r in rows[1:]] == listed
