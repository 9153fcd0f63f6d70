"""The checks shared by `sdsi verify` and bundle verification.

Trust comes only from the signatures: the seal rows tell where each event was sealed
(to name what went wrong), the signed checkpoints tell what the tree was.
:func:`check_checkpoints` checks signatures, rows and the consistency chain;
:func:`check_log` streams events and seals side by side, recomputing leaves into a
compact range, comparing roots at every checkpoint's size and classifying the first
difference (altered, missing, inserted, reordered). Memory stays flat.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from ledger.merkle import EMPTY_ROOT, CompactRange, verify_consistency
from ledger.notes import Checkpoint, NoteError, NoteVerifier, open_note
from ledger.sealstore import CheckpointRow, Identity, SealRow

ALTERED = "altered"
MISSING = "missing"
INSERTED = "inserted"
REORDERED = "reordered"
BAD_SIGNATURE = "bad signature"
INCONSISTENT = "inconsistent checkpoint"
OUTSIDE = "outside the log"
OUTSIDE_LISTED = 100  # rows outside the log named one by one; the rest are counted


@dataclass(frozen=True)
class Problem:
    """One integrity failure: what, where (first position, or a range) and why."""

    kind: str
    position: int
    detail: str
    last: int | None = None
    checkpoint: int | None = None
    # A row outside the log has no position (0): its stored id names it.
    notification_id: int | None = None

    def where(self) -> str:
        if self.kind == OUTSIDE:
            return f"row id {self.notification_id}"
        if self.last is None or self.last == self.position:
            return f"position {self.position}"
        return f"positions {self.position}..{self.last}"

    def describe(self) -> str:
        return f"{self.where()}: {self.kind} — {self.detail}"

    def to_json(self) -> dict[str, Any]:
        out = {
            "kind": self.kind,
            "position": self.position,
            "last": self.last,
            "checkpoint": self.checkpoint,
            "detail": self.detail,
        }
        if self.kind == OUTSIDE:
            out["notification_id"] = self.notification_id
        return out


@dataclass(frozen=True)
class TrustedCheckpoint:
    """A checkpoint whose signature verified: its size and root are the log's word."""

    seq: int | None
    tree_size: int
    root: bytes
    label: str
    issued_at: str = ""


@dataclass(frozen=True)
class EventItem:
    """A stored event as verification sees it: identity and recomputed leaf."""

    position: int
    identity: Identity | None
    leaf: bytes | None
    error: str | None = None


class Lookups(Protocol):
    """Where an event was sealed, and whether it is still stored (for diagnosis)."""

    def sealed_position(self, identity: Identity) -> int | None: ...

    def event_present(self, identity: Identity) -> bool: ...


@dataclass
class Report:
    """What a verification found; ``ok`` when there is no problem."""

    start: int = 0
    checked: int = 0
    sealed: int = 0
    root: bytes = EMPTY_ROOT
    unsealed: int = 0
    checkpoints: int = 0
    latest: TrustedCheckpoint | None = None
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        return min(self.problems, key=lambda p: p.position) if self.problems else None

    def to_json(self) -> dict[str, Any]:
        latest = self.latest
        return {
            "ok": self.ok,
            "tree_size": self.sealed,
            "root": self.root.hex(),
            "from_position": self.start,
            "checked": self.checked,
            "unsealed": self.unsealed,
            "checkpoints": self.checkpoints,
            "latest_checkpoint": None
            if latest is None
            else {
                "seq": latest.seq,
                "tree_size": latest.tree_size,
                "root": latest.root.hex(),
                "issued_at": latest.issued_at,
            },
            "seconds": round(self.seconds, 3),
            "first_problem": None if self.first is None else self.first.to_json(),
            "problems": [p.to_json() for p in sorted(self.problems, key=_order)],
        }

    def lines(self) -> list[str]:
        """A human summary, success or failure."""
        first = self.first
        if first is not None:
            return [
                f"LEDGER INTEGRITY BROKEN: first bad {first.where()} ({first.kind})",
                *(f"  {p.describe()}" for p in sorted(self.problems, key=_order)),
            ]
        start = f" (from position {self.start + 1})" if self.start else ""
        out = [
            f"ledger intact: {self.sealed} events sealed{start},"
            f" tree size {self.sealed}",
            f"root: {self.root.hex()}",
        ]
        if self.latest is None:
            out.append("no signed checkpoint yet (run `sdsi seal --checkpoint`)")
        else:
            out.append(
                f"checkpoints: {self.checkpoints} signed, the latest "
                f"#{self.latest.seq} at tree size {self.latest.tree_size}"
                + (
                    f" (issued {self.latest.issued_at})"
                    if self.latest.issued_at
                    else ""
                )
            )
        if self.unsealed:
            plural = "s" if self.unsealed > 1 else ""
            out.append(
                f"{self.unsealed} event{plural} not sealed yet (run `sdsi seal`)"
            )
        out.append(f"verified in {self.seconds:.2f} s")
        return out


