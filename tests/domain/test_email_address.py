"""One address rule for accounts and the outbox (``domain.values.email_address``)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidValue
from domain.values import email_address
from ledger.outbox import InvalidMail, check_recipient


@pytest.mark.parametrize(
    "good", ["a@ville.fr", "marie.dupont+dsi@mairie.example.fr", "x@b.c"]
)
def test_plain_addresses_are_taken_as_typed(good: str) -> None:
    assert email_address(good) == good
    assert check_recipient(good) == good


@pytest.mark.parametrize(
    "bad",
    [
        "dsi@mairie",  # no dot in the domain: the outbox never sent it
        "pas-une-adresse",
        "@ville.fr",
        "a@.ville.fr",
        "a@ville.fr.",
        "a b@ville.fr",
        "a@ville.fr, x@evil.com",
        "a@ville.fr\r\nBcc: x@evil.com",
        "a\x00@ville.fr",
        "<a@ville.fr>",
        "a" * 250 + "@b.fr",
    ],
)
def test_anything_else_is_refused_naming_the_field(bad: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        email_address(bad, "email")
    assert refused.value.field == "email"
    with pytest.raises(InvalidMail):
        check_recipient(bad)


def test_an_empty_address_means_none_unless_required() -> None:
    assert email_address("") == ""
    with pytest.raises(InvalidValue):
        email_address("", required=True)
    with pytest.raises(InvalidValue):
        email_address(None)


@given(st.text(max_size=40) | st.emails())
def test_accounts_and_the_outbox_agree_on_every_address(value: str) -> None:
    try:
        email_address(value, required=True)
        account_ok = True
    except InvalidValue:
        account_ok = False
    try:
        check_recipient(value)
        outbox_ok = True
    except InvalidMail:
        outbox_ok = False
    assert account_ok == outbox_ok
