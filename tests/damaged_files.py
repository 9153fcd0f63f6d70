"""Spreadsheets damaged the way a truncated upload or a forged file is: a valid ZIP
whose sheets' XML is cut in half, which openpyxl opens and then fails to parse."""

from __future__ import annotations

import io
import zipfile


def cut_sheets(xlsx: bytes) -> bytes:
    """``xlsx`` with each worksheet's XML cut in half (the rest of the ZIP intact)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as whole, zipfile.ZipFile(out, "w") as cut:
        for info in whole.infolist():
            data = whole.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                data = data[: len(data) // 2]
            cut.writestr(info, data)
    return out.getvalue()
