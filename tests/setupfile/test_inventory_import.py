"""The inventory import on both backends: any valid file (CSV or XLSX) imports exactly
its lines, importing it again writes nothing, a changed line is one change with the
import as its reason; a wrong file is refused whole with every error by line and
column; the template and ``sdsi inventory import`` work end to end."""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from domain.inventory import Application
from ledger.app import Ledger, open_ledger
from ledger.core import Caller
from sdsi.cli import main
from setupfile.inventory_file import (
    SHEET,
    apply_inventory,
    current_rows,
    plan_bytes,
    template_csv,
    template_xlsx,
)
from tests.conftest import make_settings
from tests.domain.builders import names_since

DSI = Caller(actor="dsi")
COUNTER = itertools.count(1)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def town(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Ledger]:
    """A ledger with a DSI account and two directions (FIN open, OLD closed)."""
    tmp = tmp_path_factory.mktemp(f"inventory-{request.param}")
    url = (
        f"sqlite:///{tmp}/ledger.db"
        if request.param == "sqlite"
        else str(request.getfixturevalue("pg_module_schema_url"))
    )
    led = open_ledger(make_settings(tmp / "data", url), create=True)
    led.bootstrap_admin("admin", "Admin", "admin-password-1")
    admin = Caller("admin", reason="tests")
    led.add_user(admin, "dsi", "DSI", "password-dsi-1", roles=[("dsi", None)])
    led.create_pole(admin, "P", "Pôle")
    led.create_direction(admin, "FIN", "Finances", "P")
    led.create_direction(admin, "OLD", "Ancienne", "P")
    led.close_direction(admin, "OLD")
    yield led
    led.close()


def file_of(rows: list[list[str]], fmt: str) -> bytes:
    return template_xlsx(rows) if fmt == "xlsx" else template_csv(rows)


def state_of(app: Application) -> list[str]:
    """An application as the file's row would say it."""
    return current_rows(
        [
            {
                "code": app.code,
                "kind": app.kind.value,
                "name": app.name,
                "direction": app.direction,
                "supplier": app.supplier,
                "technology": app.technology,
                "product_version": app.product_version,
                "end_of_support": app.end_of_support.isoformat()
                if app.end_of_support
                else None,
                "users": app.users,
                "annual_cost": app.annual_cost,
                "criticality": app.criticality,
            }
        ]
    )[0]


texts = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")),
    max_size=30,
).map(str.strip)
lines = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["application", "infrastructure"]),
        "name": texts.filter(bool) | st.sampled_from(["=SOMME(A1)", "+33 1", "@x"]),
        "direction": st.sampled_from(["", "FIN"]),
        "supplier": texts,
        "technology": texts,
        "version": st.from_regex(r"[0-9]{1,2}(\.[0-9]{1,2})?", fullmatch=True)
        | st.just(""),
        "eos": st.none() | st.dates(date(2000, 1, 1), date(2060, 12, 31)),
        "users": st.none() | st.integers(0, 100_000),
        "cost": st.decimals(0, 10_000_000, places=2),
        "criticality": st.integers(1, 4),
    }
)


def row_of(code: str, x: dict[str, Any]) -> list[str]:
    return [
        code,
        x["kind"],
        x["name"],
        x["direction"],
        x["supplier"],
        x["technology"],
        x["version"],
        x["eos"].isoformat() if x["eos"] else "",
        "" if x["users"] is None else str(x["users"]),
        format(x["cost"], "f"),
        str(x["criticality"]),
    ]


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    specs=st.lists(lines, min_size=1, max_size=5),
    fmt=st.sampled_from(["csv", "xlsx"]),
)
def test_any_valid_file_imports_exactly_its_lines_and_again_writes_nothing(
    town: Ledger, specs: list[dict[str, Any]], fmt: str
) -> None:
    rows = [row_of(f"APP{next(COUNTER)}", x) for x in specs]
    data = file_of(rows, fmt)
    plan = plan_bytes(town, data, f"inventaire.{fmt}")
    assert plan.errors == []
    result = apply_inventory(town, plan, DSI)
    assert result["created"] == [r[0] for r in rows]
    for row in rows:
        app = town.load(Application, Application.id_for(row[0]))
        assert app is not None
        assert state_of(app) == row
        assert app.annual_cost == Decimal(row[9])
    head = town.head()
    again = plan_bytes(town, data, f"inventaire.{fmt}")
    assert (again.ok, again.lines) == (True, [])
    apply_inventory(town, again, DSI)
    assert town.head() == head
    changed = [*rows[0][:6], rows[0][6] + "9", *rows[0][7:]]
    plan = plan_bytes(town, file_of([changed, *rows[1:]], fmt), "v2." + fmt)
    assert [(line.code, line.change) for line in plan.lines] == [(rows[0][0], True)]
    apply_inventory(town, plan, DSI)
    assert names_since(town, head) == ["Application.Changed"]
    app = town.load(Application, Application.id_for(rows[0][0]))
    assert app is not None and app.product_version == rows[0][6] + "9"


