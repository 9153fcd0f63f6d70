#!/usr/bin/env python3
"""Independent verifier of SDSI ledger bundles and proofs.

One file, the Python standard library and ``cryptography`` only: it imports nothing
from the SDSI Ledger project, so an auditor can read it whole and run it anywhere.
Formats: ``docs/integrity.md`` of the project.

Usage::

    python verifier.py BUNDLE [--key PUBKEY]... [--checkpoint NOTE]... [--json]
    python verifier.py inclusion PROOF.json --key PUBKEY [--checkpoint NOTE]
    python verifier.py consistency PROOF.json --key PUBKEY
    python verifier.py evidence EVIDENCE.json --key PUBKEY [--json]

Witness policy (any mode): ``--witness WKEY`` (repeat) ``--quorum K`` refuses the
checkpoint (the bundle's latest, or the proof's) unless K of those witnesses cosigned
it (C2SP tlog-cosignature, Ed25519). ``WKEY`` is a witness vkey
``name+keyid+base64(0x04||key)``, as a string or in a file.

``PUBKEY`` is the ledger's Ed25519 public key: a PEM file, or a note verifier key
(``name+keyid+base64``, as a string or in a file). Checkpoints signed by any other key
are refused. ``--checkpoint`` names a signed checkpoint obtained earlier (e.g. printed
in COPIL minutes): the bundle must contain the tree it signs.

Exit status: 0 verified, 1 verification failed, 2 bad usage or unreadable input.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import re
import sys
import uuid
import zipfile
from collections.abc import Iterator
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
ALTERED, MISSING, INSERTED, REORDERED = "altered", "missing", "inserted", "reordered"
BAD_SIGNATURE, INCONSISTENT = "bad signature", "inconsistent checkpoint"
OUTSIDE, OUTSIDE_LISTED = "outside the log", 100
VERSION_GAP, DUPLICATE_VERSION, ROWS_LISTED = "version gap", "duplicate version", 100


class InputError(Exception):
    """Unreadable input (exit 2)."""


# --- RFC 8785 canonical JSON, for the values sealed records hold --------------------
# Records hold only strings, integers, booleans, null, arrays and objects: never floats
# (the ledger refuses to seal one), so the number serialisation of RFC 8785 reduces to
# integers in the IEEE 754 safe range, written in decimal.

_MAX_SAFE_INTEGER = 2**53 - 1
_STRING_ESCAPES = re.compile(r'[\x00-\x1f"\\]')
_SHORT_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


def b64(text: Any) -> bytes:
    """Standard base64, written the one way it encodes (``binascii.Error``
    otherwise): ``decode`` ignores a last character's unused bits, so a changed
    byte there would decode to the same hash or signature and go unnoticed."""
    data = base64.b64decode(text, validate=True)
    if base64.b64encode(data) != (text.encode() if isinstance(text, str) else text):
        raise binascii.Error("not canonical base64")
    return data


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    return _SHORT_ESCAPES.get(char) or f"\\u{ord(char):04x}"


def _jcs(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        if abs(value) > _MAX_SAFE_INTEGER:
            raise ValueError(f"integer {value} is outside the JSON safe range")
        out.append(str(int(value)))
    elif isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("a string holds an unpaired surrogate") from None
        out.append('"' + _STRING_ESCAPES.sub(_escape, value) + '"')
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _jcs(item, out)
        out.append("]")
    elif isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise ValueError("object keys must be strings")
        # RFC 8785 3.2.3: members sorted by the UTF-16 code units of their names.
        keys = sorted(value, key=lambda k: k.encode("utf-16-be", "surrogatepass"))
        out.append("{")
        for i, key in enumerate(keys):
            if i:
                out.append(",")
            _jcs(key, out)
            out.append(":")
            _jcs(value[key], out)
        out.append("}")
    else:
        raise ValueError(
            f"{type(value).__name__} values never appear in sealed records"
        )


def canonical_json(value: Any) -> bytes:
    """RFC 8785 (JCS) serialisation of ``value`` (no floats)."""
    out: list[str] = []
    _jcs(value, out)
    return "".join(out).encode("utf-8")


# --- records and leaves --------------------------------------------------------------


def _flatten(value: Any) -> Any:
    """Transcoded values ``{"_type_": t, "_data_": d}`` replaced by ``d``."""
    if isinstance(value, dict):
        if set(value) == {"_type_", "_data_"}:
            return _flatten(value["_data_"])
        return {k: _flatten(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_flatten(v) for v in value]
    return value


def leaf_record(position: int, event: dict[str, Any], state: bytes) -> dict[str, Any]:
    """The record sealed for an event (see docs/integrity.md, "Leaves")."""
    data = json.loads(state)
    if not isinstance(data, dict):
        raise ValueError("the state is not a JSON object")
    return {
        "position": position,
        "originator_id": str(event["originator_id"]),
        "originator_version": int(event["originator_version"]),
        "topic": str(event["topic"]),
        "recorded": _flatten(data.get("timestamp")),
        "context": _flatten(data.get("context")),
        "state_sha256": hashlib.sha256(state).hexdigest(),
    }


def hash_leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def event_leaf(position: int, event: dict[str, Any]) -> bytes:
    """Leaf hash of an event line (with its base64 ``state``)."""
    state = b64(event["state"])
    return hash_leaf(canonical_json(leaf_record(position, event, state)))


# --- RFC 6962 / 9162 Merkle tree -----------------------------------------------------


class CompactRange:
    """Roots of the perfect subtrees covering the first ``size`` leaves."""

    def __init__(self) -> None:
        self.size = 0
        self.hashes: list[bytes] = []

    def append(self, leaf: bytes) -> None:
        self.hashes.append(leaf)
        self.size += 1
        n = self.size
        while not n & 1:
            right = self.hashes.pop()
            self.hashes[-1] = hash_children(self.hashes[-1], right)
            n >>= 1

    def root(self) -> bytes:
        if not self.hashes:
            return hashlib.sha256(b"").digest()
        node = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            node = hash_children(left, node)
        return node


def _hashes_ok(*hashes: bytes) -> bool:
    return all(isinstance(h, bytes) and len(h) == 32 for h in hashes)


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: list[bytes], root: bytes
) -> bool:
    """RFC 9162 2.1.3.2."""
    if not 0 <= index < size or not _hashes_ok(leaf, root, *proof):
        return False
    fn, sn, node = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            node = hash_children(sibling, node)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            node = hash_children(node, sibling)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and node == root


def verify_consistency(
    m: int, n: int, root_m: bytes, root_n: bytes, proof: list[bytes]
) -> bool:
    """RFC 9162 2.1.4.2."""
    if not 0 <= m <= n or not _hashes_ok(*proof):
        return False
    if m == n:
        return not proof and root_m == root_n
    if m == 0:
        return not proof
    if not proof or not _hashes_ok(root_m, root_n):
        return False
    path = ([root_m] if m & (m - 1) == 0 else []) + list(proof)
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for node in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = hash_children(node, fr), hash_children(node, sr)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = hash_children(sr, node)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == root_m and sr == root_n


# --- signed checkpoints (C2SP tlog-checkpoint, signed-note) ---------------------------


class Key:
    """A pinned Ed25519 key; ``name`` is None when it came from a PEM file."""

    def __init__(self, public_key: Ed25519PublicKey, name: str | None = None) -> None:
        self.public_key, self.name = public_key, name
        self.raw = public_key.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    def key_id(self, name: str) -> bytes:
        return hashlib.sha256(name.encode() + b"\n\x01" + self.raw).digest()[:4]

    def fingerprint(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()


_PEM = re.compile(rb"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", re.S)


def pem_keys(text: bytes, source: str) -> list[Key]:
    """Every Ed25519 public key of a PEM text."""
    keys = []
    for block in _PEM.findall(text):
        try:
            key = serialization.load_pem_public_key(block)
        except ValueError as exc:
            raise InputError(f"{source}: not a PEM public key ({exc})") from None
        if not isinstance(key, Ed25519PublicKey):
            raise InputError(f"{source}: not an Ed25519 key")
        keys.append(Key(key))
    if not keys:
        raise InputError(f"{source}: no PEM public key")
    return keys


def load_keys(spec: str) -> list[Key]:
    """A PEM public key file, or a vkey ``name+keyid+base64(0x01||key)`` or its file."""
    path = Path(spec)
    text = path.read_bytes() if path.is_file() else spec.encode()
    if b"-----BEGIN" in text:
        return pem_keys(text, spec)
    parts = text.decode(errors="replace").strip().split("+", 2)
    try:
        name, key_id, blob = (
            parts[0],
            bytes.fromhex(parts[1]),
            base64.b64decode(parts[2]),
        )
        if len(parts) != 3 or blob[:1] != b"\x01" or len(blob) != 33:
            raise ValueError
        pinned = Key(Ed25519PublicKey.from_public_bytes(blob[1:]), name)
    except (IndexError, ValueError, binascii.Error):
        raise InputError(f"{spec}: neither a PEM file nor a vkey") from None
    if pinned.key_id(name) != key_id:
        raise InputError(f"{spec}: the vkey's key ID does not match its key")
    return [pinned]


class NoteError(Exception):
    """A checkpoint note that is malformed or not signed by a pinned key."""


def open_checkpoint(note: str, keys: list[Key]) -> tuple[str, int, bytes]:
    """(origin, tree size, root) of a signed checkpoint, if a pinned key signed it."""
    if "\n\n" not in note or not note.endswith("\n"):
        raise NoteError("not a signed note")
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise NoteError("a signed note holds no control character but newlines")
    cut = note.rindex("\n\n")
    text, lines = note[: cut + 1], note[cut + 2 : -1].split("\n")
    body = text[:-1].split("\n")
    if len(body) < 3 or not all(body) or not re.fullmatch(r"0|[1-9][0-9]*", body[1]):
        raise NoteError("malformed checkpoint text")
    origin, size = body[0], int(body[1])
    try:
        root = b64(body[2])
    except binascii.Error:
        raise NoteError("malformed checkpoint root") from None
    if len(root) != 32:
        raise NoteError("malformed checkpoint root")
    verified = False
    for line in lines:
        match = re.fullmatch(r"— (\S+) (\S+)", line)
        if not match:
            raise NoteError(f"malformed signature line {line[:40]!r}")
        name = match.group(1)
        try:
            blob = b64(match.group(2))
        except binascii.Error:
            raise NoteError("a signature is not base64") from None
        for key in keys:
            if (key.name or origin) != name or key.key_id(name) != blob[:4]:
                continue  # signatures by other keys are ignored (C2SP signed-note)
            try:
                key.public_key.verify(blob[4:], text.encode())
            except InvalidSignature:
                raise NoteError(f"the signature by {name} does not verify") from None
            verified = True
    if not verified:
        raise NoteError("signed by an unknown key (not the pinned one)")
    return origin, size, root


# --- bundles -------------------------------------------------------------------------


class Bundle:
    """A bundle directory or .zip: manifest, events, leaves, checkpoints, key."""

    FILES = ("events.jsonl", "leaves.jsonl", "checkpoints.jsonl", "public_key.pem")
    OUTSIDE = "outside.jsonl"  # rows outside the log; absent from older bundles
    COSIGNATURES = "cosignatures.jsonl"  # witnesses' cosignatures; optional

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip = zipfile.ZipFile(path) if path.is_file() else None
        if self.zip is None and not path.is_dir():
            raise InputError(f"no bundle at {path}")
        try:
            self.manifest = json.loads(self.read("manifest.json"))
        except ValueError:
            raise InputError("manifest.json is not JSON") from None
        if self.manifest.get("format") != "sdsi-ledger-bundle":
            raise InputError(f"{path} is not an SDSI ledger bundle")
        if self.manifest.get("version") != 1:
            raise InputError(
                f"unsupported bundle version {self.manifest.get('version')}"
            )

    def open(self, name: str) -> IO[bytes]:
        try:
            return self.zip.open(name) if self.zip else (self.path / name).open("rb")
        except (KeyError, FileNotFoundError):
            raise InputError(f"the bundle has no {name}") from None

    def read(self, name: str) -> bytes:
        with self.open(name) as fh:
            return fh.read()

    def lines(self, name: str) -> Iterator[dict[str, Any]]:
        with self.open(name) as fh:
            for number, raw in enumerate(fh, start=1):
                try:
                    yield json.loads(raw)
                except ValueError:
                    raise InputError(f"{name} line {number} is not JSON") from None

    def files(self) -> tuple[str, ...]:
        listed = self.manifest.get("files", {})
        optional = (self.OUTSIDE, self.COSIGNATURES)
        return self.FILES + tuple(name for name in optional if name in listed)

    def altered_files(self) -> list[str]:
        altered = []
        for name in self.files():
            digest = hashlib.sha256()
            with self.open(name) as fh:
                for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                    digest.update(chunk)
            expected = self.manifest.get("files", {}).get(name, {}).get("sha256")
            if digest.hexdigest() != expected:
                altered.append(name)
        return altered


class Problem:
    def __init__(
        self,
        kind: str,
        position: int,
        detail: str,
        last: int | None = None,
        notification_id: int | None = None,
    ):
        self.kind, self.position, self.detail, self.last = kind, position, detail, last
        self.notification_id = notification_id  # of a row outside the log

    def where(self) -> str:
        if self.kind == OUTSIDE:
            return f"row id {self.notification_id}"
        if self.last in (None, self.position):
            return f"position {self.position}"
        return f"positions {self.position}..{self.last}"

    def to_json(self) -> dict[str, Any]:
        out = {
            "kind": self.kind,
            "position": self.position,
            "last": self.last,
            "detail": self.detail,
        }
        if self.kind == OUTSIDE:
            out["notification_id"] = self.notification_id
        return out


def _who(identity: tuple[str, int]) -> str:
    return f"event {identity[0]} version {identity[1]}"


def _identity(line: dict[str, Any]) -> tuple[str, int]:
    return (str(line["originator_id"]), int(line["originator_version"]))


def check_checkpoints(
    bundle: Bundle, keys: list[Key], origin: str
) -> tuple[list, list]:
    """Signed checkpoints (seq, size, root, label) and problems, in order."""
    trusted: list[tuple[int, int, bytes, str]] = []
    problems: list[Problem] = []
    covered, previous = 0, None
    for c in bundle.lines("checkpoints.jsonl"):
        seq, size = int(c["seq"]), int(c["tree_size"])
        label = f"checkpoint #{seq} (tree size {size})"
        # The positions it vouches for beyond the sizes before it; all of its tree
        # if it adds none (a tampered size): never an empty range.
        first = covered + 1 if size > covered else 1
        last = size if size >= first else None
        covered = max(covered, size)
        try:
            signed_origin, signed_size, root = open_checkpoint(c["note"], keys)
        except NoteError as exc:
            problems.append(Problem(BAD_SIGNATURE, first, f"{label}: {exc}", last))
            continue
        if signed_origin != origin:
            problems.append(
                Problem(BAD_SIGNATURE, first, f"{label} is for another log", last)
            )
            continue
        proof = [bytes.fromhex(h) for h in c.get("consistency_proof", [])]
        if signed_size != size or root.hex() != c.get("root"):
            problems.append(
                Problem(INCONSISTENT, first, f"{label} differs from its note", last)
            )
        elif previous and not verify_consistency(
            previous[1], size, previous[2], root, proof
        ):
            problems.append(
                Problem(
                    INCONSISTENT,
                    first,
                    (f"{label} is not proven consistent with {previous[3]}"),
                    last,
                )
            )
        previous = (seq, signed_size, root, label)
        trusted.append(previous)
    return trusted, problems


def _classify(
    bundle: Bundle,
    position: int,
    event: tuple[str, int] | None,
    error: str | None,
    seal: tuple[str, int],
) -> Problem:
    if event is None or event == seal:
        why = f"cannot be read ({error})" if error else "differs from what was sealed"
        return Problem(ALTERED, position, f"{_who(seal)} {why}")
    sealed_at = next(
        (
            int(s["position"])
            for s in bundle.lines("leaves.jsonl")
            if _identity(s) == event
        ),
        None,
    )
    present = any(_identity(e) == seal for e in bundle.lines("events.jsonl"))
    if sealed_at is None and present:
        return Problem(
            INSERTED, position, f"{_who(event)} was never sealed, yet stands here"
        )
    if sealed_at is None:
        return Problem(ALTERED, position, f"{_who(seal)} was replaced by {_who(event)}")
    if not present:
        return Problem(
            MISSING, position, f"{_who(seal)}, sealed here, is no longer stored"
        )
    return Problem(
        REORDERED, position, f"{_who(event)} was sealed at position {sealed_at}"
    )


def outside_problems(bundle: Bundle) -> list[Problem]:
    """Rows the database held outside the log (ids <= 0), which the export lists:
    never part of the signed log, and never something an intact ledger holds."""
    if bundle.OUTSIDE not in bundle.files():
        return []
    problems: list[Problem] = []
    total = 0
    for row in bundle.lines(bundle.OUTSIDE):
        total += 1
        if len(problems) < OUTSIDE_LISTED:
            nid = row["notification_id"]
            problems.append(
                Problem(
                    OUTSIDE,
                    0,
                    (
                        f"event {row['originator_id']} version "
                        f"{int(row['originator_version'])} ({row['topic']}) is stored"
                        f" with id {nid}, outside the log"
                    ),
                    notification_id=None if nid is None else int(nid),
                )
            )
    if total > len(problems):
        problems.append(
            Problem(
                OUTSIDE,
                0,
                f"and {total - len(problems)} more rows outside the log",
                notification_id=problems[-1].notification_id,
            )
        )
    return problems


def _version_problem(
    position: int, aggregate: str, version: int, upto: int, beyond: set[int]
) -> Problem | None:
    """What is wrong with ``version`` of ``aggregate`` whose versions 1..``upto``
    and ``beyond`` were seen before it (None: it is the next one)."""
    if not beyond and version == upto + 1:
        return None
    last = max(upto, max(beyond, default=0))
    where = f"aggregate {aggregate}:"
    if 1 <= version <= upto or version in beyond:
        return Problem(
            DUPLICATE_VERSION,
            position,
            f"{where} duplicate version {version}, already stored before this position",
        )
    if version == last + 1:
        return None  # the next one, after a break already named
    if last == 0:
        return Problem(
            VERSION_GAP,
            position,
            f"{where} version {version} first, versions start at 1",
        )
    if version == last + 2:
        why = f", version {last + 1} is missing"
    elif version > last + 2:
        why = f", versions {last + 1}..{version - 1} are missing"
    else:
        why = ", out of order"
    return Problem(
        VERSION_GAP, position, f"{where} version {version} after {last}{why}"
    )


def version_problems(bundle: Bundle) -> list[Problem]:
    """An aggregate's versions follow each other in log order: 1, 2, 3... A gap or a
    duplicate is named by its position (the first ROWS_LISTED, then a count)."""
    upto: dict[str, int] = {}  # versions 1..n all seen
    beyond: dict[str, set[int]] = {}  # seen above n (aggregates found broken)
    problems: list[Problem] = []
    more: Problem | None = None
    count = 0
    for position, e in enumerate(bundle.lines("events.jsonl"), start=1):
        try:
            aggregate = str(uuid.UUID(str(e["originator_id"])))
        except (KeyError, TypeError, ValueError):
            continue  # no leaf either: the log check names it
        version = e.get("originator_version")
        if isinstance(version, bool) or not isinstance(version, int):
            problem: Problem | None = Problem(
                VERSION_GAP,
                position,
                f"aggregate {aggregate}: version {version!r} is not a number",
            )
        else:
            seen = beyond.get(aggregate, set())
            done = upto.get(aggregate, 0)
            problem = _version_problem(position, aggregate, version, done, seen)
            if problem is None and not seen:
                upto[aggregate] = version
            else:
                if version > done:
                    seen.add(version)
                while done + 1 in seen:
                    done += 1
                    seen.discard(done)
                upto[aggregate] = done
                if seen:
                    beyond[aggregate] = seen
                else:
                    beyond.pop(aggregate, None)
        if problem is None:
            continue
        if len(problems) < ROWS_LISTED:
            problems.append(problem)
        else:
            more = more or problem
            count += 1
    if more is not None:
        problems.append(
            Problem(
                more.kind,
                more.position,
                f"and {count} more problems of ids, aggregate ids or versions",
            )
        )
    return problems


ATTACHMENT_TOPICS = (
    "domain.attachments:Attachment.Attached",
    "domain.attachments:Attachment.Replaced",
)


def attachment_problems(bundle: Bundle) -> list[str] | None:
    """When the bundle includes attachment files (its manifest says so), each
    SHA-256 an attachment event records must be a file ``attachments/sha256/<it>``
    of exactly those bytes; the problems, named; None without attachment files."""
    if not (bundle.manifest.get("attachments") or {}).get("included"):
        return None
    problems: list[str] = []
    seen: set[str] = set()
    for event in bundle.lines("events.jsonl"):
        if event.get("topic") not in ATTACHMENT_TOPICS:
            continue
        state = json.loads(b64(event["state"]))
        digest = str(state.get("sha256", ""))
        name = str(state.get("filename", ""))
        if digest in seen:
            continue
        seen.add(digest)
        if not re.fullmatch(r"[0-9a-f]{64}", digest):
            problems.append(f"event {event.get('position')}: no SHA-256 recorded")
            continue
        found = hashlib.sha256()
        try:
            with bundle.open("attachments/sha256/" + digest) as fh:
                for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                    found.update(chunk)
        except InputError:
            problems.append(f"attachment missing: {name} (sha256 {digest})")
            continue
        if found.hexdigest() != digest:
            problems.append(
                f"attachment altered: {name} (recorded sha256 {digest}, "
                f"file hashes to {found.hexdigest()})"
            )
    return problems


def verify_bundle(bundle: Bundle, keys: list[Key], known: list[str]) -> dict[str, Any]:
    """Verify everything in a bundle; a JSON-able report."""
    origin = str(bundle.manifest.get("origin", ""))
    trusted, problems = check_checkpoints(bundle, keys, origin)
    problems = outside_problems(bundle) + problems
    for i, note in enumerate(known, start=1):
        try:
            signed_origin, size, root = open_checkpoint(note, keys)
        except NoteError as exc:
            problems.append(Problem(BAD_SIGNATURE, 1, f"known checkpoint {i}: {exc}"))
            continue
        if signed_origin != origin:
            problems.append(
                Problem(BAD_SIGNATURE, 1, f"known checkpoint {i} is for another log")
            )
            continue
        trusted.append((0, size, root, f"known checkpoint {i} (tree size {size})"))
    pending = sorted((t for t in trusted if t[1] > 0), key=lambda t: t[1])
    due = 0  # pending[due:] are the checkpoints not reached yet
    # The last size at which a checkpoint matched the events, per kind (stored:
    # proven consistent with each other; kept: linked to nothing but the events): a
    # checkpoint that does not match points after the last match of its own kind.
    compact, matched, roots_broken = CompactRange(), {True: 0, False: 0}, False
    events = bundle.lines("events.jsonl")
    seals = bundle.lines("leaves.jsonl")
    event, seal = next(events, None), next(seals, None)
    position, sealed, unsealed, root_at_sealed, broken = 0, 0, 0, compact.root(), False
    while event is not None or seal is not None:
        position += 1
        covered = due < len(pending)  # a signed checkpoint covers this position
        here = seal if seal is not None and int(seal["position"]) == position else None
        problem = None
        if event is None:
            problem = Problem(
                MISSING,
                position,
                "the event sealed here is no longer stored "
                "(the end of the log was cut)",
            )
        elif here is None and (seal is not None or covered):
            problem = Problem(MISSING, position, "the seal of this position is missing")
        elif here is None:
            unsealed = 1 + sum(1 for _ in events)
            break
        else:
            if int(event.get("position", 0)) != position:
                raise InputError(f"events.jsonl line {position} holds another position")
            error, leaf = None, None
            try:
                leaf = event_leaf(position, event)
            except (KeyError, TypeError, ValueError, binascii.Error) as exc:
                error = str(exc)
            if leaf is None or leaf.hex() != here["leaf"]:
                problem = _classify(
                    bundle, position, _identity(event), error, _identity(here)
                )
        if problem is not None:
            problems.append(problem)
            broken = True
            break
        compact.append(leaf)  # type: ignore[arg-type]
        sealed = position
        before = dict(matched)  # matches at smaller sizes only
        while due < len(pending) and pending[due][1] == position:
            seq, size, root, label = pending[due]
            due += 1
            if roots_broken:
                continue
            if compact.root() == root:
                matched[seq != 0] = position
            else:
                roots_broken = True
                problems.append(
                    Problem(
                        ALTERED,
                        before[seq != 0] + 1,
                        (
                            f"the events agree with the leaves, but {label} signed "
                            "another root: "
                            "an event in this range was altered and re-sealed"
                        ),
                        position,
                    )
                )
        event, seal = next(events, None), next(seals, None)
        if seal is None:
            root_at_sealed = compact.root()
    if not broken:
        beyond = pending[due:]
        if beyond:
            problems.append(
                Problem(
                    MISSING,
                    position + 1,
                    (
                        f"{beyond[0][3]} covers {beyond[0][1]} events but the bundle"
                        " holds "
                        f"only {position}"
                    ),
                    beyond[0][1],
                )
            )
    problems += version_problems(bundle)
    altered = bundle.altered_files()
    attached = attachment_problems(bundle)
    problems.sort(key=lambda p: p.position)
    # The latest of the bundle's own checkpoints (as counted above), by number: never
    # a kept one passed with --checkpoint, which the bundle may not even hold.
    own = [t for t in trusted if t[0]]
    latest = max(own, key=lambda t: t[0]) if own else None
    return {
        "ok": not problems and not altered and not attached,
        "tree_size": sealed,
        "root": root_at_sealed.hex(),
        "unsealed": unsealed,
        "checkpoints": len([t for t in trusted if t[0]]),
        "latest_checkpoint": None
        if latest is None
        else {"tree_size": latest[1], "root": latest[2].hex(), "label": latest[3]},
        "altered_files": altered,
        "attachments": attached,
        "first_problem": problems[0].to_json() if problems else None,
        "problems": [p.to_json() for p in problems],
    }


# --- proofs --------------------------------------------------------------------------


def _hashes(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]


def verify_inclusion_file(
    proof: dict[str, Any], keys: list[Key], known: str | None
) -> str:
    """Check an inclusion proof; a success message, or NoteError/ValueError."""
    origin, size, root = open_checkpoint(known or proof["checkpoint"]["note"], keys)
    if size != int(proof["tree_size"]):
        raise ValueError(
            f"the proof is for tree size {proof['tree_size']}, "
            f"the checkpoint for {size}"
        )
    position = int(proof["position"])
    leaf = bytes.fromhex(proof["leaf_hash"])
    if "event" in proof:
        event = proof["event"]
        if int(event["position"]) != position or event_leaf(position, event) != leaf:
            raise ValueError(
                f"the event does not hash to the leaf of position {position}"
            )
    if not verify_inclusion(position - 1, size, leaf, _hashes(proof["proof"]), root):
        raise ValueError(
            f"the event at position {position} is NOT in the tree of "
            f"size {size} signed by {origin}"
        )
    return (
        f"verified: the event at position {position} is in the tree of size {size} "
        f"(root {root.hex()}) signed by {origin}"
    )


def verify_consistency_file(proof: dict[str, Any], keys: list[Key]) -> str:
    """Check a consistency proof between two signed checkpoints."""
    origin1, m, root_m = open_checkpoint(proof["first"]["note"], keys)
    origin2, n, root_n = open_checkpoint(proof["second"]["note"], keys)
    if origin1 != origin2:
        raise ValueError("the two checkpoints are of different logs")
    if not verify_consistency(m, n, root_m, root_n, _hashes(proof["proof"])):
        raise ValueError(f"the tree of size {n} does NOT extend the tree of size {m}")
    return f"verified: the tree of size {n} extends the tree of size {m} ({origin1})"


# --- evidence files (one decision, the events it rests on, their proofs) -------------
# Format: docs/integrity.md, "Evidence files". Every check below lists its problems
# instead of stopping at the first, so an auditor sees everything that is wrong.

EVIDENCE_FORMAT, EVIDENCE_VERSION = "sdsi-evidence", 1
EVIDENCE_LEAF_FORMAT = "sdsi-leaf-v1"
# What each event of an evidence file holds, and its JSON type (``state``: as the
# ledger stored it, checked by hashing it).
EVIDENCE_EVENT_FIELDS = {
    "role": str,
    "position": int,
    "originator_id": str,
    "originator_version": int,
    "topic": str,
    "leaf_hash": str,
    "tlog_proof": str,
}
EVIDENCE_FINGERPRINT_PREFIX = b"sdsi-evidence-v1\n"
TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1"
DECISION_TOPIC = "domain.sessions:Session.DecisionRecorded"
SESSION_TOPIC = "domain.sessions:Session."
GRID_TOPIC = "domain.grids:GridVersion."
SHEET_TOPIC = "domain.scores:ScoreSheet."
EVIDENCE_ROLES = {
    "decision": DECISION_TOPIC,
    "session": SESSION_TOPIC,
    "grid": GRID_TOPIC,
    "scores": SHEET_TOPIC,
}


def evidence_fingerprint(leaves: list[tuple[int, bytes]]) -> str:
    """SHA-256 of the prefix and one ``POSITION LEAFHEX`` line per event."""
    digest = hashlib.sha256(EVIDENCE_FINGERPRINT_PREFIX)
    for position, leaf in sorted(leaves):
        digest.update(f"{position} {leaf.hex()}\n".encode())
    return digest.hexdigest()


def parse_tlog_proof(text: str) -> tuple[int, list[bytes], str]:
    """(index, audit path, checkpoint note) of a C2SP ``tlog-proof`` text."""
    head, sep, note = text.partition("\n\n")
    lines = head.split("\n")
    if not sep or lines[0] != TLOG_PROOF_HEADER:
        raise ValueError(f"not a {TLOG_PROOF_HEADER} proof")
    if len(lines) > 1 and lines[1].startswith("extra "):
        del lines[1]
    if len(lines) < 2 or not re.fullmatch(r"index (0|[1-9][0-9]*)", lines[1]):
        raise ValueError("the proof has no valid index line")
    try:
        path = [b64(line) for line in lines[2:]]
    except binascii.Error:
        raise ValueError("a proof hash is not base64") from None
    if any(len(h) != 32 for h in path):
        raise ValueError("a proof hash is not a SHA-256 hash")
    return int(lines[1][len("index ") :]), path, note


def _leaf_and_state(
    position: int, event: dict[str, Any]
) -> tuple[bytes, dict[str, Any]]:
    """An event's leaf hash and its flattened state, decoding the state once (the
    record's ``recorded`` and ``context`` are the flattened state's members)."""
    state = b64(event["state"])
    data = json.loads(state)
    if not isinstance(data, dict) or set(data) == {"_type_", "_data_"}:
        raise ValueError("the state is not a JSON object")
    flat = {k: _flatten(v) for k, v in data.items()}
    record = {
        "position": position,
        "originator_id": str(event["originator_id"]),
        "originator_version": int(event["originator_version"]),
        "topic": str(event["topic"]),
        "recorded": flat.get("timestamp"),
        "context": flat.get("context"),
        "state_sha256": hashlib.sha256(state).hexdigest(),
    }
    return hash_leaf(canonical_json(record)), flat


class _Evidence:
    """One evidence file being checked: its events and the problems found."""

    def __init__(self, doc: dict[str, Any], keys: list[Key]) -> None:
        self.doc, self.keys = doc, keys
        self.problems: list[str] = []
        self.states: dict[int, dict[str, Any]] = {}
        self.size = 0

    def problem(self, text: str) -> None:
        self.problems.append(text)

    # the envelope: checkpoint, leaves, proofs, fingerprint

    def check_format(self) -> None:
        doc = self.doc
        if doc.get("format") != EVIDENCE_FORMAT or not _typed(doc.get("version"), int):
            raise InputError(
                f"not an evidence file ({EVIDENCE_FORMAT} version {EVIDENCE_VERSION})"
            )
        if doc["version"] != EVIDENCE_VERSION:
            raise InputError(
                f"evidence file version {doc['version']}: this verifier reads"
                f" version {EVIDENCE_VERSION}"
            )

    def check_proofs(self) -> None:
        doc = self.doc
        note = doc["checkpoint"]
        root = None
        try:
            origin, self.size, root = open_checkpoint(note, self.keys)
            if origin != doc.get("log"):
                self.problem(
                    f"checkpoint: signed for log {origin!r}, the file says "
                    f"{doc.get('log')!r}"
                )
        except NoteError as exc:
            self.problem(f"checkpoint: {exc}")
        leaves: list[tuple[int, bytes]] = []
        previous = 0
        for event in doc["events"]:
            position = int(event["position"])
            where = f"position {position}"
            if position <= previous:
                self.problem(f"{where}: events are not in increasing positions")
            previous = position
            if event.get("role") not in EVIDENCE_ROLES or not str(
                event["topic"]
            ).startswith(EVIDENCE_ROLES[event["role"]]):
                self.problem(
                    f"{where}: a {event.get('role')!r} event cannot be a "
                    f"{event['topic']}"
                )
            try:
                leaf, self.states[position] = _leaf_and_state(position, event)
            except (ValueError, binascii.Error, KeyError, TypeError) as exc:
                self.problem(f"{where}: altered — its state is unreadable ({exc})")
                continue
            leaves.append((position, leaf))
            if leaf.hex() != event.get("leaf_hash"):
                self.problem(
                    f"{where}: altered — the event does not hash to its leaf hash "
                    "(its state, topic, id or version was changed)"
                )
            try:
                index, path, proof_note = parse_tlog_proof(event["tlog_proof"])
            except ValueError as exc:
                self.problem(f"{where}: malformed proof — {exc}")
                continue
            if index != position - 1:
                self.problem(
                    f"{where}: the proof is for index {index}, not {position - 1}"
                )
            if proof_note != note:
                self.problem(f"{where}: the proof's checkpoint is not the file's")
            if root is not None and not verify_inclusion(
                position - 1, self.size, leaf, path, root
            ):
                self.problem(
                    f"{where}: NOT in the tree of size {self.size} the checkpoint signs"
                )
        if evidence_fingerprint(leaves) != doc.get("fingerprint"):
            self.problem(
                "fingerprint: the file's fingerprint is not the one of its events"
            )

    # the content: does the decision rest on exactly these events?

    def events(self, role: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        return [
            (e, self.states[int(e["position"])])
            for e in self.doc["events"]
            if e.get("role") == role and int(e["position"]) in self.states
        ]

    def check_content(self) -> None:
        decisions = self.events("decision")
        if len(decisions) != 1 or self.doc["events"][-1].get("role") != "decision":
            self.problem("decision: the file holds one decision, its last event")
            return
        event, state = decisions[0]
        decision = state.get("decision") or {}
        summary = self.doc["decision"]
        said = {
            "position": int(event["position"]),
            "proposal": decision.get("proposal"),
            "outcome": decision.get("outcome"),
            "revision": decision.get("revision"),
            "grid_version": decision.get("grid_version"),
            "votes": [
                decision.get("votes_for"),
                decision.get("votes_against"),
                decision.get("abstentions"),
            ],
        }
        for name, value in said.items():  # as JSON: true is not 1
            if json.dumps(summary.get(name)) != json.dumps(value):
                self.problem(
                    f"decision: the summary says {name} {summary.get(name)!r}, "
                    f"the decision event {value!r}"
                )
        self.check_session(event, decision, summary)
        criteria = self.check_grid(decision)
        if criteria is not None:
            self.check_scores(decision, criteria)

    def _history(
        self, rows: list[tuple[dict[str, Any], dict[str, Any]]], what: str, upto: int
    ) -> bool:
        versions = [int(e["originator_version"]) for e, _ in rows]
        if versions != list(range(1, upto + 1)):
            self.problem(
                f"{what}: its history is not complete — versions "
                f"{_ranges(versions)}, expected 1..{upto}"
            )
            return False
        return True

    def check_session(
        self, event: dict[str, Any], decision: dict[str, Any], summary: dict[str, Any]
    ) -> None:
        version = int(event["originator_version"])
        rows = self.events("session")
        if any(e["originator_id"] != event["originator_id"] for e, _ in rows):
            self.problem("session: an event of another session is in the file")
            return
        if not self._history(rows, "session", version - 1):
            return
        convened = rows[0][1]
        if not rows[0][0]["topic"].endswith(".Convened"):
            self.problem("session: its first event is not its convening")
            return
        if convened.get("code") != summary.get("session"):
            self.problem(
                f"decision: the summary says session {summary.get('session')!r}, "
                f"the session is {convened.get('code')!r}"
            )
        voting = set(convened.get("voting") or [])
        present: set[str] = set()
        votes: dict[str, str] = {}
        proposal = decision.get("proposal")
        for e, state in rows:
            kind = e["topic"].rsplit(".", 1)[-1]
            if kind == "Opened":
                present = set(state.get("present") or [])
            elif kind == "AttendanceChanged":
                (present.add if state.get("present") else present.discard)(
                    state.get("member")
                )
            elif kind == "VoteCast" and state.get("proposal") == proposal:
                votes[state.get("member")] = state.get("choice")
            elif kind == "DecisionRecorded" and (
                (state.get("decision") or {}).get("proposal") == proposal
            ):
                self.problem(f"session: {proposal} was already decided before")
        tally = [
            sum(1 for c in votes.values() if c == choice)
            for choice in ("for", "against", "abstain")
        ]
        recorded = summary_votes = [
            decision.get("votes_for"),
            decision.get("votes_against"),
            decision.get("abstentions"),
        ]
        if tally != recorded:
            self.problem(
                f"votes: the session's votes on {proposal} count {tally} "
                f"(for, against, abstain), the decision records {summary_votes}"
            )
        if len(present & voting) != decision.get("present_voting"):
            self.problem(
                f"attendance: {len(present & voting)} voting members present by the "
                f"session's events, the decision records {decision.get('present_voting')}"
            )

    def check_grid(self, decision: dict[str, Any]) -> dict[str, dict[str, Any]] | None:
        number = decision.get("grid_version")
        rows = self.events("grid")
        if number is None:
            if rows:
                self.problem(
                    "grid: the decision names no grid version, the file has one"
                )
            return None
        if not rows or any(
            e["originator_id"] != rows[0][0]["originator_id"] for e, _ in rows
        ):
            self.problem(
                f"grid: the events of grid version {number} are missing or mixed"
            )
            return None
        if not self._history(rows, "grid", len(rows)):
            return None
        first = rows[0]
        if (
            not first[0]["topic"].endswith(".Drafted")
            or first[1].get("number") != number
        ):
            self.problem(
                f"grid: the file's grid is not version {number} "
                f"(it drafts version {first[1].get('number')!r})"
            )
            return None
        criteria: dict[str, dict[str, Any]] = {}
        adopted = False
        for e, state in rows:
            kind = e["topic"].rsplit(".", 1)[-1]
            if adopted:
                self.problem("grid: an event after its adoption")
            if kind == "Drafted":
                criteria = {c["code"]: c for c in state.get("criteria") or []}
            elif kind in ("CriterionSet", "PropositionAccepted"):
                # a criterion set by the chair, or a proposition taken into the draft
                criteria[state["criterion"]["code"]] = state["criterion"]
            elif kind == "CriterionRemoved":
                criteria.pop(state.get("criterion_code"), None)
            elif kind in ("Adopted", "AdoptedByCommittee"):
                adopted = True
        if not adopted:
            self.problem(f"grid: version {number} is not adopted in the file")
        return criteria

    def check_scores(
        self, decision: dict[str, Any], criteria: dict[str, dict[str, Any]]
    ) -> None:
        evidence = decision.get("evidence")
        if evidence is None:
            return  # recorded before decisions kept their evidence
        proposal, revision = decision.get("proposal"), decision.get("revision")
        number = decision.get("grid_version")
        sheets: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
        for e, state in self.events("scores"):
            sheets.setdefault(e["originator_id"], []).append((e, state))
        levels: dict[str, list[int]] = {}
        evaluators = set()
        for rows in sheets.values():
            if not self._history(rows, "score sheet", len(rows)):
                continue
            opened = rows[0][1]
            if (
                not rows[0][0]["topic"].endswith(".Opened")
                or opened.get("proposal") != proposal
            ):
                self.problem(f"scores: a score sheet not on {proposal}")
                continue
            evaluator = opened.get("evaluator")
            if evaluator in evaluators:
                self.problem(f"scores: two sheets of {evaluator}")
            current: dict[str, int] = {}
            for e, state in rows[1:]:
                if (
                    e["topic"].endswith(".Scored")
                    and state.get("revision") == revision
                    and state.get("grid_version") == number
                ):
                    score = state.get("score")
                    if not (
                        isinstance(score, dict) and {"criterion", "level"} <= set(score)
                    ):  # an altered state: its hash is reported, not a traceback
                        self.problem(f"scores: a score of {evaluator} is unreadable")
                        continue
                    current[score["criterion"]] = score["level"]
            if current:
                evaluators.add(evaluator)
            for criterion, level in current.items():
                levels.setdefault(criterion, []).append(level)
        recomputed = _consolidate(criteria, levels)
        recorded = {
            c["criterion"]: [
                c["family"],
                c["evaluators"],
                c["total"],
                c["mean"],
                c["lowest"],
                c["highest"],
            ]
            for c in evidence.get("criteria") or []
        }
        if evidence.get("evaluators") != len(evaluators):
            self.problem(
                f"scores: {len(evaluators)} evaluators scored revision {revision} on "
                f"grid v{number} in the file, the decision records "
                f"{evidence.get('evaluators')}"
            )
        for code in sorted(set(recomputed) | set(recorded)):
            if recomputed.get(code) != recorded.get(code):
                self.problem(
                    f"scores: criterion {code} consolidates to {recomputed.get(code)} "
                    f"from the file's scores, the decision records {recorded.get(code)}"
                )
        for family in ("value", "risk"):
            mine = _family_score(criteria, levels, family)
            if mine != evidence.get(family):
                self.problem(
                    f"scores: the {family} is {mine} from the file's scores, the "
                    f"decision records {evidence.get(family)}"
                )


def _mean(levels: list[int]) -> str:
    exact = Decimal(sum(levels)) / Decimal(len(levels))
    return str(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN))


def _consolidate(
    criteria: dict[str, dict[str, Any]], levels: dict[str, list[int]]
) -> dict[str, list[Any]]:
    out = {}
    for code, crit in criteria.items():
        given = levels.get(code, [])
        out[code] = [
            crit.get("family"),
            len(given),
            sum(given),
            _mean(given) if given else None,
            min(given) if given else None,
            max(given) if given else None,
        ]
    for code in set(levels) - set(criteria):
        out[code] = ["(not in the grid)", len(levels[code])]
    return out


def _family_score(
    criteria: dict[str, dict[str, Any]], levels: dict[str, list[int]], family: str
) -> str | None:
    """100 × Σ weight × (mean − lowest level) / span / Σ weight, exact, rounded once
    to the hundredth half to even; None unless every criterion of the family is scored."""
    total_weight, total = Fraction(0), Fraction(0)
    for code, crit in criteria.items():
        if crit.get("family") != family:
            continue
        given = levels.get(code)
        if not given:
            return None
        low, high = crit["scale"][0]["level"], crit["scale"][-1]["level"]
        weight = Fraction(Decimal(str(crit["weight"])))
        total_weight += weight
        total += weight * (Fraction(sum(given), len(given)) - low) / (high - low)
    if not total_weight:
        return None
    exact = 100 * total / total_weight
    value = Decimal(exact.numerator) / Decimal(exact.denominator)
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN))


def _ranges(versions: list[int]) -> str:
    return ", ".join(map(str, versions[:20])) + (" …" if len(versions) > 20 else "")


def _typed(value: Any, kind: type) -> bool:
    """``value`` is of JSON type ``kind`` (a boolean is not a number here)."""
    return isinstance(value, kind) and not (kind is int and isinstance(value, bool))


def evidence_shape(doc: dict[str, Any]) -> list[str]:
    """What is missing or of the wrong type in an evidence file's envelope, naming
    the field (a file changed there is refused before any hash is computed)."""
    wrong = []
    if doc.get("leaf_format") != EVIDENCE_LEAF_FORMAT:
        wrong.append(
            f"leaf_format: {doc.get('leaf_format')!r}, not {EVIDENCE_LEAF_FORMAT!r}"
        )
    for name, kind in (("log", str), ("checkpoint", str), ("fingerprint", str)):
        if not _typed(doc.get(name), kind):
            wrong.append(f"{name}: missing or not {kind.__name__}")
    if not isinstance(doc.get("decision"), dict):
        wrong.append("decision: missing or not an object")
    events = doc.get("events")
    if not isinstance(events, list) or not events:
        return [*wrong, "events: missing or not a list of events"]
    for i, event in enumerate(events):
        if not isinstance(event, dict):
            wrong.append(f"events[{i}]: not an object")
            continue
        for name, kind in EVIDENCE_EVENT_FIELDS.items():
            if not _typed(event.get(name), kind):
                wrong.append(f"events[{i}].{name}: missing or not {kind.__name__}")
        if _typed(event.get("position"), int) and not 1 <= event["position"] < 2**63:
            wrong.append(f"events[{i}].position: {event['position']} is no position")
    return wrong


def verify_evidence(doc: dict[str, Any], keys: list[Key]) -> dict[str, Any]:
    """Check an evidence file; its report (``ok``, ``problems``, the decision)."""
    check = _Evidence(doc, keys)
    check.check_format()
    shape = evidence_shape(doc)
    if shape:
        return {
            "ok": False,
            "problems": [f"altered — {line}" for line in shape],
            "decision": doc.get("decision"),
            "events": len(doc["events"]) if isinstance(doc.get("events"), list) else 0,
            "tree_size": 0,
            "fingerprint": doc.get("fingerprint"),
        }
    check.check_proofs()
    try:
        check.check_content()
    except (ArithmeticError, LookupError, TypeError, ValueError, AttributeError) as exc:
        # only an altered state gets here (one the ledger did not write, already
        # reported as not hashing to its leaf): its content cannot be read
        check.problem(f"content: unreadable ({type(exc).__name__}: {exc})")
    return {
        "ok": not check.problems,
        "problems": check.problems,
        "decision": doc["decision"],
        "events": len(doc["events"]),
        "tree_size": check.size,
        "fingerprint": doc.get("fingerprint"),
    }


def evidence_main(
    path: Path,
    keys: list[Key],
    as_json: bool,
    witnesses: list[Witness] | None = None,
    quorum: int = 0,
) -> int:
    """``verifier.py evidence FILE --key KEY [--witness W… --quorum K]``: print the
    report; the exit status."""
    if not keys:
        raise InputError("--key is required to verify an evidence file")
    try:
        doc = json.loads(path.read_bytes())
    except ValueError as exc:
        raise InputError(f"{path}: not JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise InputError(f"{path}: not an evidence file")
    report = verify_evidence(doc, keys)
    if witnesses:
        met, said = witness_check(str(doc.get("checkpoint", "")), [], witnesses, quorum)
        report["witnesses"] = {"ok": met, "detail": said}
        if not met:
            report["ok"] = False
            report["problems"].append(f"witness quorum not met: {said}")
    if as_json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    elif report["ok"]:
        d = report["decision"]
        print(
            f"evidence verified: decision at position {d['position']} "
            f"({d['session']}, {d['proposal']}: {d['outcome']}) and the "
            f"{report['events'] - 1} events it rests on, in the tree of size "
            f"{report['tree_size']} signed by {doc['log']}; fingerprint "
            f"{report['fingerprint'][:16]}"
        )
    else:
        count = len(report["problems"])
        print(
            f"EVIDENCE VERIFICATION FAILED: {count} problem{'s' if count > 1 else ''}"
        )
        for line in report["problems"]:
            print(f"  {line}")
    return EXIT_OK if report["ok"] else EXIT_FAILED


# --- witnesses (C2SP tlog-cosignature, Ed25519 v1) ----------------------------------


class Witness:
    """A trusted witness: name and Ed25519 key (cosignature key ID type 0x04)."""

    def __init__(self, name: str, public_key: Ed25519PublicKey) -> None:
        self.name, self.public_key = name, public_key
        raw = public_key.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.key_id = hashlib.sha256(name.encode() + b"\n\x04" + raw).digest()[:4]

    def cosigned(self, text: str, line: str) -> bool:
        """Whether ``line`` is this witness's valid cosignature of ``text``."""
        match = re.fullmatch(r"— (\S+) (\S+)", line.rstrip("\n"))
        if not match or match.group(1) != self.name:
            return False
        try:
            blob = b64(match.group(2))
        except binascii.Error:
            return False
        if len(blob) != 76 or blob[:4] != self.key_id:
            return False
        timestamp = int.from_bytes(blob[4:12], "big")
        message = f"cosignature/v1\ntime {timestamp}\n{text}".encode()
        try:
            self.public_key.verify(blob[12:], message)
        except InvalidSignature:
            return False
        return timestamp < 2**63


