"""Reading the budget view: envelopes, project lines and their totals, a project's
budget, and the BP/DM movements."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from domain.entities import MAIN
from projections.paging import Page, matching, order_by
from projections.records import document, eur, fetch, select
from projections.views.budget.tables import BudgetLineRow, EnvelopeRow, MoveRow

if TYPE_CHECKING:
    from projections.store import ViewStore

MONEY_FIELDS = ("cp", "allocated", "committed", "paid", "available")
# Where each field of a budget line is read from (lines l, project budgets b, proposals p).
_LINE = {
    **{c: f"p.{c}" for c in ("title", "pole", "direction", "axis", "status")},
    **{c: f"b.{c}" for c in ("ap_initial_c", "ap_c")},
}


# An envelope's amounts consolidated over the entities (each entity votes its own).
_CONSOLIDATED = {
    c: f"CAST(SUM({c}) AS BIGINT)"
    for c in ("bp_c", "dm_c", "total_c", "allocated_c", "overrides")
}


def envelope_rows(
    store: ViewStore, year: int | None = None, entity: str | None = None
) -> list[EnvelopeRow]:
    """The envelopes of ``entity``, or consolidated over every entity (None)."""
    where, params = [], []
    for col, value in (("year", year), ("entity", entity)):
        if value is not None:
            where.append(f"{col} = ?")
            params.append(value)
    clause = " WHERE " + " AND ".join(where) if where else ""
    if entity is not None:
        sql = f"SELECT {select(EnvelopeRow)} FROM {{envelopes}}{clause}"
    else:
        sql = (
            f"SELECT {select(EnvelopeRow, **_CONSOLIDATED)} FROM {{envelopes}}"
            f"{clause} GROUP BY year, section"
        )
    return fetch(store, EnvelopeRow, sql + " ORDER BY year, section", params)


def envelopes(
    store: ViewStore, year: int | None = None, entity: str | None = None
) -> list[dict[str, Any]]:
    """Envelopes per year and section: BP, DM, total, allocated, available,
    overrides — of one entity, or consolidated (``entity`` None)."""
    return [r.as_dict() for r in envelope_rows(store, year, entity)]


_FROM = (
    "FROM {project_lines} l JOIN {project_budgets} b ON b.proposal = l.proposal "
    "JOIN {proposals} p ON p.code = l.proposal"
)
# One entity's share of the lines: ``entity_lines`` carries the AP shares too.
_FROM_ENTITY = (
    "FROM {entity_lines} l JOIN {project_budgets} b ON b.proposal = l.proposal "
    "JOIN {proposals} p ON p.code = l.proposal"
)


def _source(filters: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """Where the lines are read: every project's whole lines (consolidated), or
    one entity's share of them (``entity`` in ``filters``)."""
    if filters.get("entity") is None:
        return _FROM, _LINE
    ap = {c: f"l.{c}" for c in ("ap_initial_c", "ap_c")}
    return _FROM_ENTITY, {**_LINE, **ap}


_LINE_ORDER = "l.year, l.section, p.pole, p.axis, l.proposal"
# The sort keys of the lines (``sort``) and of the projects: the column of each.
LINE_SORTS = {
    "proposal": "l.proposal",
    "year": "l.year",
    "section": "l.section",
    "pole": "p.pole",
    "direction": "p.direction",
    "axis": "p.axis",
    "cp": "l.cp_c",
    "committed": "l.committed_c",
    "paid": "l.paid_c",
    "available": "(l.cp_c - l.committed_c)",
}
PROJECT_SORTS = {
    "proposal": "l.proposal",
    "title": "MAX(p.title)",
    "pole": "MAX(p.pole)",
    "status": "MAX(p.status)",
    "ap_voted": "MAX(b.ap_initial_c)",
    "ap_current": "MAX(b.ap_c)",
    "cp": "SUM(l.cp_c)",
    "committed": "SUM(l.committed_c)",
    "paid": "SUM(l.paid_c)",
    "available": "SUM(l.cp_c - l.committed_c)",
}


def _where(
    *,
    year: int | None = None,
    section: str | None = None,
    pole: str | None = None,
    axis: str | None = None,
    direction: str | None = None,
    proposal: str | None = None,
    search: str | None = None,
    entity: str | None = None,
) -> tuple[str, list[Any]]:
    where, params = [], []
    for col, value in (
        ("l.entity", entity),
        ("l.year", year),
        ("l.section", section),
        ("p.pole", pole),
        ("p.axis", axis),
        ("p.direction", direction),
        ("l.proposal", proposal),
    ):
        if value is not None:
            where.append(f"{col} = ?")
            params.append(value)
    found, fp = matching("p.search", search)  # the project's folded text
    where += found
    params += fp
    return (" WHERE " + " AND ".join(where) if where else ""), params


