"""Checkpoints as C2SP ``tlog-checkpoint`` texts, signed as C2SP signed notes (Ed25519).

A checkpoint text is three lines — origin, tree size, base64 root — each ending with a
newline. Its signed note appends a blank line and one signature line::

    — <key name> base64(key ID (4 bytes) || Ed25519 signature of the text)

with ``key ID = SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4]``. The
ledger's key name is its origin (``SDSI_LEDGER_ORIGIN``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from ledger.config import Settings
from ledger.errors import ConfigError
from ledger.merkle import HASH_SIZE

SIGNATURE_TYPE_ED25519 = b"\x01"
SIGNATURE_PREFIX = "— "  # em dash, space
# The largest tree size a database column holds (SQLite INTEGER, PostgreSQL BIGINT).
MAX_TREE_SIZE = 2**63 - 1


class NoteError(ValueError):
    """A checkpoint or signed note that is malformed or does not verify."""

    def __init__(self, message: str, kind: str = "malformed") -> None:
        super().__init__(message)
        self.kind = kind  # "malformed", "unknown key" or "bad signature"


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: the log's origin, its size and its root hash."""

    origin: str
    tree_size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        """The C2SP checkpoint text (ends with a newline)."""
        lines = [self.origin, str(self.tree_size), base64.b64encode(self.root).decode()]
        return "\n".join([*lines, *self.extensions]) + "\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a checkpoint text; :class:`NoteError` if malformed."""
        if not text.endswith("\n"):
            raise NoteError("a checkpoint text ends with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3 or not all(lines):
            raise NoteError(
                "a checkpoint has an origin, a size and a root, no empty line"
            )
        origin, size, root = lines[:3]
        tree_size = parse_size(size)
        try:
            raw = base64.b64decode(root, validate=True)
        except binascii.Error:
            raise NoteError("checkpoint root is not base64") from None
        if len(raw) != HASH_SIZE:
            raise NoteError("checkpoint root is not a SHA-256 hash")
        return cls(origin, tree_size, raw, tuple(lines[3:]))


def parse_size(text: str) -> int:
    """A tree size written as C2SP does: ASCII decimal digits, no leading zero (not
    "²" nor "٣", which ``isdigit`` accepts), at most :data:`MAX_TREE_SIZE`."""
    if not (
        text.isascii() and text.isdigit() and (text == "0" or text[0] != "0")
    ) or len(text) > len(str(MAX_TREE_SIZE)):
        raise NoteError(f"tree size {text[:40]!r} is not a decimal number")
    size = int(text)
    if size > MAX_TREE_SIZE:
        raise NoteError(f"tree size {text} is above {MAX_TREE_SIZE}")
    return size


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    """The 4-byte key ID of an Ed25519 note key."""
    data = name.encode() + b"\n" + SIGNATURE_TYPE_ED25519 + raw_public_key(public_key)
    return hashlib.sha256(data).digest()[:4]


@dataclass(frozen=True)
class NoteVerifier:
    """A trusted key: its name and Ed25519 public key."""

    name: str
    public_key: Ed25519PublicKey

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_key)

    def vkey(self) -> str:
        """``name+keyid+base64(0x01||key)``, as Go's ``golang.org/x/mod/sumdb/note``."""
        blob = SIGNATURE_TYPE_ED25519 + raw_public_key(self.public_key)
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(blob).decode()}"

    def fingerprint(self) -> str:
        """SHA-256 of the raw public key, hex (shown to auditors)."""
        return hashlib.sha256(raw_public_key(self.public_key)).hexdigest()


def sign_note(text: str, name: str, key: Ed25519PrivateKey) -> str:
    """The signed note of ``text`` by ``key`` under ``name``."""
    if not text.endswith("\n"):
        raise NoteError("a note text ends with a newline")
    signature = key_id(name, key.public_key()) + key.sign(text.encode())
    return f"{text}\n{SIGNATURE_PREFIX}{name} {base64.b64encode(signature).decode()}\n"


def open_note(note: str, verifiers: list[NoteVerifier]) -> str:
    """The text of ``note`` if a trusted key signed it; :class:`NoteError` otherwise."""
    if "\n\n" not in note or not note.endswith("\n"):
        raise NoteError("not a signed note (no blank line before the signatures)")
    if any(ord(ch) < 0x20 and ch != "\n" for ch in note):
        raise NoteError("a signed note contains no control character but newlines")
    cut = note.rindex("\n\n")
    text, signature_lines = note[: cut + 1], note[cut + 2 : -1].split("\n")
    verified = False
    for line in signature_lines:
        if not line.startswith(SIGNATURE_PREFIX) or line.count(" ") != 2:
            raise NoteError(f"malformed signature line {line[:40]!r}")
        name, encoded = line[len(SIGNATURE_PREFIX) :].split(" ")
        try:
            blob = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise NoteError("a note signature is not base64") from None
        if len(blob) < 5:
            raise NoteError("a note signature is too short")
        for verifier in verifiers:
            if verifier.name != name or verifier.key_id != blob[:4]:
                continue  # signatures by unknown keys are ignored (C2SP)
            try:
                verifier.public_key.verify(blob[4:], text.encode())
            except InvalidSignature:
                raise NoteError(
                    f"the signature by key {name} ({blob[:4].hex()}) does not verify",
                    kind="bad signature",
                ) from None
            verified = True
    if not verified:
        names = ", ".join(line.split(" ")[1] for line in signature_lines)
        raise NoteError(
            f"signed by an unknown key ({names}); trusted: "
            + ", ".join(f"{v.name} ({v.key_id.hex()})" for v in verifiers),
            kind="unknown key",
        )
    return text


# --- the deployment's keys ----------------------------------------------------------


def load_public_key(path: Path) -> Ed25519PublicKey:
    """An Ed25519 public key from a PEM file."""
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except FileNotFoundError:
        raise ConfigError(f"no public key at {path}: run `sdsi init`") from None
    except ValueError as exc:
        raise ConfigError(f"{path} is not a PEM public key: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError(f"{path} is not an Ed25519 public key")
    return key


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def trusted_verifiers(settings: Settings) -> list[NoteVerifier]:
    """The deployment's public key, plus keys trusted on import (``trusted-keys/``)."""
    origin = settings.ledger_origin
    keys = [load_public_key(settings.public_key_file)]
    directory = settings.trusted_keys_dir
    if directory.is_dir():
        keys += [load_public_key(p) for p in sorted(directory.glob("*.pem"))]
    out: list[NoteVerifier] = []
    for key in keys:
        verifier = NoteVerifier(origin, key)
        if verifier not in out:
            out.append(verifier)
    return out


def trust_key(settings: Settings, key: Ed25519PublicKey) -> Path:
    """Add ``key`` to the keys whose checkpoints this deployment accepts."""
    directory = settings.trusted_keys_dir
    directory.mkdir(parents=True, exist_ok=True)
    path = (
        directory
        / f"{NoteVerifier(settings.ledger_origin, key).fingerprint()[:16]}.pem"
    )
    path.write_bytes(public_pem(key))
    return path
