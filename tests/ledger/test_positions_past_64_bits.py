"""A position or checkpoint number past 64 bits (issue 19 attack review): no
database can hold it; the command line refuses it naming the argument, and the
evidence file's lookup answers « no sealed event », never a traceback. Both
backends."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.evidence_file import EvidenceError, evidence_file
from tests.ledger.integrity_helpers import sdsi_cli

HUGE = str(2**64 + 1)


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (("ledger", "evidence", HUGE), "POSITION"),
        (("ledger", "proof", HUGE), "POSITION"),
        (("ledger", "consistency", HUGE), "FIRST"),
        (("ledger", "consistency", "1", HUGE), "[SECOND]"),
    ],
)
def test_the_cli_refuses_a_number_past_64_bits(
    ledger: Any, settings: Any, database_url: str, args: tuple[str, ...], name: str
) -> None:
    done = sdsi_cli(settings, database_url, *args)
    assert done.returncode == 2, done.stderr
    assert f"Invalid value for '{name}'" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_evidence_of_a_position_past_64_bits_is_no_sealed_event(
    ledger: Any,
) -> None:
    with pytest.raises(EvidenceError, match=f"no sealed event at position {HUGE}"):
        evidence_file(ledger, int(HUGE))
