"""The AP/CP annex, the plan PDF and the open data by entity and consolidated, on
both backends, read back from their files: a project shared 45 / 20 / 35 % whose
amounts leave a cent to the largest remainder; each entity's figures exact, and the
entities adding up to the consolidated ones to the cent."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from domain.entities import MAIN
from exports.apcp_annex import TITLE, TOTAL
from exports.base import ExportError, ExportRequest, ExportSource
from exports.registry import exporter
from ledger.app import Ledger
from projections.service import ReadModel, init_views
from sdsi.cli import main
from tests.domain.builders import ADMIN, DSI, FIN, INV, YEAR, Town, by
from tests.exports.conftest import fr_money, pdf_lines

D = Decimal
NEXT = YEAR + 1
ENTITIES = (MAIN, "CCAS", "CA")
# P1, shared 45 / 20 / 35 %: AP 100 000,01 € (MAIN takes the cent: 45 000,01 /
# 20 000,00 / 35 000,00), CP 60 000,01 € in YEAR (27 000,01 / 12 000,00 /
# 21 000,00) and 40 000,00 € in NEXT (18 000 / 8 000 / 14 000); 30 000,03 €
# committed (1 350 001,35 / 600 000,6 / 1 050 001,05 cents: the CCAS takes the cent,
# 13 500,01 / 6 000,01 / 10 500,01), 10 000,01 € paid (4 500,01 / 2 000 / 3 500).
# P2: the town's alone, AP and CP 20 000,00 € in YEAR.
ANNEX = {  # entity: AP voted, AP revised, CP YEAR, CP NEXT, paid, remaining
    MAIN: ("65000.01", "65000.01", "47000.01", "18000.00", "4500.01", "60500.00"),
    "CCAS": ("20000.00", "20000.00", "12000.00", "8000.00", "2000.00", "18000.00"),
    "CA": ("35000.00", "35000.00", "21000.00", "14000.00", "3500.00", "31500.00"),
}
CONSOLIDATED = (
    "120000.01",
    "120000.01",
    "80000.01",
    "40000.00",
    "10000.01",
    "110000.00",
)
BUDGET = {  # entity: envelopes voted, CP, committed, paid, available
    MAIN: ("1000000.00", "65000.01", "13500.01", "4500.01", "51500.00"),
    "CCAS": ("100000.00", "20000.00", "6000.01", "2000.00", "13999.99"),
    "CA": ("120000.00", "35000.00", "10500.01", "3500.00", "24499.99"),
    "Consolidé": ("1220000.00", "120000.01", "30000.03", "10000.01", "89999.98"),
}


def _approve(town: Town, code: str, ap: str, cp: list[tuple[int, str]]) -> None:
    session = town.convene()
    town.ledger.add_agenda_item(by("chair"), session, code)
    town.open(session)
    town.ledger.record_decision(
        by("chair"),
        session,
        code,
        "approved",
        "arbitrage",
        ap_amount=ap,
        cp=[{"year": y, "section": INV, "amount": a} for y, a in cp],
    )


def three_entities(ledger: Ledger) -> Town:
    town = Town(ledger)
    ledger.declare_entity(ADMIN, "CCAS", "CCAS de Test", "ccas", "267500015")
    ledger.declare_entity(ADMIN, "CA", "Agglo de Test", "epci", "200045615")
    for year in (YEAR, NEXT):
        town.envelope(year)
        for entity, amount in (("CCAS", "50000.00"), ("CA", "60000.00")):
            ledger.vote_budget(
                FIN, year, INV, amount, f"BP {entity}", f"{YEAR - 1}-12-15", entity
            )
    town.qualified("P1")
    ledger.set_cost_split(
        DSI,
        "P1",
        [
            {"entity": MAIN, "percent": "45"},
            {"entity": "CCAS", "percent": "20"},
            {"entity": "CA", "percent": "35"},
        ],
    )
    _approve(town, "P1", "100000.01", [(YEAR, "60000.01"), (NEXT, "40000.00")])
    ledger.record_commitment(
        FIN, "P1", "EJ1", YEAR, INV, "30000.03", f"{YEAR}-04-02", "Titulaire"
    )
    ledger.record_payment(FIN, "P1", "MD1", "EJ1", "10000.01", f"{YEAR}-05-02")
    town.qualified("P2", "EDU")
    _approve(town, "P2", "20000.00", [(YEAR, "20000.00")])
    return town


@pytest.fixture
def read_model(ledger: Ledger, settings: Any) -> Iterator[ReadModel]:
    three_entities(ledger)
    init_views(settings, ledger)
    rm = ReadModel(ledger, settings)
    rm.projector().catch_up()
    yield rm
    rm.close()


def render(rm: ReadModel, name: str, fmt: str, entity: str | None = None) -> Any:
    return exporter(name).render(ExportSource(rm), ExportRequest(fmt, entity=entity))


def _cents(values: tuple[Any, ...]) -> tuple[Decimal, ...]:
    return tuple(D(str(v)).quantize(D("0.01")) for v in values)


def _sheet(content: bytes, index: int = 0) -> list[tuple[Any, ...]]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return list(book.worksheets[index].iter_rows(values_only=True))


# header: AP, chapter, nature, fonction, operation, AP voted, revisions, AP revised,
# CP YEAR, CP NEXT, paid, remaining
_ANNEX_MONEY = (5, 7, 8, 9, 10, 11)


@pytest.mark.parametrize("entity", ENTITIES)
def test_one_entity_s_annex_holds_its_share_of_each_programme(
    read_model: ReadModel, entity: str
) -> None:
    rendered = render(read_model, "apcp", "xlsx", entity)
    assert rendered.filename == f"apcp-entite-{entity.lower()}.xlsx"
    header, *body = _sheet(rendered.content)
    assert header[8:10] == (f"CP {YEAR}", f"CP {NEXT}")
    p1 = next(r for r in body if r[0] == "P1")
    assert _cents(tuple(p1[i] or 0 for i in _ANNEX_MONEY)) == _cents(
        ANNEX[entity]
        if entity != MAIN
        else ("45000.01", "45000.01", "27000.01", *ANNEX[MAIN][3:5], "40500.00")
    )
    total = body[-1]
    assert total[0] == TOTAL
    assert _cents(tuple(total[i] for i in _ANNEX_MONEY)) == _cents(ANNEX[entity])
    assert [r[0] for r in body[:-1]] == (["P1", "P2"] if entity == MAIN else ["P1"])
    assert len(openpyxl.load_workbook(io.BytesIO(rendered.content)).worksheets) == 1


def test_the_consolidated_annex_adds_a_recap_whose_entities_sum_to_it(
    read_model: ReadModel,
) -> None:
    content = render(read_model, "apcp", "xlsx").content
    annex = _sheet(content)
    assert _cents(tuple(annex[-1][i] for i in _ANNEX_MONEY)) == _cents(CONSOLIDATED)
    header, *recap = _sheet(content, 1)
    assert header == (
        "Entité",
        "Nom",
        "SIREN",
        "AP votée",
        "AP révisée",
        f"CP {YEAR}",
        f"CP {NEXT}",
        "Mandaté à ce jour",
        "Reste à financer",
    )
    by = {r[0]: r for r in recap}
    assert list(by) == [MAIN, "CA", "CCAS", "Consolidé"]  # the others by code
    assert by["CCAS"][1:3] == ("CCAS de Test", "267500015")
    for entity, figures in ANNEX.items():
        assert _cents(by[entity][3:]) == _cents(figures), entity
    assert _cents(by["Consolidé"][3:]) == _cents(CONSOLIDATED)
    for col in range(3, 9):
        assert sum(D(str(by[e][col])) for e in ENTITIES) == D(str(by["Consolidé"][col]))


def _cells(lines: list[str], label: str, n: int, nth: int = 0) -> list[str]:
    """The ``n`` cells after the ``nth`` line ``label`` (pypdf reads a grid's
    cells one a line; an empty cell is no line)."""
    at = [i for i, ln in enumerate(lines) if ln == label][nth]
    return lines[at + 1 : at + 1 + n]


def test_the_annex_pdfs_print_each_entity_s_figures(read_model: ReadModel) -> None:
    lines = pdf_lines(render(read_model, "apcp", "pdf").content, "", TITLE)
    recap = lines[lines.index("Récapitulatif par entité") :]
    names = {MAIN: "Ville de test", "CA": "Agglo de Test", "CCAS": "CCAS de Test"}
    for entity, figures in [*ANNEX.items(), ("Consolidé", CONSOLIDATED)]:
        name = [names[entity]] if entity in names else []
        assert _cells(recap, entity, len(name) + 4) == name + [
            fr_money(figures[i]) for i in (0, 1, 4, 5)
        ], entity
        assert _cells(recap, entity, 2, 1) == [fr_money(v) for v in figures[2:4]]
    ccas = pdf_lines(render(read_model, "apcp", "pdf", "CCAS").content, "", TITLE)
    assert "Récapitulatif par entité" not in ccas
    assert any(ln.startswith("CCAS de Test — Registre SDSI") for ln in ccas)
    assert _cells(ccas, "P1", 4) == [fr_money(ANNEX["CCAS"][i]) for i in (0, 1, 4, 5)]
    assert _cells(ccas, "P1", 2, 1) == [fr_money(v) for v in ANNEX["CCAS"][2:4]]
    assert "P2" not in ccas


def test_the_plan_pdf_shows_the_budget_by_entity(read_model: ReadModel) -> None:
    content = render(read_model, "plan", "pdf").content
    lines = pdf_lines(content, "", "")
    table = lines[lines.index("Budget par entité") :]
    names = {MAIN: "Ville de test", "CA": "Agglo de Test", "CCAS": "CCAS de Test"}
    for entity, figures in BUDGET.items():
        name = [names[entity]] if entity in names else []
        assert _cells(table, entity, len(name) + 5) == name + [
            fr_money(v) for v in figures
        ], entity


@pytest.mark.parametrize("fmt", ["xlsx", "pdf"])
def test_an_unknown_entity_s_annex_is_refused(read_model: ReadModel, fmt: str) -> None:
    with pytest.raises(ExportError) as info:
        render(read_model, "apcp", fmt, "CCAZ")
    assert str(info.value) == "Entité inconnue à ce moment du registre : CCAZ."


def test_the_open_budget_has_a_row_per_entity_that_sums_to_the_line(
    read_model: ReadModel,
) -> None:
    data = render(read_model, "opendata-budget", "csv").content.decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(data, newline="")))
    assert list(rows[0])[-3:] == ["entite", "entite_nom", "entite_siren"]
    money = ("ap_votee", "BGT_CREDOUV", "engage", "BGT_MTREAL", "disponible")
    got = [
        (r["BGT_ANNEE"], r["BGT_OPERATION"], r["entite"], *(r[k] for k in money))
        for r in rows
    ]
    y, n = str(YEAR), str(NEXT)
    assert got == [
        (y, "P1", MAIN, "45000.01", "27000.01", "13500.01", "4500.01", "13500.00"),
        (y, "P1", "CA", "35000.00", "21000.00", "10500.01", "3500.00", "10499.99"),
        (y, "P1", "CCAS", "20000.00", "12000.00", "6000.01", "2000.00", "5999.99"),
        (y, "P2", MAIN, "20000.00", "20000.00", "0.00", "0.00", "20000.00"),
        (n, "P1", MAIN, "45000.01", "18000.00", "0.00", "0.00", "18000.00"),
        (n, "P1", "CA", "35000.00", "14000.00", "0.00", "0.00", "14000.00"),
        (n, "P1", "CCAS", "20000.00", "8000.00", "0.00", "0.00", "8000.00"),
    ]
    ca = next(r for r in rows if r["entite"] == "CA")
    assert (ca["entite_nom"], ca["entite_siren"]) == ("Agglo de Test", "200045615")
    # summed over the entities, each line is the consolidated one
    first = [r for r in rows if (r["BGT_ANNEE"], r["BGT_OPERATION"]) == (y, "P1")]
    assert sum(D(r["BGT_CREDOUV"]) for r in first) == D("60000.01")
    assert sum(D(r["engage"]) for r in first) == D("30000.03")
    assert sum(D(r["ap_votee"]) for r in first) == D("100000.01")
    by_entity: dict[str, Decimal] = {}
    for r in rows:
        by_entity[r["entite"]] = by_entity.get(r["entite"], D(0)) + D(r["BGT_CREDOUV"])
    assert by_entity == {
        MAIN: D("65000.01"),
        "CA": D("35000.00"),
        "CCAS": D("20000.00"),
    }


def test_the_cli_writes_one_entity_s_annex_and_refuses_an_unknown_one(
    read_model: ReadModel, settings: Any, database_url: str, tmp_path: Any
) -> None:
    env = {
        "SDSI_DATA_DIR": str(settings.data_dir),
        "SDSI_DATABASE_URL": database_url,
        "SDSI_PASSWORD_HASHING": "fast",
    }
    target = tmp_path / "ca.xlsx"
    ok = CliRunner().invoke(
        main,
        ["export", "apcp", "--format", "xlsx", "--entity", "CA", "-o", str(target)],
        env=env,
    )
    assert ok.exit_code == 0, ok.output
    total = _sheet(target.read_bytes())[-1]
    assert _cents(tuple(total[i] for i in _ANNEX_MONEY)) == _cents(ANNEX["CA"])
    refused = CliRunner().invoke(
        main, ["export", "apcp", "--entity", "CCAZ", "--no-record"], env=env
    )
    assert refused.exit_code == 2, refused.output
    assert "Entité inconnue à ce moment du registre : CCAZ." in refused.output
