"""Decision history: sessions (agenda, attendance, quorum, the grid version fixed at
convening), every vote (superseded ones too), and each decision with what it rested
on — the evidence it recorded (grid version, consolidated scores, value and risk), the
rules it overrode, the budget state, and the ledger positions of every event involved.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain.entities import split_amount, split_cents
from domain.search import fold
from domain.sessions import QuorumRule, Session
from projections.registry import Batch, Meta, cents, document, on
from projections.views.audit.handlers import dumps, plain
from projections.views.budget.entities import entity_name, split_of
from projections.views.budget.handlers import envelope_doc
from projections.views.decisions.tables import DECISIONS, SESSIONS, VOTES
from projections.views.portfolio.handlers import ensure_consolidated, evidence_doc, x100


def _session(batch: Batch, m: Meta) -> dict[str, Any]:
    code = m.key
    return batch.touch("sessions", (code,))


def grid_in_force(batch: Batch) -> int | None:
    """The highest adopted grid version at this point of the log."""
    latest, number = None, 1
    while (grid := batch.doc("grids", (number,))) is not None:
        if grid["status"] == "adopted":
            latest = number
        number += 1
    return latest


def _required(doc: dict[str, Any]) -> int:
    q = doc["quorum"]
    return QuorumRule(q["kind"], Decimal(q["value"])).required(len(doc["voting"]))


@on(Session.Convened)
def convened(batch: Batch, e: Session.Convened, m: Meta) -> None:
    doc = {
        "code": e.code,
        "title": e.title,
        "on": e.on.isoformat(),
        "chair": e.chair,
        "voting": list(e.voting),
        "non_voting": list(e.non_voting),
        "quorum": plain(e.quorum),
        # fixed at convening (a session convened before sessions kept it: the
        # version in force at that point of the log)
        "grid_version": e.grid_version
        if e.grid_version is not None
        else grid_in_force(batch),
        "status": "convened",
        "agenda": [],
        "present": [],
        "votes": {},
        "vote_positions": {},
        "decisions": {},
        "positions": {"convened": m.position},
        "attendance": [],
        "removed": [],
    }
    doc["quorum_required"] = _required(doc)
    batch.put("sessions", (e.code,), doc)


@on(Session.ItemAdded, Session.ItemRemoved)
def agenda(batch: Batch, e: Any, m: Meta) -> None:
    doc = _session(batch, m)
    if isinstance(e, Session.ItemAdded):
        doc["agenda"].append(e.proposal)
    else:
        doc["agenda"].remove(e.proposal)
        doc.setdefault("removed", []).append(
            {"proposal": e.proposal, "position": m.position, "at": m.at}
        )


@on(Session.Opened)
def opened(batch: Batch, e: Session.Opened, m: Meta) -> None:
    doc = _session(batch, m)
    doc.update(status="open", present=sorted(e.present))
    doc["positions"]["opened"] = m.position
    doc["times"] = {"opened": m.at}
    doc["early_reason"] = e.early_reason
    doc["attendance"].append(
        {
            "position": m.position,
            "at": m.at,
            "kind": "opened",
            "member": None,
            "present": sorted(e.present),
        }
    )


@on(Session.AttendanceChanged)
def attendance(batch: Batch, e: Session.AttendanceChanged, m: Meta) -> None:
    doc = _session(batch, m)
    present = set(doc["present"])
    (present.add if e.present else present.discard)(e.member)
    doc["present"] = sorted(present)
    doc["attendance"].append(
        {
            "position": m.position,
            "at": m.at,
            "kind": "arrived" if e.present else "left",
            "member": e.member,
            "present": list(doc["present"]),
        }
    )


@on(Session.VoteCast)
def vote(batch: Batch, e: Session.VoteCast, m: Meta) -> None:
    doc = _session(batch, m)
    doc["votes"].setdefault(e.proposal, {})[e.member] = {
        "choice": e.choice.value,
        "position": m.position,
    }
    doc["vote_positions"].setdefault(e.proposal, []).append(m.position)
    batch.append(
        "votes",
        VOTES.row(
            position=m.position,
            session=doc["code"],
            proposal=e.proposal,
            member=e.member,
            choice=e.choice.value,
            at=m.at,
        ),
    )


@on(Session.DecisionRecorded)
def decision(batch: Batch, e: Session.DecisionRecorded, m: Meta) -> None:
    doc = _session(batch, m)
    d = e.decision
    doc["decisions"][d.proposal] = m.position
    proposal = batch.doc("proposals", (d.proposal,)) or {}
    grid_key = str(d.grid_version) if d.grid_version is not None else None
    if d.evidence is not None:  # what the COPIL saw, as the decision recorded it
        scores: dict[str, Any] | None = evidence_doc(d.evidence)
        value_x100, risk_x100 = x100(d.evidence.value), x100(d.evidence.risk)
    else:  # recorded before decisions kept their evidence: recomputed, and said so
        if proposal:
            ensure_consolidated(batch, proposal)  # whatever the batch boundaries
        scores = proposal.get("consolidated", {}).get(grid_key) if grid_key else None
        value_x100 = scores["value_x100"] if scores else None
        risk_x100 = scores["risk_x100"] if scores else None
    score_positions = sorted(
        s["position"]
        for k, s in proposal.get("scores", {}).items()
        if grid_key
        and k.split("/")[0] == str(d.revision)
        and k.split("/")[1] == grid_key
    )
    direction = proposal.get("direction")
    shares = split_of(
        proposal, batch.doc("directions", (direction,)) if direction else None
    )
    budget = budget_state(batch, d.cp, shares)
    grid = batch.doc("grids", (d.grid_version,)) if d.grid_version is not None else None
    evidence = {
        "rationale": d.rationale,
        "conditions": d.conditions,
        "justification": d.justification,
        "override_reason": d.override_reason,
        "conflicts": [c.as_plain() for c in d.conflicts],
        "cp": [plain(c) for c in d.cp],
        "scores": scores,
        "recomputed": d.evidence is None,
        "grid_version": d.grid_version,
        "grid_adopted_position": grid["adopted_position"] if grid else None,
        "budget": budget,
        "split": cost_split(batch, d, shares),
        "revision": d.revision,
        "votes": doc["votes"].get(d.proposal, {}),
        "positions": {
            "decision": m.position,
            "votes": list(doc["vote_positions"].get(d.proposal, [])),
            "scores": score_positions,
            "convened": doc["positions"]["convened"],
            "opened": doc["positions"].get("opened"),
            "qualification": (proposal.get("qualification") or {}).get("position"),
        },
        "present": list(doc["present"]),
        "value_x100": value_x100,
        "risk_x100": risk_x100,
    }
    departs = d.departs_from_majority
    batch.append(
        "decisions",
        DECISIONS.row(
            position=m.position,
            session=doc["code"],
            proposal=d.proposal,
            session_date=doc["on"],
            decided_at=m.at,
            outcome=d.outcome.value,
            ap_c=cents(d.ap_amount) if d.ap_amount is not None else None,
            grid_version=d.grid_version,
            revision=d.revision,
            scenario=d.scenario,
            votes_for=d.votes_for,
            votes_against=d.votes_against,
            abstentions=d.abstentions,
            present_voting=d.present_voting,
            quorum_required=d.quorum_required,
            departs=int(departs),
            override=int(d.override_reason is not None),
            chair=m.context.actor,
            search=fold(
                d.proposal,
                (proposal.get("content") or {}).get("title"),
                proposal.get("direction"),
                doc["code"],
                d.rationale,
                d.conditions,
                d.justification,
                d.override_reason,
            ),
            doc=dumps(evidence),
        ),
    )


def budget_state(
    batch: Batch, cp: Any, shares: dict[str, Decimal]
) -> list[dict[str, Any]]:
    """Each CP line's share of each entity of the split on that entity's envelope of
    the line's year and section, as it stood when the decision was recorded."""
    budget = []
    for line in cp:
        for entity, part in split_amount(line.amount, shares).items():
            key = (entity, line.year, line.section.value)
            env = batch.doc("envelopes", key)
            if env is None:
                continue  # a share of nothing on an envelope never voted
            total = env["bp_c"] + env["dm_c"]
            allocated = envelope_doc(env)["allocated_c"]
            budget.append(
                {
                    "year": line.year,
                    "section": line.section.value,
                    "entity": entity,
                    "total_c": total,
                    "allocated_c": allocated,
                    "available_c": total - allocated,
                    "requested_c": cents(part),
                    "positions": env["positions"][-5:],
                }
            )
    return budget


