"""The two verifiers of a bundle say the same thing, whatever was done to it.

``ledger.bundle.verify_bundle`` (what ``sdsi ledger import`` and, through the same
checks, ``sdsi verify`` run) and the independent ``verifier.py`` are two
implementations of one specification (docs/integrity.md). Generated tamperings of a
bundle — events altered, re-sealed, deleted, inserted, swapped or cut; seal rows
removed; checkpoints forged with the ledger's key or another, corrupted, or kept by
an auditor — must give both the same problems: same kind, same range, naming the
same checkpoint. Written for issue 12 (defect 9: a rewrite reported as the empty
range N+1..N; the independent verifier naming the wrong checkpoint).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import verifier
from ledger.bundle import Bundle, export_bundle, verify_bundle
from ledger.keys import ensure_signing_key, load_signing_key
from ledger.leaf import leaf_hash_of
from ledger.merkle import CompactRange, consistency_proof_from
from ledger.notes import Checkpoint, sign_note, trusted_verifiers
from ledger.sealing import Sealer
from tests.conftest import ADMIN
from tests.ledger.integrity_helpers import session_closed_state

FILES = ("events.jsonl", "leaves.jsonl", "checkpoints.jsonl", "outside.jsonl")


class Edit:
    """A bundle directory's files as lists of JSON objects, edited then written."""

    def __init__(self, path: Path, origin: str) -> None:
        self.path, self.origin = path, origin
        self.files = {
            name: [json.loads(line) for line in (path / name).read_text().splitlines()]
            for name in FILES
        }
        self.kept: list[str] = []

    @property
    def events(self) -> list[dict[str, Any]]:
        return self.files["events.jsonl"]

    @property
    def leaves(self) -> list[dict[str, Any]]:
        return self.files["leaves.jsonl"]

    @property
    def checkpoints(self) -> list[dict[str, Any]]:
        return self.files["checkpoints.jsonl"]

    def renumber(self) -> None:
        for i, event in enumerate(self.events, start=1):
            event["position"] = i

    def leaf(self, position: int) -> str:
        e = self.events[position - 1]
        state = base64.b64decode(e["state"])
        return leaf_hash_of(
            position, e["originator_id"], e["originator_version"], e["topic"], state
        ).hex()

    def forge(self, after: int, key: Ed25519PrivateKey) -> None:
        """Re-sign every checkpoint beyond tree size ``after`` over the current
        leaves (as whoever holds ``key`` would, to cover a rewrite)."""
        leaves = [bytes.fromhex(s["leaf"]) for s in self.leaves]
        previous = CompactRange()
        previous.extend(leaves[:after])
        for c in self.checkpoints:
            size = c["tree_size"]
            if size <= after or size > len(leaves):
                if size <= after:
                    previous = CompactRange()
                    previous.extend(leaves[:size])
                continue
            compact = CompactRange()
            compact.extend(leaves[:size])
            proof = consistency_proof_from(previous, leaves[previous.size : size])
            c["root"] = compact.root().hex()
            c["note"] = sign_note(
                Checkpoint(self.origin, size, compact.root()).text(), self.origin, key
            )
            c["consistency_proof"] = [h.hex() for h in proof]
            previous = compact

    def write(self) -> None:
        manifest = json.loads((self.path / "manifest.json").read_text())
        for name, rows in self.files.items():
            data = "".join(
                json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n"
                for r in rows
            ).encode()
            (self.path / name).write_bytes(data)
            manifest["files"][name]["sha256"] = hashlib.sha256(data).hexdigest()
        (self.path / "manifest.json").write_text(json.dumps(manifest))


def alter(edit: Edit, position: int, reseal: bool) -> None:
    event = edit.events[position - 1]
    state = base64.b64decode(event["state"])
    state = state.replace(b'"actor":"', b'"actor":"X', 1)
    event["state"] = base64.b64encode(state).decode()
    if reseal:
        for seal in edit.leaves:
            if seal["position"] == position:
                seal["leaf"] = edit.leaf(position)


def tamperings(size: int, sizes: list[int]) -> st.SearchStrategy[list[Any]]:
    position = st.integers(1, size)
    one = st.one_of(
        st.tuples(st.just("alter"), position, st.booleans()),
        st.tuples(st.just("delete event"), position),
        st.tuples(st.just("delete leaf"), position),
        st.tuples(st.just("insert event"), position),
        st.tuples(st.just("swap"), position, position),
        st.tuples(st.just("cut tail"), st.integers(1, 3), st.booleans()),
        st.tuples(
            st.just("forge"),
            st.sampled_from([0, *sizes]),
            st.sampled_from(["own", "other"]),
        ),
        st.tuples(
            st.just("corrupt"),
            st.integers(0, len(sizes) - 1),
            st.sampled_from(["root", "proof", "note", "size"]),
        ),
        st.tuples(st.just("keep"), st.integers(0, len(sizes) - 1)),
        st.tuples(st.just("keep another key's"), st.integers(0, len(sizes) - 1)),
        st.tuples(st.just("outside"), st.integers(-(2**62), 0)),
    )
    return st.lists(one, min_size=1, max_size=3)