def _order(problem: Problem) -> int:
    # By position only, keeping the order they were found in: the first listed is
    # ``Report.first``, as in verifier.py.
    return problem.position


# --- checkpoints -------------------------------------------------------------------


def vouched(covered: int, size: int) -> tuple[int, int | None]:
    """The positions a stored checkpoint of ``size`` vouches for beyond the sizes
    before it (``covered``): the new ones; all of its tree if it adds none (a row
    whose size was tampered with). Never an empty range."""
    first = covered + 1 if size > covered else 1
    return first, (size if size >= first else None)


def check_checkpoints(
    rows: Iterable[CheckpointRow], verifiers: list[NoteVerifier], origin: str
) -> tuple[list[TrustedCheckpoint], list[Problem]]:
    """Signatures, rows and the consistency chain of stored checkpoints, in order."""
    trusted: list[TrustedCheckpoint] = []
    problems: list[Problem] = []
    covered = 0  # tree size the previous row claimed
    previous: TrustedCheckpoint | None = None
    for row in rows:
        label = f"checkpoint #{row.seq} (tree size {row.tree_size})"
        first, last = vouched(covered, row.tree_size)
        covered = max(covered, row.tree_size)
        kind, detail = _checkpoint_problem(row, label, previous, verifiers, origin)
        if kind is not None:
            problems.append(Problem(kind, first, detail, last, row.seq))
        if kind == BAD_SIGNATURE:
            continue
        signed = Checkpoint.parse(open_note(row.note, verifiers))
        previous = TrustedCheckpoint(
            row.seq, signed.tree_size, signed.root, label, row.issued_at
        )
        trusted.append(previous)
    return trusted, problems


def _checkpoint_problem(
    row: CheckpointRow,
    label: str,
    previous: TrustedCheckpoint | None,
    verifiers: list[NoteVerifier],
    origin: str,
) -> tuple[str | None, str]:
    """What is wrong with one stored checkpoint, if anything: (kind, detail)."""
    try:
        signed = Checkpoint.parse(open_note(row.note, verifiers))
    except NoteError as exc:
        return BAD_SIGNATURE, f"{label}: {exc}"
    if signed.origin != origin:
        return BAD_SIGNATURE, f"{label} is signed for the log {signed.origin!r}"
    if (signed.tree_size, signed.root) != (row.tree_size, row.root):
        return INCONSISTENT, f"{label}: the stored row differs from its signed note"
    if previous is not None and not verify_consistency(
        previous.tree_size,
        signed.tree_size,
        previous.root,
        signed.root,
        row.consistency_proof,
    ):
        return INCONSISTENT, (
            f"{label} is not proven consistent with {previous.label}: the history "
            "it signs is not an extension of the previous one"
        )
    return None, ""


def check_known(
    notes: Iterable[tuple[str, str]], verifiers: list[NoteVerifier], origin: str
) -> tuple[list[TrustedCheckpoint], list[Problem]]:
    """Checkpoints an auditor obtained earlier: ``(label, signed note)`` pairs."""
    trusted: list[TrustedCheckpoint] = []
    problems: list[Problem] = []
    for label, note in notes:
        try:
            signed = Checkpoint.parse(open_note(note, verifiers))
        except NoteError as exc:
            problems.append(Problem(BAD_SIGNATURE, 1, f"{label}: {exc}"))
            continue
        if signed.origin != origin:
            problems.append(
                Problem(BAD_SIGNATURE, 1, f"{label} is for {signed.origin!r}")
            )
            continue
        trusted.append(TrustedCheckpoint(None, signed.tree_size, signed.root, label))
    return trusted, problems


# --- rows outside the log ------------------------------------------------------------


class OutsideLike(Protocol):
    """A stored row outside the log, as the database or a bundle gives it."""

    notification_id: int | None

    def describe(self) -> str: ...


def outside_problems(rows: Iterable[OutsideLike], total: int) -> list[Problem]:
    """One problem per row outside the log (the first :data:`OUTSIDE_LISTED`), then
    one for the rest: no row of the event table goes unaccounted for."""
    problems = []
    for row in rows:
        if len(problems) == OUTSIDE_LISTED:
            break
        problems.append(
            Problem(
                OUTSIDE,
                0,
                row.describe()
                + ": sealing, bundles and the views never read it; the write side"
                " refuses to load its aggregate",
                notification_id=row.notification_id,
            )
        )
    if total > len(problems):
        problems.append(
            Problem(
                OUTSIDE,
                0,
                f"and {total - len(problems)} more rows outside the log",
                notification_id=problems[-1].notification_id if problems else None,
            )
        )
    return problems


# --- the log ---------------------------------------------------------------------


