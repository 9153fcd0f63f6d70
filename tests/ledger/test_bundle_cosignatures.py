"""`sdsi ledger import` puts a bundle's witness cosignatures (``cosignatures.jsonl``)
back into the new ledger (issue 19): the quorum policy of ``sdsi verify`` then holds
on the imported ledger as on the source. Bundles written before the lines carried
``timestamp`` and ``received_at`` still import (the time read from the cosignature)
and still verify with ``verifier.py``; a cosignature that does not verify with a
configured witness's key, or names a checkpoint the bundle lacks, refuses the
import (nothing written). Both backends."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.app import open_ledger
from ledger.bundle import COSIGNATURES, MANIFEST, BundleInvalid, export_bundle
from ledger.bundle_import import import_bundle
from ledger.cosignature import Cosigner, cosign
from ledger.keys import ensure_signing_key
from ledger.sealing import Sealer
from ledger.sealstore import SealStore
from ledger.witness_config import witnesses_settings
from ledger.witness_store import Cosignature, Delivery, WitnessStore
from tests.conftest import ADMIN, make_settings
from tests.ledger import test_bundle_import as imports
from tests.ledger.integrity_helpers import cli_env, run, run_verifier

target_url = imports.target_url  # the same fixture: an empty database per backend
WITNESS = "prefecture.example/w1"


def _cosigned(ledger: Any, key: Ed25519PrivateKey) -> list[Cosignature]:
    """The witness's cosignature of every checkpoint, stored as a delivery would."""
    store = WitnessStore(ledger.storage)
    out = []
    for row in SealStore(ledger.storage).checkpoints():
        text = row.note[: row.note.rindex("\n\n") + 1]
        stamp = 1_760_000_000 + row.seq
        line = cosign(text, WITNESS, key, stamp).rstrip("\n")
        out.append(Cosignature(WITNESS, row.seq, row.tree_size, line, stamp, 17.5))
    store.save(Delivery(WITNESS, "http://127.0.0.1:9/"), out)
    return out


def _rewrite(bundle: Path, rows: list[dict[str, Any]]) -> None:
    """``cosignatures.jsonl`` replaced by ``rows``, the manifest's hash with it."""
    data = b"".join(json.dumps(r).encode() + b"\n" for r in rows)
    (bundle / COSIGNATURES).write_bytes(data)
    manifest = json.loads((bundle / MANIFEST).read_text())
    manifest["files"][COSIGNATURES] = {
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
        "lines": len(rows),
    }
    (bundle / MANIFEST).write_text(json.dumps(manifest))


@pytest.fixture
def source(ledger: Any, settings: Any, tmp_path: Path) -> Any:
    ensure_signing_key(settings)
    for i in range(3):
        ledger.add_user(ADMIN, f"user{i}", f"User {i}", "secret-password-1")
        Sealer(ledger).checkpoint_now()
    key = Ed25519PrivateKey.generate()
    cosigned = _cosigned(ledger, key)
    vkey = Cosigner(WITNESS, key.public_key()).vkey()
    bundle = tmp_path / "bundle"
    export_bundle(ledger, bundle)
    return settings, bundle, cosigned, vkey


def _target(source: Any, url: str, vkey: str | None) -> Any:
    settings = make_settings(source[0].data_dir, url)
    if vkey:
        config = f"prefecture http://127.0.0.1:9/ {vkey}"
        settings = dataclasses.replace(settings, witnesses=witnesses_settings(config))
    return settings


def test_the_imported_ledger_has_the_bundles_cosignatures(
    source: Any, target_url: str
) -> None:
    _settings, bundle, cosigned, vkey = source
    lines = [json.loads(x) for x in (bundle / COSIGNATURES).read_text().splitlines()]
    assert [(r["seq"], r["timestamp"], r["received_at"]) for r in lines] == [
        (c.seq, c.timestamp, 17.5) for c in cosigned
    ]
    target = _target(source, target_url, vkey)
    led = open_ledger(target, create=True)
    try:
        result = import_bundle(led, bundle)
        assert result.cosignatures == len(cosigned) == 3
        assert list(WitnessStore(led.storage).iter_all()) == cosigned
    finally:
        led.close()
    done = run("-m", "sdsi", "verify", "--witness", vkey, "--quorum", "1",
               env=cli_env(target, target_url))  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 valid cosignature(s) of the 1 required" in done.stdout


def test_an_older_bundle_imports_and_verifies_without_the_new_fields(
    source: Any, target_url: str
) -> None:
    settings, bundle, cosigned, vkey = source
    old = [
        {"witness": c.witness, "seq": c.seq, "tree_size": c.tree_size, "line": c.line}
        for c in cosigned
    ]
    _rewrite(bundle, old)
    code, out = run_verifier(str(bundle), "--key", str(settings.public_key_file),
                             "--witness", vkey, "--quorum", "1")  # fmt: skip
    assert code == 0, out
    led = open_ledger(_target(source, target_url, None), create=True)
    before = time.time()
    try:
        assert import_bundle(led, bundle).cosignatures == 3
        restored = list(WitnessStore(led.storage).iter_all())
    finally:
        led.close()
    assert [(c.seq, c.line, c.timestamp) for c in restored] == [
        (c.seq, c.line, c.timestamp) for c in cosigned
    ]
    assert all(c.received_at >= before for c in restored)  # the import's time


@pytest.mark.parametrize("fault", ["forged", "unknown checkpoint", "not a line"])
def test_a_bad_cosignature_refuses_the_import_and_writes_nothing(
    source: Any, target_url: str, fault: str
) -> None:
    _settings, bundle, _cosigned_rows, vkey = source
    rows = [json.loads(x) for x in (bundle / COSIGNATURES).read_text().splitlines()]
    if fault == "forged":
        other = Ed25519PrivateKey.generate()
        rows[0]["line"] = cosign("forged\n", WITNESS, other, 5).rstrip("\n")
        expected = "does not verify with the key this deployment configures"
    elif fault == "unknown checkpoint":
        rows[0]["seq"] = 99
        expected = "no checkpoint 99"
    else:
        rows[0]["line"] = "— nothing"
        expected = f"not a cosignature line of {WITNESS}"
    _rewrite(bundle, rows)
    led = open_ledger(_target(source, target_url, vkey), create=True)
    try:
        with pytest.raises(BundleInvalid) as refused:
            import_bundle(led, bundle)
        assert expected in str(refused.value)
        assert SealStore(led.storage).is_empty()
        assert list(WitnessStore(led.storage).iter_all()) == []
    finally:
        led.close()
