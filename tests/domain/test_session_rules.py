"""COPIL sessions: convening, agenda, attendance, votes, the chair's decisions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from domain.budget import CPLine, Envelope, ProjectBudget
from domain.errors import (
    AccountDisabled,
    AlreadyDecided,
    AlreadyExists,
    AlreadyOnAgenda,
    BudgetNotVoted,
    DecisionAmountsInvalid,
    DepartsFromMajority,
    DepartsFromScenario,
    InvalidValue,
    JustificationRequired,
    MemberAbsent,
    NotAllowed,
    NotAMember,
    NotAVotingMember,
    NotFound,
    NotOnAgenda,
    NotTheChair,
    QuorumNotMet,
    SessionAlreadyOpen,
    SessionClosed,
    SessionNotOpen,
    UndecidedItems,
    YearOutsideHorizon,
)
from domain.proposals import Proposal, Status
from domain.scoring import CriterionScore, Evidence
from domain.sessions import Choice, Decision, QuorumRule, Session, SessionStatus
from domain.values import Family, Section
from ledger.app import Ledger
from tests.domain.builders import (
    ADMIN,
    CHAIR,
    INV,
    NON_VOTING,
    VOTING,
    YEAR,
    Town,
    by,
    cp,
    events_since,
    names_since,
    refused,
)


def session(ledger: Ledger, code: str = "S1") -> Session:
    loaded = ledger.load(Session, Session.id_for(code))
    assert loaded is not None
    return loaded


def status_of(ledger: Ledger, code: str = "P1") -> Status:
    loaded = ledger.load(Proposal, Proposal.id_for(code))
    assert loaded is not None
    return loaded.status


def open_with_item(town: Town, present: list[str] | None = None) -> str:
    """Session S1 open with P1 (qualified) on its agenda."""
    s = town.on_agenda("P1", town.convene("S1"))
    return town.open(s, present)


# --- convening ------------------------------------------------------------------------


def test_chair_convenes_a_session_with_voting_members_and_quorum_rule(
    ledger: Ledger, town: Town
) -> None:
    town.convene("S1", quorum={"kind": "count", "value": 2})
    s = session(ledger)
    assert (s.code, s.chair, s.on, s.status) == (
        "S1",
        "chair",
        date(YEAR, 3, 11),
        SessionStatus.CONVENED,
    )
    assert (s.voting, s.non_voting, s.quorum, s.quorum_required) == (
        sorted(VOTING),
        NON_VOTING,
        QuorumRule("count", Decimal(2)),
        2,
    )


def test_only_a_chair_convenes(ledger: Ledger, town: Town) -> None:
    with refused(ledger, NotAllowed) as err:
        ledger.convene_session(by("m1"), "S1", "COPIL", "2025-03-11", VOTING)
    assert err.value.params["action"] == "convoquer une séance"


def test_voting_member_outside_the_copil_is_refused(ledger: Ledger, town: Town) -> None:
    with refused(ledger, InvalidValue) as err:
        ledger.convene_session(CHAIR, "S1", "COPIL", "2025-03-11", ["m1", "eval1"])
    assert (err.value.field, err.value.params["value"]) == ("voting", "eval1")


def test_member_with_no_account_is_refused(ledger: Ledger, town: Town) -> None:
    with refused(ledger, NotFound) as err:
        ledger.convene_session(CHAIR, "S1", "COPIL", "2025-03-11", ["m1", "ghost"])
    assert err.value.params == {"kind": "Compte", "id": "ghost"}


def test_session_without_voting_member_is_refused(ledger: Ledger, town: Town) -> None:
    with refused(ledger, InvalidValue) as err:
        ledger.convene_session(CHAIR, "S1", "COPIL", "2025-03-11", [], ["fin"])
    assert err.value.field == "voting"


def test_member_both_voting_and_non_voting_is_refused(
    ledger: Ledger, town: Town
) -> None:
    with refused(ledger, InvalidValue) as err:
        ledger.convene_session(CHAIR, "S1", "COPIL", "2025-03-11", ["m1"], ["m1"])
    assert (err.value.field, err.value.params["value"]) == ("non_voting", ["m1"])


def test_impossible_or_malformed_quorum_rule_is_refused(
    ledger: Ledger, town: Town
) -> None:
    for quorum in (
        {"kind": "count", "value": 5},
        {"kind": "fraction", "value": "1.5"},
        {"kind": "fraction", "value": "0"},
        "all",
        3,
    ):
        with refused(ledger, InvalidValue) as err:
            ledger.convene_session(
                CHAIR, "S1", "COPIL", "2025-03-11", VOTING, [], quorum
            )
        assert err.value.field == "quorum"


def test_session_code_is_unique(ledger: Ledger, town: Town) -> None:
    town.convene("S1")
    with refused(ledger, AlreadyExists) as err:
        town.convene("S1")
    assert err.value.params == {"kind": "Séance", "id": "S1"}


# --- agenda ---------------------------------------------------------------------------


def test_qualified_proposal_is_put_on_the_agenda(ledger: Ledger, town: Town) -> None:
    town.qualified("P1")
    town.convene("S1")
    head = ledger.head()
    ledger.add_agenda_item(CHAIR, "S1", "P1")
    assert names_since(ledger, head) == ["Session.ItemAdded", "Proposal.PutOnAgenda"]
    assert (session(ledger).agenda, status_of(ledger)) == (["P1"], Status.ON_AGENDA)


def test_item_is_on_an_agenda_once(ledger: Ledger, town: Town) -> None:
    s = town.on_agenda("P1", town.convene("S1"))
    with refused(ledger, AlreadyOnAgenda) as err:
        ledger.add_agenda_item(CHAIR, s, "P1")
    assert err.value.params == {"proposal": "P1", "session": "S1"}


def test_only_the_session_chair_sets_its_agenda(ledger: Ledger, town: Town) -> None:
    town.qualified("P1")
    town.convene("S1")
    with refused(ledger, NotTheChair) as err:
        ledger.add_agenda_item(by("chair2"), "S1", "P1")
    assert err.value.params == {"actor": "chair2", "session": "S1"}
    assert err.value.status == 403


def test_item_is_removed_before_the_session_opens(ledger: Ledger, town: Town) -> None:
    s = town.on_agenda("P1", town.convene("S1"))
    ledger.remove_agenda_item(CHAIR, s, "P1")
    assert (session(ledger).agenda, status_of(ledger)) == ([], Status.QUALIFIED)


def test_item_is_not_removed_once_the_session_is_open(
    ledger: Ledger, town: Town
) -> None:
    s = open_with_item(town)
    with refused(ledger, SessionAlreadyOpen) as err:
        ledger.remove_agenda_item(CHAIR, s, "P1")
    assert err.value.params == {
        "session": "S1",
        "what": "retirer un point de l'ordre du jour",
    }


def test_removing_an_item_not_on_the_agenda_is_refused(
    ledger: Ledger, town: Town
) -> None:
    town.qualified("P1")
    town.convene("S1")
    with refused(ledger, NotOnAgenda) as err:
        ledger.remove_agenda_item(CHAIR, "S1", "P1")
    assert err.value.params == {"proposal": "P1", "session": "S1"}


def test_closed_session_refuses_a_new_item(ledger: Ledger, town: Town) -> None:
    town.decided("P1", "rejected")
    ledger.close_session(CHAIR, "S1")
    town.qualified("P2")
    with refused(ledger, SessionClosed) as err:
        ledger.add_agenda_item(CHAIR, "S1", "P2")
    assert err.value.params == {"session": "S1"}


def test_closed_session_refuses_to_open_again(ledger: Ledger, town: Town) -> None:
    town.decided("P1", "rejected")
    ledger.close_session(CHAIR, "S1")
    with refused(ledger, SessionClosed):
        town.open("S1")


# --- opening and attendance -----------------------------------------------------------


def test_session_opens_with_its_attendance(ledger: Ledger, town: Town) -> None:
    open_with_item(town, ["chair", "m1", "m2", "fin"])
    s = session(ledger)
    assert (s.status, s.present, s.present_voting, s.quorum_met) == (
        SessionStatus.OPEN,
        ["chair", "fin", "m1", "m2"],
        3,
        True,
    )


def test_session_opens_once(ledger: Ledger, town: Town) -> None:
    s = open_with_item(town)
    with refused(ledger, SessionAlreadyOpen) as err:
        town.open(s)
    assert err.value.params == {"session": "S1", "what": "l'ouvrir à nouveau"}


def test_attendance_of_a_stranger_is_refused(ledger: Ledger, town: Town) -> None:
    town.convene("S1")
    with refused(ledger, NotAMember) as err:
        town.open("S1", ["chair", "eval1"])
    assert err.value.field == "present"
    assert err.value.params == {"member": "eval1", "session": "S1"}


def test_only_the_session_chair_opens_it(ledger: Ledger, town: Town) -> None:
    town.convene("S1")
    with refused(ledger, NotTheChair):
        ledger.open_session(by("chair2"), "S1", VOTING)
    with refused(ledger, NotAllowed):
        ledger.open_session(by("m1"), "S1", VOTING)


def test_member_arrives_and_leaves_during_the_session(
    ledger: Ledger, town: Town
) -> None:
    s = open_with_item(town, ["chair", "m1"])
    ledger.set_attendance(CHAIR, s, "m2", True)
    ledger.set_attendance(CHAIR, s, "m1", False)
    assert session(ledger).present == ["chair", "m2"]


def test_attendance_changes_only_in_an_open_session(ledger: Ledger, town: Town) -> None:
    town.convene("S1")
    with refused(ledger, SessionNotOpen) as err:
        ledger.set_attendance(CHAIR, "S1", "m1", True)
    assert err.value.params == {"session": "S1", "status": "convened"}


# --- votes ----------------------------------------------------------------------------


def test_present_voting_member_votes(ledger: Ledger, town: Town) -> None:
    s = open_with_item(town)
    head = ledger.head()
    result = ledger.cast_vote(by("m1"), s, "P1", "for")
    assert names_since(ledger, head) == ["Session.VoteCast"]
    assert result.data == {
        "session": "S1",
        "proposal": "P1",
        "for": 1,
        "against": 0,
        "abstain": 0,
    }
    assert session(ledger).votes == {"P1": {"m1": Choice.FOR}}


def test_changed_vote_supersedes_and_both_votes_are_kept(
    ledger: Ledger, town: Town
) -> None:
    s = open_with_item(town)
    head = ledger.head()
    ledger.cast_vote(by("m1"), s, "P1", "for")
    ledger.cast_vote(by("m1"), s, "P1", "against")
    votes = [(e.member, e.choice) for e in events_since(ledger, head)]
    assert votes == [("m1", Choice.FOR), ("m1", Choice.AGAINST)]
    current = session(ledger)
    assert (current.votes, current.superseded_votes) == (
        {"P1": {"m1": Choice.AGAINST}},
        1,
    )
    assert current.tally("P1") == (0, 1, 0)


def test_same_vote_twice_writes_nothing(ledger: Ledger, town: Town) -> None:
    s = open_with_item(town)
    ledger.cast_vote(by("m1"), s, "P1", "for")
    head = ledger.head()
    ledger.cast_vote(by("m1"), s, "P1", "for")
    assert ledger.head() == head


def test_absent_member_cannot_vote(ledger: Ledger, town: Town) -> None:
    s = open_with_item(town, ["chair", "m1", "m2"])
    with refused(ledger, MemberAbsent) as err:
        ledger.cast_vote(by("m3"), s, "P1", "for")
    assert err.value.params == {"member": "m3", "session": "S1"}


def test_non_voting_member_cannot_vote(ledger: Ledger, town: Town) -> None:
    s = open_with_item(town)
    with refused(ledger, NotAVotingMember) as err:
        ledger.cast_vote(by("fin"), s, "P1", "for")
    assert err.value.params == {"member": "fin", "session": "S1"}


def test_stranger_to_the_session_cannot_vote(ledger: Ledger, town: Town) -> None:
    s = open_with_item(town)
    with refused(ledger, NotAMember) as err:
        ledger.cast_vote(by("chair2"), s, "P1", "for")
    assert err.value.params == {"member": "chair2", "session": "S1"}


def test_a_member_whose_role_was_revoked_no_longer_votes(
    ledger: Ledger, town: Town
) -> None:
    """Out of office since the session was convened: the seat stays in the
    session's list, but its vote is refused (and it was not counted)."""
    s = open_with_item(town)
    ledger.revoke_role(ADMIN, "m1", "member")
    with refused(ledger, NotAVotingMember) as err:
        ledger.cast_vote(by("m1"), s, "P1", "for")
    assert err.value.params == {"member": "m1", "session": "S1"}
    assert session(ledger).votes == {}
    ledger.grant_role(ADMIN, "m1", "member")  # back in office: votes again
    ledger.cast_vote(by("m1"), s, "P1", "for")
    assert session(ledger).votes == {"P1": {"m1": Choice.FOR}}


