"""Every date and year a command takes follows one rule set (``domain/dates.py``).

For each command with a date or year, hypothesis draws values around the boundaries
that matter — the day of recording (the ledger's clock), the ends of the plan's
horizon, the start a later date must not precede — and an oracle written here from
the rules says what must happen: refused with the named error on the named field and
nothing written, or accepted. Both backends.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.errors import (
    BudgetAlreadyVoted,
    ChairAbsent,
    DateInFuture,
    DateOutsideHorizon,
    DateOutsideYear,
    DatesOutOfOrder,
    DomainError,
    NoPlan,
    YearOutsideHorizon,
)
from ledger.app import Ledger
from tests.domain.builders import (
    ADMIN,
    CHAIR,
    DSI,
    FIN,
    FIRST_YEAR,
    INV,
    LAST_YEAR,
    NON_VOTING,
    OPE,
    VOTING,
    YEAR,
    Town,
    by,
    cp,
    refused,
)

TODAY = date(YEAR, 6, 15)
FIRST, LAST = date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)
DAY = timedelta(days=1)
# the days around every boundary: the day of recording, the horizon's ends
BOUNDARIES = sorted(
    {d + k * DAY for d in (TODAY, FIRST, LAST) for k in (-1, 0, 1)}
    | {date(YEAR, 2, 1), date(YEAR, 4, 2)}
)
YEARS = [FIRST_YEAR - 1, FIRST_YEAR, YEAR, LAST_YEAR, LAST_YEAR + 1]

Expected = tuple[type[DomainError], str] | None
Case = tuple[Callable[[], Any], Expected]
EXAMPLES = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.fixture
def dated(ledger: Ledger) -> Town:
    """The town, its clock fixed at noon UTC on ``TODAY``."""
    ledger.clock = lambda: datetime(YEAR, 6, 15, 12, tzinfo=UTC)  # type: ignore[method-assign]
    return Town(ledger)


def fact(day: date, field: str) -> Expected:
    return (DateInFuture, field) if day > TODAY else None


def planned(day: date, field: str) -> Expected:
    inside = FIRST_YEAR <= day.year <= LAST_YEAR
    return None if inside else (DateOutsideHorizon, field)


def in_horizon(y: int, field: str) -> Expected:
    return None if FIRST_YEAR <= y <= LAST_YEAR else (YearOutsideHorizon, field)


def order(day: date, earlier: date, field: str) -> Expected:
    return (DatesOutOfOrder, field) if day < earlier else None


def first_of(*rules: Expected) -> Expected:
    """The first rule broken, in the order the command checks them."""
    return next((r for r in rules if r is not None), None)


def check(ledger: Ledger, send: Callable[[], Any], expected: Expected) -> bool:
    """``send`` is refused as ``expected`` says (naming the field, nothing written)
    or accepted; True when accepted."""
    if expected is None:
        head = ledger.head()
        send()
        assert ledger.head() > head
        return True
    error, field = expected
    with refused(ledger, error) as err:
        send()
    assert err.value.field == field, (err.value.field, err.value.message)
    return False


days = st.sampled_from(BOUNDARIES)
years = st.sampled_from(YEARS)


@EXAMPLES
@given(start=days, end=days, began=days, done=days)
def test_project_dates_follow_the_rules(
    dated: Town, start: date, end: date, began: date, done: date
) -> None:
    """plan_project (planned, ordered), start_project and complete_project (facts,
    ordered), on a fresh approved project each time."""
    led = dated.ledger
    code = f"P{led.head()}"
    dated.approved_budget(code, ap="1000.00")
    planned_ok = check(
        led,
        lambda: led.plan_project(DSI, code, start, end),
        first_of(
            planned(start, "start"), planned(end, "end"), order(end, start, "end")
        ),
    )
    if not planned_ok:
        return
    if not check(led, lambda: led.start_project(DSI, code, began), fact(began, "on")):
        return
    check(
        led,
        lambda: led.complete_project(DSI, code, done),
        first_of(fact(done, "on"), order(done, began, "on")),
    )


@EXAMPLES
@given(planned_on=days, actual=st.one_of(st.none(), days), reached=days)
def test_milestone_dates_follow_the_rules(
    dated: Town, planned_on: date, actual: date | None, reached: date
) -> None:
    led = dated.ledger
    code = "P1"
    if not dated.envelopes:
        dated.in_progress(code)
    milestone = f"M{led.head()}"
    set_ok = check(
        led,
        lambda: led.set_milestone(DSI, code, milestone, "Jalon", planned_on, actual),
        first_of(
            planned(planned_on, "planned"), fact(actual, "actual") if actual else None
        ),
    )
    if set_ok:
        check(
            led,
            lambda: led.reach_milestone(DSI, code, milestone, reached),
            fact(reached, "on"),
        )


@EXAMPLES
@given(budget_year=years, on=days, dm_on=days, section=st.sampled_from([INV, OPE]))
def test_budget_votes_and_dms_follow_the_rules(
    dated: Town, budget_year: int, on: date, dm_on: date, section: str
) -> None:
    """vote_budget: a year of the horizon, voted (a fact); adjust_budget: a fact, not
    before the BP it changes."""
    led = dated.ledger
    already = (budget_year, section) in dated.envelopes
    expected = first_of(in_horizon(budget_year, "year"))
    if expected is None and already:
        expected = (BudgetAlreadyVoted, None)  # type: ignore[assignment]
    expected = expected or fact(on, "on")
    if expected and expected[0] is BudgetAlreadyVoted:
        with refused(led, BudgetAlreadyVoted):
            led.vote_budget(FIN, budget_year, section, "1000.00", "BP", on)
        return
    voted = check(
        led,
        lambda: led.vote_budget(FIN, budget_year, section, "1000.00", "BP", on),
        expected,
    )
    if not voted:
        return
    dated.envelopes.add((budget_year, section))
    check(
        led,
        lambda: led.adjust_budget(FIN, budget_year, section, "10.00", "DM", dm_on),
        first_of(fact(dm_on, "on"), order(dm_on, on, "on")),
    )


@EXAMPLES
@given(
    commitment_year=st.sampled_from([FIRST_YEAR - 1, YEAR, LAST_YEAR + 1]),
    on=days,
    paid_on=days,
)
def test_commitments_and_payments_follow_the_rules(
    dated: Town, commitment_year: int, on: date, paid_on: date
) -> None:
    """record_commitment: a year of the horizon, a fact dated in its year;
    record_payment: a fact, not before its commitment."""
    led = dated.ledger
    if not dated.envelopes:
        dated.approved_budget("P1")
    ref = f"EJ{led.head()}"
    committed = check(
        led,
        lambda: led.record_commitment(
            FIN, "P1", ref, commitment_year, INV, "1.00", on, "Titulaire"
        ),
        first_of(
            in_horizon(commitment_year, "year"),
            fact(on, "on"),
            None if on.year == commitment_year else (DateOutsideYear, "on"),
        ),
    )
    if committed:
        check(
            led,
            lambda: led.record_payment(FIN, "P1", f"M{ref}", ref, "0.50", paid_on),
            first_of(fact(paid_on, "on"), order(paid_on, on, "on")),
        )


@EXAMPLES
@given(on=days, cp_year=years, capacity_year=years)
def test_sessions_grids_measures_ap_and_capacities_follow_the_rules(
    dated: Town, on: date, cp_year: int, capacity_year: int
) -> None:
    """convene_session (planned), adopt_grid and measure_indicator (facts), the CP
    years of an AP revision and a team's capacity year (the horizon)."""
    led = dated.ledger
    n = led.head()
    check(
        led,
        lambda: led.convene_session(CHAIR, f"S{n}", "COPIL", on, VOTING, NON_VOTING),
        planned(on, "on"),
    )
    grids = dated.__dict__.setdefault("grids", {"draft": None, "next": 1})
    if grids["draft"] is None:  # the last draft was adopted: draft the next version
        grids["draft"] = grids["next"]
        led.draft_grid(DSI, grids["next"], "Grille", criteria=[_criterion()])
        grids["next"] += 1
    draft = grids["draft"]
    if check(led, lambda: led.adopt_grid(CHAIR, draft, on), fact(on, "on")):
        grids["draft"] = None
    check(
        led,
        lambda: led.measure_indicator(DSI, "A1-I1", on, "40", "realised"),
        fact(on, "on"),
    )
    led.measure_indicator(DSI, "A1-I1", on, "50", "planned")  # a forecast: any day
    if not dated.envelopes:
        dated.approved_budget("P1")
    if FIRST_YEAR <= cp_year <= LAST_YEAR:
        dated.envelope(cp_year, INV)
    check(
        led,
        lambda: led.revise_ap(
            by("fin", "révision"),
            "P1",
            "100000.00",
            cp((cp_year, INV, "100000.00")),
            "DM 1",
        ),
        in_horizon(cp_year, "cp[0].year"),
    )
    check(
        led,
        lambda: led.set_team_capacity(ADMIN, "DSI-APPS", capacity_year, 200 + n),
        in_horizon(capacity_year, "year"),
    )


