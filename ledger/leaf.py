"""The record each event is sealed as, and its leaf hash (see ``docs/integrity.md``).

The record of the event at position ``p`` is the JSON object::

    {"context": {...}, "originator_id": "<uuid>", "originator_version": 3,
     "position": p, "recorded": "<ISO 8601 UTC>", "state_sha256": "<hex>",
     "topic": "<module:Class>"}

canonicalised with RFC 8785 (JCS); its leaf hash is ``SHA-256(0x00 || canonical)``.
``recorded`` and ``context`` come from the stored state (plain JSON written by the
library's transcoder); transcoded values (``{"_type_": ..., "_data_": ...}``) are
flattened to their plain data, so the record holds only strings, integers, booleans,
null, arrays and objects — never floats, which keeps independent verifiers simple.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from uuid import UUID

import rfc8785

from ledger.merkle import hash_leaf

LEAF_FORMAT = "sdsi-leaf-v1"
_TRANSCODED = frozenset(("_type_", "_data_"))


class LeafError(ValueError):
    """An event whose record cannot be built (its state is not the ledger's JSON)."""


def flatten(value: Any) -> Any:
    """Transcoded values replaced by their data; floats refused."""
    if isinstance(value, dict):
        if value.keys() == _TRANSCODED:
            return flatten(value["_data_"])
        return {key: flatten(item) for key, item in value.items()}
    if isinstance(value, list):
        return [flatten(item) for item in value]
    if isinstance(value, float):
        raise LeafError(f"a float ({value!r}) cannot be part of a sealed record")
    return value


def canonical_id(originator_id: Any) -> str:
    """An originator id as its canonical hyphenated lower-case UUID string."""
    if isinstance(originator_id, UUID):
        return str(originator_id)
    try:
        return str(UUID(str(originator_id)))
    except ValueError:
        raise LeafError(f"originator id {originator_id!r} is not a UUID") from None


def leaf_record(
    position: int, originator_id: Any, originator_version: int, topic: str, state: bytes
) -> dict[str, Any]:
    """The record sealed for one stored event."""
    try:
        data = json.loads(state)
    except (ValueError, UnicodeDecodeError) as exc:
        raise LeafError(f"the stored state is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise LeafError("the stored state is not a JSON object")
    return {
        "position": position,
        "originator_id": canonical_id(originator_id),
        "originator_version": int(originator_version),
        "topic": topic,
        "recorded": flatten(data.get("timestamp")),
        "context": flatten(data.get("context")),
        "state_sha256": hashlib.sha256(state).hexdigest(),
    }


def canonical(record: dict[str, Any]) -> bytes:
    """RFC 8785 canonical JSON of a record."""
    try:
        return rfc8785.dumps(record)
    except rfc8785.CanonicalizationError as exc:
        raise LeafError(f"the record cannot be canonicalised: {exc}") from None


def leaf_hash_of(
    position: int, originator_id: Any, originator_version: int, topic: str, state: bytes
) -> bytes:
    """The leaf hash of one stored event at ``position``."""
    record = leaf_record(position, originator_id, originator_version, topic, state)
    return hash_leaf(canonical(record))
