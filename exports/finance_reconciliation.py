"""Reconciliation of the ledger with a finance software file: per project and year,
CP, committed and paid in the ledger against the file's totals (CSV and XLSX)."""

from __future__ import annotations

from typing import Any

from exports.rows import Column, Table
from exports.tabular import french_csv, xlsx

COLUMNS = (
    Column("project", "Projet", width=12),
    Column("year", "Exercice", "int", width=9),
    Column("cp", "CP de l'exercice", "money"),
    Column("committed", "Engagé (registre)", "money"),
    Column("file_committed", "Engagé (fichier)", "money"),
    Column("diff_committed", "Écart engagé", "money"),
    Column("paid", "Mandaté (registre)", "money"),
    Column("file_paid", "Mandaté (fichier)", "money"),
    Column("diff_paid", "Écart mandaté", "money"),
)


def reconciliation_table(rows: list[dict[str, Any]]) -> Table:
    """The report as a table; rows with a difference are emphasised."""
    keys = [c.key for c in COLUMNS]
    return Table(
        name="rapprochement",
        title="Rapprochement financier",
        columns=COLUMNS,
        rows=[tuple(r[k] for k in keys) for r in rows],
        emphasis=lambda row: bool(row[5] or row[8]),
        description="Registre contre fichier du logiciel financier, au centime.",
    )


def render(rows: list[dict[str, Any]], fmt: str) -> bytes:
    """CSV (French convention) or XLSX."""
    table = reconciliation_table(rows)
    if fmt == "csv":
        return french_csv(table)
    return xlsx([table], title="Rapprochement financier")
