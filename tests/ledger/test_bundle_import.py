"""`sdsi ledger import` is all or nothing (issue 12, review finding 13).

A bundle is verified, then loaded; anything that fails while it is loaded — a file
changed after its verification, the database failing on the Nth event, in the first
batch of inserts or a later one — leaves the target database as it was: no event,
seal or checkpoint, ``sdsi verify`` clean, the same bundle importable afterwards, and
no key trusted on the bundle's word.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

import ledger.bundle_import as bundle_import
from ledger.app import open_ledger
from ledger.bundle import EVENTS, BundleInvalid, export_bundle
from ledger.bundle_import import BATCH, import_bundle
from ledger.keys import ensure_signing_key
from ledger.notes import trusted_verifiers
from ledger.sealing import Sealer
from ledger.sealstore import SealStore
from tests.conftest import ADMIN_PASSWORD, make_settings
from tests.ledger.integrity_helpers import (
    Tamperer,
    bulk_accounts,
    cli_env,
    run,
    sdsi_verify,
)

SEALED = BATCH + 100  # the bundle's sealed events span two batches of inserts


@dataclass
class Source:
    """A bundle of a little more than SEALED sealed events (checkpoints every 1000)
    and 5 unsealed ones."""

    settings: Any
    bundle: Path
    tmp: Path
    backend: str
    server: str | None
    sealed: int  # events sealed in the bundle
    events: int  # events in the bundle
    checkpoints: int
    root: str  # of the sealed tree

    def target(self, url: str) -> Any:
        return make_settings(self.settings.data_dir, url)


@pytest.fixture(scope="module")
def exported() -> dict[str, Source]:
    """The module's bundles, one per backend, exported on first use (see ``source``)."""
    return {}


