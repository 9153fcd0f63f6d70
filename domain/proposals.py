"""Proposals (fiches projet): revisions, qualification, lifecycle and execution."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from domain import dates
from domain.accounts import has_role, require
from domain.base import LedgerAggregate, current_context, natural_id
from domain.errors import (
    InvalidDependency,
    InvalidTransition,
    InvalidValue,
    JustificationRequired,
    MandatoryWithoutLegalBasis,
    NotFound,
    NotReferentOfDirection,
    ReasonRequired,
    ScoreOnStaleRevision,
)
from domain.values import (
    DomainEnum,
    Role,
    Section,
    ValueObject,
    as_dict,
    as_list,
    code,
    enum_value,
    field_names,
    money,
    percent,
    positive_int,
    text,
    year,
)

if TYPE_CHECKING:
    from domain.plan import Plan


class Status(DomainEnum):
    """Lifecycle of a proposal."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    QUALIFIED = "qualified"
    ON_AGENDA = "on_agenda"
    APPROVED = "approved"
    APPROVED_WITH_CONDITIONS = "approved_with_conditions"
    DEFERRED = "deferred"
    REJECTED = "rejected"
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"

    @classmethod
    def names(cls, statuses: Collection[Status] | None = None) -> tuple[str, ...]:
        """The plain names of ``statuses`` (every status when None), in the order of
        the lifecycle, as the views, the pages and the API write them."""
        return tuple(s.value for s in cls if statuses is None or s in statuses)


# The status sets the rules name, in one place (the views, the optimiser, the
# exports and the pages take their names from here, with ``Status.names``).
APPROVED = {Status.APPROVED, Status.APPROVED_WITH_CONDITIONS}
DECIDED = {*APPROVED, Status.DEFERRED, Status.REJECTED}
# qualified and not decided for good: what a scenario may select
CANDIDATES = {Status.QUALIFIED, Status.ON_AGENDA, Status.DEFERRED}
# approved and not done yet: what the DSI executes
TO_EXECUTE = {*APPROVED, Status.PLANNED, Status.IN_PROGRESS}
# Where each action may start from (the lifecycle of PRODUCT.md).
TRANSITIONS: dict[str, set[Status]] = {
    "submit": {Status.DRAFT},
    "amend": {Status.DRAFT, Status.SUBMITTED, Status.QUALIFIED, Status.DEFERRED},
    "qualify": {Status.SUBMITTED, Status.QUALIFIED},
    "put_on_agenda": {Status.QUALIFIED, Status.DEFERRED},
    "take_off_agenda": {Status.ON_AGENDA},
    "decide": {Status.ON_AGENDA},
    "plan": APPROVED,
    "start": {Status.PLANNED},
    "complete": {Status.IN_PROGRESS},
    "withdraw": {Status.DRAFT, Status.SUBMITTED, Status.QUALIFIED, Status.DEFERRED},
    "cancel": TO_EXECUTE,
    "score": {Status.SUBMITTED, Status.QUALIFIED, Status.ON_AGENDA, Status.DEFERRED},
    "track": {Status.PLANNED, Status.IN_PROGRESS},
}


class ComponentKind(DomainEnum):
    """The four components of a joint initiative."""

    ORGANISATION = "organisation"
    SI = "si"
    RH = "rh"
    COMMUNICATION = "communication"


class DependencyKind(DomainEnum):
    """``requires`` (not before the other) or ``excludes`` (not both)."""

    REQUIRES = "requires"
    EXCLUDES = "excludes"


@dataclass(frozen=True)
class Component(ValueObject):
    """One component of the initiative: what it involves and who owns it."""

    kind: ComponentKind
    description: str
    owner: str


@dataclass(frozen=True)
class AxisLink(ValueObject):
    """A strategic axis (optionally an indicator) the proposal serves, and how."""

    axis: str
    indicator: str | None
    expected_effect: str


@dataclass(frozen=True)
class CostLine(ValueObject):
    """Estimated cost of one year in one budget section."""

    year: int
    section: Section
    amount: Decimal


@dataclass(frozen=True)
class WorkloadLine(ValueObject):
    """Workload of one team in one year, in person-days."""

    team: str
    year: int
    days: int


@dataclass(frozen=True)
class Dependency(ValueObject):
    """A dependency on another proposal."""

    kind: DependencyKind
    proposal: str


