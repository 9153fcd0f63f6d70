"""Crypto-shredding: one data key per data subject, personal values sealed as
ciphertext (``docs/privacy.md``).

- :class:`PersonalKeys` is the key table (``personal_keys``, schema version 11): one
  random AES-256 key per subject (an account's aggregate id), created the first time
  a value of that subject is written. Erasure sets the key to NULL and stamps
  ``erased_at`` in the transaction that saves ``Account.Erased``: the row stays as the
  *erasure register* (a later write for that subject is refused, and legacy plain
  text events of that subject read as erased). The table is never exported with the
  ledger (bundles hold ciphertext only): ``sdsi keys export/import`` backs it up.
- :class:`PersonalAsCiphertext` is the transcoding of :class:`~domain.personal.Personal`
  values: ``{"_type_": "pii", "_data_": {"s": subject, "n": nonce, "c": ciphertext}}``,
  AES-GCM with a random 96-bit nonce and the subject as associated data. Leaves hash
  these stored bytes, written once: seals, checkpoints and bundles hold ciphertext.
  Read back without a key, the value is ``erased``. A free text flagged as naming
  several persons (``Personal.also``) is sealed once per key, innermost the last
  person's (each inner layer stored as nonce ‖ ciphertext), their ids in ``"a"``:
  it reads only while every one of those keys exists.
- :class:`LedgerMapper` also reads legacy values (events stored in clear before this
  change) as erased once their subject is in the register.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import Mapper, StoredEvent, Transcoding

from domain.personal import Personal

TABLE = "personal_keys"
TRANSCODING = "pii"
KEY_BYTES = 32
NONCE_BYTES = 12
EXPORT_FORMAT = "sdsi-personal-keys-v1"


class PersonalDataError(Exception):
    """A personal value cannot be written or read (erased subject, altered bytes)."""


@dataclass(frozen=True)
class Erasure:
    """Written with ``Account.Erased``, in the same transaction: the subject's key
    destroyed (tombstone kept), and the plain text the side tables may hold (command
    results, mail outbox) replaced by the marker (``scrub``: old → new pairs)."""

    subject: UUID
    at: str
    scrub: tuple[tuple[str, str], ...] = ()


def _aad(subject: UUID) -> bytes:
    return f"sdsi-pii-v1|{subject}".encode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class PersonalKeys:
    """The key table, bound to the ledger's storage once it is open."""

    def __init__(self) -> None:
        self.storage: Any = None

    def bind(self, storage: Any) -> None:
        self.storage = storage

    def _row(self, subject: UUID) -> tuple[Any, ...] | None:
        if self.storage is None:
            raise PersonalDataError("the key table is not open")
        return self.storage.fetchone(
            f"SELECT data_key, erased_at FROM {{t:{TABLE}}} WHERE subject = ?",
            (str(subject),),
        )

    def key_of(self, subject: UUID) -> bytes | None:
        """The subject's key; None once destroyed (or never created)."""
        row = self._row(subject)
        if row is None or row[0] is None:
            return None
        return base64.b64decode(row[0])

    def is_erased(self, subject: UUID) -> bool:
        """Whether the subject is in the erasure register."""
        row = self._row(subject)
        return row is not None and row[1] is not None

    def ensure(self, subject: UUID) -> bytes:
        """The subject's key, created (committed on its own) if it has none yet;
        refused once the subject was erased."""
        row = self._row(subject)
        if row is None:
            self.storage.execute(
                f"INSERT INTO {{t:{TABLE}}} (subject, data_key, created_at)"
                " VALUES (?, ?, ?) ON CONFLICT (subject) DO NOTHING",
                (
                    str(subject),
                    _b64(AESGCM.generate_key(bit_length=8 * KEY_BYTES)),
                    datetime.now(UTC).isoformat(),
                ),
            )
            row = self._row(subject)
        if row is None or row[0] is None:
            raise PersonalDataError(
                f"les données personnelles de {subject} ont été effacées :"
                " elles ne peuvent plus être écrites"
            )
        return base64.b64decode(row[0])

    def generation(self) -> int:
        """How many subjects were erased (caches of past views compare it)."""
        row = self.storage.fetchone(
            f"SELECT count(*) FROM {{t:{TABLE}}} WHERE erased_at IS NOT NULL"
        )
        return int(row[0]) if row else 0

    def counts(self) -> dict[str, int]:
        row = self.storage.fetchone(
            f"SELECT count(*), count(erased_at) FROM {{t:{TABLE}}}"
        )
        total, erased = (int(row[0]), int(row[1])) if row else (0, 0)
        return {"keys": total - erased, "erased": erased}

    # --- backup --------------------------------------------------------------------

    def export(self) -> dict[str, Any]:
        """Every row (live keys and the erasure register), for a separate backup."""
        rows = self.storage.fetchall(
            f"SELECT subject, data_key, created_at, erased_at FROM {{t:{TABLE}}}"
            " ORDER BY subject"
        )
        return {
            "format": EXPORT_FORMAT,
            "keys": [
                {"subject": s, "key": k, "created_at": c, "erased_at": e}
                for s, k, c, e in rows
            ],
        }

    def import_(self, data: Any) -> dict[str, int]:
        """Load an export: missing rows are added; an erasure in the file or in the
        table wins (a restored backup never brings an erased key back)."""
        if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
            raise PersonalDataError(f"not a key export ({EXPORT_FORMAT} expected)")
        added = erased = 0
        rows = data.get("keys")
        if not isinstance(rows, list):
            raise PersonalDataError("the key export has no list of keys")
        checked = []
        for row in rows:
            try:
                subject = str(UUID(str(row["subject"])))
                key = row.get("key")
                if key is not None and len(base64.b64decode(key, validate=True)) != (
                    KEY_BYTES
                ):
                    raise ValueError("key length")
                created = _iso(row["created_at"], "created_at")
                erased_at = row["erased_at"]
                if erased_at is not None:
                    erased_at = _iso(erased_at, "erased_at")
                elif key is None:
                    raise ValueError("a row without a key must say when it was erased")
                checked.append((subject, key, created, erased_at))
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise PersonalDataError(f"invalid key row {row!r}: {exc}") from None
        with self.storage.cursor(commit=True) as c:
            for subject, key, created, erased_at in checked:
                c.execute(
                    self.storage.sql(
                        f"SELECT data_key, erased_at FROM {{t:{TABLE}}}"
                        " WHERE subject = ?"
                    ),
                    (subject,),
                )
                found = c.fetchone()
                if found is None:
                    c.execute(
                        self.storage.sql(
                            f"INSERT INTO {{t:{TABLE}}}"
                            " (subject, data_key, created_at, erased_at)"
                            " VALUES (?, ?, ?, ?)"
                        ),
                        (subject, None if erased_at else key, created, erased_at),
                    )
                    if erased_at:
                        erased += 1
                    else:
                        added += 1
                elif erased_at and _value(found, 1) is None:
                    c.execute(
                        self.storage.sql(
                            f"UPDATE {{t:{TABLE}}} SET data_key = NULL, erased_at = ?"
                            " WHERE subject = ?"
                        ),
                        (erased_at, subject),
                    )
                    erased += 1
        return {"added": added, "erased": erased}


