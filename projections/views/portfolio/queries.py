"""Reading the portfolio view: the ranked list of proposals and everything about one."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from projections.paging import Page, matching, order_by
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


# The portfolio's sort keys (``sort``): the column each one orders by.
SORTS = {
    "rank": "q.rank",
    "code": "q.code",
    "title": "q.title",
    "direction": "q.direction",
    "pole": "q.pole",
    "status": "q.status",
    "value": "q.value_x100",
    "risk": "q.risk_x100",
    "evaluators": "q.evaluators",
    "cost_investment": "q.cost_inv_c",
    "ap": "q.ap_c",
    "progress": "q.progress_x100",
}
_BY_VALUE = (
    "CASE WHEN q.value_x100 IS NULL THEN 1 ELSE 0 END, q.value_x100 DESC, q.code"
)


def _ranked(
    *,
    members: Collection[str] | None = None,
    status: str | None = None,
    pole: str | None = None,
    direction: str | None = None,
    axis: str | None = None,
    year: int | None = None,
    grid_version: int | None = None,
    search: str | None = None,
) -> tuple[str, list[Any]]:
    """The statement of the ranked, filtered proposals (alias ``q``, no ORDER BY):
    ranked among ``members`` (a plan's own proposals; ``None``: every one).
    ``search``: words that the code, title, direction, description or legal basis
    must all contain (case and accents ignored); the rank stays among all."""
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
    if members is not None:
        codes = sorted(members) or [""]
        base += f" WHERE p.code IN ({', '.join('?' * len(codes))})"
        params += codes
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
    found, fp = matching("s.search", search)
    if found:
        where.append(
            f"q.code IN (SELECT s.code FROM {{proposals}} s WHERE {' AND '.join(found)})"
        )
        wp += fp
    sql = f"FROM ({ranked}) q" + (" WHERE " + " AND ".join(where) if where else "")
    return sql, params + wp


def portfolio_rows(store: ViewStore, **filters: Any) -> list[ProposalRow]:
    """Proposals with status, estimates, value, risk and rank; filters combine (AND)."""
    body, params = _ranked(**filters)
    sql = f"SELECT {select(ProposalRow, 'q')} {body} ORDER BY {_BY_VALUE}"
    return fetch(store, ProposalRow, sql, params)


def portfolio(store: ViewStore, **filters: Any) -> list[dict[str, Any]]:
    """:func:`portfolio_rows` in their public form (``ProposalRow.as_dict``)."""
    return [r.as_dict() for r in portfolio_rows(store, **filters)]


def portfolio_page(
    store: ViewStore, page: Page, **filters: Any
) -> tuple[list[dict[str, Any]], int, Page]:
    """One page of :func:`portfolio` sorted by ``page.sort`` (a key of
    :data:`SORTS`; default: by value), the number of matching proposals, and the
    page read (the last one if ``page`` is beyond it)."""
    body, params = _ranked(**filters)
    order = order_by(page.sort, SORTS, _BY_VALUE)
    sql = (
        f"SELECT {select(ProposalRow, 'q')}, COUNT(*) OVER () {body} "
        f"ORDER BY {order} LIMIT ? OFFSET ?"
    )
    rows = store.fetchall(sql, [*params, page.size, page.offset])
    if not rows and page.number > 1:  # beyond the last page: count, read the last
        count = int(store.fetchall(f"SELECT COUNT(*) {body}", params)[0][0])
        if count == 0:
            return [], 0, Page(1, page.size, page.sort)
        return portfolio_page(store, page.clamped(count), **filters)
    count = int(rows[0][-1]) if rows else 0
    return [ProposalRow(*r[:-1]).as_dict() for r in rows], count, page


def portfolio_sorted(
    store: ViewStore, sort: str | None, **filters: Any
) -> list[dict[str, Any]]:
    """Every proposal :func:`portfolio_page` would list, on one page: the same
    filters, search and ``sort`` (the portfolio's export)."""
    body, params = _ranked(**filters)
    order = order_by(sort, SORTS, _BY_VALUE)
    sql = f"SELECT {select(ProposalRow, 'q')} {body} ORDER BY {order}"
    return [r.as_dict() for r in fetch(store, ProposalRow, sql, params)]


def titles(store: ViewStore, codes: Collection[str]) -> dict[str, str]:
    """The title of each proposal of ``codes`` (those known)."""
    wanted = sorted(codes)
    if not wanted:
        return {}
    marks = ", ".join("?" * len(wanted))
    rows = store.fetchall(
        f"SELECT code, title FROM {{proposals}} WHERE code IN ({marks})", wanted
    )
    return {code: title for code, title in rows}


def value_risk_points(store: ViewStore, **filters: Any) -> list[tuple[Any, ...]]:
    """The chart's points, straight from the typed columns: (code, title, status,
    value_x100, risk_x100) of each filtered proposal that has both scores."""
    body, params = _ranked(**filters)
    return store.fetchall(
        "SELECT c.code, c.title, c.status, c.value_x100, c.risk_x100 FROM ("
        f"SELECT q.code, q.title, q.status, q.value_x100, q.risk_x100 {body}) c "
        "WHERE c.value_x100 IS NOT NULL AND c.risk_x100 IS NOT NULL ORDER BY c.code",
        params,
    )


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
