"""Portfolio: each proposal's current revision and status, estimates, scores consolidated
per grid version, criterion and family (``domain.scoring``: mean and spread across
evaluators, stale scores flagged; a value only when every criterion of its family is
scored), decisions, execution; plus the capacity rows (workloads)."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any

import orjson

from domain.grids import Criterion, ScaleLevel
from domain.proposals import Proposal, current_estimates, status_after
from domain.scores import ScoreSheet
from domain.scoring import Evidence
from domain.scoring import consolidate as consolidate_scores
from domain.search import fold
from domain.values import Family
from projections.registry import BEFORE_FLUSH, Batch, Meta, cents, document, on
from projections.views.audit.handlers import dumps, plain
from projections.views.portfolio.tables import (
    PROPOSAL_AXES,
    PROPOSAL_VALUES,
    PROPOSAL_YEARS,
    PROPOSALS,
    REVISIONS,
    WORKLOADS,
)


def _content_doc(content: Any) -> dict[str, Any]:
    c = plain(content)
    c["costs"] = [
        {"year": x.year, "section": x.section.value, "amount_c": cents(x.amount)}
        for x in content.costs
    ]
    return c  # type: ignore[no-any-return]


def _estimates(doc: dict[str, Any]) -> None:
    """Current estimates: the DSI's for the current revision, else the referent's."""
    q = doc.get("qualification")
    source = current_estimates(
        doc["content"], q, q["revision"] if q else None, doc["revision"]
    )
    doc["costs"] = source["costs"]
    doc["workloads"] = source["workloads"]
    doc["dependencies"] = source["dependencies"]
    doc["risks"] = source["risks"]


def _after(e: Any) -> str:
    """The status after a status-changing event (``domain.proposals.STATUS_AFTER``)."""
    status = status_after(e)
    if status is None:
        raise ValueError(f"{type(e).__qualname__} keeps the status")
    return status.value


def _status(doc: dict[str, Any], status: str, m: Meta) -> None:
    doc["status"] = status
    doc["history"].append(
        {
            "position": m.position,
            "at": m.at,
            "status": status,
            "actor": m.context.actor,
            "reason": m.context.reason,
        }
    )
    doc["updated_position"] = m.position


def _proposal(batch: Batch, m: Meta) -> dict[str, Any]:
    return batch.touch("proposals", (m.key,))


@on(Proposal.Drafted)
def drafted(batch: Batch, e: Proposal.Drafted, m: Meta) -> None:
    direction = batch.touch("directions", (e.direction,))
    direction["proposals"].append(e.code)
    content = _content_doc(e.content)
    doc = {
        "code": e.code,
        "direction": e.direction,
        "pole": direction["pole"],
        "referent": e.referent,
        "status": "draft",
        "revision": 1,
        "content": content,
        "qualification": None,
        "session": None,
        "decisions": [],
        "ap_c": None,
        "milestones": {},
        "progress_x100": 0,
        "planned_start": None,
        "planned_end": None,
        "started_on": None,
        "done_on": None,
        "closing_reason": None,
        "scores": {},
        "consolidated": {},
        "excluded_by": [],
        "history": [],
        "created_position": m.position,
        "created_at": m.at,
        "updated_position": m.position,
    }
    _estimates(doc)
    _status(doc, _after(e), m)
    batch.put("proposals", (e.code,), doc)
    batch.append(
        "revisions",
        REVISIONS.row(
            position=m.position,
            proposal=e.code,
            revision=1,
            at=m.at,
            actor=m.context.actor,
            reason=m.context.reason,
            doc=_json(content),
        ),
    )


@on(Proposal.Amended)
def amended(batch: Batch, e: Proposal.Amended, m: Meta) -> None:
    doc = _proposal(batch, m)
    doc["content"] = _content_doc(e.content)
    doc["revision"] = e.revision
    batch.mark("consolidate", doc["code"])
    _estimates(doc)
    _status(doc, _after(e), m)
    batch.append(
        "revisions",
        REVISIONS.row(
            position=m.position,
            proposal=doc["code"],
            revision=e.revision,
            at=m.at,
            actor=m.context.actor,
            reason=m.context.reason,
            doc=_json(doc["content"]),
        ),
    )


@on(Proposal.Qualified)
def qualified(batch: Batch, e: Proposal.Qualified, m: Meta) -> None:
    doc = _proposal(batch, m)
    q = plain(e.qualification)
    q["costs"] = [
        {"year": x.year, "section": x.section.value, "amount_c": cents(x.amount)}
        for x in e.qualification.costs
    ]
    q.update(position=m.position, at=m.at, actor=m.context.actor)
    doc["qualification"] = q
    _estimates(doc)
    _status(doc, _after(e), m)


@on(Proposal.PutOnAgenda)
def put_on_agenda(batch: Batch, e: Proposal.PutOnAgenda, m: Meta) -> None:
    doc = _proposal(batch, m)
    doc["session"] = e.session
    _status(doc, _after(e), m)


@on(Proposal.TakenOffAgenda)
def taken_off(batch: Batch, e: Proposal.TakenOffAgenda, m: Meta) -> None:
    doc = _proposal(batch, m)
    doc["session"] = None
    _status(doc, _after(e), m)


@on(Proposal.Decided)
def decided(batch: Batch, e: Proposal.Decided, m: Meta) -> None:
    doc = _proposal(batch, m)
    doc["decisions"].append(
        {
            "session": e.session,
            "outcome": e.outcome.value,
            "position": m.position,
            "revision": doc["revision"],
        }
    )
    doc["session"] = None
    _status(doc, _after(e), m)


@on(
    Proposal.Submitted,
    Proposal.Planned,
    Proposal.Started,
    Proposal.Completed,
    Proposal.Withdrawn,
    Proposal.Cancelled,
)
def lifecycle(batch: Batch, e: Any, m: Meta) -> None:
    doc = _proposal(batch, m)
    if isinstance(e, Proposal.Planned):
        doc.update(planned_start=e.start.isoformat(), planned_end=e.end.isoformat())
    elif isinstance(e, Proposal.Started):
        doc["started_on"] = e.on.isoformat()
    elif isinstance(e, Proposal.Completed):
        doc.update(done_on=e.on.isoformat(), progress_x100=10000)
    elif isinstance(e, Proposal.Withdrawn | Proposal.Cancelled):
        doc["closing_reason"] = m.context.reason
    _status(doc, _after(e), m)


@on(Proposal.MilestoneSet)
def milestone(batch: Batch, e: Proposal.MilestoneSet, m: Meta) -> None:
    doc = _proposal(batch, m)
    ms = e.milestone
    doc["milestones"][ms.code] = {
        "code": ms.code,
        "label": ms.label,
        "planned": ms.planned.isoformat(),
        "actual": ms.actual.isoformat() if ms.actual else None,
        "position": m.position,
    }
    doc["updated_position"] = m.position


@on(Proposal.ProgressReported)
def progress(batch: Batch, e: Proposal.ProgressReported, m: Meta) -> None:
    doc = _proposal(batch, m)
    doc["progress_x100"] = cents(e.percent)
    doc["updated_position"] = m.position


@on(Proposal.ExcludedBy)
def excluded_by(batch: Batch, e: Proposal.ExcludedBy, m: Meta) -> None:
    doc = _proposal(batch, m)
    doc.setdefault("excluded_by", []).append(e.proposal)


@on(ScoreSheet.Scored)
def scored(batch: Batch, e: ScoreSheet.Scored, m: Meta) -> None:
    proposal, evaluator = m.key.split("/", 1)
    doc = batch.touch("proposals", (proposal,))
    s = e.score
    key = f"{e.revision}/{e.grid_version}/{s.criterion}/{evaluator}"
    previous = doc["scores"].get(key)
    history = []
    if previous:  # re-scoring supersedes and is kept
        history = previous.pop("history")
        history.append(previous)
    doc["scores"][key] = {
        "level": s.level,
        "justification": s.justification,
        "position": m.position,
        "at": m.at,
        "history": history,
    }
    doc["updated_position"] = m.position
    batch.mark("consolidate", proposal)


# --- consolidation -----------------------------------------------------------------------


def x100(value: Decimal | None) -> int | None:
    """A score (two decimals) as integer hundredths."""
    return None if value is None else int(value * 100)


def grid_criteria(grid: dict[str, Any]) -> list[Criterion]:
    """The criteria of a grid version's document, as the domain has them.

    Built once per content of the criteria (see :func:`_criteria_of`): a grid has a
    few versions, consolidated for every scored proposal."""
    return list(_criteria_of(orjson.dumps(grid["criteria"])))


@lru_cache(maxsize=64)
def _criteria_of(criteria: bytes) -> tuple[Criterion, ...]:
    """The ``Criterion``s of a grid document's serialised criteria. Keyed by their
    content, not by the grid's number: nothing to invalidate when a grid changes
    (the changed criteria are another key), and follow, rebuild and as-of replay —
    or two ledgers in one process — can never see another content's criteria; the
    cache is bounded (a grid version's criteria change rarely, a ledger has a few)."""
    return tuple(
        Criterion(
            code=c["code"],
            label=c["label"],
            family=Family(c["family"]),
            weight=Decimal(c["weight"]),
            scale=tuple(ScaleLevel(lv["level"], lv["descriptor"]) for lv in c["scale"]),
        )
        for c in orjson.loads(criteria).values()
    )


def evidence_doc(ev: Evidence) -> dict[str, Any]:
    """The evidence of a revision on a grid version as the views show it (the agenda
    of a session, and what its decisions recorded)."""
    return {
        "grid_version": ev.grid_version,
        "revision": ev.revision,
        "evaluators": ev.evaluators,
        "complete": ev.complete,
        "criteria": {
            c.criterion: {
                "family": c.family.value,
                "n": c.evaluators,
                "sum": c.total,
                "mean_x100": x100(c.mean),
                "min": c.lowest,
                "max": c.highest,
                "spread": c.spread,
            }
            for c in ev.criteria
        },
        "value_x100": x100(ev.value),
        "risk_x100": x100(ev.risk),
    }


def consolidate(batch: Batch, doc: dict[str, Any]) -> None:
    """Per grid version: the evidence of the current revision (``domain.scoring``),
    plus how many scores of older revisions each criterion has (stale). The row shows
    the newest grid version with a value (else the newest scored)."""
    current = doc["revision"]
    levels: dict[int, dict[str, list[int]]] = {}
    stale: dict[int, dict[str, int]] = {}
    evaluators: dict[int, set[str]] = {}
    for key, s in doc["scores"].items():
        rev, grid, crit, evaluator = key.split("/", 3)
        g = int(grid)
        if int(rev) == current:
            levels.setdefault(g, {}).setdefault(crit, []).append(s["level"])
            evaluators.setdefault(g, set()).add(evaluator)
        else:
            stale.setdefault(g, {})[crit] = stale.get(g, {}).get(crit, 0) + 1
    out: dict[str, Any] = {}
    for g in sorted(set(levels) | set(stale)):
        grid = batch.doc("grids", (g,))
        if grid is None:
            continue
        entry = evidence_doc(
            consolidate_scores(
                g,
                current,
                grid_criteria(grid),
                levels.get(g, {}),
                len(evaluators.get(g, ())),
            )
        )
        for code, c in entry["criteria"].items():
            c["stale"] = stale.get(g, {}).get(code, 0)
        entry["stale"] = sum(stale.get(g, {}).values())
        out[str(g)] = entry
    doc["consolidated"] = out
    scored = [g for g in out if out[g]["evaluators"]]
    valued = [g for g in scored if out[g]["value_x100"] is not None]
    main = max(valued or scored, key=int) if scored else None
    doc["grid_version"] = int(main) if main else None
    doc["value_x100"] = out[main]["value_x100"] if main else None
    doc["risk_x100"] = out[main]["risk_x100"] if main else None
    doc["evaluators"] = out[main]["evaluators"] if main else 0
    doc["stale"] = sum(1 for k in doc["scores"] if int(k.split("/", 1)[0]) != current)


def ensure_consolidated(batch: Batch, doc: dict[str, Any]) -> None:
    """Consolidate now if scores or the revision changed since the last consolidation."""
    if batch.take_mark("consolidate", doc["code"]):
        consolidate(batch, doc)


def _consolidate_marked(batch: Batch) -> None:
    for code in sorted(batch.marks.get("consolidate", ())):
        consolidate(batch, batch.touch("proposals", (code,)))
    batch.marks.pop("consolidate", None)


BEFORE_FLUSH.append(_consolidate_marked)


def _json(value: Any) -> str:
    return dumps(value)


def _row(d: dict[str, Any]) -> tuple[Any, ...]:
    costs = d["costs"]
    years = sorted({c["year"] for c in costs} | {w["year"] for w in d["workloads"]})
    axes = d["content"]["axes"]
    return PROPOSALS.row(
        code=d["code"],
        title=d["content"]["title"],
        direction=d["direction"],
        pole=d["pole"],
        axis=axes[0]["axis"] if axes else None,
        status=d["status"],
        revision=d["revision"],
        mandatory=int(d["content"]["mandatory"]),
        referent=d["referent"],
        session=d["session"],
        first_year=years[0] if years else None,
        last_year=years[-1] if years else None,
        cost_inv_c=sum(
            c["amount_c"] for c in costs if c["section"] == "investissement"
        ),
        cost_ope_c=sum(
            c["amount_c"] for c in costs if c["section"] == "fonctionnement"
        ),
        days=sum(w["days"] for w in d["workloads"]),
        value_x100=d.get("value_x100"),
        risk_x100=d.get("risk_x100"),
        grid_version=d.get("grid_version"),
        evaluators=d.get("evaluators", 0),
        stale=d.get("stale", 0),
        outcome=d["decisions"][-1]["outcome"] if d["decisions"] else None,
        ap_c=d["ap_c"],
        progress_x100=d["progress_x100"],
        planned_start=d["planned_start"],
        planned_end=d["planned_end"],
        updated_position=d["updated_position"],
        search=fold(
            d["code"],
            d["content"]["title"],
            d["direction"],
            d["content"]["description"],
            d["content"].get("legal_basis"),
        ),
    )


def _children(batch: Batch, d: dict[str, Any]) -> dict[str, list[tuple[Any, ...]]]:
    code = d["code"]
    years = sorted(
        {c["year"] for c in d["costs"]} | {w["year"] for w in d["workloads"]}
    )
    return {
        "proposal_values": [
            PROPOSAL_VALUES.row(
                proposal=code,
                grid_version=int(g),
                revision=d["revision"],
                value_x100=v["value_x100"],
                risk_x100=v["risk_x100"],
                evaluators=v["evaluators"],
                complete=int(v["complete"]),
            )
            for g, v in d["consolidated"].items()
            if v["evaluators"]
        ],
        "proposal_axes": [
            PROPOSAL_AXES.row(proposal=code, axis=a["axis"], indicator=a["indicator"])
            for a in {a["axis"]: a for a in d["content"]["axes"]}.values()
        ],
        "proposal_years": [PROPOSAL_YEARS.row(proposal=code, year=y) for y in years],
        "workloads": [
            WORKLOADS.row(proposal=code, team=w["team"], year=w["year"], days=w["days"])
            for w in d["workloads"]
        ],
    }


document("proposals", _row, _children)
