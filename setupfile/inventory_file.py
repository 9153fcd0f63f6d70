"""Importing the inventory of the information system from a spreadsheet.

The file is one CSV (``;``, UTF-8) or an XLSX workbook whose sheet ``inventaire`` (or
its first sheet other than ``aide``) holds one component per row under French
headers (:data:`SHEET`, documented in ``docs/diagnosis.md``). Every cell is checked
with the ledger's rules and every owner direction against the ledger: the result is
the lines to send — a new component, or a changed one — or, if any cell is wrong,
every error by line and column and nothing to send. :func:`apply` sends all the
lines in one ledger command (all or nothing), with the import as its reason. A line
equal to the inventory sends nothing: importing the same file twice writes nothing.

What the file does not say is left alone: an import never retires a component nor
touches the assessments.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook

from domain.errors import DomainError, InvalidValue
from domain.inventory import SCALES, Application, description, level, users
from domain.organisation import Direction
from domain.values import Origin, code, money, record_date, text
from ledger.core import Caller
from setupfile.sheets import (
    FileRefused,
    Issue,
    Row,
    Sheet,
    _escape,
    _rows,
    csv_table,
    xlsx_table,
)

# column → the description field it fills
COLUMNS = {
    "code": "code",
    "type": "kind",
    "nom": "name",
    "direction": "direction",
    "editeur": "supplier",
    "technologie": "technology",
    "version": "product_version",
    "fin_de_support": "end_of_support",
    "utilisateurs": "users",
    "cout_annuel": "annual_cost",
    "criticite": "criticality",
}
FIELD_COLUMNS = {v: k for k, v in COLUMNS.items()}
SHEET = Sheet(
    "inventaire",
    tuple(COLUMNS),
    ("code", "nom", "criticite"),
    "Applications et composants d'infrastructure du système d'information",
)
HELP = {
    "code": "identifiant court, unique (lettres, chiffres, _ . -)",
    "type": "application (défaut) ou infrastructure",
    "nom": "nom du composant (obligatoire)",
    "direction": "code de la direction propriétaire (facultatif)",
    "editeur": "éditeur ou fournisseur",
    "technologie": "technologie principale",
    "version": "version en service",
    "fin_de_support": "date de fin de support : AAAA-MM-JJ ou JJ/MM/AAAA (années "
    "1900 à 2100)",
    "utilisateurs": "nombre d'utilisateurs (entier)",
    "cout_annuel": "coût annuel en euros, au centime (12500,50 ou 12500.50)",
    "criticite": "1 faible, 2 moyenne, 3 élevée, 4 vitale (chiffre ou mot)",
}
KINDS = {"application": "application", "infrastructure": "infrastructure", "infra": "infrastructure"}  # fmt: skip
DATE_FORMATS = "date au format AAAA-MM-JJ ou JJ/MM/AAAA attendue"
_FRENCH_DATE = re.compile(r"([0-9]{2})/([0-9]{2})/([0-9]{4})")
_SPACES = re.compile(r"[\s\u00a0\u202f]")


@dataclass
class Line:
    """One line to send: a new component or a change of one."""

    row: int
    code: str
    change: bool
    values: dict[str, Any]

    def __str__(self) -> str:
        verb = "modifie" if self.change else "crée"
        return f"inventaire, ligne {self.row} : {verb} {self.code}"


@dataclass
class InventoryPlan:
    """What importing a file would do, or why it is refused."""

    source: str
    errors: list[Issue] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def reason(self) -> str:
        return f"Import de l'inventaire du SI {self.source}"

    def report(self) -> list[str]:
        if self.errors:
            return [str(e) for e in self.errors]
        return [str(line) for line in self.lines] or ["rien à changer"]


# --- reading -------------------------------------------------------------------------


def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def read(data: bytes, filename: str) -> tuple[list[Row], list[Issue]]:
    """The rows of an inventory file given as bytes (CSV or XLSX, told by its
    content), and what is wrong with its layout."""
    issues: list[Issue] = []
    if data[:2] == b"PK":
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds for a broken file
            raise FileRefused(f"{filename} : classeur XLSX illisible") from None
        try:
            names = [n for n in book.sheetnames if n != "aide"]
            name = SHEET.name if SHEET.name in names else (names[0] if names else None)
            if name is None:
                raise FileRefused(f"{filename} : aucune feuille « inventaire »")
            table = xlsx_table(
                book[name], f"{filename}, feuille {name}", cell=_xlsx_cell
            )
            rows = _rows(SHEET, table, issues)
        finally:
            book.close()
        return rows, issues
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRefused(
            f"{filename} : le fichier n'est ni un classeur XLSX ni un CSV en UTF-8 "
            "(enregistrez-le en « CSV UTF-8 »)"
        ) from None
    delimiter = ";" if text.split("\n", 1)[0].count(";") else ","
    return _rows(SHEET, csv_table(text, delimiter, filename), issues), issues


# --- checking ------------------------------------------------------------------------


def _date(value: str, column: str, kept: date | None = None) -> date:
    """JJ/MM/AAAA or AAAA-MM-JJ (a date cell of a spreadsheet arrives as the
    latter), years 1900 to 2100 — or ``kept``, the component's date now."""
    m = _FRENCH_DATE.fullmatch(value)
    if m:
        try:
            return record_date(date(int(m[3]), int(m[2]), int(m[1])), column, kept)
        except ValueError:
            pass
    try:
        return record_date(value, column, kept)
    except InvalidValue as exc:
        reason = exc.params["reason"]
        if reason.startswith("date au format"):
            reason = DATE_FORMATS
        raise InvalidValue(column, value, reason) from None


