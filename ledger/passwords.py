"""Password hashing with Argon2id (argon2-cffi); hashes never enter the event log."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from domain.errors import InvalidValue

MIN_LENGTH = 10


@lru_cache(maxsize=2)
def hasher(profile: str = "standard") -> PasswordHasher:
    """Argon2id with RFC 9106's low-memory profile; ``fast`` is for test suites only."""
    if profile == "fast":
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()


def check_strength(password: object, field: str = "password") -> str:
    """Refuse passwords too short to resist guessing."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise InvalidValue(field, "***", f"au moins {MIN_LENGTH} caractères")
    if password.isdigit() or len(set(password)) < 4:
        raise InvalidValue(field, "***", "mot de passe trop simple")
    return password


def hash_password(password: str, profile: str = "standard") -> str:
    return hasher(profile).hash(password)


def verify_password(
    stored_hash: str | None, password: str, profile: str = "standard"
) -> bool:
    """Constant-work check; an unknown account still costs one hash. A password
    that is no text (``None``, a number from a JSON body) matches nothing."""
    if not isinstance(password, str):
        hasher(profile).hash("")
        return False
    if stored_hash is None:
        hasher(profile).hash(password)
        return False
    try:
        return hasher(profile).verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False
