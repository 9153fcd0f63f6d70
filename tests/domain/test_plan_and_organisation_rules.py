"""The plan (horizon, six phases), the organisation, axes and indicators."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from domain.axes import Indicator
from domain.errors import (
    AlreadyExists,
    DatesOutOfOrder,
    InvalidValue,
    NotAllowed,
    NotFound,
    PhaseTransitionRefused,
    YearOutsideHorizon,
)
from domain.organisation import Direction, Team, TeamKind
from domain.plan import Plan
from ledger.app import Ledger
from tests.domain.builders import ADMIN, DSI, FIN, Town, by, names_since, refused

# --- plan -----------------------------------------------------------------------------


def test_plan_is_defined_with_its_horizon_and_six_planned_phases(
    ledger: Ledger,
) -> None:
    ledger.define_plan(ADMIN, "SDSI", "Ville", 2024, 2029)
    plan = ledger.load(Plan, Plan.id_for())
    assert plan is not None
    assert (plan.name, plan.municipality, plan.first_year, plan.last_year) == (
        "SDSI",
        "Ville",
        2024,
        2029,
    )
    assert list(plan.phases) == [
        "cadrage",
        "revue_documentaire",
        "alignement_strategique",
        "diagnostic_si",
        "evolutions_demandees",
        "plan_strategique_numerique",
    ]
    assert {p["status"] for p in plan.phases.values()} == {"planned"}


def test_plan_is_defined_once(ledger: Ledger, town: Town) -> None:
    with refused(ledger, AlreadyExists) as err:
        ledger.define_plan(ADMIN, "Autre SDSI", "Ville", 2024, 2028)
    assert err.value.params == {"kind": "Plan", "id": "Autre SDSI"}


def test_plan_is_extended_only_by_the_dsi_or_an_administrator(
    ledger: Ledger, town: Town
) -> None:
    with refused(ledger, NotAllowed) as err:
        ledger.extend_plan(by("fin", "budget 2030"), 2030)
    assert err.value.params["action"] == "prolonger le plan"


def test_horizon_ending_before_it_starts_is_refused(ledger: Ledger) -> None:
    with refused(ledger, InvalidValue) as err:
        ledger.define_plan(ADMIN, "SDSI", "Ville", 2026, 2024)
    assert (err.value.field, err.value.params["value"]) == ("last_year", 2024)


def test_horizon_longer_than_sixteen_years_is_refused(ledger: Ledger) -> None:
    with refused(ledger, InvalidValue) as err:
        ledger.define_plan(ADMIN, "SDSI", "Ville", 2020, 2036)
    assert err.value.field == "last_year"


def test_dsi_extends_the_horizon(ledger: Ledger, town: Town) -> None:
    ledger.extend_plan(by("dsi", "budget 2030"), 2030)
    plan = ledger.load(Plan, Plan.id_for())
    assert plan is not None and (plan.first_year, plan.last_year) == (2024, 2030)


def test_command_on_an_undefined_plan_is_refused(ledger: Ledger) -> None:
    ledger.add_user(ADMIN, "dsi", "DSI", "dsi-password-1", roles=[("dsi", None)])
    with refused(ledger, NotFound) as err:
        ledger.start_phase(DSI, "cadrage", "2024-01-10")
    assert err.value.params == {"kind": "Plan", "id": "SDSI"}


def test_phase_goes_planned_then_in_progress_then_done(
    ledger: Ledger, town: Town
) -> None:
    head = ledger.head()
    ledger.schedule_phase(DSI, "cadrage", "2024-01-10", "2024-03-31")
    ledger.start_phase(DSI, "cadrage", "2024-01-12")
    ledger.complete_phase(
        by("dsi", "livrables remis hors outil"), "cadrage", "2024-03-29", override=True
    )
    assert names_since(ledger, head) == [
        "Plan.PhaseScheduled",
        "Plan.PhaseStarted",
        "Plan.PhaseCompletedWithReason",
    ]
    plan = ledger.load(Plan, Plan.id_for())
    assert plan is not None and plan.phases["cadrage"] == {
        "status": "done",
        "planned_start": date(2024, 1, 10),
        "planned_end": date(2024, 3, 31),
        "started_on": date(2024, 1, 12),
        "done_on": date(2024, 3, 29),
    }


def test_completing_a_phase_not_started_is_refused(ledger: Ledger, town: Town) -> None:
    with refused(ledger, PhaseTransitionRefused) as err:
        ledger.complete_phase(DSI, "diagnostic_si", "2024-05-01")
    assert err.value.params == {
        "phase": "diagnostic_si",
        "status": "planned",
        "target": "done",
    }


def test_starting_a_phase_twice_is_refused(ledger: Ledger, town: Town) -> None:
    ledger.start_phase(DSI, "cadrage", "2024-01-12")
    with refused(ledger, PhaseTransitionRefused) as err:
        ledger.start_phase(DSI, "cadrage", "2024-01-13")
    assert err.value.params == {
        "phase": "cadrage",
        "status": "in_progress",
        "target": "in_progress",
    }


def test_restarting_a_done_phase_is_refused(ledger: Ledger, town: Town) -> None:
    ledger.start_phase(DSI, "cadrage", "2024-01-12")
    ledger.complete_phase(
        by("dsi", "livrables remis hors outil"), "cadrage", "2024-02-12", override=True
    )
    with refused(ledger, PhaseTransitionRefused) as err:
        ledger.start_phase(DSI, "cadrage", "2024-03-01")
    assert err.value.params["status"] == "done"


def test_phase_done_before_it_started_is_refused(ledger: Ledger, town: Town) -> None:
    ledger.start_phase(DSI, "cadrage", "2024-01-12")
    with refused(ledger, DatesOutOfOrder) as err:
        ledger.complete_phase(DSI, "cadrage", "2024-01-02")
    assert (err.value.field, err.value.params["date"]) == ("on", "2024-01-02")
    assert err.value.params["before"] == "2024-01-12"


def test_phase_planned_to_end_before_it_starts_is_refused(
    ledger: Ledger, town: Town
) -> None:
    with refused(ledger, DatesOutOfOrder) as err:
        ledger.schedule_phase(DSI, "cadrage", "2024-03-01", "2024-02-01")
    assert (err.value.field, err.value.params["date"]) == ("planned_end", "2024-02-01")


def test_unknown_phase_is_refused_naming_the_field(ledger: Ledger, town: Town) -> None:
    with refused(ledger, InvalidValue) as err:
        ledger.start_phase(DSI, "recette", "2024-01-12")
    assert (err.value.field, err.value.params["value"]) == ("phase", "recette")


def test_phase_is_moved_only_by_the_dsi_or_the_chair(
    ledger: Ledger, town: Town
) -> None:
    with refused(ledger, NotAllowed) as err:
        ledger.start_phase(by("ref.fin"), "cadrage", "2024-01-12")
    assert err.value.params["action"] == "démarrer une phase"


def test_year_outside_the_plan_horizon_is_refused(ledger: Ledger, town: Town) -> None:
    with refused(ledger, YearOutsideHorizon) as err:
        ledger.vote_budget(FIN, 2030, "investissement", "1000.00", "BP", "2029-12-01")
    assert err.value.field == "year"
    assert err.value.params == {"year": 2030, "first": 2024, "last": 2028}


# --- organisation ---------------------------------------------------------------------


def test_pole_is_created_only_by_an_administrator_or_the_dsi(
    ledger: Ledger, town: Town
) -> None:
    with refused(ledger, NotAllowed) as err:
        ledger.create_pole(by("chair"), "PSO", "Pôle Solidarités")
    assert err.value.params["action"] == "créer un pôle"


def test_pole_code_is_unique(ledger: Ledger, town: Town) -> None:
    with refused(ledger, AlreadyExists) as err:
        ledger.create_pole(DSI, "PRS", "Autre pôle")
    assert err.value.params == {"kind": "Pôle", "id": "PRS"}


def test_direction_in_an_unknown_pole_is_refused(ledger: Ledger, town: Town) -> None:
    with refused(ledger, NotFound) as err:
        ledger.create_direction(DSI, "URB", "Urbanisme", "PAM")
    assert err.value.params == {"kind": "Pôle", "id": "PAM"}


def test_direction_is_created_in_its_pole_and_can_move(
    ledger: Ledger, town: Town
) -> None:
    ledger.create_pole(DSI, "PAM", "Pôle Aménagement")
    ledger.create_direction(DSI, "URB", "Urbanisme", "PRS")
    head = ledger.head()
    ledger.move_direction(by("dsi", "réorganisation"), "URB", "PAM")
    assert names_since(ledger, head) == [
        "Direction.Moved",
        "Pole.DirectionAttached",
        "Pole.DirectionDetached",
    ]
    direction = ledger.load(Direction, Direction.id_for("URB"))
    assert direction is not None
    assert (direction.code, direction.name, direction.pole) == (
        "URB",
        "Urbanisme",
        "PAM",
    )


def test_business_team_without_a_direction_is_refused(
    ledger: Ledger, town: Town
) -> None:
    with refused(ledger, InvalidValue) as err:
        ledger.create_team(DSI, "MET-FIN", "Finances", "business")
    assert err.value.field == "direction"


def test_business_team_belongs_to_a_direction_with_a_yearly_capacity(
    ledger: Ledger, town: Town
) -> None:
    ledger.create_team(DSI, "MET-FIN", "Finances", "business", "FIN", {2025: 220})
    ledger.set_team_capacity(DSI, "MET-FIN", 2026, 180)
    team = ledger.load(Team, Team.id_for("MET-FIN"))
    assert team is not None
    assert (team.kind, team.direction, team.capacity) == (
        TeamKind.BUSINESS,
        "FIN",
        {2025: 220, 2026: 180},
    )


def test_negative_or_huge_team_capacity_is_refused(ledger: Ledger, town: Town) -> None:
    with refused(ledger, InvalidValue) as err:
        ledger.set_team_capacity(DSI, "DSI-APPS", 2025, -5)
    assert err.value.field == "days"
    with refused(ledger, InvalidValue) as err:
        ledger.set_team_capacity(DSI, "DSI-APPS", 2025, 100_001)
    assert err.value.field == "days"


def test_team_capacity_is_set_only_by_the_dsi_or_an_administrator(
    ledger: Ledger, town: Town
) -> None:
    with refused(ledger, NotAllowed):
        ledger.set_team_capacity(FIN, "DSI-APPS", 2025, 100)


def test_axis_is_created_only_by_the_dsi_or_the_chair(
    ledger: Ledger, town: Town
) -> None:
    with refused(ledger, NotAllowed) as err:
        ledger.create_axis(FIN, "A2", "Administration efficiente")
    assert err.value.params["action"] == "créer un axe stratégique"


def test_indicator_of_an_unknown_axis_is_refused(ledger: Ledger, town: Town) -> None:
    with refused(ledger, NotFound) as err:
        ledger.create_indicator(DSI, "A9-I1", "A9", "Libellé", "%", 1, 2, 2026)
    assert err.value.params == {"kind": "Axe stratégique", "id": "A9"}


def test_indicator_is_measured_over_time_by_the_dsi(ledger: Ledger, town: Town) -> None:
    ledger.measure_indicator(DSI, "A1-I1", "2025-06-01", "48.5", "realised", "Mesure")
    ledger.measure_indicator(DSI, "A1-I1", "2026-06-01", 60, "planned")
    indicator = ledger.load(Indicator, Indicator.id_for("A1-I1"))
    assert indicator is not None
    assert (indicator.baseline, indicator.target, indicator.target_year) == (
        Decimal(35),
        Decimal(90),
        2028,
    )
    assert indicator.measurements == [
        {
            "on": date(2025, 6, 1),
            "value": Decimal("48.5"),
            "kind": "realised",
            "comment": "Mesure",
        },
        {
            "on": date(2026, 6, 1),
            "value": Decimal(60),
            "kind": "planned",
            "comment": "",
        },
    ]


def test_indicator_is_measured_only_by_the_dsi(ledger: Ledger, town: Town) -> None:
    with refused(ledger, NotAllowed) as err:
        ledger.measure_indicator(by("chair"), "A1-I1", "2025-06-01", 48)
    assert err.value.params["action"] == "mesurer un indicateur"


def test_indicator_value_as_a_float_is_refused(ledger: Ledger, town: Town) -> None:
    with refused(ledger, InvalidValue) as err:
        ledger.measure_indicator(DSI, "A1-I1", "2025-06-01", 48.5)
    assert (err.value.field, err.value.params["value"]) == ("value", 48.5)
