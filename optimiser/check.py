"""An exact checker of a selection, independent of any solver (integers only)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from optimiser.model import Problem


@dataclass(frozen=True)
class Violation:
    """One constraint a selection breaks."""

    kind: str
    key: str
    message: str


def usage(
    problem: Problem, selection: Iterable[tuple[str, int]]
) -> tuple[dict[tuple[int, str], int], dict[tuple[str, int], int]]:
    """Cents per (year, section) and days per (team, year) the selection consumes."""
    money: dict[tuple[int, str], int] = {}
    days: dict[tuple[str, int], int] = {}
    for code, start in selection:
        c = problem.candidate(code)
        for line in c.costs_at(start):
            key = (line.year, line.section)
            money[key] = money.get(key, 0) + line.cents
        for w in c.workloads_at(start):
            k2 = (w.team, w.year)
            days[k2] = days.get(k2, 0) + w.days
    return money, days


def check(problem: Problem, selection: Iterable[tuple[str, int]]) -> list[Violation]:
    """Every constraint the selection breaks (empty when it is a valid plan)."""
    chosen = list(selection)
    out: list[Violation] = []
    starts: dict[str, int] = {}
    codes = {c.code for c in problem.candidates}
    for code, start in chosen:
        if code in starts:
            out.append(Violation("duplicate", code, f"{code} sélectionné deux fois"))
        starts[code] = start
        if code not in codes:
            out.append(Violation("unknown", code, f"{code} n'est pas candidat"))
    if any(v.kind == "unknown" for v in out):
        return out
    for code, start in starts.items():
        c = problem.candidate(code)
        if start not in c.start_years:
            out.append(Violation("start", code, f"{code} ne peut démarrer en {start}"))
    money, days = usage(problem, starts.items())
    budgets = problem.budget_of()
    for (year, section), used in sorted(money.items()):
        available = max(0, budgets.get((year, section), 0))
        if used > available:
            out.append(
                Violation(
                    "budget",
                    f"{year}/{section}",
                    f"enveloppe {year} {section} dépassée de {used - available} c",
                )
            )
    capacity = problem.capacity_of()
    for (team, year), used in sorted(days.items()):
        free = max(0, capacity.get((team, year), 0))
        if used > free:
            out.append(
                Violation(
                    "capacity",
                    f"{team}/{year}",
                    f"capacité {team} {year} dépassée de {used - free} j",
                )
            )
    existing = {e.code: e.start for e in problem.existing}
    for code, start in sorted(starts.items()):
        c = problem.candidate(code)
        for req in c.requires:
            at = starts.get(req, existing.get(req))
            if at is None:
                out.append(
                    Violation("requires", f"{code}>{req}", f"{code} requiert {req}")
                )
            elif at > start:
                out.append(
                    Violation(
                        "requires",
                        f"{code}>{req}",
                        f"{code} démarre en {start}, avant {req} ({at})",
                    )
                )
        for other in c.excludes:
            if other in starts or other in existing:
                out.append(
                    Violation("excludes", f"{code}|{other}", f"{code} exclut {other}")
                )
    for code, why in problem.must_select().items():
        if code not in starts:
            out.append(Violation("forced_in", code, f"{code} manque ({why})"))
    for f in problem.forced_out:
        if f.code in starts:
            out.append(Violation("forced_out", f.code, f"{f.code} écarté d'office"))
    return out


def usage_tables(
    problem: Problem, selection: Iterable[tuple[str, int]]
) -> dict[str, list[dict[str, Any]]]:
    """Budget per year and section and capacity per team and year, used vs available."""
    money, days = usage(problem, selection)
    budgets = problem.budget_of()
    capacity = problem.capacity_of()
    return {
        "budget": [
            {
                "year": year,
                "section": section,
                "available_c": budgets.get((year, section), 0),
                "used_c": money.get((year, section), 0),
            }
            for year, section in sorted(set(budgets) | set(money))
        ],
        "capacity": [
            {
                "team": team,
                "year": year,
                "available": capacity.get((team, year), 0),
                "used": days.get((team, year), 0),
            }
            for team, year in sorted(set(capacity) | set(days))
        ],
    }
