"""Discussion of proposals and grid drafts: who writes, internal comments, one level of
replies, answered questions, edits that keep the earlier text, the chair's moderation,
criteria proposed on a grid draft — each refusal named, with nothing written."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.discussion import Comment
from domain.errors import (
    CommentHidden,
    DiscussionClosed,
    InvalidValue,
    NotAllowed,
    NotAQuestion,
    NotFound,
    NotReferentOfDirection,
    ReasonRequired,
)
from ledger.app import Ledger
from tests.domain.builders import CHAIR, DSI, Town, by, events_since, refused

REF = by("ref.fin")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def post(ledger: Ledger, who: Any, body: str = "Une remarque.", **kw: Any) -> str:
    subject = kw.pop("subject", ("proposal", "P1"))
    return str(ledger.post_comment(who, *subject, body=body, **kw)["id"])


def comment(ledger: Ledger, comment_id: str) -> Comment:
    from uuid import UUID

    found = ledger.load(Comment, UUID(comment_id))
    assert found is not None
    return found


@pytest.fixture
def p1(town: Town) -> Town:
    town.draft("P1", "FIN")
    return town


def test_a_question_answered_by_the_dsi_and_marked_answered_by_its_author(
    p1: Town,
) -> None:
    led = p1.ledger
    head = led.head()
    q = post(led, REF, "Quel budget de fonctionnement ?", kind="question")
    reply = led.reply_to_comment(DSI, "proposal", "P1", q, body="Environ 10 k€ par an.")
    led.mark_answered(REF, "proposal", "P1", q)
    events = events_since(led, head)
    assert [type(e).__qualname__ for e in events] == [
        "Comment.Posted",
        "Comment.Replied",
        "Comment.Answered",
    ]
    posted, replied, answered = events
    assert (posted.subject_kind, posted.subject_id, posted.author, posted.kind) == (
        "proposal",
        "P1",
        "ref.fin",
        "question",
    )
    assert (replied.parent_id, replied.parent_author, replied.author) == (
        q,
        "ref.fin",
        "dsi",
    )
    assert (replied.subject_kind, replied.subject_id) == ("proposal", "P1")
    assert (answered.author, answered.answered_by) == ("ref.fin", "ref.fin")
    assert reply["parent"] == q
    assert comment(led, q).answered_by == "ref.fin"
    led.mark_answered(DSI, "proposal", "P1", q)  # already answered: nothing more
    assert led.head() == head + 3


def test_who_takes_part_in_a_proposal_s_discussion(p1: Town) -> None:
    led = p1.ledger
    for who in ("ref.fin", "dsi", "eval1", "m1", "chair"):
        post(led, by(who))
    with refused(led, NotReferentOfDirection):
        post(led, by("ref.edu"))
    for who in ("fin", "audit", "admin"):
        with refused(led, NotAllowed):
            post(led, by(who))
    with refused(led, NotFound):
        post(led, DSI, subject=("proposal", "P404"))


def test_internal_comments_are_written_and_read_by_the_dsi_evaluators_and_chair(
    p1: Town,
) -> None:
    led = p1.ledger
    note = post(led, by("eval1"), "Avis interne.", internal=True)
    assert comment(led, note).internal is True
    reply = led.reply_to_comment(CHAIR, "proposal", "P1", note, body="Noté.")
    assert reply["internal"] is True  # a reply to an internal comment is internal
    for who in ("ref.fin", "m1"):
        with refused(led, NotAllowed):
            post(led, by(who), internal=True)
        with refused(led, NotFound):  # invisible to them: unknown
            led.reply_to_comment(by(who), "proposal", "P1", note, body="?")
    with refused(led, InvalidValue) as err:
        post(led, DSI, internal="oui")
    assert err.value.field == "internal"


def test_one_level_of_replies_only(p1: Town) -> None:
    led = p1.ledger
    first = post(led, REF)
    reply = str(led.reply_to_comment(DSI, "proposal", "P1", first, body="Oui.")["id"])
    with refused(led, InvalidValue) as err:
        led.reply_to_comment(REF, "proposal", "P1", reply, body="Et ?")
    assert err.value.field == "parent"
    p1.draft("P2", "FIN")
    with refused(led, NotFound):  # the comment of another subject
        led.reply_to_comment(REF, "proposal", "P2", first, body="?")


def test_editing_keeps_the_earlier_text_and_only_the_author_edits(p1: Town) -> None:
    led = p1.ledger
    c = post(led, REF, "Premier texte.")
    head = led.head()
    led.edit_comment(REF, "proposal", "P1", c, body="Second texte.")
    led.edit_comment(REF, "proposal", "P1", c, body="Second texte.")  # unchanged
    (edited,) = events_since(led, head)
    assert (type(edited).__qualname__, edited.body, edited.author) == (
        "Comment.Edited",
        "Second texte.",
        "ref.fin",
    )
    assert comment(led, c).history == ["Premier texte."]
    with refused(led, NotAllowed):
        led.edit_comment(DSI, "proposal", "P1", c, body="Réécrit par la DSI.")


def test_the_chair_hides_a_comment_with_a_reason_and_its_events_stay(
    p1: Town,
) -> None:
    led = p1.ledger
    c = post(led, REF, "Propos déplacé.", kind="question")
    with refused(led, NotAllowed):
        led.hide_comment(by("dsi", "hors sujet"), "proposal", "P1", c)
    with refused(led, ReasonRequired):
        led.hide_comment(CHAIR, "proposal", "P1", c)
    head = led.head()
    led.hide_comment(by("chair", "Propos hors sujet"), "proposal", "P1", c)
    (hidden,) = events_since(led, head)
    assert (type(hidden).__qualname__, hidden.reason, hidden.author) == (
        "Comment.Hidden",
        "Propos hors sujet",
        "ref.fin",
    )
    assert comment(led, c).body == "Propos déplacé."  # the text stays in the ledger
    with refused(led, CommentHidden):
        led.edit_comment(REF, "proposal", "P1", c, body="Autre chose.")
    with refused(led, CommentHidden):
        led.reply_to_comment(DSI, "proposal", "P1", c, body="Réponse.")
    with refused(led, CommentHidden):
        led.mark_answered(REF, "proposal", "P1", c)


def test_only_a_question_is_marked_answered_by_its_author_the_dsi_or_the_chair(
    p1: Town,
) -> None:
    led = p1.ledger
    remark = post(led, REF)
    with refused(led, NotAQuestion):
        led.mark_answered(REF, "proposal", "P1", remark)
    q = post(led, REF, kind="question")
    with refused(led, NotAllowed):
        led.mark_answered(by("m1"), "proposal", "P1", q)
    assert led.mark_answered(CHAIR, "proposal", "P1", q)["answered"] is True


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"body": ""}, "body"),
        ({"body": "x" * 5001}, "body"),
        ({"body": "a\x00b"}, "body"),
        ({"kind": "avis"}, "kind"),
        ({"kind": "proposition", "proposition": {"criterion_label": "X"}}, "kind"),
        ({"proposition": {"criterion_label": "X"}}, "proposition"),
    ],
)
def test_bad_comments_are_refused_naming_the_field(
    p1: Town, kw: dict[str, Any], field: str
) -> None:
    with refused(p1.ledger, InvalidValue) as err:
        post(p1.ledger, REF, **{"body": "ok", **kw})
    assert err.value.field == field


def test_criteria_and_weights_are_proposed_on_a_grid_draft_until_it_is_adopted(
    town: Town,
) -> None:
    led = town.ledger
    led.draft_grid(DSI, 1, "Grille 1")
    grid = ("grid", 1)
    head = led.head()
    post(
        led,
        by("ref.edu"),  # any direction's referent takes part in the grid's discussion
        "Mesurer l'accessibilité des démarches.",
        kind="proposition",
        subject=grid,
        proposition={
            "criterion_label": "Accessibilité",
            "criterion_code": "ACC",
            "family": "value",
            "weight": "15,5",
        },
    )
    (posted,) = events_since(led, head)
    assert (posted.subject_kind, posted.subject_id, posted.kind) == (
        "grid",
        "1",
        "proposition",
    )
    assert posted.proposition == {
        "criterion_label": "Accessibilité",
        "criterion_code": "ACC",
        "family": "value",
        "weight": "15.50",
    }
    post(led, DSI, kind="proposition", subject=grid,
         proposition={"criterion_label": "Sobriété"})  # fmt: skip
    for proposition, field in (
        ({}, "criterion_label"),
        ({"criterion_label": "X", "weight": "120"}, "weight"),
        ({"criterion_label": "X", "family": "autre"}, "family"),
        ({"criterion_label": "X", "criterion_code": "a b"}, "criterion_code"),
        ({"criterion_label": "X", "poids": "10"}, "proposition.poids"),
    ):
        with refused(led, InvalidValue) as err:
            post(led, DSI, kind="proposition", subject=grid, proposition=proposition)
        assert err.value.field == field
    led.set_grid_criterion(
        DSI,
        1,
        {
            "code": "V",
            "label": "Valeur",
            "family": "value",
            "weight": "100",
            "scale": [{"level": 1, "descriptor": "a"}, {"level": 2, "descriptor": "b"}],
        },
    )
    first = post(led, DSI, subject=grid)
    led.adopt_grid(CHAIR, 1, "2025-01-10")
    with refused(led, DiscussionClosed):
        post(led, DSI, subject=grid)
    with refused(led, DiscussionClosed):
        led.reply_to_comment(CHAIR, "grid", 1, first, body="Trop tard.")
    with refused(led, DiscussionClosed):  # what was said on the draft stays said
        led.edit_comment(DSI, "grid", 1, first, body="Réécrit après l'adoption.")
    with refused(led, NotFound):
        post(led, DSI, subject=("grid", 7))
    # moderation and answers stay possible on an adopted version's discussion
    led.hide_comment(by("chair", "Doublon"), "grid", "1", first)


TEXTS = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=40
) | st.sampled_from(["x" * 5000, "x" * 5001, "  ", "<b>gras</b>", "a\x07b"])


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(body=TEXTS)
def test_any_text_is_recorded_as_typed_or_refused_naming_the_body(
    p1: Town, body: str
) -> None:
    """Trimmed, 1 to 5,000 characters, no control character: recorded as typed;
    anything else refused on ``body`` with nothing written."""
    led = p1.ledger
    trimmed = body.strip()
    valid = 0 < len(trimmed) <= 5000 and not CONTROL.search(trimmed)
    head = led.head()
    if valid:
        assert comment(led, post(led, REF, body)).body == trimmed
    else:
        with pytest.raises(InvalidValue) as err:
            post(led, REF, body)
        assert err.value.field == "body"
        assert led.head() == head
