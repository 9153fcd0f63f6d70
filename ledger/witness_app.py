"""The witness's HTTP service: C2SP ``tlog-witness`` ``add-checkpoint`` (a WSGI app).

``POST /add-checkpoint`` takes ``old N`` + consistency proof lines (base64) + a blank
line + a signed checkpoint, and answers:

- 400 malformed body (or old size above the checkpoint's size, or > 63 proof lines);
- 404 the checkpoint's origin is not a log this witness follows;
- 403 no signature by a key the witness trusts for that origin;
- 409 ``N`` is not the size it holds (body: that size and a newline, Content-Type
  ``text/x.tlog.size``), or the same size with another root (a fork);
- 422 the consistency proof does not verify;
- 200 the cosignature line, once the new checkpoint is committed to the store.

The check of ``old`` against the stored size and the store's update are one SQLite
``BEGIN IMMEDIATE`` transaction (``synchronous = FULL``), so two concurrent requests
never roll a log back. Refusals with a valid signature (409 fork, 422) are kept in the
``refusals`` table: they may be evidence of a log showing different trees.
``GET /`` answers the witness's name and vkey.
"""

from __future__ import annotations

import base64
import binascii
import re
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature

from ledger.cosignature import cosign
from ledger.merkle import HASH_SIZE, verify_consistency
from ledger.notes import SIGNATURE_PREFIX, Checkpoint, NoteError, NoteVerifier
from ledger.witness_state import WitnessState

MAX_BODY = 64 * 1024
MAX_PROOF_LINES = 63
SIZE_TYPE = "text/x.tlog.size"
_OLD = re.compile(r"old (0|[1-9][0-9]*)")
_REASONS = {
    200: "200 OK",
    400: "400 Bad Request",
    403: "403 Forbidden",
    404: "404 Not Found",
    405: "405 Method Not Allowed",
    409: "409 Conflict",
    413: "413 Content Too Large",
    422: "422 Unprocessable Entity",
    503: "503 Service Unavailable",
}


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class Request:
    old: int
    proof: list[bytes]
    note: str
    text: str  # the checkpoint text (what is signed)
    checkpoint: Checkpoint
    signatures: list[str]


