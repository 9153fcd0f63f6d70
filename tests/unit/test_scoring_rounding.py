"""One rounding of a value or a risk (``domain.scoring.score``): to the hundredth, half
to even, once, on exact shares; the views and the optimiser's robustness analysis give
the same figure."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from domain.grids import Criterion, ScaleLevel
from domain.scoring import consolidate, family_score, rounded, score
from domain.values import Family
from optimiser.robustness import Criterion as RobustCriterion
from optimiser.robustness import CriterionScore as RobustScore
from optimiser.robustness import Grid

D = Decimal


def test_a_score_is_rounded_once_to_the_hundredth_half_to_even() -> None:
    one = Fraction(1)
    assert score([(one, Fraction(66665, 100000))]) == D("66.66")  # 66.665: to even
    assert score([(one, Fraction(66675, 100000))]) == D("66.68")  # 66.675: to even
    assert score([(one, Fraction(2, 3))]) == D("66.67")
    assert score([(one, Fraction(0))]) == D("0.00")
    assert score([(one, Fraction(1))]) == D("100.00")
    # weights 30 and 70 on shares 1/3 and 1/2: 100 × (10 + 35) / 100 = 45
    assert score([(Fraction(30), Fraction(1, 3)), (Fraction(70), Fraction(1, 2))]) == (
        D("45.00")
    )


def test_no_score_without_every_criterion_or_without_weight() -> None:
    assert score([(Fraction(1), Fraction(1, 2)), (Fraction(1), None)]) is None
    assert score([]) is None
    assert score([(Fraction(0), Fraction(1, 2))]) is None


shares = st.fractions(min_value=0, max_value=1, max_denominator=60)
weights = st.integers(1, 10_000).map(lambda n: Fraction(n, 100))


@given(st.lists(st.tuples(weights, shares), min_size=1, max_size=8))
def test_a_score_is_the_exact_weighted_mean_rounded_once(
    parts: list[tuple[Fraction, Fraction]],
) -> None:
    exact = family_score(parts)
    got = score(parts)
    assert exact is not None and got is not None
    assert got == rounded(exact)
    assert D(0) <= got <= D(100)
    assert abs(Fraction(got) - exact) <= Fraction(1, 200)
    assert got == got.quantize(D("0.01"))


def _criterion(code: str, family: Family, weight: str) -> Criterion:
    return Criterion(
        code=code,
        label=code,
        family=family,
        weight=D(weight),
        scale=tuple(ScaleLevel(lv, f"n{lv}") for lv in range(1, 5)),
    )


def test_the_robustness_analysis_values_a_proposal_as_the_portfolio_does() -> None:
    """Levels 1, 2, 2 on a 1–4 scale: mean 5/3, share 2/9 — 22.222… → 22.22; risk
    level 3 → share 2/3 → 66.67. The optimiser, given the exact share, agrees to the
    hundredth (it used to round the share to a millionth, then the value)."""
    criteria = [
        _criterion("V1", Family.VALUE, "100"),
        _criterion("R1", Family.RISK, "100"),
    ]
    evidence = consolidate(1, 1, criteria, {"V1": [1, 2, 2], "R1": [3]}, 3)
    assert (evidence.value, evidence.risk) == (D("22.22"), D("66.67"))
    grid = Grid(
        1,
        (
            RobustCriterion("R1", "risk", D("100")),
            RobustCriterion("V1", "value", D("100")),
        ),
        (
            RobustScore("P", "V1", Fraction(2, 9), D(0), 3),
            RobustScore("P", "R1", Fraction(2, 3), D(0), 1),
        ),
    )
    assert grid.values(grid.weights) == {"P": (D("22.22"), D("66.67"))}


def test_the_robustness_analysis_gives_no_value_as_zero() -> None:
    grid = Grid(
        1,
        (
            RobustCriterion("V1", "value", D("50")),
            RobustCriterion("V2", "value", D("50")),
        ),
        (RobustScore("P", "V1", Fraction(1), D(0), 1),),
    )
    assert grid.values(grid.weights) == {"P": (D(0), D(0))}


@st.composite
def _graded(draw):  # type: ignore[no-untyped-def]
    """A grid (1–3 criteria per family, weights in hundredths, scales of 2–6 levels
    from 0–3) and each criterion's levels by 1–7 evaluators."""
    criteria, levels = [], {}
    for family in (Family.VALUE, Family.RISK):
        for k in range(draw(st.integers(1, 3))):
            low = draw(st.integers(1, 3))
            high = low + draw(st.integers(1, 5))
            weight = D(draw(st.integers(1, 10_000))) / 100
            code = f"{family.value[0].upper()}{k}"
            criteria.append(
                Criterion(
                    code=code,
                    label=code,
                    family=family,
                    weight=weight,
                    scale=tuple(
                        ScaleLevel(lv, f"n{lv}") for lv in range(low, high + 1)
                    ),
                )
            )
            levels[code] = draw(
                st.lists(st.integers(low, high), min_size=1, max_size=7)
            )
    return criteria, levels


@given(_graded())
def test_the_optimiser_values_any_graded_proposal_as_the_portfolio_does(
    graded,  # type: ignore[no-untyped-def]
) -> None:
    """Whatever the grid and the levels: the value and risk the portfolio view shows
    (``consolidate``, written by the view as ``n``/``sum`` per criterion) and the
    robustness analysis' values at the adopted weights, from those documents as
    ``optimiser.inputs`` reads them (the exact mean sum / n), are equal."""
    from projections.views.portfolio.handlers import evidence_doc

    criteria, levels = graded
    evidence = consolidate(1, 1, criteria, levels, 7)
    doc = evidence_doc(evidence)
    scale = {c.code: (c.low, c.high) for c in criteria}
    scores = tuple(
        RobustScore(
            "P",
            code,
            (Fraction(s["sum"], s["n"]) - scale[code][0])
            / (scale[code][1] - scale[code][0]),
            D(0),
            s["n"],
        )
        for code, s in sorted(doc["criteria"].items())
    )
    grid = Grid(
        1,
        tuple(RobustCriterion(c.code, c.family.value, c.weight) for c in criteria),
        scores,
    )
    assert grid.values(grid.weights) == {"P": (evidence.value, evidence.risk)}
