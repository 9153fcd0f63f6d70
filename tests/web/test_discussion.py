"""The discussion through the API and the pages, on both backends: threads read as
the access matrix says (internal comments hidden from referents and members), 422
and 403 writing nothing, hostile text escaped, the chair's moderation shown with its
reason, edits with their history, criteria proposed on a grid draft, and the limit of
comments per account (429 with Retry-After, nothing written)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ledger.commands.discussion import COMMENTS
from ledger.core import Caller
from tests.web.ui_client import Site, text
from tests.web.world import OTHER, OWN, bearer, login, open_world
from web.throttle import throttle

REF, DSI, EVAL, MEMBER, CHAIR = (
    login(r) for r in ("referent", "dsi", "evaluator", "member", "chair")
)
API = f"/api/v1/proposals/{OWN}/comments"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    running = open_world(request, tmp_path_factory, request.param)
    dsi = Caller(actor=DSI, reason="tests")
    running.ledger.draft_grid(dsi, 1, "Grille en discussion")
    running.caught_up()
    yield running
    running.close()


def api(site: Site, who: str, method: str, url: str, body: Any = None) -> Any:
    client = site.app.test_client()
    return client.open(url, method=method, json=body, headers=bearer(site, who))


def threads(site: Site, who: str, url: str = API) -> list[dict[str, Any]]:
    site.caught_up()
    response = api(site, who, "GET", url)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["threads"]  # type: ignore[no-any-return]


def test_a_question_answered_then_marked_answered_through_the_api(site: Site) -> None:
    asked = api(site, REF, "POST", API, {"kind": "question", "body": "Quel coût ?"})
    assert asked.status_code == 201, asked.get_json()
    qid = asked.get_json()["result"]["id"]
    reply = api(site, DSI, "POST", f"{API}/{qid}/replies", {"body": "10 k€ par an."})
    assert reply.status_code == 201
    done = api(site, REF, "POST", f"{API}/{qid}/answer", {})
    assert done.status_code == 201
    (thread,) = [t for t in threads(site, REF) if t["id"] == qid]
    assert (thread["kind"], thread["author"], thread["answered"]) == (
        "question",
        REF,
        True,
    )
    assert thread["answered_by"] == REF
    assert [(r["author"], r["body"], r["parent"]) for r in thread["replies"]] == [
        (DSI, "10 k€ par an.", qid)
    ]


def test_internal_comments_are_read_only_by_those_the_matrix_names(
    site: Site,
) -> None:
    posted = api(site, EVAL, "POST", API, {"body": "Avis interne", "internal": True})
    assert posted.status_code == 201
    cid = posted.get_json()["result"]["id"]
    for who, sees in ((REF, False), (MEMBER, False), (DSI, True), (CHAIR, True)):
        ids = {t["id"] for t in threads(site, who)}
        assert (cid in ids) is sees, who
    assert "Avis interne" not in text(site.client(REF).get(f"/fiches/{OWN}"))
    assert "Avis interne" in text(site.client(CHAIR).get(f"/fiches/{OWN}"))
    head = site.head()
    refused = api(site, REF, "POST", f"{API}/{cid}/replies", {"body": "?"})
    assert refused.status_code == 404  # invisible to a referent
    refused = api(site, MEMBER, "POST", API, {"body": "x", "internal": True})
    assert refused.status_code == 403
    assert site.head() == head


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"body": ""}, "body"),
        ({"body": "x" * 5001}, "body"),
        ({"body": "ok", "kind": "avis"}, "kind"),
        ({"body": "ok", "couleur": "rouge"}, "couleur"),
        ({"body": "ok", "kind": "proposition",
          "proposition": {"criterion_label": "X"}}, "kind"),
    ],
)  # fmt: skip
def test_invalid_comments_are_refused_with_422_and_nothing_written(
    site: Site, body: dict[str, Any], field: str
) -> None:
    head = site.head()
    response = api(site, REF, "POST", API, body)
    assert response.status_code == 422, response.get_json()
    details = response.get_json()["error"]["details"]
    assert field in details or details.get("field") == field
    assert site.head() == head


def test_refused_roles_get_403_and_nothing_is_written(site: Site) -> None:
    head = site.head()
    for who, method, url, body in (
        (login("finance"), "POST", API, {"body": "x"}),
        (login("auditor"), "POST", API, {"body": "x"}),
        (REF, "POST", f"/api/v1/proposals/{OTHER}/comments", {"body": "x"}),
        (REF, "GET", f"/api/v1/proposals/{OTHER}/comments", None),
        (DSI, "POST", f"{API}/x/hide", {"reason": "x"}),
    ):
        response = api(site, who, method, url, body)
        assert response.status_code == 403, (who, url)
    assert site.head() == head


def test_hostile_text_is_escaped_and_an_edit_keeps_the_earlier_text(
    site: Site,
) -> None:
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    cid = api(site, REF, "POST", API, {"body": hostile}).get_json()["result"]["id"]
    edited = api(site, REF, "PATCH", f"{API}/{cid}", {"body": "Texte corrigé."})
    assert edited.status_code == 201
    refused = api(site, DSI, "PATCH", f"{API}/{cid}", {"body": "Par la DSI."})
    assert refused.status_code == 403
    (thread,) = [t for t in threads(site, REF) if t["id"] == cid]
    assert (thread["body"], thread["edited"]) == ("Texte corrigé.", True)
    assert [v["body"] for v in thread["history"]] == [hostile]
    page = site.client(REF).get(f"/fiches/{OWN}").get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert" in page
    assert "modifié" in page


def test_the_chair_hides_a_comment_and_the_page_shows_the_reason(site: Site) -> None:
    cid = api(site, MEMBER, "POST", API, {"body": "Propos déplacé"}).get_json()[
        "result"
    ]["id"]
    hidden = api(site, CHAIR, "POST", f"{API}/{cid}/hide", {"reason": "Hors sujet"})
    assert hidden.status_code == 201
    (thread,) = [t for t in threads(site, REF) if t["id"] == cid]
    assert (thread["hidden"], thread["body"], thread["hidden_reason"]) == (
        True,
        None,
        "Hors sujet",
    )
    page = text(site.client(REF).get(f"/fiches/{OWN}"))
    assert "Commentaire masqué par la présidence : Hors sujet" in page
    assert "Propos déplacé" not in page


def test_a_criterion_and_weight_proposed_on_the_grid_draft_page(site: Site) -> None:
    client = site.client(REF)
    page = client.get("/grille?v=1")
    assert page.status_code == 200
    response = client.post(
        "/grille/1/discussion",
        data={
            "kind": "proposition",
            "body": "Mesurer l'accessibilité.",
            "criterion_label": "Accessibilité",
            "family": "value",
            "weight": "12,5",
        },
    )
    assert response.status_code == 302, text(response)
    site.caught_up()
    shown = text(client.get("/grille?v=1"))
    assert "Accessibilité" in shown and "12,5 %" in shown
    (thread,) = threads(site, REF, "/api/v1/grids/1/comments")
    assert thread["proposition"] == {
        "criterion_label": "Accessibilité",
        "criterion_code": None,
        "family": "value",
        "weight": "12.50",
    }
    head = site.head()
    refused = client.post(
        "/grille/1/discussion",
        data={"kind": "proposition", "body": "Sans libellé", "weight": "200"},
    )
    assert refused.status_code == 422
    assert "Le formulaire contient" in text(refused) or "erreur" in text(refused)
    assert site.head() == head


def test_past_the_hourly_limit_a_comment_is_refused_with_429(site: Site) -> None:
    who = login("evaluator")
    with site.app.app_context():
        counters = throttle().counters
    from ledger.throttle import spend

    for _ in range(COMMENTS.free):
        spend(counters, COMMENTS, who)
    head = site.head()
    response = api(site, who, "POST", API, {"body": "Un de trop"})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    page = site.client(who).post(f"/fiches/{OWN}/discussion", data={"body": "Encore"})
    assert page.status_code == 429
    assert "Trop de commentaires" in text(page)
    assert site.head() == head
