"""Per-decision evidence files: every kind of decision, on both backends, from a
ledger started from nothing, verified by the independent verifier; any byte changed
is refused with the right message; the same ledger gives the same bytes."""

from __future__ import annotations

import base64
import copy
import json
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.app import Ledger, open_ledger
from ledger.config import Settings
from ledger.core import Caller
from ledger.evidence_file import (
    FINGERPRINT_PREFIX,
    EvidenceError,
    NotADecision,
    build_evidence,
    evidence_file,
    evidence_fingerprint,
)
from ledger.keys import ensure_signing_key
from ledger.sealing import Sealer
from ledger.sealstore import SealStore
from tests.conftest import ADMIN_PASSWORD, BACKENDS, make_settings
from tests.ledger.evidence_helpers import (
    PLAN,
    SESSION,
    decide_every_kind,
    load_verifier,
)
from tests.ledger.integrity_helpers import ROOT, cli_env, run

VERIFIER = load_verifier()


@dataclass
class Decided:
    """A ledger started from nothing where the COPIL took every kind of decision."""

    backend: str
    url: str
    settings: Settings
    ledger: Ledger
    positions: dict[str, int]  # proposal -> its decision's position

    @property
    def key(self) -> Path:
        return self.settings.public_key_file


@pytest.fixture(scope="module", params=BACKENDS)
def decided(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Decided]:
    backend = str(request.param)
    tmp = tmp_path_factory.mktemp(f"evidence-{backend}")
    url = (
        f"sqlite:///{tmp}/ledger.db"
        if backend == "sqlite"
        else str(request.getfixturevalue("pg_module_schema_url"))
    )
    cfg = make_settings(tmp / "data", url)
    led = open_ledger(cfg, create=True)  # as `sdsi init` leaves it
    ensure_signing_key(cfg)
    led.bootstrap_admin("admin", "Administrateur", ADMIN_PASSWORD)
    try:
        yield Decided(backend, url, cfg, led, decide_every_kind(led))
    finally:
        led.close()


def keys(env: Decided) -> list[Any]:
    return VERIFIER.load_keys(str(env.key))


def verify(env: Decided, doc: dict[str, Any]) -> dict[str, Any]:
    return VERIFIER.verify_evidence(doc, keys(env))  # type: ignore[no-any-return]


# --- every kind of decision -----------------------------------------------------------


@pytest.mark.parametrize("proposal", sorted(PLAN))
def test_every_kind_of_decision_gets_an_evidence_file_the_verifier_accepts(
    decided: Decided, proposal: str
) -> None:
    position = decided.positions[proposal]
    data = evidence_file(decided.ledger, position)
    doc = json.loads(data)
    outcome = PLAN[proposal][0]
    assert doc["decision"]["position"] == position
    assert doc["decision"]["session"] == SESSION
    assert doc["decision"]["proposal"] == proposal
    assert doc["decision"]["outcome"] == outcome
    assert doc["decision"]["grid_version"] == 1
    report = verify(decided, doc)
    assert report["problems"] == []
    assert report["ok"] is True
    # what it rests on: the session's whole history before the decision, the grid
    # version's events, the score sheets of the two evaluators (none for P5)
    roles = [e["role"] for e in doc["events"]]
    assert roles[-1] == "decision" and roles.count("decision") == 1
    session_versions = [
        e["originator_version"] for e in doc["events"] if e["role"] == "session"
    ]
    decision_version = doc["events"][-1]["originator_version"]
    assert session_versions == list(range(1, decision_version))
    assert [
        e["topic"].rsplit(".", 1)[1] for e in doc["events"] if e["role"] == "grid"
    ] == [
        "Drafted",
        "CriterionSet",
        "CriterionSet",
        "CriterionSet",
        "Adopted",
    ]
    sheets = {e["originator_id"] for e in doc["events"] if e["role"] == "scores"}
    assert len(sheets) == (0 if proposal == "P5" else 2)
    positions = [e["position"] for e in doc["events"]]
    assert positions == sorted(positions) and positions[-1] == position
    # every proof is the C2SP tlog-proof of its leaf, with the file's checkpoint
    for event in doc["events"]:
        proof = event["tlog_proof"]
        assert proof.startswith(
            f"c2sp.org/tlog-proof@v1\nindex {event['position'] - 1}\n"
        )
        assert proof.endswith("\n\n" + doc["checkpoint"])


