"""COPIL sessions: convening, agenda, attendance, votes and the chair's decisions.

The grid version in force for a session is fixed when it is convened (the highest
adopted version at that moment): the agenda shows the proposals' scores on it, and each
decision records exactly that evidence — the grid version, the consolidated scores of
the proposal's current revision by every evaluator, the value and risk
(``domain.scoring``: none unless every criterion of the family is scored) and the votes.
An approval that breaks a dependency, a team's capacity or an envelope
(``domain.arbitration``) is refused unless the chair records a motivated override; the
decision then lists what it overrode.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.accounts import has_role, require
from domain.arbitration import Conflict, ordered
from domain.base import LedgerAggregate, current_context, natural_id
from domain.budget import CPLine, check_override, check_schedule
from domain.convocation import Convocation
from domain.errors import (
    AlreadyDecided,
    AlreadyOnAgenda,
    ChairAbsent,
    DecisionAmountsInvalid,
    DepartsFromMajority,
    DepartsFromScenario,
    GridAlreadyDecided,
    GridAlreadyOnAgenda,
    GridFrozen,
    GridNotOnAgenda,
    InvalidValue,
    MemberAbsent,
    NoConvocationRecipient,
    NotAllowed,
    NotAMember,
    NotAVotingMember,
    NotOnAgenda,
    NotTheChair,
    OpenedBeforeSessionDate,
    QuorumNotMet,
    SessionAlreadyOpen,
    SessionClosed,
    SessionNotOpen,
    UndecidedItems,
)
from domain.grids import GridVersion
from domain.proposals import APPROVED, Status, justification
from domain.scores import ScoreSheet
from domain.scoring import Evidence, consolidate
from domain.values import (
    NEVER_VOTING_ROLES,
    VOTING_ROLES,
    DomainEnum,
    Role,
    ValueObject,
    as_dict,
    as_list,
    code,
    decimal_value,
    enum_value,
    iso_date,
    money,
    text,
)


class SessionStatus(DomainEnum):
    """Convened → open → closed."""

    CONVENED = "convened"
    OPEN = "open"
    CLOSED = "closed"


class Choice(DomainEnum):
    """A vote: pour / contre / abstention."""

    FOR = "for"
    AGAINST = "against"
    ABSTAIN = "abstain"


QUORUM_KEYS = ("kind", "value")


def count_votes(choices: Iterable[Choice | str]) -> tuple[int, int, int]:
    """How many votes for, against and abstaining among ``choices`` (the current
    vote of each member: a changed vote counts once, as it stands)."""
    counted = [enum_value(Choice, c, "choice") for c in choices]
    return (
        counted.count(Choice.FOR),
        counted.count(Choice.AGAINST),
        counted.count(Choice.ABSTAIN),
    )


def majority(votes_for: int, votes_against: int) -> Choice | None:
    """Which way the votes lean: ``FOR`` or ``AGAINST`` (abstentions do not count),
    None on a tie."""
    if votes_for > votes_against:
        return Choice.FOR
    if votes_against > votes_for:
        return Choice.AGAINST
    return None


def departs_from_majority(outcome: Any, votes_for: int, votes_against: int) -> bool:
    """Whether a decision goes against the vote: not approved though the majority
    voted for, or approved (with or without conditions) though it voted against. A
    tie, or no vote, leaves the chair free. Such a decision needs a justification."""
    lean = majority(votes_for, votes_against)
    if lean is None:
        return False
    favourable = enum_value(Status, outcome, "outcome") in APPROVED
    return favourable != (lean is Choice.FOR)


@dataclass(frozen=True)
class QuorumRule(ValueObject):
    """How many voting members must be present: ``majority`` (more than half),
    ``count`` (at least ``value``) or ``fraction`` (at least ``value`` × members)."""

    kind: str
    value: Decimal = Decimal(0)

    def required(self, voting_members: int) -> int:
        if self.kind == "majority":
            return voting_members // 2 + 1
        if self.kind == "count":
            return int(self.value)
        return math.ceil(self.value * voting_members)

    @classmethod
    def parse(cls, raw: Any, voting_members: int) -> QuorumRule:
        if isinstance(raw, dict):
            as_dict(raw, "quorum", QUORUM_KEYS)  # refuses any other key, naming it
        if isinstance(raw, QuorumRule):
            rule = raw
        elif raw in (None, "majority"):
            rule = cls("majority")
        elif isinstance(raw, dict) and raw.get("kind") in (
            "majority",
            "count",
            "fraction",
        ):
            value = raw.get("value", 0)
            if not isinstance(value, Decimal):
                value = decimal_value(value, "quorum")  # never 1e-999999999, 0.5, ١
            if value != value.quantize(Decimal("0.0001")):
                raise InvalidValue("quorum", str(value), "au plus 4 décimales")
            rule = cls(raw["kind"], value)
        else:
            raise InvalidValue(
                "quorum",
                raw,
                "majority, {kind: count, value: N} ou {kind: fraction, value: 0.5}",
            )
        if rule.kind == "count" and not (
            1 <= rule.value <= voting_members and rule.value == int(rule.value)
        ):
            raise InvalidValue(
                "quorum", str(rule.value), f"entier entre 1 et {voting_members}"
            )
        if rule.kind == "fraction" and not (0 < rule.value <= 1):
            raise InvalidValue("quorum", str(rule.value), "fraction entre 0 et 1")
        return rule


@dataclass(frozen=True)
class Decision(ValueObject):
    """The chair's decision on one agenda item, with what it rested on.

    ``evidence`` is what the COPIL saw on the session's grid version (``None`` for a
    decision recorded before the evidence was: the views then show what they can
    recompute, flagged as such); ``conflicts`` the rules an approval broke under the
    chair's ``override_reason``.
    """

    proposal: str
    outcome: Status
    rationale: str
    ap_amount: Decimal | None
    cp: tuple[CPLine, ...]
    conditions: str
    justification: str
    scenario: str | None
    votes_for: int
    votes_against: int
    abstentions: int
    present_voting: int
    quorum_required: int
    grid_version: int | None
    revision: int
    override_reason: str | None = None
    evidence: Evidence | None = None
    conflicts: tuple[Conflict, ...] = ()

    @property
    def departs_from_majority(self) -> bool:
        """The decision goes against the vote (:func:`departs_from_majority`)."""
        return departs_from_majority(self.outcome, self.votes_for, self.votes_against)


@dataclass(frozen=True)
class GridDecision(ValueObject):
    """The COPIL's decision on a grid version put to its vote: adopted or not, why,
    and the votes and quorum it rested on (the grid is adopted by it)."""

    number: int
    adopted: bool
    rationale: str
    justification: str
    on: date
    votes_for: int
    votes_against: int
    abstentions: int
    present_voting: int
    quorum_required: int

    @property
    def departs_from_majority(self) -> bool:
        outcome = Status.APPROVED if self.adopted else Status.REJECTED
        return departs_from_majority(outcome, self.votes_for, self.votes_against)


class Session(LedgerAggregate):
    """A session of the steering committee (séance du COPIL)."""

    def __init__(self) -> None:
        self.code = ""
        self.title = ""
        self.on = date(2000, 1, 1)
        self.chair = ""
        self.grid_version: int | None = None
        self.voting: list[str] = []
        self.non_voting: list[str] = []
        self.quorum = QuorumRule("majority")
        self.status = SessionStatus.CONVENED
        self.early_reason: str | None = None
        self.agenda: list[str] = []
        self.present: list[str] = []
        self.votes: dict[str, dict[str, Choice]] = {}
        self.superseded_votes = 0
        self.decisions: dict[str, Decision] = {}
        self.convocations = 0  # how many times the convocation was sent
        # grid versions whose adoption is put to the vote (issue 20)
        self.grid_agenda: list[int] = []
        self.grid_votes: dict[int, dict[str, Choice]] = {}
        self.grid_decisions: dict[int, GridDecision] = {}

    @staticmethod
    def id_for(session_code: str) -> UUID:
        return natural_id("session", session_code)

    @property
    def held(self) -> bool:
        """The session has sat: opened at least once — open now, or closed (a
        session closes only once open, and never opens again). A session only
        convened has decided nothing a deliverable's review may cite."""
        return self.status is not SessionStatus.CONVENED

    @property
    def members(self) -> list[str]:
        return [*self.voting, *self.non_voting]

    @property
    def present_voting(self) -> int:
        return sum(1 for m in self.present if m in self.voting)

    @property
    def quorum_required(self) -> int:
        return self.quorum.required(len(self.voting))

    @property
    def quorum_met(self) -> bool:
        return self.present_voting >= self.quorum_required

    def tally(self, proposal: str) -> tuple[int, int, int]:
        return count_votes(self.votes.get(proposal, {}).values())

    # --- events ----------------------------------------------------------------------

    class Convened(LedgerAggregate.Created):
        code: str
        title: str
        on: date
        chair: str
        voting: list[str]
        non_voting: list[str]
        quorum: QuorumRule
        grid_version: int | None  # v2: the grid version in force, fixed here

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            # Convened before sessions fixed their grid: the ledger and the views find
            # the version in force when it was convened from when grids were adopted.
            state["grid_version"] = None

        def apply(self, agg: Session) -> None:
            agg.code, agg.title, agg.on, agg.chair = (
                self.code,
                self.title,
                self.on,
                self.chair,
            )
            agg.grid_version = self.grid_version
            agg.voting, agg.non_voting, agg.quorum = (
                list(self.voting),
                list(self.non_voting),
                self.quorum,
            )

    class ItemAdded(LedgerAggregate.Event):
        proposal: str

        def apply(self, agg: Session) -> None:
            agg.agenda.append(self.proposal)

    class ItemRemoved(LedgerAggregate.Event):
        proposal: str

        def apply(self, agg: Session) -> None:
            agg.agenda.remove(self.proposal)

    class Opened(LedgerAggregate.Event):
        present: list[str]
        # v2: why the session was opened before its day (None: opened on or after it)
        early_reason: str | None

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            # Opened before sessions refused an early opening without a reason.
            state["early_reason"] = None

        def apply(self, agg: Session) -> None:
            agg.status = SessionStatus.OPEN
            agg.present = sorted(self.present)
            agg.early_reason = self.early_reason

    class AttendanceChanged(LedgerAggregate.Event):
        member: str
        present: bool

        def apply(self, agg: Session) -> None:
            if self.present:
                agg.present = sorted({*agg.present, self.member})
            else:
                agg.present = [m for m in agg.present if m != self.member]

    class VoteCast(LedgerAggregate.Event):
        proposal: str
        member: str
        choice: Choice

        def apply(self, agg: Session) -> None:
            item = agg.votes.setdefault(self.proposal, {})
            agg.superseded_votes += self.member in item
            item[self.member] = self.choice

    class DecisionRecorded(LedgerAggregate.Event):
        decision: Decision

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            # Recorded before decisions kept their evidence and overridden conflicts:
            # none is claimed (the v1 grid version was the newest adopted one, not
            # necessarily the session's).
            state["decision"] = replace(state["decision"], evidence=None, conflicts=())

        def apply(self, agg: Session) -> None:
            agg.decisions[self.decision.proposal] = self.decision

    class GridItemAdded(LedgerAggregate.Event):
        """The adoption of grid version ``number`` is put on the agenda."""

        number: int

        def apply(self, agg: Session) -> None:
            agg.grid_agenda.append(self.number)

    class GridVoteCast(LedgerAggregate.Event):
        """A present voting member's vote on adopting grid version ``number``."""

        number: int
        member: str
        choice: Choice

        def apply(self, agg: Session) -> None:
            item = agg.grid_votes.setdefault(self.number, {})
            agg.superseded_votes += self.member in item
            item[self.member] = self.choice

    class GridDecisionRecorded(LedgerAggregate.Event):
        decision: GridDecision

        def apply(self, agg: Session) -> None:
            agg.grid_decisions[self.decision.number] = self.decision

    class Closed(LedgerAggregate.Event):
        def apply(self, agg: Session) -> None:
            agg.status = SessionStatus.CLOSED

    class ConvocationSent(LedgerAggregate.Event):
        """The convocation was e-mailed to ``recipients`` members: the session's
        start and end (local date-times in ``timezone``), its place, and the SHA-256
        of the agenda it carried (``domain.convocation``); ``sequence`` counts the
        sends, 0 for the first (the invitation's SEQUENCE)."""

        starts_at: str
        ends_at: str
        timezone: str
        place: str
        recipients: int
        agenda_sha256: str
        sequence: int

        def apply(self, agg: Session) -> None:
            agg.convocations = self.sequence + 1

    # --- commands --------------------------------------------------------------------

    @classmethod
    def convene(
        cls,
        session_code: str,
        title: str,
        on: Any,
        chair: str,
        voting: list[str],
        non_voting: list[str],
        quorum: Any = None,
        grid: GridVersion | None = None,
    ) -> Session:
        """Convene a session; ``grid`` is the grid version in force (the highest
        adopted one), which the session keeps whatever is adopted later."""
        require("convoquer une séance", Role.CHAIR)
        if grid is not None and not grid.adopted:
            raise InvalidValue("grid_version", grid.number, "grille non adoptée")
        session_code = code(session_code, "code")
        voting = sorted(set(voting or []))
        non_voting = sorted(set(non_voting or []))
        if not voting:
            raise InvalidValue("voting", voting, "au moins un membre votant")
        both = set(voting) & set(non_voting)
        if both:
            raise InvalidValue(
                "non_voting",
                sorted(both),
                "un membre est votant ou non votant, pas les deux",
            )
        return cls._create(
            cls.Convened,
            id=cls.id_for(session_code),
            code=session_code,
            title=text(title, "title"),
            on=iso_date(on, "on"),
            chair=chair,
            voting=voting,
            non_voting=non_voting,
            quorum=QuorumRule.parse(quorum, len(voting)),
            grid_version=grid.number if grid is not None else None,
        )

    def add_item(self, proposal: str) -> None:
        self._require_chair("inscrire une fiche à l'ordre du jour")
        self._check_not_closed()
        if proposal in self.agenda:
            raise AlreadyOnAgenda(proposal=proposal, session=self.code)
        self.trigger_event(self.ItemAdded, proposal=proposal)

    def remove_item(self, proposal: str) -> None:
        self._require_chair("retirer une fiche de l'ordre du jour")
        self._check_not_closed()
        if self.status is not SessionStatus.CONVENED:
            raise SessionAlreadyOpen(
                session=self.code, what="retirer un point de l'ordre du jour"
            )
        if proposal not in self.agenda:
            raise NotOnAgenda(proposal=proposal, session=self.code)
        self.trigger_event(self.ItemRemoved, proposal=proposal)

    def open(self, present: list[str], today: date, early_reason: Any = None) -> None:
        """Open the session with ``present``. ``today`` is the day of the opening in
        the municipality's time zone: before the session's day, the opening needs a
        motivated ``early_reason``, recorded in the event (ignored on or after it)."""
        self._require_chair("ouvrir la séance")
        self._check_not_closed()
        if self.status is SessionStatus.OPEN:
            raise SessionAlreadyOpen(session=self.code, what="l'ouvrir à nouveau")
        present = sorted(set(as_list(present, "present")))
        for m in present:
            self._check_member(m)
        if self.chair not in present:  # so never with nobody present either
            raise ChairAbsent(
                field="present",
                session=self.code,
                chair=self.chair,
                present=", ".join(present) or "—",
            )
        reason = None
        if today < self.on:
            reason = text(early_reason, "early_reason", max_len=4000, required=False)
            if not reason:
                raise OpenedBeforeSessionDate(
                    field="early_reason",
                    session=self.code,
                    on=self.on.strftime("%d/%m/%Y"),
                    today=today.strftime("%d/%m/%Y"),
                )
        self.trigger_event(self.Opened, present=present, early_reason=reason)

    def set_attendance(self, member: str, present: bool) -> None:
        self._require_chair("modifier les présences")
        self._check_open()
        self._check_member(member)
        if (member in self.present) != present:
            self.trigger_event(self.AttendanceChanged, member=member, present=present)

    def vote(self, proposal: str, choice: Any) -> None:
        ctx = current_context()
        member = ctx.actor
        self._check_voter()
        if proposal not in self.agenda:
            raise NotOnAgenda(proposal=proposal, session=self.code)
        if proposal in self.decisions:
            raise AlreadyDecided(proposal=proposal, session=self.code)
        choice = enum_value(Choice, choice, "choice")
        if self.votes.get(proposal, {}).get(member) is not choice:
            self.trigger_event(
                self.VoteCast, proposal=proposal, member=member, choice=choice
            )

    def add_grid_item(self, grid: GridVersion) -> None:
        """Put the adoption of a grid draft to the COPIL's vote."""
        self._require_chair("inscrire l'adoption d'une grille à l'ordre du jour")
        self._check_not_closed()
        if grid.adopted:
            raise GridFrozen(version=grid.number)
        if grid.number in self.grid_agenda:
            raise GridAlreadyOnAgenda(version=grid.number, session=self.code)
        self.trigger_event(self.GridItemAdded, number=grid.number)

    def vote_on_grid(self, number: int, choice: Any) -> None:
        """A present voting member votes for (pour) adopting the grid or not."""
        member = current_context().actor
        self._check_voter()
        self._check_grid_item(number)
        choice = enum_value(Choice, choice, "choice")
        if self.grid_votes.get(number, {}).get(member) is not choice:
            self.trigger_event(
                self.GridVoteCast, number=number, member=member, choice=choice
            )

    def decide_grid(
        self,
        grid: GridVersion,
        adopted: Any,
        rationale: Any,
        on: date,
        justification_text: Any = "",
    ) -> GridDecision:
        """Record the COPIL's decision on adopting ``grid`` (the chair, quorum met);
        against the vote's majority it needs a justification. The ledger adopts the
        grid by this decision in the same command."""
        self._require_chair("arbitrer")
        self._check_open()
        self._check_grid_item(grid.number)
        if not isinstance(adopted, bool):
            raise InvalidValue("adopted", adopted, "vrai ou faux attendu")
        self._check_quorum()
        why = justification(rationale, "motivation de la décision", field="rationale")
        votes_for, votes_against, abstentions = count_votes(
            self.grid_votes.get(grid.number, {}).values()
        )
        outcome = Status.APPROVED if adopted else Status.REJECTED
        just = text(justification_text, "justification", max_len=4000, required=False)
        if departs_from_majority(outcome, votes_for, votes_against) and not just:
            raise DepartsFromMajority(
                field="justification",
                outcome=outcome.value,
                proposal=f"grille v{grid.number}",
                votes_for=votes_for,
                votes_against=votes_against,
            )
        if adopted:
            grid.check_adoptable()
        decision = GridDecision(
            number=grid.number,
            adopted=adopted,
            rationale=why,
            justification=just,
            on=on,
            votes_for=votes_for,
            votes_against=votes_against,
            abstentions=abstentions,
            present_voting=self.present_voting,
            quorum_required=self.quorum_required,
        )
        self.trigger_event(self.GridDecisionRecorded, decision=decision)
        return decision

    def decide(
        self,
        proposal: str,
        revision: int,
        outcome: Any,
        rationale: str,
        *,
        ap_amount: Any = None,
        cp: tuple[CPLine, ...] = (),
        conditions: str = "",
        justification_text: str = "",
        scenario: str | None = None,
        scenario_recommends: bool | None = None,
        grid: GridVersion | None = None,
        sheets: Sequence[ScoreSheet] = (),
        conflicts: Sequence[Conflict] = (),
        override_reason: str | None = None,
    ) -> Decision:
        """Record the decision on ``proposal``; returns it (the ledger applies its
        effects). ``grid`` is the session's grid version, ``sheets`` every score sheet
        of the proposal: the decision records their evidence. ``conflicts`` are the
        rules an approval would break (``domain.arbitration``): refused unless the
        chair gives a motivated ``override_reason``."""
        self._require_chair("arbitrer")
        self._check_open()
        if proposal not in self.agenda:
            raise NotOnAgenda(proposal=proposal, session=self.code)
        if proposal in self.decisions:
            raise AlreadyDecided(proposal=proposal, session=self.code)
        self._check_quorum()
        outcome = enum_value(Status, outcome, "outcome")
        if outcome not in {*APPROVED, Status.DEFERRED, Status.REJECTED}:
            raise InvalidValue(
                "outcome",
                outcome.value,
                "approved, approved_with_conditions, deferred ou rejected",
            )
        why = justification(rationale, "motivation de la décision", field="rationale")
        conditions = text(conditions, "conditions", max_len=4000, required=False)
        ap = None
        if outcome in APPROVED:
            ap = money(ap_amount, "ap_amount")
            check_schedule(proposal, ap, cp)
            if outcome is Status.APPROVED_WITH_CONDITIONS and not conditions:
                justification(
                    conditions, "conditions de l'approbation", field="conditions"
                )
        elif ap_amount not in (None, "", 0) or cp:
            raise DecisionAmountsInvalid(
                field="ap_amount",
                proposal=proposal,
                reason=f"une décision « {outcome.value} » n'accorde ni AP ni CP",
            )
        votes_for, votes_against, abstentions = self.tally(proposal)
        favourable = outcome in APPROVED
        just = text(justification_text, "justification", max_len=4000, required=False)
        if departs_from_majority(outcome, votes_for, votes_against) and not just:
            raise DepartsFromMajority(
                field="justification",
                outcome=outcome.value,
                proposal=proposal,
                votes_for=votes_for,
                votes_against=votes_against,
            )
        if (
            scenario is not None
            and scenario_recommends is not None
            and scenario_recommends != favourable
            and not just
        ):
            raise DepartsFromScenario(
                field="justification",
                outcome=outcome.value,
                proposal=proposal,
                scenario=scenario,
                recommendation="retenue" if scenario_recommends else "non retenue",
            )
        evidence = self.evidence(proposal, revision, grid, sheets)
        reason = check_override(
            override_reason, Role.CHAIR, "une approbation malgré une règle enfreinte"
        )
        broken = ordered(conflicts) if outcome in APPROVED else ()
        if broken and reason is None:
            raise broken[0].error(proposal)
        decision = Decision(
            proposal=proposal,
            outcome=outcome,
            rationale=why,
            ap_amount=ap,
            cp=tuple(cp),
            conditions=conditions,
            justification=just,
            scenario=scenario,
            votes_for=votes_for,
            votes_against=votes_against,
            abstentions=abstentions,
            present_voting=self.present_voting,
            quorum_required=self.quorum_required,
            grid_version=evidence.grid_version,
            revision=revision,
            override_reason=reason if broken else None,
            evidence=evidence,
            conflicts=broken,
        )
        self.trigger_event(self.DecisionRecorded, decision=decision)
        return decision

    def evidence(
        self,
        proposal: str,
        revision: int,
        grid: GridVersion | None,
        sheets: Sequence[ScoreSheet],
    ) -> Evidence:
        """The scores of ``revision`` on the session's grid version, consolidated over
        every evaluator's sheet (``grid``: the session's version, or for a session
        convened before sessions kept it, the version in force when it was)."""
        if grid is not None and not grid.adopted:
            raise InvalidValue("grid_version", grid.number, "grille non adoptée")
        if self.grid_version is not None:
            if grid is None or grid.number != self.grid_version:
                raise InvalidValue(
                    "grid_version",
                    grid.number if grid else None,
                    f"la séance {self.code} se tient sur la grille v{self.grid_version}",
                )
        elif grid is not None and (
            grid.adopted_at is None or grid.adopted_at > self.created_on
        ):
            raise InvalidValue(
                "grid_version",
                grid.number,
                f"grille adoptée après la convocation de la séance {self.code}",
            )
        levels: dict[str, list[int]] = {}
        evaluators, seen = set(), set()
        for sheet in sheets:
            if sheet.proposal != proposal or sheet.evaluator in seen:
                raise InvalidValue(
                    "scores", sheet.evaluator, f"fiche de notes étrangère à {proposal}"
                )
            seen.add(sheet.evaluator)
            given = sheet.levels(revision, grid.number) if grid is not None else {}
            if given:
                evaluators.add(sheet.evaluator)
            for criterion, level in given.items():
                levels.setdefault(criterion, []).append(level)
        return consolidate(
            grid.number if grid is not None else None,
            revision,
            grid.criteria.values() if grid is not None else (),
            levels,
            len(evaluators),
        )

    def close(self) -> None:
        self._require_chair("clore la séance")
        self._check_open()
        undecided = [p for p in self.agenda if p not in self.decisions] + [
            f"grille v{n}" for n in self.grid_agenda if n not in self.grid_decisions
        ]
        if undecided:
            raise UndecidedItems(session=self.code, items=", ".join(undecided))
        self.trigger_event(self.Closed)

    def send_convocation(self, convocation: Convocation, recipients: int) -> int:
        """Record that the convocation went to ``recipients`` members (by the
        session's chair, or the DSI); only before the session opens. Returns the
        sequence of this send."""
        ctx = current_context()
        if not has_role(ctx.roles, Role.DSI):
            self._require_chair("envoyer la convocation")
        self._check_not_closed()
        if self.status is not SessionStatus.CONVENED:
            raise SessionAlreadyOpen(session=self.code, what="envoyer la convocation")
        if convocation.starts_at.date() != self.on:
            raise InvalidValue(
                "starts_at",
                convocation.starts_at.isoformat(timespec="minutes"),
                f"le jour de la séance, {self.on.isoformat()}",
            )
        if not isinstance(recipients, int) or recipients < 1:
            raise NoConvocationRecipient(session=self.code)
        sequence = getattr(self, "convocations", 0)
        self.trigger_event(
            self.ConvocationSent,
            starts_at=convocation.starts_at.isoformat(timespec="minutes"),
            ends_at=convocation.ends_at.isoformat(timespec="minutes"),
            timezone=convocation.timezone,
            place=convocation.place,
            recipients=recipients,
            agenda_sha256=convocation.agenda_sha256,
            sequence=sequence,
        )
        return sequence

    # --- checks ------------------------------------------------------------------------

    def _require_chair(self, action: str) -> None:
        require(action, Role.CHAIR)
        ctx = current_context()
        if ctx.actor != self.chair:
            raise NotTheChair(actor=ctx.actor, session=self.code)

    def _check_not_closed(self) -> None:
        if self.status is SessionStatus.CLOSED:
            raise SessionClosed(session=self.code)

    def _check_open(self) -> None:
        self._check_not_closed()
        if self.status is not SessionStatus.OPEN:
            raise SessionNotOpen(session=self.code, status=self.status.value)

    def _check_voter(self) -> None:
        """The actor may vote now: never a consultant; a voting member, present,
        in an open session."""
        ctx = current_context()
        member = ctx.actor
        if any(has_role(ctx.roles, r) for r in NEVER_VOTING_ROLES):
            raise NotAllowed(
                actor=member,
                action="voter en séance du COPIL (le consultant ne vote jamais)",
                roles=", ".join(ctx.roles),
            )
        self._check_open()
        if member not in self.members:
            raise NotAMember(member=member, session=self.code)
        if member not in self.voting:
            raise NotAVotingMember(member=member, session=self.code)
        # The seat was given to the member's role: once it is revoked (out of
        # office), the seat no longer votes, even in a session convened before.
        if not any(has_role(ctx.roles, r) for r in VOTING_ROLES):
            raise NotAVotingMember(member=member, session=self.code)
        if member not in self.present:
            raise MemberAbsent(member=member, session=self.code)

    def _check_quorum(self) -> None:
        if not self.quorum_met:
            raise QuorumNotMet(
                session=self.code,
                present=self.present_voting,
                required=self.quorum_required,
            )

    def _check_grid_item(self, number: int) -> None:
        if number not in self.grid_agenda:
            raise GridNotOnAgenda(version=number, session=self.code)
        if number in self.grid_decisions:
            raise GridAlreadyDecided(version=number, session=self.code)

    def _check_member(self, member: str) -> None:
        # the chair presides, seated or not
        if member not in self.members and member != self.chair:
            raise NotAMember(field="present", member=member, session=self.code)


__all__ = [
    "Choice",
    "Decision",
    "GridDecision",
    "NotAllowed",
    "QuorumRule",
    "Session",
    "SessionStatus",
]