def test_a_wrong_file_is_refused_whole_with_every_error_by_line_and_column(
    town: Ledger,
) -> None:
    good = ["GOOD1", "application", "Bon", "FIN", "", "", "", "", "", "10,50", "2"]
    rows = [
        good,
        ["BAD1", "serveur", "", "XYZ", "", "", "", "31/02/2026", "-4", "1.234", "9"],
        ["GOOD1", "application", "Doublon", "OLD", "", "", "", "", "", "", "vitale"],
    ]
    head = town.head()
    plan = plan_bytes(town, template_csv(rows), "inventaire.csv")
    assert [(e.row, e.column) for e in plan.errors] == [
        (3, "type"),
        (3, "nom"),
        (3, "fin_de_support"),
        (3, "utilisateurs"),
        (3, "cout_annuel"),
        (3, "criticite"),
        (3, "direction"),
        (4, "code"),
        (4, "direction"),
    ]
    assert all(e.message for e in plan.errors)
    assert str(plan.errors[0]).startswith("inventaire, ligne 3, colonne type : ")
    assert plan.lines == []
    assert town.head() == head


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("1/1/0001", "date au format AAAA-MM-JJ ou JJ/MM/AAAA attendue"),
        ("01/01/0001", "année de 1900 à 2100 attendue"),
        ("01/01/9999", "année de 1900 à 2100 attendue"),
        ("9999-12-31", "année de 1900 à 2100 attendue"),
        ("2026-W01-1", "date au format AAAA-MM-JJ ou JJ/MM/AAAA attendue"),
        ("20260101", "date au format AAAA-MM-JJ ou JJ/MM/AAAA attendue"),
        ("١٢/٠١/٢٠٢٦", "date au format AAAA-MM-JJ ou JJ/MM/AAAA attendue"),
    ],
)
def test_an_end_of_support_is_one_of_the_two_formats_years_1900_to_2100(
    town: Ledger, written: str, reason: str
) -> None:
    row = [f"D{next(COUNTER)}", "", "Appli", "", "", "", "", written, "", "", "2"]
    head = town.head()
    plan = plan_bytes(town, template_csv([row]), "dates.csv")
    assert [(e.row, e.column) for e in plan.errors] == [(2, "fin_de_support")]
    assert reason in str(plan.errors[0])
    assert str(plan.errors[0]).startswith("inventaire, ligne 2, colonne fin_de_support")
    assert plan.lines == []
    assert town.head() == head


@pytest.mark.parametrize(
    ("cell", "ok"),
    [
        (date(2027, 6, 30), True),
        (datetime(2027, 6, 30), True),
        (date(2101, 1, 1), False),
    ],
)
def test_a_date_cell_of_a_spreadsheet_is_read_within_the_years(
    town: Ledger, cell: date, ok: bool
) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "inventaire"
    sheet.append(list(SHEET.columns))
    code = f"X{next(COUNTER)}"
    sheet.append([code, "", "Appli", "", "", "", "", cell, None, None, 2])
    out = io.BytesIO()
    book.save(out)
    plan = plan_bytes(town, out.getvalue(), "dates.xlsx")
    if ok:
        assert plan.errors == []
        assert [line.code for line in plan.lines] == [code]
    else:
        assert [(e.row, e.column) for e in plan.errors] == [(2, "fin_de_support")]
        assert "année de 1900 à 2100 attendue" in str(plan.errors[0])
        assert plan.lines == []