def test_the_votes_attendance_and_scores_are_recomputed_from_the_events(
    decided: Decided,
) -> None:
    """P3: m1 changed their vote (for replaces against); P4: m2 left before it;
    P1: a score was replaced. The verifier's tallies are those the decision records."""
    docs = {p: build_evidence(decided.ledger, decided.positions[p]) for p in PLAN}
    assert docs["P3"]["decision"]["votes"] == [2, 0, 1]
    assert docs["P4"]["decision"]["votes"] == [0, 2, 0]
    state = json.loads(base64.b64decode(docs["P4"]["events"][-1]["state"]))
    assert state["decision"]["_data_"]["present_voting"] == 2
    assert all(verify(decided, d)["ok"] for d in docs.values())


def test_the_file_is_the_same_bytes_as_the_ledger_grows(decided: Decided) -> None:
    position = decided.positions["P2"]
    first = evidence_file(decided.ledger, position)
    assert evidence_file(decided.ledger, position) == first
    # more events and a newer checkpoint: still the first checkpoint covering it
    decided.ledger.vote_budget(
        Caller("fin"), 2026, "fonctionnement", "5000.00", "BP 2026 F", "2025-01-06"
    )
    Sealer(decided.ledger).checkpoint_now("test")
    assert evidence_file(decided.ledger, position) == first
    doc = json.loads(first)
    leaves = "".join(f"{e['position']} {e['leaf_hash']}\n" for e in doc["events"])
    import hashlib

    assert (
        doc["fingerprint"]
        == hashlib.sha256(FINGERPRINT_PREFIX + leaves.encode()).hexdigest()
    )
    assert evidence_fingerprint(decided.ledger, position) == doc["fingerprint"]


def test_a_position_that_is_not_a_decision_is_refused(decided: Decided) -> None:
    vote = decided.positions["P1"] - 1  # the last vote on P1
    with pytest.raises(NotADecision, match=f"position {vote} is not a COPIL decision"):
        evidence_file(decided.ledger, vote)
    head = SealStore(decided.ledger.storage).head()[0]
    with pytest.raises(
        EvidenceError,
        match=f"no event at position 999999 \\(the log holds {head} sealed events\\)",
    ):
        evidence_file(decided.ledger, 999999)


def test_the_cli_writes_the_file_and_names_a_wrong_position(
    decided: Decided, tmp_path: Path
) -> None:
    env = cli_env(decided.settings, decided.url)
    position = decided.positions["P4"]
    out = tmp_path / "p4.json"
    done = run(
        "-m", "sdsi", "ledger", "evidence", str(position), "-o", str(out), env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        f"wrote {out} ({out.stat().st_size:,} bytes, decision at position {position})\n"
    )
    assert out.read_bytes() == evidence_file(decided.ledger, position)
    wrong = run("-m", "sdsi", "ledger", "evidence", str(position - 1), env=env)
    assert wrong.returncode == 2
    assert wrong.stderr.startswith(
        f"sdsi: error: the event at position {position - 1} is not a COPIL decision ("
    )


# --- tampering: one byte anywhere is refused, with the right message ---------------------

HEX = "0123456789abcdef"
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _other(alphabet: str, ch: str, shift: int) -> str:
    i = alphabet.index(ch) if ch in alphabet else 0
    return alphabet[(i + 1 + shift % (len(alphabet) - 1)) % len(alphabet)]


def _flip(text: str, at: int, alphabet: str, shift: int) -> str:
    at %= len(text)
    while text[at] not in alphabet:
        at = (at + 1) % len(text)
    return text[:at] + _other(alphabet, text[at], shift) + text[at + 1 :]


def _flip_state(state_b64: str, at: int, shift: int) -> str:
    raw = bytearray(base64.b64decode(state_b64))
    at %= len(raw)
    raw[at] = (raw[at] + 1 + shift % 254) % 256
    return base64.b64encode(bytes(raw)).decode()


# part -> (how to change one byte of it, what the verifier must say)
PARTS = {
    "state": "altered — ",
    "leaf_hash": "altered — the event does not hash to its leaf hash",
    "position": "",
    "originator_version": "altered — the event does not hash to its leaf hash",
    "topic": "",
    "proof hash": "",
    "proof index": "the proof is for index",
}