def budget_line_rows(store: ViewStore, **filters: Any) -> list[BudgetLineRow]:
    where, params = _where(**filters)
    source, line = _source(filters)
    return fetch(
        store,
        BudgetLineRow,
        f"SELECT {select(BudgetLineRow, 'l', **line)} {source}{where} ORDER BY {_LINE_ORDER}",
        params,
    )


def budget_lines(store: ViewStore, **filters: Any) -> list[dict[str, Any]]:
    """One row per project × year × section, with pôle, direction and axis."""
    return [r.as_dict() for r in budget_line_rows(store, **filters)]


def budget_lines_page(
    store: ViewStore, page: Page, **filters: Any
) -> tuple[list[dict[str, Any]], int, Page]:
    """One page of :func:`budget_lines` (sorted by ``page.sort``, a key of
    :data:`LINE_SORTS`), the number of lines, and the page read."""
    where, params = _where(**filters)
    source, line = _source(filters)
    order = order_by(page.sort, LINE_SORTS, _LINE_ORDER)
    rows = store.fetchall(
        f"SELECT {select(BudgetLineRow, 'l', **line)}, COUNT(*) OVER () {source}{where} "
        f"ORDER BY {order} LIMIT ? OFFSET ?",
        [*params, page.size, page.offset],
    )
    if not rows and page.number > 1:
        count = int(store.fetchall(f"SELECT COUNT(*) {source}{where}", params)[0][0])
        if count:
            return budget_lines_page(store, page.clamped(count), **filters)
        return [], 0, Page(1, page.size, page.sort)
    count = int(rows[0][-1]) if rows else 0
    return [BudgetLineRow(*r[:-1]).as_dict() for r in rows], count, page


def budget_consumption(store: ViewStore, **filters: Any) -> dict[str, Any]:
    """Lines, envelopes and totals per year × section, pôle, axis and overall (to the cent)."""
    lines = budget_lines(store, **filters)
    return {
        "lines": lines,
        "envelopes": _envelopes(store, filters),
        **budget_totals(lines),
    }


def _envelopes(store: ViewStore, filters: dict[str, Any]) -> list[dict[str, Any]]:
    env = envelopes(store, filters.get("year"), filters.get("entity"))
    if filters.get("section"):
        env = [e for e in env if e["section"] == filters["section"]]
    return env


def budget_summary(
    store: ViewStore, page: Page, **filters: Any
) -> tuple[dict[str, Any], int, Page]:
    """:func:`budget_consumption` with one page of its lines: the envelopes, and the
    totals summed by the database over every line (:func:`summed_totals`); the
    number of lines and the page read."""
    lines, count, read = budget_lines_page(store, page, **filters)
    data = {"lines": lines, "envelopes": _envelopes(store, filters)}
    return {**data, **summed_totals(store, **filters)}, count, read


def _money(cp: int, committed: int, paid: int) -> dict[str, Decimal]:
    return {
        "cp": eur(cp),
        "allocated": eur(cp),
        "committed": eur(committed),
        "paid": eur(paid),
        "available": eur(cp - committed),
    }  # type: ignore[dict-item]


def summed_totals(store: ViewStore, **filters: Any) -> dict[str, Any]:
    """:func:`budget_totals` computed by the database: SUM … GROUP BY on the lines'
    integer cents, per year × section, pôle, axis, direction and overall, in one
    statement."""
    where, params = _where(**filters)
    source, _line = _source(filters)
    sums = "SUM(l.cp_c), SUM(l.committed_c), SUM(l.paid_c)"
    levels = (
        ("year_section", "CAST(l.year AS TEXT) || '/' || l.section"),
        ("pole", "p.pole"),
        ("axis", "COALESCE(p.axis, '-')"),
        ("direction", "p.direction"),
        ("all", "''"),
    )
    sql = " UNION ALL ".join(
        f"SELECT '{level}', {key}, {sums} {source}{where} GROUP BY {key}"
        if level != "all"
        else f"SELECT '{level}', {key}, {sums} {source}{where}"
        for level, key in levels
    )
    totals: dict[str, dict[str, dict[str, Decimal]]] = {
        level: {} for level, _key in levels[:-1]
    }
    overall = _money(0, 0, 0)
    for level, key, cp, committed, paid in store.fetchall(sql, params * len(levels)):
        if cp is None:  # no line: the overall row of nothing
            continue
        money = _money(int(cp), int(committed), int(paid))
        if level == "all":
            overall = money
        else:
            totals[level][key] = money
    return {"totals": totals, "total": overall}