def test_a_disabled_account_is_never_counted_present(
    ledger: Ledger, town: Town
) -> None:
    town.on_agenda("P1", town.convene("S1"))
    ledger.disable_user(ADMIN, "m2")
    with refused(ledger, AccountDisabled) as err:
        town.open("S1", ["chair", "m1", "m2"])
    assert err.value.field == "present"
    assert err.value.params == {"username": "m2"}
    town.open("S1", ["chair", "m1", "m3"])
    with refused(ledger, AccountDisabled) as err:
        ledger.set_attendance(CHAIR, "S1", "m2", True)
    assert err.value.params == {"username": "m2"}
    ledger.set_attendance(CHAIR, "S1", "m1", False)  # leaving needs no check
    assert session(ledger).present == ["chair", "m3"]


def test_vote_before_the_session_opens_is_refused(ledger: Ledger, town: Town) -> None:
    s = town.on_agenda("P1", town.convene("S1"))
    with refused(ledger, SessionNotOpen):
        ledger.cast_vote(by("m1"), s, "P1", "for")


def test_vote_on_an_item_not_on_the_agenda_is_refused(
    ledger: Ledger, town: Town
) -> None:
    s = open_with_item(town)
    with refused(ledger, NotOnAgenda) as err:
        ledger.cast_vote(by("m1"), s, "P2", "for")
    assert err.value.params == {"proposal": "P2", "session": "S1"}


