"""What a COPIL decision rests on and what it must not break.

- Evidence: a session fixes the grid version in force when it is convened; a decision
  records exactly the consolidated scores, value and risk of the proposal's current
  revision on that version, whatever is adopted afterwards; a value exists only when
  every criterion of its family is scored.
- Dependencies and capacity: an approval that breaks a ``requires`` or ``excludes``
  dependency, or a team's capacity of a year, is refused with a named error unless
  the chair records a motivated override, which the decision then lists; concurrent
  approvals never both take what only one may.
- A milestone is not reached after the day the command is recorded.

Every case runs on SQLite and PostgreSQL (the ``ledger`` fixture).
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from domain.arbitration import Conflict, Rule
from domain.errors import (
    CapacityExceeded,
    DateInFuture,
    DomainError,
    ExcludedProposalApproved,
    ReasonRequired,
    RequiredProposalNotApproved,
)
from domain.organisation import Team
from domain.proposals import Proposal, Status
from domain.scoring import CriterionScore, Evidence
from domain.sessions import Session
from domain.values import Family
from ledger.app import Ledger
from tests.domain.builders import (
    CHAIR,
    DSI,
    INV,
    OPE,
    YEAR,
    Town,
    by,
    cp,
    criterion,
    events_since,
    refused,
)

D = Decimal
TEAM = "DSI-APPS"


def scored(ledger: Ledger, code: str, grid: int, evaluator: str, **levels: int) -> None:
    """``evaluator`` scores the current revision of ``code`` on ``grid``."""
    proposal = ledger.load(Proposal, Proposal.id_for(code))
    assert proposal is not None
    ledger.score_proposal(
        by(evaluator),
        code,
        proposal.revision,
        grid,
        {c: {"level": lv, "justification": "analyse"} for c, lv in levels.items()},
    )


def decision(ledger: Ledger, session: str, code: str) -> Any:
    agg = ledger.load(Session, Session.id_for(session))
    assert agg is not None
    return agg.decisions[code]


def adopt_v2(town: Town, weights: tuple[str, str] = ("25", "75")) -> None:
    """Grid v2: v1 with other value weights (VAL1, VAL2), adopted."""
    town.ledger.draft_grid(
        DSI,
        2,
        "Grille 2",
        based_on=1,
        criteria=[
            criterion("VAL1", "value", weights[0]),
            criterion("VAL2", "value", weights[1]),
        ],
    )
    town.ledger.adopt_grid(CHAIR, 2, f"{YEAR}-06-01")


def approve(
    ledger: Ledger,
    session: str,
    code: str,
    year: int = YEAR,
    section: str = INV,
    **extra: Any,
) -> None:
    """Approve ``code`` with 10 k€ of CP in ``year`` and ``section``."""
    ledger.record_decision(
        CHAIR,
        session,
        code,
        "approved",
        "valeur confirmée",
        ap_amount="10000.00",
        cp=cp((year, section, "10000.00")),
        **extra,
    )


# Eight envelopes: concurrent approvals charged on different ones share nothing but
# what the rule under test makes them share.
ENVELOPES = [(y, s) for y in range(2024, 2028) for s in (INV, OPE)]


def vote_envelopes(town: Town) -> None:
    for year, section in ENVELOPES:
        town.envelope(year, section)


# --- the grid version and the evidence ------------------------------------------------


def test_a_session_keeps_the_grid_version_in_force_when_it_was_convened(
    ledger: Ledger, town: Town
) -> None:
    town.adopt_grid()
    s1 = town.convene("S1")
    adopt_v2(town)
    s2 = town.convene("S2")
    sessions = {s: ledger.load(Session, Session.id_for(s)) for s in (s1, s2)}
    assert {s: agg.grid_version for s, agg in sessions.items() if agg} == {
        "S1": 1,
        "S2": 2,
    }


def test_decision_records_the_evidence_of_its_session_grid_not_of_a_newer_one(
    ledger: Ledger, town: Town
) -> None:
    """The defect: scored on v1 (66.67), v2 adopted and one criterion scored on it;
    the decision recorded v2, no scores and 8.33. It records v1 and 66.67."""
    town.adopt_grid()
    town.envelope()
    s1 = town.on_agenda("P1", town.convene("S1"))
    for evaluator in ("eval1", "eval2"):
        scored(ledger, "P1", 1, evaluator, VAL1=3, VAL2=3, RISK1=2)
    adopt_v2(town)
    scored(ledger, "P1", 2, "eval1", VAL1=2)  # one criterion on the new grid
    town.open(s1)
    head = ledger.head()
    approve(ledger, s1, "P1")
    d = decision(ledger, s1, "P1")
    assert d.grid_version == 1
    assert d.evidence == Evidence(
        grid_version=1,
        revision=1,
        evaluators=2,
        criteria=(
            CriterionScore("RISK1", Family.RISK, 2, 4, D("2.00"), 2, 2),
            CriterionScore("VAL1", Family.VALUE, 2, 6, D("3.00"), 3, 3),
            CriterionScore("VAL2", Family.VALUE, 2, 6, D("3.00"), 3, 3),
        ),
        value=D("66.67"),
        risk=D("33.33"),
    )
    assert d.conflicts == () and d.override_reason is None
    (recorded,) = [
        e for e in events_since(ledger, head) if isinstance(e, Session.DecisionRecorded)
    ]
    assert recorded.decision == d  # what is stored is what the aggregate holds


def test_a_value_exists_only_when_every_criterion_of_its_family_is_scored(
    ledger: Ledger, town: Town
) -> None:
    """On a session convened after v2 (VAL1 25 %, VAL2 75 %), one criterion scored
    at 2 of 4: no value (not 8.33), the risk not scored either."""
    town.adopt_grid()
    town.envelope()
    town.qualified("P1")
    for evaluator in ("eval1", "eval2"):
        scored(ledger, "P1", 1, evaluator, VAL1=3, VAL2=3, RISK1=2)
    adopt_v2(town)
    scored(ledger, "P1", 2, "eval1", VAL1=2)
    s2 = town.open(town.on_agenda_only("P1", town.convene("S2")))
    ledger.record_decision(CHAIR, s2, "P1", "deferred", "notation à compléter")
    assert decision(ledger, s2, "P1").evidence == Evidence(
        grid_version=2,
        revision=1,
        evaluators=1,
        criteria=(
            CriterionScore("RISK1", Family.RISK, 0, 0, None, None, None),
            CriterionScore("VAL1", Family.VALUE, 1, 2, D("2.00"), 2, 2),
            CriterionScore("VAL2", Family.VALUE, 0, 0, None, None, None),
        ),
        value=None,
        risk=None,
    )


def test_evidence_takes_every_evaluator_and_only_the_current_revision(
    ledger: Ledger, town: Town
) -> None:
    town.adopt_grid()
    town.qualified("P1")
    scored(ledger, "P1", 1, "eval1", VAL1=1, VAL2=1, RISK1=1)  # revision 1: stale
    ledger.amend_proposal(by("ref.fin", "périmètre revu"), "P1", Town.content())
    ledger.qualify_proposal(DSI, "P1", Town.qualification())
    scored(ledger, "P1", 1, "eval1", VAL1=4, VAL2=2, RISK1=3)
    scored(ledger, "P1", 1, "eval2", VAL1=3, VAL2=1, RISK1=4)
    s1 = town.open(town.on_agenda_only("P1", town.convene("S1")))
    ledger.record_decision(CHAIR, s1, "P1", "rejected", "valeur insuffisante")
    evidence = decision(ledger, s1, "P1").evidence
    # VAL1 mean 3.5 (share 5/6), VAL2 1.5 (1/6): 100 × (60 × 5/6 + 40 × 1/6) / 100
    assert (evidence.revision, evidence.evaluators) == (2, 2)
    assert [(c.criterion, c.mean, c.lowest, c.highest) for c in evidence.criteria] == [
        ("RISK1", D("3.50"), 3, 4),
        ("VAL1", D("3.50"), 3, 4),
        ("VAL2", D("1.50"), 1, 2),
    ]
    assert (evidence.value, evidence.risk) == (D("56.67"), D("83.33"))


def test_a_session_convened_before_any_grid_decides_without_evidence(
    ledger: Ledger, town: Town
) -> None:
    s1 = town.on_agenda("P1", town.convene("S1"))
    town.adopt_grid()  # after the convening: not this session's
    scored(ledger, "P1", 1, "eval1", VAL1=4, VAL2=4, RISK1=1)
    town.open(s1)
    ledger.record_decision(CHAIR, s1, "P1", "deferred", "pas de grille en vigueur")
    d = decision(ledger, s1, "P1")
    assert (d.grid_version, d.evidence) == (
        None,
        Evidence(None, 1, 0, (), None, None),
    )


# --- dependencies -------------------------------------------------------------------


def with_dependency(town: Town, code: str, kind: str, target: str) -> None:
    """``code`` qualified by the DSI with one dependency on ``target``."""
    town.submitted(code)
    town.ledger.qualify_proposal(
        DSI,
        code,
        Town.qualification(dependencies=[{"kind": kind, "proposal": target}]),
    )


def test_approval_requiring_a_rejected_proposal_is_refused(
    ledger: Ledger, town: Town
) -> None:
    town.decided("P1", "rejected")
    with_dependency(town, "P2", "requires", "P1")
    town.envelope()
    s = town.open(town.on_agenda_only("P2", town.convene()))
    with refused(ledger, RequiredProposalNotApproved) as err:
        approve(ledger, s, "P2")
    assert err.value.params == {
        "proposal": "P2",
        "required": "P1",
        "status": "rejected",
    }
    assert err.value.status == 409
    assert str(err.value) == (
        "P2 requiert la fiche P1, qui est rejetée : l'approuver exige un forçage "
        "motivé du président."
    )


def test_approval_requiring_a_proposal_not_yet_approved_is_refused(
    ledger: Ledger, town: Town
) -> None:
    """``requires``: not before the other — on the same agenda, it is decided first."""
    town.qualified("P1")
    with_dependency(town, "P2", "requires", "P1")
    town.envelope()
    s = town.convene()
    for code in ("P1", "P2"):
        ledger.add_agenda_item(CHAIR, s, code)
    town.open(s)
    with refused(ledger, RequiredProposalNotApproved) as err:
        approve(ledger, s, "P2")
    assert err.value.params["status"] == "on_agenda"
    approve(ledger, s, "P1")
    approve(ledger, s, "P2")  # now allowed, and nothing to override
    assert decision(ledger, s, "P2").conflicts == ()


def test_approval_against_a_dependency_with_the_chair_override_lists_it(
    ledger: Ledger, town: Town
) -> None:
    town.decided("P1", "rejected")
    with_dependency(town, "P2", "requires", "P1")
    town.envelope()
    s = town.open(town.on_agenda_only("P2", town.convene()))
    approve(ledger, s, "P2", override_reason="obligation légale : délai de 2025")
    d = decision(ledger, s, "P2")
    assert d.conflicts == (Conflict(Rule.REQUIRES, "P1", "rejected"),)
    assert d.override_reason == "obligation légale : délai de 2025"


def test_approval_excluding_a_project_in_progress_is_refused(
    ledger: Ledger, town: Town
) -> None:
    town.in_progress("P1")
    with_dependency(town, "P2", "excludes", "P1")
    s = town.open(town.on_agenda_only("P2", town.convene()))
    with refused(ledger, ExcludedProposalApproved) as err:
        approve(ledger, s, "P2")
    assert err.value.params == {
        "proposal": "P2",
        "other": "P1",
        "status": "in_progress",
    }


def test_approval_of_a_proposal_that_a_running_project_excludes_is_refused(
    ledger: Ledger, town: Town
) -> None:
    """``excludes`` binds both ways, whichever proposal declared it."""
    town.qualified("P2")
    with_dependency(town, "P1", "excludes", "P2")
    town.envelope()
    s = town.convene()
    for code in ("P1", "P2"):
        ledger.add_agenda_item(CHAIR, s, code)
    town.open(s)
    approve(ledger, s, "P1")
    with refused(ledger, ExcludedProposalApproved) as err:
        approve(ledger, s, "P2")
    assert err.value.params == {"proposal": "P2", "other": "P1", "status": "approved"}
    p2 = ledger.load(Proposal, Proposal.id_for("P2"))
    assert p2 is not None and p2.excluded_by == ["P1"]


def test_approval_excluding_a_cancelled_or_rejected_project_is_allowed(
    ledger: Ledger, town: Town
) -> None:
    town.at_status("cancelled", "P1")
    with_dependency(town, "P2", "excludes", "P1")
    s = town.open(town.on_agenda_only("P2", town.convene()))
    approve(ledger, s, "P2")
    assert decision(ledger, s, "P2").conflicts == ()


def test_a_blank_override_is_refused(ledger: Ledger, town: Town) -> None:
    town.decided("P1", "rejected")
    with_dependency(town, "P2", "requires", "P1")
    town.envelope()
    s = town.open(town.on_agenda_only("P2", town.convene()))
    with refused(ledger, ReasonRequired) as err:
        approve(ledger, s, "P2", override_reason="  ")
    assert err.value.field == "override_reason"


# --- team capacity -------------------------------------------------------------------


def with_workload(town: Town, code: str, days: int, year: int = YEAR) -> str:
    town.submitted(code)
    town.ledger.qualify_proposal(
        DSI,
        code,
        Town.qualification(workloads=[{"team": TEAM, "year": year, "days": days}]),
    )
    return code


def team(ledger: Ledger) -> Team:
    loaded = ledger.load(Team, Team.id_for(TEAM))
    assert loaded is not None
    return loaded


def test_approval_taking_a_team_beyond_its_capacity_is_refused(
    ledger: Ledger, town: Town
) -> None:
    """The demo's case: 400 days reserved, 41 more, for a capacity of 440."""
    ledger.set_team_capacity(DSI, TEAM, YEAR, 440)
    town.envelope()
    s = town.convene()
    for code, days in (("P1", 400), ("P2", 41)):
        ledger.add_agenda_item(CHAIR, s, with_workload(town, code, days))
    town.open(s)
    approve(ledger, s, "P1")
    with refused(ledger, CapacityExceeded) as err:
        approve(ledger, s, "P2")
    assert err.value.params == {
        "team": TEAM,
        "year": YEAR,
        "proposal": "P2",
        "capacity": D(440),
        "reserved": D(400),
        "requested": D(41),
    }
    assert str(err.value).startswith(
        f"Capacité de l'équipe {TEAM} dépassée en {YEAR} par P2 : 400 jours-personne "
        "déjà réservés + 41 demandés pour une capacité de 440."
    )
    assert team(ledger).reservations == {"P1": {YEAR: 400}}


