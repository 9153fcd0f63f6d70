"""The citizens' pages (``/public``) and their JSON twin (``/api/v1/public``) on the
demo municipality, on both backends: anonymous, exact, private, as of a past day,
served from the shared page cache, in French and English."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest

from domain.publication import published_fields
from ledger.app import open_ledger
from ledger.keys import ensure_signing_key
from projections import queries as q
from projections.records import document
from projections.views.portfolio.queries import score_history
from tests.conftest import make_settings
from tests.web.demo_site import DSI, page, shared_site
from tests.web.ui_client import Site, open_site, text
from web import publication as pubw
from web.cache import response_cache

PROJECT = "SALLES"  # decided on 18 March 2021, done in 2023; nothing writes on it
TITLE = "Réservation en ligne des salles municipales"
DAY = "2021-03-18"  # its decision's day: the one past day read (a replay each)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest) -> Site:
    return shared_site(request, str(request.param))


def pages(site: Site) -> list[str]:
    """Every citizens' page and JSON answer of the demo: the plan, each decided
    project, the decisions, the checkpoint — now and as of a past day."""
    answer = site.client().get("/api/v1/public/plan").get_json()
    codes = [p["code"] for a in answer["axes"] for p in a["projects"]]
    assert len(codes) >= 30
    urls = ["/public", "/public/decisions", "/public/verifier"]
    urls += [f"/public/projets/{c}" for c in codes]
    urls += ["/api/v1/public/plan", "/api/v1/public/decisions"]
    urls += ["/api/v1/public/checkpoint"]
    urls += [f"/api/v1/public/projects/{c}" for c in codes]
    urls += [f"{u}?date={DAY}" for u in urls[:3]]
    return urls


def test_a_decided_project_shows_its_budget_and_votes_without_signing_in(
    site: Site,
) -> None:
    found = site.client().get(f"/api/v1/public/projects/{PROJECT}")
    assert found.status_code == 200
    body = found.get_json()
    assert (body["title"], body["status"], body["axis"]) == (TITLE, "done", "A1")
    assert body["progress"] == "100.00"
    assert body["budget"]["ap_voted"] == "73224.00"
    assert body["budget"]["voted"] == "73224.00"
    assert body["budget"]["committed"] == "62240.40"
    assert body["budget"]["spent"] == "43568.28"
    assert [y["year"] for y in body["budget"]["years"]] == [2022, 2023]
    assert body["budget"]["years"][0]["spent"] == "20170.50"
    assert [m["code"] for m in body["milestones"]] == ["CADRAGE", "RECETTE", "MEP"]
    (decision,) = body["decisions"]
    assert decision["date"] == "2021-03-18"
    assert decision["outcome"] == "approved"
    assert decision["votes"] == {"for": 3, "against": 0, "abstain": 3, "present": 6}
    assert (
        decision["rationale"] == "Valeur élevée pour l'axe A1 ; chiffrage DSI validé."
    )
    shown = text(site.client().get(f"/public/projets/{PROJECT}"))
    assert TITLE in shown and "Réalisée" in shown
    assert "73 224,00 €" in shown
    assert "43 568,28 €" in shown
    assert "3 pour, 0 contre, 3 abstention(s), sur 6 membres votants présents" in shown


def test_the_plan_lists_decided_projects_by_axis_with_the_budget_per_year(
    site: Site,
) -> None:
    body = site.client().get("/api/v1/public/plan").get_json()
    assert body["plan"]["municipality"] == "Ville de Saint-Aubin-sur-Loire"
    statuses = {p["status"] for a in body["axes"] for p in a["projects"]}
    assert statuses <= {"planned", "in_progress", "done", "cancelled"}
    a1 = next(a for a in body["axes"] if a["code"] == "A1")
    assert PROJECT in [p["code"] for p in a1["projects"]]
    # rejected and withdrawn proposals are not projects of the plan
    assert "SOC" not in [p["code"] for a in body["axes"] for p in a["projects"]]
    budget = {b["axis"]: b for b in body["budget"]}
    years = budget["A1"]["years"]
    assert sum(int(y["spent"].replace(".", "")) for y in years) == int(
        budget["A1"]["spent"].replace(".", "")
    )
    shown = text(site.client().get("/public"))
    assert "Budget voté et dépensé par axe et par année" in shown
    assert site.client().get("/public/projets/SOC").status_code == 404


def test_the_decisions_page_gives_each_decision_its_date_outcome_and_votes(
    site: Site,
) -> None:
    body = site.client().get("/api/v1/public/decisions").get_json()["decisions"]
    mine = [d for d in body if d["proposal"] == PROJECT]
    assert [(d["date"], d["outcome"]) for d in mine] == [("2021-03-18", "approved")]
    assert {d["outcome"] for d in body} >= {"approved", "rejected"}
    shown = text(site.client().get("/public/decisions"))
    assert "18 mars 2021" in shown and TITLE in shown


def _forbidden(site: Site) -> dict[str, str]:
    """What no public answer may hold → why: every account's e-mail and login, the
    name of everyone but the officials in office, every evaluator's justification."""
    store = site.read_model.store
    officials = {m["username"] for m in q.committee(store) if m["can_vote"]}
    found: dict[str, str] = {}
    for account in q.accounts(store):
        if account["email"]:
            found[account["email"]] = "e-mail"
        found[account["username"]] = "identifiant"
        if account["username"] not in officials:
            found[account["display_name"]] = f"nom de {account['username']}"
    for row in q.portfolio(store):
        doc = document(
            store, "SELECT doc FROM {proposals} WHERE code = ?", (row["code"],)
        )
        for s in score_history(doc):
            if s["justification"]:
                found[s["justification"]] = f"note de {s['evaluator']}"
    return found