def test_vote_after_the_decision_is_refused(ledger: Ledger, town: Town) -> None:
    town.decided("P1", "rejected")
    with refused(ledger, AlreadyDecided) as err:
        ledger.cast_vote(by("m1"), "S1", "P1", "against")
    assert err.value.params == {"proposal": "P1", "session": "S1"}


def test_vote_in_a_closed_session_is_refused(ledger: Ledger, town: Town) -> None:
    town.decided("P1", "rejected")
    ledger.close_session(CHAIR, "S1")
    with refused(ledger, SessionClosed):
        ledger.cast_vote(by("m1"), "S1", "P1", "against")


def test_unknown_vote_choice_is_refused(ledger: Ledger, town: Town) -> None:
    s = open_with_item(town)
    with refused(ledger, InvalidValue) as err:
        ledger.cast_vote(by("m1"), s, "P1", "pour")
    assert (err.value.field, err.value.params["value"]) == ("choice", "pour")


# --- decisions ------------------------------------------------------------------------


def test_chair_approves_with_quorum_and_the_ap_cp_follow(
    ledger: Ledger, town: Town
) -> None:
    town.adopt_grid()
    town.envelope(YEAR, INV, "500000.00")
    town.envelope(YEAR + 1, INV, "500000.00")
    s = open_with_item(town)
    for member in ("chair", "m1", "m2"):
        ledger.cast_vote(by(member), s, "P1", "for")
    ledger.cast_vote(by("m3"), s, "P1", "abstain")
    head = ledger.head()
    schedule = cp((YEAR, INV, "60000.00"), (YEAR + 1, INV, "40000.00"))
    ledger.record_decision(
        CHAIR, s, "P1", "approved", "valeur élevée", ap_amount="100000.00", cp=schedule
    )
    assert names_since(ledger, head) == [
        "Session.DecisionRecorded",
        "Proposal.Decided",
        "Envelope.Allocated",
        "Envelope.Allocated",
        "ProjectBudget.APVoted",
    ]
    lines = (
        CPLine(YEAR, Section.INVESTMENT, Decimal("60000.00")),
        CPLine(YEAR + 1, Section.INVESTMENT, Decimal("40000.00")),
    )
    assert session(ledger).decisions["P1"] == Decision(
        proposal="P1",
        outcome=Status.APPROVED,
        rationale="valeur élevée",
        ap_amount=Decimal("100000.00"),
        cp=lines,
        conditions="",
        justification="",
        scenario=None,
        votes_for=3,
        votes_against=0,
        abstentions=1,
        present_voting=4,
        quorum_required=3,
        grid_version=1,
        revision=1,
        evidence=Evidence(
            grid_version=1,
            revision=1,
            evaluators=0,
            criteria=tuple(
                CriterionScore(code, family, 0, 0, None, None, None)
                for code, family in (
                    ("RISK1", Family.RISK),
                    ("VAL1", Family.VALUE),
                    ("VAL2", Family.VALUE),
                )
            ),
            value=None,
            risk=None,
        ),
    )
    assert status_of(ledger) is Status.APPROVED
    budget = ledger.load(ProjectBudget, ProjectBudget.id_for("P1"))
    assert budget is not None
    assert (budget.ap, budget.cp) == (
        Decimal("100000.00"),
        {
            f"{YEAR}/investissement": Decimal("60000.00"),
            f"{YEAR + 1}/investissement": Decimal("40000.00"),
        },
    )
    envelope = ledger.load(Envelope, Envelope.id_for(YEAR, Section.INVESTMENT))
    assert envelope is not None and envelope.allocations == {"P1": Decimal("60000.00")}


