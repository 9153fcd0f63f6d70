"""Sending the ledger's checkpoints to its witnesses, and keeping their cosignatures.

For each witness of ``SDSI_WITNESSES`` the worker sends the latest signed checkpoint
with a consistency proof from the size the witness last cosigned (``known_size`` in
``witness_deliveries``; 0 at first). A 409 answer gives the size the witness really
holds: the worker takes it and sends again with a proof from there (once; a size no
checkpoint of this ledger has is reported: it means someone showed the witness
another tree under this origin). A 200 answer's cosignature lines are verified against
the witness's configured key and stored in ``witness_cosignatures``. An unreachable
witness, or any other answer, is retried later with a growing delay (10 s doubling
up to an hour), and shown as failing on the audit page.

Only the latest checkpoint is sent: a witness only ever moves forward, and its
cosignature of the latest tree vouches for every earlier one it extends.
Run by ``sdsi witness push`` and by ``sdsi projections follow`` after each sealing.
"""

from __future__ import annotations

import base64
import http.client
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ledger.cosignature import quorum_of
from ledger.notes import NoteError, parse_size
from ledger.sealstore import CheckpointRow, SealStore
from ledger.witness_config import WitnessConfig
from ledger.witness_store import Cosignature, Delivery, WitnessStore

BACKOFF_FIRST, BACKOFF_CAP = 10.0, 3600.0
TIMEOUT = 10.0
SIZE_TYPE = "text/x.tlog.size"


@dataclass(frozen=True)
class PushResult:
    label: str
    outcome: str  # cosigned | up to date | waiting | failing | no checkpoint
    detail: str = ""


def request_body(old: int, proof: list[bytes], note: str) -> bytes:
    """An add-checkpoint body: ``old N``, the proof lines, a blank line, the note."""
    lines = [f"old {old}", *(base64.b64encode(node).decode() for node in proof)]
    return ("\n".join(lines) + "\n\n" + note).encode("utf-8")


def post(url: str, body: bytes, timeout: float = TIMEOUT) -> tuple[int, str, str]:
    """(status, content type, text) of a POST; OSError when unreachable."""
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "text/plain"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return (
                response.status,
                response.headers.get("Content-Type", ""),
                response.read(65536).decode("utf-8", "replace"),
            )
    except urllib.error.HTTPError as exc:
        text = exc.read(4096).decode("utf-8", "replace")
        return exc.code, exc.headers.get("Content-Type", ""), text


class _Refused(Exception):
    pass


class WitnessPusher:
    """Sends the latest checkpoint to each configured witness (see module docstring)."""

    def __init__(
        self,
        ledger: Any,
        witnesses: tuple[WitnessConfig, ...] | None = None,
        *,
        clock: Callable[[], float] = time.time,
        send: Callable[[str, bytes], tuple[int, str, str]] = post,
    ) -> None:
        self.ledger = ledger
        self.witnesses = ledger.settings.witnesses if witnesses is None else witnesses
        self.store = WitnessStore(ledger.storage)
        self.seals = SealStore(ledger.storage)
        self.clock = clock
        self.send = send

    def run_once(self, *, force: bool = False) -> list[PushResult]:
        """One delivery round; ``force`` ignores the failing witnesses' delays."""
        if not self.witnesses:
            return []
        latest = self.seals.latest_checkpoint()
        if latest is None:
            return [PushResult(w.label, "no checkpoint") for w in self.witnesses]
        have = {c.witness for c in self.store.cosignatures(latest.seq)}
        results = []
        for witness in self.witnesses:
            if witness.name in have:
                results.append(PushResult(witness.label, "up to date"))
                continue
            delivery = self.store.delivery(witness.name, witness.endpoint)
            now = self.clock()
            if (
                not force
                and delivery.status == "failing"
                and delivery.next_attempt_at > now
            ):
                results.append(
                    PushResult(witness.label, "waiting", delivery.last_error)
                )
                continue
            results.append(self._push(witness, delivery, latest, now))
        return results

    def _push(
        self, witness: WitnessConfig, d: Delivery, latest: CheckpointRow, now: float
    ) -> PushResult:
        known = d.known_size
        try:
            for _ in range(3):
                status, ctype, text = self._send(witness, known, latest)
                if status == 409 and ctype.startswith(SIZE_TYPE):
                    size = _size(text)
                    if size == known:
                        raise _Refused(
                            f"the witness holds another tree of size {size}"
                            " (a fork of this log)"
                        )
                    known = size
                    continue
                if status == 200:
                    return self._cosigned(witness, d, latest, known, text, now)
                raise _Refused(f"HTTP {status}: {text.strip()[:300]}")
            raise _Refused("the witness's size keeps changing (409 three times)")
        except (OSError, http.client.HTTPException, _Refused) as exc:
            message = _failure(exc)
            attempts = d.attempts + 1
            delay = min(BACKOFF_CAP, BACKOFF_FIRST * 2 ** (attempts - 1))
            self.store.save(
                Delivery(
                    witness.name,
                    witness.endpoint,
                    known,
                    "failing",
                    attempts,
                    now + delay,
                    message,
                    now,
                    d.last_success_at,
                )
            )
            return PushResult(witness.label, "failing", message)

    def _send(
        self, witness: WitnessConfig, known: int, latest: CheckpointRow
    ) -> tuple[int, str, str]:
        if known > latest.tree_size:
            raise _Refused(
                f"the witness holds tree size {known}, beyond this ledger's latest"
                f" checkpoint ({latest.tree_size}): another tree under this origin"
            )
        proof: list[bytes] = []
        if 0 < known < latest.tree_size:
            from ledger.integrity import ProofError, consistency_proof

            try:
                found = consistency_proof(self.ledger, known, latest.tree_size)
            except ProofError as exc:
                raise _Refused(
                    f"the witness holds tree size {known}: {exc} (another tree"
                    " shown under this origin?)"
                ) from None
            proof = [bytes.fromhex(node) for node in found["proof"]]
        return self.send(witness.endpoint, request_body(known, proof, latest.note))

    def _cosigned(
        self,
        witness: WitnessConfig,
        d: Delivery,
        latest: CheckpointRow,
        known: int,
        text: str,
        now: float,
    ) -> PushResult:
        checkpoint_text = latest.note[: latest.note.rindex("\n\n") + 1]
        lines = [line for line in text.split("\n") if line]
        valid = [
            (line, ts)
            for line in lines
            if (ts := witness.cosigner.timestamp_of(line, checkpoint_text)) is not None
        ]
        if not valid:
            raise _Refused(f"no valid cosignature by {witness.name} in the answer")
        line, timestamp = valid[0]
        self.store.save(
            Delivery(
                witness.name,
                witness.endpoint,
                latest.tree_size,
                "ok",
                0,
                0.0,
                "",
                now,
                now,
            ),
            [
                Cosignature(
                    witness.name, latest.seq, latest.tree_size, line, timestamp, now
                )
            ],
        )
        return PushResult(
            witness.label, "cosigned", f"tree size {latest.tree_size} (from {known})"
        )


