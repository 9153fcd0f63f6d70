"""The plan's cycle: extending the plan in force, and the next plan following it.

A new plan ends the current one as it stands (its views stay readable as of that
moment) and takes over:

- the projects approved, planned or in progress, with their AP, their workload and
  their *remaining* CP: a year's CP is consumed by what is committed on it; what is
  left of each year before the new plan's first year *and already over* moves,
  section by section, to that first year (the usual carry-over of *restes à
  réaliser*); the current calendar year keeps its CP (a plan adopted in December
  leaves it executable), CP of later years stay where they are. The envelopes
  follow: the old years' allocations drop to what was consumed, the first year's
  envelope receives the carried CP (now if it is voted, else when its BP is
  voted), flagged when it goes beyond the envelope;
- the open axes and indicators, which continue (their targets for the new years are
  set as usual);
- a draft of the grid in force to revise, then adopt (none when a draft exists).
"""

from __future__ import annotations

from typing import Any

from eventsourcing.utils import get_topic

from domain.axes import Axis, Indicator
from domain.budget import Envelope, ProjectBudget
from domain.entities import split_amount
from domain.errors import NoPlan
from domain.grids import GridVersion
from domain.organisation import Team
from domain.plan import Plan
from domain.proposals import APPROVED, Proposal, Status
from ledger.commands.budget import CARRY_REASON, BudgetCommands
from ledger.commands.organisation import Lookups
from ledger.core import Caller, CommandResult, Unit
from ledger.idempotency import command
from ledger.queries import iter_events

CARRIED = frozenset({*APPROVED, Status.PLANNED, Status.IN_PROGRESS})
# Proposals not yet decided (or deferred): they continue under the next plan.
PENDING = frozenset(
    {
        Status.DRAFT,
        Status.SUBMITTED,
        Status.QUALIFIED,
        Status.ON_AGENDA,
        Status.DEFERRED,
    }
)
# Proposals whose costs no longer hold the plan's horizon.
DEAD = frozenset({Status.WITHDRAWN, Status.REJECTED, Status.CANCELLED})
# Events whose years are "costed": the plan may not end before the last of them.
COSTED = [
    get_topic(cls)
    for cls in (
        Proposal.Drafted,
        Proposal.Amended,
        Proposal.Qualified,
        ProjectBudget.APVoted,
        ProjectBudget.APRevised,
        ProjectBudget.CarriedOver,
        Envelope.BudgetVoted,
        Team.WorkloadReserved,
    )
]


