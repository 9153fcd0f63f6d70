"""The whole-file guarantee of the finance import at write time, on both backends:
every line to record is checked against the budget rules before any batch is written,
so a file with one rule-breaking line writes nothing and names it; a batch a
concurrent command makes fail says exactly what was written, and importing the same
file again completes it."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.finance_import import FinanceImports, ImportPartlyWritten
from ledger.app import Ledger
from ledger.commands import finance_import
from setupfile.finance_file import find_profile, parse_file
from tests.domain.builders import YEAR, Town
from tests.ledger.test_finance_import import FIN, csv_file, engagement, project, run


def mandat_on(bordereau: str, piece: str, number: str, day: str) -> str:
    """A mandat of 1,00 paying ``number``, dated ``day`` (JJ/MM)."""
    return (
        f"mandat;{YEAR};principal;I;réel;20;2051;020;P1;;{number};1;;{bordereau};"
        f"{piece};1;{day}/{YEAR};1,00;Titulaire"
    )


def early_mandat_refusal(line: int, piece: str, engagement_on: str) -> str:
    return (
        f"Ligne {line} (M-{YEAR}-B9-{piece}-1) refusée : La date {YEAR}-03-01 "
        f"précède son engagement ({engagement_on}) : un mandat impossible."
    )


@pytest.fixture
def funded(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> Ledger:
    """P1 approved; batches of two lines, so a file of a few lines has several."""
    monkeypatch.setattr(finance_import, "BATCH", 2)
    Town(ledger).approved_budget("P1", "100000.00")
    return ledger


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    pairs=st.integers(min_value=1, max_value=5),
    position=st.integers(min_value=0, max_value=10),
    recorded_before=st.booleans(),
)
def test_a_line_breaking_a_budget_rule_anywhere_refuses_the_file_whole(
    funded: Ledger, pairs: int, position: int, recorded_before: bool
) -> None:
    """The bad line is a mandat dated before its engagement: the engagement in the
    same file, or already recorded by an earlier import (EJ0)."""
    if recorded_before and not project(funded).commitments:
        run(funded, csv_file(engagement("EJ0", "10,00")))
    lines = []
    for i in range(pairs):
        lines += [
            engagement(f"EJ{i + 1}", "10,00"),
            mandat_on("B1", f"M{i}", f"EJ{i + 1}", "15/05"),
        ]
    at = min(position, len(lines))
    target = "EJ0" if recorded_before else f"EJ{pairs}"
    lines.insert(at, mandat_on("B9", "BAD", target, "01/03"))
    head = funded.head()
    outcome = run(funded, csv_file(*lines))
    assert (outcome.written, funded.head()) == (False, head)
    assert outcome.parsed.lines == []
    assert outcome.parsed.errors == [
        early_mandat_refusal(at + 2, "BAD", f"{YEAR}-04-02")
    ]
    again = run(funded, csv_file(*lines), dry_run=True)
    assert again.parsed.errors == outcome.parsed.errors  # the dry run says the same


def test_every_refused_line_is_named_and_nothing_is_written(funded: Ledger) -> None:
    data = csv_file(
        engagement("EJ1", "10,00"),
        mandat_on("B9", "A", "EJ1", "01/03"),
        engagement("EJ2", "10,00"),
        mandat_on("B9", "B", "EJ2", "15/05"),
        mandat_on("B9", "C", "EJ2", "01/03"),
    )
    head = funded.head()
    outcome = run(funded, data)
    assert outcome.parsed.errors == [
        early_mandat_refusal(3, "A", f"{YEAR}-04-02"),
        early_mandat_refusal(6, "C", f"{YEAR}-04-02"),
    ]
    assert (outcome.written, funded.head()) == (False, head)
    assert funded.load(FinanceImports, FinanceImports.ID) is None


def test_a_batch_failing_after_the_check_says_what_was_written_and_reimport_completes(
    funded: Ledger,
) -> None:
    data = csv_file(
        engagement("EJ1", "10,00"),
        engagement("EJ2", "10,00"),
        engagement("EJ3", "10,00"),
        mandat_on("B1", "M1", "EJ1", "15/05"),
        mandat_on("B1", "M2", "EJ2", "15/05"),
        mandat_on("B1", "M3", "EJ3", "15/05"),
    )
    parsed = parse_file(data, "f.csv", find_profile("generique"))
    plan = funded.plan_finance_import(parsed.lines)
    assert plan.refused == []
    # A concurrent writer records EJ3 by hand before the import is written: the
    # second batch (EJ3, M1) finds it there.
    funded.record_commitment(
        FIN, "P1", f"E-{YEAR}-EJ3-1", YEAR, "investissement", "10.00",
        date(YEAR, 4, 2), "Titulaire",
    )  # fmt: skip
    head = funded.head()
    with pytest.raises(ImportPartlyWritten) as err:
        funded.import_finance(
            FIN, "f.csv", hashlib.sha256(data).hexdigest(), "generique", plan, "imp-1"
        )
    assert str(err.value) == (
        f"Import interrompu au lot 2 sur 3 : Ligne 4 (E-{YEAR}-EJ3-1) refusée : "
        f"Engagement existe déjà : E-{YEAR}-EJ3-1. Les lots 1 à 1 sont enregistrés "
        "(2 engagement(s), 0 mandat(s) et 2 imputation(s) M57, lignes 2-3) ; rien "
        "d'autre n'a été écrit. Réimportez le même fichier pour compléter l'import :"
        " les lignes déjà enregistrées sont reconnues à leur clé et ne le seront pas"
        " deux fois."
    )
    assert funded.head() == head + 4  # EJ1, EJ2 and their imputations
    assert funded.load(FinanceImports, FinanceImports.ID) is None
    again = run(funded, data)
    assert again.written
    assert again.plan.counts == {
        "create": 3,
        "exists": 3,
        "conflict": 0,
        "unmatched": 0,
        "no_commitment": 0,
    }
    budget = project(funded)
    assert {k: str(c["paid"]) for k, c in budget.commitments.items()} == {
        f"E-{YEAR}-EJ{i}-1": "1.00" for i in (1, 2, 3)
    }
    register = funded.load(FinanceImports, FinanceImports.ID)
    assert register is not None and register.count == 1