def _failure(exc: Exception) -> str:
    """What went wrong with a witness, for its delivery row (bounded: a witness's
    answer is a third party's input)."""
    if isinstance(exc, _Refused):
        return str(exc)[:500]
    if isinstance(exc, http.client.HTTPException):  # not OSError: BadStatusLine…
        return f"not an HTTP answer: {type(exc).__name__}: {str(exc)[:200]}"
    return f"unreachable: {exc}"[:500]


def _size(text: str) -> int:
    value = text.strip()
    try:
        return parse_size(value)
    except NoteError:
        raise _Refused(f"409 with a body that is not a size: {value[:40]!r}") from None


# --- reading: the audit page, the API, verification ----------------------------------


def iso(timestamp: float | None) -> str | None:
    """A POSIX time as ISO 8601 UTC (to the second), as the API gives times."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


def witnesses_json(ledger: Any) -> dict[str, Any]:
    """Per configured witness: the latest tree it cosigned, and the delivery state."""
    store = WitnessStore(ledger.storage)
    latest = SealStore(ledger.storage).latest_checkpoint()
    cosigned, deliveries = store.latest(), store.deliveries()
    out = []
    for w in ledger.settings.witnesses:
        c, d = cosigned.get(w.name), deliveries.get(w.name)
        up_to_date = c is not None and latest is not None and c.seq == latest.seq
        out.append(
            {
                "label": w.label,
                "name": w.name,
                "url": w.url,
                "vkey": w.cosigner.vkey(),
                "cosigned": None
                if c is None
                else {
                    "seq": c.seq,
                    "tree_size": c.tree_size,
                    "timestamp": c.timestamp,
                    "cosigned_at": iso(c.timestamp),
                    "received_at": iso(c.received_at),
                },
                "status": "ok"
                if up_to_date
                else (
                    "failing" if d is not None and d.status == "failing" else "pending"
                ),
                "attempts": 0 if d is None else d.attempts,
                "last_error": "" if d is None else d.last_error,
                "next_attempt_at": None
                if d is None or d.status != "failing"
                else iso(d.next_attempt_at),
                "last_attempt_at": None if d is None else iso(d.last_attempt_at),
            }
        )
    return {
        "latest_checkpoint": None
        if latest is None
        else {"seq": latest.seq, "tree_size": latest.tree_size},
        "witnesses": out,
    }


def cosigned_note(row: CheckpointRow, lines: list[str]) -> str:
    """The checkpoint's signed note with the cosignature lines appended."""
    return row.note + "".join(f"{line}\n" for line in lines)


def check_quorum(ledger: Any, cosigners: list[Any], quorum: int) -> tuple[bool, str]:
    """Whether the latest checkpoint has ``quorum`` valid cosignatures among the
    stored ones, by the trusted ``cosigners``; and a line saying so."""
    latest = SealStore(ledger.storage).latest_checkpoint()
    if latest is None:
        return False, "no signed checkpoint: nothing is cosigned"
    text = latest.note[: latest.note.rindex("\n\n") + 1]
    lines = [c.line for c in WitnessStore(ledger.storage).cosignatures(latest.seq)]
    valid = quorum_of(text, lines, cosigners)
    names = ", ".join(w.name for w in valid) or "none"
    line = (
        f"checkpoint #{latest.seq} (tree size {latest.tree_size}): {len(valid)} valid"
        f" cosignature(s) of the {quorum} required (by {names})"
    )
    return len(valid) >= quorum, line
