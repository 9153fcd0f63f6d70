"""Proposals: who acts for a direction, their content, and the lifecycle."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from domain.errors import (
    AlreadyExists,
    DatesOutOfOrder,
    InvalidDependency,
    InvalidTransition,
    InvalidValue,
    MandatoryWithoutLegalBasis,
    NotAllowed,
    NotFound,
    NotReferentOfDirection,
    ReasonRequired,
    YearOutsideHorizon,
)
from domain.proposals import (
    CostLine,
    Dependency,
    DependencyKind,
    Milestone,
    Proposal,
    Status,
)
from domain.values import Section
from ledger.app import Ledger
from tests.domain.builders import (
    CHAIR,
    DSI,
    INV,
    YEAR,
    Town,
    by,
    events_since,
    names_since,
    refused,
)

REF = by("ref.fin")


def proposal(ledger: Ledger, code: str = "P1") -> Proposal:
    loaded = ledger.load(Proposal, Proposal.id_for(code))
    assert loaded is not None
    return loaded


# --- who acts for a direction ---------------------------------------------------------


def test_referent_drafts_for_their_own_direction(ledger: Ledger, town: Town) -> None:
    head = ledger.head()
    ledger.draft_proposal(REF, "P1", "FIN", town.content())
    assert names_since(ledger, head) == ["Proposal.Drafted"]
    p = proposal(ledger)
    assert (p.code, p.direction, p.referent, p.status, p.revision) == (
        "P1",
        "FIN",
        "ref.fin",
        Status.DRAFT,
        1,
    )
    assert p.content.costs == (
        CostLine(YEAR, Section.INVESTMENT, Decimal("100000.00")),
    )


def test_referent_of_another_direction_is_refused(ledger: Ledger, town: Town) -> None:
    with refused(ledger, NotReferentOfDirection) as err:
        ledger.draft_proposal(by("ref.edu"), "P1", "FIN", town.content())
    assert err.value.params == {
        "actor": "ref.edu",
        "direction": "FIN",
        "proposal": "P1",
    }
    assert err.value.status == 403


def test_account_without_referent_or_dsi_role_cannot_draft(
    ledger: Ledger, town: Town
) -> None:
    with refused(ledger, NotAllowed) as err:
        ledger.draft_proposal(CHAIR, "P1", "FIN", town.content())
    assert err.value.params["action"] == "rédiger une fiche"


def test_dsi_acts_for_any_direction(ledger: Ledger, town: Town) -> None:
    ledger.draft_proposal(DSI, "P1", "EDU", town.content())
    ledger.submit_proposal(DSI, "P1")
    p = proposal(ledger)
    assert (p.direction, p.referent, p.status) == ("EDU", "dsi", Status.SUBMITTED)


def test_referent_of_another_direction_cannot_submit(
    ledger: Ledger, town: Town
) -> None:
    town.draft("P1", "FIN")
    with refused(ledger, NotReferentOfDirection):
        ledger.submit_proposal(by("ref.edu"), "P1")


def test_proposal_for_an_unknown_direction_is_refused(
    ledger: Ledger, town: Town
) -> None:
    with refused(ledger, NotFound) as err:
        ledger.draft_proposal(DSI, "P1", "URB", town.content())
    assert err.value.params == {"kind": "Direction", "id": "URB"}


def test_proposal_code_is_unique(ledger: Ledger, town: Town) -> None:
    town.draft("P1")
    with refused(ledger, AlreadyExists) as err:
        ledger.draft_proposal(REF, "P1", "FIN", town.content())
    assert err.value.params == {"kind": "Fiche projet", "id": "P1"}


# --- content --------------------------------------------------------------------------


def test_full_content_is_kept_as_written(ledger: Ledger, town: Town) -> None:
    town.draft("P0")
    content = town.content(
        components=[
            {"kind": "si", "description": "Progiciel", "owner": "dsi"},
            {"kind": "organisation", "description": "Processus", "owner": "ref.fin"},
        ],
        axes=[{"axis": "A1", "indicator": "A1-I1", "expected_effect": "+20 points"}],
        workloads=[{"team": "DSI-APPS", "year": YEAR, "days": 40}],
        dependencies=[{"kind": "requires", "proposal": "P0"}],
        mandatory=True,
        legal_basis="Loi ELAN, art. 62",
        risks=[{"label": "Reprise des données", "level": 3}],
    )
    ledger.draft_proposal(REF, "P1", "FIN", content)
    c = proposal(ledger).content
    assert [x.kind.value for x in c.components] == ["organisation", "si"]
    assert (c.axes[0].axis, c.axes[0].indicator) == ("A1", "A1-I1")
    assert (c.workloads[0].team, c.workloads[0].days) == ("DSI-APPS", 40)
    assert c.dependencies == (Dependency(DependencyKind.REQUIRES, "P0"),)
    assert (c.mandatory, c.legal_basis, c.risks[0].level) == (
        True,
        "Loi ELAN, art. 62",
        3,
    )


def test_mandatory_proposal_without_legal_basis_is_refused(
    ledger: Ledger, town: Town
) -> None:
    with refused(ledger, MandatoryWithoutLegalBasis) as err:
        ledger.draft_proposal(REF, "P1", "FIN", town.content(mandatory=True))
    assert err.value.field == "legal_basis"
    assert err.value.params == {"proposal": "P1"}


@pytest.mark.parametrize(
    ("dependencies", "target", "reason"),
    [
        (
            [{"kind": "requires", "proposal": "P1"}],
            "P1",
            "une fiche ne dépend pas d'elle-même",
        ),
        ([{"kind": "requires", "proposal": "P9"}], "P9", "fiche inconnue"),
        (
            [
                {"kind": "requires", "proposal": "P0"},
                {"kind": "excludes", "proposal": "P0"},
            ],
            "P0, P0",
            "cible en double",
        ),
    ],
)
def test_dependency_on_itself_on_an_unknown_or_twice_on_one_proposal_is_refused(
    ledger: Ledger,
    town: Town,
    dependencies: list[dict[str, str]],
    target: str,
    reason: str,
) -> None:
    town.draft("P0")
    with refused(ledger, InvalidDependency) as err:
        ledger.draft_proposal(REF, "P1", "FIN", town.content(dependencies=dependencies))
    assert err.value.field == "dependencies"
    assert err.value.params == {"proposal": "P1", "target": target, "reason": reason}


def test_cost_year_outside_the_plan_horizon_is_refused(
    ledger: Ledger, town: Town
) -> None:
    costs = [{"year": 2031, "section": INV, "amount": "1000.00"}]
    with refused(ledger, YearOutsideHorizon) as err:
        ledger.draft_proposal(REF, "P1", "FIN", town.content(costs=costs))
    assert err.value.field == "costs[0].year"
    assert err.value.params == {"year": 2031, "first": 2024, "last": 2028}


def test_two_cost_lines_for_one_year_and_section_are_refused(
    ledger: Ledger, town: Town
) -> None:
    line = {"year": YEAR, "section": INV, "amount": "1000.00"}
    with refused(ledger, InvalidValue) as err:
        ledger.draft_proposal(REF, "P1", "FIN", town.content(costs=[line, line]))
    assert err.value.field == "costs"


def test_workload_of_an_unknown_team_is_refused(ledger: Ledger, town: Town) -> None:
    workloads = [{"team": "DSI-XX", "year": YEAR, "days": 10}]
    with refused(ledger, NotFound) as err:
        ledger.draft_proposal(REF, "P1", "FIN", town.content(workloads=workloads))
    assert err.value.params == {"kind": "Équipe", "id": "DSI-XX"}


def test_indicator_of_another_axis_is_refused(ledger: Ledger, town: Town) -> None:
    ledger.create_axis(DSI, "A2", "Administration")
    axes = [{"axis": "A2", "indicator": "A1-I1", "expected_effect": ""}]
    with refused(ledger, InvalidValue) as err:
        ledger.draft_proposal(REF, "P1", "FIN", town.content(axes=axes))
    assert (err.value.field, err.value.params["value"]) == ("axes", "A1-I1")


def test_component_given_twice_is_refused(ledger: Ledger, town: Town) -> None:
    comps = [{"kind": "rh", "description": "a"}, {"kind": "rh", "description": "b"}]
    with refused(ledger, InvalidValue) as err:
        ledger.draft_proposal(REF, "P1", "FIN", town.content(components=comps))
    assert err.value.field == "components"


def test_risk_level_outside_1_to_4_is_refused(ledger: Ledger, town: Town) -> None:
    with refused(ledger, InvalidValue) as err:
        ledger.draft_proposal(
            REF, "P1", "FIN", town.content(risks=[{"label": "r", "level": 5}])
        )
    assert err.value.field == "risks[0].level"


# --- lifecycle: every allowed move ----------------------------------------------------

Move = Callable[[Ledger], Any]


def _decide(outcome: str) -> Move:
    def move(ledger: Ledger) -> Any:
        kwargs: dict[str, Any] = {}
        if outcome.startswith("approved"):
            kwargs = {
                "ap_amount": "100000.00",
                "cp": [{"year": YEAR, "section": INV, "amount": "100000.00"}],
            }
        if outcome == "approved_with_conditions":
            kwargs["conditions"] = "cadrage détaillé"
        ledger.vote_budget(by("fin"), YEAR, INV, "500000.00", "BP", f"{YEAR - 1}-12-15")
        ledger.open_session(CHAIR, "S1", ["chair", "m1", "m2", "m3"])
        return ledger.record_decision(CHAIR, "S1", "P1", outcome, "arbitrage", **kwargs)

    return move


ALLOWED: list[tuple[str, str, Move, Status]] = [
    ("draft", "submit", lambda led: led.submit_proposal(REF, "P1"), Status.SUBMITTED),
    (
        "draft",
        "amend",
        lambda led: led.amend_proposal(by("ref.fin", "r"), "P1", Town.content()),
        Status.DRAFT,
    ),
    (
        "submitted",
        "qualify",
        lambda led: led.qualify_proposal(DSI, "P1", Town.qualification()),
        Status.QUALIFIED,
    ),
    (
        "submitted",
        "amend",
        lambda led: led.amend_proposal(by("ref.fin", "r"), "P1", Town.content()),
        Status.SUBMITTED,
    ),
    (
        "qualified",
        "qualify again",
        lambda led: led.qualify_proposal(DSI, "P1", Town.qualification(note="révisé")),
        Status.QUALIFIED,
    ),
    (
        "qualified",
        "amend",
        lambda led: led.amend_proposal(by("ref.fin", "r"), "P1", Town.content()),
        Status.SUBMITTED,
    ),
    (
        "qualified",
        "put on agenda",
        lambda led: (
            led.convene_session(CHAIR, "S9", "COPIL", "2025-05-01", ["chair", "m1"]),
            led.add_agenda_item(CHAIR, "S9", "P1"),
        ),
        Status.ON_AGENDA,
    ),
    (
        "on_agenda",
        "take off agenda",
        lambda led: led.remove_agenda_item(CHAIR, "S1", "P1"),
        Status.QUALIFIED,
    ),
    ("on_agenda", "approve", _decide("approved"), Status.APPROVED),
    (
        "on_agenda",
        "approve with conditions",
        _decide("approved_with_conditions"),
        Status.APPROVED_WITH_CONDITIONS,
    ),
    ("on_agenda", "defer", _decide("deferred"), Status.DEFERRED),
    ("on_agenda", "reject", _decide("rejected"), Status.REJECTED),
    (
        "deferred",
        "put on agenda again",
        lambda led: (
            led.convene_session(CHAIR, "S9", "COPIL", "2025-05-01", ["chair", "m1"]),
            led.add_agenda_item(CHAIR, "S9", "P1"),
        ),
        Status.ON_AGENDA,
    ),
    (
        "deferred",
        "amend",
        lambda led: led.amend_proposal(by("ref.fin", "r"), "P1", Town.content()),
        Status.SUBMITTED,
    ),
    (
        "approved",
        "plan",
        lambda led: led.plan_project(DSI, "P1", "2025-02-01", "2025-12-01"),
        Status.PLANNED,
    ),
    (
        "approved_with_conditions",
        "plan",
        lambda led: led.plan_project(DSI, "P1", "2025-02-01", "2025-12-01"),
        Status.PLANNED,
    ),
    (
        "planned",
        "start",
        lambda led: led.start_project(DSI, "P1", "2025-02-03"),
        Status.IN_PROGRESS,
    ),
    (
        "in_progress",
        "complete",
        lambda led: led.complete_project(DSI, "P1", "2025-12-01"),
        Status.DONE,
    ),
    *[
        (
            source,
            "withdraw",
            lambda led: led.withdraw_proposal(by("ref.fin", "repris ailleurs"), "P1"),
            Status.WITHDRAWN,
        )
        for source in ("draft", "submitted", "qualified", "deferred")
    ],
    *[
        (
            source,
            "cancel",
            lambda led: led.cancel_project(by("chair", "abandon"), "P1"),
            Status.CANCELLED,
        )
        for source in ("approved", "approved_with_conditions", "planned", "in_progress")
    ],
]


@pytest.mark.parametrize(
    ("source", "action", "move", "target"),
    ALLOWED,
    ids=[f"{s}-{a}" for s, a, _m, _t in ALLOWED],
)
def test_lifecycle_move_is_allowed(
    ledger: Ledger, town: Town, source: str, action: str, move: Move, target: Status
) -> None:
    if source == "on_agenda":
        town.on_agenda("P1", town.convene("S1"))
    elif source == "deferred":
        town.decided("P1", "deferred")
    else:
        town.at_status(source)
    move(ledger)
    assert proposal(ledger).status is target


# --- lifecycle: a representative set of forbidden moves -------------------------------

FORBIDDEN: list[tuple[str, str, Move]] = [
    ("submitted", "submit", lambda led: led.submit_proposal(REF, "P1")),
    (
        "draft",
        "qualify",
        lambda led: led.qualify_proposal(DSI, "P1", Town.qualification()),
    ),
    ("submitted", "put_on_agenda", lambda led: led.add_agenda_item(CHAIR, "S9", "P1")),
    (
        "on_agenda",
        "amend",
        lambda led: led.amend_proposal(by("ref.fin", "r"), "P1", Town.content()),
    ),
    (
        "on_agenda",
        "withdraw",
        lambda led: led.withdraw_proposal(by("ref.fin", "r"), "P1"),
    ),
    (
        "qualified",
        "plan",
        lambda led: led.plan_project(DSI, "P1", "2025-02-01", "2025-03-01"),
    ),
    (
        "rejected",
        "plan",
        lambda led: led.plan_project(DSI, "P1", "2025-02-01", "2025-03-01"),
    ),
    (
        "deferred",
        "plan",
        lambda led: led.plan_project(DSI, "P1", "2025-02-01", "2025-03-01"),
    ),
    ("approved", "start", lambda led: led.start_project(DSI, "P1", "2025-02-03")),
    ("planned", "complete", lambda led: led.complete_project(DSI, "P1", "2025-02-03")),
    (
        "approved",
        "amend",
        lambda led: led.amend_proposal(by("ref.fin", "r"), "P1", Town.content()),
    ),
    (
        "approved",
        "withdraw",
        lambda led: led.withdraw_proposal(by("ref.fin", "r"), "P1"),
    ),
    ("qualified", "cancel", lambda led: led.cancel_project(by("chair", "r"), "P1")),
    ("done", "cancel", lambda led: led.cancel_project(by("chair", "r"), "P1")),
    ("withdrawn", "submit", lambda led: led.submit_proposal(REF, "P1")),
    ("cancelled", "start", lambda led: led.start_project(DSI, "P1", "2025-02-03")),
    ("done", "track", lambda led: led.report_progress(DSI, "P1", 50)),
    (
        "approved",
        "track",
        lambda led: led.set_milestone(
            DSI, "P1", "MEP", "Mise en production", "2025-09-01"
        ),
    ),
]


@pytest.mark.parametrize(
    ("source", "action", "move"),
    FORBIDDEN,
    ids=[f"{s}-{a}" for s, a, _m in FORBIDDEN],
)
def test_lifecycle_move_outside_the_lifecycle_is_refused(
    ledger: Ledger, town: Town, source: str, action: str, move: Move
) -> None:
    town.at_status(source)
    town.convene("S9")
    with refused(ledger, InvalidTransition) as err:
        move(ledger)
    assert err.value.params == {"proposal": "P1", "status": source, "action": action}


# --- judgements that need a reason ----------------------------------------------------


def test_amendment_without_reason_is_refused(ledger: Ledger, town: Town) -> None:
    town.qualified("P1")
    with refused(ledger, ReasonRequired) as err:
        ledger.amend_proposal(REF, "P1", town.content(title="Portail v2"))
    assert err.value.params == {"action": "amender une fiche (nouvelle révision)"}


def test_amendment_creates_a_new_revision_and_keeps_the_previous_one(
    ledger: Ledger, town: Town
) -> None:
    town.qualified("P1")
    head = ledger.head()
    ledger.amend_proposal(
        by("ref.fin", "périmètre élargi"), "P1", town.content(title="Portail v2")
    )
    (amended,) = events_since(ledger, head)
    assert (amended.revision, amended.context.reason) == (2, "périmètre élargi")
    p = proposal(ledger)
    assert (p.revision, p.status) == (2, Status.SUBMITTED)
    assert [r.title for r in p.revisions] == ["Portail citoyen", "Portail v2"]
    # the DSI's estimates were for revision 1: the referent's apply again
    assert p.qualification is not None and p.qualification.revision == 1
    assert p.estimates == (p.content.costs, p.content.workloads)


def test_withdrawal_without_reason_is_refused(ledger: Ledger, town: Town) -> None:
    town.submitted("P1")
    with refused(ledger, ReasonRequired) as err:
        ledger.withdraw_proposal(REF, "P1")
    assert err.value.params == {"action": "retirer une fiche"}


def test_withdrawal_keeps_its_reason(ledger: Ledger, town: Town) -> None:
    town.submitted("P1")
    ledger.withdraw_proposal(by("ref.fin", "repris par l'intercommunalité"), "P1")
    p = proposal(ledger)
    assert (p.status, p.closing_reason) == (
        Status.WITHDRAWN,
        "repris par l'intercommunalité",
    )


def test_cancellation_without_reason_is_refused(ledger: Ledger, town: Town) -> None:
    town.planned("P1")
    with refused(ledger, ReasonRequired) as err:
        ledger.cancel_project(CHAIR, "P1")
    assert err.value.params == {"action": "annuler un projet"}


def test_cancellation_keeps_its_reason(ledger: Ledger, town: Town) -> None:
    town.planned("P1")
    ledger.cancel_project(by("dsi", "solution mutualisée"), "P1")
    p = proposal(ledger)
    assert (p.status, p.closing_reason) == (Status.CANCELLED, "solution mutualisée")


def test_cancellation_is_refused_to_the_referent(ledger: Ledger, town: Town) -> None:
    town.planned("P1")
    with refused(ledger, NotAllowed) as err:
        ledger.cancel_project(by("ref.fin", "plus utile"), "P1")
    assert err.value.params["action"] == "annuler un projet"


# --- qualification and execution ------------------------------------------------------


def test_qualification_is_refused_to_a_referent(ledger: Ledger, town: Town) -> None:
    town.submitted("P1")
    with refused(ledger, NotAllowed) as err:
        ledger.qualify_proposal(REF, "P1", town.qualification())
    assert err.value.params["action"] == "qualifier une fiche"


def test_dsi_qualification_replaces_the_referent_estimates(
    ledger: Ledger, town: Town
) -> None:
    town.submitted("P1")
    ledger.qualify_proposal(
        DSI,
        "P1",
        town.qualification(
            costs=[{"year": YEAR, "section": INV, "amount": "125000.50"}],
            workloads=[{"team": "DSI-APPS", "year": YEAR, "days": 60}],
        ),
    )
    p = proposal(ledger)
    assert p.qualification is not None
    assert (p.qualification.revision, p.qualification.note) == (1, "chiffrage DSI")
    costs, workloads = p.estimates
    assert costs == (CostLine(YEAR, Section.INVESTMENT, Decimal("125000.50")),)
    assert [(w.team, w.year, w.days) for w in workloads] == [("DSI-APPS", YEAR, 60)]


def test_project_end_before_its_start_is_refused(ledger: Ledger, town: Town) -> None:
    town.decided("P1")
    with refused(ledger, DatesOutOfOrder) as err:
        ledger.plan_project(DSI, "P1", "2025-06-01", "2025-05-01")
    assert (err.value.field, err.value.params["date"]) == ("end", "2025-05-01")


def test_execution_is_tracked_by_the_dsi(ledger: Ledger, town: Town) -> None:
    town.in_progress("P1")
    ledger.set_milestone(DSI, "P1", "MEP", "Mise en production", "2025-09-01")
    ledger.reach_milestone(DSI, "P1", "MEP", "2025-09-15")
    ledger.report_progress(DSI, "P1", "42.5")
    p = proposal(ledger)
    assert p.milestones == {
        "MEP": Milestone(
            "MEP", "Mise en production", date(2025, 9, 1), date(2025, 9, 15)
        )
    }
    assert p.progress == Decimal("42.50")
    ledger.complete_project(DSI, "P1", "2025-12-01")
    assert (proposal(ledger).status, proposal(ledger).progress) == (Status.DONE, 100)


def test_execution_is_tracked_only_by_the_dsi(ledger: Ledger, town: Town) -> None:
    town.in_progress("P1")
    with refused(ledger, NotAllowed) as err:
        ledger.report_progress(REF, "P1", 50)
    assert err.value.params["action"] == "suivre un projet"


def test_progress_above_100_percent_is_refused(ledger: Ledger, town: Town) -> None:
    town.in_progress("P1")
    with refused(ledger, InvalidValue) as err:
        ledger.report_progress(DSI, "P1", 101)
    assert err.value.field == "progress"


def test_reaching_an_unknown_milestone_is_refused(ledger: Ledger, town: Town) -> None:
    town.in_progress("P1")
    with refused(ledger, NotFound) as err:
        ledger.reach_milestone(DSI, "P1", "M9", "2025-09-15")
    assert err.value.params == {"kind": "Jalon", "id": "P1/M9"}


def test_command_on_an_unknown_proposal_is_refused(ledger: Ledger, town: Town) -> None:
    with refused(ledger, NotFound) as err:
        ledger.submit_proposal(REF, "P404")
    assert err.value.params == {"kind": "Fiche projet", "id": "P404"}
