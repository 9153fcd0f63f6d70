"""The finance export's sheet of the budget by entity: each entity's CP, committed,
paid and available, and the consolidated total they add up to, to the cent."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from exports.rows import Column, Table
from projections import queries as q
from projections.store import ViewStore

MONEY = ("cp", "committed", "paid", "available")
ENTITY_COLUMNS = (
    Column("entity", "Entité", width=14),
    Column("name", "Nom", width=36),
    Column("siren", "SIREN", width=12),
    Column("envelope", "Enveloppes votées", "money", width=18),
    Column("cp", "CP", "money", width=18),
    Column("committed", "Engagé", "money", width=18),
    Column("paid", "Mandaté", "money", width=18),
    Column("available", "Disponible", "money", width=18),
)


def entity_table(
    store: ViewStore, entities: list[dict[str, Any]], consolidated: dict[str, Any]
) -> Table:
    """One row per entity (its share of the shared projects), then the consolidated
    total, which equals their sum."""
    rows = []
    for e in entities:
        data = q.budget_consumption(store, entity=e["code"])
        envelope = sum((x["total"] for x in data["envelopes"]), Decimal("0.00"))
        rows.append(
            (
                e["code"],
                e["name"],
                e["siren"],
                envelope,
                *(data["total"][f] for f in MONEY),
            )
        )
    envelope = sum((x["total"] for x in consolidated["envelopes"]), Decimal("0.00"))
    rows.append(
        (
            "Consolidé",
            "",
            "",
            envelope,
            *(consolidated["total"][f] for f in MONEY),
        )
    )
    return Table(
        "entites",
        "Budget par entité",
        ENTITY_COLUMNS,
        rows,
        emphasis=lambda row: row[0] == "Consolidé",
    )
