"""The phases' deliverables (``domain.deliverables``): one document per phase's list
(``N/phase``), each deliverable with where it stands, who submitted it and who
reviewed it, when and why; and the phase checklist the pages read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.deliverables import DEFAULTS, PhaseDeliverables
from domain.plan import Phase, Plan
from projections.records import documents
from projections.registry import Batch, Meta, document, on
from projections.views.reference.queries import plan
from projections.views.reference.tables import DELIVERABLES

if TYPE_CHECKING:
    from projections.store import ViewStore

NOT_RECORDED = "not_recorded"  # a phase done before deliverables existed


def _fresh(key: str, label: str, kind: str) -> dict[str, Any]:
    return {
        "key": key,
        "label": label,
        "kind": kind,
        "status": "expected",
        "dropped": False,
        "owner": None,
        "submitted_at": None,
        "sha256": None,
        "filename": None,
        "attachment": None,
        "record_kind": None,
        "record_ref": None,
        "reviewed_by": None,
        "reviewed_at": None,
        "decision": None,
        "reason": None,
    }


@on(PhaseDeliverables.Listed)
def listed(batch: Batch, e: PhaseDeliverables.Listed, m: Meta) -> None:
    items = [_fresh(i["key"], i["label"], i["kind"]) for i in e.items]
    batch.put(
        "phase_deliverables",
        (e.code,),
        {
            "code": e.code,
            "plan_number": e.plan_number,
            "phase": e.phase.value,
            "items": items,
        },
    )


def _item(batch: Batch, m: Meta, key: str) -> dict[str, Any]:
    doc = batch.touch("phase_deliverables", (m.key,))
    return next(i for i in doc["items"] if i["key"] == key)


@on(PhaseDeliverables.Added)
def added(batch: Batch, e: PhaseDeliverables.Added, m: Meta) -> None:
    doc = batch.touch("phase_deliverables", (m.key,))
    doc["items"].append(_fresh(e.key, e.label, e.kind))


@on(PhaseDeliverables.Relabelled)
def relabelled(batch: Batch, e: PhaseDeliverables.Relabelled, m: Meta) -> None:
    _item(batch, m, e.key)["label"] = e.label


@on(PhaseDeliverables.Dropped)
def dropped(batch: Batch, e: PhaseDeliverables.Dropped, m: Meta) -> None:
    _item(batch, m, e.key).update(dropped=True, reason=m.context.reason)


@on(PhaseDeliverables.Submitted)
def submitted(batch: Batch, e: PhaseDeliverables.Submitted, m: Meta) -> None:
    _item(batch, m, e.key).update(
        status="submitted",
        owner=e.owner,
        submitted_at=m.at,
        sha256=e.sha256,
        filename=e.filename,
        attachment=e.attachment,
        record_kind=e.record_kind,
        record_ref=e.record_ref,
        reviewed_by=None,
        reviewed_at=None,
        decision=None,
        reason=None,
    )


@on(PhaseDeliverables.Validated, PhaseDeliverables.Returned)
def reviewed(batch: Batch, e: Any, m: Meta) -> None:
    returned = isinstance(e, PhaseDeliverables.Returned)
    _item(batch, m, e.key).update(
        status="returned" if returned else "validated",
        reviewed_by=e.by,
        reviewed_at=m.at,
        decision=e.decision,
        reason=m.context.reason,
    )


@on(Plan.PhaseCompletedWithReason)
def completed_with_reason(
    batch: Batch, e: Plan.PhaseCompletedWithReason, m: Meta
) -> None:
    batch.touch("plan", ("plan",))["phases"][e.phase.value].update(
        status="done",
        done_on=e.on.isoformat(),
        override={
            "reason": m.context.reason,
            "actor": m.context.actor,
            "at": m.at,
            "missing": list(e.missing),
        },
    )


document(
    "phase_deliverables",
    lambda d: DELIVERABLES.row(
        code=d["code"], plan_number=d["plan_number"], phase=d["phase"]
    ),
)


# --- the phase checklist ----------------------------------------------------------------


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
            items = [{**_fresh(*d), "status": status} for d in DEFAULTS[p.value]]
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
