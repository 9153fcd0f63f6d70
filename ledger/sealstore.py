"""SQL for the seal and checkpoint tables, on SQLite and PostgreSQL alike.

``seals`` holds one row per sealed event — its gap-free position, notification id,
identity and leaf hash — and is also the sealer's tracking: its primary key (position)
and unique notification id make a second sealing of an event impossible. ``checkpoints``
holds every signed checkpoint verbatim, with the compact range at its size (so sealing
and ``sdsi verify --from-checkpoint`` resume without reading older leaves) and the
consistency proof from the previous checkpoint.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from ledger.merkle import HASH_SIZE
from ledger.storage import LedgerStorage

Identity = tuple[str, int]  # (canonical originator id, originator version)


@dataclass(frozen=True)
class SealRow:
    """One sealed event: its position, notification id, identity and leaf hash."""

    position: int
    notification_id: int
    originator_id: str
    originator_version: int
    leaf: bytes

    @property
    def identity(self) -> Identity:
        return (self.originator_id, self.originator_version)


@dataclass(frozen=True)
class CheckpointRow:
    """A stored checkpoint: the signed note and what resuming from it needs."""

    seq: int
    tree_size: int
    root: bytes
    issued_at: str
    reason: str
    note: str
    frontier: bytes
    consistency_proof: tuple[bytes, ...]


@dataclass(frozen=True)
class OutsideRow:
    """An event row outside the log: its id (<= 0) and what it holds."""

    notification_id: int | None
    originator_id: str
    originator_version: int
    topic: str
    state: bytes

    def describe(self) -> str:
        return (
            f"event {self.originator_id} version {self.originator_version}"
            f" ({self.topic}) is stored with id {self.notification_id},"
            " outside the log"
        )


@dataclass(frozen=True)
class LogRow:
    """One row of the log as ``ledger.logrows`` checks it (from the database or a
    bundle): its position, id, aggregate id as stored and version."""

    position: int
    originator_id: Any  # as stored: text on SQLite, a UUID on PostgreSQL
    version: Any
    notification_id: int | None = None  # None in a bundle


def split_hashes(blob: bytes) -> tuple[bytes, ...]:
    """Concatenated 32-byte hashes, split."""
    blob = bytes(blob)
    return tuple(blob[i : i + HASH_SIZE] for i in range(0, len(blob), HASH_SIZE))


class SealStore:
    """Reads and writes of the seal and checkpoint tables."""

    def __init__(self, storage: LedgerStorage) -> None:
        self.storage = storage
        self._sql = storage.sql

    # --- helpers ---------------------------------------------------------------------

    def _rows(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        with self.storage.cursor() as c:
            c.execute(self._sql(statement), tuple(params))
            return list(c.fetchall())

    def _db_id(self, originator_id: str) -> Any:
        return UUID(originator_id) if self.storage.is_postgres else originator_id

    def _event_db_id(self, originator_id: str) -> Any:
        uuid = UUID(originator_id)
        return uuid if self.storage.is_postgres else uuid.hex

    @staticmethod
    def _seal(row: Any) -> SealRow:
        return SealRow(
            int(row["position"]),
            int(row["notification_id"]),
            str(row["originator_id"]),
            int(row["originator_version"]),
            bytes(row["leaf"]),
        )

    @staticmethod
    def _checkpoint(row: Any) -> CheckpointRow:
        return CheckpointRow(
            seq=int(row["seq"]),
            tree_size=int(row["tree_size"]),
            root=bytes(row["root"]),
            issued_at=str(row["issued_at"]),
            reason=str(row["reason"]),
            note=str(row["note"]),
            frontier=bytes(row["frontier"]),
            consistency_proof=split_hashes(row["consistency_proof"]),
        )

    # --- seals -----------------------------------------------------------------------

    def head(self) -> tuple[int, int]:
        """(position, notification id) of the last sealed event; (0, 0) if none."""
        rows = self._rows(
            "SELECT position, notification_id FROM {t:seals}"
            " ORDER BY position DESC LIMIT 1"
        )
        if not rows:
            return (0, 0)
        return (int(rows[0]["position"]), int(rows[0]["notification_id"]))

    def seals(self, after: int, limit: int, upto: int | None = None) -> list[SealRow]:
        """Up to ``limit`` seal rows after position ``after`` (and up to ``upto``)."""
        stop = "" if upto is None else " AND position <= ?"
        params: list[Any] = [after] if upto is None else [after, upto]
        rows = self._rows(
            "SELECT position, notification_id, originator_id, originator_version, leaf"
            f" FROM {{t:seals}} WHERE position > ?{stop} ORDER BY position LIMIT ?",
            [*params, limit],
        )
        return [self._seal(r) for r in rows]

    def iter_seals(
        self, after: int = 0, upto: int | None = None, page: int = 2000
    ) -> Iterator[SealRow]:
        """Every seal row after ``after`` (up to ``upto``), in order, read by pages."""
        while True:
            batch = self.seals(after, page, upto)
            yield from batch
            if len(batch) < page:
                return
            after = batch[-1].position

    def iter_leaves(self, after: int, upto: int, page: int = 5000) -> Iterator[bytes]:
        """Leaf hashes of positions ``after+1 .. upto``."""
        while after < upto:
            rows = self._rows(
                "SELECT position, leaf FROM {t:seals}"
                " WHERE position > ? AND position <= ?"
                " ORDER BY position LIMIT ?",
                (after, upto, page),
            )
            if not rows:
                return
            for row in rows:
                yield bytes(row["leaf"])
            after = int(rows[-1]["position"])

    def sealed_position(self, identity: Identity) -> int | None:
        """Where the event ``identity`` was sealed, if it was."""
        rows = self._rows(
            "SELECT position FROM {t:seals}"
            " WHERE originator_id = ? AND originator_version = ?",
            (self._db_id(identity[0]), identity[1]),
        )
        return int(rows[0]["position"]) if rows else None

    def seals_of(self, originator_id: str, before: int) -> list[SealRow]:
        """The seal rows of one aggregate's events sealed before position
        ``before``, by version (evidence files)."""
        rows = self._rows(
            "SELECT position, notification_id, originator_id, originator_version, leaf"
            " FROM {t:seals} WHERE originator_id = ? AND position < ?"
            " ORDER BY originator_version",
            (self._db_id(originator_id), before),
        )
        return [self._seal(r) for r in rows]

    # --- events ----------------------------------------------------------------------

    def event_present(self, identity: Identity) -> bool:
        """Whether the log (ids > 0) holds the event ``identity``."""
        rows = self._rows(
            "SELECT originator_version FROM {events}"
            " WHERE originator_id = ? AND originator_version = ?"
            f" AND {self.storage.position_column} > 0",
            (self._event_db_id(identity[0]), identity[1]),
        )
        return bool(rows)

    def notification_id_at(self, position: int) -> int | None:
        """Notification id of the event at ``position`` (counted, not read in seals)."""
        if position <= 0:
            return 0
        column = self.storage.position_column
        rows = self._rows(
            f"SELECT {column} AS nid FROM {{events}} WHERE {column} > 0"
            f" ORDER BY {column} LIMIT 1 OFFSET ?",
            (position - 1,),
        )
        return int(rows[0]["nid"]) if rows else None

    def events_outside_log(self, offset: int = 0, limit: int = 100) -> list[OutsideRow]:
        """Event rows the log does not hold (id <= 0), by id.

        The log — what sealing, verification, bundles and the views read — is the rows
        with ids > 0 in id order; the guards of ``ledger.migrations`` refuse any other
        id, but a database older than them, or whose owner removed them, may hold some.
        """
        column = self.storage.position_column
        rows = self._rows(
            f"SELECT {column} AS nid, originator_id, originator_version, topic, state"
            f" FROM {{events}} WHERE {column} IS NULL OR {column} <= 0"
            f" ORDER BY {column} NULLS FIRST, originator_id, originator_version"
            " LIMIT ? OFFSET ?",
            (limit, offset),
        )
        return [
            OutsideRow(
                None if r["nid"] is None else int(r["nid"]),
                str(UUID(str(r["originator_id"]))),
                int(r["originator_version"]),
                str(r["topic"]),
                bytes(r["state"]),
            )
            for r in rows
        ]

    def iter_outside_log(self, page: int = 1000) -> Iterator[OutsideRow]:
        """Every row of :meth:`events_outside_log`, read by pages."""
        offset = 0
        while True:
            batch = self.events_outside_log(offset, page)
            yield from batch
            if len(batch) < page:
                return
            offset += page

    def count_outside_log(self) -> int:
        column = self.storage.position_column
        rows = self._rows(
            f"SELECT count(*) AS n FROM {{events}}"
            f" WHERE {column} IS NULL OR {column} <= 0"
        )
        return int(rows[0]["n"])

    def iter_log_rows(self, page: int = 5000) -> Iterator[LogRow]:
        """Position, id, aggregate id (as stored) and version of every event of the
        log, in order, read by pages (``ledger.logrows``)."""
        column = self.storage.position_column
        after, position = 0, 0
        while True:
            rows = self._rows(
                f"SELECT {column} AS nid, originator_id, originator_version"
                f" FROM {{events}} WHERE {column} > ? ORDER BY {column} LIMIT ?",
                (after, page),
            )
            for r in rows:
                position += 1
                yield LogRow(
                    position,
                    r["originator_id"],
                    r["originator_version"],
                    int(r["nid"]),
                )
            if len(rows) < page:
                return
            after = int(rows[-1]["nid"])

    def issued_ids(self) -> int | None:
        """PostgreSQL: the last id the event sequence issued (0 if none yet); None on
        SQLite, whose ids are the last one + 1."""
        if not self.storage.is_postgres:
            return None
        rows = self._rows(
            "SELECT COALESCE(pg_sequence_last_value(pg_get_serial_sequence(?,"
            " 'notification_id')), 0) AS issued",
            (self.storage.events_table,),
        )
        return int(rows[0]["issued"])

    def non_canonical_ids(self, first: int, last: int) -> dict[int, str]:
        """SQLite: the rows with ids ``first..last`` whose aggregate id is not stored
        as the recorder writes it (32 lower-case hex digits), id → stored text.
        PostgreSQL stores ``uuid`` values: none."""
        if self.storage.is_postgres:
            return {}
        rows = self._rows(
            "SELECT rowid AS nid, originator_id FROM {events}"
            " WHERE rowid >= ? AND rowid <= ? AND (typeof(originator_id) <> 'text'"
            " OR length(originator_id) <> 32 OR originator_id GLOB '*[^0-9a-f]*')",
            (first, last),
        )
        return {int(r["nid"]): str(r["originator_id"]) for r in rows}

    def count_events_after(self, notification_id: int) -> int:
        return int(self.storage.count_events_after(notification_id))

    def progress(self, notification_id: int) -> tuple[int, int, int]:
        """In one statement: the events recorded after ``notification_id``, the last
        sealed position and the last checkpoint's number (0 when none)."""
        rows = self._rows(
            f"SELECT ({self.storage.pending_events_sql}) AS pending,"
            " (SELECT COALESCE(MAX(position), 0) FROM {t:seals}) AS sealed,"
            " (SELECT COALESCE(MAX(seq), 0) FROM {t:checkpoints}) AS seq",
            (notification_id,),
        )
        row = rows[0]
        return int(row["pending"]), int(row["sealed"]), int(row["seq"])

    # --- checkpoints -----------------------------------------------------------------

    _CHECKPOINT_COLUMNS = (
        "seq, tree_size, root, issued_at, reason, note, frontier, consistency_proof"
    )

    def checkpoints(
        self, after_seq: int = 0, limit: int | None = None
    ) -> list[CheckpointRow]:
        """Stored checkpoints after ``after_seq``, in order."""
        tail = "" if limit is None else f" LIMIT {int(limit)}"
        rows = self._rows(
            f"SELECT {self._CHECKPOINT_COLUMNS} FROM {{t:checkpoints}}"
            f" WHERE seq > ? ORDER BY seq{tail}",
            (after_seq,),
        )
        return [self._checkpoint(r) for r in rows]

    def latest_checkpoint(self) -> CheckpointRow | None:
        rows = self._rows(
            f"SELECT {self._CHECKPOINT_COLUMNS} FROM {{t:checkpoints}}"
            " ORDER BY seq DESC LIMIT 1"
        )
        return self._checkpoint(rows[0]) if rows else None

    def checkpoint(self, seq: int) -> CheckpointRow | None:
        rows = self._rows(
            f"SELECT {self._CHECKPOINT_COLUMNS} FROM {{t:checkpoints}} WHERE seq = ?",
            (seq,),
        )
        return self._checkpoint(rows[0]) if rows else None

    def checkpoint_at_size(self, tree_size: int) -> CheckpointRow | None:
        rows = self._rows(
            f"SELECT {self._CHECKPOINT_COLUMNS} FROM {{t:checkpoints}}"
            " WHERE tree_size = ?",
            (tree_size,),
        )
        return self._checkpoint(rows[0]) if rows else None

    def first_checkpoint_covering(self, position: int) -> CheckpointRow | None:
        """The first checkpoint whose tree includes ``position`` (evidence files)."""
        rows = self._rows(
            f"SELECT {self._CHECKPOINT_COLUMNS} FROM {{t:checkpoints}}"
            " WHERE tree_size >= ? ORDER BY seq LIMIT 1",
            (position,),
        )
        return self._checkpoint(rows[0]) if rows else None

    def last_checkpoint_seq(self) -> int:
        rows = self._rows("SELECT max(seq) AS seq FROM {t:checkpoints}")
        return int(rows[0]["seq"] or 0) if rows else 0

    # --- writing ---------------------------------------------------------------------

    def insert(
        self, seals: Sequence[SealRow], checkpoints: Sequence[CheckpointRow]
    ) -> None:
        """Seal rows and checkpoints in one transaction (all or nothing)."""
        with self.storage.cursor(commit=True) as c:
            self.write(c, seals, checkpoints)

    def write(
        self, c: Any, seals: Sequence[SealRow], checkpoints: Sequence[CheckpointRow]
    ) -> None:
        """The inserts of :meth:`insert`, on an open transaction's cursor."""
        if seals:
            c.executemany(
                self._sql(
                    "INSERT INTO {t:seals} (position, notification_id, originator_id,"
                    " originator_version, leaf) VALUES (?, ?, ?, ?, ?)"
                ),
                [
                    (
                        s.position,
                        s.notification_id,
                        self._db_id(s.originator_id),
                        s.originator_version,
                        s.leaf,
                    )
                    for s in seals
                ],
            )
        for cp in checkpoints:
            c.execute(
                self._sql(
                    f"INSERT INTO {{t:checkpoints}} ({self._CHECKPOINT_COLUMNS})"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                ),
                (
                    cp.seq,
                    cp.tree_size,
                    cp.root,
                    cp.issued_at,
                    cp.reason,
                    cp.note,
                    cp.frontier,
                    b"".join(cp.consistency_proof),
                ),
            )

    def is_empty(self) -> bool:
        """No event, seal or checkpoint stored yet."""
        column = self.storage.position_column
        for statement in (
            f"SELECT {column} AS x FROM {{events}} LIMIT 1",
            "SELECT position AS x FROM {t:seals} LIMIT 1",
            "SELECT seq AS x FROM {t:checkpoints} LIMIT 1",
        ):
            if self._rows(statement):
                return False
        return True