def parse_request(body: bytes) -> Request:
    """The parts of an add-checkpoint body; ValueError (→ 400) when malformed."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("the body is not UTF-8") from None
    if "\n\n" not in text:
        raise ValueError("no blank line between the proof and the checkpoint")
    head, note = text.split("\n\n", 1)
    lines = head.split("\n")
    match = _OLD.fullmatch(lines[0])
    if not match:
        raise ValueError("the first line must be 'old <size>'")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise ValueError(f"more than {MAX_PROOF_LINES} consistency proof lines")
    proof = []
    for line in lines[1:]:
        try:
            node = base64.b64decode(line, validate=True)
        except binascii.Error:
            raise ValueError("a consistency proof line is not base64") from None
        if len(node) != HASH_SIZE:
            raise ValueError("a consistency proof line is not a 32-byte hash")
        proof.append(node)
    if "\n\n" not in note or not note.endswith("\n"):
        raise ValueError("the checkpoint is not a signed note")
    if any(ord(ch) < 0x20 and ch != "\n" for ch in note):
        raise ValueError("the checkpoint holds control characters")
    cut = note.rindex("\n\n")
    checkpoint_text, signatures = note[: cut + 1], note[cut + 2 : -1].split("\n")
    try:
        checkpoint = Checkpoint.parse(checkpoint_text)
    except NoteError as exc:
        raise ValueError(str(exc)) from None
    for line in signatures:
        if not line.startswith(SIGNATURE_PREFIX) or line.count(" ") != 2:
            raise ValueError(f"malformed signature line {line[:40]!r}")
    return Request(
        int(match.group(1)), proof, note, checkpoint_text, checkpoint, signatures
    )


def trusted_signature(request: Request, keys: list[NoteVerifier]) -> bool:
    """Whether a key trusted for the origin signed the checkpoint (others ignored)."""
    for line in request.signatures:
        name, encoded = line[len(SIGNATURE_PREFIX) :].split(" ")
        try:
            blob = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            continue
        for key in keys:
            if key.name != name or key.key_id != blob[:4]:
                continue
            try:
                key.public_key.verify(blob[4:], request.text.encode())
                return True
            except InvalidSignature:
                continue
    return False


class WitnessApp:
    """The WSGI application of one witness state directory."""

    def __init__(
        self, state: WitnessState, clock: Callable[[], float] = time.time
    ) -> None:
        self.state = state
        self.clock = clock

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        answer = self.dispatch(environ)
        body = answer.body.encode("utf-8")
        start_response(
            _REASONS.get(answer.status, f"{answer.status} Error"),
            [("Content-Type", answer.content_type), ("Content-Length", str(len(body)))],
        )
        return [body]

    def dispatch(self, environ: dict[str, Any]) -> Answer:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path in ("", "/") and method in ("GET", "HEAD"):
            return Answer(200, f"{self.state.name}\n{self.state.cosigner.vkey()}\n")
        if path != "/add-checkpoint":
            return Answer(404, "not found\n")
        if method != "POST":
            return Answer(405, "add-checkpoint takes a POST\n")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return Answer(400, "bad Content-Length\n")
        if length < 0:  # read(-1) would read the whole stream, past MAX_BODY
            return Answer(400, "bad Content-Length\n")
        if length > MAX_BODY:
            return Answer(413, f"the body is over {MAX_BODY} bytes\n")
        body = environ["wsgi.input"].read(length) if length else b""
        try:
            return self.add_checkpoint(body)
        except sqlite3.OperationalError as exc:  # busy or full disk: nothing cosigned
            return Answer(503, f"the witness's store is unavailable: {exc}\n")

    def add_checkpoint(self, body: bytes) -> Answer:
        try:
            request = parse_request(body)
        except ValueError as exc:
            return Answer(400, f"{exc}\n")
        origin = request.checkpoint.origin
        keys = self.state.logs.get(origin)
        if keys is None:
            return Answer(404, f"unknown log origin {origin}\n")
        if not trusted_signature(request, keys):
            return Answer(403, f"no signature by a key trusted for {origin}\n")
        size = request.checkpoint.tree_size
        if request.old > size:
            return Answer(400, f"old size {request.old} is above tree size {size}\n")
        return self._record(request)

    def _record(self, request: Request) -> Answer:
        cp = request.checkpoint
        conn = self.state.connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            row = conn.execute(
                "SELECT tree_size, root FROM checkpoints WHERE origin = ?",
                (cp.origin,),
            ).fetchone()
            held_size, held_root = (0, None) if row is None else (row[0], bytes(row[1]))
            refusal, evidence = None, ""
            if request.old != held_size:
                refusal = Answer(409, f"{held_size}\n", SIZE_TYPE)
            elif held_size == cp.tree_size and held_root not in (None, cp.root):
                refusal = Answer(409, f"{held_size}\n", SIZE_TYPE)
                evidence = "the same tree size with another root"
            elif held_root is None and request.proof:
                refusal = Answer(422, "the proof from size 0 must be empty\n")
            elif held_root is not None and not verify_consistency(
                held_size, cp.tree_size, held_root, cp.root, request.proof
            ):
                evidence = (
                    f"the consistency proof from {held_size} to {cp.tree_size}"
                    " does not verify"
                )
                refusal = Answer(422, f"{evidence}\n")
            if refusal is not None:
                if evidence:  # signed, yet not consistent: may prove a fork
                    conn.execute(
                        "INSERT INTO refusals (origin, at, status, reason, body)"
                        " VALUES (?, ?, ?, ?, ?)",
                        (
                            cp.origin,
                            int(self.clock()),
                            refusal.status,
                            evidence,
                            body_text(request),
                        ),
                    )
                    conn.execute("COMMIT")
                else:
                    conn.execute("ROLLBACK")
                return refusal
            now = int(self.clock())
            generation = None
            if held_root is None or cp.tree_size > held_size:
                conn.execute(
                    "INSERT INTO checkpoints (origin, tree_size, root, note,"
                    " cosigned_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (origin) DO"
                    " UPDATE SET tree_size = excluded.tree_size, root = excluded.root,"
                    " note = excluded.note, cosigned_at = excluded.cosigned_at",
                    (cp.origin, cp.tree_size, cp.root, request.note, now),
                )
                (value,) = conn.execute(
                    "SELECT value FROM meta WHERE key = 'generation'"
                ).fetchone()
                generation = int(value) + 1
                conn.execute(
                    "UPDATE meta SET value = ? WHERE key = 'generation'",
                    (str(generation),),
                )
            conn.execute("COMMIT")  # durable (synchronous = FULL) before answering
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()
        if generation is not None:
            self.state.write_marker(generation)
        assert self.state.key is not None
        line = cosign(request.text, self.state.name, self.state.key, now)
        return Answer(200, line)


def body_text(request: Request) -> str:
    lines = [f"old {request.old}"]
    lines += [base64.b64encode(n).decode() for n in request.proof]
    return "\n".join(lines) + "\n\n" + request.note
