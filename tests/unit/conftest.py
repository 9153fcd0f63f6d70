"""The fast tier: aggregates and formulas of ``domain`` in memory, no database.

Nothing here may take a storage fixture (``ledger``, ``settings``, ``database_url``,
``pg_*``): the whole directory runs in seconds (``pytest tests/unit``).
"""

from __future__ import annotations

import pytest

STORAGE_FIXTURES = frozenset(
    {"ledger", "settings", "database_url", "backend", "tmp_path"}
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Refuse a unit test that asks for storage (it belongs to another tier)."""
    for item in items:
        if "tests/unit/" not in str(item.path).replace("\\", "/"):
            continue
        names = set(getattr(item, "fixturenames", ()))
        used = sorted(n for n in names if n in STORAGE_FIXTURES or n.startswith("pg_"))
        if used:
            raise pytest.UsageError(
                f"{item.nodeid} uses storage fixtures {used}: not a unit test"
            )
