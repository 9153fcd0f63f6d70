"""The optimiser on small instances with known optima, its checker and its diagnosis."""

from __future__ import annotations

import itertools
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimiser import (
    Budget,
    Candidate,
    CostLine,
    Existing,
    Forced,
    Problem,
    ProblemError,
    TeamCapacity,
    Unavailable,
    WorkLine,
    check,
    greedy,
    solve,
)
from optimiser.frontier import frontier, scales
from optimiser.model import selection_totals

INV, OPE = "investissement", "fonctionnement"


def cand(code: str, value: int | str, cost: int, year: int = 2025, **kw) -> Candidate:  # type: ignore[no-untyped-def]
    return Candidate(
        code=code,
        value=Decimal(value),
        start=year,
        costs=(CostLine(year, INV, cost),),
        **kw,
    )


def envelope(cents: int, year: int = 2025) -> Budget:
    return Budget(year, INV, cents)


# --- known optima ---------------------------------------------------------------------


def test_two_small_projects_beat_one_large_one_that_greedy_takes() -> None:
    p = Problem(
        candidates=(
            cand("BIG", 60, 10_000),
            cand("S1", 40, 5_000),
            cand("S2", 40, 5_000),
        ),
        budgets=(envelope(10_000),),
    )
    best, fill = solve(p), greedy(p)
    assert best.status == "optimal"
    assert best.selection == (("S1", 2025), ("S2", 2025))
    assert best.objective == Decimal(80)
    assert best.gap == Decimal(0)
    assert fill.selection == (("BIG", 2025),)
    assert fill.objective == Decimal(60)


def test_one_large_project_beats_several_small_ones() -> None:
    p = Problem(
        candidates=(
            cand("BIG", 90, 10_000),
            cand("S1", 30, 4_000),
            cand("S2", 30, 4_000),
            cand("S3", 25, 2_500),
        ),
        budgets=(envelope(10_000),),
    )
    best, fill = solve(p), greedy(p)
    assert best.selection == (("BIG", 2025),)
    assert best.objective == fill.objective == Decimal(90)


def test_greedy_is_optimal_when_the_ranking_fills_the_envelope() -> None:
    p = Problem(
        candidates=(cand("A", 50, 4_000), cand("B", 40, 4_000), cand("C", 30, 4_000)),
        budgets=(envelope(8_000),),
    )
    best, fill = solve(p), greedy(p)
    assert best.selection == fill.selection == (("A", 2025), ("B", 2025))
    assert best.objective == fill.objective == Decimal(90)


def test_greedy_misses_a_pair_whose_requirement_ranks_lower() -> None:
    p = Problem(
        candidates=(
            cand("APP", 80, 5_000, requires=("SOCLE",)),
            cand("SOCLE", 10, 5_000),
            cand("OTHER", 60, 6_000),
        ),
        budgets=(envelope(10_000),),
    )
    assert solve(p).selection == (("APP", 2025), ("SOCLE", 2025))
    assert greedy(p).selection == (("OTHER", 2025),)


def test_value_minus_weighted_risk_is_maximised() -> None:
    risky = replace(cand("RISKY", 60, 5_000), risk=Decimal(80))
    safe = replace(cand("SAFE", 50, 5_000), risk=Decimal(10))
    p = Problem(candidates=(risky, safe), budgets=(envelope(5_000),))
    assert solve(p).selection == (("RISKY", 2025),)
    weighted = replace(p, risk_weight=Decimal("0.5"))
    best = solve(weighted)
    assert best.selection == (("SAFE", 2025),)
    assert best.objective == Decimal("45.0")
    assert (best.value, best.risk) == (Decimal(50), Decimal(10))


# --- start years and dependencies -----------------------------------------------------