def budget_projects(
    store: ViewStore, page: Page, **filters: Any
) -> tuple[list[dict[str, Any]], int, Page]:
    """AP/CP per project, one page of them (sorted by ``page.sort``, a key of
    :data:`PROJECT_SORTS`; default: by code), summed by the database; the number
    of projects and the page read."""
    where, params = _where(**filters)
    source, line = _source(filters)
    order = order_by(page.sort, PROJECT_SORTS, "l.proposal")
    rows = store.fetchall(
        "SELECT l.proposal, MAX(p.title), MAX(p.status), MAX(p.pole), MAX(p.direction), "
        f"MAX({line['ap_initial_c']}), MAX({line['ap_c']}), SUM(l.cp_c), SUM(l.committed_c), "
        "SUM(l.paid_c), MAX(l.override_alloc), MAX(l.override_commit), "
        f"MAX(l.override_pay), COUNT(*) OVER () {source}{where} "
        f"GROUP BY l.proposal ORDER BY {order} LIMIT ? OFFSET ?",
        [*params, page.size, page.offset],
    )
    if not rows and page.number > 1:
        count = int(
            store.fetchall(
                f"SELECT COUNT(DISTINCT l.proposal) {source}{where}", params
            )[0][0]
        )
        if count:
            return budget_projects(store, page.clamped(count), **filters)
        return [], 0, Page(1, page.size, page.sort)
    out = []
    for r in rows:
        code, title, status, pole, direction, ap0, ap, cp, com, paid = r[:10]
        flags = zip(("allocation", "commitment", "payment"), r[10:13], strict=True)
        out.append(
            {
                "proposal": code,
                "title": title,
                "status": status,
                "pole": pole,
                "direction": direction,
                "ap_voted": eur(ap0),
                "ap_current": eur(ap),
                "overrides": {kind for kind, flag in flags if flag},
                **_money(int(cp), int(com), int(paid)),
            }
        )
    return out, (int(rows[0][-1]) if rows else 0), page


def budget_totals(lines: list[dict[str, Any]]) -> dict[str, Any]:
    """Totals of budget lines per year × section, pôle, axis, direction and overall."""
    totals: dict[str, dict[str, dict[str, Decimal]]] = {
        "year_section": {},
        "pole": {},
        "axis": {},
        "direction": {},
    }
    overall = {f: Decimal("0.00") for f in MONEY_FIELDS}
    for line in lines:
        keys = {
            "year_section": f"{line['year']}/{line['section']}",
            "pole": line["pole"],
            "axis": line["axis"] or "-",
            "direction": line["direction"],
        }
        for level, key in keys.items():
            bucket = totals[level].setdefault(
                key, {f: Decimal("0.00") for f in MONEY_FIELDS}
            )
            for f in MONEY_FIELDS:
                bucket[f] += line[f]
        for f in MONEY_FIELDS:
            overall[f] += line[f]
    return {"totals": totals, "total": overall}


def project_budget(store: ViewStore, code: str) -> dict[str, Any] | None:
    """A project's AP, CP lines, commitments and payments."""
    doc = document(
        store, "SELECT doc FROM {project_budgets} WHERE proposal = ?", (code,)
    )
    if doc is None:
        return None
    return {
        "ap_voted": eur(doc["ap_initial_c"]),
        "ap": eur(doc["ap_c"]),
        "session": doc["session"],
        "imputations": dict(doc.get("imputations", {})),
        "revisions": [{**r, "ap": eur(r["ap_c"])} for r in doc["revisions"]],
        "lines": budget_lines(store, proposal=code),
        "commitments": [
            {
                "reference": ref,
                "year": c["year"],
                "section": c["section"],
                "amount": eur(c["amount_c"]),
                "paid": eur(c["paid_c"]),
                "on": c["on"],
                "supplier": c["supplier"],
                "override_reason": c["override_reason"],
                "position": c["position"],
            }
            for ref, c in sorted(doc["commitments"].items())
        ],
        "payments": [
            {
                "reference": ref,
                "commitment": x["commitment"],
                "amount": eur(x["amount_c"]),
                "on": x["on"],
                "override_reason": x["override_reason"],
                "position": x["position"],
            }
            for ref, x in sorted(doc["payments"].items())
        ],
    }


def budget_moves(store: ViewStore) -> list[dict[str, Any]]:
    """BP and DM movements, in ledger order."""
    return [
        r.as_dict()
        for r in fetch(
            store,
            MoveRow,
            f"SELECT {select(MoveRow)} FROM {{envelope_moves}} ORDER BY position",
        )
    ]


def entities(store: ViewStore) -> list[dict[str, Any]]:
    """The entities the plan covers: the municipality first (code ``MAIN``, its
    name and SIREN as defined), then the others by code, with their status."""
    town = document(store, "SELECT doc FROM {municipality} WHERE id = 'municipality'")
    plan = document(store, "SELECT doc FROM {plan} WHERE id = 'plan'")
    name = (town or {}).get("name") or (plan or {}).get("municipality") or ""
    out = [
        {
            "code": MAIN,
            "name": name,
            "kind": "commune",
            "siren": (town or {}).get("siren", ""),
            "status": "open",
            "main": True,
        }
    ]
    rows = store.fetchall(
        "SELECT code, name, kind, siren, status FROM {entities} ORDER BY code"
    )
    for code, ename, kind, siren, status in rows:
        out.append(
            {
                "code": code,
                "name": ename,
                "kind": kind,
                "siren": siren,
                "status": status,
                "main": False,
            }
        )
    return out