@pytest.fixture(scope="module")
def pristine(decided: Decided) -> dict[str, Any]:
    return build_evidence(decided.ledger, decided.positions["P3"])


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    part=st.sampled_from(sorted(PARTS)),
    which=st.integers(0, 10_000),
    at=st.integers(0, 10_000),
    shift=st.integers(0, 300),
)
def test_one_byte_changed_in_any_event_is_refused_with_the_right_message(
    decided: Decided,
    pristine: dict[str, Any],
    part: str,
    which: int,
    at: int,
    shift: int,
) -> None:
    doc = copy.deepcopy(pristine)
    event = doc["events"][which % len(doc["events"])]
    where = f"position {event['position']}"
    if part == "state":
        event["state"] = _flip_state(event["state"], at, shift)
    elif part == "leaf_hash":
        event["leaf_hash"] = _flip(event["leaf_hash"], at, HEX, shift)
    elif part == "position":
        event["position"] += 1 + shift
        where = f"position {event['position']}"
    elif part == "originator_version":
        event["originator_version"] += 1 + shift
    elif part == "topic":
        event["topic"] = _flip(event["topic"], at, "abcdefghijklmnopqrstuvwxyz", shift)
    elif part == "proof hash":
        lines = event["tlog_proof"].split("\n")
        i = 2 + at % (lines.index("") - 2)  # one of the audit path's lines
        lines[i] = _flip(lines[i][:42], at, B64, shift) + lines[i][42:]
        event["tlog_proof"] = "\n".join(lines)
    else:
        event["tlog_proof"] = event["tlog_proof"].replace(
            f"index {event['position'] - 1}\n", f"index {event['position'] + shift}\n"
        )
    report = verify(decided, doc)
    assert report["ok"] is False
    mine = [p for p in report["problems"] if p.startswith(where + ":")]
    assert mine, report["problems"]
    if part in ("state", "leaf_hash", "originator_version"):
        assert any(PARTS[part] in p for p in mine), mine
    elif part == "position":
        # the leaf (and the proof of it) no longer match
        assert any("altered — the event does not hash" in p for p in mine), mine
    elif part == "topic":
        assert any(
            "altered — the event does not hash" in p or "cannot be a" in p for p in mine
        ), mine
    elif part == "proof hash":
        assert any("NOT in the tree" in p or "malformed proof" in p for p in mine), mine
    else:
        assert any(PARTS[part] in p for p in mine), mine


def _problems(env: Decided, doc: dict[str, Any]) -> list[str]:
    report = verify(env, doc)
    assert report["ok"] is False
    return report["problems"]  # type: ignore[no-any-return]


def test_a_changed_checkpoint_summary_or_fingerprint_is_refused(
    decided: Decided, pristine: dict[str, Any]
) -> None:
    doc = copy.deepcopy(pristine)
    lines = doc["checkpoint"].split("\n")
    lines[1] = str(int(lines[1]) + 1)  # the tree size
    doc["checkpoint"] = "\n".join(lines)
    problems = _problems(decided, doc)
    assert (
        problems[0]
        == "checkpoint: the signature by sdsi-ledger.local/ledger does not verify"
    )

    doc = copy.deepcopy(pristine)
    signature = doc["checkpoint"].rstrip("\n").rsplit(" ", 1)
    doc["checkpoint"] = (
        signature[0]
        + " "
        + _flip(signature[1][:60], 30, B64, 1)
        + signature[1][60:]
        + "\n"
    )
    assert _problems(decided, doc)[0].startswith("checkpoint: ")

    doc = copy.deepcopy(pristine)
    doc["decision"]["outcome"] = "approved"
    assert _problems(decided, doc) == [
        "decision: the summary says outcome 'approved', the decision event 'deferred'"
    ]

    doc = copy.deepcopy(pristine)
    doc["fingerprint"] = _flip(doc["fingerprint"], 3, HEX, 0)
    assert _problems(decided, doc) == [
        "fingerprint: the file's fingerprint is not the one of its events"
    ]