def test_a_start_window_shifts_the_cost_and_workload_profile() -> None:
    a = Candidate(
        "A",
        Decimal(50),
        start=2025,
        starts=(2025, 2026),
        costs=(CostLine(2025, INV, 8_000), CostLine(2026, OPE, 1_000)),
        workloads=(WorkLine("DSI", 2025, 30), WorkLine("DSI", 2026, 10)),
    )
    b = cand("B", 40, 6_000)
    p = Problem(
        candidates=(a, b),
        budgets=(
            envelope(10_000, 2025),
            envelope(10_000, 2026),
            Budget(2026, OPE, 0),
            Budget(2027, OPE, 1_000),
        ),
        capacities=(TeamCapacity("DSI", 2026, 30), TeamCapacity("DSI", 2027, 10)),
    )
    best = solve(p)
    assert best.selection == (("A", 2026), ("B", 2025))
    assert check(p, best.selection) == []
    assert check(p, [("A", 2025), ("B", 2025)]) != []


def test_the_earliest_start_is_kept_among_equal_plans() -> None:
    a = Candidate(
        "A",
        Decimal(50),
        start=2025,
        starts=(2025, 2026, 2027),
        costs=(CostLine(2025, INV, 1_000),),
    )
    p = Problem(
        candidates=(a,), budgets=tuple(envelope(5_000, y) for y in (2025, 2026, 2027))
    )
    assert solve(p).selection == (("A", 2025),)


def test_a_required_project_starts_no_later_than_the_one_requiring_it() -> None:
    socle = Candidate(
        "SOCLE", Decimal(10), start=2026, costs=(CostLine(2026, INV, 1_000),)
    )
    app = Candidate(
        "APP",
        Decimal(50),
        start=2025,
        starts=(2025, 2026),
        costs=(CostLine(2025, INV, 1_000),),
        requires=("SOCLE",),
    )
    p = Problem(
        candidates=(app, socle), budgets=(envelope(5_000, 2025), envelope(5_000, 2026))
    )
    assert solve(p).selection == (("APP", 2026), ("SOCLE", 2026))
    assert check(p, [("APP", 2025), ("SOCLE", 2026)])[0].kind == "requires"


def test_an_approved_project_satisfies_a_requirement_from_its_start_year() -> None:
    app = Candidate(
        "APP",
        Decimal(50),
        start=2025,
        starts=(2025, 2026),
        costs=(CostLine(2025, INV, 1_000),),
        requires=("SOCLE",),
    )
    p = Problem(
        candidates=(app,),
        budgets=(envelope(5_000, 2025), envelope(5_000, 2026)),
        existing=(Existing("SOCLE", 2026, "in_progress"),),
    )
    assert solve(p).selection == (("APP", 2026),)


def test_a_requirement_on_a_rejected_project_keeps_the_candidate_out() -> None:
    p = Problem(
        candidates=(cand("APP", 50, 1_000, requires=("GONE",)), cand("B", 5, 1_000)),
        budgets=(envelope(5_000),),
        unavailable=(Unavailable("GONE", "rejected"),),
    )
    assert solve(p).selection == (("B", 2025),)


def test_excluded_projects_are_never_both_selected() -> None:
    p = Problem(
        candidates=(
            cand("A", 50, 1_000, excludes=("B",)),
            cand("B", 40, 1_000),
            cand("C", 1, 1_000),
        ),
        budgets=(envelope(5_000),),
    )
    assert solve(p).selection == (("A", 2025), ("C", 2025))
    excluded_by_approved = Problem(
        candidates=(cand("A", 50, 1_000, excludes=("OLD",)),),
        budgets=(envelope(5_000),),
        existing=(Existing("OLD", 2024, "done"),),
    )
    assert solve(excluded_by_approved).selection == ()


def test_mandatory_and_forced_in_projects_are_in_and_forced_out_ones_out() -> None:
    p = Problem(
        candidates=(
            cand("LOI", 1, 4_000, mandatory=True),
            cand("CHOIX", 2, 3_000),
            cand("TOP", 90, 3_000),
            cand("MID", 50, 3_001),
        ),
        budgets=(envelope(10_000),),
        forced_in=(Forced("CHOIX", "engagement du maire"),),
        forced_out=(Forced("TOP", "repris par l'intercommunalité"),),
    )
    best = solve(p)
    assert best.selection == (("CHOIX", 2025), ("LOI", 2025))
    assert check(p, best.selection) == []
    assert greedy(p).selection == best.selection


