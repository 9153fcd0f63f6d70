"""Budget: BP and DM envelopes, allocations, AP revisions, commitments, payments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from domain.budget import Envelope, ProjectBudget
from domain.errors import (
    AlreadyExists,
    BudgetAlreadyVoted,
    BudgetNotVoted,
    CommitmentExceeded,
    CPBelowCommitted,
    CPExceeded,
    DateOutsideYear,
    DecisionAmountsInvalid,
    EnvelopeBelowAllocated,
    EnvelopeExceeded,
    InvalidValue,
    NotAllowed,
    NotFound,
    OverrideNotAllowed,
    ReasonRequired,
)
from domain.sessions import Session
from domain.values import Section
from ledger.app import Ledger
from tests.domain.builders import (
    CHAIR,
    DSI,
    FIN,
    INV,
    OPE,
    YEAR,
    Town,
    by,
    cp,
    events_since,
    names_since,
    refused,
)

D = Decimal


def envelope(ledger: Ledger, year: int = YEAR, section: str = INV) -> Envelope:
    loaded = ledger.load(Envelope, Envelope.id_for(year, section))
    assert loaded is not None
    return loaded


def project(ledger: Ledger, code: str = "P1") -> ProjectBudget:
    loaded = ledger.load(ProjectBudget, ProjectBudget.id_for(code))
    assert loaded is not None
    return loaded


def up_for_decision(town: Town) -> str:
    """P1 on the agenda of the open session S1, with a 100 k€ envelope for YEAR."""
    town.envelope(YEAR, INV, "100000.00")
    return town.open(town.on_agenda("P1", town.convene("S1")))


def approve_over(ledger: Ledger, override: str | None = None) -> None:
    """Approve P1 in S1 with 120 k€ of CP in YEAR: beyond its 100 k€ envelope."""
    ledger.record_decision(
        CHAIR,
        "S1",
        "P1",
        "approved",
        "prioritaire",
        ap_amount="120000.00",
        cp=cp((YEAR, INV, "120000.00")),
        override_reason=override,
    )


# --- envelopes: BP and DM -------------------------------------------------------------


def test_finance_votes_the_bp_of_a_year_and_section(ledger: Ledger, town: Town) -> None:
    head = ledger.head()
    ledger.vote_budget(FIN, YEAR, OPE, "80000.50", "DCM 2024-12-15", "2024-12-15")
    (voted,) = events_since(ledger, head)
    assert (voted.year, voted.section, voted.amount, voted.deliberation, voted.on) == (
        YEAR,
        Section.OPERATING,
        D("80000.50"),
        "DCM 2024-12-15",
        date(2024, 12, 15),
    )
    env = envelope(ledger, YEAR, OPE)
    assert (env.voted, env.adjustments, env.total, env.allocations) == (
        D("80000.50"),
        D("0.00"),
        D("80000.50"),
        {},
    )


def test_bp_is_voted_once(ledger: Ledger, town: Town) -> None:
    town.envelope()
    with refused(ledger, BudgetAlreadyVoted) as err:
        ledger.vote_budget(FIN, YEAR, INV, "1.00", "BP bis", "2024-12-20")
    assert err.value.params == {"year": YEAR, "section": "investissement"}


def test_bp_is_voted_only_by_finance(ledger: Ledger, town: Town) -> None:
    with refused(ledger, NotAllowed) as err:
        ledger.vote_budget(CHAIR, YEAR, INV, "1.00", "BP", "2024-12-20")
    assert err.value.params["action"] == "voter le budget primitif"


def test_dm_adjusts_the_envelope_with_its_deliberation(
    ledger: Ledger, town: Town
) -> None:
    town.envelope(YEAR, INV, "500000.00")
    ledger.adjust_budget(FIN, YEAR, INV, "-50000.00", "DM n°1", "2025-06-28")
    ledger.adjust_budget(FIN, YEAR, INV, "20000.00", "DM n°2", "2025-10-10")
    env = envelope(ledger)
    assert (env.voted, env.adjustments, env.total) == (
        D("500000.00"),
        D("-30000.00"),
        D("470000.00"),
    )


def test_dm_without_voted_bp_is_refused(ledger: Ledger, town: Town) -> None:
    with refused(ledger, BudgetNotVoted) as err:
        ledger.adjust_budget(FIN, YEAR, INV, "1000.00", "DM", "2025-06-28")
    assert err.value.params == {"year": YEAR, "section": "investissement"}


def test_dm_of_zero_is_refused(ledger: Ledger, town: Town) -> None:
    town.envelope()
    with refused(ledger, InvalidValue) as err:
        ledger.adjust_budget(FIN, YEAR, INV, "0", "DM", "2025-06-28")
    assert err.value.field == "delta"


def test_dm_below_what_is_allocated_is_refused(ledger: Ledger, town: Town) -> None:
    town.approved_budget("P1", "100000.00", envelope="150000.00")
    with refused(ledger, EnvelopeBelowAllocated) as err:
        ledger.adjust_budget(FIN, YEAR, INV, "-50000.01", "DM", "2025-06-28")
    assert err.value.field == "delta"
    assert err.value.params == {
        "year": YEAR,
        "section": "investissement",
        "total": D("99999.99"),
        "allocated": D("100000.00"),
    }


def test_dm_down_to_exactly_what_is_allocated_is_allowed(
    ledger: Ledger, town: Town
) -> None:
    town.approved_budget("P1", "100000.00", envelope="150000.00")
    ledger.adjust_budget(FIN, YEAR, INV, "-50000.00", "DM", "2025-06-28")
    assert envelope(ledger).available == D("0.00")


def test_positive_dm_on_an_overdrawn_envelope_is_allowed(
    ledger: Ledger, town: Town
) -> None:
    """A DM that raises an envelope overdrawn by an override reduces the overrun."""
    up_for_decision(town)
    approve_over(ledger, "projet prioritaire")
    ledger.adjust_budget(FIN, YEAR, INV, "10000.00", "DM n°1", "2025-06-28")
    env = envelope(ledger)
    assert (env.total, env.allocated, env.available) == (
        D("110000.00"),
        D("120000.00"),
        D("-10000.00"),
    )


def test_negative_dm_on_an_overdrawn_envelope_is_refused(
    ledger: Ledger, town: Town
) -> None:
    up_for_decision(town)
    approve_over(ledger, "projet prioritaire")
    with refused(ledger, EnvelopeBelowAllocated):
        ledger.adjust_budget(FIN, YEAR, INV, "-1.00", "DM n°1", "2025-06-28")


# --- allocations ----------------------------------------------------------------------


def test_allocation_beyond_the_envelope_is_refused(ledger: Ledger, town: Town) -> None:
    up_for_decision(town)
    with refused(ledger, EnvelopeExceeded) as err:
        approve_over(ledger)
    assert err.value.field == "cp"
    assert err.value.params == {
        "year": YEAR,
        "section": "investissement",
        "proposal": "P1",
        "requested": D("120000.00"),
        "available": D("100000.00"),
    }


def test_allocation_beyond_the_envelope_with_the_chair_override_is_flagged(
    ledger: Ledger, town: Town
) -> None:
    up_for_decision(town)
    head = ledger.head()
    approve_over(ledger, "projet prioritaire : compensé par la DM")
    (allocated,) = [
        e for e in events_since(ledger, head) if isinstance(e, Envelope.Allocated)
    ]
    assert (allocated.proposal, allocated.amount, allocated.previous) == (
        "P1",
        D("120000.00"),
        D("0.00"),
    )
    assert allocated.override_reason == "projet prioritaire : compensé par la DM"
    assert allocated.context.actor == "chair"
    env = envelope(ledger)
    assert (env.allocations, env.overrides, env.available) == (
        {"P1": D("120000.00")},
        1,
        D("-20000.00"),
    )
    session = ledger.load(Session, Session.id_for("S1"))
    assert session is not None
    assert session.decisions["P1"].override_reason == (
        "projet prioritaire : compensé par la DM"
    )


def test_allocation_within_the_envelope_is_not_flagged(
    ledger: Ledger, town: Town
) -> None:
    head = ledger.head()
    town.approved_budget("P1", "100000.00", envelope="100000.00")
    (allocated,) = [
        e for e in events_since(ledger, head) if isinstance(e, Envelope.Allocated)
    ]
    assert (allocated.amount, allocated.override_reason) == (D("100000.00"), None)
    assert envelope(ledger).overrides == 0


def test_override_with_a_blank_reason_is_refused(ledger: Ledger, town: Town) -> None:
    up_for_decision(town)
    with refused(ledger, ReasonRequired) as err:
        approve_over(ledger, "   ")
    assert err.value.field == "override_reason"
    assert err.value.params == {"action": "un forçage"}


def test_allocation_override_by_finance_is_refused(ledger: Ledger, town: Town) -> None:
    town.approved_budget("P1", "100000.00", envelope="100000.00")
    with refused(ledger, OverrideNotAllowed) as err:
        ledger.revise_ap(
            by("fin", "avenant"),
            "P1",
            "130000.00",
            cp((YEAR, INV, "130000.00")),
            "DCM 2025-05",
            override_reason="urgence",
        )
    assert err.value.params == {
        "actor": "fin",
        "what": "une allocation au-delà de l'enveloppe",
        "role": "chair",
    }


# --- AP revisions ---------------------------------------------------------------------


def test_ap_revision_moves_the_cp_and_the_envelopes_follow(
    ledger: Ledger, town: Town
) -> None:
    town.envelope(YEAR + 1, INV, "300000.00")
    town.approved_budget("P1", "100000.00")
    head = ledger.head()
    ledger.revise_ap(
        by("fin", "décalage du marché"),
        "P1",
        "110000.00",
        cp((YEAR, INV, "30000.00"), (YEAR + 1, INV, "80000.00")),
        "DCM 2025-05-20",
    )
    assert names_since(ledger, head) == [
        "ProjectBudget.APRevised",
        "Envelope.Allocated",
        "Envelope.Allocated",
    ]
    budget = project(ledger)
    assert (budget.ap, budget.cp, budget.revisions) == (
        D("110000.00"),
        {
            f"{YEAR}/investissement": D("30000.00"),
            f"{YEAR + 1}/investissement": D("80000.00"),
        },
        1,
    )
    assert envelope(ledger, YEAR).allocations == {"P1": D("30000.00")}
    assert envelope(ledger, YEAR + 1).allocations == {"P1": D("80000.00")}


def test_ap_revision_without_reason_is_refused(ledger: Ledger, town: Town) -> None:
    town.approved_budget("P1")
    with refused(ledger, ReasonRequired) as err:
        ledger.revise_ap(FIN, "P1", "90000.00", cp((YEAR, INV, "90000.00")), "DCM")
    assert err.value.params == {"action": "réviser une AP"}


def test_ap_revision_whose_cp_does_not_total_the_ap_is_refused(
    ledger: Ledger, town: Town
) -> None:
    town.approved_budget("P1")
    with refused(ledger, DecisionAmountsInvalid) as err:
        ledger.revise_ap(
            by("fin", "avenant"), "P1", "90000.00", cp((YEAR, INV, "80000.00")), "DCM"
        )
    assert err.value.field == "cp"
    assert err.value.params == {
        "proposal": "P1",
        "reason": "le total des CP (80000.00 €) diffère de l'AP (90000.00 €)",
    }


def test_ap_revision_is_refused_to_the_dsi(ledger: Ledger, town: Town) -> None:
    town.approved_budget("P1")
    with refused(ledger, NotAllowed) as err:
        ledger.revise_ap(
            by("dsi", "r"), "P1", "90000.00", cp((YEAR, INV, "90000.00")), "D"
        )
    assert err.value.params["action"] == "réviser une AP"


def test_ap_revision_below_what_is_committed_is_refused(
    ledger: Ledger, town: Town
) -> None:
    town.approved_budget("P1", "100000.00")
    town.commitment("P1", "EJ1", "60000.00")
    with refused(ledger, CPBelowCommitted) as err:
        ledger.revise_ap(
            by("fin", "réduction"), "P1", "50000.00", cp((YEAR, INV, "50000.00")), "DCM"
        )
    assert err.value.field == "cp"
    assert err.value.params == {
        "year": YEAR,
        "section": "investissement",
        "proposal": "P1",
        "cp": D("50000.00"),
        "committed": D("60000.00"),
    }


def test_ap_revision_down_to_what_is_committed_is_allowed(
    ledger: Ledger, town: Town
) -> None:
    town.approved_budget("P1", "100000.00")
    town.commitment("P1", "EJ1", "60000.00")
    ledger.revise_ap(
        by("fin", "réduction"), "P1", "60000.00", cp((YEAR, INV, "60000.00")), "DCM"
    )
    assert (project(ledger).ap, envelope(ledger).allocations) == (
        D("60000.00"),
        {"P1": D("60000.00")},
    )


def test_ap_revision_beyond_the_envelope_is_refused_without_override(
    ledger: Ledger, town: Town
) -> None:
    town.approved_budget("P1", "100000.00", envelope="100000.00")
    with refused(ledger, EnvelopeExceeded) as err:
        ledger.revise_ap(
            by("chair", "avenant"), "P1", "130000.00", cp((YEAR, INV, "130000.00")), "D"
        )
    assert err.value.params["requested"] == D("130000.00")
    assert err.value.params["available"] == D("100000.00")


def test_ap_revision_reducing_an_overdrawn_allocation_is_allowed(
    ledger: Ledger, town: Town
) -> None:
    """Bringing an overridden allocation back towards the envelope needs no override."""
    up_for_decision(town)
    approve_over(ledger, "projet prioritaire")
    head = ledger.head()
    ledger.revise_ap(
        by("fin", "marché moins cher"),
        "P1",
        "110000.00",
        cp((YEAR, INV, "110000.00")),
        "D",
    )
    (allocated,) = [
        e for e in events_since(ledger, head) if isinstance(e, Envelope.Allocated)
    ]
    assert (allocated.amount, allocated.previous, allocated.override_reason) == (
        D("110000.00"),
        D("120000.00"),
        None,
    )
    assert envelope(ledger).available == D("-10000.00")


# --- commitments ----------------------------------------------------------------------


def test_finance_records_a_commitment_against_the_project_cp(
    ledger: Ledger, town: Town
) -> None:
    town.approved_budget("P1", "100000.00")
    head = ledger.head()
    ledger.record_commitment(
        FIN, "P1", "EJ1", YEAR, INV, "60000.00", "2025-04-02", "Titulaire du marché"
    )
    (committed,) = events_since(ledger, head)
    assert (committed.reference, committed.supplier, committed.override_reason) == (
        "EJ1",
        "Titulaire du marché",
        None,
    )
    assert project(ledger).commitments == {
        "EJ1": {
            "year": YEAR,
            "section": "investissement",
            "amount": D("60000.00"),
            "paid": D("0.00"),
            "payments": [],
            "on": date(2025, 4, 2),
        }
    }
    assert project(ledger).committed(YEAR, Section.INVESTMENT) == D("60000.00")


def test_only_finance_records_commitments(ledger: Ledger, town: Town) -> None:
    town.approved_budget("P1")
    with refused(ledger, NotAllowed) as err:
        ledger.record_commitment(DSI, "P1", "EJ1", YEAR, INV, "1.00", "2025-04-02", "S")
    assert err.value.params["action"] == "engager une dépense"


def test_commitment_beyond_the_project_cp_is_refused(
    ledger: Ledger, town: Town
) -> None:
    town.approved_budget("P1", "100000.00")
    town.commitment("P1", "EJ1", "60000.00")
    with refused(ledger, CPExceeded) as err:
        town.commitment("P1", "EJ2", "40000.01")
    assert err.value.field == "amount"
    assert err.value.params == {
        "year": YEAR,
        "section": "investissement",
        "proposal": "P1",
        "requested": D("40000.01"),
        "available": D("40000.00"),
    }


def test_commitment_in_a_year_without_cp_is_refused(ledger: Ledger, town: Town) -> None:
    town.approved_budget("P1", "100000.00")
    with refused(ledger, CPExceeded) as err:
        ledger.record_commitment(FIN, "P1", "EJ1", YEAR, OPE, "1.00", "2025-04-02", "S")
    assert err.value.params["available"] == D("0.00")


def test_commitment_beyond_the_cp_with_a_finance_override_is_flagged(
    ledger: Ledger, town: Town
) -> None:
    town.approved_budget("P1", "100000.00")
    head = ledger.head()
    ledger.record_commitment(
        FIN,
        "P1",
        "EJ1",
        YEAR,
        INV,
        "112500.00",
        "2025-04-02",
        "Titulaire",
        "Avenant n°1 (RGAA)",
    )
    (committed,) = events_since(ledger, head)
    assert (committed.amount, committed.override_reason, committed.context.actor) == (
        D("112500.00"),
        "Avenant n°1 (RGAA)",
        "fin",
    )


def test_commitment_within_the_cp_is_not_flagged_even_with_an_override(
    ledger: Ledger, town: Town
) -> None:
    town.approved_budget("P1", "100000.00")
    head = ledger.head()
    ledger.record_commitment(
        FIN, "P1", "EJ1", YEAR, INV, "1000.00", "2025-04-02", "S", "inutile"
    )
    (committed,) = events_since(ledger, head)
    assert committed.override_reason is None


def test_commitment_dated_outside_its_budget_year_is_refused(
    ledger: Ledger, town: Town
) -> None:
    town.approved_budget("P1")
    with refused(ledger, DateOutsideYear) as err:
        ledger.record_commitment(FIN, "P1", "EJ1", YEAR, INV, "1.00", "2026-01-05", "S")
    assert err.value.field == "on"
    assert err.value.params == {"date": "2026-01-05", "year": YEAR}


def test_commitment_reference_is_unique_within_a_project(
    ledger: Ledger, town: Town
) -> None:
    town.approved_budget("P1")
    town.commitment("P1", "EJ1", "1000.00")
    with refused(ledger, AlreadyExists) as err:
        town.commitment("P1", "EJ1", "1000.00")
    assert err.value.params == {"kind": "Engagement", "id": "EJ1"}


def test_commitment_of_zero_is_refused(ledger: Ledger, town: Town) -> None:
    town.approved_budget("P1")
    with refused(ledger, InvalidValue) as err:
        town.commitment("P1", "EJ1", "0.00")
    assert err.value.field == "amount"


def test_commitment_on_a_project_without_ap_is_refused(
    ledger: Ledger, town: Town
) -> None:
    town.qualified("P1")
    with refused(ledger, NotFound) as err:
        town.commitment("P1", "EJ1", "1.00")
    assert err.value.params == {"kind": "AP du projet", "id": "P1"}


# --- payments -------------------------------------------------------------------------


def test_payment_is_recorded_against_its_commitment(ledger: Ledger, town: Town) -> None:
    town.approved_budget("P1")
    town.commitment("P1", "EJ1", "60000.00")
    ledger.record_payment(FIN, "P1", "MD1", "EJ1", "42000.00", "2025-10-20")
    ledger.record_payment(FIN, "P1", "MD2", "EJ1", "18000.00", "2025-11-20")
    c = project(ledger).commitments["EJ1"]
    assert (c["paid"], c["payments"]) == (D("60000.00"), ["MD1", "MD2"])


def test_payment_beyond_its_commitment_is_refused(ledger: Ledger, town: Town) -> None:
    town.approved_budget("P1")
    town.commitment("P1", "EJ1", "60000.00")
    ledger.record_payment(FIN, "P1", "MD1", "EJ1", "42000.00", "2025-10-20")
    with refused(ledger, CommitmentExceeded) as err:
        ledger.record_payment(FIN, "P1", "MD2", "EJ1", "18000.01", "2025-11-20")
    assert err.value.field == "amount"
    assert err.value.params == {
        "commitment": "EJ1",
        "requested": D("18000.01"),
        "available": D("18000.00"),
    }


def test_payment_beyond_its_commitment_with_a_finance_override_is_flagged(
    ledger: Ledger, town: Town
) -> None:
    town.approved_budget("P1")
    town.commitment("P1", "EJ1", "60000.00")
    head = ledger.head()
    ledger.record_payment(
        FIN, "P1", "MD1", "EJ1", "61000.00", "2025-10-20", "révision de prix"
    )
    (paid,) = events_since(ledger, head)
    assert (paid.amount, paid.override_reason) == (D("61000.00"), "révision de prix")
    assert project(ledger).commitments["EJ1"]["paid"] == D("61000.00")


def test_payment_against_an_unknown_commitment_is_refused(
    ledger: Ledger, town: Town
) -> None:
    town.approved_budget("P1")
    with refused(ledger, NotFound) as err:
        ledger.record_payment(FIN, "P1", "MD1", "EJ9", "1.00", "2025-10-20")
    assert err.value.params == {"kind": "Engagement", "id": "P1/EJ9"}


def test_payment_reference_is_unique_within_a_project(
    ledger: Ledger, town: Town
) -> None:
    town.approved_budget("P1")
    town.commitment("P1", "EJ1", "60000.00")
    ledger.record_payment(FIN, "P1", "MD1", "EJ1", "1.00", "2025-10-20")
    with refused(ledger, AlreadyExists) as err:
        ledger.record_payment(FIN, "P1", "MD1", "EJ1", "1.00", "2025-10-21")
    assert err.value.params == {"kind": "Mandat", "id": "MD1"}


def test_payment_is_recorded_only_by_finance(ledger: Ledger, town: Town) -> None:
    town.approved_budget("P1")
    town.commitment("P1", "EJ1", "60000.00")
    with refused(ledger, NotAllowed) as err:
        ledger.record_payment(CHAIR, "P1", "MD1", "EJ1", "1.00", "2025-10-20")
    assert err.value.params["action"] == "mandater un paiement"
