"""Hostile input a page must answer without a 500: numbers ``int()`` cannot read
(``"²"`` is a digit to ``isdigit()``; more than 4,300 digits; past SQLite's 64 bits),
and a typed text nested deeper than Python's stack shown on the audit page; and the
day a form offers, in the municipality's time zone. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ledger.core import Caller
from tests.web.ui_client import Site, text
from tests.web.world import login, open_world

HUGE = "9" * 5000  # int() refuses more than 4,300 digits
PAST_64_BITS = "99999999999999999999999"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    running = open_world(request, tmp_path_factory, request.param)
    yield running
    running.close()


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/audit?page=²", 200),
        ("/audit?per_page=²", 200),
        (f"/audit?page={HUGE}", 200),
        (f"/audit?per_page={HUGE}", 200),
        (f"/audit?position={PAST_64_BITS}", 200),
        (f"/audit?position={HUGE}", 200),
        ("/audit?as_of_position=²", 302),
        (f"/portefeuille?page={HUGE}", 200),
        (f"/portefeuille?per_page={HUGE}", 200),
        ("/portefeuille?year=²", 200),
        (f"/portefeuille?year={PAST_64_BITS}", 200),
        (f"/portefeuille?grid_version={PAST_64_BITS}", 200),
        (f"/portefeuille.csv?year={PAST_64_BITS}", 200),
        ("/portefeuille.xlsx?year=²", 200),
        (f"/arbitrages/{PAST_64_BITS}", 404),
        (f"/seances?page={HUGE}", 200),
        ("/grille?v=²", 200),
        (f"/grille?a={HUGE}&b=1", 200),
    ],
)
def test_unreadable_numbers_answer_a_page_not_a_500(
    site: Site, path: str, status: int
) -> None:
    user = login("auditor") if path.startswith("/audit") else login("dsi")
    assert site.client(user).get(path).status_code == status


def test_a_text_nested_past_the_stack_reads_as_text_on_the_audit_page(
    site: Site,
) -> None:
    nested = "[" * 700 + "]" * 700  # JSON to json.loads, too deep to show as lists
    dsi = Caller(actor=login("dsi"), reason="test")
    site.ledger.create_axis(dsi, "AX-DEEP", "Axe profond", nested)
    site.caught_up()
    auditor = site.client(login("auditor"))
    listing = auditor.get("/audit?q=AX-DEEP")
    assert listing.status_code == 200
    assert "Description : " + "[" * 8 in text(listing)
    focused = auditor.get(f"/audit?position={site.head()}")
    assert focused.status_code == 200
    assert "Description : " + "[" * 8 in text(focused)


def test_the_adoption_date_offered_is_the_municipalitys_day(site: Site) -> None:
    """The grid's adoption form offers today's date in SDSI_TIMEZONE, not the
    server's: a zone chosen so that, at this hour, its date differs from UTC's."""
    now = datetime.now(UTC)
    # UTC+14 is a day ahead from 10:00 UTC; UTC-12 a day behind until 12:00 UTC
    name = "Pacific/Kiritimati" if now.hour >= 10 else "Etc/GMT+12"
    dsi = Caller(actor=login("dsi"), reason="test")
    site.ledger.draft_grid(dsi, 1, "Grille de test")
    site.caught_up()
    site.app.config["SDSI_TIMEZONE"] = name
    try:
        body = site.client(login("chair")).get("/grille?v=1").get_data(as_text=True)
    finally:
        site.app.config["SDSI_TIMEZONE"] = "Europe/Paris"
    offered = re.search(r'<input id="ad-on"[^>]* value="([0-9-]+)"', body)
    assert offered is not None
    assert offered.group(1) == datetime.now(ZoneInfo(name)).date().isoformat()
    assert offered.group(1) != now.date().isoformat()


def test_a_head_request_of_a_pdf_records_no_issuance(site: Site) -> None:
    """Only a PDF handed out is recorded: a HEAD (link checkers, prefetching) gets
    the headers, its SHA-256 among them, and writes nothing; the GET then writes."""
    client = site.client(login("referent"))
    head = site.head()
    peek = client.head("/exports/plan.pdf")
    assert peek.status_code == 200
    assert peek.get_data() == b""
    assert len(peek.headers["X-SDSI-SHA256"]) == 64
    assert site.head() == head
    fetched = client.get("/exports/plan.pdf")
    assert fetched.status_code == 200
    assert site.head() == head + 1
