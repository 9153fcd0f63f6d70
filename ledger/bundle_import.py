"""Loading a bundle into an empty ledger (``sdsi ledger import``).

The bundle is verified first, with the keys this deployment trusts (plus the bundle's,
if the operator says so); its events are then inserted in order, sealed, and its
checkpoints stored verbatim at their sizes: seals and checkpoints come out identical.

All of it in **one transaction**: a bundle that fails half-way — a row the guards
refuse, an event that no longer gives its sealed leaf (the files changed after they
were verified), a checkpoint that does not match — leaves the database exactly as it
was (no event, seal or checkpoint), and the deployment's trusted keys too.
"""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import PersistenceError

from ledger.attachment_store import hash_stream
from ledger.bundle import (
    ATTACHMENTS_DIR,
    EVENTS,
    Bundle,
    BundleError,
    BundleInvalid,
    BundleReport,
    Progress,
    verify_bundle,
)
from ledger.bundle_cosignatures import bundle_cosignatures, store_cosignatures
from ledger.errors import SealingError
from ledger.leaf import LeafError, canonical_id, leaf_hash_of
from ledger.merkle import CompactRange
from ledger.notes import NoteVerifier, trust_key, trusted_verifiers
from ledger.outage import first_line, is_outage
from ledger.sealing import Sealer
from ledger.sealstore import CheckpointRow, SealRow, SealStore

BATCH = 2000


@dataclass(frozen=True)
class ImportResult:
    """What an import loaded."""

    events: int
    sealed: int
    checkpoints: int
    report: BundleReport
    attachments: int = 0  # attachment files put back in the store
    cosignatures: int = 0  # witness cosignatures put back (cosignatures.jsonl)


@dataclass(frozen=True)
class _Event:
    """One line of the bundle's events, decoded."""

    position: int
    originator_id: UUID
    version: int
    topic: str
    state: bytes


class _ImportSealer(Sealer):
    """Builds the seal rows of imported events, with the bundle's own checkpoints
    (each checked against the recomputed tree) at their sizes."""

    def __init__(
        self,
        ledger: Any,
        checkpoints: list[CheckpointRow],
        verifiers: list[NoteVerifier],
    ) -> None:
        super().__init__(ledger, page=BATCH, verifiers=verifiers)
        self._bundle_checkpoints = {row.tree_size: row for row in checkpoints}
        self.frontier = CompactRange()
        self.tail: list[bytes] = []
        self.checkpoint: CheckpointRow | None = None
        self.checkpoint_frontier = CompactRange()
        self.stored = 0

    def _signed(self, size: int, root: bytes, reason: str) -> tuple[str, str, str]:
        row = self._bundle_checkpoints[size]
        if row.root != root:
            raise SealingError(
                f"imported checkpoint #{row.seq} does not match the events"
            )
        return row.note, row.issued_at, row.reason

    def seal(
        self, event: _Event, notification_id: int, sealed: SealRow | None
    ) -> tuple[SealRow, CheckpointRow | None]:
        """The seal row of ``event``, and the bundle's checkpoint at its position;
        ``sealed``: the bundle's seal of that position (None beyond its seals)."""
        leaf = leaf_hash_of(
            event.position, event.originator_id, event.version, event.topic, event.state
        )
        if sealed is not None and (sealed.position, sealed.leaf) != (
            event.position,
            leaf,
        ):
            raise BundleInvalid(
                f"the event at position {event.position} no longer gives the leaf the"
                " bundle sealed (its files changed after they were verified)"
            )
        self.frontier.append(leaf)
        self.tail.append(leaf)
        row = SealRow(
            event.position,
            notification_id,
            canonical_id(event.originator_id),
            event.version,
            leaf,
        )
        if event.position not in self._bundle_checkpoints:
            return row, None
        checkpoint = self._new_checkpoint(
            self.checkpoint,
            self.checkpoint_frontier,
            self.tail,
            self.frontier,
            "import",
        )
        self.checkpoint, self.checkpoint_frontier = checkpoint, self.frontier.copy()
        self.tail = []
        self.stored += 1
        return row, checkpoint


