"""What the citizens' pages read: the adopted plan, its decided projects, the budget
voted and spent per axis and year, and the COPIL's decisions.

Every answer is built field by field from an explicit list (never a view's whole
document), so that nothing a view holds for the agents — scores, justifications,
referents, evaluators, accounts — can reach a citizen by accident. ``fields`` are the
published fields (``domain.publication.FIELDS`` less those withheld).
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from domain.publication import DECIDED, public_status
from projections import plan_scope as ps
from projections import queries as q
from projections.records import document, eur
from projections.views.budget.axes import axis_year_rows
from projections.views.decisions.grid_queries import grid_decisions as _grid_history
from projections.views.portfolio.queries import portfolio_rows

if TYPE_CHECKING:
    from projections.store import ViewStore
    from projections.views.portfolio.tables import ProposalRow

ZERO = Decimal("0.00")


def _names(store: ViewStore) -> tuple[dict[str, str], dict[str, str]]:
    """Axis code → label, direction code → name."""
    axes = {a["code"]: a["label"] for a in q.axes(store)}
    directions = {d["code"]: d["name"] for d in q.organisation(store)["directions"]}
    return axes, directions


def _project(
    row: ProposalRow,
    fields: Collection[str],
    axes: dict[str, str],
    directions: dict[str, str],
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "code": row.code,
        "title": row.title,
        "axis": row.axis,
        "axis_label": axes.get(row.axis or ""),
        "status": public_status(row.status),
        "first_year": row.first_year,
        "last_year": row.last_year,
        "ap_voted": eur(row.ap_c),
    }
    if "project.direction" in fields:
        out["direction"] = directions.get(row.direction, row.direction)
    if "project.progress" in fields:
        out["progress"] = eur(row.progress_x100)
    return out


def projects(store: ViewStore, fields: Collection[str]) -> list[dict[str, Any]]:
    """The decided projects of the plan in force (approved, planned, in progress,
    done or cancelled), by code, with their public status."""
    members = ps.scope(store).members
    axes, directions = _names(store)
    rows = [r for r in portfolio_rows(store, members=members) if r.status in DECIDED]
    return [
        _project(r, fields, axes, directions)
        for r in sorted(rows, key=lambda r: r.code)
    ]


def plan(store: ViewStore, fields: Collection[str]) -> dict[str, Any]:
    """The plan (name, municipality, horizon), its axes each with its decided
    projects, the count per public status, and the budget per axis and year."""
    doc = q.plan(store) or {}
    listed = projects(store, fields)
    axes = [
        {
            "code": a["code"],
            "label": a["label"],
            "projects": [p for p in listed if p["axis"] == a["code"]],
        }
        for a in q.axes(store)
    ]
    counts = {s: 0 for s in ("planned", "in_progress", "done", "cancelled")}
    for p in listed:
        counts[p["status"]] += 1
    out: dict[str, Any] = {
        "plan": {
            "name": doc.get("name"),
            "municipality": doc.get("municipality"),
            "first_year": doc.get("first_year"),
            "last_year": doc.get("last_year"),
        },
        "axes": axes,
        "unaxed": [p for p in listed if p["axis"] is None],
        "counts": counts,
    }
    if "budget.axes" in fields:
        out["budget"] = budget(store, {a["code"]: a["label"] for a in axes})
    return out


def budget(store: ViewStore, labels: dict[str, str]) -> list[dict[str, Any]]:
    """Per axis: the CP voted, committed and spent each year, and their totals."""
    out: dict[str, dict[str, Any]] = {}
    for row in axis_year_rows(store):
        item = row.as_dict()
        axis = out.setdefault(
            row.axis,
            {
                "axis": row.axis,
                "label": labels.get(row.axis),
                "years": [],
                "voted": ZERO,
                "committed": ZERO,
                "spent": ZERO,
            },
        )
        axis["years"].append(
            {k: item[k] for k in ("year", "voted", "committed", "spent")}
        )
        for k in ("voted", "committed", "spent"):
            axis[k] += item[k]
    return list(out.values())


def project(
    store: ViewStore, code: str, fields: Collection[str]
) -> dict[str, Any] | None:
    """One decided project: its description, schedule, progress, milestones, budget
    per year and the decisions about it (``None``: no such decided project)."""
    members = ps.scope(store).members
    if members is not None and code not in members:
        return None
    rows = [r for r in portfolio_rows(store, members=[code]) if r.status in DECIDED]
    if not rows:
        return None
    axes, directions = _names(store)
    out = _project(rows[0], fields, axes, directions)
    doc = document(store, "SELECT doc FROM {proposals} WHERE code = ?", (code,)) or {}
    for key in ("planned_start", "planned_end", "started_on", "done_on"):
        out[key] = doc.get(key)
    if "project.description" in fields:
        out["description"] = doc.get("content", {}).get("description", "")
    if "project.milestones" in fields:
        out["milestones"] = [
            {
                "code": m["code"],
                "label": m["label"],
                "planned": m["planned"],
                "actual": m["actual"],
            }
            for m in sorted(
                doc.get("milestones", {}).values(), key=lambda m: m["planned"]
            )
        ]
    if "project.budget" in fields:
        out["budget"] = _project_budget(store, code)
    out["decisions"] = decisions(store, fields, proposal=code)
    return out


def _project_budget(store: ViewStore, code: str) -> dict[str, Any]:
    """AP voted, and per year the CP voted, committed and spent (paid)."""
    found = q.project_budget(store, code)
    if found is None:
        return {"ap_voted": None, "ap": None, "years": [], **dict.fromkeys(_SUMS, ZERO)}
    years: dict[int, dict[str, Any]] = {}
    for line in found["lines"]:
        year = years.setdefault(
            line["year"], {"year": line["year"], **dict.fromkeys(_SUMS, ZERO)}
        )
        year["voted"] += line["cp"]
        year["committed"] += line["committed"]
        year["spent"] += line["paid"]
    listed = [years[y] for y in sorted(years)]
    return {
        "ap_voted": found["ap_voted"],
        "ap": found["ap"],
        "years": listed,
        **{k: sum((y[k] for y in listed), ZERO) for k in _SUMS},
    }


_SUMS = ("voted", "committed", "spent")


def decisions(
    store: ViewStore, fields: Collection[str], **filters: Any
) -> list[dict[str, Any]]:
    """The COPIL's decisions, newest first: date, session, project, outcome, AP
    granted, and (if published) the vote counts, rationale and conditions."""
    titles = {r.code: r.title for r in portfolio_rows(store)}
    out = []
    for d in reversed(q.decision_history(store, **filters)):
        item: dict[str, Any] = {
            "date": d["session_date"],
            "session": d["session"],
            "proposal": d["proposal"],
            "title": titles.get(d["proposal"], d["proposal"]),
            "outcome": d["outcome"],
            "ap": d["ap"],
        }
        _published(item, d, fields)
        if "decision.conditions" in fields:
            item["conditions"] = d["conditions"]
        out.append(item)
    return out


def _published(
    item: dict[str, Any], d: dict[str, Any], fields: Collection[str]
) -> None:
    """The vote counts and the rationale of decision ``d``, if published."""
    if "decision.votes" in fields:
        item["votes"] = {
            "for": d["votes_for"],
            "against": d["votes_against"],
            "abstain": d["abstentions"],
            "present": d["present_voting"],
        }
    if "decision.rationale" in fields:
        item["rationale"] = d["rationale"]


def grid_decisions(store: ViewStore, fields: Collection[str]) -> list[dict[str, Any]]:
    """The COPIL's decisions on adopting a value grid, newest first: date, session,
    grid version, adopted or not, and (if published) the vote counts and rationale."""
    out = []
    for d in reversed(_grid_history(store)):
        item: dict[str, Any] = {
            "date": d["session_date"],
            "session": d["session"],
            "grid_version": d["number"],
            "adopted": d["adopted"],
        }
        _published(item, d, fields)
        out.append(item)
    return out
