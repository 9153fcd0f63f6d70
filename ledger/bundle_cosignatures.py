"""A bundle's witness cosignatures (``cosignatures.jsonl``, optional) put back into
the ledger's ``witness_cosignatures`` by ``sdsi ledger import``.

Each line names the witness, the checkpoint (``seq``, ``tree_size``) and the
cosignature line; bundles written since this change also carry ``timestamp`` and
``received_at``, older ones do not (the time is then read from the cosignature
itself, and the import time stands for its reception). A line is refused — and with
it the whole import — if its checkpoint is not in the bundle or has another size, if
it is not a cosignature line of that witness, or, for a witness this deployment
configures (``SDSI_WITNESSES``), if its signature does not verify; a witness not
configured here is kept as the bundle says (the verifier and ``sdsi verify`` check
it against the keys they are given).
"""

from __future__ import annotations

import struct
import time
from typing import Any

from ledger.bundle import COSIGNATURES, BundleInvalid
from ledger.cosignature import parse_line
from ledger.sealstore import CheckpointRow
from ledger.witness_store import Cosignature


def bundle_cosignatures(
    ledger: Any, bundle: Any, checkpoints: list[CheckpointRow]
) -> list[Cosignature]:
    """The bundle's cosignatures, checked (nothing if the bundle has none)."""
    if COSIGNATURES not in bundle.manifest.get("files", {}):
        return []
    by_seq = {c.seq: c for c in checkpoints}
    keys = {w.name: w.cosigner for w in ledger.settings.witnesses}
    now = time.time()
    out = []
    for number, row in enumerate(bundle.lines(COSIGNATURES), 1):
        where = f"{COSIGNATURES} line {number}"
        try:
            witness, seq = str(row["witness"]), int(row["seq"])
            size, line = int(row["tree_size"]), str(row["line"])
        except (KeyError, TypeError, ValueError) as exc:
            raise BundleInvalid(f"{where} is malformed: {exc}") from None
        checkpoint = by_seq.get(seq)
        if checkpoint is None or checkpoint.tree_size != size:
            raise BundleInvalid(f"{where}: no checkpoint {seq} of size {size}")
        parsed = parse_line(line)
        if parsed is None or parsed[0] != witness or len(parsed[1]) != 4 + 8 + 64:
            raise BundleInvalid(f"{where}: not a cosignature line of {witness}")
        (timestamp,) = struct.unpack(">Q", parsed[1][4:12])
        if witness in keys:
            text = checkpoint.note[: checkpoint.note.rindex("\n\n") + 1]
            if keys[witness].timestamp_of(line, text) is None:
                raise BundleInvalid(
                    f"{where}: the cosignature of {witness} does not verify with"
                    " the key this deployment configures for it"
                )
        received = row.get("received_at")
        out.append(
            Cosignature(
                witness,
                seq,
                size,
                line,
                timestamp,
                float(received) if isinstance(received, int | float) else now,
            )
        )
    return out


def store_cosignatures(cursor: Any, storage: Any, found: list[Cosignature]) -> None:
    """Insert them with ``cursor`` (the import's transaction)."""
    for cs in found:
        cursor.execute(
            storage.sql(
                "INSERT INTO {t:witness_cosignatures}"
                " (witness, seq, tree_size, line, timestamp, received_at)"
                " VALUES (?, ?, ?, ?, ?, ?)"
            ),
            (cs.witness, cs.seq, cs.tree_size, cs.line, cs.timestamp, cs.received_at),
        )
