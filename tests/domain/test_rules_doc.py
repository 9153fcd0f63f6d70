"""docs/rules.md lists every domain error and cites only tests that exist."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import domain.errors
import ledger.errors
from domain.errors import DomainError

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")


def error_classes() -> list[type[DomainError]]:
    return [
        cls
        for module in (domain.errors, ledger.errors)
        for _name, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, DomainError)
        and cls is not DomainError
        and cls.__module__ == module.__name__
    ]


def test_every_error_is_listed_with_its_code() -> None:
    for cls in error_classes():
        assert f"`{cls.__name__}` (`{cls.code}`" in DOC, cls.__name__


def test_every_cited_test_exists() -> None:
    cited: list[tuple[str, str]] = []
    for cell in re.findall(r"`([^`]*::[^`]*)`", DOC):
        path, _sep, name = cell.partition("::")
        if name:
            cited.append((path, name.split("[")[0]))
    current = ""
    for path, name in cited:
        current = path or current
        assert current, name
        source = ROOT / current if "/" in current else ROOT / "tests/domain" / current
        assert f"def {name}(" in source.read_text(encoding="utf-8"), (current, name)
    assert len(cited) > 150