def test_approval_beyond_capacity_with_the_chair_override_is_flagged(
    ledger: Ledger, town: Town
) -> None:
    ledger.set_team_capacity(DSI, TEAM, YEAR, 440)
    town.envelope()
    s = town.convene()
    for code, days in (("P1", 400), ("P2", 41)):
        ledger.add_agenda_item(CHAIR, s, with_workload(town, code, days))
    town.open(s)
    approve(ledger, s, "P1")
    head = ledger.head()
    approve(ledger, s, "P2", override_reason="renfort d'un prestataire")
    (reserved,) = [
        e for e in events_since(ledger, head) if isinstance(e, Team.WorkloadReserved)
    ]
    assert (reserved.proposal, reserved.year, reserved.days) == ("P2", YEAR, 41)
    assert reserved.override_reason == "renfort d'un prestataire"
    assert decision(ledger, s, "P2").conflicts == (
        Conflict(Rule.CAPACITY, TEAM, None, YEAR, D(440), D(400), D(41)),
    )
    assert team(ledger).reserved(YEAR) == 441


def test_approval_within_capacity_reserves_the_workload_unflagged(
    ledger: Ledger, town: Town
) -> None:
    ledger.set_team_capacity(DSI, TEAM, YEAR, 440)
    town.envelope()
    s = town.open(town.on_agenda_only(with_workload(town, "P1", 440), town.convene()))
    head = ledger.head()
    approve(ledger, s, "P1")
    (reserved,) = [
        e for e in events_since(ledger, head) if isinstance(e, Team.WorkloadReserved)
    ]
    assert (reserved.days, reserved.override_reason) == (440, None)


