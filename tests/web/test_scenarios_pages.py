"""Scenario pages and their API twins on both backends: the list for its roles,
running a scenario (DSI, chair) recorded and shown, the optimum beside the greedy
ranking, two scenarios side by side, the frontier chart and the robustness table."""

from __future__ import annotations

import pytest
from markupsafe import escape

from optimiser import api as optimiser
from tests.web.demo_site import (
    BY_ROLE,
    CHAIR,
    DSI,
    FINANCE,
    field_error,
    page,
    shared_site,
    token,
)
from tests.web.ui_client import Site, post_forms, text

VIEWERS = {"dsi", "chair", "member", "finance", "auditor"}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest) -> Site:
    running = shared_site(request, str(request.param))
    for code, scale in (("SC-BASE", "1"), ("SC-PLUS", "1.5")):
        if optimiser.get_scenario(running.read_model.store, code) is None:
            response = running.client(DSI).post(
                "/scenarios/lancer",
                data={
                    "code": code,
                    "label": f"enveloppes × {scale}",
                    "budget_scale": scale,
                    "time_limit": "10",
                },
            )
            assert response.status_code == 302, text(response)
    return running


def test_scenario_pages_render_for_their_roles_and_are_refused_to_the_others(
    site: Site,
) -> None:
    urls = (
        "/scenarios",
        "/scenarios/SC-BASE",
        "/scenarios/comparer?codes=SC-BASE&codes=SC-PLUS",
    )
    for role, user in BY_ROLE.items():
        for url in urls:
            response = site.client(user).get(url)
            assert response.status_code == (200 if role in VIEWERS else 403), (
                role,
                url,
            )
        run = site.client(user).get("/scenarios/lancer")
        assert run.status_code == (200 if role in ("dsi", "chair") else 403), role
    listing = page(site.client(FINANCE).get("/scenarios"))
    assert "/scenarios/lancer" not in listing
    assert "/scenarios/lancer" in page(site.client(CHAIR).get("/scenarios"))


