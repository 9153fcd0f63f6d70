"""A shared proposal's decision, on both backends: the decision's evidence (page and
API) shows the cost split recorded at the approval — each entity's percentage, its
share of the AP and of each CP line to the cent (largest remainder), the envelope of
that entity each line drew on as it stood then — and the consolidated total, their
sum; the decision form's envelope panel shows every entity of the split, and flags
the one entity whose envelope an approval would exceed exactly as the ledger then
judges it (refused without an override, recorded with one)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from domain.entities import MAIN
from domain.errors import BudgetNotVoted, EnvelopeExceeded, RecordClosed
from projections import queries as q
from tests.conftest import ADMIN_PASSWORD, make_settings
from tests.domain.builders import ADMIN, CHAIR, DSI, FIN, INV, OPE, YEAR, Town, cp
from tests.web.ui_client import Site, open_site, text
from tests.web.world import bearer

D = Decimal
SPLIT = [
    {"entity": MAIN, "percent": "45"},
    {"entity": "CCAS", "percent": "20"},
    {"entity": "AGGLO", "percent": "35"},
]
EXCEEDED = (
    f"Enveloppe {YEAR} (fonctionnement, entité CCAS) dépassée pour P3 : 400.00 € "
    "demandés, 220.00 € disponibles. Un dépassement exige un forçage motivé du "
    "président."
)


def territory(town: Town) -> dict[str, str]:
    """The town with an agglomeration and a CCAS; P2 the town's alone (20 000 €
    of investment), P1 shared 45 / 35 / 20 % approved for 1 000,01 € (600,03 €
    investment, 399,98 € operating), P3 shared the same way on the agenda of an open
    session; the CCAS's operating envelope is 300 €."""
    led = town.ledger
    led.declare_entity(ADMIN, "AGGLO", "Agglomération de test", "epci", "200054781")
    led.declare_entity(ADMIN, "CCAS", "CCAS de test", "ccas", "267500015")
    town.envelope(YEAR, INV)
    town.envelope(YEAR, OPE)
    for entity, inv, ope in (
        ("AGGLO", "100000.00", "100000.00"),
        ("CCAS", "50000.00", "300.00"),
    ):
        led.vote_budget(
            FIN, YEAR, INV, inv, f"BP {entity}", f"{YEAR - 1}-12-15", entity
        )
        led.vote_budget(
            FIN, YEAR, OPE, ope, f"BP {entity}", f"{YEAR - 1}-12-15", entity
        )
    town.decided("P2", ap="20000.00")
    town.qualified("P1")
    led.set_cost_split(DSI, "P1", SPLIT)
    approval = town.convene()
    town.on_agenda_only("P1", approval)
    town.open(approval)
    led.record_decision(
        CHAIR,
        approval,
        "P1",
        "approved",
        "arbitrage",
        ap_amount="1000.01",
        cp=cp((YEAR, INV, "600.03"), (YEAR, OPE, "399.98")),
    )
    town.qualified("P3")
    led.set_cost_split(DSI, "P3", SPLIT)
    session = town.convene()
    town.on_agenda_only("P3", session)
    town.open(session)
    return {"open": session}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    from ledger.app import open_ledger

    tmp: Path = tmp_path_factory.mktemp(f"decision-split-{request.param}")
    url = (
        f"sqlite:///{tmp}/ledger.db"
        if request.param == "sqlite"
        else str(request.getfixturevalue("pg_module_schema_url"))
    )
    settings = make_settings(tmp / "data", url)
    led = open_ledger(settings, create=True)
    led.bootstrap_admin("admin", "Administrateur", ADMIN_PASSWORD)
    running = open_site(settings, led)
    running.sessions = territory(Town(led))  # type: ignore[attr-defined]
    running.caught_up()
    yield running
    running.close()


def p1_decision(site: Site) -> dict[str, Any]:
    answer = site.app.test_client().get(
        "/api/v1/decisions?proposal=P1", headers=bearer(site, "chair")
    )
    assert answer.status_code == 200, answer.get_json()
    (found,) = answer.get_json()["decisions"]
    return found  # type: ignore[no-any-return]


