"""Hostile and unusual finance files, on both backends: every value the recording of a
line would refuse is refused when the file is read (whole file, nothing written, the
error naming line and column), look-alike digits are not codes, a Windows-1252 export
reads, and an XLSX declaring a huge sheet is read at its real size."""

from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal as D

import pytest
from openpyxl import Workbook

from domain.budget import ProjectBudget
from domain.finance_import import FinanceImports
from domain.plan import Plan
from ledger.app import Ledger
from setupfile.finance_file import find_profile, parse_file, run_import
from setupfile.finance_rows import MAX_COLUMNS, read_rows
from tests.damaged_files import cut_sheets
from tests.domain.builders import Town
from tests.ledger.test_finance_import import (
    FIN,
    HEADER,
    YEAR,
    csv_file,
    engagement,
    mandat,
    run,
)
from tests.ledger.test_finance_import import project as project_budget

OK_ENGAGEMENT = engagement("EJ1", "100,00")


@pytest.fixture
def funded(ledger: Ledger) -> Ledger:
    Town(ledger).approved_budget("P1", "100000.00")
    return ledger


def _set(line: str, column: str, value: str) -> str:
    cells = line.split(";")
    cells[HEADER.split(";").index(column)] = value
    return ";".join(cells)


# Lines the dry run used to accept and the recording refused half way (LineRefused
# after earlier batches were written), or that crashed the reading (ValueError).
REFUSED = {
    "key beyond 40 characters": (
        _set(
            _set(mandat("B" * 12, "P" * 12, "EJ1", "10,00"), "ligne", "L" * 12),
            "ligne_engagement",
            "1",
        ),
        "ligne 3 : clé M-{y}-BBBBBBBBBBBB-PPPPPPPPPPPP-LLLLLLLLLLLL trop longue "
        "(45 caractères, au plus 40)",
    ),
    "control character in the third party": (
        _set(OK_ENGAGEMENT, "tiers", "Soci\x07été"),
        "ligne 2, colonne « tiers » : caractère de contrôle interdit",
    ),
    "date after today": (
        _set(_set(OK_ENGAGEMENT, "date", "02/01/2099"), "exercice", "2099"),
        "ligne 2, colonne « date » : date postérieure au jour de l'import",
    ),
    "amount beyond 10^12": (
        engagement("EJ1", "1000000000000,01"),
        "ligne 2, colonne « montant » : montant démesuré (au plus 10¹² €) "
        "(valeur : « 1000000000000,01 »)",
    ),
    "superscript digit as the year": (
        _set(OK_ENGAGEMENT, "exercice", "²"),
        "ligne 2, colonne « exercice » : année attendue (2000 à 2100) (valeur : « ² »)",
    ),
    "full-width digits as the year": (
        _set(OK_ENGAGEMENT, "exercice", "２０２５"),
        "ligne 2, colonne « exercice » : année attendue (2000 à 2100)",
    ),
    "year 0 of the commitment paid": (
        _set(mandat("B1", "P1", "EJ1", "10,00"), "exercice_engagement", "0"),
        "ligne 3, colonne « exercice_engagement » : année attendue (2000 à 2100) "
        "(valeur : « 0 »)",
    ),
    "full-width M57 chapter": (
        _set(OK_ENGAGEMENT, "chapitre", "２０"),
        "ligne 2, colonne « chapitre » : chapitre M57 : 2 ou 3 chiffres "
        "(valeur : « ２０ »)",
    ),
}


def test_a_value_the_ledger_would_refuse_refuses_the_whole_file(funded: Ledger) -> None:
    head = funded.head()
    for case, (line, error) in REFUSED.items():
        lines = [OK_ENGAGEMENT] if line.startswith("mandat") else []
        outcome = run(funded, csv_file(*lines, line))
        assert not outcome.parsed.ok, case
        assert outcome.parsed.lines == [], case
        assert any(e.startswith(error.format(y=YEAR)) for e in outcome.parsed.errors), (
            case,
            outcome.parsed.errors,
        )
        assert not outcome.written, case
    assert funded.head() == head


def test_a_windows_1252_export_imports_with_its_accents(funded: Ledger) -> None:
    body = "\r\n".join([HEADER, _set(OK_ENGAGEMENT, "tiers", "Société Générale")])
    outcome = run(funded, body.encode("cp1252"))
    assert outcome.written, outcome.report()
    committed = [
        e
        for e in funded.events.get(ProjectBudget.id_for("P1"))
        if isinstance(e, ProjectBudget.Committed)
    ]
    assert [(e.reference, e.supplier) for e in committed] == [
        (f"E-{YEAR}-EJ1-1", "Société Générale")
    ]