def test_an_overdrawn_envelope_blocks_new_costs_but_not_the_plan() -> None:
    p = Problem(
        candidates=(cand("A", 50, 1_000), cand("B", 10, 1_000, year=2026)),
        budgets=(envelope(-3_181_400), envelope(5_000, 2026)),
    )
    assert solve(p).selection == (("B", 2026),)


def test_a_missing_envelope_or_capacity_holds_nothing() -> None:
    a = replace(cand("A", 50, 1_000, year=2030), workloads=(WorkLine("X", 2030, 1),))
    assert solve(Problem(candidates=(a,))).selection == ()
    p = Problem(candidates=(a,), budgets=(envelope(1_000, 2030),))
    assert solve(p).selection == ()
    assert solve(replace(p, capacities=(TeamCapacity("X", 2030, 1),))).selection == (
        ("A", 2030),
    )


# --- determinism and the canonical form -----------------------------------------------


def _sample() -> Problem:
    return Problem(
        candidates=(
            cand("C", "12.50", 3_000, requires=("A",)),
            Candidate(
                "A",
                Decimal("40"),
                start=2025,
                starts=(2026, 2025),
                costs=(CostLine(2026, OPE, 50), CostLine(2025, INV, 4_000)),
                workloads=(WorkLine("DSI", 2025, 10),),
            ),
            cand("B", "33.33", 5_000, excludes=("C",)),
        ),
        budgets=(
            envelope(9_000),
            envelope(9_000, 2026),
            Budget(2026, OPE, 100),
            Budget(2027, OPE, 100),
        ),
        capacities=(TeamCapacity("DSI", 2025, 10), TeamCapacity("DSI", 2026, 10)),
        forced_out=(Forced("B", "doublon"),),
        risk_weight=Decimal("0.25"),
    )


def test_the_same_inputs_give_the_same_result_and_hash() -> None:
    first, second = solve(_sample()), solve(_sample())
    assert first == second
    assert first.to_dict() == second.to_dict()
    assert _sample().input_hash() == _sample().input_hash()
    assert greedy(_sample()) == greedy(_sample())


def test_the_order_of_the_inputs_changes_neither_hash_nor_result() -> None:
    p = _sample()
    shuffled = replace(
        p, candidates=tuple(reversed(p.candidates)), budgets=tuple(reversed(p.budgets))
    )
    assert shuffled.input_hash() == p.input_hash()
    assert solve(shuffled) == solve(p)


def test_the_canonical_form_round_trips_to_the_same_hash() -> None:
    p = _sample()
    again = Problem.from_dict(p.to_dict())
    assert again.to_dict() == p.to_dict()
    assert again.input_hash() == p.input_hash()
    assert len(p.input_hash()) == 64


def test_contradictory_inputs_are_refused_by_name() -> None:
    p = _sample()
    with pytest.raises(ProblemError, match="à la fois retenu et écarté d'office"):
        replace(p, forced_in=(Forced("B", "x"),)).validate()
    with pytest.raises(ProblemError, match="n'est pas un projet candidat"):
        replace(p, forced_in=(Forced("NOPE", "x"),)).validate()
    with pytest.raises(ProblemError, match="Motif obligatoire"):
        replace(p, forced_in=(Forced("A", " "),)).validate()
    mandatory = replace(
        p, candidates=(replace(p.candidates[2], mandatory=True), *p.candidates[:2])
    )
    with pytest.raises(ProblemError, match="obligatoire : il ne peut être écarté"):
        mandatory.validate()


# --- infeasibility explained ----------------------------------------------------------


