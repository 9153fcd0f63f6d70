"""Who is told what: the notification rules, one per event class (:data:`RULES`).

A rule reads the event and the views' state as the event found it (this view's handlers
run after every other view's, so a proposal's or a session's document already includes
the event) and names the recipients: the holders of a role when the event happened
(this view's own address book, ``notify_state``), a direction's referents, a session's
present voting members. The actor is never told of their own act. Everything comes
from events, so following, rebuilding and replaying as of a moment give the same rows.

Followers are not known here (following is a person's choice, kept in the ledger's
operational tables): every change of a proposal is a ``proposal_changes`` row, which
the queries give to whoever followed the proposal before it. A comment or a reply on a
proposal is such a change unless it is internal: whoever may follow a proposal may not
read its internal comments (``domain.discussion.reads_internal``), and followers are
only known at query time, so an internal comment tells its followers nothing; the
"answer" rule tells a question's author only while they may read it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from domain.accounts import Account, grant_label
from domain.budget import Envelope, ProjectBudget
from domain.discussion import Comment, CommentKind, SubjectKind, reads_internal
from domain.proposals import Proposal, Status
from domain.sessions import Session
from projections.registry import Batch, Meta, document, on
from projections.views.notifications.tables import (
    NOTIFICATIONS,
    NOTIFY_STATE,
    PROPOSAL_CHANGES,
)

STATE_KEY = ("roles",)


@dataclass(frozen=True)
class Notice:
    """What a rule decided: a kind, its recipients and what it is about."""

    kind: str
    recipients: Iterable[str]
    subject: str
    title: str
    link: str
    detail: str = ""


Rule = Callable[[Batch, Any, Meta], list[Notice]]

# --- the address book ----------------------------------------------------------------


def _book(batch: Batch) -> dict[str, Any]:
    doc = batch.doc("notify_state", STATE_KEY)
    if doc is None:
        doc = batch.put("notify_state", STATE_KEY, {"grants": {}, "inactive": []})
    return doc


def holders(batch: Batch, label: str) -> list[str]:
    """Active accounts holding the grant ``label`` (``dsi``, ``referent:DSN``…)."""
    book = _book(batch)
    inactive = set(book["inactive"])
    return sorted(
        user
        for user, labels in book["grants"].items()
        if label in labels and user not in inactive
    )


@on(
    Account.Registered,
    Account.RoleGranted,
    Account.RoleRevoked,
    Account.Disabled,
    Account.Enabled,
    Account.Erased,
)
def account(batch: Batch, e: Any, m: Meta) -> None:
    book = _book(batch)
    user = m.key
    batch.put("notify_state", STATE_KEY, book)
    if isinstance(e, Account.Registered):
        book["grants"].setdefault(e.username, [])
    elif isinstance(e, Account.RoleGranted):
        book["grants"].setdefault(user, []).append(grant_label(e.role, e.scope))
    elif isinstance(e, Account.RoleRevoked):
        book["grants"][user].remove(grant_label(e.role, e.scope))
    elif isinstance(e, Account.Disabled | Account.Erased):
        book["inactive"] = sorted({*book["inactive"], user})
    else:
        book["inactive"] = [u for u in book["inactive"] if u != user]


document("notify_state", lambda d: NOTIFY_STATE.row(id="roles"))

# --- the rules ---------------------------------------------------------------------------


def _proposal(batch: Batch, code: str) -> tuple[dict[str, Any], str, str]:
    doc = batch.doc("proposals", (code,)) or {}
    title = str(doc.get("content", {}).get("title", ""))
    return doc, title, f"/fiches/{code}"


def to_qualify(batch: Batch, e: Any, m: Meta) -> list[Notice]:
    """A proposal submitted (or amended back to submitted): the DSI qualifies it."""
    if isinstance(e, Proposal.Amended) and e.status != Status.SUBMITTED:
        return []
    _doc, title, link = _proposal(batch, m.key)
    return [Notice("qualify", holders(batch, "dsi"), m.key, title, link)]


def to_score(batch: Batch, e: Any, m: Meta) -> list[Notice]:
    """A proposal qualified: the evaluators score it."""
    _doc, title, link = _proposal(batch, m.key)
    return [Notice("score", holders(batch, "evaluator"), m.key, title, link)]


def to_vote(batch: Batch, e: Session.Opened, m: Meta) -> list[Notice]:
    """A session opened: its present voting members vote."""
    doc = batch.doc("sessions", (m.key,)) or {}
    voters = sorted(set(e.present) & set(doc.get("voting", [])))
    return [
        Notice("vote", voters, m.key, str(doc.get("title", "")), f"/seances/{m.key}")
    ]


def decided(batch: Batch, e: Proposal.Decided, m: Meta) -> list[Notice]:
    """A decision on a proposal: its direction's referents are told."""
    doc, title, link = _proposal(batch, m.key)
    referents = holders(batch, grant_label("referent", doc.get("direction")))
    return [Notice("decision", referents, m.key, title, link, e.outcome.value)]


def grid_decided(
    batch: Batch, e: Session.GridDecisionRecorded, m: Meta
) -> list[Notice]:
    """The COPIL's decision on adopting a grid (built with the directions): every
    referent, the DSI and the evaluators, who score with it, are told."""
    book = _book(batch)
    labels = {"dsi", "evaluator"}
    inactive = set(book["inactive"])
    told = sorted(
        user
        for user, held in book["grants"].items()
        if user not in inactive
        and any(g in labels or g.startswith("referent:") for g in held)
    )
    d = e.decision
    detail = "adopted" if d.adopted else "not_adopted"
    grid = str(d.number)
    return [Notice("grid", told, grid, f"Grille v{grid}", f"/grille?v={grid}", detail)]


