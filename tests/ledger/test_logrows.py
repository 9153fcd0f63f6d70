"""The checks of ``ledger.logrows`` on their own: versions against a plain model, ids
read while events keep coming, the listing cap."""

from __future__ import annotations

from uuid import uuid4

from hypothesis import given
from hypothesis import strategies as st

import verifier
from ledger.logrows import (
    ABOVE_HEAD,
    DUPLICATE_VERSION,
    ROWS_LISTED,
    VERSION_GAP,
    listed,
    row_problems,
)
from ledger.sealstore import LogRow

AGGREGATES = [str(uuid4()) for _ in range(3)]


def model(rows: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """(kind, position) of every problem, by the rule itself: in log order, a
    version seen before is a duplicate; any other that is not the highest seen + 1
    (versions start at 1) is a gap."""
    seen: dict[str, set[int]] = {}
    out = []
    for position, (aggregate, version) in enumerate(rows, start=1):
        versions = seen.setdefault(aggregate, set())
        if version in versions and version >= 1:
            out.append((DUPLICATE_VERSION, position))
        elif version != max({0, *versions}) + 1:
            out.append((VERSION_GAP, position))
        versions.add(version)
    return out


@given(
    st.lists(st.tuples(st.sampled_from(AGGREGATES), st.integers(-1, 6)), max_size=30)
)
def test_version_problems_are_exactly_the_rules(rows: list[tuple[str, int]]) -> None:
    found = row_problems(LogRow(p, a, v) for p, (a, v) in enumerate(rows, start=1))
    assert [(p.kind, p.position) for p in found] == model(rows)


@given(
    st.lists(st.tuples(st.sampled_from(AGGREGATES), st.integers(-1, 6)), max_size=30)
)
def test_the_independent_verifier_names_the_same_version_problems(
    rows: list[tuple[str, int]],
) -> None:
    class Lines:
        def lines(self, name: str) -> list[dict[str, object]]:
            assert name == "events.jsonl"
            return [{"originator_id": a, "originator_version": v} for a, v in rows]

    ours = row_problems(LogRow(p, a, v) for p, (a, v) in enumerate(rows, start=1))
    theirs = verifier.version_problems(Lines())  # type: ignore[arg-type]
    assert [(p.kind, p.position, p.detail) for p in theirs] == [
        (p.kind, p.position, p.detail) for p in listed(ours)
    ]


def test_ids_issued_while_the_log_is_read_are_not_above_the_head() -> None:
    """The sequence is read again before a row above it is named."""
    reads = iter([3, 6, 6])
    aggregate = str(uuid4())
    rows = [LogRow(i, aggregate, i, i) for i in range(1, 6)]
    rows.append(LogRow(6, aggregate, 6, 2**62))
    found = list(row_problems(rows, issued=lambda: next(reads)))
    assert [(p.kind, p.position) for p in found] == [(ABOVE_HEAD, 6)]
    assert "(the last issued is 6)" in found[0].detail


def test_problems_beyond_the_first_hundred_are_counted() -> None:
    aggregate = str(uuid4())
    rows = (LogRow(p, aggregate, 1) for p in range(1, ROWS_LISTED + 12))
    found = listed(row_problems(rows))
    assert len(found) == ROWS_LISTED + 1
    assert (found[-1].kind, found[-1].position, found[-1].detail) == (
        DUPLICATE_VERSION,
        ROWS_LISTED + 2,
        "and 10 more problems of ids, aggregate ids or versions",
    )