@dataclass(frozen=True)
class Risk(ValueObject):
    """A risk and its level (1 low … 4 critical)."""

    label: str
    level: int


@dataclass(frozen=True)
class ProposalContent(ValueObject):
    """Everything a referent writes in one revision of a proposal."""

    title: str
    description: str
    components: tuple[Component, ...]
    axes: tuple[AxisLink, ...]
    costs: tuple[CostLine, ...]
    workloads: tuple[WorkloadLine, ...]
    dependencies: tuple[Dependency, ...]
    mandatory: bool
    legal_basis: str
    risks: tuple[Risk, ...]

    @classmethod
    def parse(cls, raw: Any, proposal_code: str) -> ProposalContent:
        """Validate plain data (form, API, demo) into a content value."""
        data = as_dict(raw, "content", field_names(cls))
        content = cls(
            title=text(data.get("title"), "title", max_len=200),
            description=text(data.get("description"), "description", max_len=10_000),
            components=tuple(_parse_components(data.get("components"))),
            axes=tuple(
                AxisLink(
                    axis=code(d.get("axis"), f"axes[{i}].axis"),
                    indicator=code(d["indicator"], f"axes[{i}].indicator")
                    if d.get("indicator")
                    else None,
                    expected_effect=text(
                        d.get("expected_effect"),
                        f"axes[{i}].expected_effect",
                        max_len=1000,
                        required=False,
                    ),
                )
                for i, d in enumerate(_dicts(data.get("axes"), "axes", AxisLink))
            ),
            costs=parse_costs(data.get("costs")),
            workloads=parse_workloads(data.get("workloads")),
            dependencies=parse_dependencies(data.get("dependencies"), proposal_code),
            mandatory=_bool(data.get("mandatory", False), "mandatory"),
            legal_basis=text(
                data.get("legal_basis"), "legal_basis", max_len=500, required=False
            ),
            risks=parse_risks(data.get("risks")),
        )
        if content.mandatory and not content.legal_basis:
            raise MandatoryWithoutLegalBasis(
                field="legal_basis", proposal=proposal_code
            )
        return content


@dataclass(frozen=True)
class Qualification(ValueObject):
    """The DSI's estimates for one revision: costs, workloads, risks, dependencies."""

    revision: int
    costs: tuple[CostLine, ...]
    workloads: tuple[WorkloadLine, ...]
    risks: tuple[Risk, ...]
    dependencies: tuple[Dependency, ...]
    note: str


@dataclass(frozen=True)
class Milestone(ValueObject):
    """A milestone of an approved project: planned date, and actual date once reached."""

    code: str
    label: str
    planned: date
    actual: date | None = None


def _dicts(value: Any, field: str, cls: type[ValueObject]) -> list[dict[str, Any]]:
    """A list of records with the fields of ``cls`` (and no other)."""
    keys = field_names(cls)
    return [
        as_dict(v, f"{field}[{i}]", keys) for i, v in enumerate(as_list(value, field))
    ]