def test_an_omitted_vote_or_score_sheet_is_caught_by_the_content_checks(
    decided: Decided, pristine: dict[str, Any]
) -> None:
    """Leaving events out keeps every remaining proof valid: the content checks catch
    it (the session's history has a hole; the scores no longer consolidate to what
    the decision records)."""
    doc = copy.deepcopy(pristine)
    votes = [e for e in doc["events"] if e["topic"].endswith(".VoteCast")]
    doc["events"].remove(votes[-1])
    leaves = [(e["position"], bytes.fromhex(e["leaf_hash"])) for e in doc["events"]]
    doc["fingerprint"] = VERIFIER.evidence_fingerprint(leaves)
    problems = _problems(decided, doc)
    assert len(problems) == 1
    assert problems[0].startswith("session: its history is not complete — versions ")

    doc = copy.deepcopy(pristine)
    sheet = next(e["originator_id"] for e in doc["events"] if e["role"] == "scores")
    doc["events"] = [e for e in doc["events"] if e["originator_id"] != sheet]
    leaves = [(e["position"], bytes.fromhex(e["leaf_hash"])) for e in doc["events"]]
    doc["fingerprint"] = VERIFIER.evidence_fingerprint(leaves)
    problems = _problems(decided, doc)
    assert problems[0] == (
        "scores: 1 evaluators scored revision 1 on grid v1 in the file, the decision "
        "records 2"
    )


def test_the_verifier_command_line_reports_and_exits(
    decided: Decided, pristine: dict[str, Any], tmp_path: Path
) -> None:
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(pristine))
    doc = copy.deepcopy(pristine)
    doc["events"][0]["leaf_hash"] = "00" * 32
    bad.write_text(json.dumps(doc))
    verifier = str(ROOT / "verifier.py")
    ok = run(verifier, "evidence", str(good), "--key", str(decided.key), env={})
    assert ok.returncode == 0, ok.stdout + ok.stderr
    d = pristine["decision"]
    assert ok.stdout.startswith(
        f"evidence verified: decision at position {d['position']} ({SESSION}, P3: "
        f"deferred) and the {len(pristine['events']) - 1} events it rests on"
    )
    assert ok.stdout.rstrip().endswith(f"fingerprint {pristine['fingerprint'][:16]}")
    failed = run(verifier, "evidence", str(bad), "--key", str(decided.key), env={})
    assert failed.returncode == 1
    first = pristine["events"][0]["position"]
    assert failed.stdout == (
        "EVIDENCE VERIFICATION FAILED: 1 problem\n"
        f"  position {first}: altered — the event does not hash to its leaf hash (its "
        "state, topic, id or version was changed)\n"
    )
    nokey = run(verifier, "evidence", str(good), env={})
    assert nokey.returncode == 2
    assert "--key is required" in nokey.stderr


# --- a clean environment: Python and cryptography, nothing else ---------------------------


def _clean_venv(where: Path) -> Path:
    """A virtual environment holding only ``cryptography`` (and what it needs),
    copied from this one: no network, no project package."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(where)], check=True
    )
    python = where / "bin" / "python"
    target = Path(
        subprocess.run(
            [
                str(python),
                "-c",
                "import sysconfig; print(sysconfig.get_paths()['purelib'])",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    ours = Path(sysconfig.get_paths()["purelib"])
    for entry in ours.iterdir():
        name = entry.name.lower()
        if name.startswith(("cryptography", "cffi", "_cffi_backend", "pycparser")):
            copy_ = shutil.copytree if entry.is_dir() else shutil.copy2
            copy_(entry, target / entry.name)
    return python


def test_the_verifier_runs_in_a_clean_venv_with_only_cryptography(
    decided: Decided, pristine: dict[str, Any], tmp_path: Path
) -> None:
    python = _clean_venv(tmp_path / "venv")
    alone = tmp_path / "auditor"
    alone.mkdir()
    shutil.copy(ROOT / "verifier.py", alone / "verifier.py")
    evidence = alone / "preuve.json"
    evidence.write_text(json.dumps(pristine, ensure_ascii=False))
    probe = subprocess.run(
        [str(python), "-I", "-c", "import rfc8785"], capture_output=True, text=True
    )
    assert probe.returncode == 1 and "No module named 'rfc8785'" in probe.stderr
    done = subprocess.run(
        [
            str(python),
            "-I",
            str(alone / "verifier.py"),
            "evidence",
            str(evidence),
            "--key",
            str(decided.key),
        ],
        capture_output=True,
        text=True,
        cwd=alone,
        env={},
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("evidence verified: decision at position ")


def test_the_seal_store_finds_the_first_checkpoint_covering_a_position(
    decided: Decided,
) -> None:
    store = SealStore(decided.ledger.storage)
    position = decided.positions["P1"]
    row = store.first_checkpoint_covering(position)
    assert row is not None and row.tree_size >= position
    earlier = [c for c in store.checkpoints() if c.seq < row.seq]
    assert all(c.tree_size < position for c in earlier)


# --- the whole file as bytes, and its envelope's shape ------------------------------------


def _main(path: Path, env: Decided) -> tuple[int, str]:
    """``verifier.py evidence PATH --key …`` in this process: (exit status, output)."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = VERIFIER.main(["evidence", str(path), "--key", str(env.key)])
    return code, out.getvalue()


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(at=st.integers(0, 10**9), bit=st.integers(0, 7))
def test_any_bit_flipped_anywhere_in_the_file_is_refused_without_a_traceback(
    decided: Decided, pristine: dict[str, Any], tmp_path: Path, at: int, bit: int
) -> None:
    """Every byte counts, including a base64 text's last character (whose unused
    bits ``b64decode`` ignored: a changed proof hash or signature was accepted) and
    a decimal in a state made unreadable (an InvalidOperation traceback)."""
    raw = bytearray(json.dumps(pristine, indent=1).encode())
    raw[at % len(raw)] ^= 1 << bit
    path = tmp_path / "flipped.json"
    path.write_bytes(bytes(raw))
    code, said = _main(path, decided)
    assert code in (1, 2), said
    assert said.startswith(("EVIDENCE VERIFICATION FAILED", "verifier.py: error: "))


