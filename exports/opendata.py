"""Open data: the COPIL's decisions (in the national SCDL ``deliberations`` schema and
in full; its decisions on adopting a value grid apart), the projects of the plan, their budget, the named votes and the signed
checkpoints, in CSV or JSON, each with its Table Schema.

Each dataset has a Table Schema (frictionless) file shipped in ``exports/schemas``:
the SCDL deliberations schema as published (pinned version), and ours, generated from
the columns below (a test keeps the shipped files equal to them, and writes
them again under ``SDSI_WRITE_SCHEMAS=1``). Budget columns take the names of the national
SCDL budget schema (``scdl/budget``) where they mean the same thing. Personal data is
limited to officials acting in office: the chair and the voting members of the COPIL
(public minutes name them). Referents, evaluators, their scores and justifications
and every e-mail address are never published.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from typing import Any, ClassVar

from domain.publication import withheld_columns, withheld_datasets
from exports.base import (
    ALL_ROLES,
    Exporter,
    ExportError,
    ExportRequest,
    ExportSource,
    Snapshot,
)
from exports.integrity import checkpoints_until
from exports.open_budget import open_budget_table
from exports.open_grid import open_grid_decision_table
from exports.open_tables import (
    SCDL_DOCUMENTATION,
    SCHEMAS,
    MissingSiret,
    checkpoint_table,
    deliberation_table,
    project_table,
)
from exports.rows import (
    SCHEMA_TYPES,
    Names,
    Table,
    open_decision_table,
    open_vote_table,
)
from exports.scdl_budget import scdl_budget_table
from exports.tabular import dumps, open_csv, open_json

LICENCE = {
    "name": "etalab-2.0",
    "title": "Licence Ouverte / Open Licence version 2.0",
    "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
}
SCDL_BUDGET = {
    "title": "SCDL — Budget (schéma national des données essentielles du budget)",
    "path": "https://schema.data.gouv.fr/scdl/budget/",
}
SCDL_DELIBERATIONS = {
    "title": "SCDL — Délibérations 2.1.5 (schéma national des délibérations)",
    "path": SCDL_DOCUMENTATION,
}
SCDL_PROPERTY = "scdl/budget 0.8.1"
DATASETS = (
    "deliberations",
    "decisions",
    "decisions-grille",
    "projets",
    "budget",
    "budget-scdl",
    "votes",
    "points-de-controle",
)
PINNED = frozenset(
    {"deliberations", "budget-scdl"}
)  # national schemas, shipped as published
_ZIP_DATE = (2020, 1, 1, 0, 0, 0)


class Withheld(ExportError):
    """A dataset the municipality does not publish (``SDSI_PUBLIC_HIDE``)."""

    def __init__(self, dataset: str) -> None:
        self.dataset = dataset
        super().__init__(
            f"le jeu « {dataset} » n'est pas publié : la collectivité a choisi de "
            "ne pas diffuser les informations qu'il contient (SDSI_PUBLIC_HIDE)."
        )


def withheld(table: Table, hidden: frozenset[str]) -> Table:
    """``table`` with the columns of the ``hidden`` fields emptied (kept, so the
    file still matches its schema; none of them is required)."""
    blank = withheld_columns(hidden, table.name)
    if not blank:
        return table
    keep = [c.key not in blank for c in table.columns]
    rows = (
        tuple(v if k else None for v, k in zip(row, keep, strict=True))
        for row in table.rows
    )
    return replace(table, rows=rows)


def table_for(
    dataset: str,
    source: ExportSource,
    snapshot: Snapshot,
    names: Names,
    hidden: frozenset[str] = frozenset(),
) -> Table:
    """The open-data table of one dataset, as of the snapshot, without the
    ``hidden`` fields (the deliberations raise :class:`MissingSiret` while the
    municipality has no SIRET; a withheld dataset raises :class:`Withheld`)."""
    if dataset in withheld_datasets(hidden):
        raise Withheld(dataset)
    return withheld(_table(dataset, source, snapshot, names), hidden)


def _table(
    dataset: str, source: ExportSource, snapshot: Snapshot, names: Names
) -> Table:
    store = snapshot.store
    if dataset == "deliberations":
        return deliberation_table(store, names, snapshot.municipality)
    if dataset == "projets":
        return project_table(store, names)
    if dataset == "points-de-controle":
        return checkpoint_table(
            checkpoints_until(source.ledger, snapshot.ledger_position)
        )
    if dataset == "budget":
        return open_budget_table(store, names, snapshot.municipality)
    if dataset == "budget-scdl":
        return scdl_budget_table(store, snapshot.municipality)
    if dataset == "decisions":
        return open_decision_table(store, names)
    if dataset == "decisions-grille":
        return open_grid_decision_table(store, names)
    return open_vote_table(store, names)


def schema(table: Table) -> dict[str, Any]:
    """The Table Schema of a dataset: every column's name, type and meaning."""
    fields = []
    for c in table.columns:
        field: dict[str, Any] = {
            "name": c.key,
            "title": c.header,
            "type": SCHEMA_TYPES[c.kind],
            "description": c.description,
        }
        if c.kind in ("money", "decimal"):
            field["decimalChar"] = "."
            field["groupChar"] = ""
        if c.kind == "bool":
            field["trueValues"] = ["true"]
            field["falseValues"] = ["false"]
        if c.kind == "datetime":
            field["format"] = "any"
        constraints: dict[str, Any] = {}
        if c.required:
            constraints["required"] = True
        if c.enum:
            constraints["enum"] = list(c.enum)
        if constraints:
            field["constraints"] = constraints
        if c.scdl:
            field["scdl"] = SCDL_PROPERTY  # the SCDL budget property of this name
        fields.append(field)
    out: dict[str, Any] = {
        "$schema": "https://specs.frictionlessdata.io/schemas/table-schema.json",
        "name": table.name,
        "title": table.title,
        "description": table.description,
        "fields": fields,
        "missingValues": [""],
    }
    if table.name == "budget":
        out["sources"] = [SCDL_BUDGET]
    return out


