"""Portable bundles: the whole ledger in a directory (or a ``.zip``) of JSON Lines.

Files (formats in docs/integrity.md): ``events.jsonl`` (position, identity, topic and
base64 state of every event), ``leaves.jsonl`` (the seal rows), ``checkpoints.jsonl``
(the signed notes verbatim, with their consistency proofs), ``outside.jsonl`` (event
rows outside the log, if the database holds any), ``public_key.pem`` and
``manifest.json`` (counts and the SHA-256 of each file). ``verifier.py`` checks a
bundle without this package; ``ledger.bundle_import`` loads one into an empty database
after verifying it, reproducing identical events, seals and checkpoints.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.attachment_check import ATTACHMENT_TOPICS, recorded_sha256
from ledger.checks import (
    EventItem,
    Report,
    check_checkpoints,
    check_known,
    check_log,
    outside_problems,
)
from ledger.leaf import LEAF_FORMAT, LeafError, canonical_id, leaf_hash_of
from ledger.log import read_log
from ledger.logrows import listed, row_problems
from ledger.merkle import CompactRange
from ledger.notes import NoteVerifier, public_pem, trusted_verifiers
from ledger.sealstore import (
    CheckpointRow,
    Identity,
    LogRow,
    OutsideRow,
    SealRow,
    SealStore,
)

BUNDLE_FORMAT = "sdsi-ledger-bundle"
BUNDLE_VERSION = 1
EVENTS, LEAVES, CHECKPOINTS, PUBLIC_KEY, MANIFEST = (
    "events.jsonl",
    "leaves.jsonl",
    "checkpoints.jsonl",
    "public_key.pem",
    "manifest.json",
)
DATA_FILES = (EVENTS, LEAVES, CHECKPOINTS, PUBLIC_KEY)
# Rows of the event table outside the log (ids <= 0): not part of the signed log, but
# an honest export lists them so that every verifier reports them. Optional (bundles
# written before it have none); hashed in the manifest like the others.
OUTSIDE = "outside.jsonl"
# Attachment files, when exported with them: named by their SHA-256 (optional; the
# events record the SHA-256 each must have, so the manifest only counts them).
ATTACHMENTS_DIR = "attachments/sha256/"
_SHA256_NAME = re.compile(r"[0-9a-f]{64}")
# The witnesses' cosignatures of the checkpoints (issue 19): one line per
# cosignature (witness name, checkpoint number and size, the signature line).
# Optional (older bundles have none); hashed in the manifest like the others.
COSIGNATURES = "cosignatures.jsonl"
_PEM_BLOCK = re.compile(
    rb"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----\s*", re.S
)
Progress = Callable[[int], None]


class BundleError(ValueError):
    """A bundle that cannot be written, read or imported; the message says why."""


class BundleInvalid(BundleError):
    """A bundle whose contents do not verify (refused by the import)."""


def _line(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


class _Counted:
    """A binary sink that hashes and counts what is written through it."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw, self.sha256, self.bytes, self.lines = raw, hashlib.sha256(), 0, 0

    def write(self, data: bytes) -> None:
        self.raw.write(data)
        self.sha256.update(data)
        self.bytes += len(data)
        self.lines += data.count(b"\n")

    def summary(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256.hexdigest(),
            "bytes": self.bytes,
            "lines": self.lines,
        }


# --- export --------------------------------------------------------------------------


def _write_cosignatures(
    ledger: Any, open_member: Callable[[str], IO[bytes]]
) -> dict[str, Any]:
    """``cosignatures.jsonl``: every stored witness cosignature."""
    from ledger.witness_store import WitnessStore

    with open_member(COSIGNATURES) as raw:
        out = _Counted(raw)
        for c in WitnessStore(ledger.storage).iter_all():
            out.write(
                _line(
                    {
                        "witness": c.witness,
                        "seq": c.seq,
                        "tree_size": c.tree_size,
                        "line": c.line,
                        "timestamp": c.timestamp,
                        "received_at": c.received_at,
                    }
                )
            )
        return out.summary()


