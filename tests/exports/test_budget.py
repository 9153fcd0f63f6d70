"""Finance export: French CSV and XLSX from one row generator, to the cent."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import openpyxl

from exports.rows import BUDGET_COLUMNS, LINE, SUBTOTAL, TOTAL
from projections import queries as q
from tests.exports.conftest import INJECTED_CODE, INJECTED_TITLE, DemoEnv

HEADERS = [c.header for c in BUDGET_COLUMNS]
MONEY = [c.key for c in BUDGET_COLUMNS if c.kind == "money"]
INDEX = {c.key: i for i, c in enumerate(BUDGET_COLUMNS)}


def _csv_rows(content: bytes) -> list[list[str]]:
    text = content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def _fr(cell: str) -> Decimal:
    return Decimal(cell.replace(",", "."))


def _cent(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def test_budget_csv_follows_the_french_convention(demo_env: DemoEnv) -> None:
    content = demo_env.render("budget", "csv")
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark
    assert b"\r\n" in content and b"\n" not in content.replace(b"\r\n", b"")
    rows = _csv_rows(content)
    assert rows[0] == HEADERS
    first = rows[1]
    assert first[0] == LINE
    for key in MONEY:
        assert first[INDEX[key]].count(",") == 1
        assert len(first[INDEX[key]].split(",")[1]) == 2  # always two decimals
        assert "." not in first[INDEX[key]]
    assert {r[INDEX["override_allocation"]] for r in rows[1:] if r[0] == LINE} == {
        "oui",
        "non",
    }


def test_budget_csv_lines_and_totals_equal_the_projection_to_the_cent(
    demo_env: DemoEnv,
) -> None:
    data = q.budget_consumption(demo_env.read_model.store)
    rows = _csv_rows(demo_env.render("budget", "csv"))[1:]
    lines = [r for r in rows if r[0] == LINE]
    assert len(lines) == len(data["lines"]) > 100
    for row, line in zip(lines, data["lines"], strict=True):
        assert (
            row[INDEX["proposal"]],
            int(row[INDEX["year"]]),
            row[INDEX["section"]],
        ) == (line["proposal"], line["year"], line["section"])
        for key in MONEY:
            assert _fr(row[INDEX[key]]) == line[key], (line["proposal"], key)
        assert row[INDEX["override_commitment"]] == (
            "oui" if line["override_commitment"] else "non"
        )
    subtotals = [r for r in rows if r[0] == SUBTOTAL]
    assert len(subtotals) == len(data["totals"]["year_section"])
    for row in subtotals:
        sums = data["totals"]["year_section"][f"{row[1]}/{row[2]}"]
        for key in q.MONEY_FIELDS:
            assert _fr(row[INDEX[key]]) == sums[key]
    (total,) = [r for r in rows if r[0] == TOTAL]
    assert rows[-1] == total
    for key in q.MONEY_FIELDS:
        assert _fr(total[INDEX[key]]) == data["total"][key]
        assert (
            sum((_fr(r[INDEX[key]]) for r in lines), Decimal(0)) == data["total"][key]
        )


def test_budget_xlsx_has_real_euro_cells_a_frozen_header_and_filters(
    demo_env: DemoEnv,
) -> None:
    store = demo_env.read_model.store
    data = q.budget_consumption(store)
    wb = openpyxl.load_workbook(io.BytesIO(demo_env.render("budget", "xlsx")))
    assert wb.sheetnames == [
        "Consommation budgétaire",
        "Enveloppes",
        "Synthèse",
        "Budget par entité",
    ]
    ws = wb["Consommation budgétaire"]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:Z{len(rows)}"  # 22 columns + 4 of M57
    lines = [r for r in rows[1:] if r[0] == LINE]
    assert len(lines) == len(data["lines"])
    for row, line in zip(lines, data["lines"], strict=True):
        for key in MONEY:
            assert _cent(row[INDEX[key]]) == line[key]
    money_cell = ws.cell(row=2, column=INDEX["committed"] + 1)
    assert money_cell.data_type == "n" and "€" in money_cell.number_format
    assert isinstance(ws.cell(row=2, column=INDEX["year"] + 1).value, int)
    total = rows[-1]
    assert total[0] == TOTAL
    for key in q.MONEY_FIELDS:
        assert _cent(total[INDEX[key]]) == data["total"][key]
        summed = sum((Decimal(str(r[INDEX[key]])) for r in lines), Decimal(0))
        assert summed.quantize(Decimal("0.01")) == data["total"][key]
    envelopes = list(wb["Enveloppes"].iter_rows(values_only=True))[1:]
    assert [(r[0], r[1], _cent(r[4]), _cent(r[5])) for r in envelopes] == [
        (e["year"], e["section"], e["total"], e["allocated"]) for e in data["envelopes"]
    ]
    summary = {(r[0], r[1]): r for r in wb["Synthèse"].iter_rows(values_only=True)}
    for pole, sums in data["totals"]["pole"].items():
        assert _cent(summary[("Pôle", pole)][6]) == sums["paid"]


def test_text_cells_that_look_like_formulas_are_escaped(demo_env: DemoEnv) -> None:
    rows = _csv_rows(demo_env.render("budget", "csv"))
    (row,) = [r for r in rows if r[INDEX["proposal"]] == INJECTED_CODE]
    assert row[INDEX["title"]] == "'" + INJECTED_TITLE
    assert _fr(row[INDEX["cp"]]) == Decimal("1234.56")
    ws = openpyxl.load_workbook(io.BytesIO(demo_env.render("budget", "xlsx")))[
        "Consommation budgétaire"
    ]
    (cell,) = [
        ws.cell(row=r, column=INDEX["title"] + 1)
        for r in range(2, ws.max_row + 1)
        if ws.cell(row=r, column=INDEX["proposal"] + 1).value == INJECTED_CODE
    ]
    assert cell.value == INJECTED_TITLE
    assert cell.data_type == "s"  # text, never a formula