def schema_bytes(table: Table) -> bytes:
    """The generated schema as the files in ``exports/schemas`` hold it."""
    return (dumps(schema(table), indent=2) + "\n").encode("utf-8")


def schema_file(dataset: str) -> bytes:
    """The shipped Table Schema of ``dataset`` (pinned national, or ours)."""
    if dataset not in DATASETS:
        raise KeyError(dataset)
    return (SCHEMAS / f"{dataset}.schema.json").read_bytes()


def _meta(snapshot: Snapshot, table: Table) -> dict[str, Any]:
    return {
        "dataset": table.name,
        "title": table.title,
        "publisher": snapshot.municipality,
        **{f"publisher_{k}": v for k, v in snapshot.identifiers.items()},
        "licence": LICENCE["title"],
        "ledger_position": snapshot.position,
        "data_as_of": snapshot.at,
        "schema": f"{table.name}.schema.json",
    }


def dataset_bytes(table: Table, fmt: str, snapshot: Snapshot) -> bytes:
    """One dataset in CSV (``,``, UTF-8) or JSON (``meta`` and ``data``)."""
    return open_csv(table) if fmt == "csv" else open_json(table, _meta(snapshot, table))


class OpenDataExporter(Exporter):
    """The whole open-data publication: every dataset, its schema, a data package."""

    name = "opendata"
    label = "Données ouvertes (délibérations SCDL, décisions, projets, budget, votes)"
    description = (
        "Archive ZIP : décisions au schéma national SCDL Délibérations et en "
        "détail, projets, budget (noms SCDL), votes nominatifs et points de "
        "contrôle en CSV ou JSON, avec le schéma de chaque fichier et un "
        "descripteur datapackage.json."
    )
    formats = ("csv", "json")
    roles = ALL_ROLES

    def extension(self, fmt: str) -> str:
        return "zip"

    def filename(self, request: ExportRequest, snapshot: Snapshot) -> str:
        base = super().filename(request, snapshot)
        return base.replace("opendata", f"opendata-{request.format}", 1)

    def write(
        self, source: ExportSource, snapshot: Snapshot, request: ExportRequest
    ) -> bytes:
        names = Names.read(snapshot.store)
        fmt = request.format
        out = io.BytesIO()
        resources = []
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for dataset in DATASETS:
                try:
                    table = table_for(dataset, source, snapshot, names, request.hidden)
                except MissingSiret:
                    continue  # never published with a made-up SIRET
                except Withheld:
                    continue  # the municipality does not publish it
                data = dataset_bytes(table, fmt, snapshot)
                _add(zf, f"{dataset}.{fmt}", data)
                _add(zf, f"{dataset}.schema.json", schema_file(dataset))
                resources.append(
                    {
                        "name": dataset,
                        "title": table.title,
                        "path": f"{dataset}.{fmt}",
                        "format": fmt,
                        "encoding": "utf-8",
                        "schema": f"{dataset}.schema.json",
                        **(
                            {"dialect": {"delimiter": ",", "header": True}}
                            if fmt == "csv"
                            else {}
                        ),
                    }
                )
            package = {
                "profile": "tabular-data-package" if fmt == "csv" else "data-package",
                "name": "sdsi-donnees-ouvertes",
                "title": f"Schéma directeur des SI — {snapshot.municipality}",
                "licenses": [LICENCE],
                "sources": [SCDL_DELIBERATIONS, SCDL_BUDGET],
                "ledger_position": snapshot.position,
                "data_as_of": snapshot.at,
                "resources": resources,
            }
            _add(zf, "datapackage.json", (dumps(package, indent=2) + "\n").encode())
        return out.getvalue()


