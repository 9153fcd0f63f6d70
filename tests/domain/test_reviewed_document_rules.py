"""The document review's rules (phase 2): the register with its codes, history and
withdrawal, who keeps it, the axes a document informs, and the documents proposals
and findings cite — on both backends, through the ledger."""

from __future__ import annotations

from datetime import date

import pytest

from domain.errors import (
    DocumentWithdrawn,
    InvalidValue,
    NotAllowed,
    NotFound,
    NotReferentOfDirection,
    ReasonRequired,
    RecordClosed,
)
from domain.findings import Finding, ProposalLinks
from domain.reviewed_documents import ReviewedDocument, ReviewedKind, document_code
from tests.domain.builders import (
    ADMIN,
    CHAIR,
    DSI,
    PASSWORD,
    Town,
    by,
    names_since,
    refused,
)

AUDIT = {
    "kind": "audit",
    "date": "2024-03-15",
    "author": "Cabinet Sécurité & Conseil",
    "title": "Audit de sécurité",
    "summary": "Sauvegardes non testées.",
    "axes": ["A1"],
}


def registered(town: Town, **changes: object) -> str:
    return town.ledger.register_document(DSI, {**AUDIT, **changes}).data["code"]


def load(town: Town, code: str) -> ReviewedDocument:
    doc = town.ledger.load(ReviewedDocument, ReviewedDocument.id_for(code))
    assert doc is not None
    return doc


def test_codes_follow_each_other_and_every_field_is_kept(town: Town) -> None:
    assert [document_code(n) for n in (1, 12, 345)] == ["DOC-001", "DOC-012", "DOC-345"]
    assert registered(town) == "DOC-001"
    assert registered(town, kind="plan", axes=[]) == "DOC-002"
    doc = load(town, "DOC-001")
    assert (doc.kind, doc.date, doc.author, doc.title, doc.summary, doc.axes) == (
        ReviewedKind.AUDIT,
        date(2024, 3, 15),
        "Cabinet Sécurité & Conseil",
        "Audit de sécurité",
        "Sauvegardes non testées.",
        ["A1"],
    )


def test_the_dsi_and_the_consultant_keep_the_register_no_one_else(town: Town) -> None:
    town.ledger.add_user(ADMIN, "amo", "AMO", PASSWORD, roles=[("consultant", None)])
    assert town.ledger.register_document(by("amo"), AUDIT).data["code"] == "DOC-001"
    for who in ("chair", "ref.fin", "m1", "fin", "audit", "eval1"):
        with refused(town.ledger, NotAllowed):
            town.ledger.register_document(by(who), AUDIT)
        with refused(town.ledger, NotAllowed):
            town.ledger.withdraw_document(by(who, "motif"), "DOC-001")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kind", "roman"),
        ("date", "2024-02-30"),
        ("date", None),
        ("date", "1850-01-01"),
        ("author", ""),
        ("title", "x" * 201),
        ("summary", "x" * 4001),
        ("axes", "A1"),
        ("axes", ["bad code!"]),
    ],
)
def test_a_bad_field_is_refused_naming_it(
    town: Town, field: str, value: object
) -> None:
    with refused(town.ledger, InvalidValue) as info:
        town.ledger.register_document(DSI, {**AUDIT, field: value})
    assert info.value.field == field


def test_axes_must_exist_and_a_new_one_be_open(town: Town) -> None:
    with refused(town.ledger, NotFound):
        registered(town, axes=["NOPE"])
    code = registered(town)
    town.ledger.create_axis(DSI, "A2", "Axe fermé")
    town.ledger.close_axis(by("dsi", "fusionné"), "A2")
    with refused(town.ledger, RecordClosed):
        town.ledger.change_document(by("dsi", "ajout"), code, {**AUDIT, "axes": ["A1", "A2"]})  # fmt: skip


def test_a_change_needs_a_reason_and_the_same_description_writes_nothing(
    town: Town,
) -> None:
    code = registered(town)
    with refused(town.ledger, ReasonRequired):
        town.ledger.change_document(DSI, code, {**AUDIT, "title": "Audit 2024"})
    head = town.ledger.head()
    same = town.ledger.change_document(by("dsi", "relu"), code, dict(AUDIT))
    assert same.data["changed"] is False and town.ledger.head() == head
    town.ledger.change_document(by("dsi", "titre"), code, {**AUDIT, "title": "Audit 2024"})  # fmt: skip
    assert names_since(town.ledger, head) == ["ReviewedDocument.Changed"]
    assert load(town, code).title == "Audit 2024"


def test_a_withdrawn_document_stays_but_is_neither_changed_nor_cited(
    town: Town,
) -> None:
    code = registered(town)
    with refused(town.ledger, ReasonRequired):
        town.ledger.withdraw_document(DSI, code)
    town.ledger.withdraw_document(by("dsi", "doublon"), code)
    assert load(town, code).withdrawn_at is not None
    with refused(town.ledger, DocumentWithdrawn):
        town.ledger.withdraw_document(by("dsi", "encore"), code)
    with refused(town.ledger, DocumentWithdrawn):
        town.ledger.change_document(by("dsi", "x"), code, {**AUDIT, "title": "Y"})
    town.draft("P1")
    with refused(town.ledger, DocumentWithdrawn):
        town.ledger.link_proposal(by("ref.fin"), "P1", documents=[code])
    with refused(town.ledger, DocumentWithdrawn):
        town.ledger.record_finding(DSI, kind="risk", title="T", documents=[code])


def test_proposals_and_findings_cite_documents_with_history(town: Town) -> None:
    first, second = registered(town), registered(town, kind="contract")
    town.draft("P1")
    with refused(town.ledger, NotReferentOfDirection):
        town.ledger.link_proposal(by("ref.edu"), "P1", documents=[first])
    with refused(town.ledger, NotFound):
        town.ledger.link_proposal(by("ref.fin"), "P1", documents=["DOC-999"])
    head = town.ledger.head()
    town.ledger.link_proposal(by("ref.fin"), "P1", documents=[second, first, first])
    assert names_since(town.ledger, head) == [  # no other link changed
        "ProposalLinks.Started",
        "ProposalLinks.DocumentsCited",
    ]
    links = town.ledger.load(ProposalLinks, ProposalLinks.id_for("P1"))
    assert links is not None and links.documents == [first, second]
    # the other links set again without ``documents``: the documents stay
    head = town.ledger.head()
    town.ledger.link_proposal(by("ref.fin"), "P1", findings=[])
    assert town.ledger.head() == head

    found = town.ledger.record_finding(
        DSI, kind="weakness", title="Sauvegardes", documents=[first]
    ).data["code"]
    finding = town.ledger.load(Finding, Finding.id_for(found))
    assert finding is not None and finding.documents == [first]
    with refused(town.ledger, NotAllowed):
        town.ledger.cite_documents_in_finding(CHAIR, found, [second])
    town.ledger.cite_documents_in_finding(DSI, found, [second])
    finding = town.ledger.load(Finding, Finding.id_for(found))
    assert finding is not None and finding.documents == [second]
    with refused(town.ledger, InvalidValue) as info:
        town.ledger.cite_documents_in_finding(DSI, found, [f"D{n}" for n in range(51)])
    assert info.value.field == "documents"