def _criterion() -> dict[str, Any]:
    return {
        "code": "V",
        "label": "Valeur",
        "family": "value",
        "weight": "100",
        "scale": [
            {"level": 1, "descriptor": "bas"},
            {"level": 2, "descriptor": "haut"},
        ],
    }


def test_budget_commands_without_a_plan_are_refused_naming_it(ledger: Ledger) -> None:
    ledger.add_user(ADMIN, "fin", "FIN", "town-password-1", roles=[("finance", None)])
    with refused(ledger, NoPlan) as err:
        ledger.vote_budget(FIN, YEAR, INV, "1000.00", "BP", f"{YEAR - 1}-12-15")
    assert err.value.field == "year"
    assert err.value.message.startswith("Aucun plan n'est défini")
    with refused(ledger, NoPlan) as err:
        ledger.adjust_budget(FIN, YEAR, INV, "10.00", "DM", f"{YEAR}-02-01")
    assert err.value.params == {"action": "ajuster un budget"}


def test_a_session_opens_only_with_its_chair_present(dated: Town) -> None:
    led = dated.ledger
    session = dated.convene()
    for present in ([], ["m1", "m2", "m3"]):
        with refused(led, ChairAbsent) as err:
            led.open_session(CHAIR, session, present)
        assert err.value.field == "present"
        assert err.value.params["chair"] == "chair"
    led.open_session(CHAIR, session, ["chair", "m1"])
    assert led.head() > 0