def load_witness(spec: str) -> Witness:
    """A witness vkey ``name+keyid+base64(0x04||key)``, as a string or a file."""
    path = Path(spec)
    text = path.read_text(encoding="utf-8") if path.is_file() else spec
    parts = text.strip().split("+", 2)
    try:
        if len(parts) != 3:
            raise ValueError
        blob = base64.b64decode(parts[2], validate=True)
        if blob[:1] != b"\x04" or len(blob) != 33:
            raise ValueError
        witness = Witness(parts[0], Ed25519PublicKey.from_public_bytes(blob[1:]))
        key_id = bytes.fromhex(parts[1])
    except (ValueError, binascii.Error):
        raise InputError(f"{spec}: not a witness vkey (name+keyid+base64)") from None
    if witness.key_id != key_id:
        raise InputError(f"{spec}: the witness vkey's key ID does not match its key")
    return witness


def witness_check(
    note: str, lines: list[str], witnesses: list[Witness], quorum: int
) -> tuple[bool, str]:
    """Whether ``quorum`` trusted witnesses cosigned the checkpoint of ``note``
    (among its own signature lines and ``lines``); and a sentence saying so."""
    cut = note.rindex("\n\n")
    text = note[: cut + 1]
    candidates = note[cut + 2 :].split("\n") + lines
    valid = [w.name for w in witnesses if any(w.cosigned(text, c) for c in candidates)]
    size = text.split("\n")[1] if text.count("\n") >= 2 else "?"
    return len(valid) >= quorum, (
        f"the checkpoint of tree size {size} has {len(valid)} valid witness"
        f" cosignature(s) of the {quorum} required"
        f" (by {', '.join(valid) or 'none'})"
    )


