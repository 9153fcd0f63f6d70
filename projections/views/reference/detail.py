"""Reading the reference data with its history: the municipality, the plan, pôles,
directions (with their referents), teams (with their capacity), axes, indicators
(with their targets and measurements) and the COPIL's composition — each record with
every event that made it (who, when, why), from the audit trail.

Like the views' queries, every function takes a view store (live, or as of a
past moment) and never reads the event log. Documents written before records could
be closed have no ``status``: they are read as open.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.plan import Phase
from projections.records import document, documents
from projections.views.audit import queries as audit
from projections.views.budget import queries as budget
from projections.views.reference import queries as q

if TYPE_CHECKING:
    from projections.store import ViewStore

HISTORY_LIMIT = 500
# Roles the first run needs an account for (and a referent per open direction).
NEEDED_ROLES = ("dsi", "chair", "member", "evaluator", "finance")


def _open(doc: dict[str, Any]) -> dict[str, Any]:
    doc.setdefault("status", "open")
    doc.setdefault("closed_at", None)
    return doc


def _doc(store: ViewStore, table: str, column: str, key: Any) -> dict[str, Any] | None:
    doc = document(store, f"SELECT doc FROM {{{table}}} WHERE {column} = ?", (key,))
    return None if doc is None else _open(doc)


def history(store: ViewStore, aggregate_type: str, key: str) -> list[dict[str, Any]]:
    """Every event of one record, newest first: position, time, actor, roles,
    origin, command, reason, event type and what changed."""
    events = audit.audit_trail(
        store, aggregate=key, event_type=aggregate_type, limit=HISTORY_LIMIT
    )["events"]
    return [e for e in events if e["aggregate"] == key]


# --- the municipality and the plan -----------------------------------------------------


def municipality(store: ViewStore) -> dict[str, Any] | None:
    return document(store, "SELECT doc FROM {municipality} WHERE id = 'municipality'")  # type: ignore[no-any-return]


def municipality_record(store: ViewStore) -> dict[str, Any]:
    return {
        "municipality": municipality(store),
        "history": history(store, "Municipality", "municipality"),
    }


def plan_record(store: ViewStore) -> dict[str, Any]:
    doc = q.plan(store)
    phases = []
    if doc is not None:
        phases = [{"code": p.value, **doc["phases"][p.value]} for p in Phase]
    return {"plan": doc, "phases": phases, "history": history(store, "Plan", "plan")}


# --- organisation ----------------------------------------------------------------------


def referents(store: ViewStore) -> dict[str, list[dict[str, Any]]]:
    """Direction → the active accounts holding its referent role."""
    out: dict[str, list[dict[str, Any]]] = {}
    for account in q.accounts(store):
        if not account["active"]:
            continue
        for grant in account["roles"]:
            role, _sep, scope = grant.partition(":")
            if role == "referent" and scope:
                out.setdefault(scope, []).append(
                    {
                        "username": account["username"],
                        "display_name": account["display_name"],
                    }
                )
    return out


def organisation(store: ViewStore) -> dict[str, Any]:
    """Pôles, directions (with their referents) and teams, open and closed."""
    org = q.organisation(store)
    by_direction = referents(store)
    for kind in ("poles", "directions", "teams"):
        for doc in org[kind]:
            _open(doc)
    for doc in org["directions"]:
        doc["referents"] = by_direction.get(doc["code"], [])
    return org


def pole(store: ViewStore, code: str) -> dict[str, Any] | None:
    doc = _doc(store, "poles", "code", code)
    if doc is None:
        return None
    doc["directions"] = [
        _open(d)
        for d in documents(
            store, "SELECT doc FROM {directions} WHERE pole = ? ORDER BY code", (code,)
        )
    ]
    doc["history"] = history(store, "Pole", code)
    return doc


def direction(store: ViewStore, code: str) -> dict[str, Any] | None:
    doc = _doc(store, "directions", "code", code)
    if doc is None:
        return None
    doc["referents"] = referents(store).get(code, [])
    doc["referent_grants"] = [
        g for g in q.grants(store) if g["role"] == "referent" and g["scope"] == code
    ]
    doc["teams"] = [
        _open(d)
        for d in documents(
            store, "SELECT doc FROM {teams} WHERE direction = ? ORDER BY code", (code,)
        )
    ]
    doc["history"] = history(store, "Direction", code)
    return doc


def team(store: ViewStore, code: str) -> dict[str, Any] | None:
    doc = _doc(store, "teams", "code", code)
    if doc is None:
        return None
    doc["history"] = history(store, "Team", code)
    return doc


# --- axes and indicators ---------------------------------------------------------------


def _indicator(doc: dict[str, Any]) -> dict[str, Any]:
    _open(doc)
    doc.setdefault("targets", {str(doc["target_year"]): doc["target"]})
    return doc


def axes(store: ViewStore) -> list[dict[str, Any]]:
    """Axes, open and closed, each with its indicators and their yearly targets."""
    out = q.axes(store)
    for axis_doc in out:
        _open(axis_doc)
        for indicator_doc in axis_doc["indicators"]:
            _indicator(indicator_doc)
    return out


def axis(store: ViewStore, code: str) -> dict[str, Any] | None:
    doc = _doc(store, "axes", "code", code)
    if doc is None:
        return None
    doc["indicators"] = [
        _indicator(d)
        for d in documents(
            store, "SELECT doc FROM {indicators} WHERE axis = ? ORDER BY code", (code,)
        )
    ]
    doc["history"] = history(store, "Axis", code)
    return doc


def indicator(store: ViewStore, code: str) -> dict[str, Any] | None:
    doc = _doc(store, "indicators", "code", code)
    if doc is None:
        return None
    _indicator(doc)
    doc["measurements"] = [
        {**m, "value": format(m["value"], "f")} for m in q.measurements(store, code)
    ]
    doc["history"] = history(store, "Indicator", code)
    return doc


# --- the COPIL's composition -----------------------------------------------------------


def committee_members(store: ViewStore) -> list[dict[str, Any]]:
    """Everyone who sat on the COPIL (sitting first), with their display name."""
    names = {a["username"]: a["display_name"] for a in q.accounts(store)}
    members = []
    for doc in documents(store, "SELECT doc FROM {committee} ORDER BY username"):
        doc["display_name"] = names.get(doc["username"], doc["username"])
        members.append(doc)
    return sorted(members, key=lambda m: (not m["sitting"], m["username"]))


def committee_record(store: ViewStore) -> dict[str, Any]:
    return {
        "members": committee_members(store),
        "history": history(store, "Committee", "copil"),
    }


# --- the first run ---------------------------------------------------------------------


def setup_checklist(store: ViewStore) -> dict[str, dict[str, Any]]:
    """What a new municipality has set up, item by item: ``state`` is ``done``,
    ``partial`` or ``todo``, with the figures behind it."""
    out: dict[str, dict[str, Any]] = {}

    town = municipality(store)
    out["municipality"] = {"state": "done" if town else "todo"}

    plan = q.plan(store)
    scheduled = (
        sum(1 for p in plan["phases"].values() if p["planned_start"]) if plan else 0
    )
    out["plan"] = {
        "state": _state(plan is not None, scheduled == len(Phase)),
        "scheduled": scheduled,
        "phases": len(Phase),
    }

    org = organisation(store)
    poles = [p for p in org["poles"] if p["status"] == "open"]
    directions = [d for d in org["directions"] if d["status"] == "open"]
    out["organisation"] = {
        "state": _state(bool(poles or directions), bool(poles and directions)),
        "poles": len(poles),
        "directions": len(directions),
    }

    teams = [t for t in org["teams"] if t["status"] == "open"]
    years = range(plan["first_year"], plan["last_year"] + 1) if plan else range(0)
    missing = [
        t["code"] for t in teams if any(str(y) not in t["capacity"] for y in years)
    ]
    out["teams"] = {
        "state": _state(bool(teams), bool(teams) and plan is not None and not missing),
        "teams": len(teams),
        "without_capacity": missing,
    }

    axes_ = [a for a in axes(store) if a["status"] == "open"]
    bare = [
        a["code"]
        for a in axes_
        if not any(i["status"] == "open" for i in a["indicators"])
    ]
    out["strategy"] = {
        "state": _state(bool(axes_), bool(axes_) and not bare),
        "axes": len(axes_),
        "without_indicator": bare,
    }

    grids = q.grids(store)
    adopted = [g["number"] for g in grids if g["status"] == "adopted"]
    out["grid"] = {
        "state": _state(bool(grids), bool(adopted)),
        "drafts": len(grids) - len(adopted),
        "adopted": max(adopted, default=None),
    }

    held: set[str] = set()
    scopes: set[str] = set()
    for account in q.accounts(store):
        if account["active"]:
            for grant in account["roles"]:
                role, _sep, scope = grant.partition(":")
                held.add(role)
                if scope:
                    scopes.add(scope)
    missing_roles = [r for r in NEEDED_ROLES if r not in held]
    without_referent = [d["code"] for d in directions if d["code"] not in scopes]
    out["accounts"] = {
        "state": _state(
            bool(held - {"admin"}), not missing_roles and not without_referent
        ),
        "missing_roles": missing_roles,
        "without_referent": without_referent,
    }

    sitting = [m for m in committee_members(store) if m["sitting"]]
    voting = [m for m in sitting if m["voting"]]
    out["committee"] = {
        "state": _state(bool(sitting), bool(voting)),
        "members": len(sitting),
        "voting": len(voting),
    }

    envelopes = budget.envelopes(store)
    out["budget"] = {
        "state": "done" if envelopes else "todo",
        "years": sorted({e["year"] for e in envelopes}),
    }
    return out


def _state(started: bool, done: bool) -> str:
    return "done" if done else "partial" if started else "todo"
