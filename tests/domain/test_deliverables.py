"""The phases' expected deliverables: defaults, the list kept by the DSI or the
chair, submission by the owners, validation or return by the chair, and the rule
that a phase completes only with its deliverables validated or a recorded reason."""

from __future__ import annotations

import hashlib
from uuid import UUID

import pytest

from domain.attachments import Attachment
from domain.deliverables import DEFAULTS, PhaseDeliverables
from domain.errors import (
    AlreadyExists,
    DeliverableRefused,
    DeliverablesMissing,
    InvalidValue,
    NotAllowed,
    NotFound,
    PhaseClosed,
    ReasonRequired,
)
from domain.plan import Plan
from ledger.app import Ledger
from tests.domain.builders import ADMIN, CHAIR, DSI, Town, by, names_since, refused

AMO = by("amo")
PDF = b"%PDF-1.4\n% note de cadrage\n"


@pytest.fixture
def started(ledger: Ledger, town: Town) -> Ledger:
    ledger.add_user(ADMIN, "amo", "AMO", "amo-password-1", roles=[("consultant", None)])
    ledger.start_phase(DSI, "cadrage", "2024-01-12")
    ledger.start_phase(DSI, "alignement_strategique", "2024-01-12")
    return ledger


def deliverables(ledger: Ledger, phase: str) -> PhaseDeliverables:
    found = ledger.load(PhaseDeliverables, PhaseDeliverables.id_for(1, phase))
    assert found is not None
    return found


def submit_pdf(ledger: Ledger, key: str, content: bytes = PDF) -> None:
    ledger.submit_deliverable(
        AMO,
        "cadrage",
        key,
        filename=f"{key}.pdf",
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
    )


def test_every_phase_has_default_deliverables() -> None:
    assert {p: [k for k, _l, _t in d] for p, d in DEFAULTS.items()} == {
        "cadrage": ["note_cadrage", "lettre_mission"],
        "revue_documentaire": ["inventaire_documents"],
        "alignement_strategique": ["axes_indicateurs"],
        "diagnostic_si": ["rapport_diagnostic", "inventaire_applicatif"],
        "evolutions_demandees": ["demandes_consolidees"],
        "plan_strategique_numerique": ["plan_feuille_de_route"],
    }


def test_a_phase_without_its_deliverables_validated_does_not_complete(
    started: Ledger,
) -> None:
    with refused(started, DeliverablesMissing) as err:
        started.complete_phase(DSI, "cadrage", "2024-03-01")
    assert err.value.field == "deliverables"
    assert err.value.params["deliverables"] == [
        "Note de cadrage",
        "Lettre de mission et gouvernance du projet",
    ]
    assert err.value.message == (
        "La phase « cadrage » ne peut pas être terminée : livrables non validés : "
        "« Note de cadrage », « Lettre de mission et gouvernance du projet ». "
        "Faites-les valider, ou terminez la phase avec un motif."
    )


def test_completing_with_override_needs_a_reason(started: Ledger) -> None:
    with refused(started, ReasonRequired):
        started.complete_phase(DSI, "cadrage", "2024-03-01", override=True)
    head = started.head()
    started.complete_phase(
        by("dsi", "note validée en réunion"), "cadrage", "2024-03-01", override=True
    )
    assert names_since(started, head) == ["Plan.PhaseCompletedWithReason"]
    plan = started.load(Plan, Plan.id_for())
    assert plan is not None and plan.phases["cadrage"]["status"] == "done"


def test_document_submitted_validated_then_the_phase_completes(
    started: Ledger, town: Town
) -> None:
    held = town.open(town.convene("COPIL-2024-01"))  # the session the DSI cites
    head = started.head()
    submit_pdf(started, "note_cadrage")
    submit_pdf(started, "lettre_mission", PDF + b"lettre")
    started.validate_deliverable(CHAIR, "cadrage", "note_cadrage")
    started.validate_deliverable(DSI, "cadrage", "lettre_mission", decision=held)
    started.complete_phase(DSI, "cadrage", "2024-03-01")
    assert names_since(started, head) == [
        "PhaseDeliverables.Listed",
        "PhaseDeliverables.Submitted",
        "Attachment.Attached",
        "PhaseDeliverables.Submitted",
        "Attachment.Attached",
        "PhaseDeliverables.Validated",
        "PhaseDeliverables.Validated",
        "Plan.PhaseCompleted",
    ]
    note = deliverables(started, "cadrage").items["note_cadrage"]
    attachment = started.load(Attachment, UUID(note["attachment"]))
    assert attachment is not None
    assert (attachment.subject, attachment.ref, attachment.sha256) == (
        "deliverable",
        "1/cadrage/note_cadrage",
        hashlib.sha256(PDF).hexdigest(),
    )
    assert {k: note[k] for k in ("status", "owner", "sha256", "reviewed_by")} == {
        "status": "validated",
        "owner": "amo",
        "sha256": hashlib.sha256(PDF).hexdigest(),
        "reviewed_by": "chair",
    }
    lettre = deliverables(started, "cadrage").items["lettre_mission"]
    assert (lettre["reviewed_by"], lettre["decision"]) == ("dsi", "COPIL-2024-01")
    with refused(started, PhaseClosed):
        started.add_deliverable(DSI, "cadrage", "annexe", "Annexe", "document")


