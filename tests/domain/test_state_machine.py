"""Random command sequences keep the ledger's invariants, on SQLite and PostgreSQL.

A hypothesis state machine sends random commands — proposals drafted, submitted,
qualified, scored, withdrawn; sessions convened, agendas, attendance, votes, decisions,
closing; budgets voted and adjusted, AP revised, commitments and payments, with random
amounts and occasional overrides, by actors who may or may not be allowed to. Most
commands target something in a state where they make sense, some do not, so both the
accepted and the refused paths run. After every step it checks, from the ledger's
stored events and from the aggregates:

- a refused command wrote nothing;
- budget: per envelope, allocations stay within BP + DM unless an ``Allocated`` event of
  that envelope carries an override; per project and year/section, commitments stay
  within the CP unless a flagged ``Committed``; per commitment, payments stay within it
  unless a flagged ``Paid``; and every envelope allocation is its project's CP;
- at most one current vote per member and item, the last one cast, each cast by a
  voting member present in the open session; superseded votes are all kept;
- every decision was recorded by the session's chair, with the quorum present, on the
  votes as cast, justified when against the majority, with an AP totalled by its CP
  for approvals only, and conditions when conditional;
- an adopted grid version never changes (no event after ``Adopted``, same criteria);
- every proposal's status history follows the lifecycle of PRODUCT.md;
- every stored event carries its full command context: the actor, the actor's roles at
  that moment, UTC time, origin, command, idempotency key (shared by the events of one
  command), and a reason where the action is a judgement;
- a session keeps the grid version in force (the highest adopted) when it was convened,
  whatever is adopted later;
- no approval breaks a dependency (requires: the other approved; excludes: never both,
  whoever declared it) or takes a team beyond its capacity of the year without the
  chair's recorded override naming it; a team's reservations are exactly the workloads
  of its approved, not cancelled, projects.

Along the way the views (the projections, caught up, read through
``projections.queries``) are checked against the ledger: every decision records exactly
the evidence the session page showed just before — the session's grid version, the
consolidated scores of the current revision, the value and risk, the votes and the
attendance — and exactly the conflicts the decision form showed (an approval without
override goes through only when the form showed none, and is refused with the named
error of the first one otherwise). Grid versions get adopted between scorings and
sessions, evaluators score some or all criteria, members come and go, proposals
require or exclude each other and load a team with a yearly capacity.

Sized for CI: 50 sequences of 50 steps per backend, 25 under ``CI=true`` (both
backends under a minute; ``SDSI_TEST_FULL_SIZE=1`` runs the 50 there too);
``HYPOTHESIS_PROFILE=long`` runs many more and longer sequences locally.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from domain.accounts import SYSTEM, Account, grant_label
from domain.base import LedgerAggregate
from domain.budget import Envelope, ProjectBudget, cp_key
from domain.errors import (
    CapacityExceeded,
    DomainError,
    EnvelopeExceeded,
    ExcludedProposalApproved,
    RequiredProposalNotApproved,
)
from domain.grids import GridVersion
from domain.organisation import Team
from domain.proposals import Proposal
from domain.sessions import Session, SessionStatus
from domain.values import CommandContext, Origin
from ledger.app import Ledger, open_ledger
from projections import queries as q
from projections.projector import Projector
from projections.store import SQLiteViewStore, ViewStore
from projections.views import load_handlers
from tests.conftest import ci_sized, make_settings
from tests.domain.builders import (
    CHAIR,
    INV,
    OPE,
    Town,
    by,
    criterion,
)
from tests.domain.throwaway import databases

T = TypeVar("T")
A = TypeVar("A", bound=LedgerAggregate)

settings.register_profile(
    "sdsi-ci",
    max_examples=ci_sized(50, 25),
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.register_profile(
    "sdsi-long",
    max_examples=1000,
    stateful_step_count=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
PROFILE = settings.get_profile(
    "sdsi-long" if os.environ.get("HYPOTHESIS_PROFILE") == "long" else "sdsi-ci"
)

CODES = ("P1", "P2", "P3", "P4", "P5", "P6")
SESSIONS = ("S1", "S2", "S3")
YEARS = (2025, 2026)
SECTIONS = (INV, OPE)
COPIL = ("chair", "m1", "m2", "m3")
ANYONE = ("chair", "chair2", "m1", "m2", "m3", "fin", "dsi", "eval1", "ref.fin")
REFERENT = {"FIN": "ref.fin", "EDU": "ref.edu"}
TEAM = "DSI-APPS"
# Approved from their approval to their end: what reserves a team's workload and what
# a ``requires`` waits for (written independently of domain.arbitration.ACTIVE).
RESERVING = {"approved", "approved_with_conditions", "planned", "in_progress", "done"}
CONFLICT_ERRORS = {
    "requires": RequiredProposalNotApproved,
    "excludes": ExcludedProposalApproved,
    "capacity": CapacityExceeded,
    "envelope": EnvelopeExceeded,
}

# The lifecycle of PRODUCT.md, written independently of domain.proposals.TRANSITIONS:
# which status each status may move to (a status to itself: amendments of a draft,
# re-qualification, milestones and progress of a running project).
D = "draft"
LIFECYCLE: dict[str | None, set[str]] = {
    None: {D},
    D: {D, "submitted", "withdrawn"},
    "submitted": {"submitted", "qualified", "withdrawn"},
    "qualified": {"qualified", "submitted", "on_agenda", "withdrawn"},
    "on_agenda": {
        "qualified",
        "deferred",
        "approved",
        "approved_with_conditions",
        "rejected",
    },
    "deferred": {"on_agenda", "submitted", "withdrawn"},
    "approved": {"planned", "cancelled"},
    "approved_with_conditions": {"planned", "cancelled"},
    "planned": {"planned", "in_progress", "cancelled"},
    "in_progress": {"in_progress", "done", "cancelled"},
    "rejected": set(),
    "withdrawn": set(),
    "cancelled": set(),
    "done": set(),
}
# Events that are judgements: their command context must carry a reason.
JUDGEMENTS = {
    "Proposal.Amended",
    "Proposal.Withdrawn",
    "Proposal.Cancelled",
    "ProjectBudget.APRevised",
    "Account.RoleGranted",
    "Account.RoleRevoked",
    "Account.Disabled",
}
ORIGINS = {o.value for o in Origin}
# Creation events, and the natural key they give their aggregate.
CREATED_KEYS: dict[type, str] = {
    Account.Registered: "username",
    Proposal.Drafted: "code",
    Session.Convened: "code",
    ProjectBudget.APVoted: "proposal",
}


def money_between(low: int, high: int) -> st.SearchStrategy[Decimal]:
    """Euros with cents between ``low`` and ``high``, often a round amount among
    ``low``, the middle and ``high`` (hypothesis favours small values otherwise, and
    large ones are what overdraws an envelope)."""
    exact = st.integers(low * 100, high * 100).map(lambda n: Decimal(n) / 100)
    landmarks = [Decimal(low), Decimal((low + high) // 2), Decimal(high)]
    return st.one_of(st.sampled_from(landmarks), exact)


OVERRIDE = st.sampled_from([None, None, None, "forçage motivé", "  "])
DECISION_OVERRIDE = st.sampled_from(
    [None, None, "forçage motivé", "forçage motivé", "  "]
)


@dataclass
class LogAudit:
    """What the stored events say so far, read incrementally in log order."""

    last_id: int = 0
    events: int = 0
    grants: dict[str, list[str]] = field(default_factory=dict)
    last_key: str | None = None
    last_context: CommandContext | None = None
    statuses: dict[str, str | None] = field(default_factory=dict)
    adopted_grids: set[Any] = field(default_factory=set)
    overdrawn_by_override: set[Any] = field(default_factory=set)  # envelope ids
    cp_override: set[tuple[str, str]] = field(default_factory=set)  # (project, y/s)
    payment_override: set[tuple[str, str]] = field(default_factory=set)
    last_votes: dict[tuple[str, str, str], str] = field(default_factory=dict)
    votes_cast: dict[str, int] = field(default_factory=dict)  # per session
    present: dict[str, set[str]] = field(default_factory=dict)
    voting: dict[str, set[str]] = field(default_factory=dict)
    chair: dict[str, str] = field(default_factory=dict)
    quorum: dict[str, int] = field(default_factory=dict)
    open_sessions: set[str] = field(default_factory=set)
    names: dict[Any, str] = field(default_factory=dict)  # aggregate id -> natural key
    created: dict[str, list[Any]] = field(default_factory=dict)  # class -> ids
    versions: dict[Any, int] = field(default_factory=dict)  # aggregate -> newest
    grid_numbers: dict[Any, int] = field(default_factory=dict)  # grid id -> number
    adopted_numbers: set[int] = field(default_factory=set)
    # per proposal: revision, the content's and the qualification's dependencies and
    # workloads (the current estimates are the DSI's for the current revision)
    revision: dict[str, int] = field(default_factory=dict)
    content: dict[str, Any] = field(default_factory=dict)
    qualification: dict[str, Any] = field(default_factory=dict)
    capacity: dict[tuple[str, int], int] = field(default_factory=dict)
    reserved: dict[str, dict[tuple[str, int], int]] = field(default_factory=dict)
    decisions: int = 0

    def read(self, ledger: Ledger) -> None:
        while True:
            batch = ledger.recorder.select_notifications(
                start=self.last_id, limit=500, inclusive_of_start=False
            )
            for n in batch:
                self.check(ledger.mapper.to_domain_event(n))
                self.last_id = n.id
                self.events += 1
                self.versions[n.originator_id] = n.originator_version
            if len(batch) < 500:
                return

    def check(self, ev: Any) -> None:
        name = type(ev).__qualname__
        self.check_context(ev, name)
        agg = ev.originator_id
        if isinstance(ev, LedgerAggregate.Created):
            self.created.setdefault(name.split(".")[0], []).append(agg)
        for created, key in CREATED_KEYS.items():
            if isinstance(ev, created):
                self.names[agg] = getattr(ev, key)
        if isinstance(ev, Account.Event):
            if isinstance(ev, Account.Registered):
                self.grants[ev.username] = []
            elif isinstance(ev, Account.RoleGranted):
                self.grants[self.names[agg]].append(grant_label(ev.role, ev.scope))
            elif isinstance(ev, Account.RoleRevoked):
                self.grants[self.names[agg]].remove(grant_label(ev.role, ev.scope))
        elif isinstance(ev, GridVersion.Event):
            assert agg not in self.adopted_grids, f"{name} on an adopted grid"
            if isinstance(ev, GridVersion.Drafted):
                self.grid_numbers[agg] = ev.number
            if isinstance(ev, GridVersion.Adopted):
                self.adopted_grids.add(agg)
                self.adopted_numbers.add(self.grid_numbers[agg])
        elif isinstance(ev, Team.Event):
            self.check_team(ev)
        elif isinstance(ev, Proposal.Event):
            self.check_lifecycle(ev, name)
        elif isinstance(ev, Session.Event):
            self.check_session(ev)
        elif isinstance(ev, Envelope.Allocated) and ev.override_reason:
            self.overdrawn_by_override.add(agg)
        elif isinstance(ev, ProjectBudget.Committed) and ev.override_reason:
            self.cp_override.add((self.names[agg], cp_key(ev.year, ev.section)))
        elif isinstance(ev, ProjectBudget.Paid) and ev.override_reason:
            self.payment_override.add((self.names[agg], ev.commitment))

    def check_context(self, ev: Any, name: str) -> None:
        ctx = ev.context
        assert isinstance(ctx, CommandContext), name
        assert ctx.key and ctx.command and ctx.actor, ctx
        assert callable(getattr(Ledger, ctx.command, None)), ctx.command
        assert ctx.origin in ORIGINS, ctx.origin
        assert ctx.at.utcoffset() == timedelta(0), ctx.at
        assert ev.timestamp == ctx.at, (ev.timestamp, ctx.at)
        if ctx.key == self.last_key:  # the events of one command share its context
            assert ctx == self.last_context, (ctx, self.last_context)
        else:
            expected = (
                (SYSTEM,)
                if ctx.actor == SYSTEM
                else tuple(sorted(self.grants[ctx.actor]))
            )
            assert ctx.roles == expected, (name, ctx.roles, expected)
        self.last_key, self.last_context = ctx.key, ctx
        if name in JUDGEMENTS:
            assert ctx.reason and ctx.reason.strip(), f"{name} without a reason"

    def estimates(self, code: str) -> Any:
        """The current estimates of a proposal: the DSI's for its current revision,
        else the referent's (dependencies and workloads)."""
        q_ = self.qualification.get(code)
        if q_ is not None and q_.revision == self.revision[code]:
            return q_
        return self.content[code]

    def check_team(self, ev: Any) -> None:
        team = self.names.get(ev.originator_id) or ev.code
        if isinstance(ev, Team.Created):
            self.names[ev.originator_id] = ev.code
        elif isinstance(ev, Team.CapacitySet):
            self.capacity[(team, ev.year)] = ev.days
        elif isinstance(ev, Team.WorkloadReleased):
            for key in [k for k in self.reserved.get(ev.proposal, {}) if k[0] == team]:
                del self.reserved[ev.proposal][key]
        elif isinstance(ev, Team.WorkloadReserved):
            others = sum(
                days
                for p, lines in self.reserved.items()
                if p != ev.proposal
                for (t, y), days in lines.items()
                if (t, y) == (team, ev.year)
            )
            beyond = others + ev.days > self.capacity.get((team, ev.year), 0)
            assert beyond == (ev.override_reason is not None), (
                f"{team} {ev.year}: {others} + {ev.days} reserved for {ev.proposal}, "
                f"capacity {self.capacity.get((team, ev.year))}, override "
                f"{ev.override_reason!r}"
            )
            self.reserved.setdefault(ev.proposal, {})[(team, ev.year)] = ev.days

    def check_lifecycle(self, ev: Any, name: str) -> None:
        code = self.names[ev.originator_id]
        if isinstance(ev, Proposal.Drafted):
            self.revision[code], self.content[code] = 1, ev.content
        elif isinstance(ev, Proposal.Amended):
            self.revision[code], self.content[code] = ev.revision, ev.content
        elif isinstance(ev, Proposal.Qualified):
            self.qualification[code] = ev.qualification
        if name in ("Proposal.EvaluatorAdded", "Proposal.ExcludedBy"):
            return  # what the proposal's rules read; its status does not move
        before = self.statuses.get(code)
        after = {
            "Proposal.Drafted": D,
            "Proposal.Submitted": "submitted",
            "Proposal.Qualified": "qualified",
            "Proposal.PutOnAgenda": "on_agenda",
            "Proposal.Planned": "planned",
            "Proposal.Started": "in_progress",
            "Proposal.Completed": "done",
            "Proposal.Withdrawn": "withdrawn",
            "Proposal.Cancelled": "cancelled",
            "Proposal.MilestoneSet": before,
            "Proposal.ProgressReported": before,
        }.get(name)
        if after is None:  # Amended, TakenOffAgenda, Decided name their status
            after = (ev.outcome if name == "Proposal.Decided" else ev.status).value
        assert after in LIFECYCLE[before], f"{code}: {before} -> {after} ({name})"
        if name in ("Proposal.MilestoneSet", "Proposal.ProgressReported"):
            assert before in ("planned", "in_progress"), (code, name, before)
        self.statuses[code] = after

    def check_session(self, ev: Any) -> None:
        code = self.names[ev.originator_id]
        if isinstance(ev, Session.Convened):
            in_force = max(self.adopted_numbers) if self.adopted_numbers else None
            assert ev.grid_version == in_force, (code, ev.grid_version, in_force)
            self.voting[code] = set(ev.voting)
            self.chair[code] = ev.chair
            self.quorum[code] = ev.quorum.required(len(ev.voting))
        elif isinstance(ev, Session.Opened):
            self.present[code] = set(ev.present)
            self.open_sessions.add(code)
        elif isinstance(ev, Session.AttendanceChanged):
            (self.present[code].add if ev.present else self.present[code].discard)(
                ev.member
            )
        elif isinstance(ev, Session.Closed):
            self.open_sessions.discard(code)
        elif isinstance(ev, Session.VoteCast):
            assert ev.member == ev.context.actor, "a vote is cast by its member"
            assert code in self.open_sessions, f"vote in {code}, not open"
            assert ev.member in self.present[code], f"{ev.member} absent from {code}"
            assert ev.member in self.voting[code], f"{ev.member} not voting in {code}"
            self.last_votes[(code, ev.proposal, ev.member)] = ev.choice.value
            self.votes_cast[code] = self.votes_cast.get(code, 0) + 1
        elif isinstance(ev, Session.DecisionRecorded):
            self.check_decision(code, ev.decision, ev.context)

    def check_decision(self, code: str, d: Any, ctx: CommandContext) -> None:
        """A decision: by the session's chair, with quorum, on the votes as cast."""
        assert code in self.open_sessions, f"decision in {code}, not open"
        assert ctx.actor == self.chair[code], f"{ctx.actor} decided in {code}"
        present = len(self.present[code] & self.voting[code])
        assert present >= self.quorum[code], f"{code}: decided without quorum"
        assert (d.present_voting, d.quorum_required) == (present, self.quorum[code])
        votes = [
            c
            for (s, p, _m), c in self.last_votes.items()
            if (s, p) == (code, d.proposal)
        ]
        tally = (votes.count("for"), votes.count("against"), votes.count("abstain"))
        assert (d.votes_for, d.votes_against, d.abstentions) == tally, (d, tally)
        favourable = d.outcome.value.startswith("approved")
        against_majority = (d.votes_for > d.votes_against) != favourable and (
            d.votes_for != d.votes_against
        )
        assert d.rationale.strip(), "a decision without rationale"
        assert d.justification.strip() or not against_majority, (
            f"{d.proposal}: against the majority without justification"
        )
        if favourable:
            assert d.ap_amount > 0 and sum(c.amount for c in d.cp) == d.ap_amount
        else:
            assert (d.ap_amount, d.cp) == (None, ()), "amounts on a refusal"
        if d.outcome.value == "approved_with_conditions":
            assert d.conditions.strip(), "conditional approval without conditions"
        self.decisions += 1
        if favourable:
            self.check_approval(d)

    def check_approval(self, d: Any) -> None:
        """No dependency nor capacity broken without the chair's override naming it."""
        code = d.proposal
        broken: set[tuple[str, str]] = set()
        for dep in self.estimates(code).dependencies:
            active = self.statuses.get(dep.proposal) in RESERVING
            if (dep.kind.value == "requires") != active:
                broken.add((dep.kind.value, dep.proposal))
        for other, status in self.statuses.items():
            if (
                status in RESERVING
                and other != code
                and any(
                    dep.kind.value == "excludes" and dep.proposal == code
                    for dep in self.estimates(other).dependencies
                )
            ):
                broken.add(("excludes", other))
        for w in self.estimates(code).workloads:
            reserved = sum(
                days
                for lines in self.reserved.values()
                for key, days in lines.items()
                if key == (w.team, w.year)
            )
            if w.days and reserved + w.days > self.capacity.get((w.team, w.year), 0):
                broken.add(("capacity", w.team))
        recorded = {(c.rule.value, c.target) for c in d.conflicts}
        assert {c for c in recorded if c[0] != "envelope"} == broken, (
            f"{code}: broke {broken}, the decision recorded {recorded}"
        )
        assert not recorded or (d.override_reason or "").strip(), f"{code}: no reason"


