"""Reference data with history: the municipality, the plan's title and phases, renaming
and closing pôles, directions, teams, axes and indicators, indicator targets and the
COPIL's composition — on both backends.

Each rule has its refusal (the exact error, its field and params, nothing written)
and the allowed action (the exact events and state).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from domain.axes import Axis, Indicator
from domain.committee import Committee
from domain.errors import (
    AccountDisabled,
    AlreadyExists,
    AxisHasOpenIndicators,
    DateInFuture,
    InvalidValue,
    NotAllowed,
    NotFound,
    PoleHasOpenDirections,
    ReasonRequired,
    RecordClosed,
)
from domain.municipality import Municipality
from domain.organisation import Direction, Pole, Team
from domain.plan import Plan
from ledger.app import Ledger
from tests.domain.builders import (
    ADMIN,
    CHAIR,
    DSI,
    FIN,
    GRID,
    VOTING,
    YEAR,
    Town,
    by,
    criterion,
    names_since,
    refused,
)

TODAY = datetime.now(UTC).date()
PARIS = ("Ville de Paris", "217500016", "75056", "21750001600019")


def why(actor: str = "dsi") -> object:
    return by(actor, "réorganisation des services")


def closed_on() -> str:
    """The day a record closed now is closed on (the command's UTC date)."""
    return datetime.now(UTC).date().isoformat()


# --- the municipality ------------------------------------------------------------------


def test_the_administrator_defines_the_municipality_once(ledger: Ledger) -> None:
    head = ledger.head()
    result = ledger.define_municipality(ADMIN, "Ville de Paris", "217 500 016", "75056")
    assert result.data == {
        "name": "Ville de Paris",
        "siren": "217500016",
        "siret": "",
        "insee": "75056",
    }
    assert names_since(ledger, head) == ["Municipality.Defined"]
    with refused(ledger, AlreadyExists) as err:
        ledger.define_municipality(ADMIN, *PARIS)
    assert err.value.params == {"kind": "Collectivité", "id": "Ville de Paris"}


def test_the_municipality_is_defined_only_by_an_administrator(
    ledger: Ledger, town: Town
) -> None:
    with refused(ledger, NotAllowed) as err:
        ledger.define_municipality(DSI, *PARIS)
    assert err.value.params["action"] == "définir la collectivité"


def test_a_wrong_identifier_is_refused_naming_its_field(ledger: Ledger) -> None:
    for args, field in (
        (("Paris", "217500017", "75056"), "siren"),
        (("Paris", "217500016", "20056"), "insee"),
        (("Paris", "217500016", "75056", "35600000000048"), "siret"),
        (("", "217500016", "75056"), "name"),
    ):
        with refused(ledger, InvalidValue) as err:
            ledger.define_municipality(ADMIN, *args)
        assert err.value.field == field


def test_changing_the_municipality_states_its_reason(ledger: Ledger) -> None:
    ledger.define_municipality(ADMIN, "Paris", "217500016", "75056")
    with refused(ledger, ReasonRequired) as err:
        ledger.change_municipality(by("admin"), *PARIS)
    assert err.value.params == {"action": "modifier la collectivité"}
    head = ledger.head()
    ledger.change_municipality(by("admin", "nom officiel"), *PARIS)
    assert names_since(ledger, head) == ["Municipality.Changed"]
    town = ledger.load(Municipality, Municipality.id_for())
    assert town is not None
    assert (town.name, town.siren, town.insee, town.siret) == PARIS
    head = ledger.head()
    same = ledger.change_municipality(by("admin", "nom officiel"), *PARIS)
    assert (same.notification_id, ledger.head()) == (None, head)


def test_changing_an_undefined_municipality_is_refused(ledger: Ledger) -> None:
    with refused(ledger, NotFound) as err:
        ledger.change_municipality(by("admin", "x"), *PARIS)
    assert err.value.params == {"kind": "Collectivité", "id": "—"}


# --- the plan -------------------------------------------------------------------------


def test_a_plan_without_its_municipality_is_the_municipality_s(ledger: Ledger) -> None:
    ledger.define_municipality(ADMIN, *PARIS)
    ledger.define_plan(ADMIN, "SDSI", None, 2026, 2031)
    plan = ledger.load(Plan, Plan.id_for())
    assert plan is not None and plan.municipality == "Ville de Paris"


def test_a_plan_without_any_municipality_is_refused(ledger: Ledger) -> None:
    with refused(ledger, InvalidValue) as err:
        ledger.define_plan(ADMIN, "SDSI", "", 2026, 2031)
    assert err.value.field == "municipality"


def test_renaming_the_plan_states_its_reason(ledger: Ledger, town: Town) -> None:
    with refused(ledger, ReasonRequired):
        ledger.rename_plan(DSI, "SDSI 2024-2028")
    head = ledger.head()
    ledger.rename_plan(why(), "SDSI 2024-2028")
    assert names_since(ledger, head) == ["Plan.Renamed"]
    plan = ledger.load(Plan, Plan.id_for())
    assert plan is not None and plan.name == "SDSI 2024-2028"


def test_the_administrator_schedules_phases_but_does_not_start_them(
    ledger: Ledger, town: Town
) -> None:
    ledger.schedule_phase(ADMIN, "cadrage", "2024-01-10", "2024-03-31")
    with refused(ledger, NotAllowed) as err:
        ledger.start_phase(by("admin"), "cadrage", "2024-01-12")
    assert err.value.params["action"] == "démarrer une phase"


def test_a_phase_started_or_done_in_the_future_is_refused(
    ledger: Ledger, town: Town
) -> None:
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    with refused(ledger, DateInFuture) as err:
        ledger.start_phase(DSI, "cadrage", tomorrow)
    assert err.value.field == "on"
    assert err.value.params["date"] == tomorrow
    ledger.start_phase(DSI, "cadrage", TODAY.isoformat())
    with refused(ledger, DateInFuture) as err:
        ledger.complete_phase(DSI, "cadrage", tomorrow)
    assert err.value.field == "on"


# --- pôles and directions ----------------------------------------------------------------


def test_renaming_a_pole_states_its_reason(ledger: Ledger, town: Town) -> None:
    with refused(ledger, ReasonRequired) as err:
        ledger.rename_pole(DSI, "PRS", "Pôle Moyens")
    assert err.value.params == {"action": "renommer un pôle"}
    head = ledger.head()
    ledger.rename_pole(why(), "PRS", "Pôle Moyens")
    assert names_since(ledger, head) == ["Pole.Renamed"]
    pole = ledger.load(Pole, Pole.id_for("PRS"))
    assert pole is not None and pole.name == "Pôle Moyens"


def test_a_pole_with_open_directions_is_not_closed(ledger: Ledger, town: Town) -> None:
    with refused(ledger, PoleHasOpenDirections) as err:
        ledger.close_pole(why(), "PRS")
    assert err.value.params == {"pole": "PRS", "directions": "EDU, FIN"}


def test_a_pole_is_closed_once_its_directions_are_closed_or_moved(
    ledger: Ledger, town: Town
) -> None:
    ledger.create_pole(DSI, "PSP", "Pôle Services à la population")
    ledger.move_direction(why(), "EDU", "PSP")
    ledger.close_direction(why(), "FIN")
    head = ledger.head()
    ledger.close_pole(why(), "PRS")
    assert names_since(ledger, head) == ["Pole.Closed"]
    pole = ledger.load(Pole, Pole.id_for("PRS"))
    assert pole is not None and pole.directions == []
    assert pole.closed_at is not None
    other = ledger.load(Pole, Pole.id_for("PSP"))
    assert other is not None and other.directions == ["EDU"]


def test_a_closed_pole_receives_no_direction_and_is_not_renamed(
    ledger: Ledger, town: Town
) -> None:
    ledger.create_pole(DSI, "OLD", "Ancien pôle")
    ledger.close_pole(why(), "OLD")
    with refused(ledger, RecordClosed) as err:
        ledger.create_direction(DSI, "NEW", "Nouvelle direction", "OLD")
    assert err.value.field == "pole"
    assert err.value.params == {
        "kind": "Pôle",
        "id": "OLD",
        "action": "recevoir une direction",
        "closed_on": closed_on(),
    }
    with refused(ledger, RecordClosed):
        ledger.move_direction(why(), "EDU", "OLD")
    with refused(ledger, RecordClosed) as err:
        ledger.rename_pole(why(), "OLD", "Autre nom")
    assert err.value.params["action"] == "renommer"
    with refused(ledger, RecordClosed) as err:
        ledger.close_pole(why(), "OLD")
    assert err.value.params["action"] == "fermer"


def test_moving_renaming_and_closing_a_direction_state_their_reason(
    ledger: Ledger, town: Town
) -> None:
    ledger.create_pole(DSI, "PSP", "Pôle Services à la population")
    for send, action in (
        (lambda c: ledger.move_direction(c, "EDU", "PSP"), "rattacher une direction à un autre pôle"),
        (lambda c: ledger.rename_direction(c, "EDU", "Éducation et jeunesse"), "renommer une direction"),
        (lambda c: ledger.close_direction(c, "EDU"), "fermer une direction"),
    ):  # fmt: skip
        with refused(ledger, ReasonRequired) as err:
            send(DSI)
        assert err.value.params == {"action": action}
    head = ledger.head()
    ledger.rename_direction(why(), "EDU", "Éducation et jeunesse")
    ledger.close_direction(why(), "EDU")
    assert names_since(ledger, head) == [
        "Direction.Renamed",
        "Direction.Closed",
        "Pole.DirectionDetached",
    ]
    direction = ledger.load(Direction, Direction.id_for("EDU"))
    assert direction is not None
    assert (direction.name, direction.pole) == ("Éducation et jeunesse", "PRS")
    assert direction.closed_at is not None


def test_a_closed_direction_keeps_its_proposals_and_receives_no_new_one(
    ledger: Ledger, town: Town
) -> None:
    town.draft("P1", "EDU")
    ledger.close_direction(why(), "EDU")
    ledger.submit_proposal(by("ref.edu"), "P1")  # what it holds goes on
    with refused(ledger, RecordClosed) as err:
        town.draft("P2", "EDU")
    assert err.value.field == "direction"
    assert err.value.params["action"] == "recevoir une nouvelle fiche"
    with refused(ledger, RecordClosed) as err:
        ledger.grant_role(ADMIN, "m1", "referent", "EDU")
    assert err.value.field == "scope"
    with refused(ledger, RecordClosed) as err:
        ledger.create_team(DSI, "MET-EDU", "Équipe éducation", "business", "EDU")
    assert err.value.field == "direction"
    with refused(ledger, RecordClosed):
        ledger.rename_direction(why(), "EDU", "Autre")


# --- teams --------------------------------------------------------------------------------


def test_changing_a_capacity_already_set_states_its_reason(
    ledger: Ledger, town: Town
) -> None:
    ledger.set_team_capacity(DSI, "DSI-APPS", YEAR, 200)  # the first value: no reason
    with refused(ledger, ReasonRequired) as err:
        ledger.set_team_capacity(DSI, "DSI-APPS", YEAR, 180)
    assert err.value.params == {"action": "modifier la capacité d'une équipe"}
    head = ledger.head()
    same = ledger.set_team_capacity(DSI, "DSI-APPS", YEAR, 200)
    assert (same.notification_id, ledger.head()) == (None, head)
    ledger.set_team_capacity(by("dsi", "départ en retraite"), "DSI-APPS", YEAR, 180)
    team = ledger.load(Team, Team.id_for("DSI-APPS"))
    assert team is not None and team.capacity == {YEAR: 180}


def test_a_closed_team_takes_no_capacity_nor_workload(
    ledger: Ledger, town: Town
) -> None:
    ledger.rename_team(why(), "DSI-APPS", "DSI — Applications")
    ledger.close_team(why(), "DSI-APPS")
    with refused(ledger, RecordClosed) as err:
        ledger.set_team_capacity(DSI, "DSI-APPS", YEAR, 100)
    assert err.value.params["action"] == "fixer sa capacité"
    town.submitted("P1")
    workloads = [{"team": "DSI-APPS", "year": YEAR, "days": 10}]
    with refused(ledger, RecordClosed) as err:
        ledger.qualify_proposal(DSI, "P1", town.qualification(workloads=workloads))
    assert err.value.field == "workloads[0].team"
    with refused(ledger, RecordClosed):
        ledger.rename_team(why(), "DSI-APPS", "Autre")


# --- axes and indicators -------------------------------------------------------------


def test_an_axis_with_open_indicators_is_not_closed(ledger: Ledger, town: Town) -> None:
    with refused(ledger, AxisHasOpenIndicators) as err:
        ledger.close_axis(why(), "A1")
    assert err.value.params == {"axis": "A1", "indicators": "A1-I1"}
    head = ledger.head()
    ledger.close_indicator(why(), "A1-I1")
    ledger.close_axis(why(), "A1")
    assert names_since(ledger, head) == [
        "Indicator.Closed",
        "Axis.IndicatorDetached",
        "Axis.Closed",
    ]


def test_a_closed_axis_or_indicator_takes_no_new_link(
    ledger: Ledger, town: Town
) -> None:
    ledger.create_axis(DSI, "A2", "Administration efficiente")
    ledger.create_indicator(DSI, "A2-I1", "A2", "Délais", "jours", 30, 10, 2028)
    ledger.close_indicator(why(), "A2-I1")
    link = [{"axis": "A2", "indicator": "A2-I1", "expected_effect": "-5 j"}]
    with refused(ledger, RecordClosed) as err:
        town.draft("P1", axes=link)
    assert err.value.field == "axes[0].indicator"
    with refused(ledger, RecordClosed) as err:
        ledger.measure_indicator(DSI, "A2-I1", "2025-01-01", 20)
    assert err.value.params["action"] == "mesurer"
    with refused(ledger, RecordClosed) as err:
        ledger.set_indicator_target(DSI, "A2-I1", 2027, 15)
    assert err.value.params["action"] == "fixer une cible"
    ledger.close_axis(why(), "A2")
    with refused(ledger, RecordClosed) as err:
        ledger.create_indicator(DSI, "A2-I2", "A2", "Autre", "%", 0, 1, 2028)
    assert err.value.field == "axis"
    with refused(ledger, RecordClosed) as err:
        town.draft("P2", axes=[{"axis": "A2", "expected_effect": "+"}])
    assert err.value.field == "axes[0].axis"
    with refused(ledger, RecordClosed) as err:
        ledger.draft_grid(DSI, 1, "Grille", criteria=[{**GRID[0], "axis": "A2"}])
    assert err.value.field == "criteria[0].axis"
    ledger.draft_grid(DSI, 1, "Grille", criteria=[criterion("V1", weight="100")])


def test_an_indicator_has_a_target_per_year(ledger: Ledger, town: Town) -> None:
    head = ledger.head()
    ledger.set_indicator_target(DSI, "A1-I1", 2026, "55.5")
    ledger.set_indicator_target(CHAIR, "A1-I1", 2030, 95)
    assert names_since(ledger, head) == ["Indicator.TargetSet", "Indicator.TargetSet"]
    with refused(ledger, ReasonRequired) as err:
        ledger.set_indicator_target(DSI, "A1-I1", 2028, 85)
    assert err.value.params == {"action": "modifier la cible d'un indicateur"}
    ledger.set_indicator_target(by("dsi", "objectif revu"), "A1-I1", 2028, 85)
    indicator = ledger.load(Indicator, Indicator.id_for("A1-I1"))
    assert indicator is not None
    assert indicator.targets == {
        2026: Decimal("55.5"),
        2028: Decimal(85),
        2030: Decimal(95),
    }
    assert (indicator.target, indicator.target_year) == (Decimal(95), 2030)
    with refused(ledger, InvalidValue) as err:
        ledger.set_indicator_target(DSI, "A1-I1", 2029, 1.5)
    assert err.value.field == "value"
    with refused(ledger, NotAllowed):
        ledger.set_indicator_target(FIN, "A1-I1", 2029, 1)


def test_renaming_an_axis_or_an_indicator_states_its_reason(
    ledger: Ledger, town: Town
) -> None:
    with refused(ledger, ReasonRequired):
        ledger.rename_axis(DSI, "A1", "Services numériques")
    with refused(ledger, ReasonRequired):
        ledger.rename_indicator(DSI, "A1-I1", "Part des démarches")
    ledger.rename_axis(why(), "A1", "Services numériques", "Pour tous")
    ledger.rename_indicator(why(), "A1-I1", "Part des démarches en ligne")
    axis = ledger.load(Axis, Axis.id_for("A1"))
    indicator = ledger.load(Indicator, Indicator.id_for("A1-I1"))
    assert axis is not None and (axis.label, axis.description) == (
        "Services numériques",
        "Pour tous",
    )
    assert indicator is not None and indicator.label == "Part des démarches en ligne"


# --- the COPIL's composition -----------------------------------------------------------


def seat(ledger: Ledger, who: str, kind: str = "elu", voting: bool = True) -> None:
    ledger.appoint_committee_member(ADMIN, who, kind, voting)


def test_members_are_seated_with_their_kind_and_vote(
    ledger: Ledger, town: Town
) -> None:
    head = ledger.head()
    ledger.appoint_committee_member(CHAIR, "chair", "dgs", True)
    seat(ledger, "m1")
    seat(ledger, "dsi", "dsi", False)
    assert names_since(ledger, head) == [
        "Committee.Created",
        "Committee.MemberAppointed",
        "Committee.MemberAppointed",
        "Committee.MemberAppointed",
    ]
    committee = ledger.load(Committee, Committee.id_for())
    assert committee is not None and committee.members == {
        "chair": {"kind": "dgs", "voting": True},
        "m1": {"kind": "elu", "voting": True},
        "dsi": {"kind": "dsi", "voting": False},
    }
    with refused(ledger, AlreadyExists) as err:
        seat(ledger, "m1")
    assert (err.value.field, err.value.params) == (
        "username",
        {"kind": "Membre du COPIL", "id": "m1"},
    )


def test_who_may_not_vote_is_not_seated_as_voting(ledger: Ledger, town: Town) -> None:
    with refused(ledger, InvalidValue) as err:
        seat(ledger, "eval1", "expert", True)
    assert (err.value.field, err.value.params["reason"]) == (
        "voting",
        "un expert invité ne vote pas",
    )
    with refused(ledger, InvalidValue) as err:
        seat(ledger, "fin", "dga", True)
    assert err.value.field == "voting"
    with refused(ledger, InvalidValue) as err:
        seat(ledger, "m1", "elu", "oui")  # type: ignore[arg-type]
    assert err.value.field == "voting"
    with refused(ledger, InvalidValue) as err:
        seat(ledger, "m1", "maire", True)
    assert err.value.field == "kind"
    with refused(ledger, NotFound):
        seat(ledger, "nobody")
    ledger.disable_user(by("admin", "départ"), "m3")
    with refused(ledger, AccountDisabled) as err:
        seat(ledger, "m3")
    assert err.value.field == "username"
    with refused(ledger, NotAllowed):
        ledger.appoint_committee_member(DSI, "m1", "elu", True)
    seat(ledger, "eval1", "expert", False)


def test_changing_or_removing_a_member_states_its_reason(
    ledger: Ledger, town: Town
) -> None:
    seat(ledger, "m1")
    with refused(ledger, ReasonRequired):
        ledger.change_committee_member(by("admin"), "m1", "elu", False)
    with refused(ledger, ReasonRequired):
        ledger.remove_committee_member(by("admin"), "m1")
    with refused(ledger, NotFound):
        ledger.remove_committee_member(by("admin", "départ"), "m2")
    head = ledger.head()
    ledger.change_committee_member(by("admin", "suppléant"), "m1", "elu", False)
    ledger.remove_committee_member(by("admin", "fin de mandat"), "m1")
    assert names_since(ledger, head) == [
        "Committee.MemberChanged",
        "Committee.MemberLeft",
    ]
    committee = ledger.load(Committee, Committee.id_for())
    assert committee is not None and committee.members == {}


def test_sessions_are_convened_from_the_composition_once_there_is_one(
    ledger: Ledger, town: Town
) -> None:
    town.convene()  # no composition yet: any account holding a COPIL role
    for member in ("chair", "m1", "m2"):
        seat(ledger, member)
    seat(ledger, "fin", "dga", False)
    with refused(ledger, InvalidValue) as err:
        town.convene(voting=VOTING)  # m3 does not sit
    assert (err.value.field, err.value.params["value"]) == ("voting", "m3")
    with refused(ledger, InvalidValue) as err:
        town.convene(voting=["chair", "m1", "fin"])  # fin sits without a vote
    assert (err.value.field, err.value.params["value"]) == ("voting", "fin")
    with refused(ledger, InvalidValue) as err:
        town.convene(voting=["chair", "m1"], non_voting=["dsi"])
    assert (err.value.field, err.value.params["value"]) == ("non_voting", "dsi")
    town.convene(voting=["chair", "m1"], non_voting=["m2", "fin"])
    for member in ("chair", "m1", "m2", "fin"):
        ledger.remove_committee_member(by("admin", "renouvellement"), member)
    town.convene()  # everyone left: as before any composition


def test_a_session_convened_before_the_composition_goes_on(
    ledger: Ledger, town: Town
) -> None:
    session = town.on_agenda("P1")
    seat(ledger, "chair")  # m1, m2, m3 convened before, but not seated
    town.open(session)
    result = ledger.cast_vote(by("m1"), session, "P1", "for")
    assert (result["for"], result["against"], result["abstain"]) == (1, 0, 0)