def test_no_public_answer_shows_personal_data_or_individual_scores(
    site: Site,
) -> None:
    forbidden = _forbidden(site)
    assert len(forbidden) > 100
    # one pattern for every needle, a whole word or phrase each (``elu.simon`` must
    # not match inside ``elu.simonet``); longest first
    needles = sorted(forbidden, key=len, reverse=True)
    pattern = re.compile(
        r"(?<![\w.])(" + "|".join(map(re.escape, needles)) + r")(?![\w.])"
    )
    leaks = []
    for url in pages(site):
        response = site.client().get(url)
        assert response.status_code == 200, url
        body = page(response)
        if url.startswith("/api/"):
            body = str(response.get_json())
        for found in set(pattern.findall(html.unescape(body))):
            leaks.append(f"{url}: {forbidden[found]} ({found!r})")
    assert not leaks, "\n".join(leaks[:20])


def test_as_of_a_past_day_shows_the_earlier_state(site: Site) -> None:
    before = site.client().get("/api/v1/public/plan?date=2021-03-17").get_json()
    assert before["counts"] == {
        "planned": 0,
        "in_progress": 0,
        "done": 0,
        "cancelled": 0,
    }
    gone = site.client().get(f"/public/projets/{PROJECT}?date=2021-03-17")
    assert gone.status_code == 404
    day = site.client().get(f"/api/v1/public/projects/{PROJECT}?date={DAY}")
    assert day.get_json()["status"] == "planned"
    assert day.get_json()["budget"]["spent"] == "0.00"
    shown = page(site.client().get(f"/public/projets/{PROJECT}?date={DAY}"))
    assert "Prévue" in shown and "fin du 18 mars 2021" in shown


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2021-02-30", "Date invalide : « 2021-02-30 » (attendu : AAAA-MM-JJ"),
        ("18/03/2021", "Date invalide : « 18/03/2021 »"),
        ("2999-01-01", "Date à venir : « 2999-01-01 »"),
    ],
)
def test_a_bad_or_future_date_is_refused_in_french(
    site: Site, value: str, message: str
) -> None:
    shown = site.client().get(f"/public?date={value}")
    assert shown.status_code == 400
    assert message in text(shown)
    assert "no-store" in shown.headers["Cache-Control"]
    answer = site.client().get(f"/api/v1/public/decisions?date={value}")
    assert answer.status_code == 422
    assert message in answer.get_json()["error"]["details"]["date"][0]


