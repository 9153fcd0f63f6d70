"""A scripted history with the moves that change what a view computes mid-way — a new
grid adopted after scoring, a proposal amended after it was scored, a decision that
departs from the vote majority, each quorum kind, a refused command in between:
following after every command, rebuilding and replaying as of any position agree,
on both backends."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from ledger.app import open_ledger
from ledger.core import Caller
from projections import queries as q
from projections.projector import Projector
from projections.service import ReadModel, init_views
from projections.store import SQLiteViewStore
from tests.conftest import make_settings
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

GRID_2 = [
    {**CRITERIA[0], "weight": "25"},
    {**CRITERIA[1], "weight": "45"},
    {
        "code": "V3",
        "label": "Nouveau",
        "family": "value",
        "weight": "30",
        "scale": [{"level": i, "descriptor": f"n{i}"} for i in range(1, 4)],
    },
    CRITERIA[2],
]


def _scores(levels: dict[str, int]) -> dict[str, Any]:
    return {c: {"level": lv, "justification": "ok"} for c, lv in levels.items()}


def _history(led: Any) -> list[Any]:
    """The commands, each a thunk (run in order, followed after each)."""
    ev1, ev2 = EVALUATORS
    chair = Caller("chair", reason="ok")
    cost = [{"year": 2025, "section": "investissement", "amount": "10000.00"}]
    steps: list[Any] = []
    for code in ("P1", "P2", "P3"):
        steps += [
            lambda c=code: led.draft_proposal(REF, c, "D", content(1, 10000)),
            lambda c=code: led.submit_proposal(REF, c),
            lambda c=code: led.qualify_proposal(
                DSI,
                c,
                {
                    "costs": cost,
                    "workloads": [{"team": "T", "year": 2025, "days": 3}],
                },
            ),
        ]
    steps += [
        lambda: led.score_proposal(
            ev1, "P1", 1, 1, _scores({"V1": 4, "V2": 1, "R1": 2})
        ),
        lambda: led.score_proposal(
            ev2, "P1", 1, 1, _scores({"V1": 3, "V2": 2, "R1": 3})
        ),
        lambda: led.score_proposal(ev1, "P2", 1, 1, _scores({"V1": 2, "V2": 2})),
        # amended after it was scored: the scores stay on revision 1
        lambda: led.amend_proposal(
            Caller("ref", reason="mise à jour"), "P1", content(2, 10000)
        ),
        lambda: led.qualify_proposal(
            DSI,
            "P1",
            {"costs": cost, "workloads": [{"team": "T", "year": 2025, "days": 4}]},
        ),
        lambda: led.score_proposal(
            ev1, "P1", 2, 1, _scores({"V1": 1, "V2": 4, "R1": 1})
        ),
        # a new grid mid-way: other weights, a criterion more on another scale
        lambda: led.draft_grid(DSI, 2, "Grille 2", criteria=GRID_2),
        lambda: led.adopt_grid(chair, 2, "2025-01-15"),
        lambda: led.score_proposal(
            ev2, "P1", 2, 2, _scores({"V1": 2, "V2": 3, "V3": 1, "R1": 2})
        ),
        lambda: led.score_proposal(ev1, "P3", 1, 2, _scores({"V1": 4, "V3": 2})),
        # sessions under each quorum kind, on grid 2
        lambda: led.convene_session(
            CHAIR,
            "S1",
            "Séance",
            "2025-01-20",
            MEMBERS,
            quorum={"kind": "count", "value": 2},
        ),
        lambda: led.convene_session(
            CHAIR,
            "S2",
            "Séance",
            "2025-01-21",
            MEMBERS,
            quorum={"kind": "fraction", "value": "0.6667"},
        ),
        lambda: led.add_agenda_item(CHAIR, "S1", "P1"),
        lambda: led.add_agenda_item(CHAIR, "S1", "P2"),
        lambda: led.add_agenda_item(CHAIR, "S2", "P3"),
        lambda: led.open_session(CHAIR, "S1", ["chair", "m1"]),
        lambda: led.cast_vote(Caller("chair"), "S1", "P1", "against"),
        lambda: led.cast_vote(Caller("m1"), "S1", "P1", "against"),
        lambda: led.cast_vote(Caller("m1"), "S1", "P2", "for"),
        lambda: led.cast_vote(Caller("m1"), "S1", "P2", "abstain"),  # supersedes
        # approved against the majority, with its justification
        lambda: led.record_decision(
            CHAIR,
            "S1",
            "P1",
            "approved",
            "motif",
            justification="arbitrage",
            ap_amount="10000.00",
            cp=cost,
        ),
        lambda: led.record_decision(CHAIR, "S1", "P2", "deferred", "motif"),
        lambda: led.close_session(CHAIR, "S1"),
        lambda: led.open_session(CHAIR, "S2", ["chair", "m1", "m2"]),
        lambda: led.cast_vote(Caller("m2"), "S2", "P3", "for"),
        lambda: led.record_decision(
            CHAIR, "S2", "P3", "rejected", "motif", justification="arbitrage"
        ),
    ]
    return steps


def test_a_history_with_grid_changes_amendments_and_departing_decisions_agrees(
    backend: str, tmp_path_factory, request
) -> None:  # type: ignore[no-untyped-def]
    tmp: Path = tmp_path_factory.mktemp("tricky")
    url = (
        f"sqlite:///{tmp}/ledger.db"
        if backend == "sqlite"
        else request.getfixturevalue("new_pg_schema_url")()
    )
    cfg = make_settings(tmp / "data", url)
    led = open_ledger(cfg, create=True)
    try:
        init_views(cfg, led)
        rm = ReadModel(led, cfg)
        projector = rm.projector(batch_size=2)
        setup(led)
        projector.catch_up()
        marks = []
        for run in _history(led):
            run()  # every step must be accepted: the history is the point
            projector.catch_up()
            marks.append(rm.current_position())
        incremental = q.dump(rm.store)
        got = {
            code: (
                d["outcome"],
                d["grid_version"],
                d["revision"],
                d["departs_from_majority"],
                d["quorum_required"],
                d["value"],
                d["risk"],
            )
            for code, d in _decisions(rm.store).items()
        }
        # P1 on grid 2, revision 2, one evaluator: 100 × (25 × 1/3 + 45 × 2/3 + 30 × 0)
        # / 100 = 38.33, risk (2 − 1) / 2 = 50; two votes against, approved
        assert got == {
            "P1": ("approved", 2, 2, True, 2, Decimal("38.33"), Decimal("50.00")),
            "P2": ("deferred", 2, 1, False, 2, None, None),
            # ⌈0.6667 × 3⌉ = 3 present voting members required
            "P3": ("rejected", 2, 1, True, 3, None, None),
        }

        fresh = SQLiteViewStore(tmp / "fresh.db")
        rebuild = Projector(led, fresh, batch_size=5000)
        rebuild.ensure_tables()
        rebuild.rebuild()
        assert incremental == q.dump(fresh)
        assert incremental == q.dump(rm.replay(rm.head_position()))
        fresh.close()

        for position in marks[::5]:  # as of a past position == a rebuild up to it
            past = SQLiteViewStore(tmp / f"upto-{position}.db")
            upto = Projector(led, past, batch_size=7)
            upto.ensure_tables()
            upto.rebuild(stop_position=position)
            assert q.dump(rm.replay(position)) == q.dump(past), position
            past.close()
        rm.close()
    finally:
        led.close()


def _decisions(store: Any) -> dict[str, Any]:
    return {d["proposal"]: d for d in q.decision_history(store)}
