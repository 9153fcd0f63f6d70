"""Discussion of a proposal or of a grid draft: comments, questions, replies.

One aggregate per comment (``Comment``). A top-level comment is ``Posted`` on a
subject (a proposal by its code, a grid version by its number); a reply is
``Replied`` to a top-level comment (one level only). Every event carries the subject
(kind and id) and the comment's author, and a reply its parent's id and author, so a
rule (a notification, an export) can be written from the event alone.

Who writes: referents (on their own direction's proposals; on any grid draft), the
DSI, evaluators, COPIL members and the chair. A comment flagged internal (by the
DSI, an evaluator or the chair) is read only by the DSI, evaluators, the chair, the
administrator and the auditor; its replies are internal too. A question is marked
answered by its author, the DSI or the chair. Editing keeps every earlier text (each
``Edited`` event holds the new one). The chair hides a comment with a reason
(``Hidden``): its events stay in the ledger, the pages show the reason instead.
A grid's discussion is open while the version is a draft; a proposal's always.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.accounts import has_role, require
from domain.base import LedgerAggregate, current_context, natural_id
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
from domain.values import DomainEnum, Family, Role, code, enum_value, percent, text

MAX_BODY = 5000
MAX_REASON = 1000


class SubjectKind(DomainEnum):
    """What a discussion is about."""

    PROPOSAL = "proposal"
    GRID = "grid"


class CommentKind(DomainEnum):
    """A remark, a question (which can be marked answered), or a criterion proposed
    for a grid draft."""

    COMMENT = "comment"
    QUESTION = "question"
    PROPOSITION = "proposition"


# Who takes part (referents: for their direction's proposals, and on grid drafts).
WRITERS = frozenset({Role.REFERENT, Role.DSI, Role.EVALUATOR, Role.MEMBER, Role.CHAIR})
# Who may flag a comment internal, and who reads internal comments.
INTERNAL_WRITERS = frozenset({Role.DSI, Role.EVALUATOR, Role.CHAIR})
INTERNAL_READERS = INTERNAL_WRITERS | {Role.ADMIN, Role.AUDITOR}
# Who marks any question answered (besides its author).
ANSWERERS = frozenset({Role.DSI, Role.CHAIR})


def reads_internal(roles: tuple[str, ...] | list[str]) -> bool:
    """Whether an actor with ``roles`` (context or grant form) reads internal comments."""
    return any(has_role(tuple(roles), r) for r in INTERNAL_READERS)


@dataclass(frozen=True)
class Subject:
    """The proposal or grid version discussed, as the command found it."""

    kind: SubjectKind
    id: str
    direction: str | None = None  # a proposal's direction (referents' scope)
    closed: bool = False  # no new comment (an adopted grid version)


def parse_proposition(raw: Any) -> dict[str, Any]:
    """A criterion proposed for a grid: its label, and optionally a code, a family
    and a weight (%), as plain data (``weight`` an exact decimal text)."""
    if not isinstance(raw, dict):
        raise InvalidValue("proposition", raw, "objet attendu")
    known = {"criterion_label", "criterion_code", "family", "weight"}
    for key in raw:
        if key not in known:
            raise InvalidValue(
                f"proposition.{key}",
                raw[key],
                "champ inconnu (champs : " + ", ".join(sorted(known)) + ")",
            )
    label = text(raw.get("criterion_label"), "criterion_label", max_len=200)
    crit_code = raw.get("criterion_code") or None
    family = raw.get("family") or None
    weight = raw.get("weight")
    return {
        "criterion_label": label,
        "criterion_code": code(crit_code, "criterion_code") if crit_code else None,
        "family": enum_value(Family, family, "family").value if family else None,
        "weight": format(percent(weight, "weight"), "f")
        if weight not in (None, "")
        else None,
    }


def _body(value: Any) -> str:
    return text(value, "body", max_len=MAX_BODY)


def _may_write(subject: Subject) -> None:
    """Refuse an actor who may not take part in ``subject``'s discussion."""
    ctx = current_context()
    if any(has_role(ctx.roles, r) for r in WRITERS - {Role.REFERENT}):
        return
    if subject.kind is SubjectKind.PROPOSAL and has_role(ctx.roles, Role.REFERENT):
        if has_role(ctx.roles, Role.REFERENT, subject.direction):
            return
        raise NotReferentOfDirection(
            actor=ctx.actor, direction=subject.direction, proposal=subject.id
        )
    require("participer à la discussion", *WRITERS)


def _open(subject: Subject) -> None:
    if subject.closed:
        raise DiscussionClosed(version=subject.id)


