"""Finance in Chromium, on both backends: saves a column-mapping profile, maps an
operation code of the finance software to a project, then imports a file in that
profile (the dry run shows the line matched through the mapping; the confirmation
writes it); and imputes a project in M57 through the form (a code outside the
nomenclature warns, a malformed code is refused next to its field, nothing written)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from playwright.sync_api import expect

from domain.budget import ProjectBudget
from domain.finance_import import REQUIRED_FIELDS
from tests.web.e2e.browsing import person
from tests.web.e2e.test_finance_import import funded_project

FINANCE = "fin.garnier"
COLUMNS = {
    "exercice": "EXER",
    "section": "SECT",
    "ligne": "LIG",
    "date": "DATE_ENG",
    "montant": "MONTANT",
    "operation": "OPER",
    "engagement": "NUM",
    "tiers": "FOURNISSEUR",
}


def test_finance_saves_a_profile_maps_a_code_and_imports_with_them(
    browser: Any, server: Any, tmp_path: Any
) -> None:
    code, year = funded_project(server.ledger)
    path = tmp_path / "maison.csv"
    path.write_text(
        ";".join(COLUMNS.values())
        + f"\r\n{year};I;1;04/06/{year};7,89;OPX-42;PROF1;Titulaire\r\n",
        encoding="utf-8-sig",
    )
    with person(browser, server, FINANCE) as fin:
        assert fin.open("/budget/import/profils") == 200
        fin.fill("Nom du profil *", "maison-e2e")
        fin.fill("Libellé", "Export maison")
        fin.select("Type de lignes", "engagement")
        for field, header in COLUMNS.items():
            star = " *" if field in REQUIRED_FIELDS else ""
            fin.fill(f"Colonne du champ {field}{star}", header)
        fin.click("Enregistrer le profil")
        fin.flash("Profil « maison-e2e » enregistré.")
        expect(
            fin.page.locator('#profiles tr[data-name="maison-e2e"]')
        ).to_contain_text("enregistré")
        fin.look("finance-profiles")

        assert fin.open("/budget/import/correspondances") == 200
        fin.fill("Code financier (AP ou opération) *", "OPX-42")
        fin.fill("Projet *", code)
        fin.click("Ajouter")
        fin.flash(f"Le code OPX-42 désigne désormais le projet {code}.")
        expect(fin.page.locator('#mappings tr[data-source="OPX-42"]')).to_contain_text(
            code
        )
        fin.look("finance-mappings")

        assert fin.open("/budget/import") == 200
        fin.page.locator("#finance-profile").select_option("maison-e2e")
        fin.page.locator("#finance-file").set_input_files(str(path))
        head = server.ledger.head()
        fin.click("Prévisualiser")
        expect(fin.page.locator("#import-counts td")).to_have_text(
            ["1", "0", "0", "0", "0"]
        )
        line = fin.page.locator("main table").nth(1).locator("tbody tr").first
        expect(line.locator("td")).to_have_text(
            ["2", f"E-{year}-PROF1-1", code, "7,89 €", "à créer", "—"]
        )
        assert server.ledger.head() == head
        fin.click("Confirmer l'import")
        fin.flash("Import terminé : 1 ligne(s) enregistrée(s).")
        budget = server.ledger.load(ProjectBudget, ProjectBudget.id_for(code))
        assert budget.commitments[f"E-{year}-PROF1-1"]["amount"] == Decimal("7.89")


def test_finance_imputes_a_project_with_a_warning_and_a_refused_code(
    browser: Any, server: Any
) -> None:
    code, _ = funded_project(server.ledger)
    form = f"/budget/projets/{code}/imputation"
    with person(browser, server, FINANCE) as fin:
        assert fin.open(form) == 200
        fin.select("Ce qui est imputé *", "investissement")
        fin.fill("Chapitre M57 *", "2X")
        fin.fill("Article M57 *", "2183")
        head = server.ledger.head()
        fin.click("Enregistrer l'imputation")
        chapter = fin.page.get_by_label("Chapitre M57 *")
        expect(chapter).to_have_attribute("aria-invalid", "true")
        expect(fin.page.locator("#e-chapter")).to_contain_text(
            "chapitre M57 : 2 ou 3 chiffres"
        )
        assert server.ledger.head() == head
        fin.look()

        fin.fill("Chapitre M57 *", "21")
        fin.fill("Article M57 *", "2189")
        fin.fill("Fonction M57", "020")
        fin.click("Enregistrer l'imputation")
        fin.flash("Imputation M57 enregistrée.")
        fin.flash("Avertissement M57 : article 2189 hors de la nomenclature M57")
        budget = server.ledger.load(ProjectBudget, ProjectBudget.id_for(code))
        imputed = [
            e
            for e in server.ledger.events.get(ProjectBudget.id_for(code))
            if isinstance(e, ProjectBudget.Imputed)
        ][-1]
        assert (imputed.target, imputed.chapter, imputed.nature) == (
            "investissement",
            "21",
            "2189",
        )
        assert imputed.warnings[0].startswith("article 2189 hors de la nomenclature")
        assert budget is not None
