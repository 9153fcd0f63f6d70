"""The organisation import's optional ``entite`` column: a direction is created in
its entity, a changed entity is one event with the import as reason, an unknown one
is named and nothing is written; empty means the municipality."""

from __future__ import annotations

from pathlib import Path

from domain.entities import MAIN
from domain.organisation import Direction
from ledger.app import Ledger
from setupfile.importer import apply, current_rows, plan_file
from setupfile.sheets import write_xlsx
from tests.domain.builders import names_since
from tests.setupfile.test_import import ADMIN, ROWS


def with_directions(*rows: list[str]) -> dict[str, list[list[str]]]:
    return {**ROWS, "directions": [list(r) for r in rows]}


def test_directions_are_imported_into_their_entity_and_moved_by_a_new_file(
    ledger: Ledger, tmp_path: Path
) -> None:
    ledger.declare_entity(ADMIN, "CCAS", "CCAS de test", "ccas", "267500015")
    write_xlsx(
        tmp_path / "v1.xlsx",
        with_directions(
            ["FIN", "Finances", "PRS", ""], ["EDU", "Éducation", "PSF", "CCAS"]
        ),
    )
    plan = plan_file(ledger, tmp_path / "v1.xlsx")
    assert plan.ok, plan.lines()
    apply(ledger, plan, ADMIN)
    entities = {
        c: ledger.load(Direction, Direction.id_for(c)).entity for c in ("FIN", "EDU")
    }
    assert entities == {"FIN": MAIN, "EDU": "CCAS"}
    assert current_rows(ledger)["directions"] == [
        ["FIN", "Finances", "PRS", ""],
        ["EDU", "Éducation", "PSF", "CCAS"],
    ]
    write_xlsx(
        tmp_path / "v2.xlsx",
        with_directions(
            ["FIN", "Finances", "PRS", "CCAS"], ["EDU", "Éducation", "PSF", "CCAS"]
        ),
    )
    plan = plan_file(ledger, tmp_path / "v2.xlsx")
    assert plan.lines() == [
        "directions, ligne 2 : modifie l'entité de la direction FIN"
    ]
    head = ledger.head()
    assert apply(ledger, plan, ADMIN) == 1
    assert names_since(ledger, head) == ["Direction.EntityChanged"]


def test_an_unknown_entity_is_named_and_nothing_is_written(
    ledger: Ledger, tmp_path: Path
) -> None:
    write_xlsx(
        tmp_path / "bad.xlsx", with_directions(["FIN", "Finances", "PRS", "AGGLO"])
    )
    head = ledger.head()
    plan = plan_file(ledger, tmp_path / "bad.xlsx")
    assert not plan.ok
    assert any("entite" in line and "AGGLO" in line for line in plan.lines()), (
        plan.lines()
    )
    assert ledger.head() == head
