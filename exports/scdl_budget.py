"""The budget lines of the plan's projects in the national SCDL ``budget`` schema.

The schema is pinned in ``exports/schemas/budget-scdl.schema.json`` (SCDL budget
0.8.1): the file gives the columns, in order; the code fills them. One row per
project × year × section that carries an M57 imputation (``BGT_CONTNAT`` the article,
``BGT_NATURE`` the chapter, both required by the schema: a line not imputed yet is
left out). The step is the voted budget (``budget primitif``): ``BGT_MTPREV`` and
``BGT_CREDOUV`` are the line's CP, ``BGT_MTREAL`` what is paid on it to date. Like
the SCDL deliberations, it needs the municipality's SIRET and never makes one up.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from domain.m57 import nomenclature
from exports.open_tables import MissingSiret, shipped_schema
from exports.rows import Column, Table
from projections import queries as q
from projections import reference_queries as rq
from projections.store import ViewStore

DATASET = "budget-scdl"
_KINDS = {"string": "text", "year": "int", "number": "money"}


def scdl_budget_columns() -> tuple[Column, ...]:
    """The pinned schema's fields as columns, in its order."""
    return tuple(
        Column(
            f["name"],
            f["title"],
            _KINDS[f["type"]],
            f["description"],
            required=f["constraints"]["required"],
        )
        for f in shipped_schema(DATASET)["fields"]
    )


def _label(field: str, code: str) -> str:
    return (
        nomenclature().label(field, code) or f"Code {code} (hors nomenclature livrée)"
    )


def scdl_budget_table(store: ViewStore, municipality: str) -> Table:
    """The imputed budget lines as SCDL budget rows (raises :class:`MissingSiret`
    when there are such lines and no SIRET is defined)."""
    imputations = q.imputations(store)
    lines = [
        (ln, imp)
        for ln in q.budget_lines(store)
        if (
            imp := q.line_imputation(imputations.get(ln["proposal"], {}), ln["section"])
        )
    ]
    siret = (rq.municipality(store) or {}).get("siret") or ""
    if lines and not siret:
        raise MissingSiret()

    def rows() -> Iterator[tuple[Any, ...]]:
        for ln, imp in lines:
            fonction = imp.get("fonction") or ""
            yield (
                "budget primitif",
                ln["year"],
                siret,
                municipality,
                imp["nature"],
                _label("nature", imp["nature"]),
                imp["chapter"],
                _label("chapter", imp["chapter"]),
                fonction,
                _label("fonction", fonction) if fonction else "",
                imp.get("operation") or "",
                ln["section"],
                "réel",
                "dépense",
                ln["paid"],
                None,
                None,
                None,
                ln["cp"],
                ln["cp"],
                None,
                "",
            )

    return Table(
        DATASET,
        "Budget des projets au schéma national SCDL",
        scdl_budget_columns(),
        rows(),
        description=shipped_schema(DATASET)["description"],
    )