def test_a_year_without_declared_capacity_has_none(ledger: Ledger, town: Town) -> None:
    town.envelope()
    s = town.open(town.on_agenda_only(with_workload(town, "P1", 5), town.convene()))
    with refused(ledger, CapacityExceeded) as err:
        approve(ledger, s, "P1")
    assert (err.value.params["capacity"], err.value.params["reserved"]) == (D(0), D(0))


def test_cancelling_a_project_gives_its_workload_back(
    ledger: Ledger, town: Town
) -> None:
    ledger.set_team_capacity(DSI, TEAM, YEAR, 100)
    town.envelope()
    s = town.open(town.on_agenda_only(with_workload(town, "P1", 80), town.convene()))
    approve(ledger, s, "P1")
    assert team(ledger).reserved(YEAR) == 80
    ledger.cancel_project(by("chair", "abandon"), "P1")
    assert (team(ledger).reservations, team(ledger).reserved(YEAR)) == ({}, 0)


def test_concurrent_approvals_never_take_more_than_the_capacity(
    ledger: Ledger, town: Town
) -> None:
    """Eight approvals at once, 30 days each, for a capacity of 100: three pass, the
    others are refused on the reservations of those that landed first."""
    ledger.set_team_capacity(DSI, TEAM, YEAR, 100)
    vote_envelopes(town)
    sessions = []
    for n in range(8):
        code = with_workload(town, f"P{n}", 30)
        sessions.append(town.open(town.on_agenda_only(code, town.convene(f"C{n}"))))
    outcomes = race(
        [
            lambda s=s, n=n: approve(ledger, s, f"P{n}", *ENVELOPES[n])
            for n, s in enumerate(sessions)
        ]
    )
    assert sorted(type(o).__name__ for o in outcomes) == sorted(
        ["NoneType"] * 3 + ["CapacityExceeded"] * 5
    )
    assert team(ledger).reserved(YEAR) == 90


