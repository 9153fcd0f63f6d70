"""Amounts as the ledger takes them (the API's grammar), generated: every decimal
string ``-?[0-9]+(\\.[0-9]{1,2})?`` and every integer is read as exactly its value;
exponents, underscores, signs, spaces, other digits, three decimals, empty or huge
texts are refused naming the field, and a refused command writes nothing."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.budget import Envelope
from domain.errors import InvalidValue
from domain.values import AMOUNT_EXPECTED, MAX_AMOUNT, Section, decimal_value, money
from ledger.app import Ledger
from tests.amounts import (
    DECIMALS,
    FORMAT,
    HUGE,
    MAX_CENTS,
    NEGATIVE,
    api_amounts,
    bad_api_amounts,
    value_of,
)
from tests.domain.builders import FIN, INV, YEAR, Town, refused

REASONS = {
    FORMAT: AMOUNT_EXPECTED,
    DECIMALS: "au plus 2 décimales",
    NEGATIVE: "montant négatif",
    HUGE: "montant démesuré",
}


@given(amount=api_amounts(), signed=st.booleans())
def test_every_decimal_string_is_read_as_exactly_its_value(
    amount: tuple[str, Decimal], signed: bool
) -> None:
    text, value = amount
    read = money(text, "amount", allow_negative=signed)
    assert (read, str(read)) == (value, f"{value:.2f}")


@given(amount=api_amounts(signed=True))
def test_negative_amounts_are_read_where_they_are_allowed(
    amount: tuple[str, Decimal],
) -> None:
    text, value = amount
    read = money(text, "delta", allow_negative=True)
    assert (read, str(read)) == (value, f"{value:.2f}")
    assert str(read) != "-0.00"


@given(cents=st.integers(-MAX_CENTS, MAX_CENTS).filter(lambda c: c % 100 == 0))
def test_integers_are_whole_euros(cents: int) -> None:
    assert money(cents // 100, "delta", allow_negative=True) == value_of(cents)


@given(bad=st.booleans().flatmap(lambda s: st.tuples(st.just(s), bad_api_amounts(s))))
def test_anything_else_is_refused_naming_the_field_and_the_rule(
    bad: tuple[bool, tuple[str, str]],
) -> None:
    signed, (text, kind) = bad
    with pytest.raises(InvalidValue) as err:
        money(text, "costs[0].amount", allow_negative=signed)
    assert err.value.field == "costs[0].amount"
    assert err.value.params["reason"] == REASONS[kind]
    assert err.value.params["value"] == (text if len(text) <= 40 else text[:40] + "…")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (1.5, "montant en décimal exact, jamais en flottant"),
        (True, "montant en décimal exact, jamais en flottant"),
        (None, "montant décimal attendu"),
        (Decimal("NaN"), "montant décimal attendu"),
        (Decimal("1.005"), "au plus 2 décimales"),
        (MAX_AMOUNT + 1, "montant démesuré"),
        (-1, "montant négatif"),
        ("-0", "montant négatif"),
    ],
)
def test_values_of_other_types_are_refused(value: Any, reason: str) -> None:
    with pytest.raises(InvalidValue) as err:
        money(value, "amount")
    assert err.value.params["reason"] == reason


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(bad=bad_api_amounts(signed=True))
def test_a_refused_amount_writes_nothing(ledger: Ledger, bad: tuple[str, str]) -> None:
    """Through a ledger command, on both backends: refused, nothing written."""
    text, kind = bad
    if not ledger.load(Envelope, Envelope.id_for(YEAR, Section.INVESTMENT)):
        Town(ledger).envelope(YEAR, INV, "1000.00")
    with refused(ledger, InvalidValue) as err:
        ledger.adjust_budget(FIN, YEAR, INV, text, "DM", f"{YEAR}-06-30")
    assert (err.value.field, err.value.params["reason"]) == ("delta", REASONS[kind])


@given(
    text=st.one_of(
        st.sampled_from(
            [
                "1e3",
                "1_000",
                " 5",
                "5 ",
                "+5",
                "١٢٣",
                "Infinity",
                "NaN",
                "",
                "1.2.3",
                "--1",
                "0x10",
                "½",
                "1" * 16,
            ]
        ),
        st.text(max_size=8).filter(
            lambda t: not re.fullmatch(r"-?[0-9]{1,15}([.,][0-9]{1,10})?", t)
        ),
    )
)
def test_decimal_values_refuse_what_decimal_would_take(text: str) -> None:
    """Weights and indicator values: the same class of bug as amounts (Decimal()
    takes exponents, underscores, spaces, signs and any script's digits)."""
    with pytest.raises(InvalidValue) as refused:
        decimal_value(text, "weight")
    assert refused.value.details["field"] == "weight"


@given(
    whole=st.integers(-(10**14), 10**14),
    fraction=st.text(alphabet="0123456789", max_size=10),
    comma=st.booleans(),
)
def test_decimal_values_take_plain_decimals_exactly(
    whole: int, fraction: str, comma: bool
) -> None:
    text = str(whole) + ((("," if comma else ".") + fraction) if fraction else "")
    expected = Decimal(str(whole) + ("." + fraction if fraction else ""))
    assert decimal_value(text, "weight") == expected
