"""The portfolio as the page lists it, for a spreadsheet: one line per proposal, with
the page's filters, search and sort, every page at once (``/portefeuille.csv`` and
``/portefeuille.xlsx``). The rows are ``projections.queries.portfolio_sorted``'s."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from exports.french import STATUSES, label
from exports.rows import Column, Names, Table
from exports.tabular import french_csv, xlsx

PORTFOLIO_COLUMNS = (
    Column("rank", "Rang", "int", width=7),
    Column("code", "Fiche", width=14),
    Column("title", "Intitulé", width=40),
    Column("direction", "Direction", width=10),
    Column("direction_name", "Libellé de la direction", width=30),
    Column("pole", "Pôle", width=7),
    Column("status", "Statut", width=14),
    Column("mandatory", "Obligatoire", "bool", width=11),
    Column("value", "Valeur (0–100)", "decimal", width=10),
    Column("risk", "Risque (0–100)", "decimal", width=10),
    Column("grid_version", "Version de grille", "int", width=9),
    Column("evaluators", "Évaluateurs", "int", width=10),
    Column("cost_investment", "Coût d'investissement", "money"),
    Column("cost_operating", "Coût de fonctionnement", "money"),
    Column("ap", "AP", "money"),
    Column("progress", "Avancement (%)", "decimal", width=10),
    Column("first_year", "Première année", "int", width=9),
    Column("last_year", "Dernière année", "int", width=9),
)


def portfolio_rows(
    rows: Iterable[dict[str, Any]], names: Names
) -> Iterator[tuple[Any, ...]]:
    for r in rows:
        yield (
            r["rank"],
            r["code"],
            r["title"],
            r["direction"],
            names.directions.get(r["direction"], ""),
            r["pole"],
            label(STATUSES, r["status"]),
            r["mandatory"],
            r["value"],
            r["risk"],
            r["grid_version"],
            r["evaluators"],
            r["cost_investment"],
            r["cost_operating"],
            r["ap"],
            r["progress"],
            r["first_year"],
            r["last_year"],
        )


def portfolio_table(rows: list[dict[str, Any]], names: Names) -> Table:
    return Table(
        "portefeuille",
        "Portefeuille",
        PORTFOLIO_COLUMNS,
        list(portfolio_rows(rows, names)),
        description="Les fiches du portefeuille, filtrées et triées comme la page.",
    )


def render(rows: list[dict[str, Any]], names: Names, fmt: str) -> bytes:
    """The portfolio's rows as a French CSV (``;``, decimal comma) or a workbook."""
    table = portfolio_table(rows, names)
    if fmt == "csv":
        return french_csv(table)
    return xlsx([table], title="Portefeuille", subject=table.description)
