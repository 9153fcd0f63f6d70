"""What makes two sends of a command "the same request" under one idempotency key.

Every command method of the ledger is decorated with :func:`command`, which captures
its arguments once, as the method received them (defaults applied; the caller aside),
for :meth:`ledger.core.LedgerCore.execute`. The command record stores
:func:`arguments_hash` of them: the SHA-256 of the RFC 8785 canonical JSON of the
actor, the reason and the arguments (never the time). A key sent again with the same
command and the same hash gets the first result; with anything else it is refused
(``IdempotencyKeyReused``), as payment APIs do.

Arguments are canonicalised as JSON sees them: money and dates may arrive as
``Decimal``/``date`` from Python or as strings from JSON, and the same text is the same
argument; a tuple is a list; integer keys are their decimal strings. Values JSON cannot
hold exactly (integers beyond ±(2⁵³−1), NaN, infinities, lone surrogates) are tagged
rather than refused: hashing never fails on what a client sends.

Secret arguments (passwords) are never hashed — a fast hash of a password in the
command table would undo its Argon2id — and are checked on a repeat against what
the first send stored instead (``LedgerCore._secrets_match``).
"""

from __future__ import annotations

import hashlib
import inspect
import math
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from functools import wraps
from typing import Any, TypeVar
from uuid import UUID

import rfc8785

F = TypeVar("F", bound=Callable[..., Any])

MAX_SAFE_INTEGER = 2**53 - 1
NOT_ARGUMENTS = ("self", "caller")


@dataclass(frozen=True)
class Call:
    """One call of a command method: its name, arguments and secret arguments."""

    command: str
    arguments: dict[str, Any]
    secrets: dict[str, Any]


_CALL: ContextVar[Call | None] = ContextVar("sdsi_command_call", default=None)


def current_call() -> Call | None:
    """The command method running in this context, if any."""
    return _CALL.get()


def command(
    *, exclude: tuple[str, ...] = (), secret: tuple[str, ...] = ()
) -> Callable[[F], F]:
    """Mark a ledger method as a command: its arguments make its idempotency hash.

    ``exclude`` names parameters that are not the request (e.g. the view store a
    scenario is computed from); ``secret`` those never hashed (passwords).
    """

    def decorate(method: F) -> F:
        signature = inspect.signature(method)
        unknown = (set(exclude) | set(secret)) - set(signature.parameters)
        if unknown:
            raise TypeError(f"{method.__name__}: no parameter {sorted(unknown)}")
        left_out = {*NOT_ARGUMENTS, *exclude, *secret}
        name = method.__name__

        @wraps(method)
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                bound = signature.bind(self, *args, **kwargs)
            except TypeError:
                return method(self, *args, **kwargs)  # Python's own error
            bound.apply_defaults()
            arguments = {k: v for k, v in bound.arguments.items() if k not in left_out}
            secrets = {k: bound.arguments[k] for k in secret}
            token = _CALL.set(Call(name, arguments, secrets))
            try:
                return method(self, *args, **kwargs)
            finally:
                _CALL.reset(token)

        wrapper.__sdsi_command__ = name  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def canonical(value: Any) -> Any:
    """``value`` as plain JSON that RFC 8785 serialises (see the module doc)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, Enum):
        return canonical(value.value)
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return {"$utf16": value.encode("utf-16-be", "surrogatepass").hex()}
        return value
    if isinstance(value, int):
        return value if abs(value) <= MAX_SAFE_INTEGER else {"$int": str(value)}
    if isinstance(value, float):
        if not math.isfinite(value):
            return {"$float": repr(value)}
        if value.is_integer() and abs(value) > MAX_SAFE_INTEGER:
            return {"$int": str(int(value))}
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {_key(k): canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((canonical(v) for v in value), key=rfc8785.dumps)
    raise TypeError(
        f"a command argument of type {type(value).__name__} has no canonical form"
    )


def _key(key: Any) -> str:
    if isinstance(key, Enum):
        key = key.value
    if isinstance(key, str):
        return key if canonical(key) == key else rfc8785.dumps(canonical(key)).decode()
    if isinstance(key, int) and not isinstance(key, bool):
        return str(key)
    raise TypeError(f"a command argument has a key of type {type(key).__name__}")


def arguments_hash(actor: str, reason: str | None, arguments: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the RFC 8785 form of who sends what, and why."""
    document = {
        "actor": canonical(actor),
        "reason": canonical(reason),
        "arguments": canonical(arguments),
    }
    return hashlib.sha256(rfc8785.dumps(document)).hexdigest()
