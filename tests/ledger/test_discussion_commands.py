"""The discussion's commands on both backends: a repeated idempotency key gives the
first comment back and writes nothing; the events carry what a notification rule
needs; the hourly limit counts in the ledger database (shared by every worker)."""

from __future__ import annotations

from ledger.app import Ledger
from ledger.commands.discussion import COMMENTS, may_comment
from ledger.core import Caller
from ledger.throttle import make_counters
from tests.conftest import ADMIN
from tests.domain.builders import events_since

CONTENT = {"title": "Projet", "description": "Un projet."}


def _world(ledger: Ledger) -> None:
    ledger.define_plan(ADMIN, "SDSI", "Ville", 2024, 2028)
    ledger.create_pole(ADMIN, "P", "Pôle")
    ledger.create_direction(ADMIN, "D", "Direction", "P")
    for login, role, scope in (("ref", "referent", "D"), ("dsi", "dsi", None)):
        ledger.add_user(ADMIN, login, login, "password-12345", roles=[(role, scope)])
    ledger.draft_proposal(Caller("ref"), "P1", "D", CONTENT)


def test_a_repeated_key_returns_the_first_comment_and_writes_nothing(
    ledger: Ledger,
) -> None:
    _world(ledger)
    caller = Caller("ref", key="question-1")
    first = ledger.post_comment(caller, "proposal", "P1", kind="question", body="Q ?")
    head = ledger.head()
    again = ledger.post_comment(caller, "proposal", "P1", kind="question", body="Q ?")
    assert (again.replayed, again["id"]) == (True, first["id"])
    assert ledger.head() == head
    reply = ledger.reply_to_comment(
        Caller("dsi"), "proposal", "P1", first["id"], body="R."
    )
    (replied,) = events_since(ledger, head)
    assert {
        "topic": type(replied).__qualname__,
        "subject": (replied.subject_kind, replied.subject_id),
        "author": replied.author,
        "parent": (replied.parent_id, replied.parent_author),
        "id": str(replied.originator_id),
    } == {
        "topic": "Comment.Replied",
        "subject": ("proposal", "P1"),
        "author": "dsi",
        "parent": (first["id"], "ref"),
        "id": reply["id"],
    }


def test_thirty_comments_an_hour_then_a_wait(ledger: Ledger) -> None:
    now = [1_000_000.0]
    counters = make_counters(None, ledger.storage, clock=lambda: now[0])
    waits = [may_comment(counters, "ref") for _ in range(COMMENTS.free)]
    assert waits == [0] * 30
    assert may_comment(counters, "ref") == 1
    assert may_comment(counters, "dsi") == 0  # per account
    now[0] += COMMENTS.window + 1
    assert may_comment(counters, "ref") == 0  # forgotten after an hour
