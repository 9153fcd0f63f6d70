"""Discussion of a proposal or of a grid draft: comments, questions, replies.

One aggregate per comment (``Comment``). A top-level comment is ``Posted`` on a
subject (a proposal by its code, a grid version by its number); a reply is
``Replied`` to a top-level comment (one level only). Every event carries the subject
(kind and id) and the comment's author, and a reply its parent's id and author, so a
rule (a notification, an export) can be written from the event alone.

Who writes: referents (on their own direction's proposals; on any grid draft), the
DSI, evaluators, COPIL members, the chair and the consultant (AMO). A comment flagged internal (by the
DSI, an evaluator or the chair) is read only by the DSI, evaluators, the chair, the
consultant, the administrator and the auditor; its replies are internal too. A question is marked
answered by its author, the DSI or the chair. Editing keeps every earlier text (each
``Edited`` event holds the new one). The chair hides a comment with a reason
(``Hidden``): its events stay in the ledger, the pages show the reason instead.
A grid's discussion is open while the version is a draft; a proposal's always.

A text that names persons is flagged by its author with their accounts (``named``,
resolved by the command): it is then sealed under their keys (``domain.personal``)
and reads « personne effacée » once any of them is erased. An edit keeps the flag
unless it states another.
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
    NotAProposition,
    NotAQuestion,
    NotFound,
    NotReferentOfDirection,
    PropositionSettled,
    ReasonRequired,
)
from domain.personal import Personal, named_text, shown, subjects_of
from domain.values import (
    DomainEnum,
    Family,
    Role,
    as_dict,
    as_list,
    code,
    enum_value,
    percent,
    positive_int,
    text,
)

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
WRITERS = frozenset(
    {
        Role.REFERENT,
        Role.DSI,
        Role.EVALUATOR,
        Role.MEMBER,
        Role.CHAIR,
        Role.CONSULTANT,
    }
)
# Who may flag a comment internal, and who reads internal comments (the consultant
# reads them, as the DSI does, without flagging its own).
INTERNAL_WRITERS = frozenset({Role.DSI, Role.EVALUATOR, Role.CHAIR})
INTERNAL_READERS = INTERNAL_WRITERS | {Role.ADMIN, Role.AUDITOR, Role.CONSULTANT}
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
    known = {"criterion_label", "criterion_code", "family", "weight", "scale"}
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
    scale = raw.get("scale")
    levels = None
    if scale not in (None, "", []):
        levels = []
        for i, lv in enumerate(as_list(scale, "proposition.scale")):
            lv = as_dict(lv, f"proposition.scale[{i}]", {"level", "descriptor"})
            levels.append(
                {
                    "level": positive_int(
                        lv.get("level"), f"proposition.scale[{i}].level"
                    ),
                    "descriptor": text(
                        lv.get("descriptor"),
                        f"proposition.scale[{i}].descriptor",
                        max_len=300,
                    ),
                }
            )
        numbers = [lv["level"] for lv in levels]
        if len(numbers) < 2 or numbers != list(
            range(numbers[0], numbers[0] + len(numbers))
        ):
            raise InvalidValue(
                "proposition.scale",
                numbers,
                "au moins deux niveaux entiers consécutifs, croissants",
            )
    out = {
        "criterion_label": label,
        "criterion_code": code(crit_code, "criterion_code") if crit_code else None,
        "family": enum_value(Family, family, "family").value if family else None,
        "weight": format(percent(weight, "weight"), "f")
        if weight not in (None, "")
        else None,
    }
    if levels is not None:  # only when proposed: earlier propositions had no scale
        out["scale"] = levels
    return out


def _body(value: Any, named: tuple[UUID, ...] = ()) -> str | Personal:
    """The text, sealed under the keys of the persons it names (if flagged)."""
    return named_text(text(value, "body", max_len=MAX_BODY), named)


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
        self.body: str | Personal = ""  # sealed if flagged as naming persons
        self.history: list[str | Personal] = []  # every earlier text, oldest first
        self.proposition: dict[str, Any] | None = None
        self.answered_by: str | None = None
        self.hidden_reason: str | None = None
        # the chair's consolidation of a proposition: "accepted" or "declined"
        self.settled: str | None = None
        self.settled_by: str | None = None

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
        body: str | Personal
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
        body: str | Personal

        def apply(self, agg: Comment) -> None:
            agg.subject_kind, agg.subject_id = self.subject_kind, self.subject_id
            agg.author, agg.internal, agg.body = self.author, self.internal, self.body
            agg.parent, agg.parent_author = self.parent_id, self.parent_author

    class Edited(LedgerAggregate.Event):
        subject_kind: str
        subject_id: str
        author: str
        body: str | Personal

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

    class Accepted(LedgerAggregate.Event):
        """The chair took the proposition into the grid draft (as ``criterion_code``,
        the draft's ``GridVersion.PropositionAccepted`` names this comment)."""

        subject_kind: str
        subject_id: str
        author: str
        accepted_by: str
        criterion_code: str

        def apply(self, agg: Comment) -> None:
            agg.settled, agg.settled_by = "accepted", self.accepted_by

    class Declined(LedgerAggregate.Event):
        """The chair declined the proposition, for ``reason``."""

        subject_kind: str
        subject_id: str
        author: str
        declined_by: str
        reason: str

        def apply(self, agg: Comment) -> None:
            agg.settled, agg.settled_by = "declined", self.declined_by

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
        named: tuple[UUID, ...] = (),
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
        body = _body(body, named)
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
    def reply(
        cls,
        subject: Subject,
        parent: Comment,
        *,
        body: Any,
        named: tuple[UUID, ...] = (),
    ) -> Comment:
        """A reply to a top-level comment of ``subject`` (internal if it is)."""
        _may_write(subject)
        parent.check_visible()
        if parent.parent is not None:
            raise InvalidValue(
                "parent", str(parent.id), "on répond au commentaire, pas à une réponse"
            )
        if parent.hidden:
            raise CommentHidden(comment=str(parent.id))
        body = _body(body, named)
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

    def edit(
        self, subject: Subject, body: Any, named: tuple[UUID, ...] | None = None
    ) -> None:
        """A new text by the author while ``subject``'s discussion is open (not on
        an adopted grid version); the earlier one stays in the ledger. ``named``:
        the persons the new text names (None: those the current one was flagged
        for)."""
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
        if named is None:
            if isinstance(self.body, Personal) and self.body.erased:
                raise InvalidValue(
                    "names",
                    "",
                    "une personne que le texte nommait a été effacée :"
                    " indiquez les personnes que le nouveau texte nomme",
                )
            named = tuple(UUID(s) for s in subjects_of(self.body))
        body = _body(body, named)
        _open(subject)
        if (shown(body), subjects_of(body)) != (
            shown(self.body),
            subjects_of(self.body),
        ):
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

    def accept(self, subject: Subject, criterion_code: str) -> None:
        """Consolidation: the chair took this proposition into the draft."""
        self.check_acceptable(subject)
        self.trigger_event(
            self.Accepted,
            accepted_by=current_context().actor,
            criterion_code=criterion_code,
            **self._about(),
        )

    def decline(self, subject: Subject, reason: Any) -> None:
        """Consolidation: the chair declined this proposition, with a reason."""
        require("écarter une proposition de la grille", Role.CHAIR)
        reason = text(reason, "reason", max_len=MAX_REASON, required=False)
        if not reason:
            raise ReasonRequired("écarter une proposition de la grille")
        self._check_settleable(subject)
        self.trigger_event(
            self.Declined,
            declined_by=current_context().actor,
            reason=reason,
            **self._about(),
        )

    def check_acceptable(self, subject: Subject) -> None:
        """The chair may take this proposition into ``subject``'s draft now."""
        require("retenir une proposition dans la grille", Role.CHAIR)
        self._check_settleable(subject)

    def _check_settleable(self, subject: Subject) -> None:
        self.check_visible()
        if self.kind != CommentKind.PROPOSITION.value or self.parent is not None:
            raise NotAProposition(comment=str(self.id))
        if self.hidden:
            raise CommentHidden(comment=str(self.id))
        if self.settled is not None:
            raise PropositionSettled(
                comment=str(self.id),
                settled="retenue" if self.settled == "accepted" else "écartée",
                by=self.settled_by,
            )
        _open(subject)

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