def overridden(batch: Batch, e: Any, m: Meta) -> list[Notice]:
    """A budget rule overridden (allocation, commitment or payment): finance is told."""
    if e.override_reason is None:
        return []
    if isinstance(e, Envelope.Allocated):
        subject, link = e.proposal, f"/budget/projets/{e.proposal}"
    else:
        subject, link = m.key, f"/budget/projets/{m.key}"
    _doc, title, _link = _proposal(batch, subject)
    detail = type(e).__qualname__.split(".")[-1]
    return [Notice("override", holders(batch, "finance"), subject, title, link, detail)]


def _about_comment(
    batch: Batch, kind: str, subject: str, anchor: str
) -> tuple[str, str]:
    """The title and page of a discussion's subject (a proposal, a grid version)."""
    if kind == SubjectKind.PROPOSAL.value:
        _doc, title, link = _proposal(batch, subject)
        return title, f"{link}#c-{anchor}"
    return f"Grille v{subject}", f"/grille?v={subject}#c-{anchor}"


def _may_read(batch: Batch, login: str, internal: bool) -> bool:
    """Whether ``login``, as their grants stood, reads a comment (internal or not)."""
    book = _book(batch)
    if login in book["inactive"] or login not in book["grants"]:
        return False
    return not internal or reads_internal(book["grants"][login])


def _answer(
    batch: Batch, e: Any, question_id: str, author: str, internal: bool
) -> list[Notice]:
    if not _may_read(batch, author, internal):
        return []
    title, link = _about_comment(batch, e.subject_kind, e.subject_id, question_id)
    detail = type(e).__qualname__.split(".")[-1]
    return [Notice("answer", [author], e.subject_id, title, link, detail)]


def replied(batch: Batch, e: Comment.Replied, m: Meta) -> list[Notice]:
    """A reply to a question: its author is told (not of their own reply)."""
    parent = batch.doc("comments", (e.parent_id,)) or {}
    if parent.get("kind") != CommentKind.QUESTION.value:
        return []
    return _answer(batch, e, e.parent_id, e.parent_author, e.internal)


def answered(batch: Batch, e: Comment.Answered, m: Meta) -> list[Notice]:
    """A question marked answered by someone else (the DSI, the chair): its author."""
    question = batch.doc("comments", (str(e.originator_id),)) or {}
    internal = bool(question.get("internal", True))  # unknown: the stricter rule
    return _answer(batch, e, str(e.originator_id), e.author, internal)


# The rules, keyed by event class.
RULES: dict[type, Rule] = {
    Proposal.Submitted: to_qualify,
    Proposal.Amended: to_qualify,
    Proposal.Qualified: to_score,
    Session.Opened: to_vote,
    Proposal.Decided: decided,
    Session.GridDecisionRecorded: grid_decided,
    Envelope.Allocated: overridden,
    ProjectBudget.Committed: overridden,
    ProjectBudget.Paid: overridden,
    Comment.Replied: replied,
    Comment.Answered: answered,
}

# Changes of a proposal its followers are told of (not the bookkeeping ones).
QUIET = (Proposal.Drafted, Proposal.EvaluatorAdded, Proposal.ExcludedBy)


def apply_rule(batch: Batch, e: Any, m: Meta) -> None:
    """One row per recipient (the actor excepted; the first notice for a person wins)."""
    told: set[str] = set()
    for notice in RULES[type(e)](batch, e, m):
        for recipient in notice.recipients:
            if recipient == m.context.actor or recipient in told:
                continue
            told.add(recipient)
            batch.append(
                "notifications",
                NOTIFICATIONS.row(
                    recipient=recipient,
                    position=m.position,
                    kind=notice.kind,
                    subject=notice.subject,
                    title=notice.title,
                    link=notice.link,
                    detail=notice.detail,
                    actor=m.context.actor,
                    at=m.at,
                ),
            )


on(*RULES)(apply_rule)


def _proposal_events() -> list[type]:
    return [
        cls
        for cls in vars(Proposal).values()
        if isinstance(cls, type)
        and issubclass(cls, Proposal.Event)
        and cls not in QUIET
        and cls not in (Proposal.Event, Proposal.Created)
    ]


def _change(batch: Batch, e: Any, m: Meta, code: str, anchor: str = "") -> None:
    _doc, title, link = _proposal(batch, code)
    batch.append(
        "proposal_changes",
        PROPOSAL_CHANGES.row(
            position=m.position,
            proposal=code,
            title=title,
            link=f"{link}#c-{anchor}" if anchor else link,
            detail=type(e).__qualname__.split(".")[-1],
            actor=m.context.actor,
            at=m.at,
        ),
    )


@on(*_proposal_events())
def changed(batch: Batch, e: Any, m: Meta) -> None:
    """A change of a proposal, for its followers."""
    _change(batch, e, m, m.key)


@on(Comment.Posted, Comment.Replied)
def commented(batch: Batch, e: Any, m: Meta) -> None:
    """A comment or a reply on a proposal, for its followers (never an internal one:
    a follower may not read it)."""
    if e.subject_kind != SubjectKind.PROPOSAL.value or e.internal:
        return
    _change(
        batch, e, m, e.subject_id, getattr(e, "parent_id", None) or str(e.originator_id)
    )
