"""The fast euro and number formatting writes exactly what Babel (CLDR) writes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import format_currency, format_decimal
from flask import Flask
from flask_babel import Babel
from hypothesis import given, settings
from hypothesis import strategies as st

import web.formatting as f

AMOUNTS = st.integers(min_value=-(10**14), max_value=10**14).map(
    lambda c: Decimal(c) / 100
)
NUMBERS = st.integers(min_value=-(10**9), max_value=10**9).map(
    lambda n: Decimal(n) / 1000
)


@pytest.mark.parametrize("locale", ["fr", "en_GB"])
@settings(max_examples=300, deadline=None)
@given(amount=AMOUNTS, number=NUMBERS)
def test_fast_formatting_matches_babel(
    locale: str, amount: Decimal, number: Decimal
) -> None:
    app = Flask(__name__)
    Babel(app, locale_selector=lambda: locale)
    with app.test_request_context():
        assert f.eur(amount) == format_currency(amount, "EUR", locale=locale)
        assert f.eur(int(amount * 100), cents=True) == format_currency(
            amount, "EUR", locale=locale
        )
        for digits in (0, 1, 2):
            pattern = "#,##0." + "0" * digits if digits else "#,##0"
            assert f.num(number, digits) == format_decimal(
                number, format=pattern, locale=locale
            )


def test_french_amounts_use_narrow_no_break_spaces() -> None:
    app = Flask(__name__)
    Babel(app, locale_selector=lambda: "fr")
    with app.test_request_context():
        assert f.eur(Decimal("1234567.89")) == "1\u202f234\u202f567,89\u00a0€"
        assert f.eur(None) == "—"