def _events(bundle: Bundle) -> Iterator[_Event]:
    for position, e in enumerate(bundle.lines(EVENTS), start=1):
        try:
            yield _Event(
                position,
                UUID(str(e["originator_id"])),
                int(e["originator_version"]),
                str(e["topic"]),
                base64.b64decode(e["state"], validate=True),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BundleInvalid(
                f"{EVENTS} line {position} is malformed: {exc}"
            ) from None


def _insert(c: Any, ledger: Any, events: list[_Event], after: int) -> list[int]:
    """Insert ``events`` on the open transaction's cursor; their ids, in order."""
    storage = ledger.storage
    column = storage.position_column
    postgres = storage.is_postgres
    c.executemany(
        storage.sql(
            "INSERT INTO {events} (originator_id, originator_version, topic, state)"
            " VALUES (?, ?, ?, ?)"
        ),
        [
            (
                e.originator_id if postgres else e.originator_id.hex,
                e.version,
                e.topic,
                e.state,
            )
            for e in events
        ],
    )
    c.execute(
        storage.sql(
            f"SELECT {column} AS nid FROM {{events}} WHERE {column} > ?"
            f" ORDER BY {column} LIMIT ?"
        ),
        (after, len(events)),
    )
    ids = [int(row["nid"]) for row in c.fetchall()]
    if len(ids) != len(events):
        raise BundleError("the imported events could not all be read back")
    return ids


def _load(
    c: Any,
    ledger: Any,
    bundle: Bundle,
    sealer: _ImportSealer,
    progress: Progress | None,
) -> int:
    """Insert and seal every event of ``bundle`` on the transaction's cursor."""
    storage = ledger.storage
    store = SealStore(storage)
    if storage.is_postgres:  # ids in insertion order, as the recorder takes them
        c.execute(f"LOCK TABLE {storage.events_table} IN EXCLUSIVE MODE")
    c.execute(
        storage.sql(f"SELECT {storage.position_column} AS nid FROM {{events}} LIMIT 1")
    )
    if c.fetchall():
        raise BundleError("the ledger database is not empty: import needs a fresh one")
    sealed = bundle.seals()
    count, last_id = 0, 0
    batch: list[_Event] = []

    def flush() -> None:
        nonlocal count, last_id
        ids = _insert(c, ledger, batch, last_id)
        seals, checkpoints = [], []
        for event, nid in zip(batch, ids, strict=True):
            seal, checkpoint = sealer.seal(event, nid, next(sealed, None))
            seals.append(seal)
            if checkpoint is not None:
                checkpoints.append(checkpoint)
        store.write(c, seals, checkpoints)
        count += len(batch)
        last_id = ids[-1]
        if progress:
            progress(len(batch))
        batch.clear()

    for event in _events(bundle):
        batch.append(event)
        if len(batch) == BATCH:
            flush()
    if batch:
        flush()
    return count


def _restore_attachments(ledger: Any, bundle: Bundle) -> int:
    """Put the bundle's attachment files back in the store, each checked against
    its name first (a file that does not match refuses the import, nothing stored).
    Done before the events are loaded: the store is content-addressed, so a file
    put by an import that then fails is only an unreferenced copy, and importing
    again puts it once."""
    names = bundle.attachment_files()
    for sha256 in names:
        with bundle.open(ATTACHMENTS_DIR + sha256) as fh:
            if hash_stream(fh) != sha256:
                raise BundleInvalid(
                    f"attachment {sha256} of the bundle does not match its SHA-256;"
                    " nothing was imported"
                )
    store = ledger.attachment_store
    for sha256 in names:
        with bundle.open(ATTACHMENTS_DIR + sha256) as fh:
            if store.put(fh) != sha256:  # changed on disk in between
                raise BundleInvalid(
                    f"attachment {sha256} of the bundle changed while it was read"
                )
    return len(names)


def import_bundle(
    ledger: Any,
    path: Path,
    *,
    trust_bundle_key: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Verify the bundle at ``path``, then load it into this (empty) ledger, in one
    transaction (all or nothing)."""
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
        if not SealStore(ledger.storage).is_empty():
            raise BundleError(
                "the ledger database is not empty: import needs a fresh one"
            )
        checkpoints = bundle.checkpoints()
        cosignatures = bundle_cosignatures(ledger, bundle, checkpoints)
        files = _restore_attachments(ledger, bundle)
        sealer = _ImportSealer(ledger, checkpoints, verifiers)
        try:
            with ledger.storage.cursor(commit=True) as c:
                count = _load(c, ledger, bundle, sealer, progress)
                store_cosignatures(c, ledger.storage, cosignatures)
                if sealer.stored != len(checkpoints):
                    raise BundleError(
                        "the bundle's checkpoints could not all be stored"
                    )
        except LeafError as exc:
            raise BundleInvalid(
                f"an event of the bundle cannot be sealed: {exc}"
            ) from None
        except SealingError as exc:
            raise BundleInvalid(f"the bundle cannot be sealed: {exc}") from None
        except (PersistenceError, sqlite3.DatabaseError, psycopg.DatabaseError) as exc:
            if is_outage(exc):
                raise
            raise BundleInvalid(
                f"the database refused an event of the bundle ({first_line(exc)});"
                " nothing was imported"
            ) from None
        for signer in new:  # only once the import landed
            trust_key(settings, signer.public_key)
        return ImportResult(
            count, count, len(checkpoints), report, files, len(cosignatures)
        )
    finally:
        bundle.close()