def bundle_witness_check(
    bundle: Bundle, witnesses: list[Witness], quorum: int
) -> tuple[bool, str]:
    """The policy on the bundle's latest checkpoint, with ``cosignatures.jsonl``."""
    latest = None
    for line in bundle.lines("checkpoints.jsonl"):
        if latest is None or int(line["seq"]) > int(latest["seq"]):
            latest = line
    if latest is None:
        return False, "the bundle has no checkpoint: nothing is cosigned"
    lines = []
    if bundle.COSIGNATURES in bundle.manifest.get("files", {}):
        lines = [
            str(c["line"])
            for c in bundle.lines(bundle.COSIGNATURES)
            if int(c["seq"]) == int(latest["seq"])
        ]
    return witness_check(str(latest["note"]), lines, witnesses, quorum)


def _witness_policy(args: argparse.Namespace) -> tuple[list[Witness], int]:
    unique = {}
    for spec in args.witness:  # the same witness twice counts once
        witness = load_witness(spec)
        unique[(witness.name, witness.key_id)] = witness
    witnesses = list(unique.values())
    if args.quorum is not None and not witnesses:
        raise InputError("--quorum needs the witnesses' keys (--witness)")
    if not witnesses:
        return [], 0
    quorum = len(witnesses) if args.quorum is None else args.quorum
    if not 1 <= quorum <= max(1, len(witnesses)):
        raise InputError(f"--quorum {quorum}: between 1 and {len(witnesses)}")
    return witnesses, quorum


