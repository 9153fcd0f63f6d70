"""Exports page and downloads on both backends: each role sees the exports the
access matrix gives it; each download has the right MIME type, a file name and
parses (CSV with ``;``, XLSX, PDF, JSON, ZIP); ``as_of`` reproduces the past."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile

import openpyxl
import pypdf
import pytest

from exports import registry
from projections import queries as q
from tests.web.demo_site import (
    AUDITOR,
    BY_ROLE,
    CHAIR,
    FINANCE,
    REFERENT,
    field_error,
    page,
    shared_site,
)
from tests.web.ui_client import Site
from web.access import allowed
from web.ui.exports import endpoint_for, permission_for

SESSION = "COPIL-2021-11-16"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest) -> Site:
    return shared_site(request, str(request.param))


def offered(body: str) -> set[str]:
    return set(
        re.findall(r'<section class="card" aria-labelledby="x-([a-z-]+)-h"', body)
    )


def test_every_registered_export_has_its_own_guarded_download_route(site: Site) -> None:
    rules = {r.endpoint: r for r in site.app.url_map.iter_rules()}
    for info in registry.available():
        permission = permission_for(info.name)
        assert permission is not None, info.name
        endpoint = f"ui.{endpoint_for(info.name)}"
        assert endpoint in rules, info.name
        assert site.app.view_functions[endpoint].permission == permission


def test_each_role_is_offered_exactly_the_exports_the_access_matrix_allows(
    site: Site,
) -> None:
    for role, user in BY_ROLE.items():
        response = site.client(user).get("/exports")
        assert response.status_code == 200, role
        expected = {
            e.name
            for e in registry.available([role])
            if allowed([role], permission_for(e.name) or "home")
        }
        assert offered(page(response)) == expected, role
    assert "budget" in offered(page(site.client(FINANCE).get("/exports")))
    assert "certificate" not in offered(page(site.client(REFERENT).get("/exports")))
    assert offered(page(site.client(REFERENT).get("/exports"))) == {
        "plan",
        "opendata",
        "opendata-deliberations",
        "opendata-decisions",
        "opendata-decisions-grille",
        "opendata-projets",
        "opendata-budget",
        "opendata-budget-scdl",
        "opendata-votes",
        "opendata-points-de-controle",
    }


def test_downloads_outside_ones_role_are_refused(site: Site) -> None:
    assert site.client(REFERENT).get("/exports/budget.csv").status_code == 403
    assert (
        site.client(BY_ROLE["evaluator"]).get("/exports/budget.xlsx").status_code == 403
    )
    assert (
        site.client(BY_ROLE["member"]).get("/exports/certificate.pdf").status_code
        == 403
    )
    assert site.client().get("/exports/plan.pdf").status_code == 302  # to login


def test_budget_csv_is_french_semicolon_separated_and_matches_the_views(
    site: Site,
) -> None:
    response = site.client(FINANCE).get("/exports/budget.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == "attachment; filename=budget.csv"
    assert "no-store" in response.headers["Cache-Control"]
    body = response.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body), delimiter=";"))
    assert {"Projet", "Exercice", "Engagé", "Mandaté"} <= set(rows[0])
    lines = q.budget_lines(site.read_model.store)
    listed = [r for r in rows if r["Type de ligne"] == "Projet"]
    assert len(listed) == len(lines)
    assert {r["Projet"] for r in listed} == {line["proposal"] for line in lines}


def test_budget_xlsx_opens_with_openpyxl(site: Site) -> None:
    response = site.client(AUDITOR).get("/exports/budget.xlsx")
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert len(book.sheetnames) == 4  # with « Budget par entité »
    assert book.worksheets[0].max_row > len(q.budget_lines(site.read_model.store))


def test_minutes_plan_and_certificate_are_pdfs(site: Site) -> None:
    client = site.client(AUDITOR)
    minutes = client.get(f"/exports/minutes.pdf?session={SESSION}")
    assert minutes.status_code == 200 and minutes.mimetype == "application/pdf"
    assert minutes.headers["Content-Disposition"] == (
        "attachment; filename=minutes-copil-2021-11-16.pdf"
    )
    reader = pypdf.PdfReader(io.BytesIO(minutes.data))
    assert "Procès-verbal" in reader.pages[0].extract_text()
    for url in ("/exports/plan.pdf", "/exports/certificate.pdf"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.mimetype == "application/pdf"
        assert len(pypdf.PdfReader(io.BytesIO(response.data)).pages) >= 1


def test_minutes_of_a_session_with_arrivals_and_departures_download(
    site: Site,
) -> None:
    """A member leaving and coming back used to make this download answer 500."""
    from datetime import date

    from ledger.core import Caller
    from sdsi.demo import data as D

    led, code, item = site.ledger, "COPIL-MOVES", "MOVES"
    ref, dsi, chair = Caller("ref.dsn"), Caller("dsi.martin"), Caller(CHAIR)
    costs = [{"year": 2026, "section": "investissement", "amount": "1000.00"}]
    led.draft_proposal(
        ref, item, "DSN", {"title": "Présences", "description": "d", "costs": costs}
    )
    led.submit_proposal(ref, item)
    led.qualify_proposal(dsi, item, {"costs": costs})
    led.convene_session(chair, code, "Séance mouvementée", date(2026, 12, 2), D.VOTING)
    led.add_agenda_item(chair, code, item)
    led.open_session(chair, code, D.VOTING)
    gone = D.VOTING[-1]
    led.set_attendance(chair, code, gone, False)
    led.set_attendance(chair, code, gone, True)
    led.record_decision(chair, code, item, "rejected", "hors priorités")
    led.close_session(chair, code)
    site.caught_up()
    minutes = site.client(AUDITOR).get(f"/exports/minutes.pdf?session={code}")
    assert minutes.status_code == 200 and minutes.mimetype == "application/pdf"
    text = "\n".join(
        p.extract_text() for p in pypdf.PdfReader(io.BytesIO(minutes.data)).pages
    )
    assert "Arrivées tardives et départs anticipés en cours de séance" in text
    assert "présence intermittente" in text
    assert "départ anticipé" in text and "retour en séance" in text


def test_open_data_comes_as_json_and_as_a_zip_of_csv(site: Site) -> None:
    client = site.client(REFERENT)
    votes = client.get("/exports/opendata-votes.json")
    assert votes.status_code == 200 and votes.mimetype == "application/json"
    assert json.loads(votes.data)
    bundle = client.get("/exports/opendata?format=csv")
    assert bundle.status_code == 200 and bundle.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(bundle.data)) as archive:
        assert any(n.endswith(".csv") for n in archive.namelist())


def test_as_of_produces_the_document_as_it_was(site: Site) -> None:
    client = site.client(FINANCE)
    first_commitment = min(
        c["position"]
        for line in {x["proposal"] for x in q.budget_lines(site.read_model.store)}
        for c in (q.project_budget(site.read_model.store, line) or {}).get(
            "commitments", []
        )
    )
    position = first_commitment - 1
    past = client.get(f"/exports/budget?format=csv&as_of=position:{position}")
    assert past.status_code == 200
    assert past.headers["Content-Disposition"] == (
        f"attachment; filename=budget-position-{position}.csv"
    )
    now = client.get("/exports/budget.csv")
    assert past.data != now.data
    page_as_of = page(client.get(f"/exports?as_of=position:{position}"))
    assert f"/exports/budget.csv?as_of=position:{position}" in page_as_of


def test_a_refused_download_explains_itself_next_to_the_field(site: Site) -> None:
    client = site.client(AUDITOR)
    missing = client.get("/exports/minutes?format=pdf")
    assert missing.status_code == 422
    assert field_error(page(missing), "x-minutes-session") == "Choisissez une séance."
    unknown = client.get("/exports/minutes.pdf?session=NOPE")
    assert unknown.status_code == 404
    assert field_error(page(unknown), "x-minutes-session") == (
        "Séance inconnue à ce moment du registre."
    )
    bad_moment = client.get("/exports/budget.csv?as_of=hier")
    assert bad_moment.status_code == 422
    assert field_error(page(bad_moment), "x-budget-as_of") == (
        "Valeur invalide pour « Date de lecture » : « hier » "
        "(date-heure ISO 8601 (UTC) ou position:N)."
    )
    assert client.get("/exports/budget.pdf").status_code == 404
