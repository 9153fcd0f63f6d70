"""A ledger written before phases had deliverables: its phases completed by a bare
``Plan.PhaseCompleted`` (no list, no reason) still load and show done, their
deliverables "not recorded"; the phases not done then expect their defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from domain.errors import DeliverablesMissing
from domain.plan import Plan
from ledger.app import Ledger, open_ledger
from ledger.core import Caller
from projections.projector import Projector
from projections.reference_queries import phase_checklist
from projections.store import SQLiteViewStore
from projections.views import load_handlers
from tests.conftest import make_settings

DSI = Caller(actor="dsi")


def test_phases_done_before_deliverables_existed_still_load(
    ledger: Ledger, database_url: str, tmp_path: Path
) -> None:
    admin = Caller(actor="admin", reason="tests")
    ledger.add_user(admin, "dsi", "DSI", "dsi-password-1", roles=[("dsi", None)])
    ledger.define_plan(DSI, "SDSI", "Ville", 2024, 2030)
    ledger.start_phase(DSI, "cadrage", "2024-01-15")
    ledger.start_phase(DSI, "revue_documentaire", "2024-02-01")
    # What an earlier release stored when it completed the cadrage: the event of
    # today's class, with the fields it always had (phase, on), and no reason.
    plan_id = Plan.id_for()
    started = [
        n
        for n in ledger.recorder.select_notifications(start=1, limit=1000)
        if n.originator_id == plan_id
    ]
    last = started[-1]
    state = last.state.replace(b'"revue_documentaire"', b'"cadrage"').replace(
        b'"2024-02-01"', b'"2024-03-29"'
    )
    ledger.recorder.insert_events(
        [
            StoredEvent(
                plan_id,
                last.originator_version + 1,
                get_topic(Plan.PhaseCompleted),
                state,
            )
        ]
    )
    ledger.close()

    reopened = open_ledger(make_settings(tmp_path / "data", database_url))
    try:
        plan = reopened.load(Plan, plan_id)
        assert plan is not None
        assert plan.phases["cadrage"]["status"] == "done"
        assert str(plan.phases["cadrage"]["done_on"]) == "2024-03-29"
        load_handlers()
        store = SQLiteViewStore(tmp_path / "views.db")
        projector = Projector(reopened, store)
        projector.ensure_tables()
        projector.catch_up()
        phases = {p["code"]: p for p in phase_checklist(store)["phases"]}
        cadrage = phases["cadrage"]
        assert (cadrage["status"], cadrage["done_on"], cadrage["missing"]) == (
            "done",
            "2024-03-29",
            [],
        )
        assert [(d["label"], d["status"]) for d in cadrage["deliverables"]] == [
            ("Note de cadrage", "not_recorded"),
            ("Lettre de mission et gouvernance du projet", "not_recorded"),
        ]
        revue = phases["revue_documentaire"]
        assert [(d["key"], d["status"]) for d in revue["deliverables"]] == [
            ("inventaire_documents", "expected")
        ]
        # the phase not done completes only with its deliverables or a reason
        with pytest.raises(DeliverablesMissing):
            reopened.complete_phase(DSI, "revue_documentaire", "2024-04-01")
        reopened.complete_phase(
            Caller(actor="dsi", reason="revue faite avant l'outil"),
            "revue_documentaire",
            "2024-04-01",
            override=True,
        )
    finally:
        reopened.close()