def cost_split(
    batch: Batch, d: Any, shares: dict[str, Decimal]
) -> dict[str, Any] | None:
    """The cost split an approval recorded (``ProjectBudget.SharesSet``): each
    entity's name and percentage, its share of the AP and of each CP line, to the
    cent (largest remainder), and the consolidated total — the sum of the shares.
    ``None`` for a decision that votes no AP."""
    if d.ap_amount is None:
        return None
    ap = split_cents(cents(d.ap_amount), shares)
    lines = [
        (c.year, c.section.value, split_cents(cents(c.amount), shares)) for c in d.cp
    ]
    return {
        "entities": [
            {
                "entity": entity,
                "name": entity_name(batch, entity),
                "percent": str(percent),
                "ap_c": ap[entity],
                "cp": [
                    {"year": y, "section": s, "amount_c": parts[entity]}
                    for y, s, parts in lines
                ],
            }
            for entity, percent in shares.items()
        ],
        "total": {
            "ap_c": sum(ap.values()),
            "cp": [
                {"year": y, "section": s, "amount_c": sum(parts.values())}
                for y, s, parts in lines
            ],
        },
    }


@on(Session.ConvocationSent)
def convocation_sent(batch: Batch, e: Session.ConvocationSent, m: Meta) -> None:
    doc = _session(batch, m)
    doc.setdefault("convocations", []).append(
        {
            "at": m.at,
            "position": m.position,
            "sequence": e.sequence,
            "starts_at": e.starts_at,
            "ends_at": e.ends_at,
            "timezone": e.timezone,
            "place": e.place,
            "recipients": e.recipients,
            "agenda_sha256": e.agenda_sha256,
        }
    )


