"""M57 imputation through the budget form and the API, the AP/CP annex from the
budget page, on both backends: recorded, warned, refused naming the field."""

from __future__ import annotations

import io

import openpyxl
import pytest

from projections import queries as q
from tests.web.demo_site import CHAIR, FINANCE, field_error, page, shared_site, token
from tests.web.ui_client import Site, text

PROJECT = "SITEWEB"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest) -> Site:
    return shared_site(request, str(request.param))


def form(**extra: str) -> dict[str, str]:
    return {
        "target": "investissement",
        "chapter": "21",
        "nature": "2183",
        "fonction": "020",
        "operation": "501",
        **extra,
    }


def test_finance_imputes_a_section_from_the_form(site: Site) -> None:
    client = site.client(FINANCE)
    head = site.head()
    response = client.post(f"/budget/projets/{PROJECT}/imputation", data=form())
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/budget/projets/{PROJECT}#m57")
    assert site.events_since(head) == ["ProjectBudget.Imputed"]
    imp = q.project_budget(site.read_model.store, PROJECT)["imputations"]
    assert {
        k: imp["investissement"][k] for k in ("chapter", "nature", "operation")
    } == {
        "chapter": "21",
        "nature": "2183",
        "operation": "501",
    }
    shown = text(client.get(f"/budget/projets/{PROJECT}"))
    assert "Imputation M57 enregistrée." in shown and "501" in shown


def test_an_unknown_article_is_recorded_with_a_visible_warning(site: Site) -> None:
    client = site.client(FINANCE)
    head = site.head()
    response = client.post(
        f"/budget/projets/{PROJECT}/imputation", data=form(nature="2189")
    )
    assert response.status_code == 302
    assert site.events_since(head) == ["ProjectBudget.Imputed"]
    shown = text(client.get(f"/budget/projets/{PROJECT}"))
    assert "Avertissement M57 : article 2189 hors de la nomenclature M57" in shown
    assert shown.count("article 2189 hors de la nomenclature M57") == 2  # flash, table


@pytest.mark.parametrize(
    ("field", "value"),
    [("chapter", "2A"), ("nature", "21831234"), ("fonction", "x"), ("operation", "é")],
)
def test_a_malformed_code_is_refused_next_to_its_field(
    site: Site, field: str, value: str
) -> None:
    head = site.head()
    response = site.client(FINANCE).post(
        f"/budget/projets/{PROJECT}/imputation", data=form(**{field: value})
    )
    assert response.status_code == 422
    assert "M57" in field_error(page(response), f"f-{field}") or field == "operation"
    assert field_error(page(response), f"f-{field}")
    assert site.head() == head


def test_the_form_is_finance_only(site: Site) -> None:
    assert (
        site.client(CHAIR).get(f"/budget/projets/{PROJECT}/imputation").status_code
        == 403
    )
    assert (
        site.client(FINANCE).get(f"/budget/projets/{PROJECT}/imputation").status_code
        == 200
    )
    assert (
        site.client(FINANCE).get("/budget/projets/NOPE/imputation").status_code == 404
    )


def test_the_api_imputes_a_commitment_and_answers_the_warnings(site: Site) -> None:
    doc = q.project_budget(site.read_model.store, "BILLET")
    reference = doc["commitments"][0]["reference"]
    headers = token(site, FINANCE)
    response = site.client().post(
        "/api/v1/projects/BILLET/imputations",
        json={
            "commitment": reference,
            "chapter": "23",
            "nature": "2318",
            "fonction": "0209",
        },
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()
    result = response.get_json()["result"]
    assert result["target"] == f"engagement:{reference}"
    assert len(result["warnings"]) == 1
    assert result["warnings"][0].startswith("fonction 0209 hors de la nomenclature M57")
    head = site.head()
    response = site.client().post(
        "/api/v1/projects/BILLET/imputations",
        json={"section": "investissement", "chapter": "21", "nature": "21AB"},
        headers=headers,
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["details"]["field"] == "nature"
    assert "« Article M57 »" in error["message"]
    assert site.head() == head


def test_the_budget_page_links_the_apcp_annex(site: Site) -> None:
    client = site.client(FINANCE)
    body = page(client.get("/budget"))
    assert 'href="/exports/apcp.xlsx"' in body and 'href="/exports/apcp.pdf"' in body
    response = client.get("/exports/apcp.xlsx")
    assert response.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    annex = q.apcp_annex(site.read_model.store)
    assert len(rows) == len(annex["rows"]) + 2
    assert rows[-1][0] == "Total"