def _proof_witness_check(
    mode: str,
    proof: dict[str, Any],
    witnesses: list[Witness],
    quorum: int,
    known: str | None = None,
) -> tuple[bool, str]:
    """The policy on the checkpoint the proof was checked against (``known``, the
    ``--checkpoint`` note with its cosignature lines, when given)."""
    checkpoint = proof["checkpoint"] if mode == "inclusion" else proof["second"]
    if known is not None:
        return witness_check(known, [], witnesses, quorum)
    lines = [str(line) for line in checkpoint.get("cosignatures", [])]
    return witness_check(str(checkpoint["note"]), lines, witnesses, quorum)


# --- command line --------------------------------------------------------------------


def _where(problem: dict[str, Any], first: bool = False) -> str:
    if problem["kind"] == OUTSIDE:
        return f"row id {problem['notification_id']}"
    if first or problem["last"] in (None, problem["position"]):
        return f"position {problem['position']}"
    return f"positions {problem['position']}..{problem['last']}"


def _print_report(report: dict[str, Any], pinned: bool, fingerprint: str) -> None:
    if not pinned:
        print(
            f"warning: key not pinned (--key); trusting the bundle's own key "
            f"{fingerprint}: compare it with the one the ledger publishes"
        )
    for name in report["altered_files"]:
        print(f"bundle file altered: {name} differs from its SHA-256 in the manifest")
    for line in report["attachments"] or []:
        print(line)
    if report["problems"]:
        first = report["first_problem"]
        print(
            f"BUNDLE VERIFICATION FAILED: first bad {_where(first, True)} "
            f"({first['kind']})"
        )
        for p in report["problems"]:
            where = _where(p)
            print(f"  {where}: {p['kind']} — {p['detail']}")
        return
    if report["altered_files"]:
        print("BUNDLE VERIFICATION FAILED: files differ from the manifest")
        return
    if report["attachments"]:
        print("BUNDLE VERIFICATION FAILED: attachment files differ from the ledger")
        return
    latest = report["latest_checkpoint"]
    print(f"bundle verified: tree size {report['tree_size']}, root {report['root']}")
    print(
        f"{report['checkpoints']} signed checkpoints"
        + (f", the latest {latest['label']}" if latest else "")
    )
    if report["unsealed"]:
        print(f"{report['unsealed']} events after the last seal are not covered")
    if report["attachments"] is not None:
        print("attachment files included: each matches the SHA-256 the ledger records")


