"""Reading the portfolio view: the ranked list of proposals and everything about one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from projections.records import document, fetch, select
from projections.views.audit.queries import audit_trail
from projections.views.budget.queries import project_budget
from projections.views.decisions.queries import decision_history
from projections.views.portfolio.tables import ProposalRow, RevisionRow

if TYPE_CHECKING:
    from projections.store import ViewStore

_RANK = (
    "CASE WHEN r.value_x100 IS NULL THEN NULL ELSE RANK() OVER "
    "(ORDER BY CASE WHEN r.value_x100 IS NULL THEN 1 ELSE 0 END, r.value_x100 DESC) END"
)


def portfolio_rows(
    store: ViewStore,
    *,
    status: str | None = None,
    pole: str | None = None,
    direction: str | None = None,
    axis: str | None = None,
    year: int | None = None,
    grid_version: int | None = None,
) -> list[ProposalRow]:
    """Proposals with status, estimates, value, risk and rank; filters combine (AND)."""
    if grid_version is None:
        base = f"SELECT {select(ProposalRow, 'p', skip=('rank',))} FROM {{proposals}} p"
        params: list[Any] = []
    else:
        values = {
            c: f"v.{c}"
            for c in ("value_x100", "risk_x100", "grid_version", "evaluators")
        }
        base = (
            f"SELECT {select(ProposalRow, 'p', skip=('rank',), **values)} FROM {{proposals}} p "
            "JOIN {proposal_values} v ON v.proposal = p.code AND v.grid_version = ?"
        )
        params = [grid_version]
    ranked = f"SELECT {select(ProposalRow, 'r', rank=_RANK)} FROM ({base}) r"
    where, wp = [], []
    for col, value in (("status", status), ("pole", pole), ("direction", direction)):
        if value:
            where.append(f"q.{col} = ?")
            wp.append(value)
    if axis:
        where.append("q.code IN (SELECT proposal FROM {proposal_axes} WHERE axis = ?)")
        wp.append(axis)
    if year is not None:
        where.append("q.code IN (SELECT proposal FROM {proposal_years} WHERE year = ?)")
        wp.append(year)
    sql = f"SELECT {select(ProposalRow, 'q')} FROM ({ranked}) q" + (
        " WHERE " + " AND ".join(where) if where else ""
    )
    sql += " ORDER BY CASE WHEN q.value_x100 IS NULL THEN 1 ELSE 0 END, q.value_x100 DESC, q.code"
    return fetch(store, ProposalRow, sql, params + wp)


def portfolio(store: ViewStore, **filters: Any) -> list[dict[str, Any]]:
    """:func:`portfolio_rows` in their public form (``ProposalRow.as_dict``)."""
    return [r.as_dict() for r in portfolio_rows(store, **filters)]


def revisions(store: ViewStore, code: str) -> list[RevisionRow]:
    return fetch(
        store,
        RevisionRow,
        f"SELECT {select(RevisionRow)} FROM {{revisions}} WHERE proposal = ? ORDER BY position",
        (code,),
    )


def proposal(store: ViewStore, code: str) -> dict[str, Any] | None:
    """Everything about one proposal: revisions, scores, decisions, budget, timeline."""
    doc = document(store, "SELECT doc FROM {proposals} WHERE code = ?", (code,))
    if doc is None:
        return None
    doc["revisions"] = [r.as_dict() for r in revisions(store, code)]
    doc["score_history"] = score_history(doc)
    doc["decision_records"] = decision_history(store, proposal=code)
    doc["budget"] = project_budget(store, code)
    doc["timeline"] = audit_trail(store, aggregate=code, limit=500)["events"]
    return doc  # type: ignore[no-any-return]


def score_history(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Every score of a proposal's document, superseded ones too, in ledger order."""
    history = []
    for key, s in doc["scores"].items():
        rev, grid, crit, evaluator = key.split("/", 3)
        for entry, current in [*((h, False) for h in s["history"]), (s, True)]:
            history.append(
                {
                    "position": entry["position"],
                    "revision": int(rev),
                    "grid_version": int(grid),
                    "evaluator": evaluator,
                    "criterion": crit,
                    "level": entry["level"],
                    "justification": entry["justification"],
                    "at": entry["at"],
                    "current": current,
                    "stale": int(rev) != doc["revision"],
                }
            )
    return sorted(history, key=lambda h: h["position"])