def export_bundle(
    ledger: Any,
    destination: Path,
    progress: Progress | None = None,
    *,
    attachments: bool = False,
) -> dict[str, Any]:
    """Write the ledger to ``destination`` (a new directory, or a ``.zip`` file);
    with ``attachments``, every recorded attachment file too, under
    ``attachments/sha256/<SHA-256>`` (refused if one is missing or altered)."""
    destination = Path(destination)
    if destination.exists():
        raise BundleError(f"{destination} already exists: choose a new path")
    partial = destination.with_name(destination.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial) if partial.is_dir() else partial.unlink()
    zipped = destination.suffix.lower() == ".zip"
    archive = zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) if zipped else None
    if archive is None:
        partial.mkdir(parents=True)

    def open_member(name: str) -> IO[bytes]:
        if archive is not None:
            return archive.open(name, "w", force_zip64=True)
        (partial / name).parent.mkdir(parents=True, exist_ok=True)
        return (partial / name).open("wb")

    recorded: dict[str, None] = {}

    store = SealStore(ledger.storage)
    files: dict[str, dict[str, Any]] = {}
    try:
        with open_member(EVENTS) as raw:
            out = _Counted(raw)
            for batch in read_log(ledger.recorder, page=2000):
                for entry in batch:
                    n = entry.notification
                    if attachments and n.topic in ATTACHMENT_TOPICS:
                        recorded[recorded_sha256(n.state)] = None
                    out.write(
                        _line(
                            {
                                "position": entry.position,
                                "originator_id": canonical_id(n.originator_id),
                                "originator_version": n.originator_version,
                                "topic": n.topic,
                                "state": base64.b64encode(n.state).decode(),
                            }
                        )
                    )
                if progress:
                    progress(len(batch))
            files[EVENTS] = out.summary()
        with open_member(LEAVES) as raw:
            out = _Counted(raw)
            for seal in store.iter_seals(page=5000):
                out.write(
                    _line(
                        {
                            "position": seal.position,
                            "originator_id": seal.originator_id,
                            "originator_version": seal.originator_version,
                            "leaf": seal.leaf.hex(),
                        }
                    )
                )
            files[LEAVES] = out.summary()
        with open_member(OUTSIDE) as raw:
            out = _Counted(raw)
            for row in store.iter_outside_log():
                out.write(
                    _line(
                        {
                            "notification_id": row.notification_id,
                            "originator_id": row.originator_id,
                            "originator_version": row.originator_version,
                            "topic": row.topic,
                            "state": base64.b64encode(row.state).decode(),
                        }
                    )
                )
            files[OUTSIDE] = out.summary()
        checkpoints = store.checkpoints()
        with open_member(CHECKPOINTS) as raw:
            out = _Counted(raw)
            for row in checkpoints:
                out.write(
                    _line(
                        {
                            "seq": row.seq,
                            "tree_size": row.tree_size,
                            "root": row.root.hex(),
                            "issued_at": row.issued_at,
                            "reason": row.reason,
                            "note": row.note,
                            "consistency_proof": [
                                h.hex() for h in row.consistency_proof
                            ],
                        }
                    )
                )
            files[CHECKPOINTS] = out.summary()
        files[COSIGNATURES] = _write_cosignatures(ledger, open_member)
        verifiers = trusted_verifiers(ledger.settings)
        verifier = verifiers[0]
        with open_member(PUBLIC_KEY) as raw:
            out = _Counted(raw)
            for key in verifiers:  # the signing key, then keys trusted on import
                out.write(public_pem(key.public_key))
            files[PUBLIC_KEY] = out.summary()
        latest = checkpoints[-1] if checkpoints else None
        included = (
            _copy_attachments(ledger, list(recorded), open_member)
            if attachments
            else None
        )
        manifest = {
            "format": BUNDLE_FORMAT,
            "version": BUNDLE_VERSION,
            "leaf_format": LEAF_FORMAT,
            "origin": ledger.settings.ledger_origin,
            "key": verifier.vkey(),
            "key_fingerprint": verifier.fingerprint(),
            "keys": [v.vkey() for v in verifiers],
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "events": files[EVENTS]["lines"],
            "outside_log": files[OUTSIDE]["lines"],
            "sealed": files[LEAVES]["lines"],
            "checkpoints": len(checkpoints),
            "latest_checkpoint": None
            if latest is None
            else {
                "seq": latest.seq,
                "tree_size": latest.tree_size,
                "root": latest.root.hex(),
            },
            "files": files,
        }
        if included is not None:
            manifest["attachments"] = included
        with open_member(MANIFEST) as raw:
            raw.write(
                json.dumps(manifest, indent=2, ensure_ascii=False).encode() + b"\n"
            )
    except BaseException:
        if archive is not None:
            archive.close()
            partial.unlink(missing_ok=True)
        else:
            shutil.rmtree(partial, ignore_errors=True)
        raise
    if archive is not None:
        archive.close()
    partial.rename(destination)
    return manifest


