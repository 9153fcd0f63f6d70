"""``sdsi keys import`` reads a file from a backup: each row is checked before
anything is written. A row without a key must be an erasure (``erased_at``, an
ISO 8601 time); times are ISO 8601 texts. Such a row was stored as it came: a
subject with no key yet not erased (every later write of their name refused as
« effacées », the register not counting them) and ``created_at`` "None" or "5".
Both backends."""

from __future__ import annotations

from typing import Any

import pytest

from domain.accounts import Account
from ledger.personal_keys import EXPORT_FORMAT, PersonalDataError
from tests.conftest import ADMIN

SUBJECT = "00000000-0000-0000-0000-0000000000a1"
KEY = "wPrnF//rfD4MT/pi5pplVMWEGoX+BBHrvrWqbvNK+5A="
WHEN = "2026-12-07T04:46:13.239498+00:00"


def row(**changes: Any) -> dict[str, Any]:
    return {
        "subject": SUBJECT,
        "key": KEY,
        "created_at": WHEN,
        "erased_at": None,
        **changes,
    }


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (row(key=None), "a row without a key must say when it was erased"),
        (row(created_at=None), "created_at: not an ISO 8601 time"),
        (row(created_at=5), "created_at: not an ISO 8601 time"),
        (row(created_at="hier"), "created_at: not an ISO 8601 time"),
        (row(key=None, erased_at=7), "erased_at: not an ISO 8601 time"),
        (row(erased_at="x"), "erased_at: not an ISO 8601 time"),
    ],
)
def test_a_row_without_key_or_with_a_bad_time_is_refused_and_nothing_written(
    ledger: Any, bad: dict[str, Any], message: str
) -> None:
    keys = ledger.personal_keys
    before = keys.export()
    good = row(subject="00000000-0000-0000-0000-0000000000a2")
    with pytest.raises(PersonalDataError) as caught:
        keys.import_({"format": EXPORT_FORMAT, "keys": [good, bad]})
    assert message in str(caught.value)
    assert keys.export() == before


def test_an_erasure_row_of_an_unknown_subject_is_counted_as_an_erasure(
    ledger: Any,
) -> None:
    keys = ledger.personal_keys
    done = keys.import_(
        {"format": EXPORT_FORMAT, "keys": [row(key=None, erased_at=WHEN)]}
    )
    assert done == {"added": 0, "erased": 1}
    assert keys.is_erased(__import__("uuid").UUID(SUBJECT))
    ledger.add_user(ADMIN, "zoe", "Zoé", "zoe-password-1")  # others still write
    assert ledger.load(Account, Account.id_for("zoe")).display_name == "Zoé"
