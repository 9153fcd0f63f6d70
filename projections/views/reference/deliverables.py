"""The phases' deliverables (``domain.deliverables``): one document per phase's list
(``N/phase``), each deliverable with where it stands, who submitted it and who
reviewed it, when and why (the checklist the pages read: ``deliverable_queries``)."""

from __future__ import annotations

from typing import Any

from domain.deliverables import PhaseDeliverables
from domain.plan import Plan
from projections.registry import Batch, Meta, document, on
from projections.views.reference.tables import DELIVERABLES

NOT_RECORDED = "not_recorded"  # a phase done before deliverables existed


def fresh(key: str, label: str, kind: str) -> dict[str, Any]:
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
    items = [fresh(i["key"], i["label"], i["kind"]) for i in e.items]
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
    doc["items"].append(fresh(e.key, e.label, e.kind))


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
