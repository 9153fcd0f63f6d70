"""The demo's document review (sdsi/demo/documents.py), as ``sdsi demo`` loads it on
each backend: twelve documents, one corrected with a reason, cited by findings and
proposals whose other links stay as the diagnosis set them."""

from __future__ import annotations

from datetime import date

from domain.findings import Finding, ProposalLinks
from domain.reviewed_documents import ReviewedDocument, ReviewedKind
from sdsi.demo import documents as demo_documents
from tests.demo.test_demo_texture import Loaded, demo, loads  # noqa: F401 - fixtures


def _doc(loaded: Loaded, code: str) -> ReviewedDocument:
    return loaded.ledger.load(ReviewedDocument, ReviewedDocument.id_for(code))


def test_the_register_has_its_twelve_documents_cited_by_findings_and_proposals(
    demo: Loaded,  # noqa: F811 - the fixture
) -> None:
    assert "12 documents de la revue documentaire" in demo.stdout
    codes = [f"DOC-{n:03d}" for n in range(1, 13)]
    kinds = {_doc(demo, c).kind for c in codes}
    assert kinds == {
        ReviewedKind.PLAN,
        ReviewedKind.REPORT,
        ReviewedKind.DELIBERATION,
        ReviewedKind.CONTRACT,
        ReviewedKind.STUDY,
        ReviewedKind.AUDIT,
        ReviewedKind.NOTE,
    }
    assert _doc(demo, "DOC-013") is None
    crc = _doc(demo, "DOC-010")
    assert (crc.author, crc.date) == ("Chambre régionale des comptes", date(2023, 7, 4))
    backups = demo.ledger.load(Finding, Finding.id_for("CST-005"))
    assert backups.documents == demo_documents.FINDING_DOCUMENTS["CST-005"]
    sauveg = demo.ledger.load(ProposalLinks, ProposalLinks.id_for("SAUVEG"))
    assert sauveg.documents == ["DOC-006", "DOC-011"]
    # the diagnosis' links of the proposal are kept
    assert (sauveg.applications["SAUVEGARDE"].value, sauveg.findings) == (
        "replaces",
        ["CST-005"],
    )
