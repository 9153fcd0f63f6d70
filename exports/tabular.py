"""Writers of :class:`exports.rows.Table`: French CSV, open-data CSV, JSON and XLSX.

- French CSV (finance): ``;`` separator, decimal comma, UTF-8 with a byte-order mark
  (so spreadsheet software detects the encoding), CRLF line ends, ``oui``/``non``.
- Open-data CSV: ``,`` separator, decimal point, UTF-8 without BOM, CRLF (RFC 4180),
  ``true``/``false``, lists as JSON text.
- Both escape formula injection: a text cell starting with ``= + - @``, a tab or a
  carriage return gets a leading apostrophe, so no spreadsheet evaluates it.
- XLSX (openpyxl, write-only so memory stays flat): real numeric cells in a euro
  format, text cells typed as text (never formulas), frozen header, auto-filter.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from exports.rows import Column, Table

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
EURO_FORMAT = '#,##0.00\\ "€"'
DECIMAL_FORMAT = "0.00"
BOM = "\ufeff"
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def escape_formula(text: str) -> str:
    """Prefix a quote to text a spreadsheet would read as a formula."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _decimal_text(value: Decimal, places: int = 2) -> str:
    return format(Decimal(value).quantize(Decimal(1).scaleb(-places)), "f")


def french_cell(column: Column, value: Any) -> str:
    """A value as the French CSV writes it."""
    if value is None:
        return ""
    kind = column.kind
    if kind in ("money", "decimal"):
        return _decimal_text(value).replace(".", ",")
    if kind == "bool":
        return "oui" if value else "non"
    if kind == "int":
        return str(value)
    if kind == "list":
        return escape_formula(_json_text(value))
    return escape_formula(str(value))


def open_cell(column: Column, value: Any) -> str:
    """A value as the open-data CSV writes it."""
    if value is None:
        return ""
    kind = column.kind
    if kind in ("money", "decimal"):
        return _decimal_text(value)
    if kind == "bool":
        return "true" if value else "false"
    if kind == "int":
        return str(value)
    if kind == "list":
        return _json_text(value)
    return escape_formula(str(value))


def _csv(table: Table, cell: Any, delimiter: str, bom: bool) -> bytes:
    out = io.StringIO()
    if bom:
        out.write(BOM)
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    columns = table.columns
    writer.writerow([escape_formula(c.header if bom else c.key) for c in columns])
    writer.writerows(
        [cell(c, v) for c, v in zip(columns, row, strict=True)] for row in table.rows
    )
    return out.getvalue().encode("utf-8")


def french_csv(table: Table) -> bytes:
    """The finance CSV: French headers, ``;``, decimal comma, BOM, CRLF."""
    return _csv(table, french_cell, ";", bom=True)


def open_csv(table: Table) -> bytes:
    """The open-data CSV: machine column names, ``,``, decimal point, no BOM."""
    return _csv(table, open_cell, ",", bom=False)


# --- JSON -----------------------------------------------------------------------------

_NUMBER = "\x00num:"


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _NUMBER + _decimal_text(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


_NUMBER_RE = re.compile(r'"\\u0000num:(-?[0-9]+\.[0-9]+)"')


def dumps(value: Any, *, indent: int | None = None) -> str:
    """JSON with exact decimals written as numbers (``27000.00``, never a float)."""
    text = json.dumps(_jsonable(value), ensure_ascii=False, indent=indent)
    return _NUMBER_RE.sub(r"\1", text)


def _json_text(value: Any) -> str:
    return dumps(value)


def json_records(table: Table) -> Iterator[dict[str, Any]]:
    """The rows as dictionaries keyed by column name."""
    keys = table.keys
    for row in table.rows:
        yield dict(zip(keys, row, strict=True))


def open_json(table: Table, meta: dict[str, Any]) -> bytes:
    """``{"meta": …, "data": [rows]}`` with exact decimal numbers."""
    document = {"meta": meta, "data": list(json_records(table))}
    return (dumps(document, indent=1) + "\n").encode("utf-8")


# --- XLSX -----------------------------------------------------------------------------


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index))


def xlsx(
    tables: Iterable[Table],
    *,
    title: str,
    subject: str = "",
    creator: str = "SDSI Ledger",
    created: datetime | None = None,
) -> bytes:
    """A workbook with one sheet per table (header frozen, filters, euro formats)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook(write_only=True)
    wb.properties.title = title
    wb.properties.subject = subject
    wb.properties.creator = creator
    if created is not None:
        wb.properties.created = created.replace(tzinfo=None)
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="1F4E79")
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for table in tables:
        ws = wb.create_sheet(table.title[:31])
        ws.freeze_panes = "A2"
        columns = table.columns
        for i, column in enumerate(columns, 1):
            ws.column_dimensions[_column_letter(i)].width = column.width
        header = []
        for column in columns:
            cell = WriteOnlyCell(ws, value=column.header)
            cell.font, cell.fill, cell.alignment = header_font, header_fill, wrap
            header.append(cell)
        ws.append(header)
        count = 1
        for row in table.rows:
            strong = table.emphasis is not None and table.emphasis(row)
            ws.append(
                [
                    _xlsx_cell(ws, WriteOnlyCell, c, v, bold if strong else None)
                    for c, v in zip(columns, row, strict=True)
                ]
            )
            count += 1
        ws.auto_filter.ref = f"A1:{_column_letter(len(columns))}{count}"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _xlsx_cell(ws: Any, cell_type: Any, column: Column, value: Any, font: Any) -> Any:
    if value is None:
        return None
    kind = column.kind
    if kind in ("money", "decimal"):
        cell = cell_type(ws, value=Decimal(value))
        cell.number_format = EURO_FORMAT if kind == "money" else DECIMAL_FORMAT
    elif kind == "int":
        if font is None:
            return value
        cell = cell_type(ws, value=value)
    else:
        if kind == "bool":
            text = "oui" if value else "non"
        elif kind == "list":
            text = _json_text(value)
        else:
            text = _ILLEGAL_XML.sub("", str(value))
            if font is None and not text.startswith("="):
                return text  # openpyxl types plain strings as text itself
        cell = cell_type(ws, value=text)
        cell.data_type = "s"  # a text cell, even if it starts with "=": never a formula
    if font is not None:
        cell.font = font
    return cell