def test_a_last_base64_character_with_other_unused_bits_is_refused(
    decided: Decided, pristine: dict[str, Any]
) -> None:
    doc = copy.deepcopy(pristine)
    event = doc["events"][-1]
    lines = event["tlog_proof"].split("\n")
    line = lines[2]  # a hash of the audit path: 43 characters and "="
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = alphabet[alphabet.index(line[42]) ^ 1]  # one of the 2 unused bits
    lines[2] = line[:42] + last + line[43:]
    assert base64.b64decode(lines[2]) == base64.b64decode(line)
    event["tlog_proof"] = "\n".join(lines)
    problems = _problems(decided, doc)
    assert problems == [
        f"position {event['position']}: malformed proof — a proof hash is not base64"
    ]


ODD_VALUES = [None, 0, -1, 2**70, 1.5, True, "", "x", "²", [], [1], {}, {"a": 1}]


def _paths(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
    paths: list[tuple[Any, ...]] = [(k,) for k in doc]
    paths += [("decision", k) for k in doc["decision"]]
    last = len(doc["events"]) - 1
    for i in (0, last // 2, last):
        paths += [("events", i), *(("events", i, k) for k in doc["events"][i])]
    return paths


def test_any_field_of_another_type_or_missing_is_refused_naming_it(
    decided: Decided, pristine: dict[str, Any]
) -> None:
    """An envelope changed in shape (a field dropped, a number turned into text,
    the decision into a list…) is refused naming the field; it was an
    AttributeError traceback or « error: 'decision' »; ``leaf_format`` was not
    read at all, and ``true`` passed for the revision 1."""
    for path in _paths(pristine):
        for value in [*ODD_VALUES, "DELETE"]:
            doc = copy.deepcopy(pristine)
            node: Any = doc
            for step in path[:-1]:
                node = node[step]
            if value == "DELETE":
                del node[path[-1]]
            elif node[path[-1]] == value and type(node[path[-1]]) is type(value):
                continue
            else:
                node[path[-1]] = value
            try:
                report = verify(decided, doc)
            except VERIFIER.InputError as exc:  # format / version: not such a file
                assert path in (("format",), ("version",)), (path, value, exc)
                continue
            assert report["ok"] is False, (path, value)
            assert report["problems"], (path, value)


def test_the_shape_check_names_the_field(
    decided: Decided, pristine: dict[str, Any]
) -> None:
    doc = copy.deepcopy(pristine)
    doc["leaf_format"] = "sdsi-leaf-v0"
    doc["decision"] = []
    doc["events"][1]["position"] = str(doc["events"][1]["position"])
    del doc["events"][2]["tlog_proof"]
    assert _problems(decided, doc) == [
        "altered — leaf_format: 'sdsi-leaf-v0', not 'sdsi-leaf-v1'",
        "altered — decision: missing or not an object",
        "altered — events[1].position: missing or not int",
        "altered — events[2].tlog_proof: missing or not str",
    ]
