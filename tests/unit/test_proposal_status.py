"""A proposal's status after each of its events (``domain.proposals.STATUS_AFTER``) and
its current estimates (``current_estimates``), on the aggregate in memory."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from eventsourcing.domain import CanMutateAggregate
from hypothesis import given
from hypothesis import strategies as st

from domain.base import command_context
from domain.proposals import (
    STATUS_AFTER,
    CostLine,
    Proposal,
    ProposalContent,
    Qualification,
    Status,
    WorkloadLine,
    current_estimates,
    status_after,
)
from domain.values import CommandContext, Section

AT = datetime(2030, 6, 1, 9, 0, tzinfo=UTC)


@contextmanager
def acting(reason: str | None = "motif") -> Iterator[None]:
    """A command of the DSI and the chair (who may do every step of the lifecycle)."""
    ctx = CommandContext(
        actor="dsi.chair",
        roles=("dsi", "chair"),
        at=AT,
        origin="cli",
        command="test",
        key="k",
        reason=reason,
    )
    with command_context(ctx):
        yield


def content(amount: str = "1000.00", days: int = 10) -> ProposalContent:
    return ProposalContent(
        title="Projet",
        description="",
        components=(),
        axes=(),
        costs=(CostLine(2031, Section.INVESTMENT, Decimal(amount)),),
        workloads=(WorkloadLine("T1", 2031, days),),
        dependencies=(),
        mandatory=False,
        legal_basis="",
        risks=(),
    )


def qualification(revision: int, amount: str = "2000.00") -> Qualification:
    return Qualification(
        revision=revision,
        costs=(CostLine(2031, Section.INVESTMENT, Decimal(amount)),),
        workloads=(WorkloadLine("T1", 2031, 20),),
        risks=(),
        dependencies=(),
        note="DSI",
    )


def proposal_events() -> set[type]:
    return {
        attr
        for name in dir(Proposal)
        if isinstance(attr := getattr(Proposal, name), type)
        and issubclass(attr, CanMutateAggregate)
        and attr not in (Proposal.Event, Proposal.Created)  # the library's bases
    }


def test_status_after_names_every_proposal_event() -> None:
    assert set(STATUS_AFTER) == proposal_events()


def step(p: Proposal, action: Any) -> list[tuple[str, str]]:
    """Run ``action`` on ``p``: each new event's name and the status after it, which
    must be the aggregate's (``status_after``, or unchanged when it is None)."""
    before = p.status
    with acting():
        action(p)
    seen = []
    for e in p.collect_events():
        after = status_after(e)
        expected = before if after is None else after
        seen.append((type(e).__name__, expected.value))
        before = expected
    assert p.status is before
    return seen


def test_the_status_after_each_event_of_a_whole_lifecycle() -> None:
    with acting():
        p = Proposal.draft("P1", "DSN", content())
    assert [(type(e).__name__, status_after(e)) for e in p.collect_events()] == [
        ("Drafted", Status.DRAFT)
    ]
    walk = [
        (lambda p: p.amend(content("900.00")), [("Amended", "draft")]),
        (lambda p: p.submit(), [("Submitted", "submitted")]),
        (lambda p: p.qualify(qualification(2)), [("Qualified", "qualified")]),
        (lambda p: p.amend(content("800.00")), [("Amended", "submitted")]),
        (lambda p: p.qualify(qualification(3)), [("Qualified", "qualified")]),
        (lambda p: p.put_on_agenda("S1"), [("PutOnAgenda", "on_agenda")]),
        (lambda p: p.take_off_agenda("S1"), [("TakenOffAgenda", "qualified")]),
        (lambda p: p.put_on_agenda("S1"), [("PutOnAgenda", "on_agenda")]),
        (lambda p: p.decide("S1", Status.DEFERRED), [("Decided", "deferred")]),
        (lambda p: p.put_on_agenda("S2"), [("PutOnAgenda", "on_agenda")]),
        (lambda p: p.take_off_agenda("S2"), [("TakenOffAgenda", "deferred")]),
        (lambda p: p.put_on_agenda("S2"), [("PutOnAgenda", "on_agenda")]),
        (lambda p: p.decide("S2", Status.APPROVED), [("Decided", "approved")]),
        (
            lambda p: p.plan(date(2030, 1, 1), date(2031, 12, 31)),
            [("Planned", "planned")],
        ),
        (lambda p: p.start(date(2030, 2, 1)), [("Started", "in_progress")]),
        (
            lambda p: p.set_milestone("M1", "Jalon", date(2030, 9, 1)),
            [("MilestoneSet", "in_progress")],
        ),
        (
            lambda p: p.report_progress("40"),
            [("ProgressReported", "in_progress")],
        ),
        (lambda p: p.add_evaluator("eva"), [("EvaluatorAdded", "in_progress")]),
        (lambda p: p.note_excluded_by("P9"), [("ExcludedBy", "in_progress")]),
        (lambda p: p.complete(date(2030, 5, 1)), [("Completed", "done")]),
    ]
    for action, expected in walk:
        assert step(p, action) == expected


