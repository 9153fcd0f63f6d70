"""The AP/CP annex of the budget document (état des AP/CP), as XLSX and PDF/A.

Per AP (one per approved project): the AP voted, the AP as revised, the CP of each
year, what is paid to date and what remains to finance (AP revised minus paid), with
the M57 imputation of the project and a total line. The figures are the budget view's
own, to the cent. With an entity (``--entity``, ``entity=``), that entity's share of
each programme (split by the largest remainder, as the budget by entity); without,
the consolidated annex, which adds a recap by entity when the plan covers several
(each entity's totals and the consolidated row, their sum to the cent).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain.values import BUDGET_READERS, Role
from exports import pdf
from exports.base import Exporter, ExportRequest, ExportSource, Snapshot
from exports.entity_rows import apcp_entity_table, entity_name, only, table_grid
from exports.french import money
from exports.rows import Column, Table
from exports.tabular import xlsx
from projections import queries as q

TITLE = "État des autorisations de programme et crédits de paiement (AP/CP)"
TOTAL = "Total"


def columns(years: list[int]) -> tuple[Column, ...]:
    """The annex's columns: the AP, its imputation, one CP column per year."""
    return (
        Column("proposal", "N° d'AP (projet)", width=14),
        Column("chapter", "Chapitre M57", width=9),
        Column("nature", "Article M57 (nature)", width=10),
        Column("fonction", "Fonction M57", width=9),
        Column("operation", "Opération", width=10),
        Column("ap_voted", "AP votée", "money", width=16),
        Column("revisions", "Révisions", "int", width=9),
        Column("ap_revised", "AP révisée", "money", width=16),
        *(Column(f"cp_{y}", f"CP {y}", "money", width=15) for y in years),
        Column("paid", "Mandaté à ce jour", "money", width=16),
        Column("remaining", "Reste à financer", "money", width=16),
    )


def rows(annex: dict[str, Any]) -> list[tuple[Any, ...]]:
    """One row per AP, then the total (``None`` for a year without CP)."""
    years = annex["years"]
    out: list[tuple[Any, ...]] = [
        (
            r["proposal"],
            r["chapter"],
            r["nature"],
            r["fonction"],
            r["operation"],
            r["ap_voted"],
            r["revisions"],
            r["ap_revised"],
            *(r["cp"].get(y) for y in years),
            r["paid"],
            r["remaining"],
        )
        for r in annex["rows"]
    ]
    t = annex["total"]
    out.append(
        (
            TOTAL,
            "",
            "",
            "",
            "",
            t["ap_voted"],
            None,
            t["ap_revised"],
            *(t["cp"][y] for y in years),
            t["paid"],
            t["remaining"],
        )
    )
    return out


class APCPAnnexExporter(Exporter):
    """The état des AP/CP that finance includes in the budget document."""

    name = "apcp"
    label = "Annexe AP/CP (état des autorisations de programme)"
    description = (
        "Par AP : montant voté, révisé, CP par exercice, mandaté à ce jour et reste "
        "à financer, avec l'imputation M57 ; ligne de total. Consolidée (avec un "
        "récapitulatif par entité) ou la part d'une entité."
    )
    formats = ("xlsx", "pdf")
    roles = Role.names(BUDGET_READERS)

    def write(
        self, source: ExportSource, snapshot: Snapshot, request: ExportRequest
    ) -> bytes:
        entities = q.entities(snapshot.store)
        who = entity_name(entities, request.entity) or snapshot.municipality
        annex = q.apcp_annex(snapshot.store, request.entity)
        cols = columns(annex["years"])
        body = rows(annex)
        recap = None
        if request.entity is None and len(entities) > 1:
            recap = apcp_entity_table(snapshot.store, entities, annex)
        subject = f"Registre SDSI, position {snapshot.position}"
        if request.format == "xlsx":
            table = Table(
                "apcp",
                "État des AP-CP",
                cols,
                body,
                emphasis=lambda row: row[0] == TOTAL,
            )
            return xlsx(
                [table, *([recap] if recap else [])],
                title=f"{TITLE} — {who}",
                subject=subject,
            )
        return _pdf(who, cols, body, subject, recap)


