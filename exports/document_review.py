"""The register of the document review (phase 2) as CSV (French convention) or XLSX:
one row per document of the register as its page shows it (searched and filtered),
with the axes it informs and the proposals and findings citing it."""

from __future__ import annotations

from typing import Any

from domain.reviewed_documents import KIND_LABELS
from exports.rows import Column, Table
from exports.tabular import french_csv, xlsx

COLUMNS = (
    Column("code", "Code", width=10),
    Column("kind", "Nature", width=16),
    Column("date", "Date", width=12),
    Column("author", "Auteur", width=30),
    Column("title", "Titre", width=40),
    Column("summary", "Résumé", width=50),
    Column("axes", "Axes", width=14),
    Column("proposals", "Fiches qui le citent", width=20),
    Column("findings", "Constats qui le citent", width=20),
    Column("status", "État", width=10),
)
STATUS = {"current": "au registre", "withdrawn": "retiré"}


def register_table(documents: list[dict[str, Any]]) -> Table:
    rows = [
        (
            d["code"],
            KIND_LABELS[d["kind"]],
            d["date"],
            d["author"],
            d["title"],
            d["summary"],
            ", ".join(d["axes"]),
            ", ".join(d["proposals"]),
            ", ".join(d["findings"]),
            STATUS[d["status"]],
        )
        for d in documents
    ]
    return Table(
        name="revue-documentaire",
        title="Revue documentaire",
        columns=COLUMNS,
        rows=rows,
        description="Registre des documents examinés par le SDSI (phase 2).",
    )


def render(documents: list[dict[str, Any]], fmt: str) -> bytes:
    """CSV (French convention: ``;``, BOM) or XLSX."""
    table = register_table(documents)
    if fmt == "csv":
        return french_csv(table)
    return xlsx([table], title="Revue documentaire")
