"""Entities through the web, on both backends: the Référentiel page and its forms,
the API (list, declare, split), the budget page and API read by entity; bad input
is refused naming the field, in French, nothing written."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest

from domain.entities import MAIN
from tests.web.ui_client import Site, text
from tests.web.world import OWN, bearer, login, open_world

EPCI_SIREN = "200054781"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    running = open_world(request, tmp_path_factory, request.param)
    yield running
    running.close()


def api(site: Site, role: str) -> dict[str, str]:
    return bearer(site, login(role))


def test_entities_are_declared_listed_and_refused_with_their_field(site: Site) -> None:
    client = site.app.test_client()
    head = site.head()
    bad = client.post(
        "/api/v1/entities",
        json={"code": "AGGLO", "name": "Agglo", "kind": "epci", "siren": "200054782"},
        headers=api(site, "dsi"),
    )
    assert bad.status_code == 422
    assert bad.get_json()["error"]["details"]["field"] == "siren"
    assert "SIREN invalide" in bad.get_json()["error"]["message"]
    assert site.head() == head
    refused = client.post(
        "/api/v1/entities",
        json={"code": "AGGLO", "name": "Agglo", "kind": "epci", "siren": EPCI_SIREN},
        headers=api(site, "finance"),
    )
    assert refused.status_code == 403
    made = client.post(
        "/api/v1/entities",
        json={
            "code": "AGGLO",
            "name": "Communauté d'agglomération de test",
            "kind": "epci",
            "siren": "200 054 781",
        },
        headers=api(site, "dsi"),
    )
    assert made.status_code == 201, made.get_json()
    listed = client.get("/api/v1/entities", headers=api(site, "member")).get_json()
    assert [
        (e["code"], e["kind"], e["siren"], e["main"]) for e in listed["entities"]
    ] == [
        (MAIN, "commune", "", True),
        ("AGGLO", "epci", EPCI_SIREN, False),
    ]
    page = site.client(login("dsi")).get("/referentiel/entites")
    assert page.status_code == 200
    body = text(page)
    assert "Communauté d'agglomération de test" in body
    assert "Déclarer une entité" in body and "Rattacher une direction" in body
    assert "Déclarer une entité" not in text(
        site.client(login("member")).get("/referentiel/entites")
    )


def test_a_cost_split_must_sum_to_one_hundred(site: Site) -> None:
    client = site.app.test_client()
    client.post(
        "/api/v1/entities",
        json={
            "code": "CCAS",
            "name": "CCAS de test",
            "kind": "ccas",
            "siren": "267500015",
        },
        headers=api(site, "dsi"),
    )
    head = site.head()
    bad = client.put(
        f"/api/v1/proposals/{OWN}/cost-split",
        json={
            "shares": [
                {"entity": MAIN, "percent": "60"},
                {"entity": "CCAS", "percent": "30"},
            ]
        },
        headers=api(site, "dsi"),
    )
    assert bad.status_code == 422
    assert bad.get_json()["error"]["details"]["field"] == "shares"
    assert "100" in bad.get_json()["error"]["message"]
    assert site.head() == head
    good = client.put(
        f"/api/v1/proposals/{OWN}/cost-split",
        json={
            "shares": [
                {"entity": MAIN, "percent": "60"},
                {"entity": "CCAS", "percent": "40"},
            ]
        },
        headers=api(site, "chair"),
    )
    assert good.status_code == 201, good.get_json()
    assert good.get_json()["result"]["shares"] == [
        {"entity": MAIN, "percent": "60.00"},
        {"entity": "CCAS", "percent": "40.00"},
    ]
    # a JSON number is a percentage too (as the progress's), a float never
    numbers = client.put(
        f"/api/v1/proposals/{OWN}/cost-split",
        json={
            "shares": [
                {"entity": MAIN, "percent": 55},
                {"entity": "CCAS", "percent": 45},
            ]
        },
        headers=api(site, "chair"),
    )
    assert numbers.status_code == 201, numbers.get_json()
    assert numbers.get_json()["result"]["shares"] == [
        {"entity": MAIN, "percent": "55.00"},
        {"entity": "CCAS", "percent": "45.00"},
    ]
    head = site.head()
    for wrong in (45.5, True, None, ["45"]):
        floated = client.put(
            f"/api/v1/proposals/{OWN}/cost-split",
            json={
                "shares": [
                    {"entity": MAIN, "percent": 54.5},
                    {"entity": "CCAS", "percent": wrong},
                ]
            },
            headers=api(site, "chair"),
        )
        assert floated.status_code == 422, floated.get_json()
        assert site.head() == head


@pytest.mark.parametrize("written", ["1e2", "100.000", "+100", "1 00", "１００"])
def test_a_percentage_is_plain_digits_with_two_decimals_at_most(
    site: Site, written: str
) -> None:
    """ "1e2" and "100.000" are 100 to ``Decimal()``; the docs say two decimals."""
    client = site.app.test_client()
    head = site.head()
    bad = client.put(
        f"/api/v1/proposals/{OWN}/cost-split",
        json={"shares": [{"entity": MAIN, "percent": written}]},
        headers=api(site, "dsi"),
    )
    assert bad.status_code == 422, bad.get_json()
    error = bad.get_json()["error"]
    assert error["details"]["field"] == "shares[0].percent"
    assert error["details"]["reason"] == (
        "pourcentage attendu : chiffres sans signe, point ou virgule, au plus deux "
        "décimales (ex. 33,33)"
    )
    assert site.head() == head
    form = site.client(login("dsi")).post(
        "/referentiel/entites/repartition",
        data={"proposal": OWN, f"share-{MAIN}": written},
    )
    assert form.status_code == 422
    assert "chiffres sans signe, point ou virgule, au plus deux décimales" in text(form)
    assert site.head() == head


def test_the_budget_reads_by_entity(site: Site) -> None:
    client = site.app.test_client()
    client.post(
        "/api/v1/entities",
        json={
            "code": "CCAS",
            "name": "CCAS de test",
            "kind": "ccas",
            "siren": "267500015",
        },
        headers=api(site, "dsi"),
    )
    voted = client.post(
        "/api/v1/budget/envelopes",
        json={
            "year": 2026,
            "section": "investissement",
            "amount": "12345.67",
            "deliberation": "BP CCAS 2026",
            "on": "2025-12-15",
            "entity": "CCAS",
        },
        headers=api(site, "finance"),
    )
    assert voted.status_code in (200, 201), voted.get_json()
    site.caught_up()
    ccas = client.get("/api/v1/budget?entity=CCAS", headers=api(site, "finance"))
    assert ccas.status_code == 200, ccas.get_json()
    envelopes = ccas.get_json()["envelopes"]
    assert [(e["year"], e["total"]) for e in envelopes] == [(2026, "12345.67")]
    mine = client.get(f"/api/v1/budget?entity={MAIN}", headers=api(site, "finance"))
    assert mine.get_json()["envelopes"] == []
    page = site.client(login("finance")).get("/budget?entity=CCAS")
    assert page.status_code == 200
    assert 'id="f-entity"' in page.get_data(as_text=True)
    assert "Toutes (consolidé)" in text(page)
    bad = client.get("/api/v1/budget?entity=a%20b", headers=api(site, "finance"))
    assert bad.status_code == 422
    # an entity unknown (or not yet declared at that moment) is no empty budget
    unknown = client.get("/api/v1/budget?entity=CCAZ", headers=api(site, "finance"))
    assert unknown.status_code == 404
    assert unknown.get_json()["error"]["message"] == "Entité introuvable : CCAZ."
    before = client.get(
        "/api/v1/budget?entity=CCAS&as_of=2000-01-01", headers=api(site, "finance")
    )
    assert before.status_code == 404, before.get_json()
    # the page says so too, and shows the consolidated budget instead
    typo = site.client(login("finance")).get("/budget?entity=CCAZ")
    assert typo.status_code == 422
    assert "Entité inconnue à cette date : filtre ignoré." in text(typo)


def test_the_referential_forms_split_a_cost_and_change_and_close_an_entity(
    site: Site,
) -> None:
    client = site.app.test_client()
    client.post(
        "/api/v1/entities",
        json={
            "code": "SIVU",
            "name": "SIVU des écoles",
            "kind": "syndicat",
            "siren": "213500002",
        },
        headers=api(site, "dsi"),
    )
    site.caught_up()
    dsi = site.client(login("dsi"))
    head = site.head()
    bad = dsi.post(
        "/referentiel/entites/repartition",
        data={"proposal": OWN, f"share-{MAIN}": "70", "share-SIVU": "20"},
    )
    assert bad.status_code == 422
    assert "totaliser 100" in text(bad)
    assert site.head() == head
    done = dsi.post(
        "/referentiel/entites/repartition",
        data={"proposal": OWN, f"share-{MAIN}": "70", "share-SIVU": "30"},
    )
    assert done.status_code == 302, text(done)[:500]
    renamed = dsi.post(
        "/referentiel/entites/modifier",
        data={
            "code": "SIVU",
            "name": "SIVU scolaire",
            "kind": "syndicat",
            "siren": "213500002",
            "reason": "nouveau nom",
        },
    )
    assert renamed.status_code == 302, text(renamed)[:500]
    closed = dsi.post(
        "/referentiel/entites/fermer", data={"code": "SIVU", "reason": "dissous"}
    )
    assert closed.status_code == 302, text(closed)[:500]
    site.caught_up()
    listed = client.get("/api/v1/entities", headers=api(site, "dsi")).get_json()
    sivu = next(e for e in listed["entities"] if e["code"] == "SIVU")
    assert (sivu["name"], sivu["status"]) == ("SIVU scolaire", "closed")
    events = site.events_since(head)
    # OWN's split may already exist (the API test shares this site): Defined or Changed
    assert [e.split(".")[0] for e in events][:3] == ["CostSplit", "Entity", "Entity"]
    # closing frees the entity's SIREN in the register of codes and SIRENs
    assert events[1:] == ["Entity.Changed", "Entity.Closed", "EntityRegister.Released"]


def test_the_apcp_annex_downloads_by_entity_and_refuses_an_unknown_one(
    site: Site,
) -> None:
    client = site.app.test_client()
    declared = client.post(
        "/api/v1/entities",
        json={
            "code": "SYNDIC",
            "name": "Syndicat de test",
            "kind": "syndicat",
            "siren": "254500002",
        },
        headers=api(site, "dsi"),
    )
    assert declared.status_code in (200, 201), declared.get_json()
    site.caught_up()
    finance = site.client(login("finance"))
    body = finance.get("/budget?entity=SYNDIC").get_data(as_text=True)
    assert 'href="/exports/apcp.xlsx?entity=SYNDIC"' in body
    assert 'href="/exports/apcp.pdf?entity=SYNDIC"' in body
    mine = finance.get("/exports/apcp.xlsx?entity=SYNDIC")
    assert mine.status_code == 200
    assert "apcp-entite-syndic.xlsx" in mine.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(mine.get_data())).worksheets[0]
    assert [r[0] for r in sheet.iter_rows(values_only=True)][1:] == ["Total"]
    # an entity unknown at that moment: refused (404), never an empty annex
    for name in ("apcp.xlsx", "apcp.pdf", "budget.csv"):
        refused = finance.get(f"/exports/{name}?entity=CCAZ")
        assert refused.status_code == 404, name
        assert "Entité inconnue à ce moment du registre : CCAZ." in text(refused)
    # in the page's language; a long value is not echoed whole
    finance.get("/exports?lang=en")
    english = text(finance.get("/exports/apcp.xlsx?entity=" + "X" * 500))
    assert f"Entity unknown at that point of the ledger: {'X' * 40}…." in english
    assert "X" * 41 not in english