def test_only_the_session_chair_decides(ledger: Ledger, town: Town) -> None:
    s = open_with_item(town)
    with refused(ledger, NotTheChair) as err:
        ledger.record_decision(by("chair2"), s, "P1", "rejected", "r")
    assert err.value.params == {"actor": "chair2", "session": "S1"}
    with refused(ledger, NotAllowed):
        ledger.record_decision(by("m1"), s, "P1", "rejected", "r")


def test_decision_without_quorum_is_refused(ledger: Ledger, town: Town) -> None:
    s = open_with_item(town, ["chair", "m1", "fin"])
    with refused(ledger, QuorumNotMet) as err:
        ledger.record_decision(CHAIR, s, "P1", "rejected", "valeur insuffisante")
    assert err.value.params == {"session": "S1", "present": 2, "required": 3}


def test_decision_is_refused_once_quorum_is_lost(ledger: Ledger, town: Town) -> None:
    s = open_with_item(town, ["chair", "m1", "m2"])
    ledger.set_attendance(CHAIR, s, "m2", False)
    with refused(ledger, QuorumNotMet):
        ledger.record_decision(CHAIR, s, "P1", "rejected", "valeur insuffisante")


def test_decision_outside_an_open_session_is_refused(
    ledger: Ledger, town: Town
) -> None:
    s = town.on_agenda("P1", town.convene("S1"))
    with refused(ledger, SessionNotOpen):
        ledger.record_decision(CHAIR, s, "P1", "rejected", "r")


