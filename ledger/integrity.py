"""Checkpoints and proofs as JSON-able dicts, for the CLI and the web API.

Every proof is checked against its signed checkpoint before it is returned: the ledger
never serves a proof that does not verify (it raises :class:`ProofError` instead, which
means the seals were tampered with: run ``sdsi verify``). Formats: docs/integrity.md.
"""

from __future__ import annotations

import base64
from typing import Any
from uuid import UUID

from ledger.leaf import LeafError, canonical, leaf_record
from ledger.merkle import (
    CompactRange,
    Range,
    consistency_ranges,
    hash_leaf,
    inclusion_ranges,
    range_hashes,
    verify_consistency,
    verify_inclusion,
)
from ledger.notes import (
    Checkpoint,
    NoteError,
    NoteVerifier,
    open_note,
    public_pem,
    trusted_verifiers,
)
from ledger.sealstore import CheckpointRow, SealStore


class ProofError(ValueError):
    """A proof that cannot be given: unknown position or checkpoint, or broken seals."""


class IntegrityBroken(ProofError):
    """The stored events, seals or checkpoints no longer verify: run `sdsi verify`."""


def checkpoint_json(row: CheckpointRow) -> dict[str, Any]:
    """A stored checkpoint: number, size, root, when and why, and the signed note."""
    return {
        "seq": row.seq,
        "tree_size": row.tree_size,
        "root": base64.b64encode(row.root).decode(),
        "root_hex": row.root.hex(),
        "issued_at": row.issued_at,
        "reason": row.reason,
        "note": row.note,
    }


def cosigned_checkpoint_json(ledger: Any, row: CheckpointRow) -> dict[str, Any]:
    """:func:`checkpoint_json` with the witnesses' cosignature lines of the checkpoint
    (``cosignatures``: what ``verifier.py --witness --quorum`` checks)."""
    from ledger.witness_store import WitnessStore

    lines = [c.line for c in WitnessStore(ledger.storage).cosignatures(row.seq)]
    return {**checkpoint_json(row), "cosignatures": lines}


def public_key_json(ledger: Any) -> dict[str, str]:
    """The key that signs checkpoints: origin, vkey, PEM and fingerprint."""
    settings = ledger.settings
    verifier = trusted_verifiers(settings)[0]
    return {
        "origin": settings.ledger_origin,
        "vkey": verifier.vkey(),
        "fingerprint": verifier.fingerprint(),
        "pem": public_pem(verifier.public_key).decode(),
    }


def latest_checkpoint(ledger: Any) -> dict[str, Any] | None:
    """The latest signed checkpoint, or ``None`` before the first one."""
    row = SealStore(ledger.storage).latest_checkpoint()
    return None if row is None else cosigned_checkpoint_json(ledger, row)


def list_checkpoints(
    ledger: Any, after: int = 0, limit: int = 100
) -> list[dict[str, Any]]:
    """Checkpoints after number ``after``, oldest first (at most ``limit``)."""
    rows = SealStore(ledger.storage).checkpoints(after_seq=after, limit=limit)
    return [checkpoint_json(r) for r in rows]


def _known_nodes(store: SealStore) -> dict[Range, bytes]:
    """Subtree hashes kept with the checkpoints (each proof is checked anyway)."""
    nodes: dict[Range, bytes] = {}
    for row in store.checkpoints():
        try:
            nodes.update(CompactRange.from_bytes(row.tree_size, row.frontier).nodes())
        except ValueError:
            continue
    return nodes


def _proof(store: SealStore, ranges: list[Range]) -> list[bytes]:
    """The subtree hashes of ``ranges``, from checkpoints' nodes and seal rows."""
    try:
        return range_hashes(ranges, store.iter_leaves, _known_nodes(store))
    except ValueError as exc:
        raise IntegrityBroken(f"{exc}; run `sdsi verify`") from None


def _signed(row: CheckpointRow, verifiers: list[NoteVerifier]) -> Checkpoint:
    try:
        return Checkpoint.parse(open_note(row.note, verifiers))
    except NoteError as exc:
        raise IntegrityBroken(
            f"checkpoint #{row.seq} does not verify ({exc}); run `sdsi verify`"
        ) from None


def _checkpoint_row(store: SealStore, seq: int | None) -> CheckpointRow:
    row = store.latest_checkpoint() if seq is None else store.checkpoint(seq)
    if row is None:
        raise ProofError(
            "there is no signed checkpoint yet"
            if seq is None
            else f"no checkpoint #{seq}"
        )
    return row


