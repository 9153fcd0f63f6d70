"""Import of engagements and mandats from the finance software, on both backends:
exact lines, idempotence, overlapping extracts, conflicts, refusal, reconciliation."""

from __future__ import annotations

import io
from decimal import Decimal as D
from pathlib import Path

import pytest
from openpyxl import load_workbook

from domain.budget import ProjectBudget
from domain.finance_import import FinanceImports
from domain.values import Origin
from exports.finance_reconciliation import render
from ledger.app import Ledger
from ledger.core import Caller
from setupfile.finance_file import ProfileNotFound, run_import
from tests.domain.builders import YEAR, Town
from tests.ledger.test_cli import sdsi

FIN = Caller(actor="fin", origin=Origin.IMPORT, reason="import financier")
HEADER = (
    "type;exercice;budget;section;sens;chapitre;nature;fonction;operation;ap;"
    "engagement;ligne_engagement;exercice_engagement;bordereau;piece;ligne;date;"
    "montant;tiers"
)


def engagement(number: str, amount: str, op: str = "P1", line: str = "1") -> str:
    return (
        f"engagement;{YEAR};principal;I;réel;20;2051;020;{op};;{number};;;;;{line};"
        f"02/04/{YEAR};{amount};Titulaire"
    )


def mandat(bordereau: str, piece: str, number: str, amount: str, op: str = "P1") -> str:
    return (
        f"mandat;{YEAR};principal;I;réel;20;2051;020;{op};;{number};1;;{bordereau};"
        f"{piece};1;15/05/{YEAR};{amount};Titulaire"
    )


def csv_file(*lines: str) -> bytes:
    return ("\ufeff" + "\r\n".join([HEADER, *lines]) + "\r\n").encode()


def run(ledger: Ledger, data: bytes, dry_run: bool = False):  # type: ignore[no-untyped-def]
    return run_import(ledger, data, "export.csv", "generique", FIN, dry_run=dry_run)


def project(ledger: Ledger) -> ProjectBudget:
    found = ledger.load(ProjectBudget, ProjectBudget.id_for("P1"))
    assert found is not None
    return found


@pytest.fixture
def funded(ledger: Ledger) -> Ledger:
    Town(ledger).approved_budget("P1", "100000.00")
    return ledger


def test_import_records_exactly_the_lines_and_the_import_event(funded: Ledger) -> None:
    data = csv_file(
        engagement("EJ1", "60000,00"),
        mandat("B7", "M12", "EJ1", "25000,50"),
        engagement("EJ2", "5000,00", op="ZZZ"),
    )
    preview = run(funded, data, dry_run=True)
    assert preview.plan.counts == {
        "create": 2,
        "exists": 0,
        "conflict": 0,
        "unmatched": 1,
        "no_commitment": 0,
    }
    head = funded.head()
    outcome = run(funded, data)
    assert outcome.written
    budget = project(funded)
    assert budget.commitments[f"E-{YEAR}-EJ1-1"]["amount"] == D("60000.00")
    assert budget.commitments[f"E-{YEAR}-EJ1-1"]["paid"] == D("25000.50")
    new = list(funded.events.get(ProjectBudget.id_for("P1"), gt=0))[-2:]
    assert [e.context.origin for e in new] == [Origin.IMPORT.value] * 2
    register = funded.load(FinanceImports, FinanceImports.ID)
    assert register is not None and register.last is not None
    assert register.last["counts"] == preview.plan.counts
    assert register.last["totals"] == [
        {
            "project": "P1",
            "year": str(YEAR),
            "committed": "60000.00",
            "paid": "25000.50",
        }
    ]
    assert new[0].context.key.startswith(register.last["key"])
    assert funded.head() == head + 5  # 2 movements, M57 imputation, register, import


def test_same_file_and_overlapping_extract_record_nothing_twice(funded: Ledger) -> None:
    first = csv_file(engagement("EJ1", "60000,00"), mandat("B7", "M12", "EJ1", "100"))
    run(funded, first)
    head = funded.head()
    again = run(funded, first)
    assert (again.written, again.plan.counts["exists"], funded.head()) == (
        False,
        2,
        head,
    )
    later = csv_file(
        mandat("B7", "M12", "EJ1", "100"), mandat("B8", "M13", "EJ1", "200,00")
    )
    outcome = run(funded, later)
    assert outcome.plan.counts["create"] == 1
    assert project(funded).commitments[f"E-{YEAR}-EJ1-1"]["paid"] == D("300.00")


def test_conflicting_amount_is_reported_and_not_written(funded: Ledger) -> None:
    run(funded, csv_file(engagement("EJ1", "60000,00")))
    head = funded.head()
    outcome = run(funded, csv_file(engagement("EJ1", "60000,01")), dry_run=True)
    assert outcome.plan.counts["conflict"] == 1
    assert "CONFLIT" in outcome.report()[0]
    assert run(funded, csv_file(engagement("EJ1", "60000,01"))).written is False
    assert funded.head() == head


