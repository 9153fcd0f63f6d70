"""Fixtures of the domain rule tests: the minimal town on each backend."""

from __future__ import annotations

import pytest

from ledger.app import Ledger
from tests.domain.builders import Town


@pytest.fixture
def town(ledger: Ledger) -> Town:
    """The minimal municipality of ``builders.Town`` in a fresh ledger."""
    return Town(ledger)
