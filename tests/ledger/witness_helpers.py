"""Helpers of the witness tests: a log made by hand (leaves, roots, proofs, signed
checkpoints) and the witness's WSGI app served over HTTP on loopback in a thread."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.merkle import consistency_ranges, range_hashes, root_of
from ledger.notes import Checkpoint, NoteVerifier, sign_note
from ledger.witness_app import WitnessApp
from ledger.witness_push import post, request_body
from ledger.witness_state import WitnessState


class HandLog:
    """A log of ``origin`` whose leaves are chosen by the test."""

    def __init__(self, origin: str, key: Ed25519PrivateKey | None = None) -> None:
        self.origin = origin
        self.key = key or Ed25519PrivateKey.generate()
        self.leaves: list[bytes] = []

    @property
    def vkey(self) -> str:
        return NoteVerifier(self.origin, self.key.public_key()).vkey()

    def grow(self, count: int, tag: str = "a") -> HandLog:
        start = len(self.leaves)
        self.leaves += [
            hashlib.sha256(f"{tag}{i}".encode()).digest()
            for i in range(start, start + count)
        ]
        return self

    def copy(self) -> HandLog:
        other = HandLog(self.origin, self.key)
        other.leaves = list(self.leaves)
        return other

    def text(self, size: int | None = None) -> str:
        size = len(self.leaves) if size is None else size
        return Checkpoint(self.origin, size, root_of(self.leaves[:size])).text()

    def note(
        self, size: int | None = None, key: Ed25519PrivateKey | None = None
    ) -> str:
        return sign_note(self.text(size), self.origin, key or self.key)

    def proof(self, old: int, new: int | None = None) -> list[bytes]:
        new = len(self.leaves) if new is None else new
        return range_hashes(
            consistency_ranges(old, new), lambda a, b: iter(self.leaves[a:b])
        )

    def body(self, old: int, size: int | None = None) -> bytes:
        size = len(self.leaves) if size is None else size
        return request_body(old, self.proof(old, size), self.note(size))


class _Threading(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def served(state_dir: Path, port: int = 0) -> Iterator[str]:
    """The witness of ``state_dir`` on a loopback port; yields its URL."""
    app = WitnessApp(WitnessState.open(state_dir))
    server = make_server(
        "127.0.0.1", port, app, server_class=_Threading, handler_class=_Quiet
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def add_checkpoint(url: str, body: bytes) -> tuple[int, str, str]:
    return post(url + "/add-checkpoint", body)


def new_witness(directory: Path, name: str, *logs: HandLog | tuple[str, str]) -> str:
    """A witness following ``logs``; returns its vkey."""
    state = WitnessState.init(directory, name)
    for log in logs:
        origin, vkey = (log.origin, log.vkey) if isinstance(log, HandLog) else log
        state.add_log(origin, vkey)
    return state.cosigner.vkey()