def test_withdrawn_and_cancelled_are_the_statuses_after_their_events() -> None:
    with acting():
        p = Proposal.draft("P2", "DSN", content())
        p.collect_events()
    assert step(p, lambda p: p.withdraw()) == [("Withdrawn", "withdrawn")]
    with acting():
        q = Proposal.draft("P3", "DSN", content())
        q.submit()
        q.qualify(qualification(1))
        q.put_on_agenda("S1")
        q.decide("S1", Status.APPROVED_WITH_CONDITIONS)
        q.collect_events()
    assert step(q, lambda p: p.cancel()) == [("Cancelled", "cancelled")]


def test_current_estimates_are_the_dsi_s_for_the_current_revision_only() -> None:
    with acting():
        p = Proposal.draft("P4", "DSN", content("1000.00"))
    assert p.estimates[0][0].amount == Decimal("1000.00")  # the referent's
    with acting():
        p.submit()
        p.qualify(qualification(1, "2000.00"))
    assert p.current is p.qualification
    assert p.estimates[0][0].amount == Decimal("2000.00")  # the DSI's
    assert p.estimates[1][0].days == 20
    with acting():
        p.amend(content("1500.00"))
    # the DSI's figures were of revision 1: the referent's new ones stand
    assert p.current is p.content
    assert p.estimates[0][0].amount == Decimal("1500.00")


def test_current_estimates_on_the_views_documents() -> None:
    content_doc = {"costs": ["referent"]}
    q_doc = {"costs": ["dsi"], "revision": 2}
    assert current_estimates(content_doc, q_doc, 2, 2) is q_doc
    assert current_estimates(content_doc, q_doc, 2, 3) is content_doc
    assert current_estimates(content_doc, None, None, 1) is content_doc


@given(
    st.integers(1, 20),
    st.one_of(st.none(), st.integers(1, 20)),
)
def test_the_qualification_stands_exactly_when_it_is_of_the_current_revision(
    revision: int, qualified: int | None
) -> None:
    referent, dsi = object(), object()
    got = current_estimates(
        referent, None if qualified is None else dsi, qualified, revision
    )
    assert got is (dsi if qualified == revision else referent)


def test_status_sets_are_named_once_in_the_order_of_the_lifecycle() -> None:
    from domain.arbitration import ACTIVE
    from domain.proposals import CANDIDATES, DECIDED, TO_EXECUTE, TRANSITIONS
    from optimiser import inputs

    assert Status.names(DECIDED) == (
        "approved",
        "approved_with_conditions",
        "deferred",
        "rejected",
    )
    assert Status.names(CANDIDATES) == inputs.CANDIDATE_STATUSES
    assert inputs.CANDIDATE_STATUSES == ("qualified", "on_agenda", "deferred")
    assert Status.names(ACTIVE) == inputs.EXISTING_STATUSES
    assert Status.names(TO_EXECUTE) == (
        "approved",
        "approved_with_conditions",
        "planned",
        "in_progress",
    )
    assert TRANSITIONS["cancel"] == TO_EXECUTE
    assert Status.names()[0] == "draft" and len(Status.names()) == len(Status)
