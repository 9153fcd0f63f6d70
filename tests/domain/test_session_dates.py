"""A session is not opened before its day (in the municipality's time zone) unless
the chair records why: the reason is in the Opened event, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.errors import OpenedBeforeSessionDate
from domain.sessions import Session
from ledger.app import Ledger
from tests.domain.builders import CHAIR, NON_VOTING, VOTING, Town, events_since, refused

PRESENT = [*VOTING, *NON_VOTING]
REASON = "Séance avancée : le conseil municipal siège le 15 décembre."


class Clock:
    """The ledger's clock, set by the test (the time each command is stamped with)."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock(ledger: Ledger) -> Clock:
    found = Clock(datetime(2026, 1, 5, 9, tzinfo=UTC))
    ledger.clock = found  # type: ignore[method-assign]
    return found


@pytest.fixture
def town(ledger: Ledger, clock: Clock) -> Town:
    return Town(ledger)


def convene(ledger: Ledger, on: str, code: str = "S1") -> str:
    ledger.convene_session(CHAIR, code, f"COPIL {code}", on, VOTING, NON_VOTING)
    return code


def opened(ledger: Ledger, head: int) -> Session.Opened:
    (event,) = [e for e in events_since(ledger, head) if isinstance(e, Session.Opened)]
    return event


def test_opening_before_the_sessions_day_is_refused_without_a_reason(
    ledger: Ledger, town: Town, clock: Clock
) -> None:
    convene(ledger, "2026-12-15")
    clock.at = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)
    for reason in (None, "", "   "):
        with refused(ledger, OpenedBeforeSessionDate) as info:
            ledger.open_session(CHAIR, "S1", PRESENT, reason)
        assert info.value.field == "early_reason"
        assert str(info.value) == (
            "La séance S1 est datée du 15/12/2026 : l'ouvrir dès le 06/12/2026 "
            "demande un motif d'ouverture anticipée, enregistré avec l'ouverture."
        )


def test_an_early_opening_records_its_reason_in_the_event(
    ledger: Ledger, town: Town, clock: Clock
) -> None:
    convene(ledger, "2026-12-15")
    clock.at = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)
    head = ledger.head()
    result = ledger.open_session(CHAIR, "S1", PRESENT, f"  {REASON} ")
    assert result["early_reason"] == REASON
    assert opened(ledger, head).early_reason == REASON
    loaded = ledger.load(Session, Session.id_for("S1"))
    assert loaded is not None and loaded.early_reason == REASON
    # the session can then be closed the same day: the reason covers it
    ledger.close_session(CHAIR, "S1")


def test_on_or_after_its_day_no_reason_is_needed_nor_recorded(
    ledger: Ledger, town: Town, clock: Clock
) -> None:
    convene(ledger, "2026-12-15", "S1")
    convene(ledger, "2026-12-15", "S2")
    clock.at = datetime(2026, 12, 15, 8, tzinfo=UTC)
    head = ledger.head()
    ledger.open_session(CHAIR, "S1", PRESENT)
    assert opened(ledger, head).early_reason is None
    clock.at = datetime(2026, 12, 18, 8, tzinfo=UTC)
    head = ledger.head()
    ledger.open_session(CHAIR, "S2", PRESENT, REASON)  # not early: not recorded
    assert opened(ledger, head).early_reason is None


@pytest.mark.parametrize(
    "on, last_minute_before, midnight",
    [
        # winter time (UTC+1) the day before the clocks go forward on 29 March
        ("2026-03-29", datetime(2026, 3, 28, 22, 59, tzinfo=UTC), (2026, 3, 28, 23)),
        # summer time (UTC+2) the day before the clocks go back on 25 October
        ("2026-10-25", datetime(2026, 10, 24, 21, 59, tzinfo=UTC), (2026, 10, 24, 22)),
    ],
)
def test_the_sessions_day_begins_at_midnight_in_the_municipality(
    ledger: Ledger,
    town: Town,
    clock: Clock,
    on: str,
    last_minute_before: datetime,
    midnight: tuple[int, int, int, int],
) -> None:
    """Europe/Paris (the default SDSI_TIMEZONE): 23:59 local is still the day
    before, though already the session's day in no zone but UTC+1 or more."""
    convene(ledger, on)
    clock.at = last_minute_before
    with refused(ledger, OpenedBeforeSessionDate):
        ledger.open_session(CHAIR, "S1", PRESENT)
    clock.at = datetime(*midnight, tzinfo=UTC)  # 00:00 local on the session's day
    head = ledger.head()
    ledger.open_session(CHAIR, "S1", PRESENT)
    assert opened(ledger, head).early_reason is None
