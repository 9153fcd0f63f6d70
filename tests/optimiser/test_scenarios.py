"""Scenarios recorded in the ledger, projected, compared and cited by a decision
(the same cases on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from domain.errors import (
    AlreadyExists,
    DepartsFromScenario,
    InvalidValue,
    NotAllowed,
)
from domain.scenarios import Scenario, input_hash
from ledger.core import Caller
from ledger.errors import IdempotencyKeyReused
from optimiser import Problem, api, solve
from optimiser.scenarios import compute
from projections import queries as q
from projections.service import ReadModel, init_views
from tests.conftest import ADMIN

World = tuple[Any, ReadModel]
PASSWORD = "a-long-password-1"
DSI, CHAIR, REF, FIN, MEMBER, EVAL = (
    Caller(actor=a, reason="tests")
    for a in ("dsi", "chair", "ref", "fin", "member", "eval")
)


def _content(title: str, cost: str, days: int) -> dict[str, Any]:
    return {
        "title": title,
        "description": f"{title} : description.",
        "components": [],
        "axes": [],
        "costs": [{"year": 2025, "section": "investissement", "amount": cost}],
        "workloads": [{"team": "DSI-APPS", "year": 2025, "days": days}],
        "dependencies": [],
        "mandatory": False,
        "legal_basis": "",
        "risks": [],
    }


def build_world(ledger: Any) -> None:
    """Three qualified proposals: A (value 100, 60 k€) beats B and C (66.67, 50 k€
    each) one to one, but B + C fit the 100 k€ envelope together and A does not."""
    for login, roles in (
        ("dsi", [("dsi", None), ("evaluator", None)]),
        ("chair", [("chair", None), ("member", None), ("evaluator", None)]),
        ("fin", [("finance", None)]),
        ("member", [("member", None)]),
        ("eval", [("evaluator", None)]),
    ):
        ledger.add_user(ADMIN, login, login.title(), PASSWORD, roles=roles)
    ledger.define_plan(DSI, "SDSI 2025-2027", "Ville de test", 2025, 2027)
    ledger.create_pole(DSI, "PDG", "Pôle direction générale")
    ledger.create_direction(DSI, "DSN", "Direction du numérique", "PDG")
    ledger.add_user(ADMIN, "ref", "Ref", PASSWORD, roles=[("referent", "DSN")])
    ledger.create_team(DSI, "DSI-APPS", "Applications", "dsi", None, {2025: 100})
    scale = [{"level": n, "descriptor": f"niveau {n}"} for n in (1, 2, 3, 4)]
    ledger.draft_grid(
        DSI,
        1,
        "Grille",
        criteria=[
            {
                "code": "V1",
                "label": "Valeur",
                "family": "value",
                "weight": "100",
                "axis": None,
                "scale": scale,
            },
            {
                "code": "R1",
                "label": "Risque",
                "family": "risk",
                "weight": "100",
                "axis": None,
                "scale": scale,
            },
        ],
    )
    ledger.adopt_grid(CHAIR, 1, date(2025, 1, 10))
    ledger.vote_budget(
        FIN, 2025, "investissement", "100000", "DCM 2025-01", date(2025, 1, 5)
    )
    for code, cost, level in (
        ("A", "60000.00", 4),
        ("B", "50000.00", 3),
        ("C", "50000.00", 3),
    ):
        ledger.draft_proposal(REF, code, "DSN", _content(f"Projet {code}", cost, 30))
        ledger.submit_proposal(REF, code)
        content = _content(f"Projet {code}", cost, 30)
        ledger.qualify_proposal(
            DSI,
            code,
            {k: content[k] for k in ("costs", "workloads", "dependencies", "risks")}
            | {"note": "chiffrage"},
        )
        for evaluator in (DSI, CHAIR):
            ledger.score_proposal(
                evaluator,
                code,
                1,
                1,
                {
                    "V1": {"level": level, "justification": "apport mesuré"},
                    "R1": {"level": 2, "justification": "risque modéré"},
                },
            )


@pytest.fixture
def world(ledger: Any, settings: Any) -> Iterator[tuple[Any, ReadModel]]:
    build_world(ledger)
    init_views(settings, ledger)
    rm = ReadModel(ledger, settings)
    rm.projector().catch_up()
    yield ledger, rm
    rm.close()


def test_a_scenario_is_recorded_with_its_inputs_hash_solver_and_result(
    world: World,
) -> None:
    ledger, rm = world
    out = api.run_scenario(ledger, CHAIR, "S1", store=rm.store, label="Base")
    assert out["status"] == "optimal"
    assert out["selection"] == [
        {"code": "B", "start": 2025},
        {"code": "C", "start": 2025},
    ]
    assert out["objective"] == "133.34"
    assert out["greedy_objective"] == "100.00"
    scenario = ledger.load(Scenario, Scenario.id_for("S1"))
    assert scenario.selection == {"B": 2025, "C": 2025}
    assert scenario.input_hash == out["input_hash"] == input_hash(scenario.inputs)
    # the recorded inputs replay to the same result, and hash the same in both layers
    problem = Problem.from_dict(scenario.inputs)
    assert problem.input_hash() == scenario.input_hash
    again = solve(problem).to_dict()
    assert {k: again[k] for k in ("status", "selection", "objective", "gap")} == {
        k: scenario.result[k] for k in ("status", "selection", "objective", "gap")
    }
    assert scenario.result["usage"]["budget"] == [
        {
            "year": 2025,
            "section": "investissement",
            "available_c": 10_000_000,
            "used_c": 10_000_000,
        }
    ]


def test_the_same_views_give_the_same_hash_and_result(world: World) -> None:
    ledger, rm = world
    first = api.run_scenario(ledger, DSI, "S1", store=rm.store)
    second = api.run_scenario(ledger, DSI, "S2", store=rm.store)
    assert first["input_hash"] == second["input_hash"]
    assert first["selection"] == second["selection"]


def test_scenarios_are_listed_shown_compared_and_rebuilt_identically(
    world: World,
) -> None:
    ledger, rm = world
    api.run_scenario(ledger, CHAIR, "S1", store=rm.store, label="Base")
    api.run_scenario(
        ledger, CHAIR, "S2", store=rm.store, forced_in={"A": "engagement du maire"}
    )
    rm.projector().catch_up()
    listed = api.list_scenarios(rm.store)
    assert [s["code"] for s in listed] == ["S2", "S1"]
    assert listed[0]["parameters"]["forced_in"] == [["A", "engagement du maire"]]
    shown = api.get_scenario(rm.store, "S1")
    assert shown is not None
    assert shown["contrast"] == {
        "only_optimum": ["B", "C"],
        "only_greedy": ["A"],
        "both": [],
    }
    assert [s["code"] for s in shown["greedy"]["selection"]] == ["A"]
    compared = api.compare_scenarios(rm.store, ["S1", "S2", "NOPE"])
    assert compared["columns"] == ["S1", "S1:glouton", "S2", "S2:glouton"]
    assert compared["missing"] == ["NOPE"]
    assert {p["code"]: p["starts"] for p in compared["projects"]} == {
        "A": {"S1": None, "S1:glouton": 2025, "S2": 2025, "S2:glouton": 2025},
        "B": {"S1": 2025, "S1:glouton": None, "S2": None, "S2:glouton": None},
        "C": {"S1": 2025, "S1:glouton": None, "S2": None, "S2:glouton": None},
    }
    assert compared["capacity"] == [
        {
            "team": "DSI-APPS",
            "year": 2025,
            "by": {
                "S1": {"used": 60, "available": 100},
                "S1:glouton": {"used": 30, "available": 100},
                "S2": {"used": 30, "available": 100},
                "S2:glouton": {"used": 30, "available": 100},
            },
        }
    ]
    before = q.dump(rm.store)["scenarios"]
    rm.projector().rebuild()
    assert q.dump(rm.store)["scenarios"] == before
    assert api.get_scenario(rm.store, "S1") == shown


def test_only_the_dsi_and_the_chair_run_scenarios_and_codes_are_never_reused(
    world,
) -> None:  # type: ignore[no-untyped-def]
    ledger, rm = world
    head = ledger.head()
    with pytest.raises(NotAllowed):
        api.run_scenario(ledger, EVAL, "S1", store=rm.store)
    assert ledger.head() == head
    api.run_scenario(ledger, DSI, "S1", store=rm.store)
    with pytest.raises(AlreadyExists):
        api.run_scenario(ledger, CHAIR, "S1", store=rm.store)
    with pytest.raises(InvalidValue):
        api.run_scenario(ledger, CHAIR, "S3", store=rm.store, forced_in={"ZZ": "x"})


def test_the_ledger_records_a_computed_scenario_and_checks_it_without_the_views(
    world: World,
) -> None:
    ledger, rm = world
    computed = compute(rm.store)
    head = ledger.head()
    bad_hash = {**computed, "input_hash": "0" * 64}
    not_a_hash = {**computed, "input_hash": "ABC"}
    foreign = {
        **computed,
        "result": {**computed["result"], "selection": [{"code": "Z", "start": 2025}]},
    }
    twice = {
        **computed,
        "greedy": {
            **computed["greedy"],
            "selection": [{"code": "A", "start": 2025}, {"code": "A", "start": 2026}],
        },
    }
    unknown_status = {**computed, "result": {**computed["result"], "status": "good"}}
    for doc, field, reason in (
        (bad_hash, "input_hash", "ne correspond pas aux entrées"),
        (not_a_hash, "input_hash", "empreinte SHA-256 attendue"),
        (foreign, "result.selection", "projet absent des entrées du scénario"),
        (twice, "greedy.selection", "projet en double"),
        (unknown_status, "status", "statut de résolution inconnu"),
    ):
        with pytest.raises(InvalidValue) as refused:
            ledger.record_scenario(CHAIR, "S1", **doc)
        assert (refused.value.field, refused.value.params["reason"]) == (
            field,
            reason,
        )
    with pytest.raises(NotAllowed):
        ledger.record_scenario(EVAL, "S1", **computed)
    assert ledger.head() == head
    out = ledger.record_scenario(CHAIR, "S1", label="Base", **computed)
    assert out.data == {
        "code": "S1",
        "status": "optimal",
        "objective": "133.34",
        "gap": computed["result"]["gap"],
        "greedy_objective": "100.00",
        "selection": [{"code": "B", "start": 2025}, {"code": "C", "start": 2025}],
        "input_hash": computed["input_hash"],
        "diagnosis": None,
        "empty_reason": None,
    }
    scenario = ledger.load(Scenario, Scenario.id_for("S1"))
    assert scenario.input_hash == computed["input_hash"]
    assert scenario.result == computed["result"]


def test_a_repeated_key_gets_the_first_scenario_even_after_the_views_moved(
    world: World,
) -> None:
    ledger, rm = world
    caller = CHAIR.with_key("scenario-1")
    first = api.run_scenario(ledger, caller, "S1", store=rm.store, label="Base")
    ledger.vote_budget(
        FIN, 2025, "fonctionnement", "5000", "DCM 2025-02", date(2025, 1, 6)
    )
    rm.projector().catch_up()
    assert compute(rm.store)["input_hash"] != first["input_hash"]
    head = ledger.head()
    again = api.run_scenario(ledger, caller, "S1", store=rm.store, label="Base")
    assert again == first
    assert ledger.head() == head
    with pytest.raises(IdempotencyKeyReused):
        api.run_scenario(ledger, caller, "S1", store=rm.store, label="Autre")


def test_the_frontier_and_robustness_read_the_live_views(world: World) -> None:
    _ledger, rm = world
    points = api.frontier(rm.store, low="0.5", high="1", steps=2)["points"]
    assert [(p["scale"], p["selection"]) for p in points] == [
        ("0.5000", ["B"]),
        ("1.0000", ["B", "C"]),
    ]
    out = api.robustness(rm.store, draws=10, seed=1)
    assert out["baseline"]["selection"] == ["B", "C"]
    assert [p["class"] for p in out["monte_carlo"]["projects"]] == [
        "core",
        "core",
        "out",
    ]


def test_a_decision_departing_from_the_cited_scenario_needs_a_justification(
    world,
) -> None:  # type: ignore[no-untyped-def]
    ledger, rm = world
    api.run_scenario(ledger, CHAIR, "S1", store=rm.store)
    ledger.convene_session(
        CHAIR, "COPIL-1", "COPIL", date(2025, 2, 1), ["chair", "member"]
    )
    for code in ("A", "B", "C"):
        ledger.add_agenda_item(CHAIR, "COPIL-1", code)
    ledger.open_session(CHAIR, "COPIL-1", ["chair", "member"])
    cp = [{"year": 2025, "section": "investissement", "amount": "50000.00"}]
    # follows the scenario: no justification needed
    ledger.record_decision(
        CHAIR,
        "COPIL-1",
        "B",
        "approved",
        "Valeur élevée.",
        ap_amount="50000.00",
        cp=cp,
        scenario="S1",
    )
    with pytest.raises(DepartsFromScenario) as refused:
        ledger.record_decision(
            CHAIR, "COPIL-1", "C", "rejected", "Pas prioritaire.", scenario="S1"
        )
    assert refused.value.params["recommendation"] == "retenue"
    with pytest.raises(DepartsFromScenario) as refused:
        ledger.record_decision(
            CHAIR,
            "COPIL-1",
            "A",
            "approved",
            "Projet phare.",
            ap_amount="50000.00",
            cp=cp,
            scenario="S1",
        )
    assert refused.value.params["recommendation"] == "non retenue"
    with pytest.raises(InvalidValue, match="aucun scénario de ce nom"):
        ledger.record_decision(
            CHAIR, "COPIL-1", "A", "deferred", "Plus tard.", scenario="S9"
        )
    ledger.record_decision(
        CHAIR,
        "COPIL-1",
        "C",
        "rejected",
        "Pas prioritaire.",
        scenario="S1",
        justification="Le COPIL préfère réserver l'enveloppe à l'exercice suivant.",
    )
    ledger.record_decision(
        CHAIR, "COPIL-1", "A", "deferred", "Réexamen.", scenario="S1"
    )
    rm.projector().catch_up()
    cited = {d["proposal"]: d for d in q.decision_history(rm.store, session="COPIL-1")}
    assert {code: d["scenario"] for code, d in cited.items()} == {
        "A": "S1",
        "B": "S1",
        "C": "S1",
    }
    assert cited["C"]["justification"].startswith("Le COPIL préfère")