def test_second_decision_on_an_item_is_refused(ledger: Ledger, town: Town) -> None:
    town.decided("P1", "deferred")
    with refused(ledger, AlreadyDecided):
        ledger.record_decision(CHAIR, "S1", "P1", "rejected", "r")


def test_decision_on_an_item_not_on_the_agenda_is_refused(
    ledger: Ledger, town: Town
) -> None:
    s = open_with_item(town)
    town.qualified("P2")
    with refused(ledger, NotOnAgenda):
        ledger.record_decision(CHAIR, s, "P2", "rejected", "r")


def test_decision_without_rationale_is_refused(ledger: Ledger, town: Town) -> None:
    s = open_with_item(town)
    with refused(ledger, JustificationRequired) as err:
        ledger.record_decision(CHAIR, s, "P1", "rejected", " ")
    assert err.value.field == "rationale"
    assert err.value.params == {"what": "motivation de la décision"}


def test_decision_with_an_outcome_that_is_no_decision_is_refused(
    ledger: Ledger, town: Town
) -> None:
    s = open_with_item(town)
    with refused(ledger, InvalidValue) as err:
        ledger.record_decision(CHAIR, s, "P1", "planned", "r")
    assert (err.value.field, err.value.params["value"]) == ("outcome", "planned")


def test_decision_against_the_vote_majority_without_justification_is_refused(
    ledger: Ledger, town: Town
) -> None:
    s = open_with_item(town)
    for member in ("m1", "m2"):
        ledger.cast_vote(by(member), s, "P1", "for")
    ledger.cast_vote(by("m3"), s, "P1", "against")
    with refused(ledger, DepartsFromMajority) as err:
        ledger.record_decision(CHAIR, s, "P1", "rejected", "enveloppe insuffisante")
    assert err.value.field == "justification"
    assert err.value.params == {
        "outcome": "rejected",
        "proposal": "P1",
        "votes_for": 2,
        "votes_against": 1,
    }


