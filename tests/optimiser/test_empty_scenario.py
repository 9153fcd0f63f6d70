"""A scenario whose optimum selects nothing says why (envelopes exhausted, teams full,
dependencies, exclusions, no candidate), recorded with it and shown by the API and
the page (SQLite and PostgreSQL for the recorded ones)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from optimiser import Problem, api
from optimiser.explain import why_nothing
from optimiser.model import (
    Budget,
    Candidate,
    CostLine,
    Existing,
    Forced,
    TeamCapacity,
    Unavailable,
    WorkLine,
)
from optimiser.solve import solve
from tests.optimiser.test_scenarios import CHAIR, World, world  # noqa: F401

EMPTY = {"status": "optimal", "selection": []}


def test_envelopes_scaled_to_nothing_give_an_empty_optimum_and_its_reason(
    world: World,  # noqa: F811
) -> None:
    ledger, rm = world
    out = api.run_scenario(ledger, CHAIR, "S0", store=rm.store, budget_scale="0")
    reason = (
        "Aucun projet ne peut être retenu : enveloppes épuisées (investissement "
        "2025 : 0 € disponibles pour 60 000 € demandés)."
    )
    assert out["status"] == "optimal"
    assert out["selection"] == []
    assert out["empty_reason"] == reason
    rm.projector().catch_up()
    doc = api.get_scenario(rm.store, "S0")
    assert doc is not None
    assert doc["empty_reason"] == reason
    # a scenario that selects projects has no such reason
    api.run_scenario(ledger, CHAIR, "S1", store=rm.store)
    rm.projector().catch_up()
    assert api.get_scenario(rm.store, "S1")["empty_reason"] is None  # type: ignore[index]


def _candidate(code: str, **kw: Any) -> Candidate:
    return Candidate(
        code=code,
        value=Decimal(50),
        start=2025,
        costs=(CostLine(2025, "investissement", 1_000_000),),
        workloads=(WorkLine("DSI-APPS", 2025, 20),),
        **kw,
    )


def test_an_overdrawn_envelope_says_by_how_much() -> None:
    problem = Problem(
        candidates=(_candidate("A"),),
        budgets=(Budget(2025, "investissement", -250_000, 5_000_000),),
        capacities=(TeamCapacity("DSI-APPS", 2025, 100),),
    )
    assert why_nothing(problem, solve(problem).to_dict()) == (
        "Aucun projet ne peut être retenu : enveloppes épuisées (investissement "
        "2025 : 0 € disponibles (déjà dépassée de 2 500 €) pour 10 000 € demandés)."
    )


def test_no_candidate_is_said_so() -> None:
    assert why_nothing(Problem(candidates=()), EMPTY) == (
        "Aucun projet retenu : aucune fiche n'est candidate (aucune fiche qualifiée, "
        "inscrite à l'ordre du jour ou ajournée n'attend de décision)."
    )


def test_each_candidate_gives_its_reason_money_days_links_and_hand() -> None:
    problem = Problem(
        candidates=(
            _candidate("A"),
            _candidate("B", requires=("X",)),
            _candidate("C", excludes=("K",)),
            _candidate("D"),
        ),
        budgets=(Budget(2025, "investissement", 400_000, 5_000_000),),
        capacities=(TeamCapacity("DSI-APPS", 2025, 10),),
        existing=(Existing("K", 2024, "in_progress"),),
        unavailable=(Unavailable("X", "rejected"),),
        forced_out=(Forced("D", "reporté par l'exécutif"),),
    )
    result = solve(problem).to_dict()
    assert result["status"] == "optimal"
    assert result["selection"] == []
    assert why_nothing(problem, result) == (
        "Aucun projet ne peut être retenu : enveloppes insuffisantes (investissement "
        "2025 : 4 000 € disponibles pour 10 000 € demandés) ; capacité des équipes "
        "insuffisante (DSI-APPS 2025 : 10 jours libres pour 20 demandés) ; "
        "B requiert X (rejetée), qui ne sera pas réalisé ; C est exclusif de K, "
        "déjà retenu ; D écarté à la main (reporté par l'exécutif)."
    )


def test_a_selection_or_no_plan_has_no_reason() -> None:
    problem = Problem(candidates=(_candidate("A"),))
    assert (
        why_nothing(problem, {"status": "optimal", "selection": [{"code": "A"}]})
        is None
    )
    assert why_nothing(problem, {"status": "infeasible", "selection": []}) is None
