"""After an erasure: the destroyed key and the replaced plain text leave the
database files too, as far as the backend allows (``docs/privacy.md``).

- SQLite: ``VACUUM`` rewrites the file without its free pages (where the old key row
  and the replaced command results lay), then ``wal_checkpoint(TRUNCATE)`` empties the
  write-ahead log, which held the key in its frames.
- PostgreSQL: ``VACUUM FULL`` of the key table, the command records and the mail
  outbox rewrites them into new files (their dead tuples are not copied). The old
  files are unlinked, not overwritten; the key and plain text also stay in the WAL
  segments and in base backups until they are recycled: the operator's retention of
  those decides when the erasure is complete on disk.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg

from ledger.migrations import OUTBOX_TABLE
from ledger.personal_keys import TABLE as KEYS_TABLE

TABLES = (KEYS_TABLE, "commands", OUTBOX_TABLE)


def secure_delete(ledger: Any) -> list[str]:
    """Compact the ledger's tables touched by an erasure; what was done, per line."""
    db = ledger.settings.database
    if db.is_postgres:
        storage = ledger.storage
        names = ", ".join(storage.table(t) for t in TABLES)
        try:
            with psycopg.connect(**db.libpq_kwargs(), autocommit=True) as conn:  # type: ignore[arg-type]
                conn.execute(f"VACUUM FULL {names}")
        except psycopg.Error as exc:
            return [
                f"VACUUM FULL impossible ({str(exc).strip()}) : à lancer par le"
                " propriétaire des tables"
            ]
        return [f"VACUUM FULL {names}"]
    conn = sqlite3.connect(db.sqlite_path, isolation_level=None, timeout=30)
    try:
        conn.execute("VACUUM")
        busy, _log, _done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        conn.close()
    wal = "WAL tronqué" if not busy else "WAL non tronqué (lecteurs actifs)"
    return [f"{db.sqlite_path}: VACUUM, {wal}"]
