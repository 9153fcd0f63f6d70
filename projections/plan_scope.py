"""Which plan a view shows: the plan in force, or a plan that ended, as it was.

A plan that a new one followed is read *as it stood when it ended*: its views are
those as of the position just before the next plan was adopted (the ``plan`` document
keeps that position), or as of an earlier moment if one is asked. Once a municipality
has had more than one plan, the portfolio of a plan shows its own proposals (those
it carried over and those drafted under it). The budget shows every year: the years
of earlier plans stay open to execution (commitments, payments, DMs) after a new
plan, so what is recorded on them appears in the plan in force; a plan that ended,
read at its end, shows its budget as it was then. With a single plan nothing is
filtered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.errors import NotFound
from projections import queries as q
from projections.paging import Page
from projections.store import ViewStore


@dataclass(frozen=True)
class PlanScope:
    """The plan a store shows, and what of the views belongs to it."""

    plan: dict[str, Any] | None
    members: frozenset[str] | None  # proposals of the plan; None: every proposal
    plans: tuple[dict[str, Any], ...] = ()  # every plan, as the live views list them


def plans(store: ViewStore) -> list[dict[str, Any]]:
    """Every plan, oldest first: number, name, horizon, whether it is the current
    one, and for a plan that ended the position and time its views end at."""
    return _plans_of(q.plan(store))


def _plans_of(doc: dict[str, Any] | None) -> list[dict[str, Any]]:
    if doc is None:
        return []
    out = [
        {
            "number": p.get("number", 1),
            "name": p["name"],
            "first_year": p["first_year"],
            "last_year": p["last_year"],
            "current": False,
            "ended_position": p["ended_position"],
            "ended_at": p["ended_at"],
        }
        for p in doc.get("previous", [])
    ]
    out.append(
        {
            "number": doc.get("number", 1),
            "name": doc["name"],
            "first_year": doc["first_year"],
            "last_year": doc["last_year"],
            "current": True,
            "ended_position": None,
            "ended_at": None,
        }
    )
    return out


def as_of_for(read_model: Any, as_of: str | None, number: int | None) -> str | None:
    """The moment to read plan ``number`` at (``None``: the plan in force at
    ``as_of``): a plan that ended is read at its end, or at ``as_of`` if earlier.
    An unknown plan, or one not yet adopted at ``as_of``, is :class:`NotFound`."""
    if number is None:
        return as_of
    found = {p["number"]: p for p in plans(read_model.at(None))}
    plan = found.get(number)
    if plan is None:
        raise NotFound(field="plan", kind="Plan", id=f"n° {number}")
    if plan["ended_position"] is not None:
        end = int(plan["ended_position"])
        at = end if as_of is None else min(read_model.position_of(as_of), end)
        as_of = f"position:{at}"
    shown = q.plan(read_model.at(as_of))
    if shown is None or shown.get("number", 1) != number:
        raise NotFound(field="plan", kind="Plan", id=f"n° {number}")
    return as_of


def position_asked(read_model: Any, as_of: str | None) -> int | None:
    """The position a request reads at (``None``: now)."""
    return read_model.position_of(as_of) if as_of else None


def scope(
    store: ViewStore, live: ViewStore | None = None, at_position: int | None = None
) -> PlanScope:
    """The plan ``store`` shows (the one in force at its moment), described as of
    the moment asked (``at_position``; ``None``: now, from ``live``): a plan that
    ended after that moment is described as it stood then (still in force)."""
    doc = q.plan(store)
    if doc is None:
        return PlanScope(None, None, tuple(plans(live)) if live is not None else ())
    listed = _plans_of(doc)
    shown = listed[-1]
    if live is not None and live is not store:
        listed = plans(live)
        now = {p["number"]: p for p in listed}.get(shown["number"], shown)
        ended = now["ended_position"]
        if ended is not None and (at_position is None or int(ended) < at_position):
            shown = now
    members = frozenset(doc["members"]) if "members" in doc else None
    return PlanScope(shown, members, tuple(listed))


def portfolio(
    store: ViewStore,
    live: ViewStore | None = None,
    at_position: int | None = None,
    **filters: Any,
) -> tuple[PlanScope, list[dict[str, Any]]]:
    """The portfolio of the plan ``store`` shows, ranked among its own proposals."""
    shown = scope(store, live, at_position)
    return shown, q.portfolio(store, members=shown.members, **filters)


def portfolio_page(
    store: ViewStore,
    live: ViewStore | None,
    at_position: int | None,
    page: Page,
    **filters: Any,
) -> tuple[PlanScope, list[dict[str, Any]], int, Page]:
    """One page of :func:`portfolio`, the number of proposals, and the page read."""
    shown = scope(store, live, at_position)
    rows, count, read = q.portfolio_page(store, page, members=shown.members, **filters)
    return shown, rows, count, read


def portfolio_sorted(
    store: ViewStore,
    live: ViewStore | None,
    at_position: int | None,
    sort: str | None,
    **filters: Any,
) -> tuple[PlanScope, list[dict[str, Any]]]:
    """Every proposal of :func:`portfolio_page`'s list, sorted alike (an export)."""
    shown = scope(store, live, at_position)
    return shown, q.portfolio_sorted(store, sort, members=shown.members, **filters)


def value_risk_points(
    store: ViewStore, shown: PlanScope, **filters: Any
) -> list[tuple[Any, ...]]:
    """The value/risk chart's points of the plan shown (see ``q.value_risk_points``)."""
    return q.value_risk_points(store, members=shown.members, **filters)


def budget(
    store: ViewStore,
    live: ViewStore | None = None,
    at_position: int | None = None,
    **filters: Any,
) -> tuple[PlanScope, dict[str, Any]]:
    """The budget ``store`` shows: every year, those of the plans it followed
    included — money is still committed, paid and adjusted on their years after
    a new plan (a plan that ended, read at its end, shows nothing done since)."""
    return scope(store, live, at_position), q.budget_consumption(store, **filters)


def budget_page(
    store: ViewStore,
    live: ViewStore | None,
    at_position: int | None,
    page: Page,
    **filters: Any,
) -> tuple[PlanScope, dict[str, Any], int, Page]:
    """:func:`budget` with one page of its lines, totals summed by the database."""
    data, count, read = q.budget_summary(store, page, **filters)
    return scope(store, live, at_position), data, count, read
