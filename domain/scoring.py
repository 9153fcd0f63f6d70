"""Consolidating scores: the one formula behind the decision evidence, the views and
the optimiser.

On one grid version and one revision of a proposal, each criterion gets the levels of
every evaluator who scored it: how many, their mean, lowest and highest. A family's
score (value or risk) on 0–100 is

    100 × Σ weight × (mean − lowest level of the scale) / (scale span) / Σ weight

over the criteria of that family, computed on exact fractions and rounded once to the
hundredth (half to even): :func:`score`, the one rounding rule of a value or a risk
wherever it is computed (the views, the decisions' evidence, the optimiser's robustness
analysis under other weights). It exists only when **every criterion of the family is
scored**: a value over part of the grid is no value (a proposal with one criterion of
eight scored on a new grid has no value on it, not 8.33).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

from domain.grids import Criterion
from domain.values import Family, ValueObject

HUNDREDTH = Decimal("0.01")


def rounded(value: Fraction, quantum: Decimal = HUNDREDTH) -> Decimal:
    """An exact fraction rounded once to ``quantum`` (half to even)."""
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        quantum, rounding=ROUND_HALF_EVEN
    )


def family_score(parts: Iterable[tuple[Fraction, Fraction | None]]) -> Fraction | None:
    """100 × the weighted mean of ``(weight, share of the scale)`` pairs; None when
    a share is missing (a criterion not scored) or there is no weight."""
    total_weight, total = Fraction(0), Fraction(0)
    for weight, share in parts:
        if share is None:
            return None
        total_weight += weight
        total += weight * share
    if not total_weight:
        return None
    return 100 * total / total_weight


def score(parts: Iterable[tuple[Fraction, Fraction | None]]) -> Decimal | None:
    """A family's score on 0–100 from ``(weight, share of the scale)`` pairs
    (:func:`family_score`), rounded once to the hundredth, half to even; None when a
    criterion of the family is not scored."""
    exact = family_score(parts)
    return None if exact is None else rounded(exact)


def share(mean: Fraction, low: int, high: int) -> Fraction:
    """Where a mean level lies on a scale, from 0 (lowest level) to 1 (highest)."""
    return (mean - low) / (high - low)


@dataclass(frozen=True)
class CriterionScore(ValueObject):
    """The levels given on one criterion: how many, their total (the exact mean is
    total / evaluators), their mean to the hundredth, lowest and highest."""

    criterion: str
    family: Family
    evaluators: int
    total: int
    mean: Decimal | None
    lowest: int | None
    highest: int | None

    @property
    def spread(self) -> int | None:
        if self.lowest is None or self.highest is None:
            return None
        return self.highest - self.lowest


@dataclass(frozen=True)
class Evidence(ValueObject):
    """What the scores say of one revision of a proposal on one grid version: what the
    COPIL sees on the agenda, and what its decision records."""

    grid_version: int | None
    revision: int
    evaluators: int
    criteria: tuple[CriterionScore, ...]
    value: Decimal | None
    risk: Decimal | None

    @property
    def complete(self) -> bool:
        """Every criterion of the grid version has at least one score."""
        return bool(self.criteria) and all(c.evaluators for c in self.criteria)


def consolidate(
    grid_version: int | None,
    revision: int,
    criteria: Iterable[Criterion],
    levels: Mapping[str, Sequence[int]],
    evaluators: int,
) -> Evidence:
    """The evidence of ``levels`` (criterion → the level of each evaluator who scored
    it) on the ``criteria`` of a grid version; ``evaluators`` is how many scored any."""
    rows: list[CriterionScore] = []
    parts: dict[Family, list[tuple[Fraction, Fraction | None]]] = {
        f: [] for f in Family
    }
    for crit in sorted(criteria, key=lambda c: c.code):
        given = list(levels.get(crit.code, ()))
        mean = Fraction(sum(given), len(given)) if given else None
        rows.append(
            CriterionScore(
                criterion=crit.code,
                family=crit.family,
                evaluators=len(given),
                total=sum(given),
                mean=rounded(mean) if mean is not None else None,
                lowest=min(given) if given else None,
                highest=max(given) if given else None,
            )
        )
        parts[crit.family].append(
            (
                Fraction(crit.weight),
                share(mean, crit.low, crit.high) if mean is not None else None,
            )
        )
    value, risk = (score(parts[f]) for f in (Family.VALUE, Family.RISK))
    return Evidence(
        grid_version=grid_version,
        revision=revision,
        evaluators=evaluators,
        criteria=tuple(rows),
        value=value,
        risk=risk,
    )
