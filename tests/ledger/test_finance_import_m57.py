"""An imported engagement's M57 codes, on both backends: validated by domain.m57,
recorded as the commitment's imputation in the same batch, shown in the dry run, never
recorded twice nor silently changed."""

from __future__ import annotations

import pytest

from domain.budget import ProjectBudget
from ledger.app import Ledger
from tests.domain.builders import YEAR, Town
from tests.ledger.test_finance_import import FIN, csv_file, mandat, project, run

EJ1 = f"E-{YEAR}-EJ1-1"


def engagement(
    number: str,
    chapitre: str = "20",
    nature: str = "2051",
    fonction: str = "020",
    op: str = "P1",
) -> str:
    return (
        f"engagement;{YEAR};principal;I;réel;{chapitre};{nature};{fonction};{op};;"
        f"{number};;;;;1;02/04/{YEAR};100,00;Titulaire"
    )


def imputed(ledger: Ledger) -> list[tuple[str, str, str, str | None, str | None, list]]:
    return [
        (e.target, e.chapter, e.nature, e.fonction, e.operation, list(e.warnings))
        for e in ledger.events.get(ProjectBudget.id_for("P1"))
        if isinstance(e, ProjectBudget.Imputed)
    ]


@pytest.fixture
def funded(ledger: Ledger) -> Ledger:
    Town(ledger).approved_budget("P1", "100000.00")
    return ledger


def test_an_engagement_is_imputed_in_its_batch_and_the_preview_says_so(
    funded: Ledger,
) -> None:
    data = csv_file(engagement("EJ1"), mandat("B7", "M12", "EJ1", "40,00"))
    preview = run(funded, data, dry_run=True)
    assert preview.report() == [
        f"ligne 2 {EJ1} 100.00 P1 : à créer ; imputation M57 20/2051/020/P1 : "
        "à enregistrer",
        f"ligne 3 M-{YEAR}-B7-M12-1 40.00 P1 : à créer",
        "imputations M57 : 1 à enregistrer, 0 déjà enregistrées, 0 en conflit",
        "2 à créer, 0 déjà présentes, 0 en conflit, 0 sans projet, "
        "0 sans engagement connu (aperçu : rien n'a été écrit)",
    ]
    assert imputed(funded) == []
    head = funded.head()
    outcome = run(funded, data)
    assert outcome.written
    assert imputed(funded) == [(f"engagement:{EJ1}", "20", "2051", "020", "P1", [])]
    kinds = [
        type(e).__name__ for e in funded.events.get(ProjectBudget.id_for("P1"), gt=0)
    ][-3:]
    assert kinds == ["Committed", "Imputed", "Paid"]
    events = list(funded.events.get(ProjectBudget.id_for("P1"), gt=0))[-3:]
    assert len({e.context.key for e in events}) == 1  # one batch, one transaction
    assert project(funded).imputations == {f"engagement:{EJ1}": "20"}
    assert funded.head() == head + 5  # 2 movements, imputation, register, import


def test_an_unknown_code_is_accepted_with_its_warning(funded: Ledger) -> None:
    data = csv_file(engagement("EJ1", nature="2059", op="AP2025-03"))
    funded.add_finance_mapping(FIN, "AP2025-03", "P1")
    warning = (
        "article 2059 hors de la nomenclature M57 livrée "
        "(M57 développée, plan de comptes au 1er janvier 2025 ; sous-ensemble "
        "2026-12 transcrit pour un budget informatique)"
    )
    preview = run(funded, data, dry_run=True)
    assert preview.report()[0] == (
        f"ligne 2 {EJ1} 100.00 P1 : à créer ; imputation M57 20/2059/020/- : "
        f"à enregistrer ; avertissement : {warning}"
    )
    run(funded, data)
    # an operation code that is no M57 operation only names the project
    assert imputed(funded) == [
        (f"engagement:{EJ1}", "20", "2059", "020", None, [warning])
    ]


@pytest.mark.parametrize(
    ("column", "value", "error"),
    [
        ("chapitre", "2X", "chapitre M57 : 2 ou 3 chiffres"),
        ("nature", "20510000", "article M57 : 3 à 7 chiffres"),
        ("fonction", "0-2", "fonction M57 : 1 à 5 chiffres"),
        ("chapitre", "", "obligatoire"),
    ],
)
def test_a_malformed_code_refuses_the_whole_file(
    funded: Ledger, column: str, value: str, error: str
) -> None:
    head = funded.head()
    bad = csv_file(engagement("EJ1"), engagement("EJ2", **{column: value}))
    outcome = run(funded, bad)
    assert outcome.parsed.lines == []
    assert outcome.parsed.errors == [
        f"ligne 3, colonne « {column} » : {error} (valeur : « {value} »)"
    ]
    assert (outcome.written, funded.head()) == (False, head)


def test_reimport_records_nothing_twice_and_reports_a_changed_imputation(
    funded: Ledger,
) -> None:
    run(funded, csv_file(engagement("EJ1")))
    head = funded.head()
    again = run(funded, csv_file(engagement("EJ1")))
    assert (again.written, again.plan.imputations, funded.head()) == (
        False,
        {2: "imputed"},
        head,
    )
    changed = run(funded, csv_file(engagement("EJ1", nature="2183")))
    assert changed.report()[0] == (
        f"ligne 2 {EJ1} 100.00 P1 : déjà présente ; imputation M57 20/2183/020/P1 : "
        "CONFLIT (autre imputation déjà enregistrée, non modifiée)"
    )
    assert (changed.written, funded.head()) == (False, head)
    assert imputed(funded) == [(f"engagement:{EJ1}", "20", "2051", "020", "P1", [])]


def test_codes_given_later_impute_a_recorded_engagement(funded: Ledger) -> None:
    run(funded, csv_file(engagement("EJ1", chapitre="", nature="", fonction="")))
    assert imputed(funded) == []
    head = funded.head()
    later = run(funded, csv_file(engagement("EJ1")))
    assert later.written and later.plan.counts["exists"] == 1
    assert imputed(funded) == [(f"engagement:{EJ1}", "20", "2051", "020", "P1", [])]
    assert funded.head() == head + 2  # the imputation and the import event
