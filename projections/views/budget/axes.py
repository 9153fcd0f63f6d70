"""The budget of the projects per strategic axis and year (the citizens' pages)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from projections.records import eur, fetch, select

if TYPE_CHECKING:
    from projections.store import ViewStore


@dataclass(frozen=True, slots=True)
class AxisYearRow:
    """The CP voted, committed and paid in one year on the projects of one axis
    (``project_lines`` of the ``proposals`` whose main axis it is)."""

    axis: str
    year: int
    cp_c: int
    committed_c: int
    paid_c: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "axis": self.axis,
            "year": self.year,
            "voted": eur(self.cp_c),
            "committed": eur(self.committed_c),
            "spent": eur(self.paid_c),
        }


def axis_year_rows(store: ViewStore) -> list[AxisYearRow]:
    """One row per axis and year that has CP, axis then year (no axis: ``-``)."""
    exprs = {
        "axis": "COALESCE(p.axis, '-')",
        "year": "l.year",
        "cp_c": "SUM(l.cp_c)",
        "committed_c": "SUM(l.committed_c)",
        "paid_c": "SUM(l.paid_c)",
    }
    return fetch(
        store,
        AxisYearRow,
        f"SELECT {select(AxisYearRow, **exprs)} FROM {{project_lines}} l "
        "JOIN {proposals} p ON p.code = l.proposal "
        "GROUP BY COALESCE(p.axis, '-'), l.year ORDER BY 1, 2",
    )