def test_concurrent_approvals_of_exclusive_proposals_never_both_pass(
    ledger: Ledger, town: Town
) -> None:
    """Pairs of proposals excluding each other, approved at the same time in two
    sessions: one of each pair passes, the other is refused."""
    vote_envelopes(town)
    sends = []
    for n in range(4):
        a, b = f"A{n}", f"B{n}"
        town.qualified(b)
        with_dependency(town, a, "excludes", b)
        for code in (a, b):
            s = town.open(town.on_agenda_only(code, town.convene(f"S-{code}")))
            where = ENVELOPES[len(sends)]
            sends.append(lambda s=s, c=code, w=where: approve(ledger, s, c, *w))
    outcomes = race(sends)
    for n in range(4):
        pair = outcomes[2 * n : 2 * n + 2]
        assert sorted(type(o).__name__ for o in pair) == [
            "ExcludedProposalApproved",
            "NoneType",
        ], pair


def race(sends: list[Any]) -> list[BaseException | None]:
    """Run every command at once (released together); what each raised, or None."""
    barrier = threading.Barrier(len(sends))
    outcomes: list[BaseException | None] = [None] * len(sends)

    def run(i: int) -> None:
        barrier.wait()
        try:
            sends[i]()
        except DomainError as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(sends))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


# --- milestones ------------------------------------------------------------------------


