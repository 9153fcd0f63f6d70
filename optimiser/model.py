"""The inputs and results of the optimiser: plain, frozen, canonically serialisable.

Money is integer cents and workloads integer person-days; values and risks are exact
``Decimal`` scores (0–100). ``Problem.to_dict`` is the canonical plain form: it is what
a scenario records and what its input hash (SHA-256 of the canonical JSON) covers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

SECTIONS = ("investissement", "fonctionnement")


class ProblemError(ValueError):
    """Inputs that describe no problem (unknown code, contradiction, bad value)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


@dataclass(frozen=True, order=True)
class CostLine:
    """Cost of a project in one year and section, at its planned start (cents)."""

    year: int
    section: str
    cents: int


@dataclass(frozen=True, order=True)
class WorkLine:
    """Workload of a project for one team in one year, at its planned start (days)."""

    team: str
    year: int
    days: int


@dataclass(frozen=True)
class Candidate:
    """A qualified proposal the optimiser may select, with its profiles and links."""

    code: str
    value: Decimal
    risk: Decimal = Decimal(0)
    start: int = 0
    starts: tuple[int, ...] = ()
    costs: tuple[CostLine, ...] = ()
    workloads: tuple[WorkLine, ...] = ()
    requires: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    mandatory: bool = False
    title: str = ""

    @property
    def start_years(self) -> tuple[int, ...]:
        """The allowed start years (the planned one when no window is given)."""
        return self.starts or (self.start,)

    def costs_at(self, start: int) -> list[CostLine]:
        """The cost profile shifted to start in ``start``."""
        shift = start - self.start
        return [CostLine(c.year + shift, c.section, c.cents) for c in self.costs]

    def workloads_at(self, start: int) -> list[WorkLine]:
        """The workload profile shifted to start in ``start``."""
        shift = start - self.start
        return [WorkLine(w.team, w.year + shift, w.days) for w in self.workloads]


@dataclass(frozen=True, order=True)
class Budget:
    """CP still available in one year and section after approved projects (cents),
    and the envelope's total when known (scaling an envelope scales its total)."""

    year: int
    section: str
    cents: int
    total: int | None = None


@dataclass(frozen=True, order=True)
class TeamCapacity:
    """Person-days of a team still free in one year, after approved projects."""

    team: str
    year: int
    days: int


@dataclass(frozen=True, order=True)
class Existing:
    """A project already approved (or running, or done): kept, and it satisfies
    the dependencies of the candidates that require it from its start year."""

    code: str
    start: int
    status: str


@dataclass(frozen=True, order=True)
class Unavailable:
    """A known project that can be neither selected nor relied on (rejected…)."""

    code: str
    status: str


@dataclass(frozen=True, order=True)
class Forced:
    """A candidate forced in or out of every solution, with the reason why."""

    code: str
    reason: str