def _bool(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidValue(field, value, "vrai ou faux attendu")
    return value


def _parse_components(value: Any) -> list[Component]:
    comps = [
        Component(
            kind=enum_value(ComponentKind, d.get("kind"), f"components[{i}].kind"),
            description=text(
                d.get("description"),
                f"components[{i}].description",
                max_len=2000,
                required=False,
            ),
            owner=text(
                d.get("owner"), f"components[{i}].owner", max_len=120, required=False
            ),
        )
        for i, d in enumerate(_dicts(value, "components", Component))
    ]
    kinds = [c.kind for c in comps]
    if len(set(kinds)) != len(kinds):
        raise InvalidValue(
            "components", [k.value for k in kinds], "chaque volet une seule fois"
        )
    return sorted(comps, key=lambda c: list(ComponentKind).index(c.kind))


def parse_costs(value: Any) -> tuple[CostLine, ...]:
    """Yearly costs per section; one line per (year, section)."""
    lines = [
        CostLine(
            year=year(d.get("year"), f"costs[{i}].year"),
            section=enum_value(Section, d.get("section"), f"costs[{i}].section"),
            amount=money(d.get("amount"), f"costs[{i}].amount"),
        )
        for i, d in enumerate(_dicts(value, "costs", CostLine))
    ]
    keys = [(c.year, c.section) for c in lines]
    if len(set(keys)) != len(keys):
        raise InvalidValue(
            "costs",
            [f"{y} {s.value}" for y, s in keys],
            "une ligne par année et section",
        )
    return tuple(sorted(lines, key=lambda c: (c.year, c.section.value)))


def parse_workloads(value: Any) -> tuple[WorkloadLine, ...]:
    """Yearly workload per team; one line per (team, year)."""
    lines = [
        WorkloadLine(
            team=code(d.get("team"), f"workloads[{i}].team"),
            year=year(d.get("year"), f"workloads[{i}].year"),
            days=positive_int(d.get("days"), f"workloads[{i}].days"),
        )
        for i, d in enumerate(_dicts(value, "workloads", WorkloadLine))
    ]
    keys = [(w.team, w.year) for w in lines]
    if len(set(keys)) != len(keys):
        raise InvalidValue(
            "workloads", [f"{t} {y}" for t, y in keys], "une ligne par équipe et année"
        )
    return tuple(sorted(lines, key=lambda w: (w.team, w.year)))


def parse_dependencies(value: Any, proposal_code: str) -> tuple[Dependency, ...]:
    """Dependencies on other proposals (never on itself, each target once)."""
    deps = [
        Dependency(
            kind=enum_value(DependencyKind, d.get("kind"), f"dependencies[{i}].kind"),
            proposal=code(d.get("proposal"), f"dependencies[{i}].proposal"),
        )
        for i, d in enumerate(_dicts(value, "dependencies", Dependency))
    ]
    targets = [d.proposal for d in deps]
    if proposal_code in targets:
        raise InvalidDependency(
            field="dependencies",
            proposal=proposal_code,
            target=proposal_code,
            reason="une fiche ne dépend pas d'elle-même",
        )
    if len(set(targets)) != len(targets):
        raise InvalidDependency(
            field="dependencies",
            proposal=proposal_code,
            target=", ".join(targets),
            reason="cible en double",
        )
    return tuple(sorted(deps, key=lambda d: d.proposal))


def parse_risks(value: Any) -> tuple[Risk, ...]:
    risks = []
    for i, d in enumerate(_dicts(value, "risks", Risk)):
        level = d.get("level")
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 4:
            raise InvalidValue(
                f"risks[{i}].level", level, "niveau de 1 (faible) à 4 (critique)"
            )
        risks.append(
            Risk(
                label=text(d.get("label"), f"risks[{i}].label", max_len=300),
                level=level,
            )
        )
    return tuple(risks)


class Proposal(LedgerAggregate):
    """A proposal (fiche projet) from a direction, through its whole lifecycle."""

    def __init__(self) -> None:
        self.code = ""
        self.direction = ""
        self.referent = ""
        self.status = Status.DRAFT
        self.revisions: list[ProposalContent] = []
        self.qualification: Qualification | None = None
        self.session: str | None = None
        self.decisions: list[dict[str, Any]] = []
        self.milestones: dict[str, Milestone] = {}
        self.progress = Decimal(0)
        self.closing_reason: str | None = None
        # Who has a score sheet on it (the decision's evidence reads every sheet);
        # ``None`` for a proposal drafted before the list was kept.
        self.evaluators: list[str] | None = []
        # Proposals that declared excluding this one (checked when it is approved).
        self.excluded_by: list[str] = []
        self.started_on: date | None = None

    @staticmethod
    def id_for(proposal_code: str) -> UUID:
        return natural_id("proposal", proposal_code)

    @property
    def revision(self) -> int:
        return len(self.revisions)

    @property
    def content(self) -> ProposalContent:
        return self.revisions[-1]

    @property
    def current(self) -> Qualification | ProposalContent:
        """Where the current estimates come from (:func:`current_estimates`)."""
        q = self.qualification
        return current_estimates(
            self.content, q, q.revision if q else None, self.revision
        )

    @property
    def estimates(self) -> tuple[tuple[CostLine, ...], tuple[WorkloadLine, ...]]:
        """The current costs and workloads (:func:`current_estimates`)."""
        return self.current.costs, self.current.workloads

    @property
    def dependencies(self) -> tuple[Dependency, ...]:
        """The current dependencies (:func:`current_estimates`)."""
        return self.current.dependencies

    # --- events ----------------------------------------------------------------------

    class Drafted(LedgerAggregate.Created):
        code: str
        direction: str
        referent: str
        content: ProposalContent
        evaluators_listed: bool  # v2: the proposal lists its evaluators

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            # Drafted before proposals listed their evaluators (EvaluatorAdded):
            # the ledger finds the score sheets of such a proposal another way.
            state["evaluators_listed"] = False

        def apply(self, agg: Proposal) -> None:
            agg.code, agg.direction, agg.referent = (
                self.code,
                self.direction,
                self.referent,
            )
            agg.revisions = [self.content]
            agg.evaluators = [] if self.evaluators_listed else None

    class Amended(LedgerAggregate.Event):
        revision: int
        content: ProposalContent
        status: Status

        def apply(self, agg: Proposal) -> None:
            agg.revisions.append(self.content)
            _move(agg, self)

    class Submitted(LedgerAggregate.Event):
        def apply(self, agg: Proposal) -> None:
            _move(agg, self)

    class Qualified(LedgerAggregate.Event):
        qualification: Qualification

        def apply(self, agg: Proposal) -> None:
            agg.qualification = self.qualification
            _move(agg, self)

    class PutOnAgenda(LedgerAggregate.Event):
        session: str

        def apply(self, agg: Proposal) -> None:
            agg.session = self.session
            _move(agg, self)

    class TakenOffAgenda(LedgerAggregate.Event):
        session: str
        status: Status

        def apply(self, agg: Proposal) -> None:
            agg.session = None
            _move(agg, self)

    class Decided(LedgerAggregate.Event):
        session: str
        outcome: Status

        def apply(self, agg: Proposal) -> None:
            agg.decisions.append(
                {
                    "session": self.session,
                    "outcome": self.outcome.value,
                    "revision": agg.revision,
                }
            )
            agg.session = None
            _move(agg, self)

    class Planned(LedgerAggregate.Event):
        start: date
        end: date

        def apply(self, agg: Proposal) -> None:
            _move(agg, self)

    class Started(LedgerAggregate.Event):
        on: date

        def apply(self, agg: Proposal) -> None:
            _move(agg, self)
            agg.started_on = self.on

    class Completed(LedgerAggregate.Event):
        on: date

        def apply(self, agg: Proposal) -> None:
            _move(agg, self)
            agg.progress = Decimal(100)

    class Withdrawn(LedgerAggregate.Event):
        def apply(self, agg: Proposal) -> None:
            _move(agg, self)
            agg.closing_reason = self.context.reason

    class Cancelled(LedgerAggregate.Event):
        def apply(self, agg: Proposal) -> None:
            _move(agg, self)
            agg.closing_reason = self.context.reason

    class MilestoneSet(LedgerAggregate.Event):
        milestone: Milestone

        def apply(self, agg: Proposal) -> None:
            agg.milestones[self.milestone.code] = self.milestone

    class ProgressReported(LedgerAggregate.Event):
        percent: Decimal

        def apply(self, agg: Proposal) -> None:
            agg.progress = self.percent

    class EvaluatorAdded(LedgerAggregate.Event):
        evaluator: str

        def apply(self, agg: Proposal) -> None:
            if agg.evaluators is not None:
                agg.evaluators.append(self.evaluator)

    class ExcludedBy(LedgerAggregate.Event):
        proposal: str

        def apply(self, agg: Proposal) -> None:
            agg.excluded_by.append(self.proposal)

    # --- commands --------------------------------------------------------------------

    @classmethod
    def draft(
        cls, proposal_code: str, direction: str, content: ProposalContent
    ) -> Proposal:
        proposal_code = code(proposal_code, "code")
        _require_direction(direction, proposal_code, "rédiger une fiche")
        return cls._create(
            cls.Drafted,
            id=cls.id_for(proposal_code),
            code=proposal_code,
            direction=direction,
            referent=current_context().actor,
            content=content,
            evaluators_listed=True,
        )

    def check_may_link(self) -> None:
        """Who may set the applications and findings the proposal cites: its
        direction's referent or the DSI (``domain.findings.ProposalLinks``)."""
        _require_direction(self.direction, self.code, "lier une fiche au diagnostic")

    def amend(self, content: ProposalContent) -> None:
        _require_direction(self.direction, self.code, "amender une fiche")
        self._check("amend")
        if not current_context().reason:
            raise ReasonRequired("amender une fiche (nouvelle révision)")
        status = Status.DRAFT if self.status is Status.DRAFT else Status.SUBMITTED
        self.trigger_event(
            self.Amended, revision=self.revision + 1, content=content, status=status
        )

    def submit(self) -> None:
        _require_direction(self.direction, self.code, "soumettre une fiche")
        self._check("submit")
        self.trigger_event(self.Submitted)

    def qualify(self, qualification: Qualification) -> None:
        require("qualifier une fiche", Role.DSI)
        self._check("qualify")
        if qualification.revision != self.revision:
            raise InvalidValue(
                "revision",
                qualification.revision,
                f"la révision courante est {self.revision}",
            )
        self.trigger_event(self.Qualified, qualification=qualification)

    def put_on_agenda(self, session: str) -> None:
        self._check("put_on_agenda")
        self.trigger_event(self.PutOnAgenda, session=session)

    def take_off_agenda(self, session: str) -> None:
        self._check("take_off_agenda")
        back = (
            Status.DEFERRED
            if self.decisions and self.decisions[-1]["outcome"] == Status.DEFERRED.value
            else Status.QUALIFIED
        )
        self.trigger_event(self.TakenOffAgenda, session=session, status=back)

    def decide(self, session: str, outcome: Status) -> None:
        self._check("decide")
        if outcome not in DECIDED:
            raise InvalidValue(
                "outcome",
                outcome.value,
                "approuvé, approuvé sous conditions, ajourné ou rejeté",
            )
        self.trigger_event(self.Decided, session=session, outcome=outcome)

    def plan(self, start: Any, end: Any, horizon: Plan | None = None) -> None:
        """Plan the project: its start and end inside the plan's ``horizon``."""
        require("planifier un projet", Role.DSI)
        self._check("plan")
        s = dates.planned(start, "start", horizon)
        e = dates.planned(end, "end", horizon)
        dates.not_before(e, s, "end", "son début", "un projet planifié")
        self.trigger_event(self.Planned, start=s, end=e)

    def start(self, on: Any) -> None:
        require("démarrer un projet", Role.DSI)
        self._check("start")
        self.trigger_event(self.Started, on=dates.fact(on, "on", "un projet démarré"))

    def complete(self, on: Any) -> None:
        require("clore un projet", Role.DSI)
        self._check("complete")
        day = dates.fact(on, "on", "un projet réalisé")
        dates.not_before(
            day, self.started_on, "on", "son démarrage", "un projet réalisé"
        )
        self.trigger_event(self.Completed, on=day)

    def withdraw(self) -> None:
        _require_direction(self.direction, self.code, "retirer une fiche")
        self._check("withdraw")
        if not current_context().reason:
            raise ReasonRequired("retirer une fiche")
        self.trigger_event(self.Withdrawn)

    def cancel(self) -> None:
        require("annuler un projet", Role.DSI, Role.CHAIR)
        self._check("cancel")
        if not current_context().reason:
            raise ReasonRequired("annuler un projet")
        self.trigger_event(self.Cancelled)

    def set_milestone(
        self,
        milestone_code: str,
        label: str,
        planned: Any,
        actual: Any = None,
        horizon: Plan | None = None,
    ) -> None:
        """Plan a milestone (inside the plan's ``horizon``), reached or not yet."""
        require("suivre un projet", Role.DSI)
        self._check("track")
        m = Milestone(
            code=code(milestone_code, "milestone"),
            label=text(label, "label"),
            planned=dates.planned(planned, "planned", horizon),
            actual=_not_future(actual, "actual") if actual else None,
        )
        if self.milestones.get(m.code) != m:
            self.trigger_event(self.MilestoneSet, milestone=m)

    def reach_milestone(self, milestone_code: str, on: Any) -> None:
        require("suivre un projet", Role.DSI)
        self._check("track")
        m = self.milestones.get(milestone_code)
        if m is None:
            raise NotFound(kind="Jalon", id=f"{self.code}/{milestone_code}")
        self.trigger_event(
            self.MilestoneSet,
            milestone=Milestone(m.code, m.label, m.planned, _not_future(on, "on")),
        )

    def report_progress(self, value: Any) -> None:
        require("suivre un projet", Role.DSI)
        self._check("track")
        self.trigger_event(self.ProgressReported, percent=percent(value, "progress"))

    def add_evaluator(self, evaluator: str) -> None:
        """``evaluator`` opened a score sheet on this proposal."""
        if self.evaluators is not None and evaluator not in self.evaluators:
            self.trigger_event(self.EvaluatorAdded, evaluator=evaluator)

    def note_excluded_by(self, proposal_code: str) -> None:
        """``proposal_code`` declared excluding this proposal (so approving this one
        checks it too)."""
        if proposal_code not in self.excluded_by:
            self.trigger_event(self.ExcludedBy, proposal=proposal_code)

    def check_scorable(self, revision: int) -> None:
        """Scores concern the current revision of a proposal under evaluation."""
        self._check("score")
        if revision != self.revision:
            raise ScoreOnStaleRevision(
                field="revision",
                proposal=self.code,
                current=self.revision,
                revision=revision,
            )

    def _check(self, action: str) -> None:
        if self.status not in TRANSITIONS[action]:
            raise InvalidTransition(
                proposal=self.code, status=self.status.value, action=action
            )


# The status a proposal has after each of its events (None: the event keeps it). The
# aggregate applies it; the views, the audit trail and the demo read it here.
STATUS_AFTER: dict[type[LedgerAggregate.Event], Callable[[Any], Status] | None] = {
    Proposal.Drafted: lambda e: Status.DRAFT,
    Proposal.Amended: lambda e: e.status,  # draft stays draft, else submitted again
    Proposal.Submitted: lambda e: Status.SUBMITTED,
    Proposal.Qualified: lambda e: Status.QUALIFIED,
    Proposal.PutOnAgenda: lambda e: Status.ON_AGENDA,
    Proposal.TakenOffAgenda: lambda e: e.status,  # deferred again, else qualified
    Proposal.Decided: lambda e: e.outcome,
    Proposal.Planned: lambda e: Status.PLANNED,
    Proposal.Started: lambda e: Status.IN_PROGRESS,
    Proposal.Completed: lambda e: Status.DONE,
    Proposal.Withdrawn: lambda e: Status.WITHDRAWN,
    Proposal.Cancelled: lambda e: Status.CANCELLED,
    Proposal.MilestoneSet: None,
    Proposal.ProgressReported: None,
    Proposal.EvaluatorAdded: None,
    Proposal.ExcludedBy: None,
}


def status_after(event: Any) -> Status | None:
    """The status a proposal has after ``event``; None when the event keeps it."""
    after = STATUS_AFTER[type(event)]
    return None if after is None else after(event)


def _move(agg: Proposal, event: Any) -> None:
    status = status_after(event)
    if status is not None:
        agg.status = status


_Estimates = TypeVar("_Estimates")


def current_estimates(
    content: _Estimates,
    qualification: _Estimates | None,
    qualified_revision: int | None,
    revision: int,
) -> _Estimates:
    """Where a proposal's current estimates (costs, workloads, dependencies, risks)
    come from: the DSI's qualification when it is of the current ``revision``, else
    the referent's ``content`` (an amendment makes the DSI's figures stale). Works on
    the aggregate's values and on the views' documents alike."""
    if qualification is not None and qualified_revision == revision:
        return qualification
    return content


def _require_direction(direction: str, proposal_code: str, action: str) -> None:
    """Only the referent of the direction, or the DSI, acts on its proposals."""
    ctx = current_context()
    if has_role(ctx.roles, Role.DSI) or has_role(ctx.roles, Role.REFERENT, direction):
        return
    if not has_role(ctx.roles, Role.REFERENT):
        require(action, Role.REFERENT, Role.DSI)
    raise NotReferentOfDirection(
        actor=ctx.actor, direction=direction, proposal=proposal_code
    )


def _not_future(value: Any, field: str) -> date:
    """A date of something already done: not after the day the command is recorded."""
    return dates.fact(value, field, "un jalon atteint")


def justification(value: Any, what: str, field: str = "justification") -> str:
    """A required free-text justification."""
    out = text(value, field, max_len=4000, required=False)
    if not out:
        raise JustificationRequired(field=field, what=what)
    return out
