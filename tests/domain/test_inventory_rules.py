"""The diagnosis' rules: the inventory with its history, who assesses what, findings
and their evidence, proposals' links — on both backends, through the ledger."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.diagnosis import months_later, obsolescence_risk, suggestions
from domain.errors import (
    AlreadyExists,
    FindingWithdrawn,
    InvalidValue,
    NotAllowed,
    NotReferentForAssessment,
    NotReferentOfDirection,
    ReasonRequired,
    RecordClosed,
    UnknownEvidence,
)
from domain.findings import Finding, ProposalLinks
from domain.inventory import Application
from tests.domain.builders import (
    ADMIN,
    DSI,
    PASSWORD,
    Town,
    by,
    names_since,
    refused,
)

APP = {
    "kind": "application",
    "name": "Logiciel RH",
    "direction": "FIN",
    "supplier": "Éditeur",
    "technology": "Java",
    "product_version": "5.2",
    "end_of_support": "2026-06-30",
    "users": "120",
    "annual_cost": "18500.50",
    "criticality": 3,
}


def registered(town: Town, app_code: str = "RH", **changes: object) -> str:
    town.ledger.register_application(DSI, app_code, {**APP, **changes})
    return app_code


def test_registering_keeps_every_field_exactly(town: Town) -> None:
    registered(town)
    app = town.ledger.load(Application, Application.id_for("RH"))
    assert app is not None
    assert (app.name, app.direction, app.product_version) == (
        "Logiciel RH",
        "FIN",
        "5.2",
    )
    assert app.end_of_support == date(2026, 6, 30)
    assert (app.users, app.annual_cost, app.criticality) == (
        120,
        Decimal("18500.50"),
        3,
    )


def test_a_second_registration_of_a_code_is_refused(town: Town) -> None:
    registered(town)
    with refused(town.ledger, AlreadyExists):
        registered(town)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("criticality", 5),
        ("criticality", "haute"),
        ("annual_cost", "12.345"),
        ("annual_cost", 1.5),
        ("end_of_support", "30/06/2026"),
        ("users", "-3"),
        ("kind", "serveur"),
        ("name", ""),
    ],
)
def test_an_invalid_description_is_refused_naming_its_field(
    town: Town, field: str, value: object
) -> None:
    with refused(town.ledger, InvalidValue) as info:
        registered(town, **{field: value})
    assert info.value.field == field


def test_only_the_dsi_or_the_administrator_keeps_the_inventory(town: Town) -> None:
    with refused(town.ledger, NotAllowed):
        town.ledger.register_application(by("ref.fin"), "RH", APP)


def test_a_change_needs_a_reason_and_an_equal_one_writes_nothing(town: Town) -> None:
    registered(town)
    with refused(town.ledger, ReasonRequired):
        town.ledger.change_application(DSI, "RH", {**APP, "product_version": "6.0"})
    head = town.ledger.head()
    town.ledger.change_application(by("dsi", "même chose"), "RH", APP)
    assert town.ledger.head() == head
    town.ledger.change_application(
        by("dsi", "montée"), "RH", {**APP, "product_version": "6.0"}
    )
    assert names_since(town.ledger, head) == ["Application.Changed"]


def test_a_retired_component_is_neither_changed_nor_assessed(town: Town) -> None:
    registered(town)
    town.ledger.retire_application(by("dsi", "décommissionné"), "RH")
    with refused(town.ledger, RecordClosed):
        town.ledger.assess_application(
            DSI, "RH", technical_state=2, risk=2, obsolescence=2
        )


def test_the_dsi_assesses_and_a_new_assessment_supersedes_keeping_the_old(
    town: Town,
) -> None:
    registered(town)
    town.ledger.assess_application(
        DSI, "RH", technical_state=2, risk=3, obsolescence=4, comment="vieux"
    )
    result = town.ledger.assess_application(
        DSI, "RH", technical_state=3, risk=2, obsolescence=2
    )
    assert result["number"] == 2
    app = town.ledger.load(Application, Application.id_for("RH"))
    assert app is not None
    assert [a["technical_state"] for a in app.dsi_assessments] == [2, 3]
    assert app.latest_dsi() == {
        "technical_state": 3,
        "risk": 2,
        "obsolescence": 2,
        "comment": "",
    }


def test_a_referent_assesses_for_their_direction_only(town: Town) -> None:
    registered(town)
    town.ledger.assess_application_use(
        by("ref.fin"), "RH", "FIN", satisfaction=1, coverage=2, comment="lent"
    )
    with refused(town.ledger, NotReferentForAssessment) as info:
        town.ledger.assess_application_use(
            by("ref.edu"), "RH", "FIN", satisfaction=4, coverage=4
        )
    assert info.value.field == "direction"
    with refused(town.ledger, NotAllowed):
        town.ledger.assess_application_use(DSI, "RH", "FIN", satisfaction=4, coverage=4)
    with refused(town.ledger, NotAllowed):
        town.ledger.assess_application(
            by("ref.fin"), "RH", technical_state=1, risk=1, obsolescence=1
        )


def test_a_finding_rests_on_existing_assessments(town: Town) -> None:
    registered(town)
    town.ledger.assess_application(DSI, "RH", technical_state=1, risk=3, obsolescence=4)
    with refused(town.ledger, UnknownEvidence):
        town.ledger.record_finding(
            DSI, kind="risk", title="x", applications=["RH"], assessments=["RH:dsi:2"]
        )
    with refused(town.ledger, NotAllowed):
        town.ledger.record_finding(by("chair"), kind="risk", title="x")
    first = town.ledger.record_finding(
        DSI,
        kind="risk",
        title="RH obsolète",
        applications=["RH"],
        assessments=["RH:dsi:1"],
        suggestion="support:RH",
    )
    second = town.ledger.record_finding(DSI, kind="strength", title="Réseau fiable")
    assert (first["code"], second["code"]) == ("CST-001", "CST-002")
    found = town.ledger.load(Finding, Finding.id_for("CST-001"))
    assert found is not None and found.assessments == ["RH:dsi:1"]
    # the consultant (AMO) drafts findings too
    town.ledger.add_user(ADMIN, "amo", "AMO", PASSWORD, roles=[("consultant", None)])
    third = town.ledger.record_finding(
        by("amo"), kind="opportunity", title="Mutualiser"
    )
    assert third["code"] == "CST-003"


def test_a_proposal_links_applications_and_findings_by_its_referent(
    town: Town,
) -> None:
    registered(town)
    town.draft("P1", "FIN")
    town.ledger.record_finding(DSI, kind="risk", title="RH obsolète")
    with refused(town.ledger, NotReferentOfDirection):
        town.ledger.link_proposal(by("ref.edu"), "P1", applications={"RH": "replaces"})
    town.ledger.link_proposal(
        by("ref.fin"), "P1", applications={"RH": "replaces"}, findings=["CST-001"]
    )
    links = town.ledger.load(ProposalLinks, ProposalLinks.id_for("P1"))
    assert links is not None and links.findings == ["CST-001"]
    assert {k: v.value for k, v in links.applications.items()} == {"RH": "replaces"}
    town.ledger.withdraw_finding(by("dsi", "résolu"), "CST-001")
    with refused(town.ledger, FindingWithdrawn):
        town.ledger.link_proposal(DSI, "P1", findings=["CST-001"])


def test_months_later_keeps_the_day_or_the_end_of_the_month() -> None:
    assert months_later(date(2025, 8, 31), 18) == date(2027, 2, 28)
    assert months_later(date(2025, 1, 15), 12) == date(2026, 1, 15)


def test_months_later_stops_at_the_last_representable_day() -> None:
    """A page read as of 9999-12-31 (``?as_of=`` or ``?date=``) computed the
    suggestions' and risks' horizon past year 9999: a 500."""
    assert months_later(date(9999, 12, 31), 18) == date.max
    assert months_later(date(9998, 6, 30), 18) == date(9999, 12, 30)
    app = {"code": "A", "name": "A", "criticality": 1, "end_of_support": "9999-12-31"}
    assert [s.key for s in suggestions(app, date(9999, 12, 31))] == ["support:A"]


def test_suggestions_and_obsolescence_risks_follow_the_documented_rules() -> None:
    today = date(2026, 1, 1)
    app = {
        "code": "RH",
        "name": "RH",
        "criticality": 4,
        "end_of_support": "2026-10-01",
        "retired": False,
        "dsi": {"technical_state": 2, "obsolescence": 2, "number": 1},
        "directions": {"FIN": {"satisfaction": 1, "coverage": 2, "number": 3}},
    }
    keys = [s.key for s in suggestions(app, today)]
    assert keys == ["support:RH", "fragile:RH", "unsatisfied:RH:FIN"]
    assert obsolescence_risk(app, today) == ["support_ending"]
    later = {**app, "end_of_support": "2027-12-31", "dsi": {**app["dsi"], "obsolescence": 3}}  # fmt: skip
    assert obsolescence_risk(later, today) == ["obsolescence_high"]
    assert obsolescence_risk({**app, "retired": True}, today) == []


def test_every_domain_enum_has_its_own_name() -> None:
    """Stored enums are transcoded by class name (ledger.transcodings): two enums of
    one name would decode one's values as the other's."""
    import domain.registry  # noqa: F401 - defines every enum
    from domain.values import DomainEnum
    from ledger.transcodings import _subclasses

    names = [c.__name__ for c in _subclasses(DomainEnum)]
    assert sorted(n for n in set(names) if names.count(n) > 1) == []


def test_an_import_naming_a_code_twice_is_refused_naming_the_line(
    town: Town,
) -> None:
    """Two lines of one code would both register and change it, and importing the
    same lines again would change it twice more: never idempotent. Refused whole."""
    lines = [
        {"code": "RH", **APP},
        {"code": "GF", **APP, "name": "Gestion financière"},
        {"code": "RH", **APP, "name": "Logiciel RH bis"},
    ]
    with refused(town.ledger, InvalidValue) as err:
        town.ledger.import_inventory(DSI, lines)
    assert err.value.field == "lines[2].code"
    assert "deux fois" in err.value.message
    assert town.ledger.load(Application, Application.id_for("RH")) is None
    out = town.ledger.import_inventory(DSI, lines[:2])
    assert (out["created"], out["changed"]) == (["RH", "GF"], [])
    head = town.ledger.head()
    assert town.ledger.import_inventory(DSI, lines[:2])["changed"] == []
    assert town.ledger.head() == head