@dataclass(frozen=True)
class Problem:
    """Everything one optimisation depends on."""

    candidates: tuple[Candidate, ...]
    budgets: tuple[Budget, ...] = ()
    capacities: tuple[TeamCapacity, ...] = ()
    existing: tuple[Existing, ...] = ()
    unavailable: tuple[Unavailable, ...] = ()
    forced_in: tuple[Forced, ...] = ()
    forced_out: tuple[Forced, ...] = ()
    risk_weight: Decimal = Decimal(0)

    # --- lookups ---------------------------------------------------------------------

    def candidate(self, code: str) -> Candidate:
        for c in self.candidates:
            if c.code == code:
                return c
        raise KeyError(code)

    def budget_of(self) -> dict[tuple[int, str], int]:
        """Available cents per (year, section); a missing envelope holds nothing."""
        return {(b.year, b.section): b.cents for b in self.budgets}

    def capacity_of(self) -> dict[tuple[str, int], int]:
        """Free days per (team, year); a missing capacity holds nothing."""
        return {(c.team, c.year): c.days for c in self.capacities}

    def must_select(self) -> dict[str, str]:
        """Candidates every solution selects, with why (mandatory or forced in)."""
        out = {c.code: "obligatoire" for c in self.candidates if c.mandatory}
        for f in self.forced_in:
            out.setdefault(f.code, f"retenu d'office : {f.reason}")
        return dict(sorted(out.items()))

    def score(self, c: Candidate) -> Decimal:
        """The objective coefficient of a candidate: value minus weighted risk."""
        return c.value - self.risk_weight * c.risk

    def with_scaled_budgets(self, factor: Decimal) -> Problem:
        """The same problem with every envelope's total scaled (rounded down to the
        cent): what is already allocated stays, the available amount moves."""
        budgets = []
        for b in self.budgets:
            if b.total is None:
                budgets.append(
                    Budget(b.year, b.section, int(Decimal(b.cents) * factor))
                )
            else:
                total = int(Decimal(b.total) * factor)
                budgets.append(
                    Budget(b.year, b.section, b.cents + total - b.total, total)
                )
        return replace(self, budgets=tuple(budgets))

    def with_values(self, values: Mapping[str, tuple[Decimal, Decimal]]) -> Problem:
        """The same problem with other (value, risk) per candidate."""
        return replace(
            self,
            candidates=tuple(
                replace(c, value=values[c.code][0], risk=values[c.code][1])
                if c.code in values
                else c
                for c in self.candidates
            ),
        )

    # --- canonical form --------------------------------------------------------------

    def normalised(self) -> Problem:
        """Every collection sorted, so equal problems have one form."""
        return Problem(
            candidates=tuple(
                replace(
                    c,
                    starts=tuple(sorted(set(c.start_years))),
                    costs=tuple(sorted(c.costs)),
                    workloads=tuple(sorted(c.workloads)),
                    requires=tuple(sorted(set(c.requires))),
                    excludes=tuple(sorted(set(c.excludes))),
                )
                for c in sorted(self.candidates, key=lambda c: c.code)
            ),
            budgets=tuple(sorted(self.budgets)),
            capacities=tuple(sorted(self.capacities)),
            existing=tuple(sorted(self.existing)),
            unavailable=tuple(sorted(self.unavailable)),
            forced_in=tuple(sorted(self.forced_in)),
            forced_out=tuple(sorted(self.forced_out)),
            risk_weight=self.risk_weight,
        )

    def to_dict(self) -> dict[str, Any]:
        """The canonical plain form (Decimals as strings, sorted collections)."""
        p = self.normalised()
        return {
            "candidates": [
                {
                    "code": c.code,
                    "title": c.title,
                    "value": _dec(c.value),
                    "risk": _dec(c.risk),
                    "start": c.start,
                    "starts": list(c.starts),
                    "costs": [[x.year, x.section, x.cents] for x in c.costs],
                    "workloads": [[w.team, w.year, w.days] for w in c.workloads],
                    "requires": list(c.requires),
                    "excludes": list(c.excludes),
                    "mandatory": c.mandatory,
                }
                for c in p.candidates
            ],
            "budgets": [[b.year, b.section, b.cents, b.total] for b in p.budgets],
            "capacities": [[c.team, c.year, c.days] for c in p.capacities],
            "existing": [[e.code, e.start, e.status] for e in p.existing],
            "unavailable": [[u.code, u.status] for u in p.unavailable],
            "forced_in": [[f.code, f.reason] for f in p.forced_in],
            "forced_out": [[f.code, f.reason] for f in p.forced_out],
            "risk_weight": _dec(p.risk_weight),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Problem:
        """The problem a canonical plain form describes."""
        return cls(
            candidates=tuple(
                Candidate(
                    code=c["code"],
                    title=c.get("title", ""),
                    value=Decimal(c["value"]),
                    risk=Decimal(c["risk"]),
                    start=int(c["start"]),
                    starts=tuple(int(s) for s in c["starts"]),
                    costs=tuple(CostLine(int(y), s, int(a)) for y, s, a in c["costs"]),
                    workloads=tuple(
                        WorkLine(t, int(y), int(d)) for t, y, d in c["workloads"]
                    ),
                    requires=tuple(c["requires"]),
                    excludes=tuple(c["excludes"]),
                    mandatory=bool(c["mandatory"]),
                )
                for c in data["candidates"]
            ),
            budgets=tuple(
                Budget(int(b[0]), b[1], int(b[2]), None if b[3] is None else int(b[3]))
                for b in data["budgets"]
            ),
            capacities=tuple(
                TeamCapacity(t, int(y), int(d)) for t, y, d in data["capacities"]
            ),
            existing=tuple(Existing(c, int(y), s) for c, y, s in data["existing"]),
            unavailable=tuple(Unavailable(c, s) for c, s in data["unavailable"]),
            forced_in=tuple(Forced(c, r) for c, r in data["forced_in"]),
            forced_out=tuple(Forced(c, r) for c, r in data["forced_out"]),
            risk_weight=Decimal(data["risk_weight"]),
        )

    def input_hash(self) -> str:
        """SHA-256 of the canonical JSON of :meth:`to_dict`."""
        return sha256_of(self.to_dict())

    # --- validation ------------------------------------------------------------------

    def validate(self) -> Problem:
        """Refuse contradictory or malformed inputs, naming the offending item."""
        codes = [c.code for c in self.candidates]
        seen: set[str] = set()
        for code in codes:
            if code in seen:
                raise ProblemError("candidates", f"Projet candidat en double : {code}.")
            seen.add(code)
        existing = {e.code for e in self.existing}
        both = sorted(seen & existing)
        if both:
            raise ProblemError(
                "existing", f"Projet à la fois candidat et déjà approuvé : {both[0]}."
            )
        for c in self.candidates:
            if not c.start_years:
                raise ProblemError(
                    "starts", f"Aucune année de démarrage pour {c.code}."
                )
            for x in c.costs:
                if x.cents < 0 or x.section not in SECTIONS:
                    raise ProblemError(
                        "costs", f"Coût invalide pour {c.code} : {x.year} {x.section}."
                    )
            for w in c.workloads:
                if w.days < 0:
                    raise ProblemError(
                        "workloads", f"Charge négative pour {c.code} : {w.team}."
                    )
        if self.risk_weight < 0:
            raise ProblemError(
                "risk_weight", f"Poids du risque négatif : {self.risk_weight}."
            )
        for name, items in (
            ("forced_in", self.forced_in),
            ("forced_out", self.forced_out),
        ):
            for f in items:
                if f.code not in seen:
                    raise ProblemError(
                        name, f"{f.code} n'est pas un projet candidat du scénario."
                    )
                if not f.reason.strip():
                    raise ProblemError(name, f"Motif obligatoire pour {f.code}.")
        outs = {f.code for f in self.forced_out}
        clash = sorted(outs & {f.code for f in self.forced_in})
        if clash:
            raise ProblemError(
                "forced_out", f"{clash[0]} est à la fois retenu et écarté d'office."
            )
        for c in self.candidates:
            if c.mandatory and c.code in outs:
                raise ProblemError(
                    "forced_out", f"{c.code} est obligatoire : il ne peut être écarté."
                )
        return self


@dataclass(frozen=True)
class Diagnosis:
    """Why no plan respects every constraint: the smallest conflicting set found."""

    message: str
    forced: tuple[str, ...]
    binding: tuple[dict[str, Any], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "forced": list(self.forced),
            "binding": [dict(b) for b in self.binding],
        }


@dataclass(frozen=True)
class Result:
    """A selection (code → start year) with its status, objective and solver facts."""

    status: str  # optimal, time_limit, infeasible, no_solution
    selection: tuple[tuple[str, int], ...]
    objective: Decimal | None
    value: Decimal | None
    risk: Decimal | None
    solver: str
    solver_version: str
    gap: Decimal | None = None
    bound: Decimal | None = None
    nodes: int = 0
    diagnosis: Diagnosis | None = None
    notes: tuple[str, ...] = ()
    seconds: float = field(default=0.0, compare=False)

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(code for code, _start in self.selection)

    @property
    def starts(self) -> dict[str, int]:
        return dict(self.selection)

    @property
    def feasible(self) -> bool:
        return self.status in ("optimal", "time_limit", "feasible")

    def to_dict(self) -> dict[str, Any]:
        """Plain, deterministic form (no timing)."""
        return {
            "status": self.status,
            "selection": [{"code": c, "start": s} for c, s in self.selection],
            "objective": _dec(self.objective),
            "value": _dec(self.value),
            "risk": _dec(self.risk),
            "solver": self.solver,
            "solver_version": self.solver_version,
            "gap": _dec(self.gap),
            "bound": _dec(self.bound),
            "nodes": self.nodes,
            "diagnosis": self.diagnosis.to_dict() if self.diagnosis else None,
            "notes": list(self.notes),
        }


def selection_totals(
    problem: Problem, selection: Iterable[tuple[str, int]]
) -> tuple[Decimal, Decimal, Decimal]:
    """Exact (objective, value, risk) of a selection."""
    value = risk = objective = Decimal(0)
    for code, _start in selection:
        c = problem.candidate(code)
        value += c.value
        risk += c.risk
        objective += problem.score(c)
    return objective, value, risk


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def canonical_json(data: Any) -> str:
    """Sorted keys, no spaces, UTF-8 text; floats are refused (they are not exact)."""
    _refuse_floats(data)
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_of(data: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of ``data``."""
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


def _refuse_floats(data: Any) -> None:
    if isinstance(data, float):
        raise ProblemError("inputs", f"Nombre flottant dans les entrées : {data!r}.")
    if isinstance(data, dict):
        for v in data.values():
            _refuse_floats(v)
    elif isinstance(data, list | tuple):
        for v in data:
            _refuse_floats(v)
