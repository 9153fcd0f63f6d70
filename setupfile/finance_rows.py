"""The rows of a finance software export as text: a CSV in UTF-8 or Windows-1252, or
the first sheet of an XLSX read at its real size (not the size it declares), its
number cells as exact text. ``setupfile.finance_file`` checks them line by line."""

from __future__ import annotations

import csv
import io
import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from domain.finance_import import Profile

# The columns of an XLSX sheet read: a worksheet declaring a huge size (or one cell far
# to the right) would otherwise be padded to 16,384 columns on every row.
MAX_COLUMNS = 200
# The rows of an XLSX sheet read: openpyxl makes up an empty row for every gap, so a
# single cell on row 1,048,576 cost a million rows (the CSV's size is its own).
MAX_XLSX_ROWS = 200_000


def read_rows(data: bytes, profile: Profile, name: str) -> list[list[str]]:
    if name.lower().endswith(".xlsx"):
        return _xlsx_rows(data, profile)
    return list(
        csv.reader(io.StringIO(_text(data), newline=""), delimiter=profile.delimiter)
    )


def _xlsx_rows(data: bytes, profile: Profile) -> list[list[str]]:
    """The first sheet's rows, as text: the header (at most :data:`MAX_COLUMNS`
    columns, trailing empty cells dropped), then every row cut to the header's width.
    The dimensions a sheet declares are ignored (a few bytes could declare a million
    rows of 16,384 columns), and empty rows, which openpyxl makes up for every gap,
    are skipped before any cell is converted."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        ws = wb.worksheets[0]
        ws.reset_dimensions()
        first = next(ws.iter_rows(max_row=1, max_col=MAX_COLUMNS, values_only=True), ())
        header = [_cell_text(v, profile) for v in first]
        while header and not header[-1]:
            header.pop()
        if not header:
            return []
        rows: list[list[str]] = [header]
        width = len(header)
        for n, row in enumerate(
            ws.iter_rows(min_row=2, max_col=width, values_only=True), 2
        ):
            if n > MAX_XLSX_ROWS:
                raise UnreadableFile(
                    f"classeur trop long : au plus {MAX_XLSX_ROWS:,} lignes".replace(
                        ",", "\u202f"
                    )
                )
            if row.count(None) == len(row):
                rows.append([])
            else:
                rows.append([_cell_text(v, profile) for v in row])
        return rows
    finally:
        wb.close()


def _text(data: bytes) -> str:
    """A CSV's text: UTF-8 (with or without BOM), else Windows-1252, the encoding
    French finance software usually exports in (Latin-1 text reads the same)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            f"encodage non reconnu (octet 0x{data[exc.start]:02x} en position "
            f"{exc.start}) : UTF-8 ou Windows-1252 attendu"
        ) from None


class UnreadableFile(ValueError):
    """A file that is not text in a known encoding (the message is French)."""


def _cell_text(value: Any, profile: Profile) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.strftime(profile.date_format)
    if isinstance(value, float) and math.isfinite(value):
        return _float_text(value).replace(".", profile.decimal)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return str(value).strip()


def _float_text(value: float) -> str:
    """A number cell as text: an integral one without decimals (a year or a number
    saved as 2026.0), a binary float's noise rounded to the cent (1234.5600000000001),
    any other value as it is, so that an amount of 12.345 is refused like in a CSV
    (it was rounded to the cent, silently)."""
    if value.is_integer():
        return str(int(value))
    exact = Decimal(repr(value))
    cents = exact.quantize(Decimal("0.01"))
    return str(cents) if abs(exact - cents) < Decimal("1e-9") else f"{exact:f}"