def test_running_a_scenario_records_it_and_shows_it_next(site: Site) -> None:
    client = site.client(CHAIR)
    head = site.head()
    response = client.post(
        "/scenarios/lancer",
        data={
            "code": "SC-RUN",
            "label": "préparation du COPIL",
            "budget_scale": "1,2",
            "risk_weight": "0,5",
            "forced_out-0-code": "FIBRE",
            "forced_out-0-reason": "reporté au prochain plan",
            "reason": "test",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/scenarios/SC-RUN")
    assert site.events_since(head) == ["Scenario.Computed"]
    detail = text(client.get("/scenarios/SC-RUN"))
    assert "préparation du COPIL" in detail
    assert "FIBRE : reporté au prochain plan" in detail
    assert "Classement glouton à côté de l'optimum" in detail
    assert "SC-RUN" in text(client.get("/scenarios"))


def test_scenario_refusals_are_next_to_their_field_and_write_nothing(
    site: Site,
) -> None:
    client = site.client(DSI)
    head = site.head()
    again = client.post("/scenarios/lancer", data={"code": "SC-BASE"})
    assert again.status_code == 409
    assert field_error(page(again), "f-code") == "Scénario existe déjà : SC-BASE."
    bad = client.post(
        "/scenarios/lancer",
        data={
            "code": "SC-BAD",
            "risk_weight": "beaucoup",
            "time_limit": "3600",
            "forced_in-0-code": "SIGNAL",
            "forced_in-0-reason": "",
        },
    )
    assert bad.status_code == 422
    body = page(bad)
    assert (
        field_error(body, "f-risk_weight")
        == "Nombre décimal positif attendu (ex. 1,1)."
    )
    assert field_error(body, "f-time_limit") == "Valeur entre 1 et 60 attendue."
    assert "Champ obligatoire." in body
    refused = site.client(FINANCE).post("/scenarios/lancer", data={"code": "SC-FIN"})
    assert refused.status_code == 403
    assert site.head() == head


def test_the_optimum_is_shown_beside_the_greedy_ranking(site: Site) -> None:
    doc = optimiser.get_scenario(site.read_model.store, "SC-PLUS")
    assert doc is not None
    body = text(site.client(FINANCE).get("/scenarios/SC-PLUS"))
    assert "Optimum" in body and "Remplissage glouton" in body
    for line in doc["optimum"]["selection"]:
        assert line["code"] in body
    assert doc["input_hash"] in body
    assert post_forms(site.client(DSI).get("/scenarios/SC-PLUS")) == []


def test_two_scenarios_side_by_side(site: Site) -> None:
    client = site.client(BY_ROLE["member"])
    response = client.get("/scenarios/comparer?codes=SC-BASE&codes=SC-PLUS&greedy=1")
    assert response.status_code == 200
    body = text(response)
    for heading in (
        "Synthèse",
        "Projets retenus",
        "Budget utilisé",
        "Capacité utilisée",
    ):
        assert heading in body
    assert body.count("(glouton)") >= 2
    one = client.get("/scenarios/comparer?codes=SC-BASE")
    assert one.status_code == 422
    assert "Choisissez au moins deux scénarios à comparer." in text(one)


def test_the_frontier_is_drawn_and_tabulated(site: Site) -> None:
    client = site.client(BY_ROLE["auditor"])
    response = client.get("/scenarios/frontiere?low=0.8&high=1.2&steps=3&time_limit=5")
    assert response.status_code == 200
    body = page(response)
    assert '<svg class="chart"' in body and "<polyline" in body
    assert text(response).count("optimal") >= 3
    refused = client.get("/scenarios/frontiere?steps=99")
    assert refused.status_code == 422
    assert field_error(page(refused), "f-steps") == "Valeur entre 2 et 21 attendue."


def test_the_robustness_table_shows_intervals_frequencies_and_disagreement(
    site: Site,
) -> None:
    response = site.client(DSI).get(
        "/scenarios/robustesse?draws=10&budget_scale=1.3&time_limit=5"
    )
    assert response.status_code == 200
    body = text(response)
    assert "Intervalles de poids qui gardent la sélection" in body
    assert "Fréquence de sélection" in body and "noyau" in body
    assert "Où les évaluateurs divergent" in body
    just_opened = text(site.client(DSI).get("/scenarios/robustesse"))
    assert "Intervalles de poids" not in just_opened  # nothing solved until asked


def test_scenarios_as_of_before_a_run_do_not_show_it(site: Site) -> None:
    doc = optimiser.get_scenario(site.read_model.store, "SC-PLUS")
    assert doc is not None
    before = site.client(DSI).get(f"/scenarios?as_of=position:{doc['position'] - 1}")
    assert before.status_code == 200
    assert "SC-PLUS" not in text(before)
    assert "/scenarios/lancer" not in page(before)


def test_the_api_twins_read_compare_and_run(site: Site) -> None:
    client = site.client()
    dsi = token(site, DSI)
    listing = client.get("/api/v1/scenarios", headers=dsi)
    assert listing.status_code == 200
    assert {"SC-BASE", "SC-PLUS"} <= {
        s["code"] for s in listing.get_json()["scenarios"]
    }
    one = client.get("/api/v1/scenarios/SC-PLUS", headers=dsi).get_json()
    assert one["code"] == "SC-PLUS" and "greedy" in one
    both = client.get(
        "/api/v1/scenarios/compare?codes=SC-BASE,SC-PLUS&greedy=false", headers=dsi
    ).get_json()
    assert both["columns"] == ["SC-BASE", "SC-PLUS"]
    frontier = client.get("/api/v1/scenarios/frontier?steps=2", headers=dsi).get_json()
    assert len(frontier["points"]) == 2
    robust = client.get("/api/v1/scenarios/robustness?draws=5", headers=dsi).get_json()
    assert set(robust) >= {"intervals", "monte_carlo", "disagreement"}
    head = site.head()
    created = client.post(
        "/api/v1/scenarios",
        headers={**dsi, "Idempotency-Key": "api-run-1"},
        json={
            "code": "SC-API",
            "budget_scale": "1.1",
            "forced_out": [{"code": "ARCHIVE", "reason": "trop coûteux"}],
        },
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["result"]["code"] == "SC-API"
    assert site.events_since(head) == ["Scenario.Computed"]
    floats = client.post(
        "/api/v1/scenarios", headers=dsi, json={"code": "SC-FLOAT", "budget_scale": 1.1}
    )
    assert floats.status_code == 422
    finance = token(site, FINANCE)
    assert (
        client.post(
            "/api/v1/scenarios", headers=finance, json={"code": "SC-NO"}
        ).status_code
        == 403
    )
    referent = token(site, BY_ROLE["referent"])
    assert client.get("/api/v1/scenarios", headers=referent).status_code == 403


def test_a_client_cannot_send_a_result_nor_replay_a_key_into_another_scenario(
    site: Site,
) -> None:
    """The API takes parameters only: a result, inputs or hash sent along are refused
    (nothing computed or written); a repeated key answers the first result even after
    the views moved, and with other parameters is refused; a code is used once."""
    client = site.client()
    dsi = {**token(site, DSI), "Idempotency-Key": "api-forge-1"}
    head = site.head()
    for forged in (
        {"input_hash": "0" * 64},
        {"inputs": {"candidates": []}},
        {"result": {"selection": [{"code": "ARCHIVE", "start": 2026}]}},
        {"greedy": {"selection": []}},
        {"source": {"position": 1}},
    ):
        refused = client.post(
            "/api/v1/scenarios", headers=dsi, json={"code": "SC-FORGE", **forged}
        )
        assert refused.status_code == 422, (forged, refused.get_json())
    assert site.head() == head

    first = client.post("/api/v1/scenarios", headers=dsi, json={"code": "SC-KEY"})
    assert first.status_code == 201, first.get_json()
    head = site.head()
    again = client.post("/api/v1/scenarios", headers=dsi, json={"code": "SC-KEY"})
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["replayed"] is True
    assert again.get_json()["result"] == first.get_json()["result"]
    other = client.post(
        "/api/v1/scenarios", headers=dsi, json={"code": "SC-KEY", "budget_scale": "2"}
    )
    assert other.status_code == 422, other.get_json()
    assert other.get_json()["error"]["code"] == "idempotency_key_reused"
    renamed = client.post("/api/v1/scenarios", headers=dsi, json={"code": "SC-KEY2"})
    assert renamed.status_code == 422, renamed.get_json()
    assert renamed.get_json()["error"]["code"] == "idempotency_key_reused"
    reused_code = client.post(
        "/api/v1/scenarios",
        headers={**token(site, DSI), "Idempotency-Key": "api-forge-2"},
        json={"code": "SC-KEY"},
    )
    assert reused_code.status_code == 409, reused_code.get_json()
    assert site.head() == head


def test_a_scenario_selecting_nothing_says_why_on_its_page_and_in_the_api(
    site: Site,
) -> None:
    """Envelopes scaled to nothing: the optimum is empty, and the page and the API say
    it is because the envelopes are exhausted, instead of an empty table alone."""
    client = site.client(DSI)
    if optimiser.get_scenario(site.read_model.store, "SC-VIDE") is None:
        response = client.post(
            "/scenarios/lancer",
            data={"code": "SC-VIDE", "label": "enveloppes à zéro", "budget_scale": "0"},
        )
        assert response.status_code == 302, text(response)
        site.caught_up()
    data = client.get("/api/v1/scenarios/SC-VIDE").get_json()
    assert data["optimum"]["selection"] == []
    reason = data["empty_reason"]
    assert reason.startswith(
        "Aucun projet ne peut être retenu : enveloppes épuisées ("
    ), reason
    assert "investissement 2026 : 0 € disponibles" in reason
    body = page(client.get("/scenarios/SC-VIDE"))
    assert f"<strong>Aucun projet retenu.</strong> {escape(reason)}" in body
