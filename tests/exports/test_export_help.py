"""``sdsi export --help`` lists every export of the registry, with its formats: the
list is generated from the registry, so a new export cannot be missing from it."""

from __future__ import annotations

import re

from click.testing import CliRunner

from exports.registry import EXPORTERS
from sdsi.cli import main


def test_export_help_lists_every_registered_kind_with_its_formats() -> None:
    result = CliRunner().invoke(main, ["export", "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    listed = result.output.split("Kinds (KIND: formats, the first is the default):")
    assert len(listed) == 2, result.output
    rows = re.findall(r"^  (\S+)\s+([a-z, ]+) — ", listed[1], re.M)
    assert rows == [(name, ", ".join(e.formats)) for name, e in EXPORTERS.items()]
    assert "opendata-budget-scdl" in dict(rows)
    assert "apcp" in dict(rows)


def test_an_unknown_kind_names_the_registered_ones() -> None:
    result = CliRunner().invoke(main, ["export", "nope"])
    assert result.exit_code == 2
    assert f"exports : {', '.join(EXPORTERS)}" in result.output
