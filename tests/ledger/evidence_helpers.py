"""Helpers for the evidence-file tests: a ledger started from nothing where the COPIL
takes every kind of decision, and the independent verifier loaded in-process."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

from domain.sessions import Session
from ledger.core import Caller
from ledger.sealstore import SealStore
from tests.projections.test_generated import (
    CHAIR,
    CRITERIA,
    DSI,
    EVALUATORS,
    MEMBERS,
    REF,
    content,
    setup,
)

ROOT = Path(__file__).resolve().parents[2]
SESSION = "S-EVIDENCE"
# proposal -> (outcome, votes of chair, m1, m2 in order, decision extras)
CP = [{"year": 2025, "section": "investissement", "amount": "10000.00"}]
PLAN = {
    "P1": ("approved", ["for", "for", "for"], {"ap_amount": "10000.00", "cp": CP}),
    "P2": (
        "approved_with_conditions",
        ["for", "for", "against"],
        {"ap_amount": "10000.00", "cp": CP, "conditions": "Marché à relancer"},
    ),
    "P3": ("deferred", ["for", "against", "abstain"], {}),
    "P4": ("rejected", ["against", "against"], {}),
    "P5": ("deferred", [], {}),  # never scored, never voted on
}
OUTCOMES = ("approved", "approved_with_conditions", "deferred", "rejected")


def load_verifier() -> ModuleType:
    """``verifier.py`` imported from its file (it is no package module)."""
    spec = importlib.util.spec_from_file_location("sdsi_verifier", ROOT / "verifier.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def decide_every_kind(led: Any) -> dict[str, int]:
    """From a ledger holding only its administrator (``sdsi init``): the reference
    data, five proposals scored (one re-scored), a session with an attendance change
    and a changed vote, and a decision of every kind. Returns proposal -> position of
    its decision."""
    setup(led, bootstrap=False)
    for i, code in enumerate(PLAN, 1):
        led.draft_proposal(REF, code, "D", content(i, 10000))
        led.submit_proposal(REF, code)
        led.qualify_proposal(
            DSI,
            code,
            {
                "costs": CP,
                "workloads": [{"team": "T", "year": 2025, "days": 5}],
            },
        )
        if code == "P5":
            continue
        for k, evaluator in enumerate(EVALUATORS):
            led.score_proposal(
                evaluator,
                code,
                1,
                1,
                {
                    c["code"]: {"level": 1 + (i + k + n) % 3, "justification": "vu"}
                    for n, c in enumerate(CRITERIA)
                },
            )
    # a score replaced: the decision rests on the newer level only
    led.score_proposal(
        EVALUATORS[0], "P1", 1, 1, {"V1": {"level": 4, "justification": "revu"}}
    )
    led.convene_session(CHAIR, SESSION, "Séance", "2025-01-20", MEMBERS)
    for code in PLAN:
        led.add_agenda_item(CHAIR, SESSION, code)
    led.open_session(CHAIR, SESSION, MEMBERS[:2])
    led.set_attendance(CHAIR, SESSION, "m2", True)  # arrives late
    decided = {}
    for code, (outcome, votes, extra) in PLAN.items():
        for member, choice in zip(MEMBERS, votes, strict=False):
            led.cast_vote(Caller(member), SESSION, code, choice)
        if code == "P3":  # m1 changes their vote
            led.cast_vote(Caller("m1"), SESSION, code, "for")
        if code == "P4":  # m2 leaves before the vote on P4's decision
            led.set_attendance(CHAIR, SESSION, "m2", False)
        led.record_decision(
            CHAIR, SESSION, code, outcome, "motif", justification="arbitrage", **extra
        )
        decided[code] = decision_position(led, SESSION, code)
    led.close_session(CHAIR, SESSION)
    return decided


def decision_position(led: Any, session: str, proposal: str) -> int:
    """The position of the decision on ``proposal`` (sealing up to the head first)."""
    from ledger.sealing import Sealer

    Sealer(led).run_once()
    store = SealStore(led.storage)
    session_id = Session.id_for(session)
    for stored in led.recorder.select_events(session_id):
        if stored.topic.endswith(".DecisionRecorded"):
            event = led.mapper.to_domain_event(stored)
            if event.decision.proposal == proposal:
                position = store.sealed_position(
                    (str(session_id), stored.originator_version)
                )
                assert position is not None
                return position
    raise AssertionError(f"no decision on {proposal} in {session}")
