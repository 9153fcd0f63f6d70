"""Finance export: budget consumption per project × year × section (CSV and XLSX)."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.values import BUDGET_READERS, Role
from exports.base import (
    Exporter,
    ExportRequest,
    ExportSource,
    Snapshot,
)
from exports.entity_rows import entity_name, entity_table
from exports.rows import Names, budget_table, envelope_table, summary_table
from exports.tabular import french_csv, xlsx
from projections import plan_scope
from projections import queries as q


def _moment(snapshot: Snapshot) -> datetime | None:
    if not snapshot.at:
        return None
    return datetime.fromisoformat(snapshot.at.replace("Z", "+00:00")).astimezone(UTC)


class BudgetExporter(Exporter):
    """AP, CP, allocations, commitments and payments, with subtotals and totals."""

    name = "budget"
    label = "Consommation budgétaire (AP/CP, engagements, mandats)"
    description = (
        "Une ligne par projet, exercice et section : AP votée et révisions, CP de "
        "l'exercice, alloué, engagé, mandaté, disponible, dérogations ; sous-totaux "
        "par exercice et section, total général."
    )
    formats = ("csv", "xlsx")
    roles = Role.names(BUDGET_READERS)

    def write(
        self, source: ExportSource, snapshot: Snapshot, request: ExportRequest
    ) -> bytes:
        rm = source.read_model
        entities = q.entities(snapshot.store)
        who = entity_name(entities, request.entity)
        filters = {"entity": request.entity} if request.entity else {}
        shown, data = plan_scope.budget(
            snapshot.store,
            rm.store,
            plan_scope.position_asked(rm, request.as_of),
            **filters,
        )
        names = Names.read(snapshot.store)
        plan = (
            f" — {shown.plan['name']} ({shown.plan['first_year']}–"
            f"{shown.plan['last_year']})"
            if shown.plan
            else ""
        )
        table = budget_table(data, names, q.imputations(snapshot.store))
        if request.format == "csv":
            return french_csv(table)
        sheets = [table, envelope_table(data), summary_table(data, names)]
        if request.entity is None and len(entities) > 1:
            sheets.append(entity_table(snapshot.store, entities, data))
        return xlsx(
            sheets,
            title=f"Consommation budgétaire — {who or snapshot.municipality}{plan}",
            subject=f"Registre SDSI, position {snapshot.position}",
            created=_moment(snapshot),
        )