def _amount(value: str, column: str) -> Any:
    return money(_SPACES.sub("", value).replace(",", "."), column)


def _kind(value: str, column: str) -> str:
    found = KINDS.get(value.strip().lower() or "application")
    if found is None:
        raise InvalidValue(column, value, "application ou infrastructure")
    return found


def _criticality(value: str, column: str) -> int:
    names = {v: k for k, v in SCALES["criticality"].items()}
    try:
        return level(names.get(value.strip().lower(), value), "criticality")
    except InvalidValue as exc:
        raise InvalidValue(column, value, exc.params["reason"]) from None


def _text(limit: int, required: bool = False) -> Any:
    def check(value: str, column: str) -> str:
        return text(value, column, max_len=limit, required=required)

    return check


def _users(value: str, column: str) -> int:
    if not (value.isascii() and value.isdigit()):
        raise InvalidValue(column, value, "nombre entier positif attendu")
    return users(value)


# column → how its cell is read (an empty optional cell is not checked)
CHECKS: dict[str, Any] = {
    "code": code,
    "type": _kind,
    "nom": _text(200, required=True),
    "direction": code,
    "editeur": _text(200),
    "technologie": _text(200),
    "version": _text(60),
    "fin_de_support": _date,
    "utilisateurs": _users,
    "cout_annuel": _amount,
    "criticite": _criticality,
}


def plan_bytes(ledger: Any, data: bytes, filename: str) -> InventoryPlan:
    """Read and check an inventory file; nothing is written."""
    rows, issues = read(data, filename)
    return plan_rows(ledger, rows, filename, issues)


def plan_file(ledger: Any, path: Path) -> InventoryPlan:
    return plan_bytes(ledger, path.read_bytes(), path.name)


def _current(ledger: Any, cell: str) -> Application | None:
    """The component of the code ``cell`` names, if the code is valid and known."""
    try:
        key = CHECKS["code"](cell, "code")
    except DomainError:
        return None
    return ledger.load(Application, Application.id_for(key)) if key else None  # type: ignore[no-any-return]


