"""Loading a bundle into an empty ledger (``sdsi ledger import``).

The bundle is verified first, with the keys this deployment trusts (plus the bundle's,
if the operator says so); its events are then inserted in order, sealed, and its
checkpoints stored verbatim at their sizes: seals and checkpoints come out identical.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from ledger.bundle import (
    EVENTS,
    Bundle,
    BundleError,
    BundleInvalid,
    BundleReport,
    Progress,
    verify_bundle,
)
from ledger.notes import NoteVerifier, trust_key, trusted_verifiers
from ledger.sealing import Sealer, SealingError
from ledger.sealstore import CheckpointRow, SealStore


@dataclass(frozen=True)
class ImportResult:
    """What an import loaded."""

    events: int
    sealed: int
    checkpoints: int
    report: BundleReport


class _ImportSealer(Sealer):
    """Seals imported events, storing the bundle's own checkpoints at their sizes."""

    def __init__(
        self,
        ledger: Any,
        checkpoints: list[CheckpointRow],
        verifiers: list[NoteVerifier],
    ) -> None:
        super().__init__(ledger, page=2000, verifiers=verifiers)
        self._bundle_checkpoints = {row.tree_size: row for row in checkpoints}

    def _reason(self, position: int, topic: str, checkpoint_size: int) -> str | None:
        return "import" if position in self._bundle_checkpoints else None

    def _time_due(self, tree: Any) -> bool:
        return False

    def _signed(self, size: int, root: bytes, reason: str) -> tuple[str, str, str]:
        row = self._bundle_checkpoints[size]
        if row.root != root:
            raise SealingError(
                f"imported checkpoint #{row.seq} does not match the events"
            )
        return row.note, row.issued_at, row.reason


def import_bundle(
    ledger: Any,
    path: Path,
    *,
    trust_bundle_key: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Verify the bundle at ``path``, then load it into this (empty) ledger."""
    settings = ledger.settings
    bundle = Bundle(path)
    try:
        origin = bundle.manifest.get("origin")
        if origin != settings.ledger_origin:
            raise BundleError(
                f"the bundle is the log {origin!r}, this ledger is "
                f"{settings.ledger_origin!r}: set SDSI_LEDGER_ORIGIN={origin}"
            )
        verifiers = trusted_verifiers(settings)
        signers = [
            NoteVerifier(settings.ledger_origin, k) for k in bundle.public_keys()
        ]
        new = [s for s in signers if s not in verifiers]
        if new and not trust_bundle_key:
            raise BundleError(
                f"the bundle is signed by key {new[0].fingerprint()[:16]}, which this "
                "deployment does not trust: use its signing key (SDSI_SIGNING_KEY), "
                "or pass --trust-key after checking the fingerprint"
            )
        verifiers = [*verifiers, *new]
        report = verify_bundle(bundle, verifiers)
        if not report.ok:
            raise BundleInvalid(
                "the bundle does not verify: " + "; ".join(report.lines()[:2])
            )
        store = SealStore(ledger.storage)
        if not store.is_empty():
            raise BundleError(
                "the ledger database is not empty: import needs a fresh one"
            )
        for signer in new:
            trust_key(settings, signer.public_key)
        count = 0
        batch: list[StoredEvent] = []
        for e in bundle.lines(EVENTS):
            batch.append(
                StoredEvent(
                    originator_id=UUID(e["originator_id"]),
                    originator_version=int(e["originator_version"]),
                    topic=e["topic"],
                    state=base64.b64decode(e["state"]),
                )
            )
            if len(batch) == 2000:
                ledger.recorder.insert_events(batch)
                count += len(batch)
                batch = []
                if progress:
                    progress(2000)
        if batch:
            ledger.recorder.insert_events(batch)
            count += len(batch)
        checkpoints = bundle.checkpoints()
        sealer = _ImportSealer(ledger, checkpoints, verifiers)
        sealed = sealer.run_once()
        latest = sealer.latest_checkpoint
        if len(checkpoints) != (latest.seq if latest else 0):
            raise BundleError("the bundle's checkpoints could not all be stored")
        return ImportResult(count, sealed, len(checkpoints), report)
    finally:
        bundle.close()
