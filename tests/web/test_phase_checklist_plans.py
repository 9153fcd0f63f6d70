"""The phase checklist of a plan that ended (``plan=N``), on both backends: the API
accepts ``plan`` as the page does (an unknown number: 404 naming it) and the page's
heading names the plan it shows when it is not the plan in force."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ledger.core import Caller
from tests.web.ui_client import Site, text
from tests.web.world import bearer, login, open_world


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    running = open_world(request, tmp_path_factory, request.param)
    running.ledger.follow_plan(
        Caller(actor=login("chair"), reason="adopté par le conseil"),
        "SDSI 2",
        2028,
        2033,
    )
    running.caught_up()
    yield running
    running.close()


def checklist(site: Site, query: str) -> Any:
    headers = bearer(site, login("auditor"))
    return site.app.test_client().get("/api/v1/plan/phases" + query, headers=headers)


def test_the_api_reads_the_checklist_of_the_plan_asked(site: Site) -> None:
    assert checklist(site, "").get_json()["plan"] == 2
    old = checklist(site, "?plan=1")
    assert old.status_code == 200, old.get_json()
    assert old.get_json()["plan"] == 1
    assert [p["code"] for p in old.get_json()["phases"]] == [
        p["code"] for p in checklist(site, "").get_json()["phases"]
    ]
    unknown = checklist(site, "?plan=7")
    assert unknown.status_code == 404
    error = unknown.get_json()["error"]
    assert (error["code"], error["message"]) == (
        "not_found",
        "Plan introuvable : n° 7.",
    )
    assert error["details"]["field"] == "plan"
    wrong = checklist(site, "?plan=un")
    assert wrong.status_code == 422
    assert list(wrong.get_json()["error"]["details"]) == ["plan"]


def test_the_page_heading_names_a_plan_that_ended(site: Site) -> None:
    client = site.client(login("auditor"))
    old = text(client.get("/referentiel/plan/phases?plan=1"))
    assert "Liste de contrôle des phases du plan n° 1 (2024–2029)" in old
    assert "SDSI de test — achevé, tel qu'il était à sa fin" in old
    now = text(client.get("/referentiel/plan/phases"))
    assert "Liste de contrôle des phases" in now
    assert "du plan n°" not in now
    assert "Liste de contrôle des phases du plan n° 2" not in text(
        client.get("/referentiel/plan/phases?plan=2")
    )


def test_an_ended_plan_s_checklist_offers_no_form(site: Site) -> None:
    """The forms act on the plan in force: the checklist of a plan that ended is
    read only (no action on its deliverables, no phase to complete)."""
    client = site.client(login("dsi"))
    old = text(client.get("/referentiel/plan/phases?plan=1"))
    assert "Un plan achevé ne change plus" in old
    assert "Actions sur les livrables" not in old
    assert "Terminer la phase" not in old
    now = text(client.get("/referentiel/plan/phases"))
    assert "Actions sur les livrables" in now
    assert "Un plan achevé ne change plus" not in now
