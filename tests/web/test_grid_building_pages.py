"""The grid built together through the API and the pages, on both backends: a
referent proposes a criterion with its descriptors and the chair accepts it into the
draft (the grid shows where it came from), a proposition declined with its reason
shown, refusals (a referent or the consultant cannot consolidate, a declining
without a reason) writing nothing, and the grid's adoption voted by the COPIL on a
session's page and decided — the grid then says which session adopted it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ledger.core import Caller
from tests.domain.builders import GRID
from tests.exports.conftest import pdf_pages
from tests.web.ui_client import Site, text
from tests.web.world import bearer, login, open_world

REF, DSI, CHAIR, MEMBER, AMO = (
    login(r) for r in ("referent", "dsi", "chair", "member", "consultant")
)
COMMENTS = "/api/v1/grids/1/comments"
DESCRIPTORS = ["aucun gain", "gain partiel", "services accessibles"]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    running = open_world(request, tmp_path_factory, request.param)
    dsi = Caller(actor=DSI, reason="tests")
    running.ledger.draft_grid(dsi, 1, "Grille construite ensemble", criteria=GRID)
    running.caught_up()
    yield running
    running.close()


def api(site: Site, who: str, url: str, body: Any = None, method: str = "POST") -> Any:
    client = site.app.test_client()
    return client.open(url, method=method, json=body, headers=bearer(site, who))


def propose(site: Site, who: str, **proposition: Any) -> str:
    response = api(
        site,
        who,
        COMMENTS,
        {
            "kind": "proposition",
            "body": "Notre proposition.",
            "proposition": proposition,
        },
    )
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["result"]["id"])


def thread(site: Site, who: str, cid: str) -> dict[str, Any]:
    site.caught_up()
    response = api(site, who, COMMENTS, method="GET")
    (found,) = [t for t in response.get_json()["threads"] if t["id"] == cid]
    return found  # type: ignore[no-any-return]


def test_a_proposition_accepted_by_the_chair_goes_into_the_draft(site: Site) -> None:
    cid = propose(
        site,
        REF,
        criterion_label="Accessibilité",
        criterion_code="ACC",
        family="value",
        weight="10",
        scale=[{"level": n, "descriptor": d} for n, d in enumerate(DESCRIPTORS, 1)],
    )
    for who in (REF, AMO, DSI, MEMBER):  # only the chair consolidates
        head = site.head()
        refused = api(site, who, f"{COMMENTS}/{cid}/accept", {})
        assert refused.status_code == 403, who
        assert site.head() == head
    accepted = api(site, CHAIR, f"{COMMENTS}/{cid}/accept", {})
    assert accepted.status_code == 201, accepted.get_json()
    assert accepted.get_json()["result"]["criterion"] == "ACC"
    settled = thread(site, REF, cid)["settled"]
    assert (settled["outcome"], settled["by"], settled["criterion"]) == (
        "accepted",
        CHAIR,
        "ACC",
    )
    page = text(site.client(REF).get("/grille?v=1"))
    assert "Accessibilité (issu d'une proposition de la discussion)" in page
    assert f"retenue dans le brouillon (critère ACC) par {CHAIR}" in page
    assert "1 proposition(s) de la discussion retenue(s)" in page
    again = api(site, CHAIR, f"{COMMENTS}/{cid}/accept", {})
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "proposition_settled"


def test_a_proposition_declined_on_the_page_shows_the_reason(site: Site) -> None:
    cid = propose(site, AMO, criterion_label="Sobriété numérique", weight="5")
    chair = site.client(CHAIR)
    head = site.head()
    empty = chair.post(f"/grille/1/discussion/{cid}/ecarter", data={"reason": ""})
    assert empty.status_code == 422
    assert site.head() == head
    done = chair.post(
        f"/grille/1/discussion/{cid}/ecarter", data={"reason": "Hors du périmètre"}
    )
    assert done.status_code == 302
    site.caught_up()
    page = text(site.client(AMO).get("/grille?v=1"))
    assert f"écartée par {CHAIR}" in page and "Hors du périmètre" in page
    assert thread(site, AMO, cid)["settled"]["reason"] == "Hors du périmètre"


def test_descriptors_typed_one_a_line_on_the_page(site: Site) -> None:
    ref = site.client(REF)
    page = ref.post(
        "/grille/1/discussion",
        data={
            "kind": "proposition",
            "body": "Avec ses niveaux.",
            "criterion_label": "Délais",
            "descriptors": "lent\n\nrapide\n",
        },
    )
    assert page.status_code == 302
    site.caught_up()
    (mine,) = [
        t
        for t in api(site, REF, COMMENTS, method="GET").get_json()["threads"]
        if (t["proposition"] or {}).get("criterion_label") == "Délais"
    ]
    assert mine["proposition"]["scale"] == [
        {"level": 1, "descriptor": "lent"},
        {"level": 2, "descriptor": "rapide"},
    ]
    head = site.head()
    one = ref.post(
        "/grille/1/discussion",
        data={
            "kind": "proposition",
            "body": "Un seul niveau.",
            "criterion_label": "X",
            "descriptors": "seul",
        },
    )
    assert one.status_code == 422
    assert "au moins deux niveaux" in text(one)
    assert site.head() == head


def test_the_copil_votes_the_grid_on_the_session_page(site: Site) -> None:
    led = site.ledger
    chair = Caller(actor=CHAIR, reason="tests")
    # a draft of its own, whose weights total 100 % (v1 is consolidated above)
    led.draft_grid(Caller(actor=DSI), 2, "Grille mise au vote", criteria=GRID)
    led.convene_session(
        chair, "S-GRILLE", "COPIL grille", "2026-03-10", [CHAIR, MEMBER]
    )
    site.caught_up()
    page = site.client(CHAIR)
    put = page.post("/seances/S-GRILLE/grilles", data={"number": "2"})
    assert put.status_code == 302, text(put)
    led.open_session(chair, "S-GRILLE", [CHAIR, MEMBER], early_reason="séance test")
    site.caught_up()
    voted = site.client(MEMBER).post(
        "/seances/S-GRILLE/grilles/2/vote", data={"choice": "for"}
    )
    assert voted.status_code == 302
    refused = api(
        site, AMO, "/api/v1/sessions/S-GRILLE/grids/2/votes", {"choice": "for"}
    )
    assert refused.status_code == 403
    head = site.head()
    no_reason = page.post(
        "/seances/S-GRILLE/grilles/2/decision",
        data={"adopted": "true", "rationale": ""},
    )
    assert no_reason.status_code == 422
    assert site.head() == head
    decided = page.post(
        "/seances/S-GRILLE/grilles/2/decision",
        data={"adopted": "true", "rationale": "Grille construite avec les directions"},
    )
    assert decided.status_code == 302, text(decided)
    site.caught_up()
    session_page = text(page.get("/seances/S-GRILLE"))
    assert "grille adoptée par la décision du COPIL" in session_page
    assert "1 pour, 0 contre, 0 abstention(s)" in session_page
    grid_page = text(page.get("/grille?v=2"))
    assert "Adoptée par la décision du COPIL en séance S-GRILLE" in grid_page
    grids = api(site, CHAIR, "/api/v1/grids", method="GET").get_json()["grids"]
    read = api(site, MEMBER, "/api/v1/sessions/S-GRILLE", method="GET").get_json()
    item = read["grid_items"]["2"]
    assert (item["decision"]["adopted"], item["decision"]["for"]) == (True, 1)
    assert item["votes"][MEMBER]["choice"] == "for"
    minutes = page.get("/exports/minutes.pdf?session=S-GRILLE")
    assert minutes.status_code == 200
    lines = " ".join(" ".join(pdf_pages(minutes.data)).split())
    assert "Point n°1 — adoption de la grille v2" in lines
    assert (
        "Décision : grille adoptée (pour 1, contre 0, abstention 0 ; quorum 2/2). "
        "Motivation : Grille construite avec les directions"
    ) in lines
    (grid,) = [g for g in grids if g["number"] == 2]
    assert (grid["status"], grid["adopted_by_session"]) == ("adopted", "S-GRILLE")
