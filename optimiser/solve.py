"""The exact optimiser: a 0-1 programme solved by HiGHS (``scipy.optimize.milp``).

One binary variable per candidate and allowed start year; every constraint belongs to a
named group (an envelope, a team-year, a dependency, a forced item) so that an
infeasible problem can be explained by the smallest set of groups that conflict. See
docs/optimiser.md for the model.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import scipy
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix

from optimiser.check import check, usage
from optimiser.model import Diagnosis, Problem, Result, selection_totals

GroupKey = tuple[Any, ...]
SOLVER = "highs"
GAP_QUANTUM = Decimal("0.000001")
# HiGHS runs with a fixed seed and no relative gap: it stops when optimality is proven
# (absolute gap 1e-6 on an objective of scores) or at the time limit.
HIGHS_OPTIONS = {"random_seed": 0, "mip_feasibility_tolerance": 1e-9}


def solver_version() -> str:
    """HiGHS version as bundled by SciPy."""
    try:
        from scipy.optimize._highspy import _core

        v = (
            f"{_core.HIGHS_VERSION_MAJOR}.{_core.HIGHS_VERSION_MINOR}."
            f"{_core.HIGHS_VERSION_PATCH}"
        )
    except (ImportError, AttributeError):  # pragma: no cover - other SciPy layouts
        v = "?"
    return f"HiGHS {v} (SciPy {scipy.__version__})"


@dataclass
class Row:
    """One linear constraint ``lo ≤ Σ coefs·y ≤ hi``."""

    coefs: dict[int, float]
    lo: float
    hi: float


@dataclass
class Raw:
    """What one HiGHS run returned, rounded to a selection."""

    status: str
    selection: tuple[tuple[str, int], ...]
    fun: float | None = None
    bound: float | None = None
    gap: float | None = None
    nodes: int = 0
    slack: float = 0.0


@dataclass
class Model:
    """The variables and the named constraint groups of a problem."""

    problem: Problem
    variables: list[tuple[str, int]] = field(default_factory=list)
    index: dict[tuple[str, int], int] = field(default_factory=dict)
    of_code: dict[str, list[int]] = field(default_factory=dict)
    groups: dict[GroupKey, list[Row]] = field(default_factory=dict)

    @classmethod
    def build(cls, problem: Problem) -> Model:
        """Variables and groups, in a stable order (sorted codes and years)."""
        p = problem.validate().normalised()
        m = cls(p)
        for c in p.candidates:
            for s in c.start_years:
                m.index[(c.code, s)] = len(m.variables)
                m.of_code.setdefault(c.code, []).append(len(m.variables))
                m.variables.append((c.code, s))
        m._resources()
        m._dependencies()
        for code in p.must_select():
            m.groups[("forced_in", code)] = [m._sum(code, 1, 1)]
        for f in p.forced_out:
            m.groups[("forced_out", f.code)] = [m._sum(f.code, 0, 0)]
        return m

    def _sum(self, code: str, lo: float, hi: float) -> Row:
        return Row({i: 1.0 for i in self.of_code[code]}, lo, hi)

    def _resources(self) -> None:
        money: dict[tuple[int, str], dict[int, float]] = {}
        days: dict[tuple[str, int], dict[int, float]] = {}
        for i, (code, start) in enumerate(self.variables):
            c = self.problem.candidate(code)
            for line in c.costs_at(start):
                row = money.setdefault((line.year, line.section), {})
                row[i] = row.get(i, 0.0) + line.cents
            for w in c.workloads_at(start):
                row = days.setdefault((w.team, w.year), {})
                row[i] = row.get(i, 0.0) + w.days
        budgets = self.problem.budget_of()
        for (year, section), coefs in sorted(money.items()):
            hi = max(0, budgets.get((year, section), 0))
            self.groups[("budget", year, section)] = [Row(coefs, -np.inf, hi)]
        capacity = self.problem.capacity_of()
        for (team, year), coefs in sorted(days.items()):
            hi = max(0, capacity.get((team, year), 0))
            self.groups[("capacity", team, year)] = [Row(coefs, -np.inf, hi)]

    def _dependencies(self) -> None:
        p = self.problem
        existing = {e.code: e.start for e in p.existing}
        for c in p.candidates:
            for req in c.requires:
                rows: list[Row] = []
                if req in self.of_code:
                    # started by s ⇒ the required project started by s (cumulative form)
                    for s in c.start_years:
                        coefs = {
                            self.index[(c.code, t)]: 1.0
                            for t in c.start_years
                            if t <= s
                        }
                        for t in p.candidate(req).start_years:
                            if t <= s:
                                coefs[self.index[(req, t)]] = -1.0
                        rows.append(Row(coefs, -np.inf, 0))
                elif req in existing:
                    rows = [
                        Row({self.index[(c.code, s)]: 1.0}, -np.inf, 0)
                        for s in c.start_years
                        if s < existing[req]
                    ]
                else:
                    rows = [self._sum(c.code, -np.inf, 0)]
                if rows:
                    self.groups[("requires", c.code, req)] = rows
            for other in c.excludes:
                if other in self.of_code:
                    key = ("excludes", *sorted((c.code, other)))
                    coefs = {i: 1.0 for i in self.of_code[c.code] + self.of_code[other]}
                    self.groups[key] = [Row(coefs, -np.inf, 1)]
                elif other in existing:
                    self.groups[("excludes", c.code, other)] = [
                        self._sum(c.code, -np.inf, 0)
                    ]

    # --- one HiGHS run ---------------------------------------------------------------

    def run(
        self,
        *,
        objective: str = "value",
        skip: Iterable[GroupKey] = (),
        forced: Iterable[str] | None = None,
        elastic: GroupKey | None = None,
        fixed: Iterable[str] | None = None,
        tighten: dict[GroupKey, float] | None = None,
        time_limit: float | None = None,
    ) -> Raw:
        """Solve with some groups skipped, some forced items only, one group elastic
        (minimise its overrun), or the selection fixed (choose start years only)."""
        skipped = set(skip)
        if forced is not None:
            keep = set(forced)
            skipped |= {
                k for k in self.groups if k[0] == "forced_in" and k[1] not in keep
            }
        tighten = tighten or {}
        n = len(self.variables)
        rows: list[Row] = []
        slack_of: list[int] = []
        for code in self.of_code:  # at most one start year per candidate
            rows.append(self._sum(code, -np.inf, 1))
        for key, group in self.groups.items():
            if key in skipped:
                continue
            for r in group:
                hi = float(r.hi) - tighten.get(key, 0.0)
                if key == elastic:
                    slack_of.append(len(rows))
                rows.append(Row(r.coefs, r.lo, hi))
        nvars = n + len(slack_of)
        lb = np.zeros(nvars)
        ub = np.ones(nvars)
        ub[n:] = np.inf
        integrality = np.ones(nvars)
        integrality[n:] = 0
        c = np.zeros(nvars)
        if objective == "value":
            for i, (code, _s) in enumerate(self.variables):
                c[i] = -float(self.problem.score(self.problem.candidate(code)))
        elif objective == "starts":
            for i, (code, s) in enumerate(self.variables):
                c[i] = float(self.problem.candidate(code).start_years.index(s))
        elif objective == "elastic":
            # the overrun first; a tiny cost per selection keeps unneeded projects out
            c[:n] = 1e-4
            c[n:] = 1.0
        if fixed is not None:
            chosen = set(fixed)
            for code, idx in self.of_code.items():
                if code in chosen:
                    rows.append(self._sum(code, 1, 1))
                else:
                    ub[idx] = 0.0
        data, ri, ci = [], [], []
        for r_i, r in enumerate(rows):
            for v_i, a in r.coefs.items():
                ri.append(r_i)
                ci.append(v_i)
                data.append(a)
        for k, r_i in enumerate(slack_of):
            ri.append(r_i)
            ci.append(n + k)
            data.append(-1.0)
        constraints = []
        if rows:
            matrix = csr_matrix((data, (ri, ci)), shape=(len(rows), nvars))
            constraints = [
                LinearConstraint(
                    matrix,
                    np.array([r.lo for r in rows]),
                    np.array([r.hi for r in rows]),
                )
            ]
        options: dict[str, Any] = {"disp": False, "presolve": True, "mip_rel_gap": 0.0}
        if time_limit is not None:
            options["time_limit"] = float(time_limit)
        options.update(HIGHS_OPTIONS)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # options passed verbatim
            res = milp(
                c,
                integrality=integrality,
                bounds=Bounds(lb, ub),
                constraints=constraints,
                options=options,
            )
        if res.x is None:
            status = "infeasible" if res.status == 2 else "no_solution"
            return Raw(status, ())
        x = res.x
        selection = tuple(self.variables[i] for i in range(n) if x[i] > 0.5)
        status = "optimal" if res.status == 0 else "time_limit"
        return Raw(
            status,
            selection,
            fun=float(res.fun),
            bound=None if res.mip_dual_bound is None else float(res.mip_dual_bound),
            gap=None if res.mip_gap is None else float(res.mip_gap),
            nodes=int(res.mip_node_count or 0),
            slack=float(sum(x[n:])) if slack_of else 0.0,
        )

    def feasible(
        self,
        *,
        skip: Iterable[GroupKey] = (),
        forced: Iterable[str] | None = None,
        time_limit: float | None = None,
    ) -> bool:
        """Whether some plan satisfies the kept groups (unknown counts as feasible)."""
        raw = self.run(
            objective="zero", skip=skip, forced=forced, time_limit=time_limit
        )
        return raw.status != "infeasible"


def solve(problem: Problem, *, time_limit: float | None = None) -> Result:
    """The best selection, proven optimal or with its remaining gap; else explained."""
    started = time.perf_counter()
    model = Model.build(problem)
    p = model.problem
    tighten: dict[GroupKey, float] = {}
    notes: list[str] = []
    for _attempt in range(6):
        raw = model.run(time_limit=_left(time_limit, started), tighten=tighten)
        if not raw.selection and raw.status != "optimal":
            break
        money, days = usage(p, raw.selection)
        over = _overruns(p, money, days)
        if not over:
            break
        # HiGHS works in floating point: an overrun of a few cents after rounding is
        # removed by tightening that row by the overrun and solving again.
        for key, excess in over.items():
            tighten[key] = tighten.get(key, 0.0) + excess
        notes.append(
            "contraintes resserrées après vérification exacte : "
            + ", ".join("/".join(str(k) for k in key[1:]) for key in sorted(over))
        )
    if raw.status == "infeasible" or (
        raw.status == "no_solution" and not raw.selection
    ):
        diagnosis = (
            diagnose(model, time_limit=time_limit)
            if raw.status == "infeasible"
            else None
        )
        return Result(
            status=raw.status,
            selection=(),
            objective=None,
            value=None,
            risk=None,
            solver=SOLVER,
            solver_version=solver_version(),
            diagnosis=diagnosis,
            notes=tuple(notes),
            seconds=time.perf_counter() - started,
        )
    selection = _canonical_starts(model, raw, tighten, time_limit, started)
    violations = check(p, selection)
    if violations:  # never returned as a plan: the exact check has the last word
        raise RuntimeError(
            "the solver returned a plan the exact check refuses: "
            + "; ".join(v.message for v in violations)
        )
    objective, value, risk = selection_totals(p, selection)
    gap = bound = None
    if raw.status == "optimal":
        gap = Decimal(0)
        bound = objective
    else:
        if raw.gap is not None and np.isfinite(raw.gap):
            gap = Decimal(repr(raw.gap)).quantize(GAP_QUANTUM)
        if raw.bound is not None and np.isfinite(raw.bound):
            bound = Decimal(repr(-raw.bound)).quantize(GAP_QUANTUM)
    return Result(
        status=raw.status,
        selection=selection,
        objective=objective,
        value=value,
        risk=risk,
        solver=SOLVER,
        solver_version=solver_version(),
        gap=gap,
        bound=bound,
        nodes=raw.nodes,
        notes=tuple(notes),
        seconds=time.perf_counter() - started,
    )


def _left(limit: float | None, started: float) -> float | None:
    if limit is None:
        return None
    return max(0.05, limit - (time.perf_counter() - started))


def _overruns(
    p: Problem, money: dict[tuple[int, str], int], days: dict[tuple[str, int], int]
) -> dict[GroupKey, float]:
    out: dict[GroupKey, float] = {}
    budgets = p.budget_of()
    for (year, section), used in money.items():
        excess = used - max(0, budgets.get((year, section), 0))
        if excess > 0:
            out[("budget", year, section)] = float(excess)
    capacity = p.capacity_of()
    for (team, year), used in days.items():
        excess = used - max(0, capacity.get((team, year), 0))
        if excess > 0:
            out[("capacity", team, year)] = float(excess)
    return out


def _canonical_starts(
    model: Model,
    raw: Raw,
    tighten: dict[GroupKey, float],
    time_limit: float | None,
    started: float,
) -> tuple[tuple[str, int], ...]:
    """Among the start years that keep the same selection feasible, the earliest
    (total delay minimised), so that equal selections always get the same plan."""
    selection = tuple(sorted(raw.selection))
    p = model.problem
    if all(len(p.candidate(code).start_years) == 1 for code, _s in selection):
        return selection
    codes = [code for code, _s in selection]
    again = model.run(
        objective="starts",
        fixed=codes,
        tighten=tighten,
        time_limit=_left(time_limit, started),
    )
    if again.selection and not check(p, again.selection):
        return tuple(sorted(again.selection))
    return selection


# --- infeasibility ------------------------------------------------------------------


def diagnose(model: Model, *, time_limit: float | None = None) -> Diagnosis:
    """The smallest set of forced items and constraint groups found to conflict.

    A deletion filter: drop each forced item, then each constraint group, whenever the
    rest is still infeasible; what remains is irreducible. Each envelope or team-year
    left is then made elastic to measure by how much it is overrun, at best.
    """
    p = model.problem
    per_check = None if time_limit is None else max(1.0, time_limit / 20)
    must = p.must_select()
    forced = list(must)
    for code in list(forced):
        trial = [f for f in forced if f != code]
        if not model.feasible(forced=trial, time_limit=per_check):
            forced = trial
    closure = _closure(p, forced)
    candidates_groups = [
        k for k in model.groups if k[0] != "forced_in" and _touches(model, k, closure)
    ]
    kept = list(candidates_groups)
    others = [k for k in model.groups if k[0] != "forced_in" and k not in kept]
    # whole families first (cheap), then group by group
    for family in ("forced_out", "excludes", "requires", "capacity", "budget"):
        trial = [k for k in kept if k[0] != family]
        if len(trial) < len(kept) and not model.feasible(
            skip=others + [k for k in kept if k[0] == family],
            forced=forced,
            time_limit=per_check,
        ):
            kept = trial
    for key in list(kept):
        trial = [k for k in kept if k != key]
        skip = others + [k for k in candidates_groups if k not in trial]
        if not model.feasible(skip=skip, forced=forced, time_limit=per_check):
            kept = trial
    binding = []
    for key in kept:
        binding.append(_describe(model, key, kept, others, forced, per_check))
    return Diagnosis(
        message=_message(p, forced, binding),
        forced=tuple(forced),
        binding=tuple(binding),
    )


def _closure(p: Problem, codes: Iterable[str]) -> set[str]:
    """The codes and, transitively, the candidates they require."""
    out: set[str] = set()
    todo = list(codes)
    names = {c.code for c in p.candidates}
    while todo:
        code = todo.pop()
        if code in out or code not in names:
            continue
        out.add(code)
        todo.extend(p.candidate(code).requires)
    return out


def _touches(model: Model, key: GroupKey, codes: set[str]) -> bool:
    idx = {i for code in codes for i in model.of_code.get(code, [])}
    return any(i in idx for r in model.groups[key] for i in r.coefs)


def _describe(
    model: Model,
    key: GroupKey,
    kept: list[GroupKey],
    others: list[GroupKey],
    forced: list[str],
    per_check: float | None,
) -> dict[str, Any]:
    p = model.problem
    kind = key[0]
    if kind in ("budget", "capacity"):
        # the overrun with every other constraint kept, else with the conflict set only
        raw = model.run(
            objective="elastic", elastic=key, forced=forced, time_limit=per_check
        )
        if raw.status == "infeasible":
            skip = [k for k in model.groups if k[0] != "forced_in" and k not in kept]
            raw = model.run(
                objective="elastic",
                elastic=key,
                forced=forced,
                skip=skip,
                time_limit=per_check,
            )
        money, days = usage(p, raw.selection)
        extra = sorted({c for c, _s in raw.selection} - set(forced))
        if kind == "budget":
            _k, year, section = key
            available = max(0, p.budget_of().get((year, section), 0))
            return {
                "kind": "budget",
                "year": year,
                "section": section,
                "available_c": available,
                "excess_c": max(0, money.get((year, section), 0) - available),
                "with": extra,
            }
        _k, team, year = key
        free = max(0, p.capacity_of().get((team, year), 0))
        return {
            "kind": "capacity",
            "team": team,
            "year": year,
            "available": free,
            "excess": max(0, days.get((team, year), 0) - free),
            "with": extra,
        }
    if kind == "requires":
        _k, code, req = key
        existing = {e.code: e for e in p.existing}
        unavailable = {u.code: u.status for u in p.unavailable}
        out: dict[str, Any] = {"kind": "requires", "project": code, "required": req}
        if req in existing:
            out["required_start"] = existing[req].start
        elif req not in model.of_code:
            out["status"] = unavailable.get(req, "inconnu")
        return out
    if kind == "excludes":
        return {"kind": "excludes", "projects": [key[1], key[2]]}
    reason = next(f.reason for f in p.forced_out if f.code == key[1])
    return {"kind": "forced_out", "project": key[1], "reason": reason}


def euros(cents: int) -> str:
    """French money: ``12 000 €``, ``1 234,50 €``."""
    units, rest = divmod(abs(cents), 100)
    text = f"{units:,}".replace(",", " ")
    if rest:
        text += f",{rest:02d}"
    return ("-" if cents < 0 else "") + text + " €"


def _names(codes: list[str]) -> str:
    if len(codes) == 1:
        return codes[0]
    return ", ".join(codes[:-1]) + " et " + codes[-1]


def _subject(p: Problem, forced: list[str]) -> tuple[str, bool]:
    """``Les projets obligatoires X et Y`` and whether it is plural."""
    mandatory = {c.code for c in p.candidates if c.mandatory}
    kinds = {code: code in mandatory for code in forced}
    if not forced:
        return "Le plan", False
    if len(forced) == 1:
        code = forced[0]
        label = "obligatoire" if kinds[code] else "retenu d'office"
        return (
            f"Le projet {label} {code}"
            if kinds[code]
            else f"Le projet {code}, {label},"
        ), False
    if all(kinds.values()):
        return f"Les projets obligatoires {_names(forced)}", True
    if not any(kinds.values()):
        return f"Les projets retenus d'office {_names(forced)}", True
    labels = {True: "obligatoire", False: "retenu d'office"}
    parts = [f"{c} ({labels[kinds[c]]})" for c in forced]
    return "Les projets " + _names(parts), True


def _part(b: dict[str, Any], *, alone: bool, plural: bool) -> str:
    kind = b["kind"]
    verb = "dépassent" if plural else "dépasse"
    if kind == "budget":
        what = f"l'enveloppe {b['year']} {b['section']}"
        text = (
            f"{verb} {what} de {euros(b['excess_c'])}"
            if alone
            else (f"{what} (dépassement minimal {euros(b['excess_c'])})")
        )
    elif kind == "capacity":
        days = b["excess"]
        unit = "jour" if days == 1 else "jours"
        what = f"la capacité de l'équipe {b['team']} en {b['year']}"
        text = (
            f"{verb} {what} de {days} {unit}"
            if alone
            else (f"{what} (dépassement minimal {days} {unit})")
        )
    elif kind == "requires":
        if "status" in b:
            detail = f"qui n'est pas sélectionnable (statut {b['status']})"
        elif "required_start" in b:
            detail = f"qui ne démarre qu'en {b['required_start']}"
        else:
            detail = "qui doit démarrer avant lui"
        text = f"{b['project']} requiert {b['required']}, {detail}"
        return (": " + text) if alone else text
    elif kind == "excludes":
        text = f"{b['projects'][0]} et {b['projects'][1]} s'excluent mutuellement"
        return (": " + text) if alone else text
    else:
        text = f"{b['project']} est écarté d'office ({b['reason']})"
        return (": " + text) if alone else text
    extra = b.get("with") or []
    if extra:
        text += f" (avec {_names(extra)}, requis)"
    return text


def _message(p: Problem, forced: list[str], binding: list[dict[str, Any]]) -> str:
    subject, plural = _subject(p, forced)
    if not binding:
        return f"{subject} : aucun plan ne respecte toutes les contraintes"
    if len(binding) == 1:
        part = _part(binding[0], alone=True, plural=plural)
        if part.startswith(": "):
            verb = "ne peuvent être retenus" if plural else "ne peut être retenu"
            return f"{subject} {verb} {part}"
        return f"{subject} {part}"
    parts = " ; ".join(_part(b, alone=False, plural=plural) for b in binding)
    verb = "ne peuvent respecter" if plural else "ne peut respecter"
    return f"{subject} {verb} ensemble : {parts}"