def test_decision_against_the_vote_majority_is_recorded_with_its_justification(
    ledger: Ledger, town: Town
) -> None:
    s = open_with_item(town)
    for member in ("m1", "m2"):
        ledger.cast_vote(by(member), s, "P1", "against")
    town.envelope()
    ledger.record_decision(
        CHAIR,
        s,
        "P1",
        "approved",
        "obligation légale",
        ap_amount="100000.00",
        cp=cp((YEAR, INV, "100000.00")),
        justification="Obligation RGAA : la présidence passe outre le vote",
    )
    decision = session(ledger).decisions["P1"]
    assert (decision.outcome, decision.votes_against, decision.justification) == (
        Status.APPROVED,
        2,
        "Obligation RGAA : la présidence passe outre le vote",
    )


def test_tied_vote_needs_no_justification(ledger: Ledger, town: Town) -> None:
    s = open_with_item(town)
    ledger.cast_vote(by("m1"), s, "P1", "for")
    ledger.cast_vote(by("m2"), s, "P1", "against")
    ledger.record_decision(CHAIR, s, "P1", "deferred", "à retravailler")
    assert status_of(ledger) is Status.DEFERRED


def test_conditional_approval_without_conditions_is_refused(
    ledger: Ledger, town: Town
) -> None:
    town.envelope()
    s = open_with_item(town)
    with refused(ledger, JustificationRequired) as err:
        ledger.record_decision(
            CHAIR,
            s,
            "P1",
            "approved_with_conditions",
            "intérêt confirmé",
            ap_amount="100000.00",
            cp=cp((YEAR, INV, "100000.00")),
        )
    assert err.value.field == "conditions"
    assert err.value.params == {"what": "conditions de l'approbation"}


def test_conditional_approval_keeps_its_conditions(ledger: Ledger, town: Town) -> None:
    town.decided("P1", "approved_with_conditions")
    decision = session(ledger).decisions["P1"]
    assert (decision.outcome, decision.conditions) == (
        Status.APPROVED_WITH_CONDITIONS,
        "cadrage détaillé au prochain COPIL",
    )


def test_cp_schedule_not_totalling_the_ap_is_refused(
    ledger: Ledger, town: Town
) -> None:
    town.envelope()
    s = open_with_item(town)
    with refused(ledger, DecisionAmountsInvalid) as err:
        ledger.record_decision(
            CHAIR,
            s,
            "P1",
            "approved",
            "r",
            ap_amount="100000.00",
            cp=cp((YEAR, INV, "90000.00")),
        )
    assert err.value.field == "cp"
    assert err.value.params == {
        "proposal": "P1",
        "reason": "le total des CP (90000.00 €) diffère de l'AP (100000.00 €)",
    }


def test_approval_with_a_zero_ap_is_refused(ledger: Ledger, town: Town) -> None:
    s = open_with_item(town)
    with refused(ledger, DecisionAmountsInvalid) as err:
        ledger.record_decision(CHAIR, s, "P1", "approved", "r", ap_amount="0", cp=[])
    assert err.value.field == "ap_amount"


def test_approval_without_an_ap_amount_is_refused(ledger: Ledger, town: Town) -> None:
    s = open_with_item(town)
    with refused(ledger, InvalidValue) as err:
        ledger.record_decision(CHAIR, s, "P1", "approved", "r")
    assert err.value.field == "ap_amount"


@pytest.mark.parametrize("outcome", ["rejected", "deferred"])
def test_rejection_or_deferral_granting_amounts_is_refused(
    ledger: Ledger, town: Town, outcome: str
) -> None:
    town.envelope()
    s = open_with_item(town)
    for amounts in ({"ap_amount": "1000.00"}, {"cp": cp((YEAR, INV, "1000.00"))}):
        with refused(ledger, DecisionAmountsInvalid) as err:
            ledger.record_decision(CHAIR, s, "P1", outcome, "r", **amounts)
        assert err.value.field == "ap_amount"
        assert err.value.params == {
            "proposal": "P1",
            "reason": f"une décision « {outcome} » n'accorde ni AP ni CP",
        }


