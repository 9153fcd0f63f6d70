"""Exports as of a past moment equal those of a ledger of only the earlier events."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest

from exports.base import ExportRequest, ExportSource
from exports.registry import exporter
from ledger.app import open_ledger
from ledger.sealing import Sealer
from projections import queries as q
from projections.service import ReadModel, init_views
from tests.conftest import make_settings
from tests.exports.conftest import DemoEnv

MOMENT = "2024-01-01T00:00:00Z"  # between the sessions of 2023-11-21 and 2024-06-18
SESSION = "COPIL-2023-11-21"


@pytest.fixture(scope="module")
def earlier(
    demo_env: DemoEnv, request: pytest.FixtureRequest, tmp_path_factory: Any
) -> Iterator[ReadModel]:
    """A second database holding only the events recorded up to MOMENT, projected
    and sealed with the same signing key."""
    tmp = tmp_path_factory.mktemp(f"earlier-{demo_env.backend}")
    if demo_env.backend == "sqlite":
        url = f"sqlite:///{tmp}/earlier.db"
        cleanup = None
    else:
        from tests.exports.conftest import _pg_schema

        cleanup = _pg_schema(request.getfixturevalue("pg_server_url"))
        url = next(cleanup)
    settings = make_settings(tmp / "data", url)
    settings = type(settings)(
        **{
            **settings.__dict__,
            "signing_key_path": demo_env.settings.signing_key_file,
        }
    )
    other = open_ledger(settings, create=True)
    # The views as of MOMENT stand after the longest prefix of the log recorded at or
    # before it (the administrator bootstrapped first is dated today, the demo's
    # events by its simulated clock): copy exactly that prefix.
    source = demo_env.ledger
    stamp = MOMENT.replace("Z", "")
    notifications = source.recorder.select_notifications(None, 1_000_000)
    prefix = 0
    for i, n in enumerate(notifications, 1):
        at = source.mapper.to_domain_event(n).timestamp
        if at.strftime("%Y-%m-%dT%H:%M:%S") <= stamp:
            prefix = i
    earlier_events = notifications[:prefix]
    assert 0 < len(earlier_events) < demo_env.read_model.head_position()
    other.recorder.insert_events(earlier_events)
    # the names are ciphertext: their keys travel apart (docs/privacy.md)
    other.personal_keys.import_(source.personal_keys.export())
    init_views(settings, other)
    rm = ReadModel(other, settings)
    rm.projector().catch_up()
    Sealer(other).run_once()
    yield rm
    rm.close()
    other.close()
    if cleanup is not None:
        next(cleanup, None)


def _render(read_model: Any, name: str, fmt: str, **kw: Any) -> bytes:
    source = ExportSource(read_model)
    return exporter(name).render(source, ExportRequest(fmt, **kw)).content


SIGNED_AT = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?\+00:00")


def _members(content: bytes) -> dict[str, bytes]:
    """An open-data archive's files; in the checkpoints dataset the signing times are
    blanked: the earlier ledger was sealed now, the full one a moment before (same
    numbers, sizes, roots and notes)."""
    archive = zipfile.ZipFile(io.BytesIO(content))
    return {
        name: SIGNED_AT.sub(b"", archive.read(name))
        if name.startswith("points-de-controle.")
        else archive.read(name)
        for name in archive.namelist()
    }


def _cells(content: bytes) -> dict[str, list[tuple[Any, ...]]]:
    wb = openpyxl.load_workbook(io.BytesIO(content))
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}


def test_as_of_exports_equal_those_of_the_earlier_ledger(
    demo_env: DemoEnv, earlier: ReadModel
) -> None:
    full = demo_env.read_model
    assert full.position_of(MOMENT) == earlier.current_position()
    past = full.at(MOMENT)
    assert q.session(past, SESSION)["status"] == "closed"
    assert q.session(past, "COPIL-2024-06-18") is None
    for name, fmt, kw in (
        ("budget", "csv", {}),
        ("opendata", "csv", {}),
        ("opendata", "json", {}),
        ("plan", "pdf", {}),
        ("minutes", "pdf", {"session": SESSION}),
    ):
        then = _render(full, name, fmt, as_of=MOMENT, **kw)
        alone = _render(earlier, name, fmt, **kw)
        if name == "opendata":
            assert _members(then) == _members(alone), (name, fmt)
        else:
            assert then == alone, (name, fmt)
    then = _render(full, "budget", "xlsx", as_of=MOMENT)
    assert _cells(then) == _cells(_render(earlier, "budget", "xlsx"))
    assert _render(full, "budget", "csv") != _render(earlier, "budget", "csv")