def inclusion_proof(
    ledger: Any, position: int, *, checkpoint: int | None = None
) -> dict[str, Any]:
    """Inclusion proof of the event at ``position`` in checkpoint ``checkpoint``.

    The latest checkpoint by default. The answer carries the event itself, its leaf
    record, the audit path and the signed checkpoint, so it verifies on its own.
    """
    store = SealStore(ledger.storage)
    row = _checkpoint_row(store, checkpoint)
    if not 1 <= position <= row.tree_size:
        raise ProofError(
            f"position {position} is not in checkpoint #{row.seq} "
            f"(positions 1..{row.tree_size})"
        )
    signed = _signed(row, trusted_verifiers(ledger.settings))
    seal = store.seals(position - 1, 1)[0]
    stored = ledger.recorder.select_events(
        UUID(seal.originator_id),
        gt=seal.originator_version - 1,
        lte=seal.originator_version,
        limit=1,
    )
    if not stored:
        raise IntegrityBroken(
            f"the event sealed at position {position} is no longer stored; "
            "run `sdsi verify`"
        )
    event = stored[0]
    try:
        record = leaf_record(
            position,
            event.originator_id,
            event.originator_version,
            event.topic,
            event.state,
        )
        leaf = hash_leaf(canonical(record))
    except LeafError as exc:
        raise IntegrityBroken(
            f"the event at position {position}: {exc}; run `sdsi verify`"
        ) from None
    proof = _proof(store, inclusion_ranges(position - 1, row.tree_size))
    if leaf != seal.leaf or not verify_inclusion(
        position - 1, row.tree_size, leaf, proof, signed.root
    ):
        raise IntegrityBroken(
            f"the event at position {position} no longer matches checkpoint "
            f"#{row.seq}; run `sdsi verify`"
        )
    return {
        "type": "inclusion",
        "log": signed.origin,
        "position": position,
        "leaf_index": position - 1,
        "tree_size": row.tree_size,
        "leaf_hash": leaf.hex(),
        "proof": [node.hex() for node in proof],
        "event": {
            "position": position,
            "originator_id": record["originator_id"],
            "originator_version": record["originator_version"],
            "topic": event.topic,
            "state": base64.b64encode(event.state).decode(),
        },
        "record": record,
        "checkpoint": cosigned_checkpoint_json(ledger, row),
    }


def consistency_proof(
    ledger: Any, first: int, second: int | None = None
) -> dict[str, Any]:
    """Consistency proof between the checkpoints of tree sizes ``first`` and ``second``.

    ``second`` defaults to the latest checkpoint's size.
    """
    store = SealStore(ledger.storage)
    rows: list[CheckpointRow] = []
    for size in (first, second):
        row = (
            _checkpoint_row(store, None)
            if size is None
            else store.checkpoint_at_size(size)
        )
        if row is None:
            raise ProofError(f"there is no checkpoint at tree size {size}")
        rows.append(row)
    old, new = rows
    if old.tree_size > new.tree_size:
        raise ProofError(
            f"tree size {old.tree_size} is after tree size {new.tree_size}"
        )
    verifiers = trusted_verifiers(ledger.settings)
    old_signed, new_signed = _signed(old, verifiers), _signed(new, verifiers)
    proof = _proof(store, consistency_ranges(old.tree_size, new.tree_size))
    if not verify_consistency(
        old.tree_size, new.tree_size, old_signed.root, new_signed.root, proof
    ):
        raise IntegrityBroken(
            f"checkpoints #{old.seq} and #{new.seq} are not consistent with the stored "
            "seals; run `sdsi verify`"
        )
    return {
        "type": "consistency",
        "log": new_signed.origin,
        "first": checkpoint_json(old),
        "second": cosigned_checkpoint_json(ledger, new),
        "proof": [node.hex() for node in proof],
    }


def checkpoint_consistency(
    ledger: Any, first_seq: int, second_seq: int | None = None
) -> dict[str, Any]:
    """:func:`consistency_proof` between checkpoints given by number."""
    store = SealStore(ledger.storage)
    first = _checkpoint_row(store, first_seq)
    second = _checkpoint_row(store, second_seq)
    return consistency_proof(ledger, first.tree_size, second.tree_size)
