"""Commands of the discussion: post, reply, edit, mark answered, hide.

The subject is named as the pages and the API name it — ``("proposal", code)`` or
``("grid", number)`` — and loaded here, so the rules see its direction (referents'
scope) and whether its discussion is open (a grid draft until it is adopted). A
comment named with the wrong subject is unknown (404), as is an internal comment to
whoever may not read it.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.accounts import Account
from domain.discussion import Comment, Subject, SubjectKind
from domain.errors import AccountErased, InvalidValue, NotFound
from domain.grids import proposed_criterion
from domain.personal import subjects_of
from domain.values import enum_value
from ledger.commands.organisation import Lookups, criterion_for
from ledger.core import Caller, CommandResult, LedgerCore, Unit
from ledger.idempotency import command
from ledger.throttle import Counters, Rule, spend


def _subject(unit: Unit, kind: Any, subject_id: Any) -> Subject:
    kind = enum_value(SubjectKind, kind, "subject_kind")
    if kind is SubjectKind.PROPOSAL:
        proposal = Lookups.proposal(unit, str(subject_id))
        return Subject(kind, proposal.code, direction=proposal.direction)
    number = subject_id
    if isinstance(number, str) and number.isascii() and number.isdigit():
        number = int(number)
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise NotFound(kind="Grille", id=str(subject_id))
    grid = Lookups.grid(unit, number)
    return Subject(kind, str(grid.number), closed=grid.adopted)


def _named(unit: Unit, names: Any) -> tuple[UUID, ...]:
    """The accounts a text is flagged as naming (``names``: logins, a list or one
    text separated by commas or spaces), as the data subjects whose keys seal it."""
    if names is None or names == "":
        return ()
    if isinstance(names, str):
        names = names.replace(",", " ").split()
    if not isinstance(names, list | tuple) or not all(
        isinstance(n, str) for n in names
    ):
        raise InvalidValue("names", names, "liste d'identifiants attendue")
    found = []
    for login in dict.fromkeys(n.strip() for n in names if n.strip()):
        account = unit.find(Account, Account.id_for(login))
        if account is None:
            raise InvalidValue("names", login, "aucun compte de cet identifiant")
        if account.erased:
            raise AccountErased(username=login)
        found.append(account.id)
    return tuple(found)


def _comment(unit: Unit, subject: Subject, comment_id: Any) -> Comment:
    """The comment ``comment_id`` of ``subject`` (404 otherwise)."""
    try:
        uid = UUID(str(comment_id))
    except ValueError:
        raise NotFound(kind="Commentaire", id=str(comment_id)[:40]) from None
    found = unit.find(Comment, uid)
    if (
        found is None
        or found.subject_kind != subject.kind.value
        or found.subject_id != subject.id
    ):
        raise NotFound(kind="Commentaire", id=str(uid))
    return found


def _result(comment: Comment) -> dict[str, Any]:
    return {
        "id": str(comment.id),
        "subject_kind": comment.subject_kind,
        "subject_id": comment.subject_id,
        "author": comment.author,
        "parent": comment.parent,
        "kind": comment.kind,
        "internal": comment.internal,
        "answered": comment.answered_by is not None,
        "hidden": comment.hidden,
        "edits": len(comment.history),
        "names_flagged": len(subjects_of(comment.body)),
        "settled": comment.settled,
    }


class DiscussionCommands(LedgerCore):
    """Comments, questions and propositions on proposals and grid drafts."""

    @command()
    def post_comment(
        self,
        caller: Caller,
        subject_kind: str,
        subject_id: str | int,
        *,
        kind: str = "comment",
        body: str,
        internal: bool = False,
        proposition: dict[str, Any] | None = None,
        names: list[str] | str | None = None,
    ) -> CommandResult:
        """Post a comment, a question or (on a grid draft) a criterion proposed;
        ``names``: the logins of the persons the text names (it is then sealed
        under their keys, ``docs/privacy.md``)."""

        def body_(unit: Unit) -> dict[str, Any]:
            subject = _subject(unit, subject_kind, subject_id)
            comment = unit.add(
                Comment.post(
                    subject,
                    kind=kind,
                    body=body,
                    internal=internal,
                    proposition=proposition,
                    named=_named(unit, names),
                )
            )
            return _result(comment)

        return self.execute("post_comment", caller, body_)

    @command()
    def reply_to_comment(
        self,
        caller: Caller,
        subject_kind: str,
        subject_id: str | int,
        comment_id: str,
        *,
        body: str,
        names: list[str] | str | None = None,
    ) -> CommandResult:
        """Reply to a top-level comment (one level of replies)."""

        def body_(unit: Unit) -> dict[str, Any]:
            subject = _subject(unit, subject_kind, subject_id)
            parent = _comment(unit, subject, comment_id)
            reply = Comment.reply(subject, parent, body=body, named=_named(unit, names))
            return _result(unit.add(reply))

        return self.execute("reply_to_comment", caller, body_)

    @command()
    def edit_comment(
        self,
        caller: Caller,
        subject_kind: str,
        subject_id: str | int,
        comment_id: str,
        *,
        body: str,
        names: list[str] | str | None = None,
    ) -> CommandResult:
        """A new text for one's own comment (the earlier text stays); ``names``
        None keeps the persons the current text was flagged for."""

        def body_(unit: Unit) -> dict[str, Any]:
            subject = _subject(unit, subject_kind, subject_id)
            comment = _comment(unit, subject, comment_id)
            comment.edit(subject, body, None if names is None else _named(unit, names))
            return _result(comment)

        return self.execute("edit_comment", caller, body_)

    @command()
    def mark_answered(
        self,
        caller: Caller,
        subject_kind: str,
        subject_id: str | int,
        comment_id: str,
    ) -> CommandResult:
        """Mark a question answered (its author, the DSI or the chair)."""

        def body_(unit: Unit) -> dict[str, Any]:
            comment = _comment(
                unit, _subject(unit, subject_kind, subject_id), comment_id
            )
            comment.mark_answered()
            return _result(comment)

        return self.execute("mark_answered", caller, body_)

    @command()
    def hide_comment(
        self,
        caller: Caller,
        subject_kind: str,
        subject_id: str | int,
        comment_id: str,
    ) -> CommandResult:
        """Hide a comment (the chair); the caller's reason (required) is shown in
        its place."""

        def body_(unit: Unit) -> dict[str, Any]:
            comment = _comment(
                unit, _subject(unit, subject_kind, subject_id), comment_id
            )
            comment.hide(caller.reason)
            return _result(comment)

        return self.execute("hide_comment", caller, body_)

    # --- consolidation of a grid draft (the chair) -------------------------------------

    @command()
    def accept_proposition(
        self,
        caller: Caller,
        number: int | str,
        comment_id: str,
        *,
        criterion: dict[str, Any] | None = None,
    ) -> CommandResult:
        """Take a proposition into grid draft ``number`` (the chair): ``criterion``
        as the chair adjusted it, or else the proposition over the draft's criterion
        of the same code. The draft's change names the proposition."""

        def body_(unit: Unit) -> dict[str, Any]:
            subject = _subject(unit, SubjectKind.GRID, number)
            comment = _comment(unit, subject, comment_id)
            grid = Lookups.grid(unit, int(subject.id))
            comment.check_acceptable(subject)
            raw = criterion
            if raw is None:
                prop = comment.proposition or {}
                existing = grid.criteria.get(prop.get("criterion_code") or "")
                raw = proposed_criterion(prop, existing)
            crit = criterion_for(unit, raw, "criterion")
            comment.accept(subject, crit.code)
            grid.accept_proposition(crit, str(comment.id))
            return {
                **_result(comment),
                "criterion": crit.code,
                "criteria": sorted(grid.criteria),
            }

        return self.execute("accept_proposition", caller, body_)

    @command()
    def decline_proposition(
        self, caller: Caller, number: int | str, comment_id: str
    ) -> CommandResult:
        """Decline a proposition on grid draft ``number`` (the chair); the caller's
        reason (required) is shown on it."""

        def body_(unit: Unit) -> dict[str, Any]:
            subject = _subject(unit, SubjectKind.GRID, number)
            comment = _comment(unit, subject, comment_id)
            comment.decline(subject, caller.reason)
            return _result(comment)

        return self.execute("decline_proposition", caller, body_)


# Thirty comments or replies an hour for one account, then a growing wait (capped at
# ten minutes): every comment is a permanent event.
COMMENTS = Rule("comments", free=30, cap=600, window=3600)


def may_comment(counters: Counters, username: str) -> int:
    """Whole seconds ``username`` must wait before writing another comment (0: go
    on, and this one is counted)."""
    return spend(counters, COMMENTS, username)
