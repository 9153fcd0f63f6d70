"""The budget and the AP/CP annex by entity: each entity's figures (its share of the
shared projects) and the consolidated row they add up to, to the cent — as a sheet
of the finance exports and as a table of the PDFs."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from exports import pdf
from exports.base import UnknownEntity
from exports.french import money
from exports.rows import Column, Table
from projections import queries as q
from projections.store import ViewStore

CONSOLIDATED = "Consolidé"
ZERO = Decimal("0.00")
MONEY = ("cp", "committed", "paid", "available")
_WHO = (
    Column("entity", "Entité", width=14),
    Column("name", "Nom", width=36),
    Column("siren", "SIREN", width=12),
)
ENTITY_COLUMNS = (
    *_WHO,
    Column("envelope", "Enveloppes votées", "money", width=18),
    Column("cp", "CP", "money", width=18),
    Column("committed", "Engagé", "money", width=18),
    Column("paid", "Mandaté", "money", width=18),
    Column("available", "Disponible", "money", width=18),
)


def entity_name(entities: list[dict[str, Any]], entity: str | None) -> str:
    """The entity's name (its code if it has none), or "" for the consolidated
    figures; an entity unknown at that moment is refused (:class:`UnknownEntity`)."""
    if entity is None:
        return ""
    found = next((e for e in entities if e["code"] == entity), None)
    if found is None:  # unknown then: no empty budget passed off as its own
        raise UnknownEntity(entity)
    return found["name"] or entity


def _table(name: str, title: str, columns: Sequence[Column], rows: list[Any]) -> Table:
    return Table(
        name,
        title,
        tuple(columns),
        rows,
        emphasis=lambda row: row[0] == CONSOLIDATED,
    )


def entity_table(
    store: ViewStore, entities: list[dict[str, Any]], consolidated: dict[str, Any]
) -> Table:
    """One row per entity (its share of the shared projects), then the consolidated
    total, which equals their sum."""
    rows = []
    for e in entities:
        data = q.budget_consumption(store, entity=e["code"])
        envelope = sum((x["total"] for x in data["envelopes"]), ZERO)
        rows.append(
            (
                e["code"],
                e["name"],
                e["siren"],
                envelope,
                *(data["total"][f] for f in MONEY),
            )
        )
    envelope = sum((x["total"] for x in consolidated["envelopes"]), ZERO)
    rows.append(
        (
            CONSOLIDATED,
            "",
            "",
            envelope,
            *(consolidated["total"][f] for f in MONEY),
        )
    )
    return _table("entites", "Budget par entité", ENTITY_COLUMNS, rows)


def apcp_entity_columns(years: list[int]) -> tuple[Column, ...]:
    """The annex's recap by entity: AP voted and revised, CP per year, paid,
    remaining."""
    return (
        *_WHO,
        Column("ap_voted", "AP votée", "money", width=16),
        Column("ap_revised", "AP révisée", "money", width=16),
        *(Column(f"cp_{y}", f"CP {y}", "money", width=15) for y in years),
        Column("paid", "Mandaté à ce jour", "money", width=16),
        Column("remaining", "Reste à financer", "money", width=16),
    )


def apcp_entity_table(
    store: ViewStore, entities: list[dict[str, Any]], annex: dict[str, Any]
) -> Table:
    """Each entity's AP/CP totals (its share of every programme), then the
    consolidated annex's total, which equals their sum to the cent."""
    years = annex["years"]

    def row(code: str, name: str, siren: str, t: dict[str, Any]) -> tuple[Any, ...]:
        return (
            code,
            name,
            siren,
            t["ap_voted"],
            t["ap_revised"],
            *(t["cp"].get(y, ZERO) for y in years),
            t["paid"],
            t["remaining"],
        )

    rows = [
        row(e["code"], e["name"], e["siren"], q.apcp_annex(store, e["code"])["total"])
        for e in entities
    ]
    rows.append(row(CONSOLIDATED, "", "", annex["total"]))
    return _table("apcp-entites", "AP-CP par entité", apcp_entity_columns(years), rows)


def table_grid(table: Table, widths: Sequence[float]) -> Any:
    """``table`` as a PDF grid: euros in French, the consolidated row in bold."""
    body = [
        [
            money(v) if c.kind == "money" else ("" if v is None else str(v))
            for c, v in zip(table.columns, row, strict=True)
        ]
        for row in table.rows
    ]
    bold = [i for i, r in enumerate(body) if r[0] == CONSOLIDATED]
    return pdf.grid(
        [c.header for c in table.columns],
        body,
        widths,
        right=[i for i, c in enumerate(table.columns) if c.kind == "money"],
        bold_rows=bold,
    )


def only(table: Table, keys: Sequence[str]) -> Table:
    """``table`` with only the columns ``keys``, in that order (rows re-read: pass
    a table whose rows are a list)."""
    at = {c.key: i for i, c in enumerate(table.columns)}
    return Table(
        table.name,
        table.title,
        tuple(table.columns[at[k]] for k in keys),
        [tuple(row[at[k]] for k in keys) for row in table.rows],
        emphasis=table.emphasis,
    )