def test_public_pages_come_from_one_shared_cache_entry(site: Site) -> None:
    cache = response_cache_of(site)
    url = f"/public/decisions?date={DAY}"
    first = site.client().get(url)
    assert first.headers["Cache-Control"] == "public, max-age=60"
    hits = cache.hits
    signed_in = site.client(DSI).get(url)  # an agent gets the citizens' copy
    assert cache.hits == hits + 1
    assert signed_in.get_data() == first.get_data()
    assert signed_in.headers["Cache-Control"] == "public, max-age=60"
    assert "Accept-Language" in signed_in.headers["Vary"]


def response_cache_of(site: Site) -> Any:
    with site.app.app_context():
        return response_cache()


def test_the_pages_speak_english_when_asked(site: Site) -> None:
    chosen = text(site.client().get(f"/public/projets/{PROJECT}?lang=en"))
    assert "Done" in chosen and "€73,224.00" in chosen
    browser = site.client().get("/public", headers={"Accept-Language": "en-GB,en"})
    assert "Budget voted and spent per axis and year" in text(browser)


def test_withheld_fields_are_not_shown(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    hidden = {"decision.rationale", "project.budget", "decision.votes"}
    monkeypatch.setattr(pubw, "fields", lambda: published_fields(hidden))
    response_cache_of(site).clear()
    body = site.client().get(f"/api/v1/public/projects/{PROJECT}").get_json()
    assert "budget" not in body
    assert set(body["decisions"][0]) == {
        "date",
        "session",
        "proposal",
        "title",
        "outcome",
        "ap",
        "conditions",
    }
    shown = text(site.client().get(f"/public/projets/{PROJECT}"))
    assert "Valeur élevée" not in shown and "membres votants" not in shown
    response_cache_of(site).clear()


def test_the_checkpoint_page_says_how_to_verify(site: Site) -> None:
    shown = text(site.client().get("/public/verifier"))
    assert "Dernier point de contrôle signé" in shown
    assert "python verifier.py" in shown
    key = site.client().get("/public/cle-publique.pem")
    assert key.status_code == 200
    assert key.get_data(as_text=True).startswith("-----BEGIN PUBLIC KEY-----")
    answer = site.client().get("/api/v1/public/checkpoint").get_json()
    assert answer["checkpoint"]["tree_size"] >= 1
    assert answer["checkpoint"]["note"].startswith(site.ledger.settings.ledger_origin)


def test_the_json_twin_is_in_the_openapi_document_without_authentication(
    site: Site,
) -> None:
    spec = site.client().get("/api/v1/openapi.json").get_json()
    for path in (
        "/api/v1/public/plan",
        "/api/v1/public/projects/{code}",
        "/api/v1/public/decisions",
        "/api/v1/public/checkpoint",
    ):
        operation = spec["paths"][path]["get"]
        assert operation["security"] == [], path
        assert [p["name"] for p in operation["parameters"] if p["in"] == "query"] == [
            "date"
        ]


@pytest.fixture
def empty(database_url: str, tmp_path: Any) -> Iterator[Site]:
    """A fresh ``sdsi init`` on each backend: no plan, no decision, no checkpoint."""
    url = database_url
    settings = make_settings(tmp_path / "data", url)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ensure_signing_key(settings)
    ledger = open_ledger(settings, create=True)
    ledger.bootstrap_admin("admin", "Administrateur", "admin-password-1")
    running = open_site(settings, ledger)
    yield running
    running.close()


def test_a_fresh_ledger_publishes_an_empty_plan(empty: Site) -> None:
    shown = text(empty.client().get("/public"))
    assert "Aucun plan n'est encore adopté." in shown
    body = empty.client().get("/api/v1/public/plan").get_json()
    assert body["axes"] == [] and body["budget"] == []
    assert body["counts"] == {"planned": 0, "in_progress": 0, "done": 0, "cancelled": 0}
    assert empty.client().get("/api/v1/public/decisions").get_json() == {
        "decisions": [],
        "grid_decisions": [],
    }
    assert "Aucune décision" in text(empty.client().get("/public/decisions"))
    assert (
        empty.client().get("/api/v1/public/checkpoint").get_json()["checkpoint"] is None
    )
