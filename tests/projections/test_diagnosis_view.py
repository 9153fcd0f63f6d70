"""The diagnosis view on both backends: following after every command, rebuilding
and replaying agree; an application shows the DSI's view beside each direction's with
their history; suggestions and uncovered obsolescence risks follow the rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from ledger.core import Caller
from projections import queries as q
from projections.projector import Projector
from projections.store import SQLiteViewStore
from projections.views.diagnosis import queries as dq
from tests.projections.test_generated import DSI, REF, content, fresh_projection, setup

TODAY = date(2026, 1, 15)
APP = {
    "kind": "application",
    "name": "Paie",
    "direction": "D",
    "supplier": "Éditeur",
    "technology": "Cobol",
    "product_version": "3",
    "end_of_support": "2026-12-31",
    "users": 40,
    "annual_cost": "12000.10",
    "criticality": 4,
}


def _history(led: Any) -> list[Any]:
    return [
        lambda: led.register_application(DSI, "PAIE", APP),
        lambda: led.register_application(
            DSI,
            "WIFI",
            {
                **APP,
                "kind": "infrastructure",
                "name": "Wi-Fi",
                "direction": None,
                "end_of_support": None,
                "criticality": 2,
            },
        ),
        lambda: led.assess_application(
            DSI, "PAIE", technical_state=3, risk=2, obsolescence=2
        ),
        lambda: led.assess_application(
            DSI, "PAIE", technical_state=1, risk=4, obsolescence=4, comment="fragile"
        ),
        lambda: led.assess_application_use(
            REF, "PAIE", "D", satisfaction=1, coverage=2, comment="lente"
        ),
        lambda: led.change_application(
            Caller("dsi", reason="mise à jour"), "PAIE", {**APP, "product_version": "4"}
        ),
        lambda: led.record_finding(
            DSI,
            kind="risk",
            title="Paie fragile",
            applications=["PAIE"],
            assessments=["PAIE:dsi:2", "PAIE:D:1"],
            suggestion="fragile:PAIE",
        ),
        lambda: led.draft_proposal(REF, "P1", "D", content(1, 10000)),
        lambda: led.link_proposal(
            REF, "P1", applications={"PAIE": "replaces"}, findings=["CST-001"]
        ),
        lambda: led.retire_application(Caller("dsi", reason="fin"), "WIFI"),
    ]


def test_the_diagnosis_view_follows_rebuilds_and_replays_alike(
    backend: str, tmp_path_factory: Any, request: Any
) -> None:
    with fresh_projection(backend, tmp_path_factory, request, "diagnosis", 3) as (
        tmp,
        led,
        rm,
        projector,
    ):
        setup(led)
        projector.catch_up()
        marks = []
        for run in _history(led):
            run()
            projector.catch_up()
            marks.append(rm.current_position())
        st = rm.store

        paie = dq.application(st, "PAIE")
        assert paie is not None
        assert (paie["product_version"], paie["annual_cost"]) == (
            "4",
            Decimal("12000.10"),
        )
        assert [h["detail"]["technical_state"] for h in paie["dsi_history"]] == [1, 3]
        assert paie["dsi"]["number"] == 2
        assert paie["directions"]["D"]["satisfaction"] == 1
        assert [h["actor"] for h in paie["direction_history"]["D"]] == ["ref"]
        assert [h["event"] for h in paie["history"]][-1] == "registered"
        changed = next(h for h in paie["history"] if h["event"] == "changed")
        assert changed["detail"] == {"product_version": {"old": "3", "new": "4"}}
        assert changed["reason"] == "mise à jour"
        assert [f["code"] for f in paie["findings"]] == ["CST-001"]
        assert paie["proposals"] == [{"proposal": "P1", "effect": "replaces"}]

        assert [a["code"] for a in dq.applications(st)] == ["PAIE"]
        assert [a["code"] for a in dq.applications(st, {"status": "all"})] == [
            "PAIE",
            "WIFI",
        ]
        assert dq.applications(st, {"q": "cob"})[0]["code"] == "PAIE"
        assert dq.applications(st, {"kind": "infrastructure"}) == []
        (finding,) = dq.findings(st)
        assert (finding["proposals"], finding["assessments"]) == (
            ["P1"],
            ["PAIE:dsi:2", "PAIE:D:1"],
        )
        keys = [s["key"] for s in dq.suggested(st, TODAY)]
        assert keys == ["support:PAIE", "unsatisfied:PAIE:D"]  # fragile: confirmed
        assert dq.uncovered_risks(st, TODAY) == []  # P1 replaces PAIE
        led.withdraw_proposal(Caller("ref", reason="abandon"), "P1")
        projector.catch_up()
        (risk,) = dq.uncovered_risks(rm.store, TODAY)
        assert (risk["code"], risk["risks"]) == (
            "PAIE",
            ["support_ending", "obsolescence_high"],
        )

        incremental = q.dump(rm.store)
        fresh = SQLiteViewStore(tmp / "fresh.db")
        rebuild = Projector(led, fresh, batch_size=5000)
        rebuild.ensure_tables()
        rebuild.rebuild()
        assert incremental == q.dump(fresh)
        fresh.close()
        before = rm.replay(marks[2])  # after the DSI's first assessment only
        then = dq.application(before, "PAIE")
        assert then is not None and then["dsi"]["technical_state"] == 3
        assert then["product_version"] == "3"
        rm.close()
