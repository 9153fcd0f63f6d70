"""The minutes in the municipality's time: the session's real date, its opening and
closing times, late arrivals and early departures, the reason of an early opening,
decisions whose label agrees with « Décision », and the votes table's heading on
every page. Rendered on both backends and read back with pdftotext (poppler).

Two sessions straddle the DST changes of 2026 in Europe/Paris (the default
``SDSI_TIMEZONE``): one on the night of 29 March (01:30 winter time → 03:30 summer
time), one opened early on 24 October and closed on 26 October (10:00 summer time →
11:00 winter time).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from exports.base import ExportRequest, ExportSource
from exports.registry import exporter
from ledger.app import Ledger
from ledger.config import Settings
from ledger.keys import ensure_signing_key
from projections.service import ReadModel, init_views
from tests.domain.builders import CHAIR, INV, NON_VOTING, VOTING, YEAR, Town, by

PRESENT = [*VOTING, *NON_VOTING]
REASON = "Conseil municipal le lundi 26."
VOTE_ROW = re.compile(r"M1 (pour|contre) \d+")  # a row of the votes table
FLIPS = 24  # m1 changes their vote this many times: the votes table runs on


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@dataclass
class Minutes:
    pages: list[list[str]]  # each page's lines, spaces collapsed

    @property
    def lines(self) -> list[str]:
        return [line for page in self.pages for line in page]


def pdftotext(content: bytes, tmp: Path) -> Minutes:
    """The PDF's text as pdftotext lays it out, one list of lines per page (runs of
    spaces, no-break ones too, collapsed to one; empty lines dropped; a right-aligned
    ``4 / 4`` reads ``4/4``)."""
    source = tmp / "minutes.pdf"
    source.write_bytes(content)
    text = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(source), "-"],
        check=True,
        capture_output=True,
    ).stdout.decode("utf-8")
    pages = []
    for page in text.split("\f"):
        lines = [
            re.sub(r"[ \u00a0\u202f]+", " ", line).strip() for line in page.split("\n")
        ]
        pages.append([line for line in lines if line])
    return Minutes([p for p in pages if p])


@pytest.fixture
def town(ledger: Ledger, settings: Settings) -> Iterator[tuple[Town, Clock, ReadModel]]:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    clock = Clock(datetime(2026, 1, 5, 9, tzinfo=UTC))
    ledger.clock = clock  # type: ignore[method-assign]
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ensure_signing_key(settings)
    init_views(settings, ledger)
    town = Town(ledger)
    town.envelope(YEAR, INV, "900000000.00")
    rm = ReadModel(ledger, settings)
    try:
        yield town, clock, rm
    finally:
        rm.close()


def render(rm: ReadModel, code: str, tmp: Path) -> Minutes:
    rm.projector().catch_up()
    content = (
        exporter("minutes")
        .render(ExportSource(rm), ExportRequest("pdf", session=code))
        .content
    )
    return pdftotext(content, tmp)


def test_minutes_across_the_spring_change_show_local_times_and_every_move(
    town: tuple[Town, Clock, ReadModel], tmp_path: Path
) -> None:
    t, clock, rm = town
    led = t.ledger
    t.qualified("P1")
    led.convene_session(
        CHAIR, "S-MARS", "COPIL de printemps", "2026-03-29", VOTING, NON_VOTING
    )
    led.add_agenda_item(CHAIR, "S-MARS", "P1")
    clock.at = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 in Paris (UTC+1)
    led.open_session(CHAIR, "S-MARS", [m for m in PRESENT if m != "m3"])
    clock.at = datetime(2026, 3, 29, 0, 45, tzinfo=UTC)  # 01:45
    led.set_attendance(CHAIR, "S-MARS", "m3", True)
    for n in range(FLIPS):
        led.cast_vote(by("m1"), "S-MARS", "P1", "for" if n % 2 else "against")
    led.cast_vote(by("chair"), "S-MARS", "P1", "for")
    clock.at = datetime(2026, 3, 29, 1, 10, tzinfo=UTC)  # 03:10 in Paris (UTC+2)
    led.set_attendance(CHAIR, "S-MARS", "m2", False)
    led.record_decision(
        CHAIR,
        "S-MARS",
        "P1",
        "approved",
        "Projet prioritaire",
        ap_amount="1000.00",
        cp=[{"year": YEAR, "section": INV, "amount": "1000.00"}],
    )
    clock.at = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30
    led.close_session(CHAIR, "S-MARS")

    minutes = render(rm, "S-MARS", tmp_path)
    lines = minutes.lines
    assert "COPIL de printemps — séance du 29 mars 2026" in lines
    for line in (
        "Date prévue 29 mars 2026",
        "Ouverture 29 mars 2026 à 01 h 30",
        "Clôture 29 mars 2026 à 03 h 30",
        "Fuseau horaire heure locale (Europe/Paris)",
        "Statut séance close",
        "Arrivées tardives et départs anticipés en cours de séance :",
        "Heure Membre Mouvement Votants présents",
        "01 h 45 M3 arrivée tardive 4/4",
        "03 h 10 M2 départ anticipé 3/4",
        "1 P1 Portail citoyen FIN approuvée",
        "Décision approuvée",
        "M1 pour 71",  # m1's vote in force, then the chair's
        "CHAIR pour 72",
        "Votes en vigueur : pour 2, contre 0, abstention 0.",
        "Fait le 29 mars 2026, pour la collectivité : Ville de test.",
    ):
        assert line in lines, (line, lines)
    presences = [line for line in lines if line.startswith(("M2 ", "M3 "))][:2]
    assert presences == [
        "M2 membre votant départ anticipé",
        "M3 membre votant arrivée tardive",
    ]
    assert not [line for line in lines if "Ouverture anticipée" in line]
    # the votes table runs over pages: its heading opens each of them
    vote_pages = [
        n
        for n, page in enumerate(minutes.pages)
        if any(
            VOTE_ROW.match(line)
            and line.endswith("vote remplacé par un vote ultérieur")
            for line in page
        )
    ]
    assert len(vote_pages) >= 2, minutes.pages
    for n in vote_pages:
        rows = minutes.pages[n]
        first_vote = next(i for i, line in enumerate(rows) if VOTE_ROW.match(line))
        assert rows[first_vote - 1] == "Membre Vote Position Remarque", rows


def test_minutes_of_an_early_session_closed_after_the_autumn_change(
    town: tuple[Town, Clock, ReadModel], tmp_path: Path
) -> None:
    t, clock, rm = town
    led = t.ledger
    t.qualified("P1")
    led.convene_session(
        CHAIR, "S-OCT", "COPIL d'automne", "2026-10-26", VOTING, NON_VOTING
    )
    led.add_agenda_item(CHAIR, "S-OCT", "P1")
    clock.at = datetime(2026, 10, 24, 8, tzinfo=UTC)  # Saturday 10:00 in Paris (UTC+2)
    led.open_session(CHAIR, "S-OCT", [m for m in PRESENT if m != "m3"], REASON)
    clock.at = datetime(2026, 10, 26, 9, 30, tzinfo=UTC)  # Monday 10:30 (UTC+1)
    led.set_attendance(CHAIR, "S-OCT", "m3", True)
    led.record_decision(CHAIR, "S-OCT", "P1", "deferred", "À revoir avec la DSI")
    clock.at = datetime(2026, 10, 26, 10, tzinfo=UTC)  # 11:00
    led.close_session(CHAIR, "S-OCT")

    lines = render(rm, "S-OCT", tmp_path).lines
    assert "COPIL d'automne — séance du 24 octobre 2026" in lines
    for line in (
        "Date prévue 26 octobre 2026",
        "Ouverture 24 octobre 2026 à 10 h 00",
        f"Ouverture anticipée avant la date prévue, motif : {REASON}",
        "Clôture 26 octobre 2026 à 11 h 00",
        "26 octobre 2026 à 10 h 30 M3 arrivée tardive 4/4",
        "1 P1 Portail citoyen FIN ajournée",
        "Décision ajournée",
        "Fait le 26 octobre 2026, pour la collectivité : Ville de test.",
    ):
        assert line in lines, (line, lines)


def test_the_certificate_and_the_plan_read_in_local_time(
    town: tuple[Town, Clock, ReadModel], tmp_path: Path
) -> None:
    """The certificate's times are local with their offset (it is evidence); the
    plan's situation is dated by the municipality's day: 23:30 UTC on 28 March 2026
    is already the 29th in Paris."""
    t, clock, rm = town
    clock.at = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)
    t.qualified("P-PLAN")  # the last event, stamped 00:30 on the 29th in Paris
    rm.projector().catch_up()
    source = ExportSource(rm)
    plan = pdftotext(
        exporter("plan").render(source, ExportRequest("pdf")).content, tmp_path
    )
    assert any(
        line.startswith("Situation au 29 mars 2026 (position") for line in plan.lines
    ), plan.lines
    certificate = pdftotext(
        exporter("certificate").render(source, ExportRequest("pdf")).content,
        tmp_path,
    )
    (verified,) = [
        line for line in certificate.lines if line.startswith("Date de la vérification")
    ]
    assert re.fullmatch(
        r"Date de la vérification \d{1,2}(er)? \w+ \d{4} à \d\d h \d\d "
        r"\(UTC\+0[12]:00\)",
        verified,
    ), verified
