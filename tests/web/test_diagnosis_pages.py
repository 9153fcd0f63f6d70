"""The diagnosis through the API and the pages, on both backends: who may do what
(the DSI keeps the inventory and assesses technically, a referent assesses for their
direction only, the chair and the auditor read), the application page shows the
DSI's view beside the direction's with their history, a proposal cites applications
and findings, the uncovered risks follow, the import page refuses a wrong file
whole, and the template downloads."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from openpyxl import load_workbook

from domain.inventory import SCALES
from setupfile.inventory_file import template_xlsx
from tests.damaged_files import cut_sheets
from tests.web.ui_client import Site, text
from tests.web.world import (
    OTHER_DIRECTION,
    OWN,
    OWN_DIRECTION,
    bearer,
    login,
    open_world,
)
from web.ui.diagnosis import LEVEL_NAMES

APP = {
    "code": "PAIE",
    "kind": "application",
    "name": "Paie et RH",
    "direction": OWN_DIRECTION,
    "supplier": "Éditeur",
    "technology": "Cobol",
    "product_version": "3.1",
    "end_of_support": "2020-12-31",
    "users": 40,
    "annual_cost": "18500.50",
    "criticality": 4,
}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    running = open_world(request, tmp_path_factory, request.param)
    yield running
    running.close()


def api(site: Site, who: str, method: str, url: str, body: Any = None) -> Any:
    client = site.app.test_client()
    return client.open(
        "/api/v1" + url, method=method, json=body, headers=bearer(site, login(who))
    )


def test_the_level_names_shown_are_the_domain_s() -> None:
    assert {k: dict(enumerate(v, 1)) for k, v in LEVEL_NAMES.items()} == SCALES


def test_the_diagnosis_end_to_end_through_the_api(site: Site) -> None:
    assert api(site, "referent", "POST", "/inventory", APP).status_code == 403
    created = api(site, "dsi", "POST", "/inventory", APP)
    assert created.status_code == 201, created.get_json()
    bad = api(site, "dsi", "POST", "/inventory", {**APP, "code": "X", "annual_cost": 1.5})  # fmt: skip
    assert (bad.status_code, list(bad.get_json()["error"]["details"])) == (
        422,
        ["annual_cost"],
    )
    dsi = {"technical_state": 1, "risk": 4, "obsolescence": 4, "comment": "fragile"}
    assert api(site, "referent", "POST", "/inventory/PAIE/assessments/dsi", dsi).status_code == 403  # fmt: skip
    for state in (3, 1):
        body = {**dsi, "technical_state": state}
        answer = api(site, "dsi", "POST", "/inventory/PAIE/assessments/dsi", body)
        assert answer.status_code == 201
    use = {"satisfaction": 1, "coverage": 2, "comment": "lente"}
    own = api(site, "referent", "POST", f"/inventory/PAIE/assessments/{OWN_DIRECTION}", use)  # fmt: skip
    assert own.status_code == 201, own.get_json()
    other = api(site, "referent", "POST", f"/inventory/PAIE/assessments/{OTHER_DIRECTION}", use)  # fmt: skip
    assert (other.status_code, other.get_json()["error"]["code"]) == (
        403,
        "not_referent_for_assessment",
    )
    assert api(site, "dsi", "POST", f"/inventory/PAIE/assessments/{OWN_DIRECTION}", use).status_code == 403  # fmt: skip

    for reader in ("chair", "auditor", "referent"):
        record = api(site, reader, "GET", "/inventory/PAIE")
        assert record.status_code == 200
    doc = record.get_json()
    assert doc["annual_cost"] == "18500.50"
    assert (doc["dsi"]["technical_state"], doc["dsi"]["number"]) == (1, 2)
    assert [h["detail"]["technical_state"] for h in doc["dsi_history"]] == [1, 3]
    assert doc["directions"][OWN_DIRECTION]["satisfaction"] == 1
    assert doc["risks"] == ["support_ended", "obsolescence_high"]

    keys = [s["key"] for s in api(site, "chair", "GET", "/diagnosis/suggestions").get_json()["suggestions"]]  # fmt: skip
    assert keys == ["support:PAIE", "fragile:PAIE", f"unsatisfied:PAIE:{OWN_DIRECTION}"]
    assert api(site, "chair", "POST", "/findings", {"kind": "risk", "title": "x"}).status_code == 403  # fmt: skip
    finding = api(
        site,
        "dsi",
        "POST",
        "/findings",
        {
            "kind": "risk",
            "title": "Paie hors support",
            "applications": ["PAIE"],
            "assessments": ["PAIE:dsi:2", f"PAIE:{OWN_DIRECTION}:1"],
            "suggestion": "support:PAIE",
        },
    )
    assert finding.status_code == 201
    code = finding.get_json()["result"]["code"]
    uncovered = api(site, "chair", "GET", "/diagnosis/uncovered-risks").get_json()
    assert [r["code"] for r in uncovered["risks"]] == ["PAIE"]
    links = {"applications": {"PAIE": "replaces"}, "findings": [code]}
    assert api(site, "dsi", "PUT", f"/proposals/{OWN}/links", {**links, "applications": {"NOPE": "replaces"}}).status_code == 404  # fmt: skip
    linked = api(site, "referent", "PUT", f"/proposals/{OWN}/links", links)
    assert linked.status_code == 201, linked.get_json()
    assert api(site, "chair", "GET", "/diagnosis/uncovered-risks").get_json() == {
        "risks": []
    }
    (cited,) = api(site, "auditor", "GET", "/findings").get_json()["findings"]
    assert cited["proposals"] == [OWN]
    assert api(site, "chair", "GET", f"/proposals/{OWN}/links").get_json()[
        "applications"
    ] == {"PAIE": "replaces"}

    page = text(site.client(login("chair")).get("/diagnostic/applications/PAIE"))
    assert "Vue de la DSI et vues des directions" in page
    assert "1 — mauvais" in page and "3 — correct" in page  # current and superseded
    assert f"Direction {OWN_DIRECTION}" in page and "1 — insatisfaite" in page
    proposal = text(site.client(login("referent")).get(f"/fiches/{OWN}"))
    assert "PAIE" in proposal and code in proposal


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("0001-01-01", "année de 1900 à 2100 attendue"),
        ("9999-12-31", "année de 1900 à 2100 attendue"),
        ("20260101", "Date attendue (AAAA-MM-JJ)."),
        ("2026-W01-1", "Date attendue (AAAA-MM-JJ)."),
    ],
)
def test_an_end_of_support_is_an_iso_date_of_1900_to_2100(
    site: Site, written: str, message: str
) -> None:
    head = site.head()
    body = {**APP, "code": "DATES", "end_of_support": written}
    bad = api(site, "dsi", "POST", "/inventory", body)
    assert bad.status_code == 422, bad.get_json()
    error = bad.get_json()["error"]
    if message.startswith("Date"):  # the schema's grammar
        assert error["details"] == {"end_of_support": [message]}, error
    else:  # the domain's range
        assert error["details"]["field"] == "end_of_support", error
        assert error["details"]["reason"] == message, error
    assert site.head() == head
    wrong = f"code;nom;criticite;fin_de_support\r\nDATES;Courrier;2;{written}\r\n"
    page = site.client(login("dsi")).post(
        "/diagnostic/import",
        data={"file": (io.BytesIO(wrong.encode()), "inventaire.csv")},
        content_type="multipart/form-data",
    )
    assert page.status_code == 422
    assert "inventaire, ligne 2, colonne fin_de_support" in text(page)
    assert site.head() == head


def test_the_import_page_refuses_a_wrong_file_whole_then_imports_a_good_one(
    site: Site,
) -> None:
    client = site.client(login("dsi"))
    head = site.head()
    wrong = b"code;nom;criticite;cout_annuel\r\nIMP1;;7;12.345\r\n"
    answer = client.post(
        "/diagnostic/import",
        data={"file": (io.BytesIO(wrong), "inventaire.csv")},
        content_type="multipart/form-data",
    )
    page = text(answer)
    assert answer.status_code == 422
    for column in ("nom", "criticite", "cout_annuel"):
        assert f"inventaire, ligne 2, colonne {column}" in page
    assert site.head() == head
    good = b"code;nom;criticite;cout_annuel\r\nIMP1;Courrier;2;1 200,00\r\n"
    for _ in range(2):
        answer = client.post(
            "/diagnostic/import",
            data={"file": (io.BytesIO(good), "inventaire.csv")},
            content_type="multipart/form-data",
        )
        assert answer.status_code == 200
    site.caught_up()
    assert site.events_since(head) == ["Application.Registered"]
    assert site.client(login("referent")).post(
        "/diagnostic/import",
        data={"file": (io.BytesIO(good), "inventaire.csv")},
        content_type="multipart/form-data",
    ).status_code == 403  # fmt: skip


DAMAGED = cut_sheets(
    template_xlsx([["DMG1", "", "N", "", "", "", "", "", "", "", "2"]])
)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("huge.csv", b"code;nom;criticite\r\nBIG;" + b"x" * 200_000 + b";1\r\n", "huge.csv : CSV illisible (field larger than field limit (131072))"),
        ("damaged.xlsx", None, "damaged.xlsx, feuille inventaire : feuille illisible (fichier endommagé)"),
    ],
)  # fmt: skip
def test_a_file_the_readers_refuse_is_named_never_a_server_error(
    site: Site, name: str, data: bytes | None, message: str
) -> None:
    head = site.head()
    answer = site.client(login("dsi")).post(
        "/diagnostic/import",
        data={"file": (io.BytesIO(data or DAMAGED), name)},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 422
    assert message in text(answer)
    assert site.head() == head


def test_the_diagnosis_page_filters_and_the_filled_template_reads_back(
    site: Site,
) -> None:
    client = site.client(login("auditor"))
    html = client.get("/diagnostic?kind=application&q=courrier").get_data(as_text=True)
    table = html.split('id="inventory"', 1)[1].split("</table>", 1)[0]
    assert "IMP1" in table and "PAIE" not in table
    book = load_workbook(
        io.BytesIO(client.get("/diagnostic/modele.xlsx?actuel=1").data)
    )
    rows = list(book["inventaire"].iter_rows(values_only=True))
    imp = next(r for r in rows if r[0] == "IMP1")
    assert (imp[2], imp[9], imp[10]) == ("Courrier", "1200.00", "2")
    assert client.get("/diagnostic/modele.pdf").status_code == 404


@pytest.mark.parametrize("value", ["99999999999999999999", "²", "0", "abc"])
def test_a_criticality_filter_that_is_no_level_is_ignored_never_a_server_error(
    site: Site, value: str
) -> None:
    client = site.client(login("auditor"))
    unfiltered = client.get("/diagnostic").get_data(as_text=True)
    answer = client.get(f"/diagnostic?criticality={value}")
    assert answer.status_code == 200
    table = 'id="inventory"'
    shown = answer.get_data(as_text=True).split(table, 1)[1].split("</table>", 1)[0]
    assert shown == unfiltered.split(table, 1)[1].split("</table>", 1)[0]


def test_the_diagnosis_read_as_of_the_last_representable_day_answers(
    site: Site,
) -> None:
    far = {**APP, "code": "FAR1", "direction": None, "reason": "horizon"}
    assert api(site, "dsi", "POST", "/inventory", far).status_code == 201
    site.caught_up()
    client = site.client(login("auditor"))
    assert client.get("/diagnostic?as_of=9999-12-31T23:59:59").status_code == 200
    for read in ("suggestions", "uncovered-risks"):
        answer = api(site, "auditor", "GET", f"/diagnosis/{read}?as_of=9999-12-31")
        assert answer.status_code == 200, answer.get_json()


def test_the_suggestions_read_in_the_page_s_language(site: Site) -> None:
    """The domain words a suggestion in French (what a confirmed finding records);
    the English page showed it in French."""
    old = {**APP, "code": "VIEUX", "name": "Vieux logiciel", "direction": None}
    assert api(site, "dsi", "POST", "/inventory", {**old, "end_of_support": "2019-06-30", "reason": "inventaire"}).status_code == 201  # fmt: skip
    site.caught_up()
    client = site.client(login("dsi"))
    french = text(client.get("/diagnostic"))
    assert "Vieux logiciel : fin de support dépassée" in french
    assert "Le support de Vieux logiciel a pris fin le 30 juin 2019." in french
    client.get("/diagnostic?lang=en")
    english = text(client.get("/diagnostic"))
    assert "Vieux logiciel: end of support passed" in english
    assert "Support for Vieux logiciel ended on 30 June 2019." in english
    assert "fin de support dépassée" not in english
    # confirming it records the domain's French wording, whatever the page's language
    suggested = api(site, "dsi", "GET", "/diagnosis/suggestions").get_json()
    titles = [
        s["title"] for s in suggested["suggestions"] if s["application"] == "VIEUX"
    ]
    assert titles == ["Vieux logiciel : fin de support dépassée"]


def test_the_import_errors_read_in_the_page_s_language(site: Site) -> None:
    """« inventaire, ligne N, colonne … » stayed French on the English page."""
    wrong = b"code;nom;criticite;fin_de_support\r\nLANG1;;2;20260101\r\n"
    client = site.client(login("dsi"))
    head = site.head()

    def refused() -> str:
        answer = client.post(
            "/diagnostic/import",
            data={"file": (io.BytesIO(wrong), "inventaire.csv")},
            content_type="multipart/form-data",
        )
        assert answer.status_code == 422
        return text(answer)

    french = refused()
    assert "inventaire, ligne 2, colonne nom : obligatoire" in french
    assert (
        "inventaire, ligne 2, colonne fin_de_support : date au format AAAA-MM-JJ ou "
        "JJ/MM/AAAA attendue" in french
    )
    client.get("/diagnostic?lang=en")
    english = refused()
    assert "inventaire, line 2, column nom: required" in english
    assert (
        "inventaire, line 2, column fin_de_support: date expected in YYYY-MM-DD or "
        "DD/MM/YYYY format" in english
    )
    assert "ligne 2" not in english
    assert site.head() == head