def test_milestone_reached_after_the_command_date_is_refused(
    ledger: Ledger, town: Town
) -> None:
    town.in_progress("P1")
    ledger.set_milestone(DSI, "P1", "MEP", "Mise en production", f"{YEAR}-09-01")
    ledger.clock = lambda: datetime(YEAR, 9, 10, 23, 59, tzinfo=UTC)
    with refused(ledger, DateInFuture) as err:
        ledger.reach_milestone(DSI, "P1", "MEP", f"{YEAR}-09-11")
    assert (err.value.field, err.value.params["date"], err.value.params["today"]) == (
        "on",
        f"{YEAR}-09-11",
        f"{YEAR}-09-10",
    )
    assert err.value.status == 422
    with refused(ledger, DateInFuture) as err:
        ledger.set_milestone(
            DSI, "P1", "MEP", "Mise en production", f"{YEAR}-09-01", f"{YEAR}-12-01"
        )
    assert err.value.field == "actual"


def test_milestone_reached_on_the_command_date_is_recorded(
    ledger: Ledger, town: Town
) -> None:
    town.in_progress("P1")
    ledger.set_milestone(DSI, "P1", "MEP", "Mise en production", f"{YEAR}-09-01")
    ledger.clock = lambda: datetime(YEAR, 9, 10, 0, 1, tzinfo=UTC)
    ledger.reach_milestone(DSI, "P1", "MEP", f"{YEAR}-09-10")
    p = ledger.load(Proposal, Proposal.id_for("P1"))
    assert p is not None and p.milestones["MEP"].actual == date(YEAR, 9, 10)
    assert p.status is Status.IN_PROGRESS