def _short(identity: Identity | None) -> str:
    if identity is None:
        return "an unreadable event"
    return f"event {identity[0]} version {identity[1]}"


def classify(
    position: int, event: EventItem, seal: SealRow, lookups: Lookups
) -> Problem:
    """Why the event at ``position`` differs from the seal there."""
    if event.identity is None or event.identity == seal.identity:
        why = (
            f"cannot be read ({event.error})"
            if event.error
            else (
                "differs from what was sealed"
                " (its topic, state, context or time changed)"
            )
        )
        return Problem(ALTERED, position, f"{_short(seal.identity)} {why}")
    sealed_at = lookups.sealed_position(event.identity)
    present = lookups.event_present(seal.identity)
    if sealed_at is None and present:
        return Problem(
            INSERTED,
            position,
            (
                f"{_short(event.identity)} was never sealed, yet stands before sealed "
                f"events ({_short(seal.identity)}, sealed here, now comes later)"
            ),
        )
    if sealed_at is None:
        return Problem(
            ALTERED,
            position,
            (
                f"{_short(seal.identity)} was replaced by {_short(event.identity)}, "
                "which was never sealed"
            ),
        )
    if not present:
        return Problem(
            MISSING,
            position,
            (f"{_short(seal.identity)}, sealed here, is no longer stored"),
        )
    return Problem(
        REORDERED,
        position,
        (
            f"{_short(event.identity)} was sealed at position {sealed_at}, not here; "
            f"{_short(seal.identity)} was sealed here"
        ),
    )


def check_log(
    events: Iterator[EventItem],
    seals: Iterator[SealRow],
    trusted: list[TrustedCheckpoint],
    start: CompactRange,
    lookups: Lookups,
    report: Report,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Stream events and seals from ``start``; record problems in ``report``."""
    pending = sorted(
        (t for t in trusted if t.tree_size > start.size), key=lambda t: t.tree_size
    )
    frontier = start.copy()
    # The last size at which a checkpoint matched the events, per kind: stored
    # checkpoints (seq set) are proven consistent with each other, so a stored one that
    # does not match points after the last stored match; a kept one (an auditor's
    # file) is linked to the others by nothing but the events, so it narrows the
    # range only by the kept ones that matched (a rewrite re-signed with the key makes
    # the stored ones match, and proves nothing about where the kept tree differs).
    matched = {True: start.size, False: 0}
    roots_broken = False
    event, seal_row = next(events, None), next(seals, None)
    report.sealed = start.size
    report.root = frontier.root()
    position = start.size
    broken = False
    while event is not None or seal_row is not None:
        position += 1
        seal = (
            seal_row if seal_row is not None and seal_row.position == position else None
        )
        covered = bool(pending)  # a signed checkpoint covers this position
        problem: Problem | None = None
        if event is None:
            problem = Problem(
                MISSING,
                position,
                (
                    f"{_short(seal.identity)}, sealed here, is no longer stored"
                    if seal is not None
                    else "the event sealed here is no longer stored"
                )
                + " (the end of the log was cut)",
            )
        elif seal is None and (seal_row is not None or covered):
            problem = Problem(
                MISSING,
                position,
                "the seal row of this position is missing"
                + (" although a signed checkpoint covers it" if covered else ""),
            )
        elif seal is None:  # beyond the sealed head and every checkpoint
            report.unsealed = 1 + sum(1 for _ in events)
            break
        elif event.leaf != seal.leaf:
            problem = classify(position, event, seal, lookups)
        if problem is not None:
            report.problems.append(problem)
            broken = True
            break
        leaf = event.leaf if event is not None else None
        if leaf is None:  # excluded by the checks above
            break
        frontier.append(leaf)
        report.checked += 1
        report.sealed = position
        before = dict(matched)  # matches at smaller sizes only
        while pending and pending[0].tree_size == position:
            checkpoint = pending.pop(0)
            stored = checkpoint.seq is not None
            if roots_broken:
                continue
            if frontier.root() == checkpoint.root:
                matched[stored] = position
                continue
            roots_broken = True
            report.problems.append(
                Problem(
                    ALTERED,
                    before[stored] + 1,
                    (
                        "the events agree with their seals, but "
                        f"{checkpoint.label} signed "
                        "another root: an event in this range was altered and re-sealed"
                    ),
                    position,
                    checkpoint.seq,
                )
            )
        if progress is not None and report.checked % 1000 == 0:
            progress(1000)
        event = next(events, None)
        seal_row = next(seals, None)
        if seal_row is None:
            report.root = frontier.root()
    if not broken and pending:
        checkpoint = pending[0]
        report.problems.append(
            Problem(
                MISSING,
                position + 1,
                (
                    f"{checkpoint.label} covers {checkpoint.tree_size} events but only "
                    f"{position} are stored (the end of the log was cut)"
                ),
                checkpoint.tree_size,
                checkpoint.seq,
            )
        )