def _copy_attachments(
    ledger: Any, recorded: list[str], open_member: Callable[[str], IO[bytes]]
) -> dict[str, Any]:
    """Copy each recorded attachment file into the bundle, checking its SHA-256 as
    it is read; a file missing or altered in the store stops the export."""
    store = ledger.attachment_store
    total = 0
    for sha256 in recorded:
        try:
            source = store.open(sha256)
        except FileNotFoundError:
            raise BundleInvalid(
                f"attachment {sha256} is missing from the store: run "
                "`sdsi verify --attachments`"
            ) from None
        with source, open_member(ATTACHMENTS_DIR + sha256) as raw:
            out = _Counted(raw)
            for chunk in iter(lambda s=source: s.read(1 << 20), b""):
                out.write(chunk)
        if out.sha256.hexdigest() != sha256:
            raise BundleInvalid(
                f"attachment {sha256} was altered in the store: run "
                "`sdsi verify --attachments`"
            )
        total += out.bytes
    return {"included": True, "files": len(recorded), "bytes": total}


# --- reading -------------------------------------------------------------------------


class Bundle:
    """Read access to a bundle directory or ``.zip`` file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._zip: zipfile.ZipFile | None = None
        if self.path.is_file():
            try:
                self._zip = zipfile.ZipFile(self.path)
            except zipfile.BadZipFile:
                raise BundleError(
                    f"{self.path} is neither a directory nor a zip"
                ) from None
        elif not self.path.is_dir():
            raise BundleError(f"no bundle at {self.path}")
        try:
            self.manifest = json.loads(self.read(MANIFEST))
        except ValueError as exc:
            raise BundleError(f"{MANIFEST} is not JSON: {exc}") from None
        if self.manifest.get("format") != BUNDLE_FORMAT:
            raise BundleError(f"{self.path} is not an SDSI ledger bundle")
        if self.manifest.get("version") != BUNDLE_VERSION:
            raise BundleError(
                f"unsupported bundle version {self.manifest.get('version')!r}"
            )

    def open(self, name: str) -> IO[bytes]:
        try:
            if self._zip is not None:
                return self._zip.open(name)
            return (self.path / name).open("rb")
        except (KeyError, FileNotFoundError):
            raise BundleError(f"the bundle has no {name}") from None

    def read(self, name: str) -> bytes:
        with self.open(name) as fh:
            return fh.read()

    def lines(self, name: str) -> Iterator[dict[str, Any]]:
        with self.open(name) as fh:
            for number, raw in enumerate(fh, start=1):
                try:
                    yield json.loads(raw)
                except ValueError:
                    raise BundleError(f"{name} line {number} is not JSON") from None

    def file_errors(self) -> list[str]:
        """Files that differ from the SHA-256 the manifest gives."""
        errors = []
        for name in self.data_files():
            expected = self.manifest.get("files", {}).get(name, {}).get("sha256")
            digest = hashlib.sha256()
            with self.open(name) as fh:
                for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                    digest.update(chunk)
            if digest.hexdigest() != expected:
                errors.append(f"{name} does not match the SHA-256 in the manifest")
        return errors

    def attachment_files(self) -> list[str]:
        """The SHA-256 of each attachment file the bundle holds (exported with
        ``--with-attachments``), sorted."""
        if self._zip is not None:
            names = [
                n[len(ATTACHMENTS_DIR) :]
                for n in self._zip.namelist()
                if n.startswith(ATTACHMENTS_DIR)
            ]
        else:
            folder = self.path / ATTACHMENTS_DIR
            names = [p.name for p in folder.iterdir()] if folder.is_dir() else []
        return sorted(n for n in names if _SHA256_NAME.fullmatch(n))

    def data_files(self) -> tuple[str, ...]:
        """The members the manifest hashes (``outside.jsonl`` only when listed)."""
        listed = self.manifest.get("files", {})
        optional = tuple(name for name in (OUTSIDE, COSIGNATURES) if name in listed)
        return DATA_FILES + optional

    def outside(self) -> Iterator[OutsideRow]:
        """The rows outside the log the bundle lists (none in older bundles)."""
        if OUTSIDE not in self.data_files():
            return
        for number, o in enumerate(self.lines(OUTSIDE), start=1):
            try:
                nid = o["notification_id"]
                yield OutsideRow(
                    None if nid is None else int(nid),
                    canonical_id(o["originator_id"]),
                    int(o["originator_version"]),
                    str(o["topic"]),
                    base64.b64decode(o["state"], validate=True),
                )
            except (KeyError, TypeError, ValueError, LeafError) as exc:
                raise BundleError(
                    f"{OUTSIDE} line {number} is malformed: {exc}"
                ) from None

    def public_keys(self) -> list[Ed25519PublicKey]:
        """The keys in ``public_key.pem``: the signing key first, then earlier ones."""
        keys = []
        for block in _PEM_BLOCK.findall(self.read(PUBLIC_KEY)):
            try:
                key = serialization.load_pem_public_key(block)
            except ValueError as exc:
                raise BundleError(
                    f"{PUBLIC_KEY} is not a PEM public key: {exc}"
                ) from None
            if not isinstance(key, Ed25519PublicKey):
                raise BundleError(f"{PUBLIC_KEY} holds a key that is not Ed25519")
            keys.append(key)
        if not keys:
            raise BundleError(f"{PUBLIC_KEY} holds no public key")
        return keys

    def checkpoints(self) -> list[CheckpointRow]:
        try:
            return [
                CheckpointRow(
                    seq=int(c["seq"]),
                    tree_size=int(c["tree_size"]),
                    root=bytes.fromhex(c["root"]),
                    issued_at=str(c["issued_at"]),
                    reason=str(c["reason"]),
                    note=str(c["note"]),
                    frontier=b"",
                    consistency_proof=tuple(
                        bytes.fromhex(h) for h in c["consistency_proof"]
                    ),
                )
                for c in self.lines(CHECKPOINTS)
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise BundleError(f"{CHECKPOINTS} is malformed: {exc}") from None

    def events(self) -> Iterator[EventItem]:
        for position, e in enumerate(self.lines(EVENTS), start=1):
            try:
                if e["position"] != position:
                    raise BundleError(
                        f"{EVENTS} line {position} holds position {e['position']}"
                    )
                identity = (
                    canonical_id(e["originator_id"]),
                    int(e["originator_version"]),
                )
                state = base64.b64decode(e["state"], validate=True)
            except (KeyError, TypeError, ValueError, LeafError) as exc:
                raise BundleError(
                    f"{EVENTS} line {position} is malformed: {exc}"
                ) from None
            try:
                leaf = leaf_hash_of(
                    position, identity[0], identity[1], e["topic"], state
                )
            except LeafError as exc:
                yield EventItem(position, identity, None, str(exc))
                continue
            yield EventItem(position, identity, leaf)

    def log_rows(self) -> Iterator[LogRow]:
        """Position, aggregate id and version of every event (``ledger.logrows``);
        malformed lines are left to :meth:`events`, which names them."""
        for position, e in enumerate(self.lines(EVENTS), start=1):
            if isinstance(e, dict):
                yield LogRow(
                    position, e.get("originator_id"), e.get("originator_version")
                )

    def seals(self) -> Iterator[SealRow]:
        for number, s in enumerate(self.lines(LEAVES), start=1):
            try:
                yield SealRow(
                    int(s["position"]),
                    0,
                    canonical_id(s["originator_id"]),
                    int(s["originator_version"]),
                    bytes.fromhex(s["leaf"]),
                )
            except (KeyError, TypeError, ValueError, LeafError) as exc:
                raise BundleError(
                    f"{LEAVES} line {number} is malformed: {exc}"
                ) from None

    # Lookups for diagnosis (a scan: only run once something is wrong).
    def sealed_position(self, identity: Identity) -> int | None:
        return next((s.position for s in self.seals() if s.identity == identity), None)

    def event_present(self, identity: Identity) -> bool:
        return any(
            (canonical_id(e["originator_id"]), int(e["originator_version"])) == identity
            for e in self.lines(EVENTS)
        )

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


@dataclass
class BundleReport(Report):
    """A verification report, with the files that differ from the manifest."""

    file_errors: list[str] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and not self.file_errors

    def lines(self) -> list[str]:
        altered = [f"bundle file altered: {e}" for e in self.file_errors or []]
        if altered and not self.problems:
            return ["BUNDLE ALTERED: its files differ from its manifest", *altered]
        return altered + super().lines()

    def to_json(self) -> dict[str, Any]:
        return {
            **super().to_json(),
            "ok": self.ok,
            "file_errors": self.file_errors or [],
        }


def verify_bundle(
    bundle: Bundle,
    verifiers: list[NoteVerifier],
    known: list[tuple[str, str]] | None = None,
    progress: Progress | None = None,
) -> BundleReport:
    """Verify a bundle's files, checkpoints, events and seals (as ``sdsi verify``)."""
    started = time.perf_counter()
    origin = str(bundle.manifest.get("origin", ""))
    report = BundleReport(file_errors=bundle.file_errors())
    trusted, problems = check_checkpoints(bundle.checkpoints(), verifiers, origin)
    external, more = check_known(known or [], verifiers, origin)
    report.checkpoints = len(trusted)
    report.latest = max(trusted, key=lambda t: t.seq or 0) if trusted else None
    check_log(
        bundle.events(),
        bundle.seals(),
        [*trusted, *external],
        CompactRange(),
        bundle,
        report,
        progress,
    )
    outside = list(bundle.outside())
    report.problems = (
        outside_problems(outside, len(outside))
        + problems
        + more
        + report.problems
        + listed(row_problems(bundle.log_rows()))
    )
    report.seconds = time.perf_counter() - started
    return report
