"""SQL on the witnesses' tables (schema version 10): the cosignatures received
(``witness_cosignatures``) and where the delivery to each witness stands
(``witness_deliveries``). The worker that fills them: :mod:`ledger.witness_push`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ledger.storage import LedgerStorage


@dataclass(frozen=True)
class Delivery:
    """Where the delivery to one witness stands."""

    witness: str
    url: str
    known_size: int = 0
    status: str = "pending"  # pending | ok | failing
    attempts: int = 0
    next_attempt_at: float = 0.0
    last_error: str = ""
    last_attempt_at: float | None = None
    last_success_at: float | None = None


@dataclass(frozen=True)
class Cosignature:
    witness: str
    seq: int
    tree_size: int
    line: str
    timestamp: int
    received_at: float


class WitnessStore:
    """SQL on ``witness_cosignatures`` and ``witness_deliveries`` (schema 10)."""

    _DELIVERY = (
        "witness, url, known_size, status, attempts, next_attempt_at, last_error,"
        " last_attempt_at, last_success_at"
    )
    _COSIGNATURE = "witness, seq, tree_size, line, timestamp, received_at"

    def __init__(self, storage: LedgerStorage) -> None:
        self.storage = storage

    def delivery(self, witness: str, url: str) -> Delivery:
        row = self.storage.fetchone(
            f"SELECT {self._DELIVERY} FROM {{t:witness_deliveries}} WHERE witness = ?",
            (witness,),
        )
        return Delivery(witness, url) if row is None else _delivery(row)

    def deliveries(self) -> dict[str, Delivery]:
        rows = self.storage.fetchall(
            f"SELECT {self._DELIVERY} FROM {{t:witness_deliveries}}"
        )
        return {str(r[0]): _delivery(r) for r in rows}

    def save(self, d: Delivery, cosignatures: list[Cosignature] = ()) -> None:  # type: ignore[assignment]
        """The delivery's new state and the cosignatures received, in one transaction."""
        sql = self.storage.sql
        with self.storage.cursor(commit=True) as c:
            for cs in cosignatures:
                c.execute(
                    sql(
                        f"INSERT INTO {{t:witness_cosignatures}} ({self._COSIGNATURE})"
                        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (witness, seq) DO NOTHING"
                    ),
                    (
                        cs.witness,
                        cs.seq,
                        cs.tree_size,
                        cs.line,
                        cs.timestamp,
                        cs.received_at,
                    ),
                )
            c.execute(
                sql(
                    f"INSERT INTO {{t:witness_deliveries}} ({self._DELIVERY})"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (witness) DO UPDATE"
                    " SET url = EXCLUDED.url, known_size = EXCLUDED.known_size,"
                    " status = EXCLUDED.status, attempts = EXCLUDED.attempts,"
                    " next_attempt_at = EXCLUDED.next_attempt_at,"
                    " last_error = EXCLUDED.last_error,"
                    " last_attempt_at = EXCLUDED.last_attempt_at,"
                    " last_success_at = EXCLUDED.last_success_at"
                ),
                (
                    d.witness,
                    d.url,
                    d.known_size,
                    d.status,
                    d.attempts,
                    d.next_attempt_at,
                    d.last_error,
                    d.last_attempt_at,
                    d.last_success_at,
                ),
            )

    def cosignatures(self, seq: int) -> list[Cosignature]:
        rows = self.storage.fetchall(
            f"SELECT {self._COSIGNATURE} FROM {{t:witness_cosignatures}}"
            " WHERE seq = ? ORDER BY witness",
            (seq,),
        )
        return [_cosignature(r) for r in rows]

    def latest(self) -> dict[str, Cosignature]:
        """Each witness's cosignature of the largest tree."""
        rows = self.storage.fetchall(
            f"SELECT {self._COSIGNATURE} FROM {{t:witness_cosignatures}}"
            " ORDER BY witness, seq"
        )
        return {str(r[0]): _cosignature(r) for r in rows}

    def mark(self) -> tuple[Any, ...]:
        """Changes whenever a cosignature arrives or a delivery is attempted."""
        a = self.storage.fetchone(
            "SELECT count(*), max(received_at) FROM {t:witness_cosignatures}"
        )
        b = self.storage.fetchone(
            "SELECT max(last_attempt_at), sum(attempts) FROM {t:witness_deliveries}"
        )
        return (*(a or ()), *(b or ()))

    def iter_all(self) -> Iterator[Cosignature]:
        rows = self.storage.fetchall(
            f"SELECT {self._COSIGNATURE} FROM {{t:witness_cosignatures}}"
            " ORDER BY seq, witness"
        )
        return (_cosignature(r) for r in rows)


def _delivery(r: Any) -> Delivery:
    return Delivery(
        str(r[0]),
        str(r[1]),
        int(r[2]),
        str(r[3]),
        int(r[4]),
        float(r[5]),
        str(r[6]),
        None if r[7] is None else float(r[7]),
        None if r[8] is None else float(r[8]),
    )


def _cosignature(r: Any) -> Cosignature:
    return Cosignature(
        str(r[0]), int(r[1]), int(r[2]), str(r[3]), int(r[4]), float(r[5])
    )
