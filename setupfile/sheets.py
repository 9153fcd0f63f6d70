"""The set-up file: one sheet per kind of record, as XLSX or as a directory of CSVs.

Each sheet has a header row naming its columns (in any order; unknown or repeated
columns are refused, and so is a cell beyond the last column); each following
non-empty row is one record. Cells are read as text (a number typed in a spreadsheet
comes back as its digits), so the rules that check them are the ledger's own
(``domain.values``). CSV files are UTF-8 (a file in another encoding is refused,
naming it). Text is written as text: in XLSX a string cell even when it starts with
``=`` (never a formula), in CSV with the exports' quote before ``= + - @``, taken
off again when read.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook

from exports.tabular import FORMULA_PREFIXES, escape_formula


@dataclass(frozen=True)
class Sheet:
    """A sheet: its name, its columns (required first) and what it holds."""

    name: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    description: str


SHEETS: tuple[Sheet, ...] = (
    Sheet("poles", ("code", "nom"), ("code", "nom"), "Pôles"),
    Sheet(
        "directions",
        ("code", "nom", "pole", "entite"),
        ("code", "nom", "pole"),
        "Directions (entite : le code de l'entité, vide pour la collectivité)",
    ),
    Sheet(
        "equipes",
        ("code", "nom", "type", "direction"),
        ("code", "nom", "type"),
        "Équipes DSI (type dsi) et métier (type metier, avec leur direction)",
    ),
    Sheet(
        "capacites",
        ("equipe", "annee", "jours"),
        ("equipe", "annee", "jours"),
        "Capacité des équipes, en jours-personne par an",
    ),
    Sheet("axes", ("code", "libelle", "description"), ("code", "libelle"), "Axes"),
    Sheet(
        "indicateurs",
        ("code", "axe", "libelle", "unite", "base", "cible", "annee_cible"),
        ("code", "axe", "libelle", "unite", "base", "cible", "annee_cible"),
        "Indicateurs de chaque axe",
    ),
    Sheet(
        "cibles",
        ("indicateur", "annee", "valeur"),
        ("indicateur", "annee", "valeur"),
        "Cibles des indicateurs par année",
    ),
    Sheet(
        "comptes",
        ("identifiant", "nom", "courriel", "roles"),
        ("identifiant", "nom"),
        "Comptes et rôles (séparés par des virgules : dsi, chair, member, "
        "evaluator, finance, auditor, consultant, admin, referent:DIRECTION)",
    ),
)
BY_NAME = {s.name: s for s in SHEETS}


@dataclass(frozen=True)
class Row:
    """One record of a sheet: its row number in the file and its cells (text)."""

    sheet: str
    number: int
    cells: dict[str, str]


@dataclass(frozen=True)
class Issue:
    """What is wrong in the file: sheet, row and column (0 and "" for the whole
    sheet or file), and why."""

    sheet: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = self.sheet
        if self.row:
            where += f", ligne {self.row}"
        if self.column:
            where += f", colonne {self.column}"
        return f"{where} : {self.message}"


class FileRefused(Exception):
    """The file cannot be read at all (not an XLSX, nor a directory of CSVs)."""


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _rows(
    sheet: Sheet, table: Iterable[Iterable[Any]], issues: list[Issue]
) -> list[Row]:
    lines = iter(table)
    header = [_cell(c) for c in next(lines, [])]
    while header and not header[-1]:
        header.pop()
    unknown = [h for h in header if h not in sheet.columns]
    for h in unknown:
        issues.append(Issue(sheet.name, 1, h, "colonne inconnue"))
    for h in sorted({h for h in header if h and header.count(h) > 1}):
        issues.append(Issue(sheet.name, 1, h, "colonne en double"))
    for col in sheet.required:
        if col not in header:
            issues.append(Issue(sheet.name, 1, col, "colonne manquante"))
    rows = []
    for number, line in enumerate(lines, start=2):
        cells = [_cell(c) for c in line]
        if not any(cells):
            continue
        beyond = [i + 1 for i, c in enumerate(cells) if c and i >= len(header)]
        if beyond:
            issues.append(Issue(sheet.name, number, "", f"cellule remplie hors des colonnes de l'en-tête (colonne n° {beyond[0]})"))  # fmt: skip
        rows.append(
            Row(
                sheet.name,
                number,
                {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header)},
            )
        )
    return rows


def csv_table(text: str, delimiter: str, source: str) -> list[list[str]]:
    """The cells of a CSV text, its formula quotes taken off; a text the CSV reader
    refuses (a cell beyond its size limit, a broken quote) is a :class:`FileRefused`
    naming ``source``, never an unexpected error."""
    try:
        return [
            [_unescape(c) for c in line]
            for line in csv.reader(io.StringIO(text), delimiter=delimiter)
        ]
    except csv.Error as exc:
        raise FileRefused(f"{source} : CSV illisible ({exc})") from None


def xlsx_table(
    worksheet: Any, source: str, cell: Callable[[Any], Any] = lambda v: v
) -> list[list[Any]]:
    """The cells of a worksheet (each through ``cell``); a sheet whose XML openpyxl
    cannot parse (a damaged or forged file) is a :class:`FileRefused` naming
    ``source``, never an unexpected error."""
    try:
        return [
            [cell(v) for v in line] for line in worksheet.iter_rows(values_only=True)
        ]
    except Exception:  # openpyxl and its XML parser raise many kinds
        raise FileRefused(f"{source} : feuille illisible (fichier endommagé)") from None


def _unescape(value: str) -> str:
    """A CSV cell as written by :func:`write_csv` (its formula quote taken off)."""
    if value.startswith("'") and value.lstrip("'").startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


def _escape(value: Any) -> Any:
    """A CSV cell a spreadsheet does not take for a formula: the exports' quote
    (also before a value that already starts with a quote then ``=``, so that
    :func:`_unescape` gives back exactly what was written)."""
    if isinstance(value, str) and value.lstrip("'").startswith(FORMULA_PREFIXES):
        return escape_formula(value) if value[:1] != "'" else "'" + value
    return value


def read(
    path: Path, source: str | None = None
) -> tuple[dict[str, list[Row]], list[Issue]]:
    """The rows of every sheet of an XLSX file or a directory of ``<sheet>.csv``
    (a missing sheet is empty), and what is wrong with its layout; ``source`` is
    the file's name as its user knows it (for the messages)."""
    source = source or path.name
    issues: list[Issue] = []
    out: dict[str, list[Row]] = {s.name: [] for s in SHEETS}
    if path.is_dir():
        known = {f"{s.name}.csv" for s in SHEETS}
        for extra in sorted(p.name for p in path.glob("*.csv") if p.name not in known):
            issues.append(Issue(extra, 0, "", "feuille inconnue"))
        for sheet in SHEETS:
            file = path / f"{sheet.name}.csv"
            if file.exists():
                try:
                    text = file.read_text(encoding="utf-8-sig")
                except UnicodeDecodeError:
                    raise FileRefused(
                        f"{source}/{file.name} : le fichier n'est pas en UTF-8 "
                        "(enregistrez-le en « CSV UTF-8 »)"
                    ) from None
                table = csv_table(text, ";", f"{source}/{file.name}")
                out[sheet.name] = _rows(sheet, table, issues)
        return out, issues
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not XLSX
        raise FileRefused(
            f"{source} : ce n'est pas un classeur XLSX lisible (attendu : le modèle "
            "XLSX rempli, ou un dossier de fichiers CSV en ligne de commande)"
        ) from None
    try:
        for name in book.sheetnames:
            if name not in BY_NAME and name != "aide":
                issues.append(Issue(name, 0, "", "feuille inconnue"))
        for sheet in SHEETS:
            if sheet.name in book.sheetnames:
                table = xlsx_table(book[sheet.name], f"{source}, feuille {sheet.name}")
                out[sheet.name] = _rows(sheet, table, issues)
    finally:
        book.close()
    return out, issues


