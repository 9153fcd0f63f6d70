"""The ledger's side of witnessing, on SQLite and PostgreSQL: checkpoints sent to real
witnesses (served over loopback), cosignatures stored and shipped in bundles, the
quorum policy of `sdsi verify` and `verifier.py`, retries, resync on 409, and a split
view (two ledgers under one origin and key) refused."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from ledger.app import open_ledger
from ledger.integrity import public_key_json
from ledger.keys import ensure_signing_key
from ledger.sealing import Sealer
from ledger.witness_config import witnesses_settings
from ledger.witness_push import WitnessPusher, iso, witnesses_json
from ledger.witness_store import WitnessStore
from tests.conftest import ADMIN, _free_port, make_settings
from tests.ledger.integrity_helpers import cli_env, run, run_verifier
from tests.ledger.test_witness_server import check_cosignature_bytes
from tests.ledger.witness_helpers import new_witness, served

PASSWORD = "secret-password-1"


def _users(ledger: Any, start: int, count: int) -> None:
    for i in range(start, start + count):
        ledger.add_user(ADMIN, f"user{i}", f"User {i}", PASSWORD, roles=[])


def _size(ledger: Any) -> int:
    latest = Sealer(ledger).latest_checkpoint
    assert latest is not None
    return latest.tree_size


@pytest.fixture
def sealed(ledger: Any, settings: Any) -> Any:
    ensure_signing_key(settings)
    _users(ledger, 0, 3)
    Sealer(ledger).checkpoint_now()
    return ledger


@pytest.fixture
def witnesses(tmp_path: Path, sealed: Any, settings: Any) -> dict[str, str]:
    """Two witnesses following this ledger: label → vkey."""
    log = (settings.ledger_origin, public_key_json(sealed)["vkey"])
    return {
        "prefecture": new_witness(tmp_path / "w1", "prefecture.example/w1", log),
        "chambre": new_witness(tmp_path / "w2", "ccr.example/w", log),
    }


def _config(urls: dict[str, str], vkeys: dict[str, str]) -> str:
    return "\n".join(f"{label} {urls[label]} {vkeys[label]}" for label in urls)


def _with(ledger: Any, settings: Any, config: str) -> Any:
    """The same database, opened with ``SDSI_WITNESSES = config``."""
    return open_ledger(
        dataclasses.replace(settings, witnesses=witnesses_settings(config))
    )


def _sdsi(settings: Any, database_url: str, config: str, *args: str) -> Any:
    env = {**cli_env(settings, database_url), "SDSI_WITNESSES": config}
    return run("-m", "sdsi", *args, env=env)


def test_cosigned_stored_verified_and_bundled(
    sealed: Any,
    settings: Any,
    database_url: str,
    tmp_path: Path,
    witnesses: dict[str, str],
) -> None:
    first = _size(sealed)
    with served(tmp_path / "w1") as u1, served(tmp_path / "w2") as u2:
        config = _config({"prefecture": u1, "chambre": u2}, witnesses)
        done = _sdsi(settings, database_url, config, "witness", "push")
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines() == [
            f"prefecture: cosigned — tree size {first} (from 0)",
            f"chambre: cosigned — tree size {first} (from 0)",
        ]
        # the next checkpoint goes with a consistency proof from size 4
        _users(sealed, 3, 2)
        Sealer(sealed).checkpoint_now()
        led = _with(sealed, settings, config)
        try:
            results = WitnessPusher(led).run_once()
            assert [(r.outcome, r.detail) for r in results] == [
                ("cosigned", f"tree size {first + 2} (from {first})")
            ] * 2
            assert [r.outcome for r in WitnessPusher(led).run_once()] == [
                "up to date"
            ] * 2
            info = witnesses_json(led)
        finally:
            led.close()
        assert info["latest_checkpoint"]["tree_size"] == first + 2
        assert [
            (w["label"], w["status"], w["cosigned"]["tree_size"], w["attempts"])
            for w in info["witnesses"]
        ] == [("prefecture", "ok", first + 2, 0), ("chambre", "ok", first + 2, 0)]
        latest = Sealer(sealed).latest_checkpoint
        assert latest is not None
        stored = WitnessStore(sealed.storage).cosignatures(latest.seq)
        text = latest.note[: latest.note.rindex("\n\n") + 1]
        names = {"prefecture.example/w1": "w1", "ccr.example/w": "w2"}
        from tests.ledger.test_witness_server import _witness_key

        for c in stored:
            key = _witness_key(tmp_path / names[c.witness])
            assert check_cosignature_bytes(c.line + "\n", c.witness, key, text) == (
                c.timestamp
            )
        vk = list(witnesses.values())
        policy = ["--witness", vk[0], "--witness", vk[1], "--quorum", "2"]
        done = _sdsi(settings, database_url, config, "verify", *policy)
        assert done.returncode == 0, done.stdout + done.stderr
        assert (
            f"witnesses: checkpoint #{latest.seq} (tree size {first + 2}): 2 valid"
            " cosignature(s) of the 2 required"
        ) in done.stdout
        # the bundle carries them; the standalone verifier checks them offline
        bundle = tmp_path / "bundle.zip"
        done = _sdsi(settings, database_url, config, "ledger", "export", str(bundle))
        assert done.returncode == 0, done.stderr
        proof = _sdsi(settings, database_url, config, "ledger", "proof", "2")
        assert proof.returncode == 0, proof.stderr
    (tmp_path / "proof.json").write_text(proof.stdout)
    assert len(json.loads(proof.stdout)["checkpoint"]["cosignatures"]) == 2
    key = str(settings.public_key_file)
    code, out = run_verifier(str(bundle), "--key", key, *policy)
    assert code == 0, out
    exported = first + 2  # the export signs a checkpoint of the same size again
    assert f"witnesses: the checkpoint of tree size {exported} has 2 valid" in out
    code, out = run_verifier("inclusion", str(tmp_path / "proof.json"), "--key", key,
                             *policy)  # fmt: skip
    assert code == 0, out
    # a key that is not a witness's: refused as usage
    code_bad = run("verifier.py", str(bundle), "--witness", "nope", env={})
    assert code_bad.returncode == 2
    assert "not a witness vkey" in code_bad.stderr


def test_quorum_not_met_when_only_one_witness_saw_the_tree(
    sealed: Any,
    settings: Any,
    database_url: str,
    tmp_path: Path,
    witnesses: dict[str, str],
) -> None:
    vk = list(witnesses.values())
    policy = ["--witness", vk[0], "--witness", vk[1], "--quorum", "2"]
    with served(tmp_path / "w1") as u1:
        config = _config({"prefecture": u1}, {"prefecture": vk[0]})
        bundle = tmp_path / "b"
        done = _sdsi(settings, database_url, config, "ledger", "export", str(bundle))
        assert done.returncode == 0, done.stderr
        done = _sdsi(settings, database_url, config, "verify", *policy)
    assert done.returncode == 1
    assert "witness quorum not met" in done.stderr
    assert "1 valid cosignature(s) of the 2 required (by prefecture.example/w1)" in (
        done.stderr
    )
    code, out = run_verifier(str(bundle), "--key", str(settings.public_key_file),
                             *policy)  # fmt: skip
    assert code == 1
    assert (
        f"WITNESS QUORUM NOT MET: the checkpoint of tree size {_size(sealed)} has 1"
        " valid"
    ) in out
    # quorum 1 of the same two: met
    code, out = run_verifier(str(bundle), "--key", str(settings.public_key_file),
                             "--witness", vk[0], "--witness", vk[1], "--quorum", "1")  # fmt: skip
    assert code == 0, out
    # the same witness twice counts once
    key = str(settings.public_key_file)
    twice = ["--witness", vk[0], "--witness", vk[0], "--quorum", "2"]
    done = run("verifier.py", str(bundle), "--key", key, *twice, env={})
    assert done.returncode == 2
    assert "--quorum 2: between 1 and 1" in done.stderr
    # a cosignature line altered in the bundle: the manifest and the policy refuse
    lines = (bundle / "cosignatures.jsonl").read_text().splitlines()
    row = json.loads(lines[0])
    row["line"] = row["line"][:-8] + "AAAAAAA="
    (bundle / "cosignatures.jsonl").write_text(json.dumps(row) + "\n")
    code, out = run_verifier(str(bundle), "--key", str(settings.public_key_file),
                             "--witness", vk[0], "--quorum", "1")  # fmt: skip
    assert code == 1
    assert "cosignatures.jsonl differs" in out
    assert "0 valid witness cosignature(s) of the 1 required" in out


def test_unreachable_witness_is_retried_with_backoff(
    sealed: Any, settings: Any, tmp_path: Path, witnesses: dict[str, str]
) -> None:
    port = _free_port()
    config = f"prefecture http://127.0.0.1:{port} {witnesses['prefecture']}"
    led = _with(sealed, settings, config)
    now = [1_000_000.0]
    try:
        pusher = WitnessPusher(led, clock=lambda: now[0])
        [r] = pusher.run_once()
        assert r.outcome == "failing" and r.detail.startswith("unreachable:")
        [w] = witnesses_json(led)["witnesses"]
        assert (w["status"], w["attempts"], w["next_attempt_at"]) == (
            "failing",
            1,
            iso(now[0] + 10),
        )
        assert pusher.run_once()[0].outcome == "waiting"
        now[0] += 11
        assert pusher.run_once()[0].outcome == "failing"
        [w] = witnesses_json(led)["witnesses"]
        assert (w["attempts"], w["next_attempt_at"]) == (2, iso(now[0] + 20))
        with served(tmp_path / "w1", port):
            assert pusher.run_once()[0].outcome == "waiting"
            now[0] += 21
            assert pusher.run_once()[0].outcome == "cosigned"
        [w] = witnesses_json(led)["witnesses"]
        assert (w["status"], w["attempts"], w["last_error"]) == ("ok", 0, "")
    finally:
        led.close()


def test_resync_from_the_size_a_409_gives(
    sealed: Any, settings: Any, tmp_path: Path, witnesses: dict[str, str]
) -> None:
    first = _size(sealed)
    with served(tmp_path / "w1") as u1:
        led = _with(sealed, settings, f"p {u1} {witnesses['prefecture']}")
        try:
            assert WitnessPusher(led).run_once()[0].outcome == "cosigned"
            led.storage.execute("DELETE FROM {t:witness_deliveries}")  # forgot
            _users(sealed, 3, 3)
            Sealer(sealed).checkpoint_now()
            [r] = WitnessPusher(led).run_once()
        finally:
            led.close()
    assert (r.outcome, r.detail) == (
        "cosigned",
        f"tree size {first + 3} (from {first})",
    )


@pytest.fixture
def twin_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path}/twin.db"
    return str(request.getfixturevalue("new_pg_schema_url")())


def test_split_view_of_two_ledgers_under_one_key_is_refused(
    sealed: Any,
    settings: Any,
    tmp_path: Path,
    witnesses: dict[str, str],
    twin_url: str,
) -> None:
    """The operator runs a second ledger with the same origin and key, other events:
    the witness that cosigned the first refuses the second."""
    twin_settings = make_settings(tmp_path / "twin", twin_url)
    twin_settings.data_dir.mkdir(parents=True)
    for attr in ("signing_key_file", "public_key_file"):
        shutil.copy(getattr(settings, attr), getattr(twin_settings, attr))
    twin = open_ledger(twin_settings, create=True)
    try:
        twin.bootstrap_admin("admin", "Autre", "another-password-9")
        ensure_signing_key(twin_settings)
        assert public_key_json(twin)["vkey"] == public_key_json(sealed)["vkey"]
        for i in range(5):
            twin.add_user(ADMIN, f"twin{i}", f"Twin {i}", PASSWORD, roles=[])
        Sealer(twin).checkpoint_now()
        with served(tmp_path / "w1") as u1:
            config = f"p {u1} {witnesses['prefecture']}"
            first = _with(sealed, settings, config)
            second = _with(twin, twin_settings, config)
            try:
                assert WitnessPusher(first).run_once()[0].outcome == "cosigned"
                [r] = WitnessPusher(second).run_once()
            finally:
                first.close()
                second.close()
    finally:
        twin.close()
    assert r.outcome == "failing"
    assert f"the witness holds tree size {_size(sealed)}" in r.detail


def test_the_follower_sends_new_checkpoints_to_the_witnesses(
    sealed: Any,
    settings: Any,
    database_url: str,
    tmp_path: Path,
    witnesses: dict[str, str],
) -> None:
    from projections.service import init_views

    init_views(settings, sealed)
    with served(tmp_path / "w1") as u1:
        config = f"p {u1} {witnesses['prefecture']}"
        done = _sdsi(settings, database_url, config, "projections", "follow", "--once")
    assert done.returncode == 0, done.stderr
    assert f"witness p: cosigned tree size {_size(sealed)} (from 0)" in done.stdout


def test_an_evidence_file_carries_the_cosignatures_and_the_policy_applies(
    ledger: Any,
    settings: Any,
    database_url: str,
    tmp_path: Path,
) -> None:
    """A decision's evidence file holds its checkpoint with the witnesses'
    cosignature lines: `verifier.py evidence --witness … --quorum K` checks them
    offline, and refuses a quorum the witnesses did not reach."""
    from tests.ledger.evidence_helpers import decide_every_kind

    ensure_signing_key(settings)
    position = min(decide_every_kind(ledger).values())
    Sealer(ledger).checkpoint_now()
    log = (settings.ledger_origin, public_key_json(ledger)["vkey"])
    seen = new_witness(tmp_path / "w1", "prefecture.example/w1", log)
    unseen = new_witness(tmp_path / "w2", "ccr.example/w", log)
    with served(tmp_path / "w1") as url:
        config = _config({"prefecture": url}, {"prefecture": seen})
        assert _sdsi(settings, database_url, config, "witness", "push").returncode == 0
        out = tmp_path / "preuve.json"
        made = _sdsi(settings, database_url, config, "ledger", "evidence",
                     str(position), "-o", str(out))  # fmt: skip
        assert made.returncode == 0, made.stderr
    note = json.loads(out.read_text())["checkpoint"]
    assert note.count("\n— prefecture.example/w1 ") == 1
    key = str(settings.public_key_file)
    code, said = run_verifier("evidence", str(out), "--key", key,
                              "--witness", seen, "--quorum", "1")  # fmt: skip
    assert code == 0, said
    assert said.startswith(f"evidence verified: decision at position {position} ")
    code, said = run_verifier("evidence", str(out), "--key", key, "--witness", seen,
                              "--witness", unseen, "--quorum", "2")  # fmt: skip
    assert code == 1
    assert "witness quorum not met: the checkpoint of tree size" in said
    assert "has 1 valid witness cosignature(s) of the 2 required" in said
