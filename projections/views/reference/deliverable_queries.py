"""The phase checklist the pages and the API read: the current plan's phases, each
with its deliverables (``projections.views.reference.deliverables`` keeps them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.deliverables import DEFAULTS
from domain.plan import Phase
from projections.records import documents
from projections.views.reference.deliverables import NOT_RECORDED, fresh
from projections.views.reference.queries import plan

if TYPE_CHECKING:
    from projections.store import ViewStore


def lists(store: ViewStore, plan_number: int) -> dict[str, dict[str, Any]]:
    """Phase → its list's document, for plan ``plan_number``."""
    found = documents(
        store,
        "SELECT doc FROM {phase_deliverables} WHERE plan_number = ?",
        (plan_number,),
    )
    return {d["phase"]: d for d in found}


def checklist(store: ViewStore, plan: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The current plan's six phases, each with its status, dates, the reason it was
    completed without its deliverables (``override``), its deliverables (dropped
    ones apart) and the labels of those not validated (``missing``). A phase whose
    list was never opened expects its defaults — or, done before deliverables
    existed, shows them ``not_recorded``."""
    if plan is None:
        return []
    by_phase = lists(store, plan.get("number", 1))
    out = []
    for p in Phase:
        phase = {"code": p.value, "override": None, **plan["phases"][p.value]}
        found = by_phase.get(p.value)
        if found is not None:
            items = found["items"]
        else:
            status = (
                NOT_RECORDED
                if phase["status"] == "done" and phase["override"] is None
                else "expected"
            )
            items = [{**fresh(*d), "status": status} for d in DEFAULTS[p.value]]
        phase["deliverables"] = [i for i in items if not i["dropped"]]
        phase["dropped"] = [i for i in items if i["dropped"]]
        phase["missing"] = [
            i["label"]
            for i in phase["deliverables"]
            if i["status"] not in ("validated", NOT_RECORDED)
        ]
        out.append(phase)
    return out


def phase_checklist(store: ViewStore) -> dict[str, Any]:
    """The current plan's number and its phases' checklist."""
    doc = plan(store)
    return {
        "plan": doc.get("number", 1) if doc else None,
        "phases": checklist(store, doc),
    }
