"""A grid's adoption voted by the COPIL is a decision like any other (issue 20, part
4), on both backends: it is listed on the decisions page and by ``GET
/api/v1/grid-decisions``, on the citizens' decisions page and its JSON twin, in the
open data, and the referents, the DSI and the evaluators are notified of it."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest

from ledger.core import Caller
from tests.domain.builders import GRID
from tests.web.ui_client import Site, text
from tests.web.world import bearer, login, open_world

REF, DSI, CHAIR, MEMBER, EVAL, AMO = (
    login(r) for r in ("referent", "dsi", "chair", "member", "evaluator", "consultant")
)
WHY = "Grille construite avec les directions"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    running = open_world(request, tmp_path_factory, request.param)
    led = running.ledger
    chair = Caller(actor=CHAIR, reason="tests")
    led.draft_grid(Caller(actor=DSI), 1, "Grille mise au vote", criteria=GRID)
    led.convene_session(chair, "S-G", "COPIL grille", "2026-03-10", [CHAIR, MEMBER])
    led.put_grid_on_agenda(chair, "S-G", 1)
    led.open_session(chair, "S-G", [CHAIR, MEMBER], early_reason="séance test")
    led.vote_on_grid(Caller(actor=MEMBER), "S-G", 1, "for")
    led.vote_on_grid(chair, "S-G", 1, "abstain")
    led.decide_grid(chair, "S-G", 1, True, WHY)
    running.caught_up()
    yield running
    running.close()


def get(site: Site, who: str | None, url: str) -> Any:
    headers = bearer(site, who) if who else {}
    return site.app.test_client().get(url, headers=headers)


def test_the_api_lists_the_grid_decision(site: Site) -> None:
    answer = get(site, AMO, "/api/v1/grid-decisions").get_json()
    (d,) = answer["decisions"]
    assert {k: v for k, v in d.items() if k not in ("decided_at", "position")} == {
        "session": "S-G",
        "session_date": "2026-03-10",
        "number": 1,
        "adopted": True,
        "rationale": WHY,
        "justification": "",
        "votes_for": 1,
        "votes_against": 0,
        "abstentions": 1,
        "present_voting": 2,
        "quorum_required": 2,
        "chair": CHAIR,
    }
    assert get(site, AMO, "/api/v1/grid-decisions?session=S-X").get_json() == {
        "decisions": []
    }
    assert get(site, REF, "/api/v1/grid-decisions").status_code == 403


def test_the_decisions_page_shows_it(site: Site) -> None:
    page = site.client(MEMBER).get("/arbitrages")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    table = html[html.index('id="grid-decisions"') :]
    assert 'href="/seances/S-G"' in table and 'href="/grille?v=1"' in table
    shown = text(page)
    assert "grille adoptée" in shown and WHY in shown


def test_the_citizens_see_it(site: Site) -> None:
    page = text(site.client().get("/public/decisions"))
    assert "grille de valeur v1 : adoptée" in page
    assert "Votes : 1 pour, 0 contre, 1 abstention(s), sur 2 membres" in page
    body = get(site, None, "/api/v1/public/decisions").get_json()
    assert body["grid_decisions"] == [
        {
            "date": "2026-03-10",
            "session": "S-G",
            "grid_version": 1,
            "adopted": True,
            "votes": {"for": 1, "against": 0, "abstain": 1, "present": 2},
            "rationale": WHY,
        }
    ]


def test_the_open_data_publishes_it(site: Site) -> None:
    answer = site.client().get("/donnees-ouvertes/decisions-grille.csv")
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    rows = list(csv.DictReader(io.StringIO(answer.data.decode("utf-8"))))
    (row,) = rows
    assert {
        k: row[k]
        for k in (
            "seance",
            "seance_date",
            "grille_version",
            "adoptee",
            "pour",
            "contre",
            "abstention",
            "motif",
        )
    } == {
        "seance": "S-G",
        "seance_date": "2026-03-10",
        "grille_version": "1",
        "adoptee": "true",
        "pour": "1",
        "contre": "0",
        "abstention": "1",
        "motif": WHY,
    }
    archive = site.client().get("/donnees-ouvertes/donnees-ouvertes-csv.zip")
    assert archive.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(archive.data)).namelist()
    assert {"decisions-grille.csv", "decisions-grille.schema.json"} <= set(names)


def test_referents_the_dsi_and_evaluators_are_notified(site: Site) -> None:
    for who, told in ((REF, True), (DSI, True), (EVAL, True), (MEMBER, False), (CHAIR, False)):  # fmt: skip
        inbox = get(site, who, "/api/v1/notifications").get_json()["notifications"]
        grid = [n for n in inbox if n["kind"] == "grid"]
        if not told:
            assert grid == [], who
            continue
        (n,) = grid
        assert (n["subject"], n["title"], n["link"], n["detail"], n["actor"]) == (
            "1",
            "Grille v1",
            "/grille?v=1",
            "adopted",
            CHAIR,
        )
    page = text(site.client(REF).get("/notifications"))
    assert "Décision du COPIL sur la grille de valeur" in page
    assert "grille adoptée" in page