def _iso(value: Any, name: str) -> str:
    """An ISO 8601 time of a key row, as stored (ValueError naming the field)."""
    try:
        datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: not an ISO 8601 time ({value!r})") from None
    return str(value)


def _value(row: Any, index: int) -> Any:
    return list(row.values())[index] if isinstance(row, dict) else row[index]


class PersonalAsCiphertext(Transcoding):
    """A :class:`Personal` value as AES-GCM ciphertext under its subject's key."""

    type = Personal
    name = TRANSCODING

    def __init__(self, keys: PersonalKeys) -> None:
        self.keys = keys

    def encode(self, obj: Personal) -> dict[str, str]:
        if obj.erased:
            raise PersonalDataError(f"an erased value of {obj.subject} is not written")
        data = obj.text.encode()
        for other in reversed(obj.also):  # inner layers: nonce ‖ ciphertext
            nonce = os.urandom(NONCE_BYTES)
            key = self.keys.ensure(other)
            data = nonce + AESGCM(key).encrypt(nonce, data, _aad(other))
        key = self.keys.ensure(obj.subject)
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(key).encrypt(nonce, data, _aad(obj.subject))
        out = {"s": str(obj.subject), "n": _b64(nonce), "c": _b64(sealed)}
        if obj.also:
            out["a"] = [str(o) for o in obj.also]  # type: ignore[assignment]
        return out

    def decode(self, data: dict[str, str]) -> Personal:
        subject = UUID(data["s"])
        also = tuple(UUID(a) for a in data.get("a", ()))
        nonce, sealed = base64.b64decode(data["n"]), base64.b64decode(data["c"])
        for layer in (subject, *also):
            key = self.keys.key_of(layer)
            if key is None:  # any one of the persons named erased: the text is gone
                return Personal(subject, "", erased=True, also=also)
            try:
                sealed = AESGCM(key).decrypt(nonce, sealed, _aad(layer))
            except InvalidTag:
                raise PersonalDataError(
                    f"a personal value of {layer} does not decrypt with its key"
                    " (altered bytes or a foreign key table)"
                ) from None
            nonce, sealed = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
        return Personal(subject, (nonce + sealed).decode(), also=also)


class LedgerMapper(Mapper[UUID]):
    """The library's mapper; legacy plain-text personal values of an erased subject
    are read as erased (the erasure register decides)."""

    keys: PersonalKeys

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        event = super().to_domain_event(stored_event)
        state = event.__dict__
        for name, value in state.items():
            if (
                isinstance(value, Personal)
                and value.legacy
                and not value.erased
                and self.keys.is_erased(value.subject)
            ):
                state[name] = value.forgotten()
        return event