class PlanCycleCommands(BudgetCommands):
    """Extend the plan in force; adopt the plan that follows it."""

    @command()
    def extend_plan(self, caller: Caller, last_year: int) -> CommandResult:
        """Give the plan a new last year (reason required); never before a year
        already costed."""

        def body(unit: Unit) -> dict[str, Any]:
            plan = self._current_plan(unit, "prolonger le plan")
            plan.extend(last_year, self.costed_until())
            return _plan(plan)

        return self.execute("extend_plan", caller, body)

    def costed_until(self) -> int | None:
        """The last year anything live is costed in: a proposal's costs or workload
        (any revision, any qualification), a CP, an envelope, a reservation — those
        of a proposal withdrawn, rejected or cancelled no longer count."""
        last: int | None = None
        dead = self._dead_proposals()
        for _nid, event in iter_events(self, COSTED):
            if _proposal_of(event) in dead:
                continue
            for y in _years(event):
                last = y if last is None or y > last else last
        return last

    def _dead_proposals(self) -> set[Any]:
        """The proposals withdrawn, rejected or cancelled, by code and by id."""
        dead: set[Any] = set()
        for code in self._proposals():
            proposal = self.load(Proposal, Proposal.id_for(code))
            if proposal is not None and proposal.status in DEAD:
                dead |= {code, proposal.id, ProjectBudget.id_for(code)}
        return dead

    @command()
    def follow_plan(
        self, caller: Caller, name: str, first_year: int, last_year: int
    ) -> CommandResult:
        """Adopt the next plan (reason required): the current one ends as it
        stands; approved and running projects carry over with their AP, remaining
        CP and workload; proposals not yet decided continue; axes, indicators and a
        draft of the grid follow."""

        def body(unit: Unit) -> dict[str, Any]:
            plan = self._current_plan(unit, "adopter le plan suivant")
            first, _last = plan.check_successor(first_year, last_year)
            number = plan.number + 1
            reason = CARRY_REASON.format(number=plan.number, last_year=plan.last_year)
            carried, pending = [], []
            for code in self._proposals():
                proposal = Lookups.proposal(unit, code)
                if proposal.status in PENDING:
                    pending.append(code)
                if proposal.status not in CARRIED:
                    continue
                carried.append(code)
                budget = unit.find(ProjectBudget, ProjectBudget.id_for(code))
                if budget is None:
                    continue
                shares = budget.entity_shares()
                for line in budget.carry_over(number, first):
                    for y in (line.year, first):
                        parts = split_amount(budget.cp_of(y, line.section), shares)
                        for entity, part in parts.items():
                            envelope = unit.find(
                                Envelope, Envelope.id_for(y, line.section, entity)
                            )
                            if envelope is not None:
                                envelope.carry_in(code, part, reason)
            axes, indicators = self._open_strategy()
            grid = self._grid_to_revise(unit, name)
            plan.follow(
                name, first, last_year, carried, pending, axes, indicators, grid
            )
            return {
                **_plan(plan),
                "projects": carried,
                "pending": pending,
                "grid": grid,
            }

        return self.execute("follow_plan", caller, body)

    def _current_plan(self, unit: Unit, action: str) -> Plan:
        plan = Lookups.plan(unit)
        if plan is None:
            raise NoPlan(field="plan", action=action)
        return plan

    def _proposals(self) -> list[str]:
        """Every proposal ever drafted."""
        topic = [get_topic(Proposal.Drafted)]
        return sorted({e.code for _nid, e in iter_events(self, topic)})

    def _open_strategy(self) -> tuple[list[str], list[str]]:
        """The open axes and indicators."""
        kinds = (Axis.Created, Axis.Closed, Indicator.Created, Indicator.Closed)
        axes: dict[Any, tuple[str, bool]] = {}
        indicators: dict[Any, tuple[str, bool]] = {}
        for _nid, e in iter_events(self, [get_topic(k) for k in kinds]):
            found = axes if isinstance(e, Axis.Created | Axis.Closed) else indicators
            if isinstance(e, Axis.Created | Indicator.Created):
                found[e.originator_id] = (e.code, True)
            else:
                found[e.originator_id] = (found[e.originator_id][0], False)
        return (
            sorted(c for c, still in axes.values() if still),
            sorted(c for c, still in indicators.values() if still),
        )

    def _grid_to_revise(self, unit: Unit, plan_name: str) -> int | None:
        """The draft grid the new plan revises: a new draft copied from the grid in
        force, or the draft already there (None without any grid)."""
        number = 1
        latest = None
        while (grid := unit.find(GridVersion, GridVersion.id_for(number))) is not None:
            latest = grid
            number += 1
        if latest is None:
            return None
        if not latest.adopted:
            return latest.number
        draft = GridVersion.draft(number, f"Grille — {plan_name}"[:200], latest)
        return unit.add(draft).number


def _plan(plan: Plan) -> dict[str, Any]:
    return {
        "number": plan.number,
        "name": plan.name,
        "first_year": plan.first_year,
        "last_year": plan.last_year,
    }


def _proposal_of(event: Any) -> Any:
    """The proposal a costed event is about: the id of the proposal or of its AP,
    a reservation's proposal code; None for an envelope."""
    if isinstance(event, Team.WorkloadReserved):
        return event.proposal
    if isinstance(event, Envelope.BudgetVoted):
        return None
    return event.originator_id


def _years(event: Any) -> list[int]:
    if isinstance(event, Proposal.Drafted | Proposal.Amended):
        lines: Any = [*event.content.costs, *event.content.workloads]
    elif isinstance(event, Proposal.Qualified):
        q = event.qualification
        lines = [*q.costs, *q.workloads]
    elif isinstance(
        event,
        ProjectBudget.APVoted | ProjectBudget.APRevised | ProjectBudget.CarriedOver,
    ):
        lines = event.cp
    else:  # an envelope, a reservation
        return [event.year]
    return [line.year for line in lines]
