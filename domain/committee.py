"""The composition of the steering committee (COPIL): who sits on it, as what, and
whether they vote.

Members are accounts (they sign in to see agendas and vote). A member is an elected
official (élu), the DGS, a DGA, the DSI or an invited expert; an invited expert never
votes, and a voting member holds the committee member's or the chair's role. Once a
composition is recorded, sessions are convened from it (``ledger.commands.sessions``);
members who leave stay in its history.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.accounts import has_role, require
from domain.base import LedgerAggregate, natural_id
from domain.errors import AccountDisabled, AlreadyExists, InvalidValue, NotFound
from domain.records import reason_for
from domain.values import (
    COMMITTEE_ROLES,
    NEVER_VOTING_ROLES,
    VOTING_ROLES,
    DomainEnum,
    Role,
    enum_value,
)

KIND = "Membre du COPIL"


class MemberKind(DomainEnum):
    """What a member sits as."""

    ELECTED = "elu"
    DGS = "dgs"
    DGA = "dga"
    DSI = "dsi"
    EXPERT = "expert"


class Committee(LedgerAggregate):
    """The one steering committee of the municipality: its sitting members."""

    def __init__(self) -> None:
        # username → {"kind": MemberKind value, "voting": bool}
        self.members: dict[str, dict[str, Any]] = {}

    @staticmethod
    def id_for() -> UUID:
        return natural_id("committee")

    class Created(LedgerAggregate.Created):
        def apply(self, agg: Committee) -> None:
            agg.members = {}

    class MemberAppointed(LedgerAggregate.Event):
        username: str
        kind: MemberKind
        voting: bool

        def apply(self, agg: Committee) -> None:
            agg.members[self.username] = {
                "kind": self.kind.value,
                "voting": self.voting,
            }

    class MemberChanged(LedgerAggregate.Event):
        username: str
        kind: MemberKind
        voting: bool

        def apply(self, agg: Committee) -> None:
            agg.members[self.username] = {
                "kind": self.kind.value,
                "voting": self.voting,
            }

    class MemberLeft(LedgerAggregate.Event):
        username: str

        def apply(self, agg: Committee) -> None:
            agg.members.pop(self.username, None)

    @classmethod
    def create(cls) -> Committee:
        """The committee, empty (created with its first member)."""
        require("composer le COPIL", Role.ADMIN, Role.CHAIR)
        return cls._create(cls.Created, id=cls.id_for())

    @property
    def voting(self) -> set[str]:
        return {u for u, m in self.members.items() if m["voting"]}

    def appoint(
        self, username: str, grants: list[str], active: bool, kind: Any, voting: Any
    ) -> None:
        """Seat an account (``grants`` and ``active`` as it stands)."""
        require("composer le COPIL", Role.ADMIN, Role.CHAIR)
        kind, voting = self._seat(username, grants, active, kind, voting)
        if username in self.members:
            raise AlreadyExists(field="username", kind=KIND, id=username)
        self.trigger_event(
            self.MemberAppointed, username=username, kind=kind, voting=voting
        )

    def change(
        self, username: str, grants: list[str], active: bool, kind: Any, voting: Any
    ) -> None:
        """What a member sits as, or whether they vote (reason required)."""
        require("composer le COPIL", Role.ADMIN, Role.CHAIR)
        self._sitting(username)
        kind, voting = self._seat(username, grants, active, kind, voting)
        reason_for("modifier un membre du COPIL")
        if self.members[username] != {"kind": kind.value, "voting": voting}:
            self.trigger_event(
                self.MemberChanged, username=username, kind=kind, voting=voting
            )

    def remove(self, username: str) -> None:
        """A member leaves the committee (reason required); their history stays."""
        require("composer le COPIL", Role.ADMIN, Role.CHAIR)
        self._sitting(username)
        reason_for("retirer un membre du COPIL")
        self.trigger_event(self.MemberLeft, username=username)

    def _sitting(self, username: str) -> None:
        if username not in self.members:
            raise NotFound(field="username", kind=KIND, id=username)

    @staticmethod
    def _seat(
        username: str, grants: list[str], active: bool, kind: Any, voting: Any
    ) -> tuple[MemberKind, bool]:
        kind = enum_value(MemberKind, kind, "kind")
        if not isinstance(voting, bool):
            raise InvalidValue("voting", voting, "vrai ou faux attendu")
        if not active:
            raise AccountDisabled(field="username", username=username)
        if voting and kind is MemberKind.EXPERT:
            raise InvalidValue("voting", voting, "un expert invité ne vote pas")
        if voting and not any(has_role(grants, r) for r in VOTING_ROLES):
            raise InvalidValue(
                "voting",
                username,
                "un membre votant a le rôle membre du COPIL ou président",
            )
        return kind, voting


SEATS = ("voting", "non_voting")


def check_seat(
    committee: Committee | None, seat: str, username: str, grants: list[str]
) -> None:
    """Whether an account (holding ``grants``) may take a ``voting`` or
    ``non_voting`` seat of a session: once the COPIL's composition is recorded (a
    ``committee`` with members), a voting seat for its voting members, another for
    any of its members; before, for any account holding a committee role (the
    member's or chair's role to vote; also the DSI's or finance's without a vote). A
    voting seat always needs the member's or chair's role."""
    if committee is not None and committee.members:
        seated = committee.voting if seat == "voting" else committee.members
        if username not in seated:
            raise InvalidValue(
                seat,
                username,
                "ne siège pas au COPIL avec voix délibérative"
                if seat == "voting"
                else "ne siège pas au COPIL",
            )
        if seat == "non_voting":
            return
    if seat == "voting" and any(has_role(grants, r) for r in NEVER_VOTING_ROLES):
        raise InvalidValue(
            seat, username, "un consultant (AMO) ne siège jamais avec voix délibérative"
        )
    roles = VOTING_ROLES if seat == "voting" else COMMITTEE_ROLES
    if not any(has_role(grants, r) for r in roles):
        raise InvalidValue(seat, username, "ce compte n'est pas membre du COPIL")
