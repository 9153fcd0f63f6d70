"""The envelopes an approval would draw on, for the decision form: for each year and
section of the CP the chair entered (or, before any is entered, of the proposal's
estimated costs) and for each entity of the proposal's split, the entity's envelope
— its total, what is already allocated, the entity's share of what the approval asks
and what would remain. The split and the rule are the ledger's: the proposal's cost
split (else wholly its direction's entity, ``split_of``), each line split to the cent
(``domain.entities.split_amount``) and each share checked against its entity's
envelope by ``domain.budget.allocation_conflict``, as ``Envelope.conflict`` does when
the decision is recorded."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from domain.arbitration import Conflict, envelope_left
from domain.budget import allocation_conflict
from domain.entities import split_amount
from projections.records import CENT, document
from projections.views.budget.entities import split_of
from projections.views.budget.queries import entities, envelopes

if TYPE_CHECKING:
    from projections.store import ViewStore

ZERO = Decimal(0)


def approval_envelopes(
    store: ViewStore, code: str, cp: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """One row per year, section and entity of the split: ``entity``,
    ``entity_name``, ``percent``, ``line`` (the whole CP line), ``requested`` (the
    entity's share of it), ``total``, ``allocated``, ``available``, ``left``
    (euros; ``None`` where the entity voted no envelope), ``exceeded``, ``closed``
    (the entity is closed: the ledger refuses the approval, field ``shares``) and
    ``source`` (``"cp"``: the CP entered; ``"estimate"``: the proposal's estimated
    costs, shown before any CP is entered)."""
    return [row for row, _conflict in envelope_shares(store, code, cp)]


def envelope_shares(
    store: ViewStore, code: str, cp: list[dict[str, Any]] | None = None
) -> list[tuple[dict[str, Any], Conflict | None]]:
    """The rows of :func:`approval_envelopes`, each with the conflict the ledger
    would raise on that entity's envelope (``None``: none)."""
    doc = document(store, "SELECT doc FROM {proposals} WHERE code = ?", (code,))
    if doc is None:
        return []
    asked: dict[tuple[int, str], Decimal] = {}
    source = "cp" if cp else "estimate"
    if cp:
        for line in cp:
            key = (int(line["year"]), str(line["section"]))
            asked[key] = asked.get(key, ZERO) + Decimal(str(line["amount"]))
    else:
        for cost in doc.get("costs", []):
            key = (int(cost["year"]), str(cost["section"]))
            amount = Decimal(int(cost["amount_c"])) / 100
            asked[key] = asked.get(key, ZERO) + amount
    shares = approval_shares(store, doc)
    known = entities(store)
    names = {e["code"]: e["name"] for e in known}
    closed = {e["code"] for e in known if e["status"] == "closed"}
    voted = {
        entity: {(e["year"], e["section"]): e for e in envelopes(store, None, entity)}
        for entity in shares
    }
    out = []
    for (year, section), line in sorted(asked.items()):
        line = line.quantize(CENT)
        for entity, requested in split_amount(line, shares).items():
            row: dict[str, Any] = {
                "year": year,
                "section": section,
                "entity": entity,
                "entity_name": names.get(entity, entity),
                "percent": shares[entity],
                "line": line,
                "requested": requested,
                "source": source,
                "total": None,
                "allocated": None,
                "available": None,
                "left": None,
                "exceeded": False,
                # the ledger refuses an approval that gives a closed entity a share
                "closed": entity in closed,
            }
            env = voted[entity].get((year, section))
            conflict = None
            if env is not None:
                # a proposal not approved yet has no allocation of its own
                conflict = allocation_conflict(
                    year,
                    section,
                    entity,
                    env["total"],
                    env["allocated"],
                    ZERO,
                    requested,
                )
                row.update(
                    total=env["total"],
                    allocated=env["allocated"],
                    available=env["available"],
                    left=envelope_left(env["total"], env["allocated"], requested),
                    exceeded=conflict is not None,
                )
            out.append((row, conflict))
    return out


def approval_shares(store: ViewStore, proposal: dict[str, Any]) -> dict[str, Decimal]:
    """The split an approval of ``proposal`` (its view document) applies: its cost
    split, or wholly its direction's entity — the envelopes the ledger's rule checks
    it against (not the territory's consolidated total)."""
    direction = document(
        store,
        "SELECT doc FROM {directions} WHERE code = ?",
        (proposal.get("direction"),),
    )
    return split_of(proposal, direction)