def test_mandatory_projects_over_the_envelope_are_named_with_the_overrun() -> None:
    p = Problem(
        candidates=(
            cand("X", 10, 700_000, mandatory=True),
            cand("Y", 10, 500_000, mandatory=True),
            cand("Z", 10, 100, mandatory=True),
            cand("W", 99, 100),
        ),
        budgets=(envelope(1_000_000), envelope(5_000, 2026)),
    )
    result = solve(p)
    assert result.status == "infeasible"
    assert result.selection == ()
    assert result.diagnosis is not None
    assert result.diagnosis.message == (
        "Les projets obligatoires X et Y dépassent l'enveloppe 2025 investissement "
        "de 2 000 €"
    )
    assert result.diagnosis.forced == ("X", "Y")
    assert result.diagnosis.binding[0]["excess_c"] == 200_000
    assert greedy(p).status == "infeasible"


def test_a_forced_project_over_a_team_capacity_is_named() -> None:
    a = replace(cand("A", 1, 10), workloads=(WorkLine("DSI-APPS", 2025, 50),))
    p = Problem(
        candidates=(a, cand("B", 5, 10)),
        budgets=(envelope(1_000),),
        capacities=(TeamCapacity("DSI-APPS", 2025, 40),),
        forced_in=(Forced("A", "décision du maire"),),
    )
    result = solve(p)
    assert result.diagnosis is not None
    assert result.diagnosis.message == (
        "Le projet A, retenu d'office, dépasse la capacité de l'équipe DSI-APPS en "
        "2025 de 10 jours"
    )


def test_a_mandatory_project_requiring_a_rejected_one_is_explained() -> None:
    p = Problem(
        candidates=(cand("ADS", 1, 10, mandatory=True, requires=("SIG",)),),
        budgets=(envelope(1_000),),
        unavailable=(Unavailable("SIG", "rejected"),),
    )
    diagnosis = solve(p).diagnosis
    assert diagnosis is not None
    assert diagnosis.message == (
        "Le projet obligatoire ADS ne peut être retenu : ADS requiert SIG, "
        "qui n'est pas sélectionnable (statut rejected)"
    )


def test_a_required_project_forced_out_and_exclusions_are_explained() -> None:
    p = Problem(
        candidates=(
            cand("ADS", 1, 10, mandatory=True, requires=("SIG",)),
            cand("SIG", 1, 10),
        ),
        budgets=(envelope(1_000),),
        forced_out=(Forced("SIG", "trop cher"),),
    )
    diagnosis = solve(p).diagnosis
    assert diagnosis is not None
    assert diagnosis.message == (
        "Le projet obligatoire ADS ne peut respecter ensemble : ADS requiert SIG, "
        "qui doit démarrer avant lui ; SIG est écarté d'office (trop cher)"
    )
    both = Problem(
        candidates=(
            cand("A", 1, 10, mandatory=True, excludes=("B",)),
            cand("B", 1, 10, mandatory=True),
        ),
        budgets=(envelope(1_000),),
    )
    diagnosis = solve(both).diagnosis
    assert diagnosis is not None
    assert diagnosis.message == (
        "Les projets obligatoires A et B ne peuvent être retenus : "
        "A et B s'excluent mutuellement"
    )


def test_a_forced_pair_over_two_envelopes_names_both() -> None:
    a = Candidate(
        "A",
        Decimal(1),
        start=2025,
        starts=(2025, 2026),
        costs=(CostLine(2025, INV, 3_000),),
    )
    p = Problem(
        candidates=(a,),
        budgets=(envelope(2_000, 2025), envelope(2_500, 2026)),
        forced_in=(Forced("A", "priorité"),),
    )
    diagnosis = solve(p).diagnosis
    assert diagnosis is not None
    assert diagnosis.message == (
        "Le projet A, retenu d'office, ne peut respecter ensemble : "
        "l'enveloppe 2025 investissement (dépassement minimal 10 €) ; "
        "l'enveloppe 2026 investissement (dépassement minimal 5 €)"
    )


# --- frontier -------------------------------------------------------------------------


def test_the_frontier_never_loses_value_as_envelopes_grow() -> None:
    p = Problem(
        candidates=(cand("A", 50, 4_000), cand("B", 40, 3_000), cand("C", 30, 3_000)),
        budgets=(Budget(2025, INV, 4_000, 10_000),),
    )
    points = frontier(p, scales(Decimal("0.6"), Decimal("1.2"), 4))
    assert [pt["scale"] for pt in points] == ["0.6000", "0.8000", "1.0000", "1.2000"]
    assert [pt["available_c"] for pt in points] == [0, 2_000, 4_000, 6_000]
    assert [pt["objective"] for pt in points] == ["0", "0", "50", "70"]
    assert [pt["greedy_objective"] for pt in points] == ["0", "0", "50", "50"]


