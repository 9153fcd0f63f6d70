"""Finance previews an export of the finance software in Chromium, then imports it:
the dry run lists what it will create and writes nothing; the import records it and
the reconciliation shows the file's totals beside the ledger's (SQLite run only)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from domain.budget import ProjectBudget
from sdsi.demo import data as D
from tests.web.e2e.browsing import person

pytestmark = pytest.mark.parametrize("server", ["sqlite"], indirect=True)

HEADER = (
    "type;exercice;budget;section;sens;chapitre;nature;fonction;operation;ap;"
    "engagement;ligne_engagement;exercice_engagement;bordereau;piece;ligne;date;"
    "montant;tiers"
)


def funded_project(ledger: Any) -> tuple[str, int]:
    """A demo project with investment CP in a year already begun."""
    for entry in D.CATALOGUE:
        code = entry["code"] if isinstance(entry, dict) else entry[0]
        budget = ledger.load(ProjectBudget, ProjectBudget.id_for(code))
        if budget is None:
            continue
        for key, amount in sorted(budget.cp.items()):
            y, section = key.split("/")
            if section == "investissement" and int(y) <= 2026 and amount > 10:
                return code, int(y)
    raise AssertionError("no funded demo project")


def test_finance_previews_then_imports_a_file(
    browser: Any, server: Any, tmp_path: Any
) -> None:
    code, year = funded_project(server.ledger)
    path = tmp_path / "export.csv"
    path.write_text(
        "\r\n".join(
            [
                HEADER,
                f"engagement;{year};principal;I;réel;20;2051;020;{code};;WEBE1;;;;;1;"
                f"03/06/{year};1,23;Titulaire",
                f"engagement;{year};principal;I;réel;20;2051;020;INCONNU;;WEBE2;;;;;1;"
                f"03/06/{year};4,56;Autre",
            ]
        ),
        encoding="utf-8-sig",
    )
    with person(browser, server, "fin.garnier") as fin:
        assert fin.open("/budget/import") == 200
        fin.page.locator("#finance-profile").select_option("generique")
        fin.page.locator("#finance-file").set_input_files(str(path))
        head = server.ledger.head()
        fin.click("Prévisualiser")
        counts = fin.page.locator("#import-counts td")
        expect(counts).to_have_text(["1", "0", "0", "1", "0"])
        assert server.ledger.head() == head
        fin.look("finance-import-preview")
        fin.click("Confirmer l'import")
        expect(
            fin.page.get_by_text("Import terminé : 1 ligne(s) enregistrée(s).")
        ).to_be_visible()
        budget = server.ledger.load(ProjectBudget, ProjectBudget.id_for(code))
        assert budget.commitments[f"E-{year}-WEBE1-1"]["amount"] == D_("1.23")
        row = fin.page.locator("#reconciliation tbody tr").first
        # the demo's hand-typed commitments are not in the file: highlighted
        expect(row).to_have_class("warning")
        expect(row.locator("td").nth(4)).to_contain_text("1,23")
        fin.look("finance-import-reconciliation")


def D_(text: str) -> Any:
    from decimal import Decimal

    return Decimal(text)