def apply(
    edit: Edit, step: tuple[Any, ...], notes: list[str], own: Ed25519PrivateKey
) -> None:
    kind = step[0]
    n = len(edit.events)
    if kind == "keep":  # the auditor kept an original checkpoint
        edit.kept.append(notes[step[1]])
    elif kind == "keep another key's":
        size = int(notes[step[1]].split("\n")[1])
        root = base64.b64decode(notes[step[1]].split("\n")[2])
        text = Checkpoint(edit.origin, size, root).text()
        edit.kept.append(sign_note(text, edit.origin, Ed25519PrivateKey.generate()))
    elif kind == "outside":  # a row the database held outside the log
        event = edit.events[0] if edit.events else None
        edit.files["outside.jsonl"].append(
            {
                "notification_id": step[1],
                "originator_id": "0b3d5f7e-0000-4000-8000-000000000002",
                "originator_version": 7,
                "topic": "domain.accounts:Account.Disabled",
                "state": event["state"] if event else "",
            }
        )
    elif n == 0:
        return
    elif kind == "alter":
        alter(edit, min(step[1], n), step[2])
    elif kind == "delete event":
        del edit.events[min(step[1], n) - 1]
        edit.renumber()
    elif kind == "delete leaf" and edit.leaves:
        del edit.leaves[min(step[1], len(edit.leaves)) - 1]
    elif kind == "insert event":
        forged = {
            "position": 0,
            "originator_id": "0b3d5f7e-0000-4000-8000-000000000001",
            "originator_version": 1,
            "topic": "domain.accounts:Account.RoleGranted",
            "state": base64.b64encode(session_closed_state()).decode(),
        }
        edit.events.insert(min(step[1], n) - 1, forged)
        edit.renumber()
    elif kind == "swap":
        a, b = edit.events[min(step[1], n) - 1], edit.events[min(step[2], n) - 1]
        for field in ("originator_id", "originator_version", "topic", "state"):
            a[field], b[field] = b[field], a[field]
    elif kind == "cut tail":
        del edit.events[-min(step[1], n) :]
        if step[2]:  # with the seals and checkpoints beyond, as a careful owner would
            edit.files["leaves.jsonl"] = edit.leaves[: len(edit.events)]
            edit.files["checkpoints.jsonl"] = [
                c for c in edit.checkpoints if c["tree_size"] <= len(edit.events)
            ]
    elif kind == "forge":
        edit.forge(step[1], own if step[2] == "own" else Ed25519PrivateKey.generate())
    elif kind == "corrupt" and step[1] < len(edit.checkpoints):
        c = edit.checkpoints[step[1]]
        if step[2] == "root":
            c["root"] = "00" * 32
        elif step[2] == "proof":
            c["consistency_proof"] = ["11" * 32, *c["consistency_proof"]]
        elif step[2] == "note":
            c["note"] = c["note"].replace("\n\n", "\n\nx", 1)
        else:
            c["tree_size"] += 1


LABEL = re.compile(r"(checkpoint #\d+|known checkpoint \d+)")


def summary(problems: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """What both reports must agree on, per problem."""
    out = []
    for p in problems:
        named = LABEL.search(p["detail"])
        out.append(
            (
                p["kind"],
                p["position"],
                p["last"],
                p.get("notification_id"),
                named.group(1) if named else None,
            )
        )
    return out


def latest(report: dict[str, Any]) -> tuple[Any, ...] | None:
    """The checkpoint a report calls the latest: its size, root and number."""
    cp = report["latest_checkpoint"]
    if cp is None:
        return None
    seq = cp.get("seq")
    if "label" in cp:
        named = re.match(r"checkpoint #(\d+)", cp["label"])
        seq = int(named.group(1)) if named else None
    return (cp["tree_size"], cp["root"], seq)


@pytest.fixture
def base_bundle(ledger: Any, settings: Any, tmp_path: Path) -> Iterator[Path]:
    """A 14-event ledger sealed with checkpoints at 4, 8, 12 and 14, exported."""
    ensure_signing_key(settings)
    for i in range(5):
        ledger.add_user(
            ADMIN, f"user{i}", f"User {i}", "secret-password-1", roles=[("dsi", None)]
        )
    ledger.reset_password(ADMIN, "user0", "another-password-1")
    ledger.reset_password(ADMIN, "user1", "another-password-2")
    Sealer(ledger, every_events=4).checkpoint_now()
    path = tmp_path / "base"
    export_bundle(ledger, path)
    yield path


@given(data=st.data())
@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_both_verifiers_report_the_same_problems(
    base_bundle: Path, settings: Any, tmp_path_factory: Any, data: Any
) -> None:
    work = tmp_path_factory.mktemp("tampered") / "bundle"
    shutil.copytree(base_bundle, work)
    origin = settings.ledger_origin
    edit = Edit(work, origin)
    notes = [c["note"] for c in edit.checkpoints]
    sizes = [c["tree_size"] for c in edit.checkpoints]
    own = load_signing_key(settings)
    for step in data.draw(tamperings(len(edit.events), sizes), label="tamperings"):
        apply(edit, step, notes, own)
    edit.write()

    ours = verify_bundle(
        Bundle(work),
        trusted_verifiers(settings),
        [(f"known checkpoint {i}", note) for i, note in enumerate(edit.kept, 1)],
    ).to_json()
    keys = verifier.load_keys(str(settings.public_key_file))
    theirs = verifier.verify_bundle(verifier.Bundle(work), keys, edit.kept)
    assert (ours["ok"], summary(ours["problems"]), ours["tree_size"], ours["root"]) == (
        theirs["ok"],
        summary(theirs["problems"]),
        theirs["tree_size"],
        theirs["root"],
    )
    assert latest(ours) == latest(theirs)
    for p in ours["problems"]:  # a range is never empty
        assert p["last"] is None or p["position"] <= p["last"], p