def _export(backend: str, tmp: Path, request: pytest.FixtureRequest) -> Source:
    """A ledger of SEALED + 5 accounts, checkpointed, exported to ``tmp/bundle``."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp}/ledger.db"
    else:
        url = str(request.getfixturevalue("pg_module_schema_url"))
    settings = make_settings(tmp / "data", url)
    ledger = open_ledger(settings, create=True)
    try:
        ledger.bootstrap_admin("admin", "Administrateur", ADMIN_PASSWORD)
        ensure_signing_key(settings)
        bulk_accounts(ledger, SEALED)
        Sealer(ledger, every_events=1000).checkpoint_now()
        bulk_accounts(ledger, 5, prefix="late")
        manifest = export_bundle(ledger, tmp / "bundle")
    finally:
        ledger.close()
    server = request.getfixturevalue("pg_server_url") if backend == "postgres" else None
    latest = manifest["latest_checkpoint"]
    return Source(
        settings,
        tmp / "bundle",
        tmp,
        backend,
        server,
        manifest["sealed"],
        manifest["events"],
        manifest["checkpoints"],
        latest["root"],
    )


@pytest.fixture
def source(
    backend: str,
    tmp_path: Path,
    exported: dict[str, Source],
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> Source:
    """A copy of the module's bundle and of its data directory (keys) in
    ``tmp_path``, as if exported afresh: the tests alter them at will.

    Writing 2,100 accounts, sealing and exporting them takes seconds (about ten on
    PostgreSQL); every test imports the same bundle, so it is made once per backend
    and module, and only the files are copied per test."""
    if backend not in exported:
        tmp = tmp_path_factory.mktemp(f"bundle-source-{backend}")
        exported[backend] = _export(backend, tmp, request)
    made = exported[backend]
    shutil.copytree(made.settings.data_dir, tmp_path / "data")
    shutil.copytree(made.bundle, tmp_path / "bundle")
    return replace(
        made,
        settings=replace(made.settings, data_dir=tmp_path / "data"),
        bundle=tmp_path / "bundle",
        tmp=tmp_path,
    )


@pytest.fixture
def target_url(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path}/target.db"
    else:
        yield request.getfixturevalue("new_pg_schema_url")()


def alter_line(bundle: Path, position: int) -> None:
    """Change one character of the event at ``position`` (its actor's name)."""
    path = bundle / EVENTS
    lines = path.read_bytes().splitlines(keepends=True)
    event = json.loads(lines[position - 1])
    state = base64.b64decode(event["state"])
    i = state.index(b'"actor":"') + len(b'"actor":"')
    event["state"] = base64.b64encode(
        state[:i] + bytes([state[i] ^ 0x20]) + state[i + 1 :]
    ).decode()
    lines[position - 1] = json.dumps(event, separators=(",", ":")).encode() + b"\n"
    path.write_bytes(b"".join(lines))


def assert_untouched(source: Source, url: str) -> None:
    """Nothing of the bundle is left in the target, which verifies clean."""
    target = source.target(url)
    led = open_ledger(target)
    try:
        assert SealStore(led.storage).is_empty()
        assert Tamperer(source.backend, target, source.server).count() == 0
    finally:
        led.close()
    code, report = sdsi_verify(target, url)
    assert code == 0 and (report["tree_size"], report["checkpoints"]) == (0, 0)


def assert_importable(source: Source, url: str, bundle: Path) -> None:
    """The intact bundle then imports whole: same root, every checkpoint."""
    led = open_ledger(source.target(url))
    try:
        result = import_bundle(led, bundle)
        assert (result.events, result.sealed) == (source.events, source.events)
    finally:
        led.close()
    code, report = sdsi_verify(source.target(url), url)
    assert code == 0 and report["checkpoints"] == source.checkpoints
    assert report["latest_checkpoint"]["root"] == source.root


def position(source: Source, where: str) -> int:
    """Where the load fails: in the first batch of inserts, at its end, in the
    second, at the last sealed event."""
    return {
        "the first event": 1,
        "the last of a batch": BATCH,
        "the next": BATCH + 1,
        "the last sealed": source.sealed,
    }[where]


WHERE = ["the first event", "the last of a batch", "the next", "the last sealed"]


@pytest.mark.parametrize("where", WHERE)
def test_a_bundle_changed_after_its_verification_imports_nothing(
    source: Source,
    target_url: str,
    where: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    at = position(source, where)
    pristine = source.tmp / "pristine"
    export_copy(source.bundle, pristine)
    verify = bundle_import.verify_bundle

    def verified_then_changed(bundle: Any, *args: Any, **kwargs: Any) -> Any:
        report = verify(bundle, *args, **kwargs)
        alter_line(source.bundle, at)
        return report

    monkeypatch.setattr(bundle_import, "verify_bundle", verified_then_changed)
    led = open_ledger(source.target(target_url), create=True)
    try:
        with pytest.raises(BundleInvalid) as refused:
            import_bundle(led, source.bundle)
    finally:
        led.close()
    assert str(refused.value) == (
        f"the event at position {at} no longer gives the leaf the bundle sealed"
        " (its files changed after they were verified)"
    )
    assert_untouched(source, target_url)
    monkeypatch.undo()
    assert_importable(source, target_url, pristine)


class DiskFull(Exception):
    """A failure of the database in the middle of the load."""


@pytest.mark.parametrize("where", WHERE)
def test_a_database_failing_half_way_keeps_nothing_of_the_bundle(
    source: Source,
    target_url: str,
    where: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The failure comes after the inserts of the batch holding ``where``: every
    earlier batch was inserted and sealed in the same transaction."""
    at = position(source, where)
    insert = bundle_import._insert

    def failing(c: Any, ledger: Any, events: list[Any], after: int) -> list[int]:
        ids = insert(c, ledger, events, after)
        if events[0].position <= at <= events[-1].position:
            raise DiskFull(f"no space left at position {at}")
        return ids

    monkeypatch.setattr(bundle_import, "_insert", failing)
    other_key_dir = tmp_path / "elsewhere"  # a deployment with its own key
    elsewhere = make_settings(other_key_dir, target_url)
    ensure_signing_key(elsewhere)
    keys_before = trusted_verifiers(elsewhere)
    led = open_ledger(elsewhere, create=True)
    try:
        with pytest.raises(DiskFull):
            import_bundle(led, source.bundle, trust_bundle_key=True)
    finally:
        led.close()
    assert trusted_verifiers(elsewhere) == keys_before  # the bundle's key: not kept
    assert_untouched(source, target_url)
    monkeypatch.undo()
    assert_importable(source, target_url, source.bundle)


def export_copy(bundle: Path, to: Path) -> None:
    to.mkdir()
    for member in bundle.iterdir():
        (to / member.name).write_bytes(member.read_bytes())


def test_the_cli_refuses_a_corrupted_bundle_and_leaves_an_empty_ledger(
    source: Source, target_url: str
) -> None:
    """An event altered in the file (its manifest hash updated to match): the
    verification names it, nothing is imported, the new ledger verifies clean."""
    alter_line(source.bundle, BATCH + 1)
    manifest = json.loads((source.bundle / "manifest.json").read_text())
    manifest["files"][EVENTS]["sha256"] = hashlib.sha256(
        (source.bundle / EVENTS).read_bytes()
    ).hexdigest()
    (source.bundle / "manifest.json").write_text(json.dumps(manifest))
    env = cli_env(source.target(target_url), target_url)
    result = run("-m", "sdsi", "ledger", "import", str(source.bundle), env=env)
    assert result.returncode == 1
    assert result.stderr.startswith(
        "sdsi: error: the bundle does not verify: LEDGER INTEGRITY BROKEN: first"
        f" bad position {BATCH + 1} (altered);"
    )
    assert result.stderr.count("\n") == 1
    assert_untouched(source, target_url)


def test_an_import_into_a_ledger_with_events_changes_nothing(
    source: Source, target_url: str
) -> None:
    target = source.target(target_url)
    led = open_ledger(target, create=True)
    try:
        bulk_accounts(led, 3, prefix="own")
        before = Tamperer(source.backend, target, source.server).count()
        with pytest.raises(Exception, match="not empty"):
            import_bundle(led, source.bundle)
        assert Tamperer(source.backend, target, source.server).count() == before
    finally:
        led.close()
