"""Secrets of a deployment: the Flask secret key and the Ed25519 signing key."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from ledger.config import Settings
from ledger.errors import ConfigError


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def ensure_secret_key(settings: Settings) -> bool:
    """Generate the session secret once (unless given by SDSI_SECRET_KEY)."""
    if settings.secret_key or settings.secret_key_path.exists():
        return False
    _write_private(settings.secret_key_path, secrets.token_urlsafe(48).encode())
    return True


def secret_key(settings: Settings) -> str:
    if settings.secret_key:
        return settings.secret_key
    try:
        return settings.secret_key_path.read_text().strip()
    except FileNotFoundError:
        raise ConfigError(
            f"no secret key: set SDSI_SECRET_KEY or run `sdsi init` (expected {settings.secret_key_path})"
        ) from None


def ensure_signing_key(settings: Settings) -> bool:
    """Generate the Ed25519 checkpoint-signing key once (PEM, 0600) and its public key."""
    path = settings.signing_key_file
    if path.exists():
        if not settings.public_key_file.exists():
            settings.public_key_file.write_bytes(
                _public_pem(load_signing_key(settings).public_key())
            )
        return False
    key = Ed25519PrivateKey.generate()
    _write_private(
        path,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    settings.public_key_file.write_bytes(_public_pem(key.public_key()))
    return True


def _public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_signing_key(settings: Settings) -> Ed25519PrivateKey:
    path = settings.signing_key_file
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise ConfigError(
            f"no signing key at {path}: run `sdsi init` or set SDSI_SIGNING_KEY"
        ) from None
    except ValueError as exc:
        raise ConfigError(
            f"SDSI_SIGNING_KEY {path} is not a PEM private key: {exc}"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"the signing key {path} is not an Ed25519 key")
    return key
