"""The discussion's notifications (issue 17): a reply to a question, or the question
marked answered by someone else, tells its author (kind ``answer``), never of their
own act and never of an internal comment they may no longer read; a public comment
or reply on a followed proposal is a change for its followers, an internal one is
not. Exact recipients, from an empty ledger, on both backends; following, rebuilding
and replaying as of a past position give the same rows."""

from __future__ import annotations

from typing import Any

from ledger.core import Caller
from ledger.notifications import NotificationSettings
from projections import queries as q
from projections.projector import Projector
from projections.store import SQLiteViewStore
from projections.views.notifications import queries as nq
from tests.projections.test_generated import (
    CHAIR,
    DSI,
    REF,
    content,
    fresh_projection,
    setup,
)

EV = Caller("ev1")
ADMIN = Caller("admin", reason="tests")


def _history(led: Any) -> list[Any]:
    """The commands (each a thunk, run in order, followed after each)."""
    ids: dict[str, str] = {}

    def keep(name: str, result: Any) -> None:
        ids[name] = result["id"]

    def post(name: str, caller: Caller, about: str, subject: Any, **kw: Any) -> Any:
        return lambda: keep(name, led.post_comment(caller, about, subject, **kw))

    def reply(caller: Caller, name: str, body: str, about: str = "proposal") -> Any:
        subject = "P1" if about == "proposal" else 2
        return lambda: led.reply_to_comment(
            caller, about, subject, ids[name], body=body
        )

    return [
        lambda: led.draft_proposal(REF, "P1", "D", content(1, 10000)),
        post("q", REF, "proposal", "P1", kind="question", body="Coût ?"),
        reply(DSI, "q", "10 k€."),  # ref told
        reply(REF, "q", "Merci."),  # her own reply: nobody told
        post("c", REF, "proposal", "P1", body="Une remarque."),
        reply(DSI, "c", "Notée."),  # not a question: nobody told
        post(
            "i", EV, "proposal", "P1", kind="question", body="Risque ?", internal=True
        ),
        reply(CHAIR, "i", "Faible."),  # ev1 reads internal comments: told
        lambda: led.revoke_role(ADMIN, "ev1", "evaluator"),
        reply(DSI, "i", "Très faible."),  # ev1 may no longer read it: not told
        lambda: led.mark_answered(DSI, "proposal", "P1", ids["i"]),  # nor of this
        lambda: led.mark_answered(DSI, "proposal", "P1", ids["q"]),  # ref told
        post("q2", REF, "proposal", "P1", kind="question", body="Délai ?"),
        lambda: led.mark_answered(REF, "proposal", "P1", ids["q2"]),  # her own
        lambda: led.draft_grid(DSI, 2, "Brouillon"),
        post("g", REF, "grid", 2, kind="question", body="Poids ?"),
        reply(CHAIR, "g", "10 %.", about="grid"),  # ref told, about the grid
    ]


def _addressed(store: Any) -> list[tuple[str, str, str, str, str]]:
    return [
        (login, row.kind, row.subject, row.detail, row.actor)
        for login, row in nq.addressed(store, 0, nq.head(store))
        if row.kind == "answer"
    ]


def test_answers_tell_the_question_s_author_and_comments_the_followers(
    backend: str, tmp_path_factory: Any, request: Any
) -> None:
    with fresh_projection(
        backend, tmp_path_factory, request, "discussion-notifications", 3
    ) as (tmp, led, rm, projector):
        setup(led)
        projector.catch_up()
        prefs = NotificationSettings(led.storage)
        prefs.follow("m1", "P1", led.head())  # m1 follows P1 from now on
        marks = []
        for run in _history(led):
            run()
            projector.catch_up()
            marks.append(rm.current_position())

        assert _addressed(rm.store) == [
            ("ref", "answer", "P1", "Replied", "dsi"),
            ("ev1", "answer", "P1", "Replied", "chair"),
            ("ref", "answer", "P1", "Answered", "dsi"),
            ("ref", "answer", "2", "Replied", "chair"),
        ]
        ref, total = nq.inbox(rm.store, "ref", prefs.follows("ref"), limit=50)
        assert total == 3
        assert ref[0].title == "Grille v2" and ref[0].link.startswith("/grille?v=2#c-")
        assert ref[-1].link.startswith("/fiches/P1#c-")
        # the follower: every public comment and reply on P1, no internal one
        follow, total = nq.inbox(rm.store, "m1", prefs.follows("m1"), limit=50)
        assert [(r.kind, r.detail, r.actor) for r in reversed(follow)] == [
            ("follow", "Posted", "ref"),
            ("follow", "Replied", "dsi"),
            ("follow", "Replied", "ref"),
            ("follow", "Posted", "ref"),
            ("follow", "Replied", "dsi"),
            ("follow", "Posted", "ref"),
        ]
        assert total == 6
        assert {r.title for r in follow} == {content(1, 10000)["title"]}

        incremental = q.dump(rm.store)
        fresh = SQLiteViewStore(tmp / "fresh.db")
        rebuild = Projector(led, fresh, batch_size=5000)
        rebuild.ensure_tables()
        rebuild.rebuild()
        assert incremental == q.dump(fresh)
        assert incremental == q.dump(rm.replay(rm.head_position()))
        fresh.close()
        for position in marks[2::5]:  # as of a past position == a rebuild up to it
            past = SQLiteViewStore(tmp / f"upto-{position}.db")
            upto = Projector(led, past, batch_size=2)
            upto.ensure_tables()
            upto.rebuild(stop_position=position)
            assert q.dump(rm.replay(position)) == q.dump(past), position
            past.close()
        rm.close()
