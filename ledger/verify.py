"""`sdsi verify`: recompute every leaf, the tree, every checkpoint and their chain.

Trust comes only from the signatures: the seal table tells where each event was sealed
(to name what went wrong), the signed checkpoints tell what the tree was. Checks:

1. every stored checkpoint is signed by a trusted key for this log's origin, matches
   its row, and is proven consistent with the previous one (stored proof);
2. the event log is read in pages, in order; each event's leaf is recomputed and
   compared with its seal row — the first difference is classified (altered, missing,
   inserted, reordered) — and appended to a compact range;
3. at each checkpoint's size the recomputed root must equal the signed root (an event
   altered *and* re-sealed shows up here), and no checkpoint may cover more events
   than the log holds;
4. every row of the event table is accounted for: the log is the rows with ids > 0,
   and any other row is reported by originator and version (the write side refuses
   to load them, nothing else reads them);
5. what the seals cannot see (``ledger.logrows``), on the whole log whatever the
   starting checkpoint: each id was issued in turn, each aggregate id is stored in
   its one form, each aggregate's versions follow each other.

Memory stays flat: one page of events and seals, and the compact range — plus, for
step 5, the last version of each aggregate.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ledger.checks import (
    INCONSISTENT,
    MISSING,
    EventItem,
    Problem,
    Report,
    TrustedCheckpoint,
    check_checkpoints,
    check_known,
    check_log,
    outside_problems,
)
from ledger.leaf import LeafError, canonical_id, leaf_hash_of
from ledger.log import Cursor, read_log
from ledger.logrows import listed, row_problems
from ledger.merkle import CompactRange
from ledger.notes import trusted_verifiers
from ledger.sealstore import CheckpointRow, SealStore


class VerifyUsageError(ValueError):
    """A verification that cannot start (e.g. an unknown checkpoint number)."""


# --- the ledger database -----------------------------------------------------------


def ledger_events(
    recorder: Any, after: Cursor, page: int = 1000
) -> Iterator[EventItem]:
    """The stored events after ``after``, with their recomputed leaves."""
    for batch in read_log(recorder, after, page):
        for entry in batch:
            n = entry.notification
            try:
                identity = (canonical_id(n.originator_id), int(n.originator_version))
            except LeafError:
                yield EventItem(
                    entry.position, None, None, "its originator id is not a UUID"
                )
                continue
            try:
                leaf = leaf_hash_of(
                    entry.position,
                    n.originator_id,
                    n.originator_version,
                    n.topic,
                    n.state,
                )
            except LeafError as exc:
                yield EventItem(entry.position, identity, None, str(exc))
                continue
            yield EventItem(entry.position, identity, leaf)


def verify_ledger(
    ledger: Any,
    *,
    from_checkpoint: int | None = None,
    known: Iterable[tuple[str, str]] = (),
    page: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Verify the ledger's events, seals and checkpoints (see module docstring)."""
    started = time.perf_counter()
    settings = ledger.settings
    store = SealStore(ledger.storage)
    verifiers = trusted_verifiers(settings)
    rows = store.checkpoints()
    trusted, problems = check_checkpoints(rows, verifiers, settings.ledger_origin)
    external, more = check_known(known, verifiers, settings.ledger_origin)
    problems += more
    problems += check_frontiers(rows, trusted, from_checkpoint)
    start = CompactRange()
    if from_checkpoint is not None:
        start = _starting_point(store, trusted, from_checkpoint)
    nid = store.notification_id_at(start.size)
    report = Report(start=start.size, checkpoints=len(trusted))
    report.latest = max(trusted, key=lambda t: t.seq or 0) if trusted else None
    if nid is None:
        stored = store.count_events_after(0)
        problems.append(
            Problem(
                MISSING,
                stored + 1,
                (
                    f"checkpoint #{from_checkpoint} covers {start.size} events"
                    " but only "
                    f"{stored} are stored"
                ),
            )
        )
    else:
        check_log(
            ledger_events(ledger.recorder, Cursor(start.size, nid), page),
            store.iter_seals(after=start.size, page=page),
            [*trusted, *external],
            start,
            store,
            report,
            progress,
        )
    outside = outside_problems(store.iter_outside_log(), store.count_outside_log())
    rows = listed(
        row_problems(
            store.iter_log_rows(),
            sqlite=not ledger.storage.is_postgres,
            issued=store.issued_ids if ledger.storage.is_postgres else None,
        )
    )
    report.problems = outside + problems + report.problems + rows
    report.seconds = time.perf_counter() - started
    return report


def check_frontiers(
    rows: Iterable[CheckpointRow],
    trusted: list[TrustedCheckpoint],
    from_checkpoint: int | None = None,
) -> list[Problem]:
    """Every stored compact range must give its checkpoint's signed root.

    Sealing resumes from the latest one and ``--from-checkpoint N`` from checkpoint
    ``N``: a full verification checks them all, so that both modes report the same.
    """
    signed = {t.seq: t for t in trusted if t.seq is not None}
    problems = []
    for row in rows:
        checkpoint = signed.get(row.seq)
        if checkpoint is None or (row.tree_size, row.root) != (
            checkpoint.tree_size,
            checkpoint.root,
        ):
            continue  # a bad signature or a row unlike its note: reported already
        try:
            ok = (
                CompactRange.from_bytes(row.tree_size, row.frontier).root()
                == checkpoint.root
            )
        except ValueError:
            ok = False
        if not ok:
            problems.append(
                Problem(
                    INCONSISTENT,
                    1,
                    f"checkpoint #{row.seq}: its stored compact range does not match"
                    " its signed root"
                    + (
                        "; verifying from the first event instead"
                        if row.seq == from_checkpoint
                        else ""
                    ),
                    row.tree_size or None,
                    row.seq,
                )
            )
    return problems


def _starting_point(
    store: SealStore, trusted: list[TrustedCheckpoint], seq: int
) -> CompactRange:
    """The compact range of checkpoint ``seq``, or the empty one (verify from the
    first event) when it is not signed or its stored range is wrong — each reported
    by the checks of every checkpoint."""
    row = store.checkpoint(seq)
    if row is None:
        raise VerifyUsageError(f"there is no checkpoint #{seq}")
    signed = next((t for t in trusted if t.seq == seq), None)
    if signed is None or (row.tree_size, row.root) != (signed.tree_size, signed.root):
        return CompactRange()
    try:
        frontier = CompactRange.from_bytes(row.tree_size, row.frontier)
    except ValueError:
        return CompactRange()
    return frontier if frontier.root() == signed.root else CompactRange()