def _cell(column: Column, value: Any) -> str:
    if value is None:
        return ""
    if column.kind == "money":
        return money(Decimal(value))
    return str(value)


def _pdf(
    who: str,
    cols: tuple[Column, ...],
    body: list[tuple[Any, ...]],
    subject: str,
    recap: Table | None,
) -> bytes:
    """Two tables on a portrait page: the APs (imputation, voted, revised, paid,
    remaining), then their CP per year, at most ``YEARS_PER_TABLE`` years a table;
    then the recap by entity, if any, laid out the same way."""
    st = pdf.styles()
    width = pdf.CONTENT_WIDTH
    by_key = {c.key: i for i, c in enumerate(cols)}
    main = ("ap_voted", "ap_revised", "paid", "remaining")
    header = ["AP (projet)", "Imputation M57", *(cols[by_key[k]].header for k in main)]
    lines = [
        [
            str(row[0]),
            _imputation(row),
            *(_cell(cols[by_key[k]], row[by_key[k]]) for k in main),
        ]
        for row in body
    ]
    bold = [len(lines) - 1]
    story: list[Any] = [
        pdf.para(TITLE, st.title),
        pdf.para(f"{who} — {subject}", st.subtitle),
        pdf.grid(header, lines, [width / 6] * 6, right=[2, 3, 4, 5], bold_rows=bold),
        pdf.space(),
    ]
    years = [c for c in cols if c.key.startswith("cp_")]
    for start in range(0, len(years), YEARS_PER_TABLE):
        chunk = years[start : start + YEARS_PER_TABLE]
        n = len(chunk) + 1
        story.append(pdf.para("Crédits de paiement par exercice", st.h2))
        story.append(
            pdf.grid(
                ["AP (projet)", *(c.header for c in chunk)],
                [
                    [str(row[0]), *(_cell(c, row[by_key[c.key]]) for c in chunk)]
                    for row in body
                ],
                [width / n] * n,
                right=list(range(1, n)),
                bold_rows=bold,
            )
        )
        story.append(pdf.space())
    if recap is not None:
        story += _recap(recap)
    story.append(
        pdf.para(
            "Reste à financer : AP révisée moins le mandaté à ce jour. Montants en "
            "euros, au centime, tels que le registre les tient.",
            st.small,
        )
    )
    return pdf.build(
        story,
        title=TITLE,
        municipality=who,
        footer=subject,
        subject=subject,
    )


YEARS_PER_TABLE = 6


def _recap(recap: Table) -> list[Any]:
    """The AP/CP by entity: totals, then CP per year, each row an entity and the
    last the consolidated one."""
    st = pdf.styles()
    width = pdf.CONTENT_WIDTH
    main = ("entity", "name", "ap_voted", "ap_revised", "paid", "remaining")
    out: list[Any] = [
        pdf.para("Récapitulatif par entité", st.h2),
        table_grid(only(recap, main), [width / 6] * 6),
        pdf.space(),
    ]
    years = [c.key for c in recap.columns if c.key.startswith("cp_")]
    for start in range(0, len(years), YEARS_PER_TABLE):
        chunk = ["entity", *years[start : start + YEARS_PER_TABLE]]
        out.append(pdf.para("Crédits de paiement par entité et par exercice", st.h2))
        out.append(table_grid(only(recap, chunk), [width / len(chunk)] * len(chunk)))
        out.append(pdf.space())
    return out


def _imputation(row: tuple[Any, ...]) -> str:
    """``21/2183 f. 020 op. 101``: chapter/article, fonction, operation."""
    out = "/".join(v for v in row[1:3] if v)
    if row[3]:
        out += f" f. {row[3]}"
    if row[4]:
        out += f" op. {row[4]}"
    return out.strip()
