"""The one rule set for the dates and years a command takes.

Every date or year a command receives is one of these kinds, and each kind has its
rules (checked before any event, naming the field):

- a **fact** (a phase started or done, a project started or done, a milestone
  reached, a grid adopted, an indicator measured, a budget or a DM voted, a
  commitment, a payment): not after the day the command is recorded (its UTC date,
  ``DateInFuture``);
- a **planned** date (a project's start and end, a milestone's planned date, a
  phase's schedule, a session's day): inside the plan's horizon, 1 January of its
  first year to 31 December of its last (``DateOutsideHorizon``);
- a **year** of money or workload (costs, workloads, capacities, envelopes, CP,
  commitments, indicator targets, scenario windows): inside the horizon
  (``YearOutsideHorizon``, ``Plan.check_year``);
- an **order**: an end is not before its start, a later step not before the earlier
  one (a project done after it started, a payment after its commitment, a DM after
  its BP; ``DatesOutOfOrder``).

Budget commands need the plan (its horizon bounds their years): without one they
are refused with ``NoPlan``.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol, TypeVar

from domain.base import current_context
from domain.errors import DateInFuture, DateOutsideHorizon, DatesOutOfOrder, NoPlan
from domain.values import iso_date


class Horizon(Protocol):
    """What the date rules read of the plan (``domain.plan.Plan``): its years. A
    protocol, so that this module, which the plan imports, does not import it."""

    first_year: int
    last_year: int


H = TypeVar("H", bound=Horizon)


def today() -> date:
    """The day the command is recorded (UTC)."""
    return current_context().at.date()


def fact(value: Any, field: str, what: str) -> date:
    """The date of something done: not after the day it is recorded."""
    day = iso_date(value, field)
    now = today()
    if day > now:
        raise DateInFuture(
            field=field, date=day.isoformat(), today=now.isoformat(), what=what
        )
    return day


def planned(value: Any, field: str, plan: Horizon | None) -> date:
    """A planned date: inside the plan's horizon (any date while there is no plan)."""
    day = iso_date(value, field)
    if plan is not None and not plan.first_year <= day.year <= plan.last_year:
        raise DateOutsideHorizon(
            field=field,
            date=day.isoformat(),
            first=plan.first_year,
            last=plan.last_year,
        )
    return day


def not_before(
    day: date, earlier: date | None, field: str, before_what: str, what: str
) -> date:
    """``day`` is not before ``earlier`` (the start, the earlier step)."""
    if earlier is not None and day < earlier:
        raise DatesOutOfOrder(
            field=field,
            date=day.isoformat(),
            before=earlier.isoformat(),
            before_what=before_what,
            what=what,
        )
    return day


def required_plan(plan: H | None, action: str, field: str = "year") -> H:
    """The plan a budget command needs."""
    if plan is None:
        raise NoPlan(field=field, action=action)
    return plan