class Comment(LedgerAggregate):
    """One comment, question or proposition, or a reply to one."""

    def __init__(self) -> None:
        self.subject_kind = ""
        self.subject_id = ""
        self.author = ""
        self.parent: str | None = None
        self.parent_author: str | None = None
        self.kind = CommentKind.COMMENT.value
        self.internal = False
        self.body = ""
        self.history: list[str] = []  # every earlier text, oldest first
        self.proposition: dict[str, Any] | None = None
        self.answered_by: str | None = None
        self.hidden_reason: str | None = None

    @staticmethod
    def id_for(key: str) -> UUID:
        """The comment written by the command of idempotency key ``key``."""
        return natural_id("comment", key)

    @property
    def hidden(self) -> bool:
        return self.hidden_reason is not None

    class Posted(LedgerAggregate.Created):
        subject_kind: str
        subject_id: str
        author: str
        kind: str
        internal: bool
        body: str
        proposition: dict[str, Any] | None

        def apply(self, agg: Comment) -> None:
            agg.subject_kind, agg.subject_id = self.subject_kind, self.subject_id
            agg.author, agg.kind, agg.internal = self.author, self.kind, self.internal
            agg.body, agg.proposition = self.body, self.proposition

    class Replied(LedgerAggregate.Created):
        subject_kind: str
        subject_id: str
        author: str
        parent_id: str
        parent_author: str
        internal: bool
        body: str

        def apply(self, agg: Comment) -> None:
            agg.subject_kind, agg.subject_id = self.subject_kind, self.subject_id
            agg.author, agg.internal, agg.body = self.author, self.internal, self.body
            agg.parent, agg.parent_author = self.parent_id, self.parent_author

    class Edited(LedgerAggregate.Event):
        subject_kind: str
        subject_id: str
        author: str
        body: str

        def apply(self, agg: Comment) -> None:
            agg.history.append(agg.body)
            agg.body = self.body

    class Answered(LedgerAggregate.Event):
        subject_kind: str
        subject_id: str
        author: str  # the question's author
        answered_by: str

        def apply(self, agg: Comment) -> None:
            agg.answered_by = self.answered_by

    class Hidden(LedgerAggregate.Event):
        subject_kind: str
        subject_id: str
        author: str
        reason: str

        def apply(self, agg: Comment) -> None:
            agg.hidden_reason = self.reason

    # --- commands --------------------------------------------------------------------

    @classmethod
    def post(
        cls,
        subject: Subject,
        *,
        kind: Any,
        body: Any,
        internal: Any = False,
        proposition: Any = None,
    ) -> Comment:
        """A new top-level comment, question or proposition on ``subject``."""
        _may_write(subject)
        kind = enum_value(CommentKind, kind, "kind")
        internal = _internal(internal)
        if kind is CommentKind.PROPOSITION:
            if subject.kind is not SubjectKind.GRID:
                raise InvalidValue(
                    "kind",
                    kind.value,
                    "une proposition de critère se fait sur une grille",
                )
            prop = parse_proposition(proposition)
        elif proposition not in (None, {}):
            raise InvalidValue(
                "proposition", proposition, "seulement pour une proposition de critère"
            )
        else:
            prop = None
        body = _body(body)
        _open(subject)
        ctx = current_context()
        return cls._create(
            cls.Posted,
            id=cls.id_for(ctx.key),
            subject_kind=subject.kind.value,
            subject_id=subject.id,
            author=ctx.actor,
            kind=kind.value,
            internal=internal,
            body=body,
            proposition=prop,
        )

    @classmethod
    def reply(cls, subject: Subject, parent: Comment, *, body: Any) -> Comment:
        """A reply to a top-level comment of ``subject`` (internal if it is)."""
        _may_write(subject)
        parent.check_visible()
        if parent.parent is not None:
            raise InvalidValue(
                "parent", str(parent.id), "on répond au commentaire, pas à une réponse"
            )
        if parent.hidden:
            raise CommentHidden(comment=str(parent.id))
        body = _body(body)
        _open(subject)
        ctx = current_context()
        return cls._create(
            cls.Replied,
            id=cls.id_for(ctx.key),
            subject_kind=subject.kind.value,
            subject_id=subject.id,
            author=ctx.actor,
            parent_id=str(parent.id),
            parent_author=parent.author,
            internal=parent.internal,
            body=body,
        )

    def edit(self, subject: Subject, body: Any) -> None:
        """A new text by the author while ``subject``'s discussion is open (not on
        an adopted grid version); the earlier one stays in the ledger."""
        self.check_visible()
        ctx = current_context()
        if ctx.actor != self.author:
            raise NotAllowed(
                actor=ctx.actor,
                action="modifier le commentaire d'une autre personne",
                roles=", ".join(ctx.roles) or "aucun",
            )
        if self.hidden:
            raise CommentHidden(comment=str(self.id))
        body = _body(body)
        _open(subject)
        if body != self.body:
            self.trigger_event(self.Edited, body=body, **self._about())

    def mark_answered(self) -> None:
        """The question has its answer (its author, the DSI or the chair)."""
        self.check_visible()
        ctx = current_context()
        if ctx.actor != self.author:
            require("marquer une question comme répondue", *ANSWERERS)
        if self.kind != CommentKind.QUESTION.value or self.parent is not None:
            raise NotAQuestion(comment=str(self.id))
        if self.hidden:
            raise CommentHidden(comment=str(self.id))
        if self.answered_by is None:
            self.trigger_event(self.Answered, answered_by=ctx.actor, **self._about())

    def hide(self, reason: Any) -> None:
        """Moderation by the chair: the comment is hidden, with the reason shown."""
        require("masquer un commentaire", Role.CHAIR)
        reason = text(reason, "reason", max_len=MAX_REASON, required=False)
        if not reason:
            raise ReasonRequired("masquer un commentaire")
        if not self.hidden:
            self.trigger_event(self.Hidden, reason=reason, **self._about())

    def check_visible(self) -> None:
        """An internal comment does not exist for those who may not read it."""
        if self.internal and not reads_internal(current_context().roles):
            raise NotFound(kind="Commentaire", id=str(self.id))

    def _about(self) -> dict[str, str]:
        return {
            "subject_kind": self.subject_kind,
            "subject_id": self.subject_id,
            "author": self.author,
        }


def _internal(value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidValue("internal", value, "vrai ou faux attendu")
    if value and not any(
        has_role(current_context().roles, r) for r in INTERNAL_WRITERS
    ):
        ctx = current_context()
        raise NotAllowed(
            actor=ctx.actor,
            action="écrire un commentaire interne",
            roles=", ".join(ctx.roles) or "aucun",
        )
    return value
