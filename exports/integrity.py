"""Adapter to the ledger's integrity records: checkpoints, key, full verification.

Exports read checkpoints (signed notes kept by the sealer, not events) through
``ledger.integrity``; two look-ups the ledger does not offer yet are written here on
top of its public ``list_checkpoints``: the checkpoint in force when an event was
sealed (the first whose tree contains it: for a session's closing event, the one the
sealer signed right after it), and the checkpoint in force at a past position.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ledger.integrity import list_checkpoints, public_key_json

PAGE = 500


def _all_checkpoints(ledger: Any) -> Iterator[dict[str, Any]]:
    after = 0
    while True:
        page = list_checkpoints(ledger, after, PAGE)
        yield from page
        if len(page) < PAGE:
            return
        after = page[-1]["seq"]


def checkpoint_covering(ledger: Any, position: int) -> dict[str, Any] | None:
    """The first signed checkpoint whose tree includes ``position``, if any yet."""
    for checkpoint in _all_checkpoints(ledger):
        if checkpoint["tree_size"] >= position:
            return checkpoint
    return None


def checkpoints_until(ledger: Any, position: int | None) -> list[dict[str, Any]]:
    """Every signed checkpoint covering no event after ``position`` (``None``: all),
    oldest first."""
    return [
        c
        for c in _all_checkpoints(ledger)
        if position is None or c["tree_size"] <= position
    ]


def checkpoint_at(ledger: Any, position: int) -> dict[str, Any] | None:
    """The latest signed checkpoint covering no event after ``position``."""
    found = None
    for checkpoint in _all_checkpoints(ledger):
        if checkpoint["tree_size"] > position:
            break
        found = checkpoint
    return found


def evidence_fingerprints(ledger: Any, positions: list[int]) -> dict[int, str]:
    """The evidence fingerprint (``ledger.evidence_file``) of each decision at
    ``positions`` that is sealed already (the others are left out)."""
    from ledger.evidence_file import evidence_fingerprint

    out = {}
    for position in positions:
        fingerprint = evidence_fingerprint(ledger, position)
        if fingerprint is not None:
            out[position] = fingerprint
    return out


@dataclass(frozen=True)
class SignedNote:
    """A C2SP signed checkpoint split into its parts."""

    origin: str
    tree_size: int
    root: str
    signatures: tuple[str, ...]
    text: str

    @property
    def signature(self) -> str:
        """The first signature: base64 of the key ID and the Ed25519 signature."""
        return self.signatures[0].rsplit(" ", 1)[-1] if self.signatures else ""

    @classmethod
    def parse(cls, note: str) -> SignedNote:
        body, _, sigs = note.partition("\n\n")
        lines = body.split("\n")
        return cls(
            origin=lines[0],
            tree_size=int(lines[1]),
            root=lines[2],
            signatures=tuple(s for s in sigs.split("\n") if s),
            text=note,
        )


def key_info(ledger: Any) -> dict[str, str]:
    """Origin, vkey, PEM and SHA-256 fingerprint of the checkpoint-signing key."""
    return public_key_json(ledger)


@dataclass(frozen=True)
class Verification:
    """A full verification: when it ran and the ledger's report (``ok``, sizes, …)."""

    started_at: datetime
    report: Any

    @property
    def ok(self) -> bool:
        return bool(self.report.ok)

    def to_json(self) -> dict[str, Any]:
        return {"started_at": self.started_at.isoformat(), **self.report.to_json()}


def verify(ledger: Any) -> Verification:
    """Run ``sdsi verify``'s full verification (every event, seal and checkpoint)."""
    from ledger.verify import verify_ledger

    started = datetime.now(UTC)
    return Verification(started, verify_ledger(ledger))
