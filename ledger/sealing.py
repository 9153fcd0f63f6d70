"""Sealing: every event, in log order, becomes a leaf of the ledger's Merkle tree.

The :class:`Sealer` follows the event log (``ledger.log``: gap-free positions, reading
"notification id greater than the last sealed", which never skips an event committed
late), computes each event's leaf (``ledger.leaf``) and writes the seal rows of a whole
batch — and the checkpoints issued within it — in one transaction. The seal table is
its own tracking: a position or event sealed twice violates a key and rolls the batch
back, so several sealers (the follower process, web workers) may run at once.

A checkpoint is signed when an event closing a COPIL session is sealed, when
``checkpoint_every_events`` events were sealed since the last one, and when
``checkpoint_every_seconds`` passed with events not yet covered. Each new checkpoint's
consistency with the previous one is proved and checked before it is stored.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.persistence import IntegrityError, OperationalError

from ledger.errors import SealingError
from ledger.keys import load_signing_key
from ledger.leaf import LeafError, canonical_id, leaf_hash_of
from ledger.log import Cursor, read_batch
from ledger.merkle import CompactRange, consistency_proof_from, verify_consistency
from ledger.notes import (
    Checkpoint,
    NoteError,
    NoteVerifier,
    open_note,
    sign_note,
    trusted_verifiers,
)
from ledger.sealstore import CheckpointRow, Identity, SealRow, SealStore

SESSION_CLOSED_TOPIC = "domain.sessions:Session.Closed"
MAX_CONFLICTS = 50
__all__ = ["SESSION_CLOSED_TOPIC", "Sealer", "SealingError"]


class _Conflict(Exception):
    """Another sealer wrote first; reload and try again."""


@dataclass
class _Tree:
    """What the sealer knows: the sealed head and the last checkpoint."""

    position: int
    notification_id: int
    frontier: CompactRange
    checkpoint: CheckpointRow | None
    checkpoint_frontier: CompactRange
    tail: list[bytes]  # leaves sealed after the last checkpoint
    tail_since: float = field(default_factory=time.monotonic)

    @property
    def checkpoint_size(self) -> int:
        return self.checkpoint.tree_size if self.checkpoint else 0

    @property
    def last_seq(self) -> int:
        return self.checkpoint.seq if self.checkpoint else 0


class Sealer:
    """Seals new events into the Merkle tree and signs checkpoints, exactly once."""

    def __init__(
        self,
        ledger: Any,
        *,
        page: int = 1000,
        every_events: int | None = None,
        every_seconds: float | None = None,
        clock: Callable[[], datetime] | None = None,
        signing_key: Ed25519PrivateKey | None = None,
        verifiers: list[NoteVerifier] | None = None,
    ) -> None:
        settings = ledger.settings
        self.ledger = ledger
        self.settings = settings
        self.store = SealStore(ledger.storage)
        self.origin: str = settings.ledger_origin
        self.page = page
        self.every_events = every_events or settings.checkpoint_every_events
        self.every_seconds = (
            settings.checkpoint_every_seconds
            if every_seconds is None
            else every_seconds
        )
        self.clock = clock or (lambda: datetime.now(UTC))
        self._key = signing_key
        self._verifiers = verifiers
        self._tree: _Tree | None = None
        # (position, notification id, why) of an event found unsealable while writing:
        # the next batch seals what precedes it, then stops there (``_seal_batch``).
        self._refused: tuple[int, int, str] | None = None

    @property
    def key(self) -> Ed25519PrivateKey:
        if self._key is None:
            self._key = load_signing_key(self.settings)
        return self._key

    @property
    def verifiers(self) -> list[NoteVerifier]:
        if self._verifiers is None:
            self._verifiers = trusted_verifiers(self.settings)
        return self._verifiers

    @property
    def tree_size(self) -> int:
        """Number of events sealed (as last seen by this sealer)."""
        return self._sync().position

    @property
    def latest_checkpoint(self) -> CheckpointRow | None:
        return self._sync().checkpoint

    # --- public API ------------------------------------------------------------------

    def run_once(self, progress: Callable[[int], None] | None = None) -> int:
        """Seal every event up to the head of the log; return how many were sealed."""
        total = 0
        while True:
            sealed = self._retrying(self._seal_batch)
            total += sealed
            if progress is not None:
                progress(sealed)
            if sealed < self.page:
                break
        tree = self._sync()
        if self._time_due(tree):
            self._retrying(lambda: self._checkpoint_now("every-seconds"))
        return total

    def follow(self, stop: threading.Event, poll_interval: float = 1.0) -> None:
        """Seal until ``stop`` is set; an error stops the loop and propagates."""
        while not stop.is_set():
            if self.run_once() == 0:
                stop.wait(poll_interval)

    def checkpoint_now(self, reason: str = "manual") -> CheckpointRow | None:
        """Seal up to the head and sign a checkpoint there (unless one exists)."""
        self.run_once()
        self._retrying(lambda: self._checkpoint_now(reason))
        return self._sync().checkpoint

    # --- hooks (the bundle import replays the checkpoints of the bundle) --------------

    def _reason(self, position: int, topic: str, checkpoint_size: int) -> str | None:
        """Why a checkpoint is due right after sealing ``position``, if it is."""
        if topic == SESSION_CLOSED_TOPIC:
            return "session-closed"
        if position - checkpoint_size >= self.every_events:
            return "every-events"
        return None

    def _time_due(self, tree: _Tree) -> bool:
        if not tree.tail:
            return False
        if tree.checkpoint is None:
            return time.monotonic() - tree.tail_since >= self.every_seconds
        issued = datetime.fromisoformat(tree.checkpoint.issued_at)
        return (self.clock() - issued).total_seconds() >= self.every_seconds

    def _signed(self, size: int, root: bytes, reason: str) -> tuple[str, str, str]:
        """(signed note, issued at, reason) of the new checkpoint."""
        note = sign_note(
            Checkpoint(self.origin, size, root).text(), self.origin, self.key
        )
        try:
            open_note(note, self.verifiers)
        except NoteError as exc:
            raise SealingError(
                f"the signing key {self.settings.signing_key_file} does not match the "
                f"trusted public key {self.settings.public_key_file}: {exc}"
            ) from None
        issued = self.clock().astimezone(UTC).isoformat(timespec="seconds")
        return note, issued, reason

    # --- internals -------------------------------------------------------------------

    def _retrying(self, step: Callable[[], int | None]) -> int:
        for _ in range(MAX_CONFLICTS):
            try:
                return int(step() or 0)
            except _Conflict:
                self._tree = None
                time.sleep(0.005)
        raise SealingError(
            f"gave up after {MAX_CONFLICTS} conflicts with other sealers or writers"
        )

    def _seal_batch(self) -> int:
        tree = self._sync()
        entries = read_batch(
            self.ledger.recorder, Cursor(tree.position, tree.notification_id), self.page
        )
        if not entries:
            return 0
        frontier = tree.frontier.copy()
        tail = list(tree.tail)
        checkpoint, checkpoint_frontier = tree.checkpoint, tree.checkpoint_frontier
        seals: list[SealRow] = []
        issued: list[CheckpointRow] = []
        failure: SealingError | None = None
        issued_ids = self.store.issued_ids()  # after the read: covers every id read
        odd = self.store.non_canonical_ids(
            entries[0].notification_id, entries[-1].notification_id
        )
        batch: dict[Identity, int] = {}
        for entry in entries:
            n = entry.notification
            why = self._unaccountable(entry, issued_ids, batch, odd)
            try:
                leaf = leaf_hash_of(
                    entry.position,
                    n.originator_id,
                    n.originator_version,
                    n.topic,
                    n.state,
                )
                identity = canonical_id(n.originator_id)
            except LeafError as exc:
                why = why or str(exc)
            if why is not None:
                # Seal what precedes the event, then stop and name it.
                failure = SealingError(
                    f"cannot seal the event at position {entry.position} (notification "
                    f"id {entry.notification_id}, {n.originator_id} version "
                    f"{n.originator_version}, {n.topic}): {why}; run `sdsi verify`"
                )
                break
            batch[(identity, int(n.originator_version))] = entry.position
            frontier.append(leaf)
            tail.append(leaf)
            seals.append(
                SealRow(
                    entry.position,
                    entry.notification_id,
                    identity,
                    int(n.originator_version),
                    leaf,
                )
            )
            size = checkpoint.tree_size if checkpoint else 0
            reason = self._reason(entry.position, n.topic, size)
            if reason:
                row = self._new_checkpoint(
                    checkpoint, checkpoint_frontier, tail, frontier, reason
                )
                issued.append(row)
                checkpoint, checkpoint_frontier, tail = row, frontier.copy(), []
        if seals:
            self._write(seals, issued)
            last = seals[-1]
            since = tree.tail_since if tree.tail and tail else time.monotonic()
            self._tree = _Tree(
                last.position,
                last.notification_id,
                frontier,
                checkpoint,
                checkpoint_frontier,
                tail,
                since,
            )
        if failure is not None:
            raise failure
        return len(seals)

    def _unaccountable(
        self,
        entry: Any,
        issued_ids: int | None,
        batch: dict[Identity, int],
        odd: dict[int, str],
    ) -> str | None:
        """Why the event of ``entry`` cannot be sealed, if it cannot: an id its
        sequence never issued (sealed, it would hide the events given smaller ids
        after it), an aggregate id stored in another form than the recorder's (the
        write side does not see it), an event already sealed or met in this batch (a
        duplicate version: the seals' key refuses it), one refused when the batch was
        written. The guards of ``ledger.migrations`` refuse all of these."""
        if self._refused is not None and self._refused[:2] == (
            entry.position,
            entry.notification_id,
        ):
            return self._refused[2]
        if entry.notification_id in odd:
            return (
                f"its aggregate id is stored as {odd[entry.notification_id]!r}, not as"
                " the 32 lower-case hex digits the write side looks up"
            )
        if issued_ids is not None and entry.notification_id > issued_ids:
            return (
                f"its id was never issued by the event sequence (the last issued is"
                f" {issued_ids})"
            )
        n = entry.notification
        try:
            identity = (canonical_id(n.originator_id), int(n.originator_version))
        except (LeafError, TypeError, ValueError):
            return None  # the leaf says why
        earlier = batch.get(identity)
        if earlier is not None:
            return f"a duplicate version: this version is also at position {earlier}"
        return None

    def _duplicate(self, seals: list[SealRow]) -> tuple[int, int, str] | None:
        """The first of ``seals`` whose event is already sealed elsewhere."""
        for seal in seals:
            earlier = self.store.sealed_position(seal.identity)
            if earlier is not None and earlier != seal.position:
                return (
                    seal.position,
                    seal.notification_id,
                    (
                        f"a duplicate version: this version is already sealed at"
                        f" position {earlier}"
                    ),
                )
        return None

    def _checkpoint_now(self, reason: str) -> int:
        tree = self._sync()
        if not tree.tail:
            return 0
        row = self._new_checkpoint(
            tree.checkpoint, tree.checkpoint_frontier, tree.tail, tree.frontier, reason
        )
        self._write([], [row])
        self._tree = _Tree(
            tree.position,
            tree.notification_id,
            tree.frontier,
            row,
            tree.frontier.copy(),
            [],
        )
        return 0

    def _new_checkpoint(
        self,
        previous: CheckpointRow | None,
        previous_frontier: CompactRange,
        tail: list[bytes],
        frontier: CompactRange,
        reason: str,
    ) -> CheckpointRow:
        size, root = frontier.size, frontier.root()
        proof: list[bytes] = []
        if previous is not None:
            proof = consistency_proof_from(previous_frontier, tail)
            if not verify_consistency(
                previous.tree_size, size, previous.root, root, proof
            ):
                raise SealingError(
                    f"refusing to sign a checkpoint at tree size {size}: it would not "
                    f"be consistent with checkpoint #{previous.seq} "
                    f"(tree size {previous.tree_size}); run `sdsi verify`"
                )
        note, issued_at, reason = self._signed(size, root, reason)
        return CheckpointRow(
            seq=(previous.seq if previous else 0) + 1,
            tree_size=size,
            root=root,
            issued_at=issued_at,
            reason=reason,
            note=note,
            frontier=frontier.to_bytes(),
            consistency_proof=tuple(proof),
        )

    def _write(self, seals: list[SealRow], checkpoints: list[CheckpointRow]) -> None:
        try:
            self.store.insert(seals, checkpoints)
        except (IntegrityError, OperationalError) as exc:
            # A concurrent sealer sealed these positions (or held the lock) first —
            # unless nobody moved the head: then an event is sealed already.
            if (
                isinstance(exc, IntegrityError)
                and seals
                and self.store.head()[0] < seals[0].position
            ):
                self._refused = self._duplicate(seals) or self._refused
            raise _Conflict(str(exc)) from exc

    def _sync(self) -> _Tree:
        """The sealer's state, reloaded if another sealer moved the seals on."""
        tree = self._tree
        if tree is not None:
            position, nid = self.store.head()
            if (position, nid) == (
                tree.position,
                tree.notification_id,
            ) and self.store.last_checkpoint_seq() == tree.last_seq:
                return tree
        self._tree = self._load()
        return self._tree

    def _load(self) -> _Tree:
        checkpoint = self.store.latest_checkpoint()  # before the head: never beyond it
        frontier = CompactRange()
        if checkpoint is not None:
            frontier = self._trusted_frontier(checkpoint)
        position, nid = self.store.head()
        if position < frontier.size:
            raise SealingError(
                f"checkpoint #{checkpoint.seq if checkpoint else 0} covers "
                f"{frontier.size} events but only {position} are sealed; "
                "run `sdsi verify`"
            )
        tail = list(self.store.iter_leaves(frontier.size, position))
        if len(tail) != position - frontier.size:
            raise SealingError(
                f"seal rows are missing between positions {frontier.size + 1} and "
                f"{position}; run `sdsi verify`"
            )
        current = frontier.copy()
        current.extend(tail)
        return _Tree(position, nid, current, checkpoint, frontier, tail)

    def _trusted_frontier(self, checkpoint: CheckpointRow) -> CompactRange:
        """The stored compact range of ``checkpoint``, checked with its signed root."""
        problem = None
        try:
            signed = Checkpoint.parse(open_note(checkpoint.note, self.verifiers))
            frontier = CompactRange.from_bytes(
                checkpoint.tree_size, checkpoint.frontier
            )
        except (NoteError, ValueError) as exc:
            problem = str(exc)
        else:
            if (signed.origin, signed.tree_size) != (self.origin, checkpoint.tree_size):
                problem = "its signed origin or size differ from the stored row"
            elif not signed.root == checkpoint.root == frontier.root():
                problem = "its stored root or compact range differ from the signed root"
        if problem:
            raise SealingError(
                f"refusing to extend checkpoint #{checkpoint.seq} (tree size "
                f"{checkpoint.tree_size}): {problem}; run `sdsi verify`"
            )
        return frontier