def _add(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)  # same data, same bytes
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


class _OneDataset(Exporter):
    """One open-data dataset as a single file."""

    dataset: ClassVar[str] = ""
    formats = ("csv", "json")
    roles = ALL_ROLES

    def write(
        self, source: ExportSource, snapshot: Snapshot, request: ExportRequest
    ) -> bytes:
        names = Names.read(snapshot.store)
        table = table_for(self.dataset, source, snapshot, names, request.hidden)
        return dataset_bytes(table, request.format, snapshot)


class OpenDataDecisionsExporter(_OneDataset):
    """The decisions dataset alone."""

    name = "opendata-decisions"
    dataset = "decisions"
    label = "Données ouvertes : décisions du COPIL"
    description = "Une ligne par décision : votes, motif, AP et CP accordés."


class OpenDataGridDecisionsExporter(_OneDataset):
    """The decisions on adopting a value grid alone."""

    name = "opendata-decisions-grille"
    dataset = "decisions-grille"
    label = "Données ouvertes : décisions du COPIL sur la grille de valeur"
    description = "Une ligne par décision sur l'adoption d'une grille : votes, motif."


class OpenDataBudgetExporter(_OneDataset):
    """The budget dataset alone."""

    name = "opendata-budget"
    dataset = "budget"
    label = "Données ouvertes : budget des projets (SCDL)"
    description = "Une ligne par projet, exercice et section, colonnes SCDL budget."


class OpenDataSCDLBudgetExporter(_OneDataset):
    """The imputed budget lines in the national SCDL budget schema."""

    name = "opendata-budget-scdl"
    dataset = "budget-scdl"
    label = "Données ouvertes : budget (schéma national SCDL)"
    description = (
        "Une ligne par projet, exercice et section imputés en M57, au format SCDL "
        "Budget 0.8.1 (compte, chapitre, fonction, opération, CP votés, mandaté)."
    )


class OpenDataVotesExporter(_OneDataset):
    """The named votes dataset alone."""

    name = "opendata-votes"
    dataset = "votes"
    label = "Données ouvertes : votes nominatifs du COPIL"
    description = "Une ligne par vote exprimé en séance, votes remplacés compris."


class OpenDataDeliberationsExporter(_OneDataset):
    """The decisions in the national SCDL deliberations schema."""

    name = "opendata-deliberations"
    dataset = "deliberations"
    label = "Données ouvertes : délibérations (schéma national SCDL)"
    description = (
        "Une ligne par décision du COPIL au format SCDL Délibérations 2.1.5 "
        "(collectivité, SIRET, date, objet, décompte des votes)."
    )


class OpenDataProjectsExporter(_OneDataset):
    """The projects of the plan."""

    name = "opendata-projets"
    dataset = "projets"
    label = "Données ouvertes : projets du schéma directeur"
    description = (
        "Une ligne par projet approuvé : porteur, axe, statut (prévue, en cours, "
        "réalisée), avancement, AP accordée."
    )


class OpenDataCheckpointsExporter(_OneDataset):
    """The signed checkpoints of the ledger."""

    name = "opendata-points-de-controle"
    dataset = "points-de-controle"
    label = "Données ouvertes : points de contrôle signés du registre"
    description = (
        "Une ligne par point de contrôle signé : taille de l'arbre, racine, "
        "signature, pour vérifier le registre sans faire confiance au serveur."
    )