def test_a_file_with_one_invalid_line_is_refused_whole(funded: Ledger) -> None:
    head = funded.head()
    bad = csv_file(
        engagement("EJ1", "60000,00"),
        engagement("EJ2", "douze"),
        engagement("EJ3", "10,00").replace(";I;", ";X;"),
    )
    outcome = run(funded, bad)
    assert outcome.parsed.lines == []
    assert outcome.parsed.errors == [
        "ligne 3, colonne « montant » : montant attendu (valeur : « douze »)",
        "ligne 4, colonne « section » : section inconnue (I ou F) (valeur : « X »)",
    ]
    assert funded.head() == head


def test_mapping_table_matches_an_ap_number(funded: Ledger) -> None:
    funded.add_finance_mapping(FIN, "AP2025-03", "P1")
    outcome = run(funded, csv_file(engagement("EJ1", "10,00", op="AP2025-03")))
    assert outcome.plan.lines[0][1:] == ("P1", "create")


def test_reconciliation_matches_to_the_cent_in_csv_and_xlsx(funded: Ledger) -> None:
    run(
        funded,
        csv_file(engagement("EJ1", "60000,00"), mandat("B7", "M1", "EJ1", "0,01")),
    )
    rows = funded.finance_reconciliation()
    assert rows == [
        {
            "project": "P1",
            "year": YEAR,
            "cp": D("100000.00"),
            "committed": D("60000.00"),
            "paid": D("0.01"),
            "file_committed": D("60000.00"),
            "file_paid": D("0.01"),
            "diff_committed": D("0.00"),
            "diff_paid": D("0.00"),
        }
    ]
    text = render(rows, "csv").decode("utf-8-sig").splitlines()
    assert text[1] == f"P1;{YEAR};100000,00;60000,00;60000,00;0,00;0,01;0,01;0,00"
    ws = load_workbook(io.BytesIO(render(rows, "xlsx"))).worksheets[0]
    values = [c.value for c in next(ws.iter_rows(min_row=2, max_row=2))]
    assert [D(str(v)).quantize(D("0.01")) for v in values[2:]] == [
        D("100000.00"),
        D("60000.00"),
        D("60000.00"),
        D("0.00"),
        D("0.01"),
        D("0.01"),
        D("0.00"),
    ]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_command_line_previews_refuses_and_imports(
    funded: Ledger, tmp_path: Path, database_url: str
) -> None:
    env = {"SDSI_DATA_DIR": str(tmp_path / "data"), "SDSI_DATABASE_URL": database_url}
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(csv_file(engagement("EJ1", "10,00"), engagement("EJ2", "1", "X")))
    bad.write_bytes(csv_file(engagement("EJ1", "10,00"), engagement("EJ2", "")))
    head = funded.head()
    refused = sdsi("finance", "import", str(bad), "--profile", "generique", env=env)
    assert refused.returncode == 2
    assert "ligne 3, colonne « montant » : montant attendu" in refused.stdout
    preview = sdsi(
        "finance", "import", str(good), "--profile", "generique", "--dry-run", env=env
    )
    assert preview.returncode == 0, preview.stderr
    assert preview.stdout.splitlines()[-1] == (
        "1 à créer, 0 déjà présentes, 0 en conflit, 1 sans projet, "
        "0 sans engagement connu (aperçu : rien n'a été écrit)"
    )
    assert funded.head() == head
    args = ("finance", "import", str(good), "--profile", "generique", "--actor", "fin")
    assert sdsi(*args, env=env).returncode == 0
    assert funded.head() == head + 4  # EJ1, its imputation, register, import
    out = tmp_path / "r.csv"
    reconciled = sdsi("finance", "reconcile", "-o", str(out), env=env)
    assert reconciled.returncode == 0, reconciled.stderr
    assert out.read_text(encoding="utf-8-sig").splitlines()[1] == (
        f"P1;{YEAR};100000,00;10,00;10,00;0,00;0,00;0,00;0,00"
    )


def test_an_unknown_profile_is_named_with_the_known_ones(funded: Ledger) -> None:
    with pytest.raises(ProfileNotFound) as err:
        run_import(funded, b"", "f.csv", "nope", FIN, dry_run=True)
    assert str(err.value) == (
        "profil inconnu : nope (profils : engagements-progiciel-a, generique, "
        "mandats-progiciel-a)"
    )


def test_a_mandat_of_an_unknown_engagement_is_listed_not_written(
    funded: Ledger,
) -> None:
    head = funded.head()
    outcome = run(funded, csv_file(mandat("B1", "M1", "EJ404", "5,00")))
    assert outcome.plan.counts["no_commitment"] == 1
    assert "engagement inconnu" in outcome.report()[0]
    assert (outcome.written, funded.head()) == (False, head)