def test_french_writing_is_read_dates_amounts_and_level_names(town: Ledger) -> None:
    code = f"FR{next(COUNTER)}"
    row = [code, "", "Appli", "", "", "", "", "30/06/2027", "12", "1 234,50", "élevée"]
    plan = plan_bytes(town, template_csv([row]), "f.csv")
    assert plan.errors == []
    apply_inventory(town, plan, DSI)
    app = town.load(Application, Application.id_for(code))
    assert app is not None
    assert (app.end_of_support, app.annual_cost, app.criticality, app.users) == (
        date(2027, 6, 30),
        Decimal("1234.50"),
        3,
        12,
    )


def test_the_template_documents_each_column(tmp_path: Path) -> None:
    out = tmp_path / "modele.xlsx"
    result = CliRunner().invoke(main, ["inventory", "template", "-o", str(out)])
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    assert book.sheetnames == ["aide", "inventaire"]
    assert [c.value for c in book["inventaire"][1]] == list(SHEET.columns)
    documented = [r[0] for r in book["aide"].iter_rows(min_row=2, values_only=True)]
    assert documented == list(SHEET.columns)


def test_the_cli_imports_then_finds_nothing_to_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path}/ledger.db"
    monkeypatch.setenv("SDSI_DATABASE_URL", url)
    monkeypatch.setenv("SDSI_DATA_DIR", str(tmp_path / "data"))
    led = open_ledger(make_settings(tmp_path / "data", url), create=True)
    led.bootstrap_admin("admin", "Admin", "admin-password-1")
    led.close()
    file = tmp_path / "inventaire.csv"
    file.write_bytes(
        template_csv([["A1", "", "Paie", "", "", "", "", "", "", "5", "4"]])
    )
    runner = CliRunner()
    first = runner.invoke(main, ["inventory", "import", str(file)])
    assert first.exit_code == 0, first.output
    assert "1 créé(s), 0 modifié(s)" in first.output
    second = runner.invoke(main, ["inventory", "import", str(file)])
    assert second.exit_code == 0, second.output
    assert "rien à changer" in second.output
    file.write_bytes(template_csv([["A1", "", "", "", "", "", "", "", "", "", "7"]]))
    bad = runner.invoke(main, ["inventory", "import", str(file)])
    assert bad.exit_code == 2
    assert "ligne 2, colonne nom" in bad.output
    assert "ligne 2, colonne criticite" in bad.output


def test_an_end_of_support_recorded_before_the_years_were_checked_is_kept(
    town: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A component whose end of support was recorded as 9999-12-31 by a release that
    did not check the years: editing it or importing its line again keeps that date
    (a record is never stuck on its own past value); a new such date is refused."""
    import domain.values

    code = f"K{next(COUNTER)}"
    with monkeypatch.context() as earlier_release:
        earlier_release.setattr(domain.values, "LAST_YEAR", 9999)
        town.register_application(
            DSI,
            code,
            {"name": "Appli", "end_of_support": "9999-12-31", "criticality": 2},
        )
    row = [code, "", "Appli", "", "", "", "", "31/12/9999", "", "", "2"]
    again = plan_bytes(town, template_csv([row]), "kept.csv")
    assert (again.errors, again.lines) == ([], [])
    changed = plan_bytes(town, template_csv([[*row[:-1], "3"]]), "kept.csv")
    assert changed.errors == []
    assert [(ln.code, ln.values["end_of_support"]) for ln in changed.lines] == [
        (code, date(9999, 12, 31))
    ]
    edited = town.change_application(
        Caller("dsi", reason="criticité revue"),
        code,
        {"name": "Appli", "end_of_support": "9999-12-31", "criticality": 3},
    )
    assert edited.data["changed"] is True
    other = [f"N{next(COUNTER)}", *row[1:]]
    refused = plan_bytes(town, template_csv([other]), "new.csv")
    assert [(e.row, e.column) for e in refused.errors] == [(2, "fin_de_support")]
    assert "année de 1900 à 2100 attendue" in str(refused.errors[0])
    moved = plan_bytes(
        town, template_csv([[*row[:7], "31/12/9998", *row[8:]]]), "m.csv"
    )
    assert [(e.row, e.column) for e in moved.errors] == [(2, "fin_de_support")]