def test_an_unreadable_file_is_refused_in_french() -> None:
    profile = find_profile("generique")
    # 0x81 is undefined in Windows-1252 (and invalid UTF-8): no encoding fits
    parsed = parse_file(HEADER.encode() + b"\r\n\x81\r\n", "x.csv", profile)
    assert parsed.errors == [
        "fichier illisible : encodage non reconnu (octet 0x81 en position "
        f"{len(HEADER) + 2}) : UTF-8 ou Windows-1252 attendu"
    ]


def _huge_dimension_xlsx() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER.split(";"))
    ws.append(OK_ENGAGEMENT.split(";"))
    buf = io.BytesIO()
    wb.save(buf)
    src, out = zipfile.ZipFile(io.BytesIO(buf.getvalue())), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "xl/worksheets/sheet1.xml":
                data, n = re.subn(
                    rb'<dimension ref="[^"]+"/>',
                    b'<dimension ref="A1:XFD1048576"/>',
                    data,
                )
                assert n == 1
                # one cell far away on the right, on a row of its own
                data = data.replace(
                    b"</sheetData>",
                    b'<row r="3"><c r="XFD3" t="inlineStr"><is><t>x</t></is></c></row>'
                    b"</sheetData>",
                )
            dst.writestr(name, data)
    return out.getvalue()


def test_an_xlsx_declaring_a_huge_sheet_is_read_at_its_real_size() -> None:
    profile = find_profile("generique")
    data = _huge_dimension_xlsx()
    rows = read_rows(data, profile, "export.xlsx")
    # declared: 1,048,576 rows of 16,384 columns, and a cell in column XFD; read:
    # the rows there are, each cut to the header's width (its cell beyond: dropped)
    assert len(rows) == 3
    assert [len(r) for r in rows] == [len(HEADER.split(";"))] * 2 + [0]
    assert MAX_COLUMNS == 200  # the widest header read
    parsed = parse_file(data, "export.xlsx", profile)
    assert parsed.errors == [] and [ln.key for ln in parsed.lines] == [
        f"E-{YEAR}-EJ1-1"
    ]


@pytest.mark.parametrize("chapter", ["２０", "٢٠", "2\u200b0", "²0"])
def test_look_alike_digits_are_not_an_m57_code(chapter: str) -> None:
    from domain import m57
    from domain.errors import InvalidValue

    with pytest.raises(InvalidValue) as refused:
        m57.parse({"chapter": chapter, "nature": "2051"}, "investissement")
    assert refused.value.field == "chapter"


def test_a_year_outside_the_plan_refuses_the_whole_file(funded: Ledger) -> None:
    """A commitment typed by hand is refused outside the plan's execution years
    (``Plan.check_executable_year``); the import used to record it anyway."""
    head = funded.head()
    old = _set(
        _set(engagement("EJ2", "10,00"), "exercice", "2001"), "date", "02/04/2001"
    )
    outcome = run(funded, csv_file(OK_ENGAGEMENT, old))
    assert outcome.plan is None and not outcome.written
    plan = funded.load(Plan, Plan.id_for())
    assert plan is not None and plan.first_executable_year <= YEAR <= plan.last_year
    assert outcome.parsed.errors == [
        "ligne 3, colonne « exercice » : exercice 2001 hors des années d'exécution "
        f"du plan ({plan.first_executable_year} à {plan.last_year})"
    ]
    assert funded.head() == head
    assert outcome.report()[-1] == "1 erreur(s) : fichier refusé, rien n'a été écrit"


def test_a_new_municipality_without_projects_gets_the_lines_listed(
    ledger: Ledger,
) -> None:
    """No plan, no project: every line is listed as without a project, in French,
    nothing written (no error)."""
    head = ledger.head()
    outcome = run(ledger, csv_file(OK_ENGAGEMENT))
    assert outcome.parsed.ok and not outcome.written
    assert outcome.report() == [
        f"ligne 2 E-{YEAR}-EJ1-1 100.00 - : sans projet (non rattachée)",
        "0 à créer, 0 déjà présentes, 0 en conflit, 1 sans projet, "
        "0 sans engagement connu (aucune ligne à enregistrer : rien n'a été écrit)",
    ]
    assert ledger.head() == head


def _xlsx(*rows: list[object]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER.split(";"))
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _typed(line: str, **cells: object) -> list[object]:
    values: list[object] = list(line.split(";"))
    for column, value in cells.items():
        values[HEADER.split(";").index(column)] = value
    return values