# --- every result honours every constraint (generated instances) ----------------------

YEARS = (2025, 2026, 2027)
TEAMS = ("T1", "T2")


@st.composite
def problems(draw: st.DrawFn) -> Problem:
    n = draw(st.integers(1, 6))
    codes = [f"P{i}" for i in range(n)]
    candidates = []
    for code in codes:
        start = draw(st.sampled_from(YEARS[:2]))
        window = draw(st.integers(0, 1))
        costs = tuple(
            CostLine(
                start + k,
                draw(st.sampled_from((INV, OPE))),
                draw(st.integers(0, 50)) * 100,
            )
            for k in range(draw(st.integers(1, 2)))
        )
        work = tuple(
            WorkLine(t, start, draw(st.integers(1, 20)))
            for t in TEAMS
            if draw(st.booleans())
        )
        others = [c for c in codes if c != code]
        requires = (
            tuple(draw(st.lists(st.sampled_from(others), max_size=1))) if others else ()
        )
        excludes = (
            tuple(draw(st.lists(st.sampled_from(others), max_size=1))) if others else ()
        )
        candidates.append(
            Candidate(
                code,
                Decimal(draw(st.integers(-5, 100))),
                Decimal(draw(st.integers(0, 100))),
                start=start,
                starts=tuple(range(start, start + window + 1)),
                costs=costs,
                workloads=work,
                requires=requires,
                excludes=tuple(e for e in excludes if e not in requires),
                mandatory=draw(st.integers(0, 9)) == 0,
            )
        )
    budgets = tuple(
        Budget(y, s, draw(st.integers(0, 80)) * 100)
        for y in (*YEARS, 2028)
        for s in (INV, OPE)
    )
    capacities = tuple(
        TeamCapacity(t, y, draw(st.integers(0, 40)))
        for t in TEAMS
        for y in (*YEARS, 2028)
    )
    mandatory = {c.code for c in candidates if c.mandatory}
    free = [c for c in codes if c not in mandatory]
    forced_in = (
        draw(st.lists(st.sampled_from(free), max_size=1, unique=True)) if free else []
    )
    rest = [c for c in free if c not in forced_in]
    forced_out = (
        draw(st.lists(st.sampled_from(rest), max_size=1, unique=True)) if rest else []
    )
    return Problem(
        candidates=tuple(candidates),
        budgets=budgets,
        capacities=capacities,
        forced_in=tuple(Forced(c, "test") for c in forced_in),
        forced_out=tuple(Forced(c, "test") for c in forced_out),
        risk_weight=Decimal(draw(st.sampled_from(("0", "0.5")))),
    )


def brute_force(p: Problem) -> Decimal | None:
    """The best objective by enumerating every plan (tiny instances only)."""
    options = [[None, *c.start_years] for c in p.candidates]
    best = None
    for combo in itertools.product(*options):
        plan = [
            (c.code, s)
            for c, s in zip(p.candidates, combo, strict=True)
            if s is not None
        ]
        if not check(p, plan):
            objective = selection_totals(p, plan)[0]
            best = objective if best is None or objective > best else best
    return best


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_every_result_honours_every_constraint_and_the_optimum_is_exact(
    p: Problem,
) -> None:
    best, fill = solve(p), greedy(p)
    truth = brute_force(p)
    if truth is None:
        assert best.status == "infeasible"
        assert best.diagnosis is not None and best.diagnosis.message
        assert fill.status == "infeasible"
        return
    assert best.status == "optimal"
    assert check(p, best.selection) == []
    assert best.objective == truth
    if fill.status == "feasible":
        assert check(p, fill.selection) == []
        assert fill.objective is not None and fill.objective <= truth
