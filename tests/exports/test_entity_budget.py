"""The finance export by entity, on both backends: one entity's share in CSV and
XLSX, and the consolidated XLSX's sheet by entity, whose rows add up to the
consolidated row to the cent."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import openpyxl
import pytest

from domain.entities import MAIN
from exports.base import ExportError, ExportRequest, ExportSource
from exports.registry import exporter
from ledger.app import Ledger
from projections.service import ReadModel, init_views
from tests.projections.test_entity_budget import territory

D = Decimal


@pytest.fixture
def read_model(ledger: Ledger, settings: Any) -> Iterator[ReadModel]:
    territory(ledger)
    init_views(settings, ledger)
    rm = ReadModel(ledger, settings)
    rm.projector().catch_up()
    yield rm
    rm.close()


def render(rm: ReadModel, fmt: str, entity: str | None = None) -> Any:
    return exporter("budget").render(
        ExportSource(rm), ExportRequest(fmt, entity=entity)
    )


def test_one_entity_s_csv_holds_its_share_of_the_shared_project(
    read_model: ReadModel,
) -> None:
    rendered = render(read_model, "csv", "CCAS")
    assert rendered.filename == "budget-entite-ccas.csv"
    rows = list(
        csv.reader(io.StringIO(rendered.content.decode("utf-8-sig")), delimiter=";")
    )
    p1 = [r for r in rows if "P1" in r]
    assert len(p1) == 1
    assert "33330,00" in p1[0] and "9999,01" in p1[0] and "3333,00" in p1[0]
    assert not any("P2" in r for r in rows)


def test_the_consolidated_xlsx_adds_up_the_entities_to_the_cent(
    read_model: ReadModel,
) -> None:
    book = openpyxl.load_workbook(io.BytesIO(render(read_model, "xlsx").content))
    sheet = book["Budget par entité"]
    values = [
        [c.value for c in row] for row in sheet.iter_rows(min_row=2) if row[0].value
    ]
    by = {r[0]: r for r in values}
    assert list(by) == [MAIN, "CCAS", "Consolidé"]
    # envelopes voted, CP, committed, paid, available
    assert [D(str(v)) for v in by["CCAS"][3:]] == [
        D("49000"),
        D("33330"),
        D("9999.01"),
        D("3333"),
        D("23330.99"),
    ]
    for col in range(3, 8):
        total = D(str(by["Consolidé"][col]))
        assert D(str(by[MAIN][col])) + D(str(by["CCAS"][col])) == total
    assert D(str(by["Consolidé"][4])) == D("120000.01")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_unknown_entity_is_refused_not_exported_empty(
    read_model: ReadModel, fmt: str
) -> None:
    with pytest.raises(ExportError) as info:
        render(read_model, fmt, "CCAZ")
    assert str(info.value) == "Entité inconnue à ce moment du registre : CCAZ."
