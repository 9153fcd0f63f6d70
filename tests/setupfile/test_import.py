"""The organisation from a set-up file: template round-trip, errors named by sheet,
row and column with nothing written, idempotent re-import, one event per change."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook

from domain.organisation import Team
from ledger.app import Ledger
from ledger.core import Caller
from setupfile.importer import apply, current_rows, plan_file
from setupfile.sheets import SHEETS, read, write_csv, write_xlsx
from tests.domain.builders import names_since

ADMIN = Caller(actor="admin")
ROWS: dict[str, list[list[str]]] = {
    "poles": [["PRS", "Pôle Ressources"], ["PSF", "Pôle Services"]],
    "directions": [["FIN", "Finances", "PRS", ""], ["EDU", "Éducation", "PSF", ""]],
    "equipes": [["DSI-APP", "Applications", "dsi", ""], ["MET-EDU", "Écoles", "metier", "EDU"]],
    "capacites": [["DSI-APP", "2026", "200"], ["DSI-APP", "2027", "180"], ["MET-EDU", "2026", "40"]],
    "axes": [["A1", "Services en ligne", "Démarches dématérialisées"]],
    "indicateurs": [["A1-I1", "A1", "Démarches en ligne", "%", "35", "80", "2030"]],
    "cibles": [["A1-I1", "2027", "55.5"]],
    "comptes": [["dsi.moreau", "Claire Moreau", "c.moreau@ville.fr", "dsi"], ["ref.edu", "Léa Martin", "", "referent:EDU"]],
}  # fmt: skip


@pytest.fixture(params=["xlsx", "csv"])
def setup_file(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    path = tmp_path / ("setup.xlsx" if request.param == "xlsx" else "setup")
    (write_xlsx if request.param == "xlsx" else write_csv)(path, ROWS)
    return path


def imported(ledger: Ledger, path: Path) -> int:
    plan = plan_file(ledger, path)
    assert plan.ok, plan.lines()
    return apply(ledger, plan, ADMIN)


def test_the_template_has_one_sheet_per_kind_with_its_header(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "t.xlsx")
    book = load_workbook(tmp_path / "t.xlsx")
    assert book.sheetnames == ["aide", *(s.name for s in SHEETS)]
    assert [c.value for c in book["capacites"][1]] == ["equipe", "annee", "jours"]
    write_csv(tmp_path / "csv")
    with (tmp_path / "csv" / "comptes.csv").open(encoding="utf-8-sig") as f:
        assert next(csv.reader(f, delimiter=";")) == [
            "identifiant",
            "nom",
            "courriel",
            "roles",
        ]


def test_an_import_creates_everything_then_the_template_round_trips(
    ledger: Ledger, setup_file: Path, tmp_path: Path
) -> None:
    head = ledger.head()
    assert imported(ledger, setup_file) == 14
    assert ledger.head() > head
    team = ledger.load(Team, Team.id_for("DSI-APP"))
    assert team is not None and team.capacity == {2026: 200, 2027: 180}

    rows = current_rows(ledger)
    rows["comptes"] = [r for r in rows["comptes"] if r[0] != "admin"]
    assert rows == ROWS
    write_xlsx(tmp_path / "again.xlsx", current_rows(ledger))
    read_back, issues = read(tmp_path / "again.xlsx")
    assert issues == []
    assert {
        k: [list(r.cells.values()) for r in v] for k, v in read_back.items()
    } == current_rows(ledger)
    head = ledger.head()
    again = plan_file(ledger, tmp_path / "again.xlsx")
    assert (again.ok, again.actions) == (True, [])
    assert again.lines() == ["rien à changer"]
    assert ledger.head() == head


def test_importing_the_same_file_again_writes_nothing(
    ledger: Ledger, setup_file: Path
) -> None:
    imported(ledger, setup_file)
    head = ledger.head()
    assert imported(ledger, setup_file) == 0
    assert ledger.head() == head


def test_a_changed_capacity_becomes_exactly_one_event_with_the_import_as_reason(
    ledger: Ledger, tmp_path: Path
) -> None:
    write_xlsx(tmp_path / "v1.xlsx", ROWS)
    imported(ledger, tmp_path / "v1.xlsx")
    changed = {**ROWS, "capacites": [["DSI-APP", "2026", "200"], ["DSI-APP", "2027", "150"], ["MET-EDU", "2026", "40"]]}  # fmt: skip
    write_xlsx(tmp_path / "v2.xlsx", changed)
    plan = plan_file(ledger, tmp_path / "v2.xlsx")
    assert plan.lines() == [
        "capacites, ligne 3 : modifie la capacité de DSI-APP en 2027 (150 j)"
    ]
    head = ledger.head()
    assert apply(ledger, plan, ADMIN) == 1
    assert names_since(ledger, head) == ["Team.CapacitySet"]
    notification = ledger.recorder.select_notifications(
        start=head, limit=1, inclusive_of_start=False
    )[0]
    event = ledger.mapper.to_domain_event(notification)
    assert (event.days, event.context.reason) == (
        150,
        "Import du fichier de paramétrage v2.xlsx",
    )


def test_errors_on_three_sheets_are_all_listed_and_nothing_is_written(
    ledger: Ledger, tmp_path: Path
) -> None:
    wrong = {
        **ROWS,
        "directions": [["FIN", "Finances", "PRS"], ["EDU", "Éducation", "NOPE"]],
        "capacites": [["DSI-APP", "2026", "-5"], ["DSI-APP", "1999", "180"]],
        "comptes": [["dsi.moreau", "Claire Moreau", "", "dsi, superuser"]],
    }
    write_xlsx(tmp_path / "wrong.xlsx", wrong)
    head = ledger.head()
    plan = plan_file(ledger, tmp_path / "wrong.xlsx")
    assert [(e.sheet, e.row, e.column) for e in plan.errors] == [
        ("directions", 3, "pole"),
        ("capacites", 2, "jours"),
        ("capacites", 3, "annee"),
        ("comptes", 2, "roles"),
    ]
    assert str(plan.errors[0]) == (
        "directions, ligne 3, colonne pole : NOPE n'est ni dans la feuille poles ni "
        "dans le référentiel"
    )
    assert plan.actions == []
    with pytest.raises(ValueError):
        apply(ledger, plan, ADMIN)
    assert ledger.head() == head


def test_a_missing_column_and_an_unknown_sheet_are_named(
    tmp_path: Path, ledger: Ledger
) -> None:
    write_csv(tmp_path / "csv", ROWS)
    (tmp_path / "csv" / "poles.csv").write_text(
        "code;libelle\nPRS;Ressources\n", encoding="utf-8"
    )
    (tmp_path / "csv" / "budget.csv").write_text("x\n", encoding="utf-8")
    plan = plan_file(ledger, tmp_path / "csv")
    assert [(e.sheet, e.row, e.column, e.message) for e in plan.errors][:3] == [
        ("budget.csv", 0, "", "feuille inconnue"),
        ("poles", 1, "libelle", "colonne inconnue"),
        ("poles", 1, "nom", "colonne manquante"),
    ]


def test_the_demo_s_bundled_set_up_file_is_its_organisation() -> None:
    from sdsi.demo.data import setup_rows
    from sdsi.demo.loader import SAMPLE_SETUP

    rows, issues = read(SAMPLE_SETUP)
    assert issues == []
    assert {
        k: [list(r.cells.values()) for r in v] for k, v in rows.items()
    } == setup_rows()


def test_each_further_copy_of_the_demo_has_its_own_directions_referents_and_teams() -> (
    None
):
    from sdsi.demo.loader import SAMPLE_SETUP, with_copies

    rows, _issues = read(SAMPLE_SETUP)
    two = with_copies(rows, 2)
    assert len(two["poles"]) == len(rows["poles"])
    assert len(two["directions"]) == 2 * len(rows["directions"])
    copy = two["directions"][len(rows["directions"])].cells
    assert (copy["code"], copy["nom"]) == ("DSN-2", "Direction du numérique (DSI) (2)")
    referents = [
        r.cells for r in two["comptes"] if r.cells["identifiant"] == "ref.dsn-2"
    ]
    assert [(c["roles"]) for c in referents] == ["referent:DSN-2"]
