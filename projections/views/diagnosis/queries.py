"""Reading the diagnosis view: the inventory (filtered), one application with the
DSI's view beside each direction's and their history, the findings, the suggested
findings not yet confirmed, and the obsolescence risks no proposal covers."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from typing import TYPE_CHECKING, Any

from domain.diagnosis import obsolescence_risk, suggestions
from projections.records import document, documents, eur

if TYPE_CHECKING:
    from projections.store import ViewStore

# Proposals that no longer cover anything (their project will not happen).
ENDED = frozenset({"withdrawn", "rejected", "cancelled"})
FILTERS = ("kind", "direction", "criticality", "q", "status", "risk")


def day_of(as_of: str | None) -> date:
    """The day the rules are applied on for a read ``as_of``: its date when it is a
    time, else today."""
    if as_of and not as_of.startswith("position:"):
        try:
            return date.fromisoformat(as_of[:10])
        except ValueError:
            pass
    return date.today()


def _public(doc: dict[str, Any]) -> dict[str, Any]:
    out = dict(doc)
    out["annual_cost"] = eur(out.pop("annual_cost_c"))
    return out


def applications(
    store: ViewStore, filters: dict[str, Any] | None = None, today: date | None = None
) -> list[dict[str, Any]]:
    """The inventory sorted by code, filtered by ``kind``, owner ``direction``,
    ``criticality`` (at least), ``q`` (text in code, name, supplier or technology),
    ``status`` (``current`` — the default —, ``retired`` or ``all``) and ``risk``
    (``1``: only obsolescence risks, as of ``today``)."""
    f = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
    sql, params = "SELECT doc FROM {inventory_apps} WHERE 1 = 1", []
    if "kind" in f:
        sql, params = sql + " AND kind = ?", [*params, f["kind"]]
    if "direction" in f:
        sql, params = sql + " AND direction = ?", [*params, f["direction"]]
    if "criticality" in f:
        sql, params = sql + " AND criticality >= ?", [*params, int(f["criticality"])]
    status = f.get("status", "current")
    if status != "all":
        sql, params = sql + " AND retired = ?", [*params, int(status == "retired")]
    out = [_public(d) for d in documents(store, sql + " ORDER BY code", params)]
    if "q" in f:
        needle = str(f["q"]).casefold()
        out = [
            a
            for a in out
            if any(
                needle in (a.get(k) or "").casefold()
                for k in ("code", "name", "supplier", "technology")
            )
        ]
    day = today or date.today()
    for a in out:
        a["risks"] = obsolescence_risk(a, day)
    if f.get("risk"):
        out = [a for a in out if a["risks"]]
    return out


def application(store: ViewStore, app_code: str) -> dict[str, Any] | None:
    """One component with its latest assessments and its whole history (newest
    first): ``dsi_history`` and ``direction_history`` (by direction) list every
    assessment, superseded ones included."""
    doc = document(store, "SELECT doc FROM {inventory_apps} WHERE code = ?", [app_code])
    if doc is None:
        return None
    out = _public(doc)
    rows = store.fetchall(
        "SELECT position, event, assessor, actor, reason, at, detail "
        "FROM {inventory_history} WHERE application = ? ORDER BY position DESC",
        [app_code],
    )
    history = [
        {
            "position": p,
            "event": ev,
            "assessor": who,
            "actor": actor,
            "reason": reason,
            "at": at,
            "detail": json.loads(detail),
        }
        for p, ev, who, actor, reason, at, detail in rows
    ]
    out["history"] = history
    out["dsi_history"] = [h for h in history if h["event"] == "dsi_assessed"]
    by_direction: dict[str, list[dict[str, Any]]] = {}
    for h in history:
        if h["event"] == "direction_assessed":
            by_direction.setdefault(h["assessor"], []).append(h)
    out["direction_history"] = dict(sorted(by_direction.items()))
    out["findings"] = [
        f for f in findings(store, status="all") if app_code in f["applications"]
    ]
    out["proposals"] = [
        {"proposal": p, "effect": links["applications"][app_code]}
        for p, links in _links(store).items()
        if app_code in links["applications"]
    ]
    return out


def findings(store: ViewStore, status: str = "current") -> list[dict[str, Any]]:
    """The findings by code (``current``, ``withdrawn`` or ``all``), each with the
    proposals citing it."""
    sql = "SELECT doc FROM {diagnosis_findings}"
    params: list[Any] = []
    if status != "all":
        sql, params = sql + " WHERE status = ?", [status]
    out = documents(store, sql + " ORDER BY code", params)
    cited: dict[str, list[str]] = {}
    for p, links in _links(store).items():
        for f in links["findings"]:
            cited.setdefault(f, []).append(p)
    for f in out:
        f["proposals"] = sorted(cited.get(f["code"], []))
        f.setdefault("documents", [])
    return out


def finding(store: ViewStore, code: str) -> dict[str, Any] | None:
    return next((f for f in findings(store, "all") if f["code"] == code), None)


def suggested(store: ViewStore, today: date) -> list[dict[str, Any]]:
    """The findings the rules suggest (``domain.diagnosis``) that no finding,
    current or withdrawn, has confirmed yet."""
    confirmed = {f["suggestion"] for f in findings(store, "all") if f["suggestion"]}
    out = []
    for a in applications(store, today=today):
        for s in suggestions(a, today):
            if s.key not in confirmed:
                out.append({**asdict(s), "assessments": list(s.assessments)})
    return out


def _links(store: ViewStore) -> dict[str, dict[str, Any]]:
    return {
        d["proposal"]: d
        for d in documents(store, "SELECT doc FROM {proposal_links} ORDER BY proposal")
    }


def proposal_links(store: ViewStore, proposal: str) -> dict[str, Any]:
    """What ``proposal`` cites: ``applications`` (code → effect), ``findings`` and
    ``documents`` (of the review register)."""
    found = document(
        store, "SELECT doc FROM {proposal_links} WHERE proposal = ?", [proposal]
    )
    out = found or {"proposal": proposal, "applications": {}, "findings": []}
    out.setdefault("documents", [])
    return out


def uncovered_risks(store: ViewStore, today: date) -> list[dict[str, Any]]:
    """The obsolescence risks (current applications whose support ended or ends
    within 18 months, or whose DSI obsolescence is high) that no live proposal —
    neither withdrawn, rejected nor cancelled — replaces or changes."""
    statuses = dict(store.fetchall("SELECT code, status FROM {proposals}"))
    covered = {
        app
        for p, links in _links(store).items()
        if statuses.get(p) not in ENDED
        for app in links["applications"]
    }
    return [
        {
            "code": a["code"],
            "name": a["name"],
            "direction": a["direction"],
            "criticality": a["criticality"],
            "end_of_support": a["end_of_support"],
            "obsolescence": (a["dsi"] or {}).get("obsolescence"),
            "risks": a["risks"],
        }
        for a in applications(store, {"risk": "1"}, today)
        if a["code"] not in covered
    ]