def test_the_evidence_shows_the_split_to_the_cent_and_each_entitys_envelope(
    site: Site,
) -> None:
    d = p1_decision(site)
    # AP 100 001 cents: 45 000.45 / 35 000.35 / 20 000.2 -> floors 45 000, 35 000,
    # 20 000, the cent left to the largest remainder (the town's .45).
    # Investment 60 003: 27 001.35 / 21 001.05 / 12 000.6 -> the cent to the CCAS.
    # Operating 39 998: 17 999.1 / 13 999.3 / 7 999.6 -> the cent to the CCAS.
    split = d["split"]
    assert [
        (e["entity"], e["name"], e["percent"], e["ap_c"]) for e in split["entities"]
    ] == [
        (MAIN, "Ville de test", "45.00", 45001),
        ("AGGLO", "Agglomération de test", "35.00", 35000),
        ("CCAS", "CCAS de test", "20.00", 20000),
    ]
    assert [
        [(c["year"], c["section"], c["amount_c"]) for c in e["cp"]]
        for e in split["entities"]
    ] == [
        [(YEAR, OPE, 17999), (YEAR, INV, 27001)],
        [(YEAR, OPE, 13999), (YEAR, INV, 21001)],
        [(YEAR, OPE, 8000), (YEAR, INV, 12001)],
    ]
    assert split["total"] == {
        "ap_c": 100001,
        "cp": [
            {"year": YEAR, "section": OPE, "amount_c": 39998},
            {"year": YEAR, "section": INV, "amount_c": 60003},
        ],
    }
    # each entity's envelope as it stood when the decision was recorded (the
    # town's investment envelope already held P2's 20 000 €)
    assert [
        (
            b["year"],
            b["section"],
            b["entity"],
            b["total_c"],
            b["allocated_c"],
            b["available_c"],
            b["requested_c"],
        )
        for b in d["budget_state"]
    ] == [
        (YEAR, OPE, MAIN, 50000000, 0, 50000000, 17999),
        (YEAR, OPE, "AGGLO", 10000000, 0, 10000000, 13999),
        (YEAR, OPE, "CCAS", 30000, 0, 30000, 8000),
        (YEAR, INV, MAIN, 50000000, 2000000, 48000000, 27001),
        (YEAR, INV, "AGGLO", 10000000, 0, 10000000, 21001),
        (YEAR, INV, "CCAS", 5000000, 0, 5000000, 12001),
    ]
    page = site.client("chair").get(f"/arbitrages/{d['position']}")
    assert page.status_code == 200
    body = text(page)
    assert (
        "Répartition du coût enregistrée à l'approbation Entité Part AP "
        f"CP {YEAR} fonctionnement CP {YEAR} investissement "
        "Ville de test (principale) 45,00 % 450,01 € 179,99 € 270,01 € "
        "Agglomération de test (AGGLO) 35,00 % 350,00 € 139,99 € 210,01 € "
        "CCAS de test (CCAS) 20,00 % 200,00 € 80,00 € 120,01 € "
        "Total consolidé 100,00 % 1 000,01 € 399,98 € 600,03 €"
    ) in body
    assert (
        f"{YEAR} Investissement Ville de test (principale) 500 000,00 € 20 000,00 € "
        "480 000,00 € 270,01 €"
    ) in body


def test_the_form_panel_flags_the_one_entity_exceeded_as_the_ledger_judges_it(
    site: Site,
) -> None:
    session = site.sessions["open"]  # type: ignore[attr-defined]
    schedule = {"cp-0-year": str(YEAR), "cp-0-section": OPE, "cp-0-amount": "2000.00"}
    st = site.read_model.store
    panel = q.approval_envelopes(
        st, "P3", [{"year": YEAR, "section": OPE, "amount": "2000.00"}]
    )
    # 2 000 € at 45 / 35 / 20 %: 900 / 700 / 400 €; the CCAS's 300 € envelope
    # already holds P1's 80 € -> 220 € available, exceeded by 180 €
    assert [
        (
            r["entity"],
            r["percent"],
            r["requested"],
            r["available"],
            r["left"],
            r["exceeded"],
        )
        for r in panel
    ] == [
        (MAIN, D("45.00"), D("900.00"), D("499820.01"), D("498920.01"), False),
        ("AGGLO", D("35.00"), D("700.00"), D("99860.01"), D("99160.01"), False),
        ("CCAS", D("20.00"), D("400.00"), D("220.00"), D("-180.00"), True),
    ]
    assert [
        c["target"]
        for c in q.approval_conflicts(
            st, "P3", [{"year": YEAR, "section": OPE, "amount": "2000.00"}]
        )
    ] == [f"{YEAR}/{OPE}, entité CCAS"]
    head = site.head()
    page = site.client("chair").post(  # no outcome yet: the form again, with its panel
        f"/seances/{session}/arbitrer/P3", data=schedule
    )
    assert page.status_code == 422, text(page)
    assert site.head() == head
    body = text(page)
    assert (
        f"{YEAR} Fonctionnement CCAS de test (CCAS) 20,00 % 300,00 € 80,00 € "
        "220,00 € 400,00 € dépassement de 180,00 €"
    ) in body
    assert f"{YEAR} Fonctionnement Agglomération de test (AGGLO) 35,00 %" in body

    # the ledger: refused without an override on the CCAS's envelope only
    def approve(override: str | None = None) -> None:
        site.ledger.record_decision(
            CHAIR,
            session,
            "P3",
            "approved",
            "arbitrage",
            ap_amount="2000.00",
            cp=[{"year": YEAR, "section": OPE, "amount": "2000.00"}],
            override_reason=override,
        )

    with pytest.raises(EnvelopeExceeded) as refused:
        approve()
    assert str(refused.value) == EXCEEDED
    assert EXCEEDED.replace(".00 €", ",00 €") in body  # the form said the same
    assert site.head() == head
    approve("priorité sociale")
    site.caught_up()
    ccas = next(e for e in q.envelopes(st, YEAR, "CCAS") if e["section"] == OPE)
    assert (ccas["allocated"], ccas["available"]) == (D("480.00"), D("-180.00"))


