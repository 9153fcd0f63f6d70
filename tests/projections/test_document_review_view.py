"""The document review view on both backends: following after every command,
rebuilding and replaying agree; the register is searched (accents and case ignored)
and filtered; a document lists the proposals and findings citing it and its
history."""

from __future__ import annotations

from typing import Any

from ledger.core import Caller
from projections import queries as q
from projections.projector import Projector
from projections.store import SQLiteViewStore
from projections.views.diagnosis import queries as dq
from projections.views.document_review import queries as rq
from tests.projections.test_generated import DSI, REF, content, fresh_projection, setup

AUDIT = {
    "kind": "audit",
    "date": "2023-10-12",
    "author": "Cabinet Vigie",
    "title": "Audit de sécurité",
    "summary": "Sauvegardes jamais restaurées ; ŒUVRE commune.",
    "axes": ["A"],
}
CONTRACT = {
    "kind": "contract",
    "date": "2021-01-01",
    "author": "Éditeur Paie",
    "title": "Contrat de maintenance",
    "summary": "",
    "axes": ["A", "A2"],
}


def _history(led: Any) -> list[Any]:
    return [
        lambda: led.register_document(DSI, AUDIT),
        lambda: led.register_document(DSI, CONTRACT),
        lambda: led.change_document(
            Caller("dsi", reason="date exacte"),
            "DOC-002",
            {**CONTRACT, "date": "2021-02-01"},
        ),
        lambda: led.draft_proposal(REF, "P1", "D", content(1, 10000)),
        lambda: led.link_proposal(REF, "P1", documents=["DOC-001", "DOC-002"]),
        lambda: led.record_finding(
            DSI, kind="risk", title="Sauvegardes", documents=["DOC-001"]
        ),
        lambda: led.withdraw_document(Caller("dsi", reason="remplacé"), "DOC-002"),
    ]


def test_the_document_review_view_follows_rebuilds_and_replays_alike(
    backend: str, tmp_path_factory: Any, request: Any
) -> None:
    with fresh_projection(backend, tmp_path_factory, request, "review", 3) as (
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

        assert [d["code"] for d in rq.register(st)] == ["DOC-001"]
        assert [d["code"] for d in rq.register(st, {"status": "all"})] == [
            "DOC-001",  # the newest first
            "DOC-002",
        ]
        assert [d["code"] for d in rq.register(st, {"q": "oeuvre SAUVEGARDES"})] == [
            "DOC-001"
        ]
        assert rq.register(st, {"q": "100%_"}) == []
        assert rq.register(st, {"kind": "contract"}) == []
        assert [
            d["code"] for d in rq.register(st, {"axis": "A2", "status": "all"})
        ] == ["DOC-002"]

        audit = rq.reviewed(st, "DOC-001")
        assert audit is not None
        assert (audit["proposals"], audit["findings"]) == (["P1"], ["CST-001"])
        contract = rq.reviewed(st, "DOC-002")
        assert contract is not None
        assert (contract["status"], contract["withdrawn_reason"], contract["date"]) == (
            "withdrawn",
            "remplacé",
            "2021-02-01",
        )
        assert [(h["event"], h["reason"]) for h in contract["history"]] == [
            ("withdrawn", "remplacé"),
            ("changed", "date exacte"),
            ("registered", None),
        ]
        assert contract["history"][1]["detail"] == {
            "date": {"old": "2021-01-01", "new": "2021-02-01"}
        }
        assert dq.proposal_links(st, "P1")["documents"] == ["DOC-001", "DOC-002"]
        assert dq.findings(st)[0]["documents"] == ["DOC-001"]
        assert rq.titles(st, ["DOC-002", "NOPE", "DOC-001"]) == [
            {
                "code": "DOC-002",
                "title": "Contrat de maintenance",
                "kind": "contract",
                "date": "2021-02-01",
                "status": "withdrawn",
            },
            {
                "code": "DOC-001",
                "title": "Audit de sécurité",
                "kind": "audit",
                "date": "2023-10-12",
                "status": "current",
            },
        ]

        incremental = q.dump(rm.store)
        fresh = SQLiteViewStore(tmp / "fresh.db")
        rebuild = Projector(led, fresh, batch_size=5000)
        rebuild.ensure_tables()
        rebuild.rebuild()
        assert incremental == q.dump(fresh)
        fresh.close()
        before = rm.replay(marks[1])  # both registered, neither changed nor cited
        then = rq.reviewed(before, "DOC-002")
        assert then is not None
        assert (then["date"], then["proposals"], then["status"]) == (
            "2021-01-01",
            [],
            "current",
        )
        rm.close()
