"""Discussion: each comment's document, with every earlier text it had (``history``),
who marked it answered and who hid it, why. A text flagged as naming persons is kept
with their ids (``named``); their erasure replaces it by the marker here, in the
transaction that records ``Account.Erased`` (``comment_names`` finds the comments)."""

from __future__ import annotations

from typing import Any

from domain.accounts import Account
from domain.discussion import Comment
from domain.personal import ERASED, shown, subjects_of
from projections.registry import Batch, Meta, document, on
from projections.views.discussion.tables import COMMENTS, NAMED


def _index(batch: Batch, e: Any) -> list[str]:
    """The subjects ``e``'s text is flagged for, each indexed to the comment."""
    named = subjects_of(e.body)
    comment = str(e.originator_id)
    for subject in named:
        doc = batch.doc("comment_names", (subject,)) or {
            "subject": subject,
            "comments": [],
        }
        if comment not in doc["comments"]:
            doc["comments"] = [*doc["comments"], comment]
        batch.put("comment_names", (subject,), doc)
    return named


def _new(
    batch: Batch, e: Any, m: Meta, parent: str | None, parent_author: str | None
) -> dict[str, Any]:
    return {
        "id": str(e.originator_id),
        "subject_kind": e.subject_kind,
        "subject_id": e.subject_id,
        "parent": parent,
        "parent_author": parent_author,
        "author": e.author,
        "kind": getattr(e, "kind", "comment"),
        "internal": e.internal,
        "body": shown(e.body),
        "named": _index(batch, e),
        "proposition": getattr(e, "proposition", None),
        "history": [],
        "answered_by": None,
        "answered_at": None,
        "hidden_by": None,
        "hidden_at": None,
        "hidden_reason": None,
        "settled": None,  # a proposition: {"outcome", "by", "at", "reason", …}
        "at": m.at,
        "edited_at": None,
        "position": m.position,
    }


@on(Comment.Posted)
def posted(batch: Batch, e: Comment.Posted, m: Meta) -> None:
    batch.put("comments", (str(e.originator_id),), _new(batch, e, m, None, None))


@on(Comment.Replied)
def replied(batch: Batch, e: Comment.Replied, m: Meta) -> None:
    batch.put(
        "comments",
        (str(e.originator_id),),
        _new(batch, e, m, e.parent_id, e.parent_author),
    )


@on(Comment.Edited)
def edited(batch: Batch, e: Comment.Edited, m: Meta) -> None:
    doc = batch.touch("comments", (str(e.originator_id),))
    doc["history"] = [
        *doc["history"],
        {
            "body": doc["body"],
            "at": doc["edited_at"] or doc["at"],
            "named": doc.get("named", []),
        },
    ]
    doc["body"], doc["edited_at"] = shown(e.body), m.at
    doc["named"] = _index(batch, e)


@on(Account.Erased)
def erased(batch: Batch, e: Account.Erased, m: Meta) -> None:
    """Every text flagged as naming the erased person reads as the marker."""
    subject = str(e.originator_id)
    index = batch.doc("comment_names", (subject,))
    for comment in index["comments"] if index else ():
        doc = batch.touch("comments", (comment,))
        for text in (doc, *doc["history"]):
            if subject in text.get("named", ()):
                text["body"] = ERASED
        doc["history"] = list(doc["history"])


@on(Comment.Answered)
def answered(batch: Batch, e: Comment.Answered, m: Meta) -> None:
    doc = batch.touch("comments", (str(e.originator_id),))
    doc["answered_by"], doc["answered_at"] = e.answered_by, m.at


@on(Comment.Hidden)
def hidden(batch: Batch, e: Comment.Hidden, m: Meta) -> None:
    doc = batch.touch("comments", (str(e.originator_id),))
    doc["hidden_by"], doc["hidden_at"] = m.context.actor, m.at
    doc["hidden_reason"] = e.reason


@on(Comment.Accepted, Comment.Declined)
def settled(batch: Batch, e: Any, m: Meta) -> None:
    """The chair's consolidation of a proposition, shown on it."""
    doc = batch.touch("comments", (str(e.originator_id),))
    accepted = isinstance(e, Comment.Accepted)
    doc["settled"] = {
        "outcome": "accepted" if accepted else "declined",
        "by": e.accepted_by if accepted else e.declined_by,
        "at": m.at,
        "criterion": e.criterion_code if accepted else None,
        "reason": None if accepted else e.reason,
        "position": m.position,
    }


def _row(d: dict[str, Any]) -> tuple[Any, ...]:
    return COMMENTS.row(
        id=d["id"],
        subject_kind=d["subject_kind"],
        subject_id=d["subject_id"],
        parent=d["parent"],
        author=d["author"],
        kind=d["kind"],
        internal=int(d["internal"]),
        hidden=int(d["hidden_reason"] is not None),
        answered=int(d["answered_by"] is not None),
        position=d["position"],
    )


document("comments", _row)
document("comment_names", lambda d: NAMED.row(subject=d["subject"]))