def half_shared_on_agenda(site: Site, code: str, entity: str) -> str:
    """``code`` qualified, shared 50/50 between the municipality and ``entity``, on
    the agenda of the open session (returned)."""
    town = Town.__new__(Town)
    town.ledger = site.ledger
    town.qualified(code)
    site.ledger.set_cost_split(
        DSI,
        code,
        [{"entity": MAIN, "percent": "50"}, {"entity": entity, "percent": "50"}],
    )
    session: str = site.sessions["open"]  # type: ignore[attr-defined]
    town.on_agenda_only(code, session)
    return session


def test_the_form_panel_flags_an_entity_closed_since_the_split_as_the_ledger_refuses(
    site: Site,
) -> None:
    """A split naming an entity closed since: the panel says the approval will be
    refused (the ledger refuses it, field ``shares``), not a plain envelope row."""
    led = site.ledger
    led.declare_entity(ADMIN, "SYND", "Syndicat de test", "syndicat", "254500002")
    led.vote_budget(FIN, YEAR, OPE, "1000.00", "BP SYND", f"{YEAR - 1}-12-15", "SYND")
    session = half_shared_on_agenda(site, "P4", "SYND")
    led.close_entity(ADMIN, "SYND")
    site.caught_up()
    line = [{"year": YEAR, "section": OPE, "amount": "100.00"}]
    panel = q.approval_envelopes(site.read_model.store, "P4", line)
    assert [(r["entity"], r["closed"]) for r in panel] == [
        (MAIN, False),
        ("SYND", True),
    ]
    head = site.head()
    with pytest.raises(RecordClosed) as refused:
        led.record_decision(
            CHAIR, session, "P4", "approved", "arbitrage", ap_amount="100.00", cp=line
        )
    assert refused.value.field == "shares"
    assert site.head() == head
    page = site.client("chair").post(
        f"/seances/{session}/arbitrer/P4",
        data={"cp-0-year": str(YEAR), "cp-0-section": OPE, "cp-0-amount": "100.00"},
    )
    assert page.status_code == 422, text(page)
    assert (
        "Syndicat de test (SYND) entité fermée : l'approbation sera refusée 50,00 %"
    ) in text(page)


def test_the_form_panel_says_a_share_without_an_envelope_will_be_refused(
    site: Site,
) -> None:
    """A split naming an entity that voted no envelope for a CP line: the panel and
    the form say the approval will be refused (the ledger refuses it, no override
    lets it through), never « no rule broken »."""
    led = site.ledger
    led.declare_entity(ADMIN, "SIVOM", "Syndicat sans budget", "syndicat", "254500010")
    session = half_shared_on_agenda(site, "P5", "SIVOM")
    site.caught_up()
    line = [{"year": YEAR, "section": OPE, "amount": "100.00"}]
    panel = q.approval_envelopes(site.read_model.store, "P5", line)
    assert [(r["entity"], r["total"], r["requested"]) for r in panel] == [
        (MAIN, panel[0]["total"], Decimal("50.00")),
        ("SIVOM", None, Decimal("50.00")),
    ]
    assert panel[0]["total"] is not None
    head = site.head()
    for override in (None, "forçage demandé"):
        with pytest.raises(BudgetNotVoted) as refused:
            led.record_decision(
                CHAIR, session, "P5", "approved", "arbitrage", ap_amount="100.00",
                cp=line, override_reason=override,
            )  # fmt: skip
        assert refused.value.field == "cp"
    assert site.head() == head
    page = site.client("chair").post(
        f"/seances/{session}/arbitrer/P5",
        data={"cp-0-year": str(YEAR), "cp-0-section": OPE, "cp-0-amount": "100.00"},
    )
    assert page.status_code == 422, text(page)
    shown = text(page)
    assert "aucune enveloppe votée : l'approbation sera refusée" in shown
    assert "aucun forçage ne le permet" in shown
    assert "Une approbation n'enfreindrait aucune" not in shown
    assert site.head() == head
