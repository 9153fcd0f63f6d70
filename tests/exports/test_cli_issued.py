"""``sdsi export`` records a PDF it writes as issued, like a web download (issue 19:
the minutes' own hash is in the ledger), through the same function
(``exports.issuing.record_issue``): SHA-256 of the written file, kind, subject, size,
the actor and the command-line origin; written again, the same document is issued
twice; a CSV or ``--no-record`` records nothing. Both backends."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ledger.app import open_ledger
from projections import queries as q
from projections.service import ReadModel
from sdsi.cli import main
from tests.conftest import make_settings
from tests.demo_template import demo_copy

SESSION = "COPIL-2021-03-18"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def demo(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Any]:
    tmp = tmp_path_factory.mktemp(f"cli-issued-{request.param}")
    url = demo_copy(request, str(request.param), tmp, "projected")
    settings = make_settings(tmp / "data", url)
    led = open_ledger(settings)
    led.url = url
    yield led
    led.close()


def _export(led: Any, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        main,
        ["export", *args],
        env={
            "SDSI_DATA_DIR": str(led.settings.data_dir),
            "SDSI_DATABASE_URL": led.url,
            "SDSI_PASSWORD_HASHING": "fast",
        },
    )
    return result.exit_code, result.output


def _issued(led: Any, sha256: str) -> dict[str, Any] | None:
    rm = ReadModel(led, led.settings)
    try:
        rm.projector().catch_up()
        return q.issued_document(rm.store, sha256)  # type: ignore[no-any-return]
    finally:
        rm.close()


def test_the_minutes_written_by_the_cli_are_recorded_with_their_hash(
    demo: Any, tmp_path: Path
) -> None:
    target = tmp_path / "pv.pdf"
    head = demo.head()
    code, out = _export(
        demo, "minutes", "--session", SESSION, "--actor", "admin", "-o", str(target)
    )
    assert code == 0, out
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    assert f"issued document recorded: sha256 {digest} (issuance 1, as admin)" in out
    assert demo.head() == head + 1
    found = _issued(demo, digest)
    assert found is not None
    assert (found["kind"], found["subject"], found["size"]) == (
        "minutes", f"séance {SESSION}", target.stat().st_size,
    )  # fmt: skip
    assert [(i["actor"], i["origin"]) for i in found["issuances"]] == [("admin", "cli")]
    assert found["issuances"][0]["filename"].endswith(".pdf")
    code, out = _export(demo, "minutes", "--session", SESSION, "-o", str(target))
    assert code == 0, out
    assert hashlib.sha256(target.read_bytes()).hexdigest() == digest
    assert len(_issued(demo, digest)["issuances"]) == 2  # type: ignore[index]


def test_a_csv_or_a_working_copy_is_not_recorded(demo: Any, tmp_path: Path) -> None:
    head = demo.head()
    code, out = _export(demo, "budget", "--format", "csv", "-o", str(tmp_path / "b"))
    assert code == 0, out
    code, out = _export(
        demo, "minutes", "--session", SESSION, "--no-record", "-o", str(tmp_path / "m")
    )
    assert code == 0, out
    assert "issued document" not in out
    assert demo.head() == head


def test_an_unknown_actor_writes_no_file_and_nothing_in_the_ledger(
    demo: Any, tmp_path: Path
) -> None:
    head = demo.head()
    target = tmp_path / "pv.pdf"
    code, out = _export(
        demo, "minutes", "--session", SESSION, "--actor", "personne", "-o", str(target)
    )
    assert code != 0
    assert "personne" in out
    assert not target.exists()
    assert demo.head() == head
