"""The reconciliation on demand with a chosen past import, not only the last, on both
backends; and ``sdsi finance imports`` / ``sdsi finance reconcile --import KEY``."""

from __future__ import annotations

import io
from decimal import Decimal as D
from pathlib import Path

import pytest
from openpyxl import load_workbook

from domain.errors import NotFound
from exports.finance_reconciliation import render
from ledger.app import Ledger
from setupfile.finance_file import run_import
from tests.domain.builders import YEAR, Town
from tests.ledger.test_cli import sdsi
from tests.ledger.test_finance_import import FIN, csv_file, engagement, mandat


def imported(ledger: Ledger, name: str, data: bytes) -> str:
    outcome = run_import(ledger, data, name, "generique", FIN, dry_run=False)
    assert outcome.written
    return str(ledger.finance_import_list()[0]["key"])


@pytest.fixture
def two_imports(ledger: Ledger) -> tuple[Ledger, str, str]:
    """P1 funded; January's file commits 60,000.00 and pays 0.01; February's adds
    EJ2 (1,000.10) and pays 25,000.50 on EJ1."""
    Town(ledger).approved_budget("P1", "100000.00")
    first = imported(
        ledger,
        "janvier.csv",
        csv_file(engagement("EJ1", "60000,00"), mandat("B1", "M1", "EJ1", "0,01")),
    )
    second = imported(
        ledger,
        "fevrier.csv",
        csv_file(engagement("EJ2", "1000,10"), mandat("B2", "M2", "EJ1", "25000,50")),
    )
    return ledger, first, second


def test_imports_are_listed_newest_first_with_file_profile_counts_and_actor(
    two_imports: tuple[Ledger, str, str],
) -> None:
    ledger, first, second = two_imports
    listed = ledger.finance_import_list()
    assert [(i["key"], i["file_name"], i["profile"], i["actor"]) for i in listed] == [
        (second, "fevrier.csv", "generique", "fin"),
        (first, "janvier.csv", "generique", "fin"),
    ]
    assert listed[1]["counts"] == {
        "create": 2, "exists": 0, "conflict": 0, "unmatched": 0, "no_commitment": 0
    }  # fmt: skip
    assert listed[0]["at"] >= listed[1]["at"]


def test_a_chosen_import_is_reconciled_to_the_cent(
    two_imports: tuple[Ledger, str, str],
) -> None:
    ledger, first, second = two_imports
    ledger_side = {
        "project": "P1", "year": YEAR, "cp": D("100000.00"),
        "committed": D("61000.10"), "paid": D("25000.51"),
    }  # fmt: skip
    assert ledger.finance_reconciliation(import_key=first) == [
        {
            **ledger_side,
            "file_committed": D("60000.00"),
            "file_paid": D("0.01"),
            "diff_committed": D("1000.10"),
            "diff_paid": D("25000.50"),
        }
    ]
    assert ledger.finance_reconciliation(import_key=second) == [
        {
            **ledger_side,
            "file_committed": D("1000.10"),
            "file_paid": D("25000.50"),
            "diff_committed": D("60000.00"),
            "diff_paid": D("0.01"),
        }
    ]
    assert ledger.finance_reconciliation() == ledger.finance_reconciliation(
        import_key=second
    )
    rows = ledger.finance_reconciliation(import_key=first)
    ws = load_workbook(io.BytesIO(render(rows, "xlsx"))).worksheets[0]
    cells = [c.value for c in next(ws.iter_rows(min_row=2, max_row=2))]
    assert [D(str(v)).quantize(D("0.01")) for v in cells[2:]] == [
        D("100000.00"), D("61000.10"), D("60000.00"), D("1000.10"),
        D("25000.51"), D("0.01"), D("25000.50"),
    ]  # fmt: skip
    with pytest.raises(NotFound):
        ledger.finance_reconciliation(import_key="finance-import-inconnu")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_command_line_lists_imports_and_reconciles_a_chosen_one(
    two_imports: tuple[Ledger, str, str], tmp_path: Path, database_url: str
) -> None:
    ledger, first, second = two_imports
    env = {"SDSI_DATA_DIR": str(tmp_path / "data"), "SDSI_DATABASE_URL": database_url}
    listed = sdsi("finance", "imports", env=env)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert [ln.split()[0] for ln in lines] == [second, first]
    sha = ledger.finance_import(first)["sha256"]
    assert f"janvier.csv  {sha[:12]}  generique  2 créées, 0 déjà là" in lines[1]
    assert lines[1].endswith("  fin")
    out = tmp_path / "r.csv"
    chosen = sdsi("finance", "reconcile", "--import", first, "-o", str(out), env=env)
    assert chosen.returncode == 0, chosen.stderr
    assert out.read_text(encoding="utf-8-sig").splitlines()[1] == (
        f"P1;{YEAR};100000,00;61000,10;60000,00;1000,10;25000,51;0,01;25000,50"
    )
    unknown = sdsi("finance", "reconcile", "--import", "nope", "-o", str(out), env=env)
    assert unknown.returncode == 2
    assert "Import financier introuvable : nope." in unknown.stderr