@pytest.mark.parametrize("outcome", ["rejected", "deferred"])
def test_rejection_or_deferral_grants_no_ap(
    ledger: Ledger, town: Town, outcome: str
) -> None:
    town.decided("P1", outcome)
    decision = session(ledger).decisions["P1"]
    assert (decision.ap_amount, decision.cp) == (None, ())
    assert ledger.load(ProjectBudget, ProjectBudget.id_for("P1")) is None


def test_cp_in_a_year_without_voted_budget_is_refused(
    ledger: Ledger, town: Town
) -> None:
    s = open_with_item(town)
    with refused(ledger, BudgetNotVoted) as err:
        ledger.record_decision(
            CHAIR,
            s,
            "P1",
            "approved",
            "r",
            ap_amount="1000.00",
            cp=cp((YEAR, INV, "1000.00")),
        )
    assert err.value.field == "cp"
    assert err.value.params == {"year": YEAR, "section": "investissement"}


def test_cp_outside_the_plan_horizon_is_refused(ledger: Ledger, town: Town) -> None:
    s = open_with_item(town)
    with refused(ledger, YearOutsideHorizon) as err:
        ledger.record_decision(
            CHAIR,
            s,
            "P1",
            "approved",
            "r",
            ap_amount="1000.00",
            cp=cp((2030, INV, "1000.00")),
        )
    assert err.value.field == "cp[0].year"


def test_decision_citing_an_unknown_scenario_is_refused(
    ledger: Ledger, town: Town
) -> None:
    s = open_with_item(town)
    with refused(ledger, InvalidValue) as err:
        ledger.record_decision(CHAIR, s, "P1", "rejected", "r", scenario="SC-1")
    assert (err.value.field, err.value.params["value"]) == ("scenario", "SC-1")


class FakeOptimiser:
    """Stands for the optimiser's recommendations (scenario -> selected proposals)."""

    def __init__(self, selected: dict[str, set[str]]) -> None:
        self.selected = selected

    def __call__(self, unit: Any, scenario: str | None, proposal: str) -> bool | None:
        if scenario is None:
            return None
        return proposal in self.selected[scenario]


def test_decision_departing_from_the_scenario_without_justification_is_refused(
    ledger: Ledger, town: Town, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        ledger, "_scenario_recommendation", FakeOptimiser({"SC-1": {"P1"}})
    )
    s = open_with_item(town)
    with refused(ledger, DepartsFromScenario) as err:
        ledger.record_decision(CHAIR, s, "P1", "rejected", "r", scenario="SC-1")
    assert err.value.field == "justification"
    assert err.value.params == {
        "outcome": "rejected",
        "proposal": "P1",
        "scenario": "SC-1",
        "recommendation": "retenue",
    }
    ledger.record_decision(
        CHAIR,
        s,
        "P1",
        "rejected",
        "r",
        scenario="SC-1",
        justification="risque juridique",
    )
    decision = session(ledger).decisions["P1"]
    assert (decision.scenario, decision.justification) == ("SC-1", "risque juridique")


# --- closing --------------------------------------------------------------------------


def test_session_closes_once_every_item_is_decided(ledger: Ledger, town: Town) -> None:
    town.decided("P1", "rejected")
    ledger.close_session(CHAIR, "S1")
    assert session(ledger).status is SessionStatus.CLOSED


def test_session_with_an_undecided_item_cannot_close(
    ledger: Ledger, town: Town
) -> None:
    s = open_with_item(town)
    with refused(ledger, UndecidedItems) as err:
        ledger.close_session(CHAIR, s)
    assert err.value.params == {"session": "S1", "items": "P1"}


def test_session_not_open_cannot_close(ledger: Ledger, town: Town) -> None:
    town.convene("S1")
    with refused(ledger, SessionNotOpen):
        ledger.close_session(CHAIR, "S1")


def test_session_closes_once(ledger: Ledger, town: Town) -> None:
    town.decided("P1", "rejected")
    ledger.close_session(CHAIR, "S1")
    with refused(ledger, SessionClosed):
        ledger.close_session(CHAIR, "S1")


def test_only_the_session_chair_closes_it(ledger: Ledger, town: Town) -> None:
    town.decided("P1", "rejected")
    with refused(ledger, NotTheChair):
        ledger.close_session(by("chair2"), "S1")
