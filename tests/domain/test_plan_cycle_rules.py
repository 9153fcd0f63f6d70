"""The plan's cycle: extending the plan in force, and the next plan following it
with the projects it carries over (AP, remaining CP, workload)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.budget import Envelope, ProjectBudget
from domain.errors import (
    HorizonBelowCosted,
    InvalidValue,
    NoPlan,
    NotAllowed,
    ReasonRequired,
    YearOutsideHorizon,
)
from domain.plan import Plan
from ledger.app import Ledger
from tests.domain.builders import (
    DSI,
    FIN,
    INV,
    OPE,
    YEAR,
    Town,
    by,
    cp,
    events_since,
    names_since,
    refused,
)

NEXT = by("dsi", "SDSI 2026–2031 adopté par le conseil")


def plan(ledger: Ledger) -> Plan:
    found = ledger.load(Plan, Plan.id_for())
    assert found is not None
    return found


def budget(ledger: Ledger, code: str) -> dict[str, Decimal]:
    found = ledger.load(ProjectBudget, ProjectBudget.id_for(code))
    assert found is not None
    return found.cp


def allocation(ledger: Ledger, year: int, section: str, code: str) -> Decimal | None:
    env = ledger.load(Envelope, Envelope.id_for(year, section))
    assert env is not None
    return env.allocations.get(code)


# --- extending -------------------------------------------------------------------------


def test_extending_the_plan_lets_a_proposal_be_costed_in_the_new_year(
    ledger: Ledger, town: Town
) -> None:
    ledger.extend_plan(by("admin", "le SDSI court jusqu'en 2029"), 2029)
    town.draft(costs=[{"year": 2029, "section": INV, "amount": "5000.00"}])
    assert plan(ledger).last_year == 2029


def test_extending_needs_a_reason(ledger: Ledger, town: Town) -> None:
    with refused(ledger, ReasonRequired):
        ledger.extend_plan(DSI, 2029)


def test_extending_to_the_same_year_writes_nothing(ledger: Ledger, town: Town) -> None:
    head = ledger.head()
    ledger.extend_plan(by("dsi", "inchangé"), 2028)
    assert ledger.head() == head


def test_shortening_below_a_costed_year_is_refused(ledger: Ledger, town: Town) -> None:
    town.draft(costs=[{"year": 2027, "section": INV, "amount": "5000.00"}])
    with refused(ledger, HorizonBelowCosted) as err:
        ledger.extend_plan(by("dsi", "raccourcir"), 2026)
    assert (err.value.field, err.value.params) == (
        "last_year",
        {"year": 2026, "costed": 2027},
    )
    ledger.extend_plan(by("dsi", "raccourcir"), 2027)
    assert plan(ledger).last_year == 2027


def test_a_withdrawn_proposal_no_longer_holds_the_horizon(
    ledger: Ledger, town: Town
) -> None:
    ledger.extend_plan(by("dsi", "jusqu'en 2030"), 2030)
    town.draft("P2", costs=[{"year": 2030, "section": INV, "amount": "5000.00"}])
    with refused(ledger, HorizonBelowCosted) as err:
        ledger.extend_plan(by("dsi", "raccourcir"), 2028)
    assert err.value.params == {"year": 2028, "costed": 2030}
    ledger.withdraw_proposal(by("ref.fin", "abandonnée"), "P2")
    ledger.extend_plan(by("dsi", "raccourcir"), 2028)
    assert plan(ledger).last_year == 2028


def test_extending_without_a_plan_says_no_plan_is_defined(ledger: Ledger) -> None:
    admin = by("admin", "jusqu'en 2030")
    with refused(ledger, NoPlan) as err:
        ledger.extend_plan(admin, 2030)
    assert err.value.message == (
        "Aucun plan n'est défini : impossible de prolonger le plan avant de "
        "définir le plan et son horizon (Référentiel)."
    )
    with refused(ledger, NoPlan):
        ledger.follow_plan(admin, "SDSI 2", 2026, 2031)


# --- the next plan ---------------------------------------------------------------------


def test_next_plan_carries_an_in_progress_project_with_exactly_its_remaining_cp(
    ledger: Ledger, town: Town
) -> None:
    town.envelope(2027, INV)
    schedule = cp((YEAR, INV, "70000.00"), (2027, INV, "30000.00"))
    town.decided("P1", ap="100000.00", schedule=schedule)
    ledger.plan_project(DSI, "P1", f"{YEAR}-02-01", "2027-12-15")
    ledger.start_project(DSI, "P1", f"{YEAR}-02-03")
    town.commitment("P1", "EJ1", "60000.00")

    head = ledger.head()
    result = ledger.follow_plan(NEXT, "SDSI 2026–2031", 2026, 2031)

    assert result["projects"] == ["P1"]
    # 10 000 € of 2025 were not committed: they move to 2026; 2027 stays.
    assert budget(ledger, "P1") == {
        f"{YEAR}/{INV}": Decimal("60000.00"),
        f"2026/{INV}": Decimal("10000.00"),
        f"2027/{INV}": Decimal("30000.00"),
    }
    assert ledger.load(ProjectBudget, ProjectBudget.id_for("P1")).ap == Decimal(
        "100000.00"
    )
    assert allocation(ledger, YEAR, INV, "P1") == Decimal("60000.00")
    assert names_since(ledger, head) == [
        "Plan.Followed",
        "ProjectBudget.CarriedOver",
        "Envelope.Allocated",
    ]
    # The 2026 envelope, voted later, receives the carried CP.
    ledger.vote_budget(FIN, 2026, INV, "200000.00", "BP 2026", "2025-12-15")
    assert allocation(ledger, 2026, INV, "P1") == Decimal("10000.00")
    ledger.record_commitment(
        FIN, "P1", "EJ2", 2026, INV, "10000.00", "2026-03-02", "Titulaire"
    )


def test_next_plan_ends_the_current_one_as_it_stands(
    ledger: Ledger, town: Town
) -> None:
    town.adopt_grid()
    ledger.follow_plan(NEXT, "SDSI 2026–2031", 2026, 2031)
    current = plan(ledger)
    assert (current.number, current.name, current.first_year, current.last_year) == (
        2,
        "SDSI 2026–2031",
        2026,
        2031,
    )
    assert current.previous == [
        {"number": 1, "name": "SDSI de test", "first_year": 2024, "last_year": 2028}
    ]
    assert {p["status"] for p in current.phases.values()} == {"planned"}
    events = [e for e in events_since(ledger, 0) if isinstance(e, Plan.Followed)]
    assert [(e.axes, e.indicators, e.grid) for e in events] == [(["A1"], ["A1-I1"], 2)]


@pytest.mark.parametrize(
    ("status", "carried", "pending"),
    [
        ("approved", True, False),
        ("planned", True, False),
        ("in_progress", True, False),
        ("done", False, False),
        ("cancelled", False, False),
        ("rejected", False, False),
        ("withdrawn", False, False),
        ("draft", False, True),
        ("qualified", False, True),
        ("on_agenda", False, True),
        ("deferred", False, True),
    ],
)
def test_approved_and_running_projects_carry_over_and_open_proposals_continue(
    ledger: Ledger, town: Town, status: str, carried: bool, pending: bool
) -> None:
    town.at_status(status, "P1")
    result = ledger.follow_plan(NEXT, "SDSI 2026–2031", 2026, 2031)
    assert result["projects"] == (["P1"] if carried else [])
    assert result["pending"] == (["P1"] if pending else [])


def test_an_approved_project_without_anything_committed_moves_all_its_past_cp(
    ledger: Ledger, town: Town
) -> None:
    town.envelope(YEAR, OPE)
    town.decided(
        "P1",
        ap="90000.00",
        schedule=cp((YEAR, INV, "60000.00"), (YEAR, OPE, "30000.00")),
    )
    town.envelope(2026, INV, "10000.00")  # too small: the carry is flagged
    ledger.follow_plan(NEXT, "SDSI 2026–2031", 2026, 2031)
    assert budget(ledger, "P1") == {
        f"2026/{INV}": Decimal("60000.00"),
        f"2026/{OPE}": Decimal("30000.00"),
    }
    assert allocation(ledger, YEAR, INV, "P1") is None
    env = ledger.load(Envelope, Envelope.id_for(2026, INV))
    assert (env.allocations["P1"], env.overrides) == (Decimal("60000.00"), 1)


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [(2024, 2030, "first_year"), (2030, 2032, "first_year"), (2026, 2027, "last_year")],
)
def test_next_plan_starts_after_and_ends_no_earlier_than_the_current(
    ledger: Ledger, town: Town, first: int, last: int, field: str
) -> None:
    with refused(ledger, InvalidValue) as err:
        ledger.follow_plan(NEXT, "SDSI suivant", first, last)
    assert err.value.field == field


def test_next_plan_is_adopted_by_the_dsi_or_the_chair_with_a_reason(
    ledger: Ledger, town: Town
) -> None:
    with refused(ledger, NotAllowed):
        ledger.follow_plan(by("fin", "nouveau"), "SDSI suivant", 2029, 2034)
    with refused(ledger, ReasonRequired):
        ledger.follow_plan(DSI, "SDSI suivant", 2029, 2034)
    ledger.follow_plan(by("chair", "nouveau"), "SDSI suivant", 2029, 2034)
    assert plan(ledger).number == 2


def test_money_is_still_executed_on_the_years_of_the_plans_followed(
    ledger: Ledger, town: Town
) -> None:
    """Commitments, DMs and AP revisions stay open on the earlier plans' years;
    costing a proposal there does not."""
    this_year = date.today().year  # the day commands are recorded on (UTC)
    today = date.today().isoformat()
    town.envelope(this_year, INV)
    town.envelope(this_year + 1, INV)
    town.decided("P1", ap="100000.00", schedule=cp((this_year, INV, "100000.00")))
    ledger.follow_plan(NEXT, "SDSI suivant", this_year + 1, this_year + 6)
    ledger.record_commitment(
        FIN, "P1", "EJ1", this_year, INV, "10000.00", today, "Titulaire"
    )
    ledger.adjust_budget(FIN, this_year, INV, "1000.00", "DM 1", today)
    ledger.revise_ap(
        by("fin", "report des restes"),
        "P1",
        "100000.00",
        cp((this_year, INV, "10000.00"), (this_year + 1, INV, "90000.00")),
        "DM 2",
    )
    assert budget(ledger, "P1") == {
        f"{this_year}/{INV}": Decimal("10000.00"),
        f"{this_year + 1}/{INV}": Decimal("90000.00"),
    }
    with refused(ledger, YearOutsideHorizon) as err:
        ledger.record_commitment(
            FIN, "P1", "EJ2", 2023, INV, "1.00", today, "Titulaire"
        )
    assert err.value.params == {"year": 2023, "first": 2024, "last": this_year + 6}
    with refused(ledger, YearOutsideHorizon):
        town.draft("P2", costs=[{"year": this_year, "section": INV, "amount": "5.00"}])


def test_the_current_year_keeps_its_cp_when_the_next_plan_starts_after_it(
    ledger: Ledger, town: Town
) -> None:
    """Adopted before the current calendar year ends, the next plan leaves that
    year's CP where they are (still executed); earlier years' remaining CP move."""
    this_year = date.today().year
    town.envelope(this_year - 1, INV)
    town.envelope(this_year, INV)
    town.decided(
        "P1",
        ap="80000.00",
        schedule=cp((this_year - 1, INV, "30000.00"), (this_year, INV, "50000.00")),
    )
    ledger.record_commitment(
        FIN, "P1", "EJ1", this_year, INV, "20000.00", f"{this_year}-01-02", "Titulaire"
    )
    head = ledger.head()
    ledger.follow_plan(NEXT, "SDSI suivant", this_year + 1, this_year + 6)
    moved = [
        (e.first_year, [(m.year, m.section.value, m.amount) for m in e.moved])
        for e in events_since(ledger, head)
        if isinstance(e, ProjectBudget.CarriedOver)
    ]
    assert moved == [(this_year + 1, [(this_year - 1, INV, Decimal("30000.00"))])]
    assert budget(ledger, "P1") == {
        f"{this_year}/{INV}": Decimal("50000.00"),
        f"{this_year + 1}/{INV}": Decimal("30000.00"),
    }
    ledger.record_commitment(
        FIN, "P1", "EJ2", this_year, INV, "30000.00", f"{this_year}-01-03", "Titulaire"
    )
