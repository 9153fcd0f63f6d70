"""A project budget's running indexes of its commitments (committed per year and
section, payment references) agree with the commitments themselves however the
aggregate was obtained: rebuilt from its events, copied, or changed in memory."""

from __future__ import annotations

import copy
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.base import command_context
from domain.budget import ProjectBudget
from domain.errors import AlreadyExists
from domain.values import CommandContext, Section
from ledger.app import Ledger
from tests.domain.builders import FIN, YEAR, Town

D = Decimal


def naive(budget: ProjectBudget, section: Section) -> Decimal:
    return sum(
        (
            c["amount"]
            for c in budget.commitments.values()
            if c["year"] == YEAR and c["section"] == section.value
        ),
        D("0.00"),
    )


def loaded(ledger: Ledger) -> ProjectBudget:
    found = ledger.load(ProjectBudget, ProjectBudget.id_for("P1"))
    assert found is not None
    return found


@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    amounts=st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=6)
)
def test_the_indexes_follow_the_commitments_rebuilt_copied_or_changed(
    ledger: Ledger, amounts: list[int]
) -> None:
    if loaded_or_none(ledger) is None:
        Town(ledger).approved_budget("P1", "100000.00")
    before = loaded(ledger)
    start = len(before.commitments)
    for i, cents in enumerate(amounts):
        ref = f"IX{start + i}"
        ledger.record_commitment(
            FIN, "P1", ref, YEAR, "investissement", D(cents) / 100, f"{YEAR}-04-02", "T"
        )
        ledger.record_payment(
            FIN, "P1", f"PX{start + i}", ref, D("0.01"), f"{YEAR}-05-02"
        )
    rebuilt = loaded(ledger)
    assert rebuilt.committed(YEAR, Section.INVESTMENT) == naive(
        rebuilt, Section.INVESTMENT
    )
    copied = copy.deepcopy(rebuilt)
    ctx = CommandContext(
        actor="fin", roles=("finance",), at=ledger.clock(), origin="cli",
        command="test", key="k",
    )  # fmt: skip
    with command_context(ctx):
        copied.commit(
            f"IY{start}", YEAR, Section.INVESTMENT, D("1.00"), f"{YEAR}-04-03", "T"
        )
        copied.pay(f"PY{start}", f"IY{start}", D("0.01"), f"{YEAR}-05-03")
        try:
            copied.pay(f"PX{start}", f"IY{start}", D("0.01"), f"{YEAR}-05-03")
        except AlreadyExists:
            pass
        else:
            raise AssertionError("a payment reference was accepted twice")
    assert copied.committed(YEAR, Section.INVESTMENT) == naive(
        copied, Section.INVESTMENT
    )
    assert rebuilt.committed(YEAR, Section.INVESTMENT) == naive(
        rebuilt, Section.INVESTMENT
    )
    assert loaded(ledger).committed(YEAR, Section.INVESTMENT) == naive(
        rebuilt, Section.INVESTMENT
    )


def loaded_or_none(ledger: Ledger) -> ProjectBudget | None:
    return ledger.load(ProjectBudget, ProjectBudget.id_for("P1"))