def test_xlsx_number_cells_are_read_exactly(funded: Ledger) -> None:
    """A number cell of an amount beyond the cent is refused as in a CSV (it was
    rounded silently); a float's binary noise is the cent it shows; a year or a
    number saved as a float (2025.0) is that integer (it read "2025,00")."""
    profile = find_profile("generique")
    refused = parse_file(
        _xlsx(_typed(OK_ENGAGEMENT, montant=12.345)), "e.xlsx", profile
    )
    assert refused.errors == [
        "ligne 2, colonne « montant » : montant positif en euros, au centime "
        "(valeur : « 12,345 »)"
    ]
    data = _xlsx(
        _typed(
            OK_ENGAGEMENT,
            montant=1.1 * 3,  # 3.3000000000000003: 3.30 plus binary noise
            exercice=float(YEAR),
            engagement=4711.0,
        )
    )
    parsed = parse_file(data, "e.xlsx", profile)
    assert parsed.errors == []
    [line] = parsed.lines
    assert (line.exercice, line.key, str(line.amount)) == (
        YEAR,
        f"E-{YEAR}-4711-1",
        "3.30",
    )
    outcome = run_import(funded, data, "e.xlsx", "generique", FIN, dry_run=False)
    assert outcome.written and project_budget(funded).commitments[line.key][
        "amount"
    ] == D("3.30")


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("relevé\x01\n.csv", "relevé??.csv"),
        ("x" * 300 + ".csv", "…" + ("x" * 300 + ".csv")[-254:]),
    ],
)
def test_an_odd_file_name_does_not_refuse_the_import(
    funded: Ledger, name: str, kept: str
) -> None:
    outcome = run_import(
        funded, csv_file(OK_ENGAGEMENT), name, "generique", FIN, dry_run=False
    )
    assert outcome.written
    register = funded.load(FinanceImports, FinanceImports.ID)
    assert register is not None and register.last is not None
    assert register.last["file_name"] == kept and len(kept) <= 255


AMOUNTS_REFUSED = {
    "1e3": "montant attendu",
    "1_000": "montant attendu",
    "+5": "montant attendu",
    "١٢٣": "montant attendu",
    "Infinity": "montant attendu",
    "NaN": "montant attendu",
    "1e309": "montant attendu",
    "1.234,56": "montant attendu",
    "-0": "montant positif en euros, au centime",
    "-12,00": "montant positif en euros, au centime",
    "0,00": "montant positif en euros, au centime",
    "1 234,567": "montant positif en euros, au centime",
}
AMOUNTS_READ = {
    "1 234,56": "1234.56",
    "1\u00a0234,56": "1234.56",
    "1\u202f234,5": "1234.50",  # the French locale's narrow no-break space
    "12": "12.00",
}


def test_amount_cells_take_the_french_writing_and_nothing_else() -> None:
    profile = find_profile("generique")
    for raw, reason in AMOUNTS_REFUSED.items():
        parsed = parse_file(csv_file(_set(OK_ENGAGEMENT, "montant", raw)), "e", profile)
        assert parsed.errors == [
            f"ligne 2, colonne « montant » : {reason} (valeur : « {raw} »)"
        ], raw
    for raw, amount in AMOUNTS_READ.items():
        parsed = parse_file(csv_file(_set(OK_ENGAGEMENT, "montant", raw)), "e", profile)
        assert [str(ln.amount) for ln in parsed.lines] == [amount], raw


def test_an_xlsx_with_a_cell_on_its_last_row_is_refused_at_the_row_limit() -> None:
    """openpyxl makes up an empty row for every gap: one cell on row 1,048,576 of a
    5 KB file cost a million rows (43 s of a web worker)."""
    from setupfile.finance_rows import MAX_XLSX_ROWS

    wb = Workbook()
    ws = wb.active
    ws.append(HEADER.split(";"))
    ws.cell(row=1_048_576, column=1, value="x")
    buf = io.BytesIO()
    wb.save(buf)
    assert len(buf.getvalue()) < 10_000
    parsed = parse_file(buf.getvalue(), "e.xlsx", find_profile("generique"))
    assert parsed.errors == [
        "fichier illisible : classeur trop long : au plus 200\u202f000 lignes"
    ]
    assert MAX_XLSX_ROWS == 200_000


def test_an_xlsx_whose_sheet_is_damaged_is_named_unreadable() -> None:
    """A valid ZIP whose sheet XML is cut: openpyxl's parser raises a ``SyntaxError``
    (``ParseError``), which reached the import page as a 500."""
    wb = Workbook()
    wb.active.append(HEADER.split(";"))
    buf = io.BytesIO()
    wb.save(buf)
    parsed = parse_file(cut_sheets(buf.getvalue()), "e.xlsx", find_profile("generique"))
    assert len(parsed.errors) == 1
    assert parsed.errors[0].startswith(
        "fichier illisible : CSV ou XLSX attendu (ParseError : "
    )