def plan_rows(
    ledger: Any, rows: list[Row], source: str, issues: list[Issue] | None = None
) -> InventoryPlan:
    """Plan the import of rows already read (see :func:`plan_bytes`)."""
    out = InventoryPlan(source, errors=list(issues or []))
    seen: set[str] = set()
    for row in rows:
        errors: list[Issue] = []

        def error(column: str, message: str) -> None:
            errors.append(Issue(SHEET.name, row.number, column, message))  # noqa: B023

        current = _current(ledger, row.cells.get("code", ""))
        kept = current.end_of_support if current is not None else None
        raw: dict[str, Any] = {}
        for column, name in COLUMNS.items():
            value = row.cells.get(column, "")
            if value == "" and column not in SHEET.required:
                raw[name] = None
                continue
            try:
                if column == "fin_de_support":
                    raw[name] = _date(value, column, kept)
                else:
                    raw[name] = CHECKS[column](value, column)
            except DomainError as exc:
                error(column, exc.params.get("reason", exc.message))
        key = raw.get("code")
        if key is not None and key in seen:
            error("code", f"{key} figure deux fois dans le fichier")
        seen.add(key or "")
        if raw.get("direction"):
            found = ledger.load(Direction, Direction.id_for(raw["direction"]))
            if found is None:
                error("direction", f"direction inconnue : {raw['direction']}")
            elif found.closed_at is not None:
                error("direction", f"la direction {raw['direction']} est fermée")
        if current is not None and current.retired_at is not None:
            error("code", f"{key} est retiré de l'inventaire : plus rien ne le modifie")
        values = None
        if not errors:
            try:
                values = description(raw, kept)
            except DomainError as exc:  # pragma: no cover - the cells were checked
                error(FIELD_COLUMNS.get(exc.field or "", ""), exc.message)
        out.errors.extend(errors)
        if errors or values is None or key is None:
            continue
        if current is None:
            out.lines.append(Line(row.number, key, False, values))
        elif current.state() != values:
            out.lines.append(Line(row.number, key, True, values))
    if out.errors:
        out.lines = []
    return out


def apply_inventory(ledger: Any, plan: InventoryPlan, caller: Caller) -> dict[str, Any]:
    """Send the planned lines in one ledger command (nothing when there are none):
    the codes ``created`` and ``changed``, and the command's ``notification_id``."""
    if not plan.ok:
        raise ValueError("a refused import is not applied")
    if not plan.lines:
        return {"created": [], "changed": [], "notification_id": None}
    stamped = Caller(
        actor=caller.actor,
        origin=caller.origin or Origin.CLI,
        reason=plan.reason,
        key=caller.key,
    )
    lines = [{"code": line.code, **_jsonable(line.values)} for line in plan.lines]
    result = ledger.import_inventory(stamped, lines)
    return {**result.data, "notification_id": result.notification_id}


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    out["kind"] = out["kind"].value
    out["annual_cost"] = format(out["annual_cost"], "f")
    out["end_of_support"] = (
        out["end_of_support"].isoformat() if out["end_of_support"] else None
    )
    return out


# --- writing -------------------------------------------------------------------------


def current_rows(ledger_apps: list[dict[str, Any]]) -> list[list[str]]:
    """The inventory (the views' current components) as the file's rows."""
    return [
        [
            a["code"],
            a["kind"],
            a["name"],
            a["direction"] or "",
            a["supplier"],
            a["technology"],
            a["product_version"],
            a["end_of_support"] or "",
            "" if a["users"] is None else str(a["users"]),
            format(a["annual_cost"], "f"),
            str(a["criticality"]),
        ]
        for a in ledger_apps
    ]


def template_xlsx(rows: list[list[str]] | None = None) -> bytes:
    """The template: an ``aide`` sheet describing each column, then ``inventaire``."""
    book = Workbook()
    help_sheet = book.active
    help_sheet.title = "aide"
    help_sheet.append(["colonne", "contenu", "obligatoire"])
    for column in SHEET.columns:
        help_sheet.append(
            [column, HELP[column], "oui" if column in SHEET.required else "non"]
        )
    ws = book.create_sheet(SHEET.name)
    ws.append(list(SHEET.columns))
    for line in rows or []:
        ws.append(line)
        for cell in ws[ws.max_row]:
            cell.data_type = "s"  # text, never a formula
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def template_csv(rows: list[list[str]] | None = None) -> bytes:
    """The template as one CSV (``;``, UTF-8 with BOM)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(SHEET.columns)
    writer.writerows([_escape(c) for c in line] for line in rows or [])
    return buffer.getvalue().encode("utf-8-sig")
