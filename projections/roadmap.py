"""The multi-year roadmap (Gantt) of the adopted projects, as the plan PDF draws it
and the plan page shows it: each project from its planned start to its planned end
(failing those, the first and last years of its credits), with its planned
milestones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.arbitration import ACTIVE
from domain.proposals import Status
from projections import queries as q

ADOPTED = Status.names(ACTIVE)


@dataclass(frozen=True)
class Span:
    """One project's bar: ``proposal`` is its portfolio row, ``milestones`` its planned
    milestones as (date, label)."""

    proposal: dict[str, Any]
    start: date
    end: date
    milestones: list[tuple[date, str]]

    @property
    def code(self) -> str:
        return str(self.proposal["code"])


def spans(
    adopted: list[dict[str, Any]], details: dict[str, dict[str, Any]]
) -> list[Span]:
    """The bars of the ``adopted`` portfolio rows (with each one's ``details``, the
    proposal's document), by start date then code."""
    out = []
    for p in adopted:
        d = details.get(p["code"], {})
        start = d.get("planned_start") or (
            f"{p['first_year']}-01-01" if p["first_year"] else None
        )
        end = d.get("planned_end") or (
            f"{p['last_year']}-12-31" if p["last_year"] else None
        )
        if not start or not end:
            continue
        milestones = sorted(
            (date.fromisoformat(m["planned"]), str(m.get("label") or code))
            for code, m in (d.get("milestones") or {}).items()
            if m.get("planned")
        )
        out.append(
            Span(p, date.fromisoformat(start), date.fromisoformat(end), milestones)
        )
    return sorted(out, key=lambda s: (s.start, s.code))


def roadmap(store: Any) -> list[Span]:
    """The roadmap of the plan's adopted projects, read from the views."""
    adopted = [p for p in q.portfolio(store) if p["status"] in ADOPTED]
    details = {p["code"]: q.proposal(store, p["code"]) or {} for p in adopted}
    return spans(adopted, details)


def years(bars: list[Span], plan: dict[str, Any] | None) -> tuple[int, int]:
    """The first and last years the roadmap covers: its bars' and the plan's."""
    first = min(s.start.year for s in bars)
    last = max(s.end.year for s in bars)
    if plan and plan.get("first_year"):
        first = min(first, plan["first_year"])
        last = max(last, plan["last_year"])
    return first, last
