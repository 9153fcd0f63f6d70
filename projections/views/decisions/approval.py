"""The envelopes an approval would draw on, for the decision form: for each year and
section of the CP the chair entered (or, before any is entered, of the proposal's
estimated costs), the envelope's total, what is already allocated, what the approval
asks and what would remain — the figures the ledger's envelope rule
(``domain.arbitration.envelope_conflict``) checks when the decision is recorded."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from domain.arbitration import envelope_conflict, envelope_left
from domain.entities import MAIN
from projections.records import CENT, document
from projections.views.budget.queries import envelopes

if TYPE_CHECKING:
    from projections.store import ViewStore


def approval_envelopes(
    store: ViewStore, code: str, cp: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """One row per year and section: ``total``, ``allocated``, ``available``,
    ``requested``, ``left`` (euros; ``None`` where no envelope is voted),
    ``exceeded`` and ``source`` (``"cp"``: the CP entered; ``"estimate"``: the
    proposal's estimated costs, shown before any CP is entered)."""
    doc = document(store, "SELECT doc FROM {proposals} WHERE code = ?", (code,))
    if doc is None:
        return []
    asked: dict[tuple[int, str], Decimal] = {}
    source = "cp" if cp else "estimate"
    if cp:
        for line in cp:
            key = (int(line["year"]), str(line["section"]))
            asked[key] = asked.get(key, Decimal(0)) + Decimal(str(line["amount"]))
    else:
        for cost in doc.get("costs", []):
            key = (int(cost["year"]), str(cost["section"]))
            amount = Decimal(int(cost["amount_c"])) / 100
            asked[key] = asked.get(key, Decimal(0)) + amount
    by_key = {(e["year"], e["section"]): e for e in entity_envelopes(store, doc)}
    out = []
    for (year, section), requested in sorted(asked.items()):
        requested = requested.quantize(CENT)
        env = by_key.get((year, section))
        row: dict[str, Any] = {
            "year": year,
            "section": section,
            "requested": requested,
            "source": source,
            "total": None,
            "allocated": None,
            "available": None,
            "left": None,
            "exceeded": False,
        }
        if env is not None:
            row.update(
                total=env["total"],
                allocated=env["allocated"],
                available=env["available"],
                left=envelope_left(env["total"], env["allocated"], requested),
                exceeded=envelope_conflict(
                    year, section, env["total"], env["allocated"], requested
                )
                is not None,
            )
        out.append(row)
    return out


def entity_envelopes(
    store: ViewStore, proposal: dict[str, Any]
) -> list[dict[str, Any]]:
    """The envelopes of the entity ``proposal``'s direction belongs to: those the
    ledger's rule checks an approval against (not the territory's consolidated
    total)."""
    direction = document(
        store,
        "SELECT doc FROM {directions} WHERE code = ?",
        (proposal.get("direction"),),
    )
    return envelopes(store, None, (direction or {}).get("entity") or MAIN)