def test_record_deliverable_is_returned_with_a_reason_then_resubmitted(
    started: Ledger,
) -> None:
    started.submit_deliverable(
        DSI, "alignement_strategique", "axes_indicateurs", record_kind="axes"
    )
    with refused(started, ReasonRequired):
        started.return_deliverable(CHAIR, "alignement_strategique", "axes_indicateurs")
    started.return_deliverable(
        by("chair", "indicateurs sans cible"),
        "alignement_strategique",
        "axes_indicateurs",
    )
    item = deliverables(started, "alignement_strategique").items["axes_indicateurs"]
    assert (item["status"], item["record_kind"]) == ("returned", "axes")
    with refused(started, DeliverableRefused) as err:
        started.validate_deliverable(
            CHAIR, "alignement_strategique", "axes_indicateurs"
        )
    assert err.value.message == (
        "Livrable « Axes stratégiques et indicateurs » : renvoyé : "
        "impossible de valider un livrable."
    )
    started.submit_deliverable(
        AMO, "alignement_strategique", "axes_indicateurs", record_kind="axes"
    )
    started.validate_deliverable(CHAIR, "alignement_strategique", "axes_indicateurs")
    started.complete_phase(DSI, "alignement_strategique", "2024-03-01")


def test_bad_submissions_are_refused_naming_the_field(started: Ledger) -> None:
    with refused(started, InvalidValue) as err:
        started.submit_deliverable(AMO, "cadrage", "note_cadrage", record_kind="axes")
    assert err.value.field == "file"
    with refused(started, InvalidValue) as err:
        started.submit_deliverable(
            AMO, "alignement_strategique", "axes_indicateurs", record_kind="budget"
        )
    assert (err.value.field, err.value.params["value"]) == ("record_kind", "budget")
    with refused(started, NotFound) as err:
        started.submit_deliverable(AMO, "cadrage", "inconnu", record_kind="axes")
    assert err.value.params == {"kind": "Livrable", "id": "inconnu"}
    with refused(started, NotAllowed):
        started.submit_deliverable(CHAIR, "cadrage", "note_cadrage")
    submit_pdf(started, "note_cadrage")
    with refused(started, InvalidValue) as err:  # the DSI names the COPIL decision
        started.validate_deliverable(DSI, "cadrage", "note_cadrage")
    assert err.value.field == "copil_decision"
    with refused(started, NotAllowed):
        started.validate_deliverable(AMO, "cadrage", "note_cadrage")


@pytest.mark.parametrize("kind", ["unknown", "convened"])
def test_a_review_cites_a_session_of_the_copil_that_was_held(
    started: Ledger, town: Town, kind: str
) -> None:
    """The cited session exists and has been opened (open or closed); else the
    review is refused naming ``copil_decision``, nothing written."""
    submit_pdf(started, "note_cadrage")
    cited = "COPIL-X" if kind == "unknown" else town.convene("COPIL-2024-02")
    for review in (started.validate_deliverable, started.return_deliverable):
        with refused(started, InvalidValue) as err:
            review(by("dsi", "à reprendre"), "cadrage", "note_cadrage", cited)
        assert err.value.field == "copil_decision"
    town.open(town.convene("COPIL-2024-03"))
    started.validate_deliverable(DSI, "cadrage", "note_cadrage", "COPIL-2024-03")
    item = deliverables(started, "cadrage").items["note_cadrage"]
    assert (item["status"], item["decision"]) == ("validated", "COPIL-2024-03")


def test_the_list_is_kept_by_the_dsi_and_the_chair(started: Ledger) -> None:
    started.add_deliverable(CHAIR, "cadrage", "planning", "Planning détaillé", "record")
    with refused(started, AlreadyExists):
        started.add_deliverable(DSI, "cadrage", "planning", "Planning", "document")
    started.rename_deliverable(DSI, "cadrage", "planning", "Planning du projet")
    with refused(started, ReasonRequired):
        started.drop_deliverable(DSI, "cadrage", "lettre_mission")
    started.drop_deliverable(
        by("dsi", "lettre intégrée à la note"), "cadrage", "lettre_mission"
    )
    with refused(started, NotAllowed):
        started.add_deliverable(AMO, "cadrage", "x", "X", "record")
    assert deliverables(started, "cadrage").missing() == [
        "Note de cadrage",
        "Planning du projet",
    ]
