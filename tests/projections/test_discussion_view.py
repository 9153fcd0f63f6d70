"""The discussion view on both backends: following after every command, rebuilding and
replaying as of any position agree (every view's canonical dump), and the threads
read as of a past position are those of that moment (before an edit, before a
moderation)."""

from __future__ import annotations

from typing import Any

from ledger.core import Caller
from projections import queries as q
from projections.projector import Projector
from projections.store import SQLiteViewStore
from tests.projections.test_generated import (
    CHAIR,
    DSI,
    REF,
    content,
    fresh_projection,
    setup,
)

EV = Caller("ev1")


def _history(led: Any) -> list[Any]:
    """The commands (each a thunk, run in order, followed after each)."""
    ids: dict[str, str] = {}

    def keep(name: str, result: Any) -> None:
        ids[name] = result["id"]

    return [
        lambda: led.draft_proposal(REF, "P1", "D", content(1, 10000)),
        lambda: keep(
            "q",
            led.post_comment(REF, "proposal", "P1", kind="question", body="Coût ?"),
        ),
        lambda: led.reply_to_comment(DSI, "proposal", "P1", ids["q"], body="10 k€."),
        lambda: keep(
            "i",
            led.post_comment(EV, "proposal", "P1", body="Interne", internal=True),
        ),
        lambda: led.reply_to_comment(CHAIR, "proposal", "P1", ids["i"], body="Vu."),
        lambda: led.edit_comment(REF, "proposal", "P1", ids["q"], body="Quel coût ?"),
        lambda: led.mark_answered(REF, "proposal", "P1", ids["q"]),
        lambda: led.draft_grid(DSI, 2, "Brouillon"),
        lambda: keep(
            "g",
            led.post_comment(
                REF,
                "grid",
                2,
                kind="proposition",
                body="Un critère d'accessibilité.",
                proposition={"criterion_label": "Accessibilité", "weight": "10"},
            ),
        ),
        lambda: led.hide_comment(
            Caller("chair", reason="Hors sujet"), "proposal", "P1", ids["i"]
        ),
    ]


def test_following_rebuilding_and_replaying_the_discussion_agree(
    backend: str, tmp_path_factory: Any, request: Any
) -> None:
    with fresh_projection(backend, tmp_path_factory, request, "discussion", 3) as (
        tmp,
        led,
        rm,
        projector,
    ):
        setup(led)
        projector.catch_up()
        marks = []
        for run in _history(led):
            run()
            projector.catch_up()
            marks.append(rm.current_position())
        incremental = q.dump(rm.store)
        assert len(incremental["comments"]) == 5

        (question, internal) = q.discussion(rm.store, "proposal", "P1", internal=True)
        assert (question["body"], question["answered_by"]) == ("Quel coût ?", "ref")
        assert [v["body"] for v in question["history"]] == ["Coût ?"]
        assert [r["body"] for r in question["replies"]] == ["10 k€."]
        assert (internal["hidden"], internal["body"], internal["hidden_reason"]) == (
            True,
            None,
            "Hors sujet",
        )
        public = q.discussion(rm.store, "proposal", "P1", internal=False)
        assert [t["id"] for t in public] == [question["id"]]
        assert q.discussion_counts(rm.store, "proposal", "P1", internal=False) == {
            "comments": 2,
            "open_questions": 0,
        }

        fresh = SQLiteViewStore(tmp / "fresh.db")
        rebuild = Projector(led, fresh, batch_size=5000)
        rebuild.ensure_tables()
        rebuild.rebuild()
        assert incremental == q.dump(fresh)
        assert incremental == q.dump(rm.replay(rm.head_position()))
        fresh.close()

        for position in marks[1::3]:  # as of a past position == a rebuild up to it
            past = SQLiteViewStore(tmp / f"upto-{position}.db")
            upto = Projector(led, past, batch_size=2)
            upto.ensure_tables()
            upto.rebuild(stop_position=position)
            assert q.dump(rm.replay(position)) == q.dump(past), position
            past.close()

        before_edit = rm.replay(marks[4])  # after the chair's reply, before the edit
        (then, _internal) = q.discussion(before_edit, "proposal", "P1", internal=True)
        assert (then["body"], then["edited"], then["answered"]) == (
            "Coût ?",
            False,
            False,
        )
        (grid,) = q.discussion(rm.store, "grid", "2", internal=False)
        assert grid["proposition"] == {
            "criterion_label": "Accessibilité",
            "criterion_code": None,
            "family": None,
            "weight": "10.00",
        }
        rm.close()