@dataclass
class View:
    """Proposals, sessions and project budgets by code, as last read."""

    proposals: dict[str, Proposal]
    sessions: dict[str, Session]
    budgets: dict[str, ProjectBudget]


class LedgerMachine(RuleBasedStateMachine):
    """Random commands against a fresh ledger holding the minimal town.

    Commands are grouped in a few rules (proposals, sessions, budget, execution, grid)
    whose action is drawn from a weighted list, so that sequences of a few dozen steps
    reach decisions, commitments and payments. Each action mostly targets something in
    a state where it makes sense (``pick``), sometimes anything.
    """

    database: Callable[[], tuple[str, Callable[[], None]]]

    def __init__(self) -> None:
        super().__init__()
        url, self.drop = type(self).database()
        self.tmp = Path(f"/tmp/sdsi-sm-{uuid.uuid4().hex[:8]}")
        self.ledger = open_ledger(make_settings(self.tmp, url), create=True)
        self.ledger.bootstrap_admin("admin", "Administrateur", "admin-password-1")
        # The views in a SQLite file whatever the ledger's backend (as the as-of
        # replays have them): their own tests cover both stores, and creating every
        # view table in a fresh PostgreSQL schema per example would double the time.
        load_handlers()
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.store: ViewStore = SQLiteViewStore(self.tmp / "views.db")
        self.projector = Projector(self.ledger, self.store)
        self.projector.ensure_tables()
        self.town = Town(self.ledger)
        self.town.adopt_grid()
        self.audit = LogAudit()
        self.loaded: dict[Any, LedgerAggregate] = {}
        self.audit.read(self.ledger)
        self.view = self.load_view()
        self.adopted: dict[int, tuple[Any, dict[str, Any]]] = {}
        self.refs = 0
        self.grid_changes = 0
        self.budget_moves = 0
        self.grids_adopted = 0
        self.cycles = 0

    def teardown(self) -> None:
        try:
            # nothing is deleted or rewritten: the log read again, from the start,
            # holds every event the steps saw, and passes the same checks
            self.audit.read(self.ledger)
            again = LogAudit()
            again.read(self.ledger)
            assert (again.events, again.last_id) == (
                self.audit.events,
                self.audit.last_id,
            )
        finally:
            self.store.close()
            self.ledger.close()
            self.drop()
            shutil.rmtree(self.tmp, ignore_errors=True)

    # --- helpers ----------------------------------------------------------------------

    def send(
        self, command: Callable[[], Any], refusal: list[DomainError] | None = None
    ) -> bool:
        """Run one command; a refusal must write nothing (and is kept in
        ``refusal`` when given)."""
        head = self.ledger.head()
        try:
            result = command()
        except DomainError as exc:
            assert self.ledger.head() == head, f"refused ({exc!r}) but wrote events"
            event(f"refused: {type(exc).__name__}")
            if refusal is not None:
                refusal.append(exc)
            return False
        event(f"accepted: {result.command}")
        return True

    @staticmethod
    def pick(data: st.DataObject, sensible: Sequence[T], anything: Sequence[T]) -> T:
        """Mostly something the command makes sense for, sometimes anything."""
        if sensible and data.draw(st.integers(0, 9), label="sensible") < 8:
            return data.draw(st.sampled_from(sorted(sensible)))  # type: ignore[type-var]
        return data.draw(st.sampled_from(list(anything)))

    def load(self, cls: type[A]) -> dict[str, A]:
        """Every aggregate of ``cls`` the log has created, by natural key (loaded
        again only when the log shows a newer event of it)."""
        out = {}
        for agg_id in self.audit.created.get(cls.__name__, []):
            agg = self.loaded.get(agg_id)
            if agg is None or agg.version != self.audit.versions[agg_id]:
                agg = self.ledger.load(cls, agg_id)
                assert agg is not None, f"{cls.__name__} {agg_id} created, not loaded"
                assert agg.version == self.audit.versions[agg_id], "log and aggregate"
                self.loaded[agg_id] = agg
            out[self.audit.names.get(agg_id, str(agg_id))] = agg
        return out  # type: ignore[return-value]

    def load_view(self) -> View:
        """The proposals, sessions and project budgets as the ledger has them."""
        return View(
            proposals=self.load(Proposal),
            sessions=self.load(Session),
            budgets=self.load(ProjectBudget),
        )

    def in_status(self, *statuses: str) -> list[str]:
        return [c for c, p in self.view.proposals.items() if p.status.value in statuses]

    def sessions_in(self, *statuses: SessionStatus) -> list[str]:
        return [c for c, s in self.view.sessions.items() if s.status in statuses]

    def owner(self, data: st.DataObject, code: str) -> str:
        """The proposal's referent or the DSI, sometimes someone else."""
        p = self.view.proposals.get(code)
        right = REFERENT[p.direction] if p else "ref.fin"
        return self.pick(data, [right, "dsi"], ["ref.fin", "ref.edu", "m1"])

    def chair_of(self, data: st.DataObject, session: str) -> str:
        s = self.view.sessions.get(session)
        return self.pick(data, [s.chair if s else "chair"], ["chair", "chair2", "fin"])

    @staticmethod
    def costs() -> st.SearchStrategy[list[dict[str, Any]]]:
        line = st.fixed_dictionaries(
            {
                "year": st.sampled_from(YEARS),
                "section": st.sampled_from(SECTIONS),
                "amount": money_between(1_000, 200_000).map(str),
            }
        )
        return st.lists(
            line, min_size=1, max_size=2, unique_by=lambda c: (c["year"], c["section"])
        )

    @staticmethod
    def workloads() -> st.SearchStrategy[list[dict[str, Any]]]:
        """Days of the team in a year or two (sometimes none)."""
        line = st.fixed_dictionaries(
            {
                "team": st.just(TEAM),
                "year": st.sampled_from(YEARS),
                "days": st.sampled_from([0, 10, 25, 40]),
            }
        )
        return st.lists(line, max_size=2, unique_by=lambda w: w["year"])

    @staticmethod
    def dependencies(targets: Sequence[str]) -> st.SearchStrategy[list[dict[str, str]]]:
        """Often none, else one ``requires`` or ``excludes`` on one of ``targets``."""
        dep = st.fixed_dictionaries(
            {
                "kind": st.sampled_from(["requires", "excludes"]),
                "proposal": st.sampled_from(list(targets)),
            }
        )
        return st.one_of(st.just([]), st.lists(dep, min_size=1, max_size=1))

    # --- a random starting point, so sequences reach decisions and the budget ---------

    @initialize(
        data=st.data(),
        envelopes=st.lists(money_between(20_000, 400_000), min_size=3, max_size=3),
        absent=st.sampled_from([(), (), ("m3",), ("m1",), ("m1", "m2")]),
        ap=money_between(5_000, 20_000),
        capacity=st.lists(st.sampled_from([30, 50, 80]), min_size=2, max_size=2),
    )
    def start(
        self,
        data: st.DataObject,
        envelopes: list[Decimal],
        absent: tuple[str, ...],
        ap: Decimal,
        capacity: list[int],
    ) -> None:
        """Budgets voted (investment in both years, operating in 2025), the team's
        capacity of both years, P1–P3 qualified (P2 and P3 with workloads and maybe a
        dependency), S1 open with P1 approved (an AP within the 2025 envelope), P2
        and P3 to decide, some members gone."""
        led = self.ledger
        voted = ((2025, INV), (2026, INV), (2025, OPE))
        for (year, section), amount in zip(voted, envelopes, strict=True):
            led.vote_budget(by("fin"), year, section, amount, "BP", "2024-12-15")
        for year, days in zip(YEARS, capacity, strict=True):
            led.set_team_capacity(by("dsi"), TEAM, year, days)
        for code, direction in (("P1", "FIN"), ("P2", "EDU"), ("P3", "FIN")):
            referent = by(REFERENT[direction])
            costs = data.draw(self.costs(), label=f"costs of {code}")
            led.draft_proposal(referent, code, direction, Town.content(costs=costs))
            led.submit_proposal(referent, code)
        for code in ("P1", "P2", "P3"):
            estimates: dict[str, Any] = {"costs": data.draw(self.costs())}
            if code != "P1":
                others = [c for c in ("P1", "P2", "P3") if c != code]
                estimates["workloads"] = data.draw(self.workloads())
                estimates["dependencies"] = data.draw(self.dependencies(others))
            led.qualify_proposal(by("dsi"), code, Town.qualification(**estimates))
        led.convene_session(CHAIR, "S1", "COPIL S1", "2025-03-20", list(COPIL), ["fin"])
        for code in ("P1", "P2", "P3"):
            led.add_agenda_item(CHAIR, "S1", code)
        led.open_session(CHAIR, "S1", [*COPIL, "fin"])
        cp = [{"year": 2025, "section": INV, "amount": str(ap)}]
        led.record_decision(CHAIR, "S1", "P1", "approved", "r", ap_amount=ap, cp=cp)
        for member in absent:
            led.set_attendance(CHAIR, "S1", member, False)

    # --- proposals --------------------------------------------------------------------

    @rule(
        action=st.sampled_from(
            ["draft", "submit", "submit", "amend", "qualify", "qualify", "withdraw"]
            + ["score"] * 4
        ),
        data=st.data(),
    )
    def proposal_step(self, action: str, data: st.DataObject) -> None:
        """A referent, the DSI or an evaluator acts on a proposal."""
        led = self.ledger
        if action == "draft":
            free = [c for c in CODES if c not in self.view.proposals]
            code = self.pick(data, free, CODES)
            direction = data.draw(st.sampled_from(["FIN", "EDU"]))
            actor = self.pick(data, [REFERENT[direction], "dsi"], ANYONE)
            content = self.estimates(data, code, Town.content)
            self.send(lambda: led.draft_proposal(by(actor), code, direction, content))
        elif action == "submit":
            code = self.pick(data, self.in_status(D), CODES)
            actor = self.owner(data, code)
            self.send(lambda: led.submit_proposal(by(actor), code))
        elif action == "amend":
            sensible = self.in_status(D, "submitted", "qualified", "deferred")
            code = self.pick(data, sensible, CODES)
            actor = self.owner(data, code)
            reason = data.draw(st.sampled_from([None, "périmètre revu", "précisions"]))
            content = self.estimates(data, code, Town.content)
            self.send(lambda: led.amend_proposal(by(actor, reason), code, content))
        elif action == "qualify":
            code = self.pick(data, self.in_status("submitted", "qualified"), CODES)
            actor = self.pick(data, ["dsi"], ANYONE)
            estimates = self.estimates(data, code, Town.qualification)
            self.send(lambda: led.qualify_proposal(by(actor), code, estimates))
        elif action == "withdraw":
            code = self.pick(data, self.in_status(D, "submitted", "deferred"), CODES)
            actor = self.owner(data, code)
            reason = data.draw(st.sampled_from([None, "repris ailleurs"]))
            self.send(lambda: led.withdraw_proposal(by(actor, reason), code))
        else:
            self.score(data)

    def estimates(
        self, data: st.DataObject, code: str, make: Callable[..., dict[str, Any]]
    ) -> dict[str, Any]:
        """Costs, workloads of the team and maybe a dependency on another proposal
        (mostly an existing one: a few name itself or an unknown one, refused)."""
        others = [c for c in self.view.proposals if c != code]
        targets = self.pick(data, [tuple(others)], [tuple(CODES)]) or tuple(CODES)
        return make(
            costs=data.draw(self.costs()),
            workloads=data.draw(self.workloads()),
            dependencies=data.draw(self.dependencies(targets)),
        )

    def score(self, data: st.DataObject) -> None:
        """An evaluator scores one criterion, or every criterion, of an adopted grid
        version (sometimes a stale revision, a grid not adopted, a bad level)."""
        sensible = self.in_status("submitted", "qualified", "on_agenda", "deferred")
        code = self.pick(data, sensible, CODES)
        p = self.view.proposals.get(code)
        stale = data.draw(st.integers(0, 4)) == 0
        revision = (p.revision if p else 1) - stale
        evaluator = self.pick(data, ["eval1", "eval2"], ANYONE)
        grid = self.pick(data, sorted(self.audit.adopted_numbers), [1, 2, 3])
        every = data.draw(st.booleans(), label="every criterion")
        crits = (
            ["VAL1", "VAL2", "RISK1"]
            if every
            else [data.draw(st.sampled_from(["VAL1", "VAL2", "RISK1", "VAL9"]))]
        )
        why = data.draw(st.sampled_from(["analyse de la fiche", "analyse", " "]))
        levels = st.sampled_from([1, 2, 3, 4] * 3 + [0, 5])
        scores = {
            crit: {"level": data.draw(levels), "justification": why} for crit in crits
        }
        self.send(
            lambda: self.ledger.score_proposal(
                by(evaluator), code, revision, grid, scores
            )
        )

    # --- sessions ---------------------------------------------------------------------

    @rule(
        action=st.sampled_from(
            ["convene", "add_item", "add_item", "remove_item", "open", "attendance"]
            + ["close"] * 2
        ),
        data=st.data(),
    )
    def session_step(self, action: str, data: st.DataObject) -> None:
        """The chair prepares, runs or closes a COPIL session."""
        getattr(self, action)(data)

    @precondition(lambda self: bool(self.undecided_items()))
    @rule(
        action=st.sampled_from(["vote", "vote", "decide", "decide", "decide"]),
        data=st.data(),
    )
    def deliberation_step(self, action: str, data: st.DataObject) -> None:
        """Members vote and the chair decides on an item of an open session."""
        getattr(self, action)(data)

    def convene(self, data: st.DataObject) -> None:
        code = self.pick(
            data, [c for c in SESSIONS if c not in self.view.sessions], SESSIONS
        )
        actor = self.pick(data, ["chair", "chair2"], ANYONE)
        voting = data.draw(
            st.lists(st.sampled_from(COPIL), min_size=1, max_size=4, unique=True)
        )
        non_voting = data.draw(st.sampled_from([[], ["fin"]]))
        self.send(
            lambda: self.ledger.convene_session(
                by(actor), code, f"COPIL {code}", "2025-03-20", voting, non_voting
            )
        )

    def add_item(self, data: st.DataObject) -> None:
        proposal = self.pick(data, self.in_status("qualified", "deferred"), CODES)
        sessions = [
            c
            for c, s in self.view.sessions.items()
            if s.status is not SessionStatus.CLOSED and proposal not in s.agenda
        ]
        code = self.pick(data, sessions, SESSIONS)
        actor = self.chair_of(data, code)
        self.send(lambda: self.ledger.add_agenda_item(by(actor), code, proposal))

    def remove_item(self, data: st.DataObject) -> None:
        code = self.pick(data, self.sessions_in(SessionStatus.CONVENED), SESSIONS)
        s = self.view.sessions.get(code)
        proposal = self.pick(data, s.agenda if s else [], CODES)
        actor = self.chair_of(data, code)
        self.send(lambda: self.ledger.remove_agenda_item(by(actor), code, proposal))

    def open(self, data: st.DataObject) -> None:
        code = self.pick(data, self.sessions_in(SessionStatus.CONVENED), SESSIONS)
        s = self.view.sessions.get(code)
        everyone = data.draw(st.lists(st.sampled_from(ANYONE), max_size=6, unique=True))
        members = data.draw(st.sampled_from([s.members, s.voting])) if s else []
        present = self.pick(data, [tuple(members)], [tuple(everyone)])
        actor = self.chair_of(data, code)
        self.send(lambda: self.ledger.open_session(by(actor), code, list(present)))

    def attendance(self, data: st.DataObject) -> None:
        code = self.pick(data, self.sessions_in(SessionStatus.OPEN), SESSIONS)
        s = self.view.sessions.get(code)
        member = self.pick(data, s.members if s else [], ANYONE)
        present = data.draw(st.sampled_from([True, True, False]))
        actor = self.chair_of(data, code)
        self.send(lambda: self.ledger.set_attendance(by(actor), code, member, present))

    def undecided_items(self) -> list[tuple[str, str]]:
        """(session, proposal) on the agenda of an open session, not decided yet."""
        return [
            (c, p)
            for c, s in self.view.sessions.items()
            if s.status is SessionStatus.OPEN
            for p in s.agenda
            if p not in s.decisions
        ]

    def open_item(self, data: st.DataObject) -> tuple[str, str]:
        """Mostly an undecided item of an open session, sometimes anything."""
        anything = [(c, p) for c in SESSIONS for p in CODES]
        return self.pick(data, self.undecided_items(), anything)

    def vote(self, data: st.DataObject) -> None:
        code, proposal = self.open_item(data)
        member = data.draw(st.sampled_from((*COPIL, *COPIL, "fin", "eval1")))
        choice = data.draw(st.sampled_from(["for", "for", "against", "abstain", "x"]))
        self.send(lambda: self.ledger.cast_vote(by(member), code, proposal, choice))

    def decide(self, data: st.DataObject) -> None:
        code, proposal = self.open_item(data)
        actor = self.chair_of(data, code)
        outcome = data.draw(
            st.sampled_from(
                ["approved"] * 3 + ["approved_with_conditions", "deferred", "rejected"]
            )
        )
        ap = data.draw(money_between(5_000, 250_000))
        keys = data.draw(
            st.lists(
                st.tuples(st.sampled_from(YEARS), st.sampled_from((INV, INV, OPE))),
                min_size=1,
                max_size=2,
                unique=True,
            )
        )
        first = (ap / 2).quantize(Decimal("0.01")) if len(keys) == 2 else ap
        cp = [
            {"year": y, "section": s, "amount": str(a)}
            for (y, s), a in zip(keys, [first, ap - first], strict=False)
        ]
        kwargs: dict[str, Any] = {
            "conditions": data.draw(st.sampled_from(["", "cadrage", "cadrage"])),
            "justification": data.draw(st.sampled_from(["", "arbitrage budgétaire"])),
            "override_reason": data.draw(DECISION_OVERRIDE),
        }
        if outcome.startswith("approved") or data.draw(st.integers(0, 4)) == 0:
            kwargs.update(ap_amount=str(ap), cp=cp)
        shown = self.shown(code, proposal, cp if outcome.startswith("approved") else [])
        refusal: list[DomainError] = []
        accepted = self.send(
            lambda: self.ledger.record_decision(
                by(actor), code, proposal, outcome, "arbitrage du COPIL", **kwargs
            ),
            refusal,
        )
        if shown is not None:
            self.check_decision_against_views(
                code, proposal, outcome, kwargs, shown, accepted, refusal
            )

    def catch_up(self) -> None:
        """The views follow the ledger (as the follower does after each command)."""
        self.projector.catch_up()

    def shown(
        self, code: str, proposal: str, cp: list[dict[str, Any]]
    ) -> dict[str, Any] | None:
        """What the session page and the decision form show of an item right now."""
        self.catch_up()
        doc = q.session(self.store, code)
        if doc is None or proposal not in doc["agenda"]:
            return None
        current = [v["choice"] for v in doc["votes"].get(proposal, {}).values()]
        return {
            "grid_version": doc["grid_version"],
            "evidence": doc["evidence"][proposal],
            "tally": tuple(current.count(c) for c in ("for", "against", "abstain")),
            "present_voting": doc["present_voting"],
            "conflicts": q.approval_conflicts(self.store, proposal, cp),
        }

    def check_decision_against_views(
        self,
        code: str,
        proposal: str,
        outcome: str,
        kwargs: dict[str, Any],
        shown: dict[str, Any],
        accepted: bool,
        refusal: list[DomainError],
    ) -> None:
        """The decision recorded exactly what the views showed; an approval went
        through without override only when the form showed no conflict, and was
        refused by the first one's named error otherwise."""
        approving = outcome.startswith("approved")
        conflicts = shown["conflicts"] if approving else []
        override = kwargs.get("override_reason")
        if not accepted:
            error = refusal[0] if refusal else None
            if (
                conflicts
                and override is None
                and type(error) in CONFLICT_ERRORS.values()
            ):
                assert type(error) is CONFLICT_ERRORS[conflicts[0]["rule"]], (
                    error,
                    conflicts,
                )
            elif type(error) in CONFLICT_ERRORS.values():
                assert conflicts and override is None, (error, conflicts, override)
            return
        assert not conflicts or override is not None, (
            f"{proposal} approved despite {conflicts} without override"
        )
        self.catch_up()
        record = q.decision_history(self.store, session=code, proposal=proposal)[-1]
        evidence = shown["evidence"]
        assert (
            record["grid_version"] == shown["grid_version"] == evidence["grid_version"]
        )
        assert record["scores"] == evidence, (record["scores"], evidence)
        assert record["evidence_recorded"]
        assert (record["value"], record["risk"]) == (
            q.score(evidence["value_x100"]),
            q.score(evidence["risk_x100"]),
        )
        votes = (record["votes_for"], record["votes_against"], record["abstentions"])
        assert votes == shown["tally"], (votes, shown["tally"])
        assert record["present_voting"] == shown["present_voting"]
        assert record["conflicts"] == conflicts, (record["conflicts"], conflicts)
        assert (record["override_reason"] is not None) == bool(conflicts)
        event(f"decided: {len(conflicts)} conflict(s) overridden")

    def close(self, data: st.DataObject) -> None:
        decided = [
            c
            for c, s in self.view.sessions.items()
            if s.status is SessionStatus.OPEN and set(s.agenda) <= set(s.decisions)
        ]
        code = self.pick(data, decided, SESSIONS)
        actor = self.chair_of(data, code)
        self.send(lambda: self.ledger.close_session(by(actor), code))

    # --- budget -----------------------------------------------------------------------

    @precondition(lambda self: self.budget_moves < 6)
    @rule(action=st.sampled_from(["vote_budget", "adjust_budget"]), data=st.data())
    def budget_step(self, action: str, data: st.DataObject) -> None:
        """Finance (or someone else) votes a BP or a DM (a few per sequence)."""
        self.budget_moves += 1
        getattr(self, action)(data)

    @precondition(lambda self: bool(self.view.budgets))
    @rule(action=st.sampled_from(["revise_ap"] + ["commit", "pay"] * 3), data=st.data())
    def spending_step(self, action: str, data: st.DataObject) -> None:
        """Approved projects: AP revisions, commitments and payments."""
        getattr(self, action)(data)

    def vote_budget(self, data: st.DataObject) -> None:
        year = data.draw(st.sampled_from(YEARS))
        section = data.draw(st.sampled_from(SECTIONS))
        amount = data.draw(money_between(10_000, 400_000))
        actor = self.pick(data, ["fin"], ANYONE)
        self.send(
            lambda: self.ledger.vote_budget(
                by(actor), year, section, amount, f"BP {year}", f"{year - 1}-12-15"
            )
        )

    def adjust_budget(self, data: st.DataObject) -> None:
        year = data.draw(st.sampled_from(YEARS))
        section = data.draw(st.sampled_from((INV, INV, OPE)))
        delta = data.draw(money_between(-150_000, 150_000))
        self.send(
            lambda: self.ledger.adjust_budget(
                by("fin"), year, section, delta, "DM", f"{year}-06-28"
            )
        )

    def revise_ap(self, data: st.DataObject) -> None:
        code = self.pick(data, list(self.view.budgets), CODES)
        budget = self.view.budgets.get(code)
        factor = Decimal(data.draw(st.sampled_from(["0.5", "0.9", "1.2", "1.5"])))
        lines = budget.cp if budget else {"2025/investissement": Decimal(1000)}
        cp = [
            {
                "year": int(key.split("/")[0]),
                "section": key.split("/")[1],
                "amount": str((amount * factor).quantize(Decimal("0.01"))),
            }
            for key, amount in lines.items()
        ]
        ap = sum(Decimal(line["amount"]) for line in cp)
        actor = self.pick(data, ["fin", "chair"], ANYONE)
        reason = data.draw(st.sampled_from([None, "avenant", "avenant"]))
        override = data.draw(OVERRIDE)
        self.send(
            lambda: self.ledger.revise_ap(
                by(actor, reason), code, ap, cp, "DCM", override_reason=override
            )
        )

    def commit(self, data: st.DataObject) -> None:
        code = self.pick(data, list(self.view.budgets), CODES)
        budget = self.view.budgets.get(code)
        key = self.pick(
            data,
            list(budget.cp) if budget else [],
            [cp_key(2025, INV), cp_key(2026, OPE)],
        )
        year, section = int(key.split("/")[0]), key.split("/")[1]
        available = budget.cp.get(key, Decimal(0)) if budget else Decimal(0)
        share = Decimal(data.draw(st.sampled_from(["0.3", "0.6", "1", "1.2"])))
        amount = max(Decimal("0.01"), (available * share).quantize(Decimal("0.01")))
        self.refs += data.draw(st.integers(0, 9)) > 0  # sometimes a reference twice
        ref = f"EJ{self.refs}"
        day = f"{year + (data.draw(st.integers(0, 9)) == 0)}-04-02"
        actor = self.pick(data, ["fin"], ANYONE)
        override = data.draw(OVERRIDE)
        self.send(
            lambda: self.ledger.record_commitment(
                by(actor), code, ref, year, section, amount, day, "Titulaire", override
            )
        )

    def pay(self, data: st.DataObject) -> None:
        with_commitments = [c for c, b in self.view.budgets.items() if b.commitments]
        if not with_commitments:
            return self.commit(data)  # nothing to pay yet: commit first
        code = self.pick(data, with_commitments, CODES)
        budget = self.view.budgets.get(code)
        commitments = budget.commitments if budget else {}
        ref = self.pick(data, list(commitments), ["EJ1"])
        c = commitments.get(ref)
        remaining = (c["amount"] - c["paid"]) if c else Decimal(100)
        share = Decimal(data.draw(st.sampled_from(["0.3", "0.7", "1", "1.1"])))
        amount = (remaining * share).quantize(Decimal("0.01"))
        override = data.draw(OVERRIDE)
        self.refs += 1
        self.send(
            lambda: self.ledger.record_payment(
                by("fin"), code, f"MD{self.refs}", ref, amount, "2025-10-20", override
            )
        )

    # --- execution and the grid -------------------------------------------------------

    @precondition(lambda self: bool(self.view.budgets))
    @rule(
        action=st.sampled_from(["plan", "start", "progress", "complete", "cancel"]),
        data=st.data(),
    )
    def execution_step(self, action: str, data: st.DataObject) -> None:
        """The DSI runs approved projects; the chair may cancel one."""
        led, dsi = self.ledger, by("dsi")
        source = {
            "plan": ("approved", "approved_with_conditions"),
            "start": ("planned",),
            "progress": ("planned", "in_progress"),
            "complete": ("in_progress",),
            "cancel": ("approved", "planned", "in_progress"),
        }[action]
        code = self.pick(data, self.in_status(*source), CODES)
        commands: dict[str, Callable[[], Any]] = {
            "plan": lambda: led.plan_project(dsi, code, "2025-02-01", "2025-12-01"),
            "start": lambda: led.start_project(dsi, code, "2025-02-03"),
            "progress": lambda: led.report_progress(dsi, code, 40),
            "complete": lambda: led.complete_project(dsi, code, "2025-12-01"),
            "cancel": lambda: led.cancel_project(by("chair", "abandon"), code),
        }
        self.send(commands[action])

    @precondition(lambda self: self.grid_changes < 4)
    @rule(
        action=st.sampled_from(["change v1", "draft v2", "change v2", "adopt v2"]),
        weight=st.sampled_from(["40", "60", "100"]),
        actor=st.sampled_from(["dsi", "chair", "chair"]),
    )
    def grid_step(self, action: str, weight: str, actor: str) -> None:
        """Someone tries to change the adopted v1, or drafts and adopts v2."""
        led = self.ledger
        self.grid_changes += 1
        if action == "change v1":
            crit = criterion("VAL1", "value", weight)
            self.send(lambda: led.set_grid_criterion(by(actor), 1, crit))
        elif action == "draft v2":
            self.send(lambda: led.draft_grid(by(actor), 2, "Grille 2", based_on=1))
        elif action == "change v2":
            crit = criterion("VAL2", "value", weight)
            self.send(lambda: led.set_grid_criterion(by(actor), 2, crit))
        else:
            self.send(lambda: led.adopt_grid(by(actor), 2, "2025-06-01"))

    @precondition(lambda self: self.grids_adopted < 2)
    @rule(weights=st.sampled_from([("50", "50"), ("70", "30"), ("20", "80")]))
    def new_grid_version(self, weights: tuple[str, str]) -> None:
        """The chair adopts a new grid version (the value weights moved), between
        scorings and sessions: only sessions convened afterwards use it."""
        led = self.ledger
        number = max(self.audit.grid_numbers.values()) + 1
        based_on = max(self.audit.adopted_numbers)
        criteria = [
            criterion("VAL1", "value", weights[0]),
            criterion("VAL2", "value", weights[1]),
        ]
        if self.send(
            lambda: led.draft_grid(
                by("dsi"), number, f"Grille {number}", based_on, criteria
            )
        ):
            self.grids_adopted += self.send(
                lambda: led.adopt_grid(by("chair"), number, "2025-06-01")
            )

    @precondition(lambda self: self.cycles < 4)
    @rule(data=st.data(), absent=st.sampled_from([(), (), ("m3",), ("m1", "m2")]))
    def session_cycle(self, data: st.DataObject, absent: tuple[str, ...]) -> None:
        """A COPIL cycle: the proposals under way are submitted and qualified
        (workloads, dependencies), some scored in full on the grid in force, and the
        chair convenes a session (on that version), puts every qualified or deferred
        proposal on its agenda and opens it."""
        self.cycles += 1
        code, led = f"C{self.cycles}", self.ledger
        free = [c for c in CODES if c not in self.view.proposals]
        if free:
            direction = data.draw(st.sampled_from(["FIN", "EDU"]))
            content = self.estimates(data, free[0], Town.content)
            self.send(
                lambda: led.draft_proposal(
                    by(REFERENT[direction]), free[0], direction, content
                )
            )
            self.view = self.load_view()
        for proposal in self.in_status(D, "submitted"):
            p = self.view.proposals[proposal]
            self.send(
                lambda p=p: led.submit_proposal(by(REFERENT[p.direction]), p.code)
            )
            estimates = self.estimates(data, proposal, Town.qualification)
            self.send(
                lambda c=proposal, e=estimates: led.qualify_proposal(by("dsi"), c, e)
            )
        self.view = self.load_view()
        grid = max(self.audit.adopted_numbers)
        for proposal in self.in_status("qualified", "deferred"):
            for evaluator in data.draw(
                st.sampled_from([(), ("eval1",), ("eval1", "eval2")])
            ):
                levels = data.draw(st.lists(st.integers(1, 4), min_size=3, max_size=3))
                scores = {
                    crit: {"level": level, "justification": "analyse"}
                    for crit, level in zip(
                        ("VAL1", "VAL2", "RISK1"), levels, strict=True
                    )
                }
                revision = self.view.proposals[proposal].revision
                self.send(
                    lambda e=evaluator, c=proposal, r=revision, s=scores: (
                        led.score_proposal(by(e), c, r, grid, s)
                    )
                )
        if not self.send(
            lambda: led.convene_session(
                CHAIR, code, f"COPIL {code}", "2025-06-20", list(COPIL), ["fin"]
            )
        ):
            return
        for proposal in self.in_status("qualified", "deferred"):
            self.send(lambda p=proposal: led.add_agenda_item(CHAIR, code, p))
        present = [m for m in COPIL if m not in absent] + ["fin"]
        self.send(lambda: led.open_session(CHAIR, code, present))

    # --- invariants -------------------------------------------------------------------

    @invariant()
    def the_log_keeps_every_rule(self) -> None:
        self.audit.read(self.ledger)
        self.view = self.load_view()
        self.check_budget()
        self.check_votes()
        self.check_grids()
        self.check_statuses()
        self.check_reservations()

    def check_reservations(self) -> None:
        """The team's reservations are the workloads of the approved projects (from
        approval to the end; a cancelled one gave them back)."""
        team = self.ledger.load(Team, Team.id_for(TEAM))
        assert team is not None
        expected = {
            code: {w.year: w.days for w in p.estimates[1] if w.team == TEAM and w.days}
            for code, p in self.view.proposals.items()
            if p.status.value in RESERVING
        }
        assert team.reservations == {c: r for c, r in expected.items() if r}, (
            team.reservations,
            expected,
        )

    def check_budget(self) -> None:
        budgets = self.view.budgets
        allocations: dict[tuple[str, str], Decimal] = {}
        for env in self.load(Envelope).values():
            assert env.allocated <= env.total or env.id in (
                self.audit.overdrawn_by_override
            ), f"envelope {env.year} {env.section} overdrawn without flagged override"
            for proposal, amount in env.allocations.items():
                allocations[(proposal, cp_key(env.year, env.section))] = amount
        expected = {
            (code, key): amount
            for code, b in budgets.items()
            for key, amount in b.cp.items()
            if amount
        }
        assert allocations == expected, "envelope allocations differ from the CP"
        for code, b in budgets.items():
            for key in b.cp:
                committed = sum(
                    (
                        c["amount"]
                        for c in b.commitments.values()
                        if cp_key(c["year"], c["section"]) == key
                    ),
                    Decimal(0),
                )
                assert (
                    committed <= b.cp[key] or (code, key) in self.audit.cp_override
                ), f"{code} {key}: {committed} committed > CP {b.cp[key]}, no override"
            for ref, c in b.commitments.items():
                assert c["paid"] <= c["amount"] or (code, ref) in (
                    self.audit.payment_override
                ), f"{code} {ref}: paid {c['paid']} > {c['amount']}, no override"

    def check_votes(self) -> None:
        for code, s in self.view.sessions.items():
            current = {
                (p, m): choice.value
                for p, votes in s.votes.items()
                for m, choice in votes.items()
            }
            cast = {
                (p, m): choice
                for (sc, p, m), choice in self.audit.last_votes.items()
                if sc == code
            }
            assert current == cast, f"{code}: current votes are not the last cast"
            assert s.superseded_votes == self.audit.votes_cast.get(code, 0) - len(cast)

    def check_grids(self) -> None:
        for grid_id in self.audit.adopted_grids:
            grid = self.ledger.load(GridVersion, grid_id)
            assert grid is not None and grid.adopted
            frozen = (grid.adopted_on, dict(grid.criteria))
            assert self.adopted.setdefault(grid.number, frozen) == frozen, (
                f"adopted grid v{grid.number} changed"
            )

    def check_statuses(self) -> None:
        """Each proposal's status is where its history of events led."""
        statuses = {c: p.status.value for c, p in self.view.proposals.items()}
        assert statuses == self.audit.statuses


def test_random_command_sequences_keep_the_ledger_invariants(
    backend: str, request: pytest.FixtureRequest
) -> None:
    database = databases(backend, request, "sm")
    machine = type(
        f"LedgerMachine_{backend}",
        (LedgerMachine,),
        {"database": staticmethod(database)},
    )
    run_state_machine_as_test(machine, settings=PROFILE)
