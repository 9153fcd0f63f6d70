"""A document (or a finding) withdrawn while a finding or a proposal cites it: never
a citation of a withdrawn record; a direction closed while the inventory gives it an
application or its referent assesses one: never a closed direction's.

Citing reads the document (current) and writes the finding or the proposal's links;
withdrawing writes the document. Each runs on its own ledger instance (as two server
processes would), the withdrawal landing between the citing command's read and its
save: without a guard on what is cited both saves pass, and the register shows a
withdrawn document cited, which the rule (``document_withdrawn``) forbids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from domain.errors import DomainError
from domain.findings import Finding, ProposalLinks
from domain.inventory import Application
from ledger.app import Ledger
from ledger.config import Settings
from tests.domain.builders import DSI, Town, by
from tests.ledger.test_last_administrator_race import (
    before_the_first_save,
    other_instances,
)

WHY = by("dsi", "document remplacé par sa nouvelle version")
DOC = {
    "kind": "audit",
    "date": "2024-03-01",
    "author": "Cabinet Vigie Cyber",
    "title": "Audit de sécurité",
}


@pytest.fixture
def ready(ledger: Ledger, settings: Settings) -> Iterator[list[Ledger]]:
    """DOC-001 registered, proposal FIN-1 drafted; two more instances."""
    Town(ledger).draft("FIN-1")
    ledger.register_document(DSI, DOC)
    yield from other_instances(settings)


CITES: dict[str, Callable[[Ledger], Any]] = {
    "finding": lambda led: led.record_finding(
        DSI, kind="risk", title="Sauvegardes fragiles", documents=["DOC-001"]
    ),
    "proposal": lambda led: led.link_proposal(DSI, "FIN-1", documents=["DOC-001"]),
}


@pytest.mark.parametrize("by_what", sorted(CITES))
def test_a_document_withdrawn_while_it_is_being_cited_is_never_cited(
    ledger: Ledger, ready: list[Ledger], by_what: str
) -> None:
    citing, other = ready
    before_the_first_save(citing, lambda: other.withdraw_document(WHY, "DOC-001"))
    with pytest.raises(DomainError) as refused:
        CITES[by_what](citing)
    # the citing save conflicted, ran again on the withdrawn document, refused
    assert refused.value.code == "document_withdrawn"
    assert citing.stats.conflicts == 1
    assert ledger.load(Finding, Finding.id_for("CST-001")) is None
    links = ledger.load(ProposalLinks, ProposalLinks.id_for("FIN-1"))
    assert links is None or links.documents == []


def test_a_finding_withdrawn_while_a_proposal_cites_it_is_never_cited(
    ledger: Ledger, ready: list[Ledger]
) -> None:
    ledger.record_finding(DSI, kind="risk", title="Serveurs hors support")
    citing, other = ready
    before_the_first_save(citing, lambda: other.withdraw_finding(WHY, "CST-001"))
    with pytest.raises(DomainError) as refused:
        citing.link_proposal(DSI, "FIN-1", findings=["CST-001"])
    assert refused.value.code == "finding_withdrawn"
    assert citing.stats.conflicts == 1
    assert ledger.load(ProposalLinks, ProposalLinks.id_for("FIN-1")) is None


CLOSED_MEANWHILE: dict[str, Callable[[Ledger], Any]] = {
    "import": lambda led: led.import_inventory(
        DSI,
        [{"code": "PAIE", "name": "Paie", "direction": "EDU", "criticality": 3}],
    ),
    "assess": lambda led: led.assess_application_use(
        by("ref.edu"), "COURRIER", "EDU", satisfaction=2, coverage=2
    ),
}


@pytest.mark.parametrize("what", sorted(CLOSED_MEANWHILE))
def test_a_direction_closed_meanwhile_receives_no_application_nor_assessment(
    ledger: Ledger, ready: list[Ledger], what: str
) -> None:
    ledger.register_application(DSI, "COURRIER", {"name": "Courrier", "criticality": 2})
    acting, other = ready
    before_the_first_save(
        acting, lambda: other.close_direction(by("admin", "fusion"), "EDU")
    )
    with pytest.raises(DomainError) as refused:
        CLOSED_MEANWHILE[what](acting)
    assert refused.value.code == "record_closed"
    assert acting.stats.conflicts == 1
    assert ledger.load(Application, Application.id_for("PAIE")) is None
    courrier = ledger.load(Application, Application.id_for("COURRIER"))
    assert courrier is not None and courrier.direction_assessments == {}