def _grid_item(doc: dict[str, Any], number: int) -> dict[str, Any]:
    """The session's item on adopting grid ``number`` (keys are text in JSON)."""
    items = doc.setdefault("grid_items", {})
    return items.setdefault(
        str(number), {"number": number, "votes": {}, "decision": None}
    )


@on(Session.GridItemAdded)
def grid_item_added(batch: Batch, e: Session.GridItemAdded, m: Meta) -> None:
    _grid_item(_session(batch, m), e.number)["position"] = m.position


@on(Session.GridVoteCast)
def grid_vote(batch: Batch, e: Session.GridVoteCast, m: Meta) -> None:
    item = _grid_item(_session(batch, m), e.number)
    item["votes"][e.member] = {"choice": e.choice.value, "position": m.position}


@on(Session.GridDecisionRecorded)
def grid_decision(batch: Batch, e: Session.GridDecisionRecorded, m: Meta) -> None:
    d = e.decision
    _grid_item(_session(batch, m), d.number)["decision"] = {
        "adopted": d.adopted,
        "rationale": d.rationale,
        "justification": d.justification,
        "on": d.on.isoformat(),
        "for": d.votes_for,
        "against": d.votes_against,
        "abstain": d.abstentions,
        "present_voting": d.present_voting,
        "quorum_required": d.quorum_required,
        "by": m.context.actor,
        "at": m.at,
        "position": m.position,
    }


@on(Session.Closed)
def closed(batch: Batch, e: Session.Closed, m: Meta) -> None:
    doc = _session(batch, m)
    doc["status"] = "closed"
    doc["positions"]["closed"] = m.position
    doc.setdefault("times", {})["closed"] = m.at


def _present_voting(d: dict[str, Any]) -> int:
    return sum(1 for p in d["present"] if p in d["voting"])


document(
    "sessions",
    lambda d: SESSIONS.row(
        code=d["code"],
        title=d["title"],
        on_date=d["on"],
        chair=d["chair"],
        status=d["status"],
        quorum_required=d["quorum_required"],
        present_voting=_present_voting(d),
        search=fold(d["code"], d["title"], d["chair"]),
    ),
)