def main(argv: list[str] | None = None) -> int:
    """Run the verifier; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    mode = (
        argv.pop(0)
        if argv and argv[0] in ("bundle", "inclusion", "consistency", "evidence")
        else "bundle"
    )
    parser = argparse.ArgumentParser(
        prog=f"verifier.py {mode}",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("path", type=Path, help="the bundle, or the proof (JSON)")
    parser.add_argument("--key", action="append", default=[], help="pinned public key")
    parser.add_argument(
        "--checkpoint",
        action="append",
        default=[],
        type=Path,
        help="a signed checkpoint file obtained earlier",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--witness", action="append", default=[], help="trusted witness vkey"
    )
    parser.add_argument(
        "--quorum", type=int, default=None, help="cosignatures required"
    )
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_USAGE if exc.code else EXIT_OK
    try:
        keys = [key for spec in args.key for key in load_keys(spec)]
        known = [p.read_text(encoding="utf-8") for p in args.checkpoint]
        witnesses, quorum = _witness_policy(args)
        if mode == "bundle":
            bundle = Bundle(args.path)
            fingerprint = ""
            if not keys:
                keys = pem_keys(bundle.read("public_key.pem"), "public_key.pem")
                fingerprint = ", ".join(k.fingerprint() for k in keys)
            report = verify_bundle(bundle, keys, known)
            if witnesses:
                met, said = bundle_witness_check(bundle, witnesses, quorum)
                report["witnesses"] = {"ok": met, "detail": said}
                report["ok"] = report["ok"] and met
            if args.json:
                print(json.dumps(report, indent=2, ensure_ascii=False))
            else:
                _print_report(report, bool(args.key), fingerprint)
                if witnesses:
                    verdict = "witnesses" if met else "WITNESS QUORUM NOT MET"
                    print(f"{verdict}: {said}")
            return EXIT_OK if report["ok"] else EXIT_FAILED
        if mode == "evidence":
            return evidence_main(args.path, keys, args.json, witnesses, quorum)
        if not keys:
            raise InputError("--key is required to verify a proof")
        proof = json.loads(args.path.read_text(encoding="utf-8"))
        try:
            if mode == "inclusion":
                print(verify_inclusion_file(proof, keys, known[0] if known else None))
            else:
                print(verify_consistency_file(proof, keys))
        except (NoteError, ValueError) as exc:
            print(f"PROOF VERIFICATION FAILED: {exc}")
            return EXIT_FAILED
        if witnesses:
            kept = known[0] if known and mode == "inclusion" else None
            met, said = _proof_witness_check(mode, proof, witnesses, quorum, kept)
            print(f"{'witnesses' if met else 'WITNESS QUORUM NOT MET'}: {said}")
            return EXIT_OK if met else EXIT_FAILED
        return EXIT_OK
    except (
        InputError,
        OSError,
        KeyError,
        TypeError,
        ValueError,
        zipfile.BadZipFile,
    ) as exc:
        print(f"verifier.py: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
