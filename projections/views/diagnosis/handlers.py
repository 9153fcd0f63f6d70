"""The diagnosis view's handlers: each inventory, finding and link event updates its
document; inventory events also add a history row."""

from __future__ import annotations

import json
from typing import Any

from domain.findings import Finding, ProposalLinks
from domain.inventory import DESCRIPTION, Application
from projections.registry import Batch, Meta, cents, document, on
from projections.views.diagnosis.tables import (
    FINDINGS,
    INVENTORY_APPS,
    INVENTORY_HISTORY,
    PROPOSAL_LINKS,
)


def _plain(e: Any) -> dict[str, Any]:
    """The description an event carries, as the views keep it (cents, ISO date)."""
    out: dict[str, Any] = {f: getattr(e, f) for f in DESCRIPTION}
    out["kind"] = out["kind"].value
    out["annual_cost_c"] = cents(out.pop("annual_cost"))
    end = out["end_of_support"]
    out["end_of_support"] = end.isoformat() if end else None
    return out


def _history(
    batch: Batch,
    m: Meta,
    app: str,
    event: str,
    detail: dict[str, Any],
    assessor: str = "",
) -> None:
    batch.append(
        "inventory_history",
        INVENTORY_HISTORY.row(
            position=m.position,
            application=app,
            event=event,
            assessor=assessor,
            actor=m.context.actor,
            reason=m.context.reason,
            at=m.at,
            detail=json.dumps(detail, ensure_ascii=False, sort_keys=True),
        ),
    )


@on(Application.Registered, Application.Changed)
def described(batch: Batch, e: Any, m: Meta) -> None:
    """A component registered, or its new description."""
    new = _plain(e)
    if isinstance(e, Application.Registered):
        key = e.code
        doc: dict[str, Any] = {
            "code": key,
            "retired": False,
            "retired_at": None,
            "dsi": None,
            "dsi_count": 0,
            "directions": {},
            "registered_at": m.at,
        }
        event = "registered"
        detail = new
    else:
        found = batch.doc("inventory_apps", (m.key,))
        if found is None:
            raise LookupError(f"application {e.originator_id}: change before creation")
        doc, key, event = found, found["code"], "changed"
        detail = {
            f: {"old": doc.get(f), "new": v} for f, v in new.items() if doc.get(f) != v
        }
    doc.update(new)
    doc["changed_at"] = m.at
    batch.put("inventory_apps", (key,), doc)
    _history(batch, m, key, event, detail)


@on(Application.Retired)
def retired(batch: Batch, e: Any, m: Meta) -> None:
    doc = batch.touch("inventory_apps", (m.key,))
    doc["retired"], doc["retired_at"] = True, m.at
    _history(batch, m, m.key, "retired", {})


@on(Application.DsiAssessed)
def dsi_assessed(batch: Batch, e: Any, m: Meta) -> None:
    doc = batch.touch("inventory_apps", (m.key,))
    doc["dsi_count"] += 1
    a = {
        "technical_state": e.technical_state,
        "risk": e.risk,
        "obsolescence": e.obsolescence,
        "comment": e.comment,
        "number": doc["dsi_count"],
        "actor": m.context.actor,
        "at": m.at,
    }
    doc["dsi"] = a
    _history(batch, m, m.key, "dsi_assessed", a, "dsi")


@on(Application.DirectionAssessed)
def direction_assessed(batch: Batch, e: Any, m: Meta) -> None:
    doc = batch.touch("inventory_apps", (m.key,))
    previous = doc["directions"].get(e.direction)
    a = {
        "satisfaction": e.satisfaction,
        "coverage": e.coverage,
        "comment": e.comment,
        "number": previous["number"] + 1 if previous else 1,
        "actor": m.context.actor,
        "at": m.at,
    }
    doc["directions"][e.direction] = a
    _history(batch, m, m.key, "direction_assessed", a, e.direction)


@on(Finding.Recorded)
def finding_recorded(batch: Batch, e: Any, m: Meta) -> None:
    batch.put(
        "diagnosis_findings",
        (e.code,),
        {
            "code": e.code,
            "kind": e.kind.value,
            "title": e.title,
            "statement": e.statement,
            "applications": list(e.applications),
            "assessments": list(e.assessments),
            "suggestion": e.suggestion,
            "documents": [],
            "status": "current",
            "actor": m.context.actor,
            "at": m.at,
            "position": m.position,
            "withdrawn_at": None,
            "withdrawn_reason": None,
        },
    )


@on(Finding.Withdrawn)
def finding_withdrawn(batch: Batch, e: Any, m: Meta) -> None:
    doc = batch.touch("diagnosis_findings", (m.key,))
    doc["status"] = "withdrawn"
    doc["withdrawn_at"], doc["withdrawn_reason"] = m.at, m.context.reason


@on(Finding.DocumentsCited)
def finding_cites(batch: Batch, e: Any, m: Meta) -> None:
    batch.touch("diagnosis_findings", (m.key,))["documents"] = list(e.documents)


@on(ProposalLinks.Started)
def links_started(batch: Batch, e: Any, m: Meta) -> None:
    batch.put(
        "proposal_links",
        (e.proposal,),
        {"proposal": e.proposal, "applications": {}, "findings": [], "documents": []},
    )


@on(ProposalLinks.LinksSet)
def links_set(batch: Batch, e: Any, m: Meta) -> None:
    doc = batch.touch("proposal_links", (m.key,))
    doc["applications"] = {k: v.value for k, v in sorted(e.applications.items())}
    doc["findings"] = list(e.findings)
    doc["actor"], doc["at"] = m.context.actor, m.at


@on(ProposalLinks.DocumentsCited)
def links_cite(batch: Batch, e: Any, m: Meta) -> None:
    doc = batch.touch("proposal_links", (m.key,))
    doc["documents"] = list(e.documents)
    doc["actor"], doc["at"] = m.context.actor, m.at


document(
    "inventory_apps",
    lambda d: INVENTORY_APPS.row(
        code=d["code"],
        kind=d["kind"],
        name=d["name"],
        direction=d["direction"],
        criticality=d["criticality"],
        retired=int(d["retired"]),
    ),
)
document(
    "diagnosis_findings",
    lambda d: FINDINGS.row(code=d["code"], kind=d["kind"], status=d["status"]),
)
document("proposal_links", lambda d: PROPOSAL_LINKS.row(proposal=d["proposal"]))
