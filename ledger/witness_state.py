"""A witness's state directory: its key, the logs it follows, what it cosigned.

``sdsi witness init --state DIR --name NAME`` creates::

    DIR/witness.key     the Ed25519 private key (PEM, mode 0600)
    DIR/witness.name    the witness's name (its key name in cosignature lines)
    DIR/logs            the logs it follows: one ``ORIGIN KEY`` a line, KEY a vkey
                        (``origin+keyid+base64(0x01||key)``) or a PEM file's path
    DIR/witness.db      SQLite: the latest cosigned checkpoint per origin, refusals
    DIR/generation      the marker: ``<store id> <generation>``

The store counts its changes (``generation``, +1 each time a checkpoint of a larger
tree is recorded) and the marker, written (fsync, atomic rename) after each commit,
records the last count seen. **Lost state**, refused at start unless ``--reset``:

- the marker or the store is missing (the other one is present), or the store holds
  no ``meta`` (emptied);
- the store's id differs from the marker's (another witness's store, or a new one);
- the store's generation is *lower* than the marker's (an older copy restored: the
  witness would accept a rollback of every log it follows);
- the store was made for another key than ``witness.key``.

A store ahead of the marker is the window between a commit and the marker's write
(a crash there), not a loss. ``--reset`` keeps the key, moves the old store aside
(``witness.db.lost-<time>``) and starts from nothing: the next checkpoint of each
log is then trusted as it comes (say so to the logs' operators).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import os
import secrets
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from ledger.cosignature import Cosigner
from ledger.notes import SIGNATURE_TYPE_ED25519, NoteVerifier, key_id

KEY_FILE, NAME_FILE, LOGS_FILE = "witness.key", "witness.name", "logs"
STORE_FILE, MARKER_FILE = "witness.db", "generation"
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS checkpoints (origin TEXT PRIMARY KEY,"
    " tree_size INTEGER NOT NULL, root BLOB NOT NULL, note TEXT NOT NULL,"
    " cosigned_at INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS refusals (id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " origin TEXT NOT NULL, at INTEGER NOT NULL, status INTEGER NOT NULL,"
    " reason TEXT NOT NULL, body TEXT NOT NULL)",
)


class WitnessStateError(Exception):
    """A state directory that cannot be used (missing, lost state, bad config)."""


@dataclass(frozen=True)
class Held:
    """The latest checkpoint a witness cosigned for one log."""

    origin: str
    tree_size: int
    root: bytes
    cosigned_at: int


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_durably(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` atomically (temporary file, fsync, rename)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def parse_log_key(origin: str, spec: str, base: Path) -> NoteVerifier:
    """A log's key from the ``logs`` file: a vkey (type 0x01) or a PEM file path."""
    if "+" in spec and not spec.endswith(".pem"):
        parts = spec.split("+", 2)
        try:
            name, hex_id = parts[0], bytes.fromhex(parts[1])
            blob = base64.b64decode(parts[2], validate=True)
        except (IndexError, ValueError, binascii.Error):
            raise WitnessStateError(f"logs: {origin}: {spec!r} is not a vkey") from None
        if len(parts) != 3 or blob[:1] != SIGNATURE_TYPE_ED25519 or len(blob) != 33:
            raise WitnessStateError(f"logs: {origin}: not an Ed25519 note vkey")
        verifier = NoteVerifier(name, Ed25519PublicKey.from_public_bytes(blob[1:]))
        if name != origin:
            raise WitnessStateError(
                f"logs: the vkey's name {name!r} is not the origin {origin!r}"
            )
        if key_id(name, verifier.public_key) != hex_id:
            raise WitnessStateError(f"logs: {origin}: the vkey's key ID does not match")
        return verifier
    path = Path(spec) if Path(spec).is_absolute() else base / spec
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise WitnessStateError(f"logs: {origin}: {path}: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise WitnessStateError(f"logs: {origin}: {path} is not an Ed25519 key")
    return NoteVerifier(origin, key)


class WitnessState:
    """A witness's directory, checked (:meth:`open`) or created (:meth:`init`)."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.name = ""
        self.key: Ed25519PrivateKey | None = None
        self.logs: dict[str, list[NoteVerifier]] = {}
        self.store_id = ""

    # --- paths and files -------------------------------------------------------------

    def path(self, name: str) -> Path:
        return self.dir / name

    @property
    def cosigner(self) -> Cosigner:
        assert self.key is not None
        return Cosigner(self.name, self.key.public_key())

    def _fingerprint(self) -> str:
        assert self.key is not None
        return self.cosigner.fingerprint()

    @classmethod
    def init(cls, directory: Path, name: str) -> WitnessState:
        """Create the key, the empty logs list, the store and the marker."""
        if not name or any(c.isspace() or c == "+" for c in name):
            raise WitnessStateError(
                f"witness name {name!r}: no spaces, no '+' (e.g. prefecture.example/w1)"
            )
        state = cls(directory)
        if state.path(KEY_FILE).exists():
            raise WitnessStateError(f"{directory} already holds a witness key")
        directory.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _write_durably(state.path(KEY_FILE), pem, 0o600)
        _write_durably(state.path(NAME_FILE), f"{name}\n".encode())
        if not state.path(LOGS_FILE).exists():
            _write_durably(
                state.path(LOGS_FILE),
                b"# one log a line: ORIGIN KEY (a vkey origin+keyid+base64,"
                b" or the path of a PEM file)\n",
            )
        state.name, state.key = name, key
        state._new_store()
        return state

    @classmethod
    def open(cls, directory: Path, *, reset: bool = False) -> WitnessState:
        """Load a state directory, refusing lost state unless ``reset``."""
        state = cls(directory)
        state.load_key()
        problem = state._lost()
        if problem and not reset:
            raise WitnessStateError(
                f"{problem}: the witness refuses to start, since it could cosign a"
                " log's rollback or fork. If the state is really gone, start it once"
                " with --reset (it then trusts each log's next checkpoint as it comes)"
            )
        if problem:
            state._reset()
        else:
            state._sync_marker()
        state.load_logs()
        return state

    def load_key(self) -> None:
        try:
            pem = self.path(KEY_FILE).read_bytes()
            self.name = self.path(NAME_FILE).read_text(encoding="utf-8").strip()
        except FileNotFoundError as exc:
            raise WitnessStateError(
                f"no witness in {self.dir} ({exc.filename} missing): run"
                " `sdsi witness init --state DIR --name NAME`"
            ) from None
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise WitnessStateError(f"{self.path(KEY_FILE)} is not an Ed25519 key")
        self.key = key

    def load_logs(self) -> None:
        """Read ``logs``: the origins followed and their keys."""
        logs: dict[str, list[NoteVerifier]] = {}
        try:
            text = self.path(LOGS_FILE).read_text(encoding="utf-8")
        except FileNotFoundError:
            text = ""
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split()
            if len(parts) != 2:
                raise WitnessStateError(
                    f"logs line {number}: expected ORIGIN KEY, got {line[:60]!r}"
                )
            origin, spec = parts
            logs.setdefault(origin, []).append(parse_log_key(origin, spec, self.dir))
        self.logs = logs

    def add_log(self, origin: str, spec: str) -> NoteVerifier:
        """Append a log (checked first) to ``logs``."""
        verifier = parse_log_key(origin, spec, self.dir)
        path = self.path(LOGS_FILE)
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        if text and not text.endswith("\n"):
            text += "\n"
        _write_durably(path, f"{text}{origin} {spec}\n".encode())
        self.load_logs()
        return verifier

    # --- the store and its marker ----------------------------------------------------

    def connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path(STORE_FILE), isolation_level=None, timeout=30)
        conn.execute("PRAGMA synchronous = FULL")
        return conn

    def _new_store(self) -> None:
        store = self.path(STORE_FILE)
        if store.exists():
            raise WitnessStateError(f"{store} already exists")
        self.store_id = secrets.token_hex(16)
        conn = self.connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            for ddl in SCHEMA:
                conn.execute(ddl)
            conn.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [
                    ("store_id", self.store_id),
                    ("generation", "0"),
                    ("key_fingerprint", self._fingerprint()),
                ],
            )
            conn.execute("COMMIT")
        finally:
            conn.close()
        _fsync_dir(self.dir)
        self.write_marker(0, force=True)

    def _meta(self) -> dict[str, str] | None:
        if not self.path(STORE_FILE).exists():
            return None
        conn = self.connect()
        try:
            rows = conn.execute("SELECT key, value FROM meta").fetchall()
        except sqlite3.DatabaseError:
            return {}
        finally:
            conn.close()
        return dict(rows)

    def _marker(self) -> tuple[str, int] | None:
        try:
            store_id, generation = (
                self.path(MARKER_FILE).read_text(encoding="ascii").split()
            )
            return store_id, int(generation)
        except FileNotFoundError:
            return None
        except ValueError:
            return ("", 0)

    def _lost(self) -> str | None:
        """Why the state is lost (see the module's docstring), or ``None``."""
        meta, marker = self._meta(), self._marker()
        if meta is None and marker is None:
            return "the store and its marker are both missing"
        if meta is None:
            return f"the store {STORE_FILE} is missing while the marker says it existed"
        if marker is None:
            return f"the marker {MARKER_FILE} is missing while the store exists"
        if not meta or "store_id" not in meta:
            return f"the store {STORE_FILE} is empty or unreadable"
        if meta["store_id"] != marker[0]:
            return "the store is not the one the marker records (another store)"
        if int(meta.get("generation", "0")) < marker[1]:
            return (
                f"the store is at generation {meta.get('generation')}, older than the"
                f" {marker[1]} the marker records (an old copy was restored)"
            )
        if meta.get("key_fingerprint") != self._fingerprint():
            return "the store was made for another witness key"
        return None

    def _reset(self) -> None:
        store = self.path(STORE_FILE)
        if store.exists():
            store.rename(store.with_name(f"{STORE_FILE}.lost-{int(time.time())}"))
        self.path(MARKER_FILE).unlink(missing_ok=True)
        self._new_store()

    def _sync_marker(self) -> None:
        meta = self._meta() or {}
        self.store_id = meta["store_id"]
        self.write_marker(int(meta["generation"]))

    @contextlib.contextmanager
    def _marker_lock(self) -> Iterator[None]:
        with open(self.path(".generation.lock"), "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def write_marker(self, generation: int, *, force: bool = False) -> None:
        """Record ``generation`` in the marker (never lowering it unless ``force``)."""
        with self._marker_lock():
            current = self._marker()
            same = bool(current) and current[0] == self.store_id  # type: ignore[index]
            if not force and same and current[1] >= generation:  # type: ignore[index]
                return
            _write_durably(
                self.path(MARKER_FILE), f"{self.store_id} {generation}\n".encode()
            )

    def held(self) -> list[Held]:
        conn = self.connect()
        try:
            rows = conn.execute(
                "SELECT origin, tree_size, root, cosigned_at FROM checkpoints"
                " ORDER BY origin"
            ).fetchall()
        finally:
            conn.close()
        return [Held(o, int(s), bytes(r), int(t)) for o, s, r, t in rows]
