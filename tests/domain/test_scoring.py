"""The consolidation formula (``domain.scoring``), on generated grids and scores,
against an independent computation; and the optimiser's robustness analysis, at the
adopted weights, finds exactly the same values (the same formula and rounding)."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.grids import Criterion, ScaleLevel
from domain.scoring import consolidate, share
from domain.values import Family
from optimiser.robustness import Criterion as RobustCriterion
from optimiser.robustness import CriterionScore as RobustScore
from optimiser.robustness import Grid


@st.composite
def grids(draw: Any) -> list[Criterion]:
    """One to five criteria per family (value always), weights with two decimals,
    integer scales of two to five consecutive levels."""
    out = []
    for family, least in ((Family.VALUE, 1), (Family.RISK, 0)):
        for n in range(draw(st.integers(least, 4))):
            low = draw(st.integers(0, 2))
            high = low + draw(st.integers(1, 4))
            weight = Decimal(draw(st.integers(1, 10_000))) / 100
            out.append(
                Criterion(
                    code=f"{family.value[0].upper()}{n}",
                    label="critère",
                    family=family,
                    weight=weight,
                    scale=tuple(
                        ScaleLevel(lv, f"n{lv}") for lv in range(low, high + 1)
                    ),
                )
            )
    return out


@st.composite
def scored(draw: Any) -> tuple[list[Criterion], dict[str, list[int]]]:
    criteria = draw(grids())
    levels = {
        c.code: draw(st.lists(st.integers(c.low, c.high), max_size=4)) for c in criteria
    }
    return criteria, {k: v for k, v in levels.items() if v or draw(st.booleans())}


def oracle(criteria: list[Criterion], levels: dict[str, list[int]], family: Family):  # type: ignore[no-untyped-def]
    """100 × Σ w × (mean − low) / (high − low) / Σ w, when every criterion of the
    family has a level; rounded once, half to even, to the hundredth."""
    mine = [c for c in criteria if c.family is family]
    if not mine or any(not levels.get(c.code) for c in mine):
        return None
    num = sum(
        Fraction(c.weight)
        * (Fraction(sum(levels[c.code]), len(levels[c.code])) - c.low)
        / (c.high - c.low)
        for c in mine
    )
    exact = 100 * num / sum(Fraction(c.weight) for c in mine)
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_EVEN
    )


@settings(max_examples=300, deadline=None)
@given(scored())
def test_consolidation_matches_the_formula_and_needs_every_criterion(
    case: tuple[list[Criterion], dict[str, list[int]]],
) -> None:
    criteria, levels = case
    evidence = consolidate(3, 2, criteria, levels, evaluators=4)
    assert (evidence.grid_version, evidence.revision, evidence.evaluators) == (3, 2, 4)
    assert evidence.value == oracle(criteria, levels, Family.VALUE)
    assert evidence.risk == oracle(criteria, levels, Family.RISK)
    assert evidence.complete == all(levels.get(c.code) for c in criteria)
    assert [c.criterion for c in evidence.criteria] == sorted(c.code for c in criteria)
    for row in evidence.criteria:
        given_ = levels.get(row.criterion, [])
        assert (row.evaluators, row.total) == (len(given_), sum(given_))
        assert (row.lowest, row.highest) == (
            (min(given_), max(given_)) if given_ else (None, None)
        )
        if given_:
            assert abs(row.mean - Decimal(sum(given_)) / len(given_)) <= Decimal(
                "0.005"
            )
        else:
            assert row.mean is None and row.spread is None


@settings(max_examples=200, deadline=None)
@given(scored())
def test_robustness_at_the_adopted_weights_finds_the_evidence_value(
    case: tuple[list[Criterion], dict[str, list[int]]],
) -> None:
    criteria, levels = case
    evidence = consolidate(1, 1, criteria, levels, evaluators=1)
    grid = Grid(
        1,
        tuple(RobustCriterion(c.code, c.family.value, c.weight) for c in criteria),
        tuple(
            RobustScore(  # as optimiser.inputs reads them from the views
                "P1",
                c.code,
                share(
                    Fraction(sum(levels[c.code]), len(levels[c.code])),
                    c.low,
                    c.high,
                ),
                Decimal(0),
                len(levels[c.code]),
            )
            for c in criteria
            if levels.get(c.code)
        ),
    )
    values = grid.values(grid.weights)
    if not any(levels.get(c.code) for c in criteria):
        assert values == {}
        return
    value, risk = values["P1"]
    for got, expected in ((value, evidence.value), (risk, evidence.risk)):
        # no value: nothing the optimiser may rank on; else the evidence's value
        assert got == (Decimal(0) if expected is None else expected)