def write_xlsx(path: Path, rows: dict[str, list[list[str]]] | None = None) -> None:
    """The template: an ``aide`` sheet, then one sheet per kind with its header
    (and ``rows``, e.g. the current organisation)."""
    book = Workbook()
    help_sheet = book.active
    help_sheet.title = "aide"
    help_sheet.append(["feuille", "colonnes", "contenu"])
    for sheet in SHEETS:
        help_sheet.append([sheet.name, ", ".join(sheet.columns), sheet.description])
    for sheet in SHEETS:
        ws = book.create_sheet(sheet.name)
        ws.append(list(sheet.columns))
        for line in (rows or {}).get(sheet.name, []):
            ws.append(line)
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text, never a formula (even "=...")
    book.save(path)


def write_csv(directory: Path, rows: dict[str, list[list[str]]] | None = None) -> None:
    """The template as a directory of ``<sheet>.csv`` (``;``, UTF-8 with BOM)."""
    directory.mkdir(parents=True, exist_ok=True)
    for sheet in SHEETS:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        writer.writerow(sheet.columns)
        writer.writerows(
            [_escape(c) for c in line] for line in (rows or {}).get(sheet.name, [])
        )
        (directory / f"{sheet.name}.csv").write_text(
            buffer.getvalue(), encoding="utf-8-sig"
        )
