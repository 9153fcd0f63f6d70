"""Why a scenario selects nothing: the reason of each candidate, in one sentence.

An empty selection is a valid optimum (selecting nothing breaks no rule), but it tells
the user nothing: :func:`why_nothing` says what stops every candidate — no candidate
at all, envelopes exhausted, teams full, dependencies that cannot be met, exclusions
or candidates ruled out by hand — from the problem alone, so it holds for a scenario
recorded before this explanation existed too.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from optimiser.model import Candidate, Problem
from optimiser.solve import euros

# a required proposal's status, as the reason names it
GONE = {
    "rejected": "rejetée",
    "withdrawn": "retirée",
    "cancelled": "annulée",
    "draft": "en brouillon",
    "submitted": "non qualifiée",
}


def why_nothing(problem: Problem, result: dict[str, Any]) -> str | None:
    """The reason a feasible ``result`` (a plain result, as recorded) selects no
    project; None when it selects one or more, or has no plan (its diagnosis says
    why)."""
    if result.get("selection") or result.get("status") not in ("optimal", "time_limit"):
        return None
    if not problem.candidates:
        return (
            "Aucun projet retenu : aucune fiche n'est candidate (aucune fiche "
            "qualifiée, inscrite à l'ordre du jour ou ajournée n'attend de décision)."
        )
    envelopes: dict[tuple[int, str], tuple[int, int]] = {}
    teams: dict[tuple[str, int], tuple[int, int]] = {}
    others: list[str] = []
    for c in problem.candidates:
        reason = _alone(problem, c, envelopes, teams)
        if reason:
            others.append(f"{c.code} {reason}")
    parts = []
    if envelopes:
        lines = [
            f"{section} {year} : {euros(max(0, available))} disponibles"
            + (f" (déjà dépassée de {euros(-available)})" if available < 0 else "")
            + f" pour {euros(asked)} demandés"
            for (year, section), (available, asked) in sorted(envelopes.items())
        ]
        exhausted = all(available <= 0 for available, _a in envelopes.values())
        parts.append(
            ("enveloppes épuisées" if exhausted else "enveloppes insuffisantes")
            + " ("
            + " ; ".join(lines)
            + ")"
        )
    if teams:
        lines = [
            f"{team} {year} : {free} jours libres pour {asked} demandés"
            for (team, year), (free, asked) in sorted(teams.items())
        ]
        parts.append("capacité des équipes insuffisante (" + " ; ".join(lines) + ")")
    if others:
        parts.append(" ; ".join(others))
    if not parts:  # each fits alone: the risk weight makes every one a loss
        return (
            "Aucun projet retenu : avec ce poids du risque, chaque candidat fait "
            "baisser l'objectif (son risque pondéré dépasse sa valeur)."
        )
    return "Aucun projet ne peut être retenu : " + " ; ".join(parts) + "."


def _alone(
    p: Problem,
    c: Candidate,
    envelopes: dict[tuple[int, str], tuple[int, int]],
    teams: dict[tuple[str, int], tuple[int, int]],
) -> str:
    """Why ``c`` cannot be selected even alone ('' if it can, or only money or
    days stop it: those are gathered in ``envelopes`` and ``teams``)."""
    out = {f.code: f.reason for f in p.forced_out}
    if c.code in out:
        return f"écarté à la main ({out[c.code]})"
    existing = {e.code for e in p.existing}
    candidates = {x.code for x in p.candidates}
    gone = {u.code: u.status for u in p.unavailable}
    missing = [r for r in c.requires if r not in existing and r not in candidates]
    if missing:
        named = ", ".join(
            f"{r} ({GONE.get(gone.get(r, ''), gone.get(r, 'inconnue'))})"
            for r in missing
        )
        return f"requiert {named}, qui ne sera pas réalisé"
    excluded = [x for x in c.excludes if x in existing]
    if excluded:
        return f"est exclusif de {', '.join(sorted(set(excluded)))}, déjà retenu"
    budget, capacity = p.budget_of(), p.capacity_of()
    short_money: dict[tuple[int, str], tuple[int, int]] = {}
    short_days: dict[tuple[str, int], tuple[int, int]] = {}
    for start in c.start_years:
        money: dict[tuple[int, str], int] = defaultdict(int)
        days: dict[tuple[str, int], int] = defaultdict(int)
        for line in c.costs_at(start):
            money[(line.year, line.section)] += line.cents
        for w in c.workloads_at(start):
            days[(w.team, w.year)] += w.days
        over_money = {
            k: (budget.get(k, 0), v) for k, v in money.items() if v > budget.get(k, 0)
        }
        over_days = {
            k: (capacity.get(k, 0), v)
            for k, v in days.items()
            if v > capacity.get(k, 0)
        }
        if not over_money and not over_days:
            return ""  # fits alone at this start: no reason of its own
        if start == c.start_years[0]:
            short_money, short_days = over_money, over_days
    for key, (available, asked) in short_money.items():
        before = envelopes.get(key, (available, 0))
        envelopes[key] = (available, max(before[1], asked))
    for key, (free, asked) in short_days.items():
        before = teams.get(key, (free, 0))
        teams[key] = (free, max(before[1], asked))
    return ""
