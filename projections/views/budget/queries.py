"""Reading the budget view: envelopes, project lines and their totals, a project's
budget, and the BP/DM movements."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

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


def envelope_rows(store: ViewStore, year: int | None = None) -> list[EnvelopeRow]:
    return fetch(
        store,
        EnvelopeRow,
        f"SELECT {select(EnvelopeRow)} FROM {{envelopes}}"
        + (" WHERE year = ?" if year is not None else "")
        + " ORDER BY year, section",
        (year,) if year is not None else (),
    )


def envelopes(store: ViewStore, year: int | None = None) -> list[dict[str, Any]]:
    """Envelopes per year and section: BP, DM, total, allocated, available, overrides."""
    return [r.as_dict() for r in envelope_rows(store, year)]


def budget_line_rows(
    store: ViewStore,
    *,
    year: int | None = None,
    section: str | None = None,
    pole: str | None = None,
    axis: str | None = None,
    direction: str | None = None,
    proposal: str | None = None,
) -> list[BudgetLineRow]:
    sql = (
        f"SELECT {select(BudgetLineRow, 'l', **_LINE)} "
        "FROM {project_lines} l JOIN {project_budgets} b ON b.proposal = l.proposal "
        "JOIN {proposals} p ON p.code = l.proposal"
    )
    where, params = [], []
    for col, value in (
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
    return fetch(
        store,
        BudgetLineRow,
        sql
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY l.year, l.section, p.pole, p.axis, l.proposal",
        params,
    )


def budget_lines(store: ViewStore, **filters: Any) -> list[dict[str, Any]]:
    """One row per project × year × section, with pôle, direction and axis."""
    return [r.as_dict() for r in budget_line_rows(store, **filters)]


def budget_consumption(store: ViewStore, **filters: Any) -> dict[str, Any]:
    """Lines, envelopes and totals per year × section, pôle, axis and overall (to the cent)."""
    lines = budget_lines(store, **filters)
    year = filters.get("year")
    env = envelopes(store, year)
    if filters.get("section"):
        env = [e for e in env if e["section"] == filters["section"]]
    return {"lines": lines, "envelopes": env, **budget_totals(lines)}


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
