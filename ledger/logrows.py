"""What the seals cannot see: each row's id, aggregate id and version, in log order.

A leaf is computed from an event's canonical aggregate id, so two textual forms of one
UUID seal alike; and sealing checks nothing between the events of one aggregate. The
guards of ``ledger/migrations.py`` refuse such rows; a database whose owner removed
them may hold some anyway. These checks read the log once more — its ids, aggregate
ids and versions only — and name every row that breaks a rule, by position:

- ``version gap``: an aggregate's versions follow each other in log order (1, 2, 3…):
  "version 5 after 3" (4 is missing) or "version 2 first";
- ``duplicate version``: a version its aggregate already has;
- ``non-canonical id`` (SQLite): an aggregate id stored otherwise than as the 32
  lower-case hex digits the recorder writes and looks up — the log and the seals see
  the aggregate, the write side does not;
- ``id above the head``: an id the database never issued (PostgreSQL: beyond its
  sequence, so later events get smaller ids, which followers skip; SQLite: not the
  previous id + 1, as SQLite gives them).

Bundles hold positions, not ids: they get the version checks only. Memory: one entry
per aggregate (its last version), more only for an aggregate already found broken.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ledger.checks import Problem
from ledger.leaf import LeafError, canonical_id
from ledger.sealstore import LogRow

VERSION_GAP = "version gap"
DUPLICATE_VERSION = "duplicate version"
NON_CANONICAL = "non-canonical id"
ABOVE_HEAD = "id above the head"
ROWS_LISTED = 100  # problems named one by one; the rest are counted
_STORED_FORM = re.compile(r"^[0-9a-f]{32}$")  # how the SQLite recorder stores a UUID


class VersionCheck:
    """Versions in log order: each is the last one of its aggregate + 1."""

    def __init__(self) -> None:
        self._upto: dict[str, int] = {}  # versions 1..n all seen
        self._beyond: dict[str, set[int]] = {}  # seen above n (broken aggregates)

    def feed(self, position: int, aggregate: str, version: int) -> Problem | None:
        """The problem with ``version`` of ``aggregate`` at ``position``, if any."""
        upto = self._upto.get(aggregate, 0)
        beyond = self._beyond.get(aggregate)
        if beyond is None and version == upto + 1:
            self._upto[aggregate] = version
            return None
        beyond = beyond if beyond is not None else set()
        last = max(upto, max(beyond, default=0))
        problem: Problem | None = None
        if 1 <= version <= upto or version in beyond:
            problem = Problem(
                DUPLICATE_VERSION,
                position,
                f"aggregate {aggregate}: duplicate version {version}, already stored"
                " before this position",
            )
        elif version == last + 1:
            pass  # the next one, after a break already named
        elif last == 0:
            problem = Problem(
                VERSION_GAP,
                position,
                f"aggregate {aggregate}: version {version} first, versions start at 1",
            )
        else:
            problem = Problem(
                VERSION_GAP,
                position,
                f"aggregate {aggregate}: version {version} after {last}"
                + (
                    f", version {last + 1} is missing"
                    if version == last + 2
                    else f", versions {last + 1}..{version - 1} are missing"
                    if version > last + 2
                    else ", out of order"
                ),
            )
        if version > upto:
            beyond.add(version)
        while upto + 1 in beyond:
            upto += 1
            beyond.discard(upto)
        self._upto[aggregate] = upto
        if beyond:
            self._beyond[aggregate] = beyond
        else:
            self._beyond.pop(aggregate, None)
        return problem


def _aggregate(originator_id: Any) -> str | None:
    try:
        return canonical_id(originator_id)
    except LeafError:
        return None  # the leaf cannot be computed either: the log check names it


def _version(value: Any) -> int | None:
    """An integer version, or None (as JSON or SQLite may hold: text, a float…)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def row_problems(
    rows: Iterable[LogRow],
    *,
    sqlite: bool = False,
    issued: Callable[[], int | None] | None = None,
) -> Iterator[Problem]:
    """Every problem of ``rows`` (the log, in order), row by row.

    ``sqlite``: ids follow each other and aggregate ids are stored as 32 hex digits;
    ``issued``: reads the last id the PostgreSQL sequence issued (ids above it were
    never issued) — read again before naming a row above it, as events keep coming
    while the log is read. Bundle rows have no id: give neither.
    """
    versions = VersionCheck()
    previous_id = 0
    last_issued = issued() if issued is not None else None
    for row in rows:
        nid = row.notification_id
        if (
            nid is not None
            and issued is not None
            and last_issued is not None
            and nid > last_issued
        ):
            last_issued = issued()  # the sequence only grows
        if nid is not None and sqlite and nid != previous_id + 1:
            yield Problem(
                ABOVE_HEAD,
                row.position,
                f"{_who(row)} is stored with id {nid} after id {previous_id}: SQLite"
                f" gives each event the next id ({previous_id + 1})",
            )
        elif nid is not None and last_issued is not None and nid > last_issued:
            yield Problem(
                ABOVE_HEAD,
                row.position,
                f"{_who(row)} is stored with id {nid}, which its sequence never"
                f" issued (the last issued is {last_issued}): later events get"
                " smaller ids, which followers skip",
            )
        if nid is not None:
            previous_id = nid
        aggregate = _aggregate(row.originator_id)
        if aggregate is None:
            continue
        if sqlite and not (
            isinstance(row.originator_id, str) and _STORED_FORM.match(row.originator_id)
        ):
            yield Problem(
                NON_CANONICAL,
                row.position,
                f"{_who(row)} is stored under the aggregate id {row.originator_id!r},"
                f" not {aggregate.replace('-', '')!r}: the log counts it in its"
                " aggregate, the write side does not see it",
            )
        version = _version(row.version)
        if version is None:
            yield Problem(
                VERSION_GAP,
                row.position,
                f"aggregate {aggregate}: version {row.version!r} is not a number",
            )
            continue
        problem = versions.feed(row.position, aggregate, version)
        if problem is not None:
            yield problem


def listed(problems: Iterable[Problem]) -> list[Problem]:
    """The first :data:`ROWS_LISTED` problems, then one counting the rest."""
    out: list[Problem] = []
    more = 0
    first_more: Problem | None = None
    for problem in problems:
        if len(out) < ROWS_LISTED:
            out.append(problem)
            continue
        first_more = first_more or problem
        more += 1
    if first_more is not None:
        out.append(
            Problem(
                first_more.kind,
                first_more.position,
                f"and {more} more problems of ids, aggregate ids or versions",
            )
        )
    return out


def _who(row: LogRow) -> str:
    aggregate = _aggregate(row.originator_id) or repr(row.originator_id)
    return f"event {aggregate} version {row.version}"
