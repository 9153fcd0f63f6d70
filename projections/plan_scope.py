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
from projections.store import ViewStore


@dataclass(frozen=True)
class PlanScope:
    """The plan a store shows, and what of the views belongs to it."""

    plan: dict[str, Any] | None
    members: frozenset[str] | None  # proposals of the plan; None: every proposal


def plans(store: ViewStore) -> list[dict[str, Any]]:
    """Every plan, oldest first: number, name, horizon, whether it is the current
    one, and for a plan that ended the position and time its views end at."""
    doc = q.plan(store)
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
        return PlanScope(None, None)
    shown = plans(store)[-1]
    if live is not None and live is not store:
        now = {p["number"]: p for p in plans(live)}.get(shown["number"], shown)
        ended = now["ended_position"]
        if ended is not None and (at_position is None or int(ended) < at_position):
            shown = now
    members = frozenset(doc["members"]) if "members" in doc else None
    return PlanScope(shown, members)


def portfolio(
    store: ViewStore,
    live: ViewStore | None = None,
    at_position: int | None = None,
    **filters: Any,
) -> tuple[PlanScope, list[dict[str, Any]]]:
    """The portfolio of the plan ``store`` shows, ranked among its own proposals."""
    shown = scope(store, live, at_position)
    rows = q.portfolio(store, **filters)
    if shown.members is None:
        return shown, rows
    rows = [r for r in rows if r["code"] in shown.members]
    values = [r["value"] for r in rows if r["value"] is not None]
    for row in rows:
        value = row["value"]
        row["rank"] = None if value is None else 1 + sum(v > value for v in values)
    return shown, rows


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
