"""Reading the scenarios view: list, one scenario, and several side by side.

Plain JSON-able data: money as integer cents (``_c``) and as exact euro strings.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from projections.records import document, documents

if TYPE_CHECKING:
    from projections.store import ViewStore

CENT = Decimal("0.01")


def euros(cents: int | None) -> str | None:
    """Integer cents as an exact euro string (``"1234.50"``)."""
    return None if cents is None else format((Decimal(cents) / 100).quantize(CENT), "f")


def _doc(store: ViewStore, code: str) -> dict[str, Any] | None:
    return document(store, "SELECT doc FROM {scenarios} WHERE code = ?", (code,))  # type: ignore[no-any-return]


def scenarios(store: ViewStore) -> list[dict[str, Any]]:
    """Every scenario, newest first, with its headline figures."""
    out = []
    for d in documents(store, "SELECT doc FROM {scenarios} ORDER BY position DESC"):
        out.append(
            {
                "code": d["code"],
                "label": d["label"],
                "status": d["status"],
                "objective": d["objective"],
                "gap": d["gap"],
                "value": d["result"]["value"],
                "greedy_objective": d["greedy"]["objective"],
                "selected": len(d["result"]["selection"]),
                "candidates": len(d["inputs"]["candidates"]),
                "grid_version": d["source"].get("grid_version"),
                "input_hash": d["input_hash"],
                "actor": d["actor"],
                "at": d["at"],
                "position": d["position"],
                "parameters": d["parameters"],
            }
        )
    return out


def _lines(doc: dict[str, Any], part: str) -> list[dict[str, Any]]:
    """The selection of the optimum or the greedy fill, with each project's figures."""
    cands = {c["code"]: c for c in doc["inputs"]["candidates"]}
    out = []
    for s in doc[part]["selection"]:
        c = cands[s["code"]]
        cost = sum(line[2] for line in c["costs"])
        out.append(
            {
                "code": s["code"],
                "title": c["title"],
                "start": s["start"],
                "planned_start": c["start"],
                "value": c["value"],
                "risk": c["risk"],
                "mandatory": c["mandatory"],
                "cost_c": cost,
                "cost": euros(cost),
            }
        )
    return out


def _usage(doc: dict[str, Any], part: str) -> dict[str, Any]:
    usage = doc[part]["usage"]
    return {
        "budget": [
            {**b, "available": euros(b["available_c"]), "used": euros(b["used_c"])}
            for b in usage["budget"]
        ],
        "capacity": usage["capacity"],
    }


def scenario(store: ViewStore, code: str) -> dict[str, Any] | None:
    """One scenario: inputs, parameters, solver, status, optimum and greedy fill."""
    doc = _doc(store, code)
    if doc is None:
        return None
    best = {c["code"] for c in doc["result"]["selection"]}
    fill = {c["code"] for c in doc["greedy"]["selection"]}
    return {
        "code": doc["code"],
        "label": doc["label"],
        "status": doc["status"],
        "objective": doc["objective"],
        "gap": doc["gap"],
        "input_hash": doc["input_hash"],
        "solver": doc["solver"],
        "solver_version": doc["solver_version"],
        "parameters": doc["parameters"],
        "source": doc["source"],
        "actor": doc["actor"],
        "reason": doc["reason"],
        "at": doc["at"],
        "position": doc["position"],
        "optimum": {
            **{
                k: doc["result"][k]
                for k in (
                    "objective",
                    "value",
                    "risk",
                    "gap",
                    "bound",
                    "nodes",
                    "notes",
                    "diagnosis",
                )
            },
            "selection": _lines(doc, "result"),
            **_usage(doc, "result"),
        },
        "greedy": {
            **{
                k: doc["greedy"][k]
                for k in ("status", "objective", "value", "risk", "notes")
            },
            "selection": _lines(doc, "greedy"),
            **_usage(doc, "greedy"),
        },
        "contrast": {
            "only_optimum": sorted(best - fill),
            "only_greedy": sorted(fill - best),
            "both": sorted(best & fill),
        },
        "candidates": [
            {
                "code": c["code"],
                "title": c["title"],
                "value": c["value"],
                "risk": c["risk"],
                "mandatory": c["mandatory"],
                "starts": c["starts"],
                "cost_c": sum(line[2] for line in c["costs"]),
                "selected": c["code"] in best,
                "greedy": c["code"] in fill,
            }
            for c in doc["inputs"]["candidates"]
        ],
        "kept": [
            {"code": code, "start": start, "status": status}
            for code, start, status in doc["inputs"]["existing"]
        ],
        "inputs": doc["inputs"],
    }


def compare(
    store: ViewStore, codes: list[str], *, greedy: bool = True
) -> dict[str, Any]:
    """Scenarios side by side (and, with ``greedy``, each greedy fill as a column):
    selected projects with start years, value, budget per year and section, capacity
    per team and year. Unknown codes are listed under ``missing``."""
    columns: list[tuple[str, dict[str, Any], str]] = []
    missing = []
    for code in codes:
        doc = _doc(store, code)
        if doc is None:
            missing.append(code)
            continue
        columns.append((code, doc, "result"))
        if greedy:
            columns.append((f"{code}:glouton", doc, "greedy"))
    titles: dict[str, str] = {}
    projects: dict[str, dict[str, Any]] = {}
    budget: dict[tuple[int, str], dict[str, Any]] = {}
    capacity: dict[tuple[str, int], dict[str, Any]] = {}
    totals = []
    for name, doc, part in columns:
        for c in doc["inputs"]["candidates"]:
            titles.setdefault(c["code"], c["title"])
        for s in doc[part]["selection"]:
            projects.setdefault(s["code"], {})[name] = s["start"]
        for b in doc[part]["usage"]["budget"]:
            row = budget.setdefault((b["year"], b["section"]), {})
            row[name] = {"used_c": b["used_c"], "available_c": b["available_c"]}
        for c in doc[part]["usage"]["capacity"]:
            row = capacity.setdefault((c["team"], c["year"]), {})
            row[name] = {"used": c["used"], "available": c["available"]}
        used = sum(b["used_c"] for b in doc[part]["usage"]["budget"])
        totals.append(
            {
                "column": name,
                "scenario": doc["code"],
                "kind": "optimum" if part == "result" else "greedy",
                "status": doc[part]["status"],
                "objective": doc[part]["objective"],
                "value": doc[part]["value"],
                "risk": doc[part]["risk"],
                "selected": len(doc[part]["selection"]),
                "cost_c": used,
                "cost": euros(used),
                "input_hash": doc["input_hash"],
            }
        )
    names = [n for n, _d, _p in columns]
    return {
        "columns": names,
        "missing": missing,
        "totals": totals,
        "projects": [
            {
                "code": code,
                "title": titles.get(code, ""),
                "starts": {n: projects[code].get(n) for n in names},
            }
            for code in sorted(projects)
        ],
        "budget": [
            {"year": y, "section": s, "by": {n: budget[(y, s)].get(n) for n in names}}
            for y, s in sorted(budget)
        ],
        "capacity": [
            {"team": t, "year": y, "by": {n: capacity[(t, y)].get(n) for n in names}}
            for t, y in sorted(capacity)
        ],
    }
