"""Votes: the count, which way they lean, and a decision that departs from them
(``domain.sessions``), as the decision rule, the views, the demo and the pages use
them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidValue
from domain.proposals import APPROVED, Status
from domain.sessions import (
    Choice,
    Decision,
    QuorumRule,
    count_votes,
    departs_from_majority,
    majority,
)

DECISIONS = ("approved", "approved_with_conditions", "deferred", "rejected")


@pytest.mark.parametrize(
    ("outcome", "votes_for", "votes_against", "departs"),
    [
        ("approved", 3, 1, False),
        ("approved_with_conditions", 3, 1, False),
        ("deferred", 3, 1, True),
        ("rejected", 3, 1, True),
        ("approved", 1, 3, True),
        ("approved_with_conditions", 1, 3, True),
        ("deferred", 1, 3, False),
        ("rejected", 1, 3, False),
        ("approved", 2, 2, False),  # a tie leaves the chair free
        ("rejected", 2, 2, False),
        ("approved", 0, 0, False),  # no vote, or abstentions only
        ("rejected", 0, 0, False),
    ],
)
def test_a_decision_departs_from_the_majority_only_against_it(
    outcome: str, votes_for: int, votes_against: int, departs: bool
) -> None:
    assert departs_from_majority(outcome, votes_for, votes_against) is departs
    assert departs_from_majority(Status(outcome), votes_for, votes_against) is departs


@given(st.sampled_from(DECISIONS), st.integers(0, 50), st.integers(0, 50))
def test_departing_is_approving_against_the_lean_of_the_votes(
    outcome: str, votes_for: int, votes_against: int
) -> None:
    favourable = Status(outcome) in APPROVED
    lean = majority(votes_for, votes_against)
    expected = (votes_for > votes_against and not favourable) or (
        votes_against > votes_for and favourable
    )
    assert departs_from_majority(outcome, votes_for, votes_against) is expected
    assert lean is (
        Choice.FOR
        if votes_for > votes_against
        else Choice.AGAINST
        if votes_against > votes_for
        else None
    )
    # swapping the votes and the sense of the outcome departs alike
    mirror = "rejected" if favourable else "approved"
    assert departs_from_majority(mirror, votes_against, votes_for) is expected


def test_the_recorded_decision_says_whether_it_departs() -> None:
    def decision(outcome: Status, votes_for: int, votes_against: int) -> Decision:
        return Decision(
            proposal="P1",
            outcome=outcome,
            rationale="r",
            ap_amount=None,
            cp=(),
            conditions="",
            justification="",
            scenario=None,
            votes_for=votes_for,
            votes_against=votes_against,
            abstentions=1,
            present_voting=5,
            quorum_required=3,
            grid_version=None,
            revision=1,
        )

    assert decision(Status.REJECTED, 3, 1).departs_from_majority is True
    assert decision(Status.APPROVED, 3, 1).departs_from_majority is False
    assert decision(Status.DEFERRED, 1, 1).departs_from_majority is False


def test_votes_are_counted_for_against_and_abstaining() -> None:
    assert count_votes([]) == (0, 0, 0)
    assert count_votes(["for", "against", "for", "abstain", "for"]) == (3, 1, 1)
    assert count_votes([Choice.AGAINST, "against", Choice.ABSTAIN]) == (0, 2, 1)
    with pytest.raises(InvalidValue):
        count_votes(["maybe"])


@given(st.lists(st.sampled_from(["for", "against", "abstain"]), max_size=40))
def test_every_vote_is_counted_once(choices: list[str]) -> None:
    votes_for, against, abstain = count_votes(choices)
    assert votes_for + against + abstain == len(choices)
    assert (votes_for, against, abstain) == (
        choices.count("for"),
        choices.count("against"),
        choices.count("abstain"),
    )


@pytest.mark.parametrize(
    ("kind", "value", "members", "required"),
    [
        ("majority", "0", 5, 3),
        ("majority", "0", 4, 3),
        ("count", "2", 7, 2),
        ("fraction", "0.5", 5, 3),
        ("fraction", "0.3333", 9, 3),
        ("fraction", "1", 6, 6),
    ],
)
def test_the_quorum_required(
    kind: str, value: str, members: int, required: int
) -> None:
    assert QuorumRule(kind, Decimal(value)).required(members) == required
