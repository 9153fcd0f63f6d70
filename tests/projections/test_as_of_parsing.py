"""Any ``as_of`` a client sends is either a moment, a position, or refused naming the
field — never another error (an offset near the limits of dates raised OverflowError:
a 500 on every read; ``position:١`` was read as position 1)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidValue
from projections.service import parse_as_of


@given(
    text=st.one_of(
        st.text(max_size=40),
        st.builds(
            lambda d, off: d.isoformat() + off,
            st.datetimes(),
            st.sampled_from(["", "Z", "+14:00", "-14:00", "+23:59", "-23:59"]),
        ),
        st.builds(lambda n: f"position:{n}", st.text(max_size=8)),
    )
)
def test_any_text_is_a_moment_a_position_or_refused(text: str) -> None:
    try:
        kind, value = parse_as_of(text)
    except InvalidValue as refused:
        assert refused.details["field"] == "as_of"
        return
    if kind == "position":
        assert isinstance(value, int) and value >= 0
        assert text.strip() == f"position:{text.strip()[9:]}"
        assert text.strip()[9:].isascii()
    else:
        assert kind == "time" and value.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "position:١",
        "position:",
        "position:-1",
        "position:1e3",
        "2026-13-01",
    ],
)
def test_edge_cases_are_refused(text: str) -> None:
    with pytest.raises(InvalidValue):
        parse_as_of(text)


def test_offsets_become_utc() -> None:
    assert parse_as_of("2026-12-06T10:00:00+01:00") == (
        "time",
        datetime(2026, 12, 6, 9, 0, tzinfo=UTC),
    )
    assert parse_as_of(" position:42 ") == ("position", 42)
