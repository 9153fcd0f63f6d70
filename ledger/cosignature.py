"""Witness cosignatures of checkpoints: C2SP ``tlog-cosignature`` (Ed25519, v1).

A cosignature is a signed-note signature line added to a checkpoint by a witness::

    — <witness name> base64(key ID (4) || timestamp (u64, big-endian) || signature (64))

with ``key ID = SHA-256(name || 0x0A || 0x04 || 32-byte public key)[:4]`` (0x04: the
cosignature type byte, where a log's own key uses 0x01) and the Ed25519 signature over
the message ``"cosignature/v1\\ntime <timestamp>\\n" || <checkpoint text>``. A witness's
public key is written as a vkey ``name+keyid+base64(0x04 || key)``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

# As ledger.notes (not imported: ledger.config reads SDSI_WITNESSES with this module).
SIGNATURE_PREFIX = "— "

COSIGNATURE_TYPE = b"\x04"
HEADER = b"cosignature/v1\n"
MAX_TIMESTAMP = 2**63 - 1
_NAME = re.compile(r"[^\s+]+")


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


class CosignatureError(ValueError):
    """A witness key or cosignature line that is malformed."""


def cosigner_key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    """The 4-byte key ID of an Ed25519 cosigner (type byte 0x04)."""
    data = name.encode() + b"\n" + COSIGNATURE_TYPE + raw_public_key(public_key)
    return hashlib.sha256(data).digest()[:4]


def signed_message(checkpoint_text: str, timestamp: int) -> bytes:
    """What the witness signs: header line, time line, then the checkpoint text."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise CosignatureError(f"timestamp {timestamp} is out of range")
    return HEADER + f"time {timestamp}\n".encode() + checkpoint_text.encode()


@dataclass(frozen=True)
class Cosigner:
    """A witness's name and public key (what a log or a verifier trusts)."""

    name: str
    public_key: Ed25519PublicKey

    @property
    def key_id(self) -> bytes:
        return cosigner_key_id(self.name, self.public_key)

    def vkey(self) -> str:
        blob = COSIGNATURE_TYPE + raw_public_key(self.public_key)
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(blob).decode()}"

    def fingerprint(self) -> str:
        return hashlib.sha256(raw_public_key(self.public_key)).hexdigest()

    def timestamp_of(self, line: str, checkpoint_text: str) -> int | None:
        """The time of ``line`` if it is this witness's valid cosignature of
        ``checkpoint_text``; ``None`` if it is another key's (ignored) or invalid."""
        parsed = parse_line(line)
        if parsed is None:
            return None
        name, blob = parsed
        if name != self.name or blob[:4] != self.key_id or len(blob) != 4 + 8 + 64:
            return None
        (timestamp,) = struct.unpack(">Q", blob[4:12])
        if timestamp > MAX_TIMESTAMP:
            return None
        try:
            self.public_key.verify(
                blob[12:], signed_message(checkpoint_text, timestamp)
            )
        except InvalidSignature:
            return None
        return timestamp


def parse_line(line: str) -> tuple[str, bytes] | None:
    """(name, decoded signature) of a note signature line, or ``None``."""
    line = line.rstrip("\n")
    if not line.startswith(SIGNATURE_PREFIX) or line.count(" ") != 2:
        return None
    name, encoded = line[len(SIGNATURE_PREFIX) :].split(" ")
    try:
        blob = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        return None
    return (name, blob) if _NAME.fullmatch(name) and len(blob) >= 5 else None


def cosign(
    checkpoint_text: str, name: str, key: Ed25519PrivateKey, timestamp: int
) -> str:
    """The cosignature line (with its newline) of ``checkpoint_text``."""
    signature = key.sign(signed_message(checkpoint_text, timestamp))
    blob = (
        cosigner_key_id(name, key.public_key())
        + struct.pack(">Q", timestamp)
        + signature
    )
    return f"{SIGNATURE_PREFIX}{name} {base64.b64encode(blob).decode()}\n"


def parse_vkey(text: str) -> Cosigner:
    """A witness vkey ``name+keyid+base64(0x04||key)``; :class:`CosignatureError`."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3 or not _NAME.fullmatch(parts[0]):
        raise CosignatureError(
            f"{text.strip()[:60]!r} is not a witness vkey (name+keyid+base64)"
        )
    name, hex_id, encoded = parts
    try:
        key_id = bytes.fromhex(hex_id)
        blob = base64.b64decode(encoded, validate=True)
    except (ValueError, binascii.Error):
        raise CosignatureError(
            f"witness vkey of {name}: bad key ID or base64"
        ) from None
    if blob[:1] != COSIGNATURE_TYPE or len(blob) != 33:
        raise CosignatureError(
            f"witness vkey of {name}: not an Ed25519 cosignature key"
            " (type byte 0x04 and 32 bytes)"
        )
    cosigner = Cosigner(name, Ed25519PublicKey.from_public_bytes(blob[1:]))
    if cosigner.key_id != key_id:
        raise CosignatureError(f"witness vkey of {name}: key ID does not match the key")
    return cosigner


def load_cosigner(spec: str) -> Cosigner:
    """A witness vkey given as a string or as the path of a file holding one."""
    path = Path(spec)
    try:
        if path.is_file():
            return parse_vkey(path.read_text(encoding="utf-8"))
    except OSError:
        pass
    return parse_vkey(spec)


def quorum_of(
    checkpoint_text: str, lines: list[str], cosigners: list[Cosigner]
) -> list[Cosigner]:
    """The trusted witnesses with a valid cosignature of the text among ``lines``."""
    return [
        w
        for w in cosigners
        if any(w.timestamp_of(line, checkpoint_text) is not None for line in lines)
    ]
