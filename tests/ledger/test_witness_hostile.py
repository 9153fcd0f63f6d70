"""A witness that answers nonsense must not stop the ledger: each push to it is a
failure kept for a later retry (``failing``, with what was wrong), never an exception
that would end ``sdsi projections follow`` (which pushes after each round). The
witness is a third party's server: its answers are input. Both backends."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from ledger.witness_push import WitnessPusher, witnesses_json
from tests.ledger.test_witness_delivery import _with, sealed, witnesses  # noqa: F401


@contextmanager
def answering(raw: bytes) -> Iterator[str]:
    """A loopback server that reads a request and answers ``raw`` bytes, as is."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    conn.recv(1 << 16)
                    conn.sendall(raw)
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        server.close()


def http(status: str, body: bytes, ctype: str = "text/x.tlog.size") -> bytes:
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body


HOSTILE = {
    "409 size '²'": http("409 Conflict", "²\n".encode()),
    "409 size of 5000 digits": http("409 Conflict", b"9" * 5000 + b"\n"),
    "not HTTP": b"SSH-2.0-OpenSSH_9.6\r\n",
    "a status line only": b"HTTP/1.1 200\r\n",
    "a body cut short": (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 500\r\n"
        b"\r\n\xe2\x80\x94 w AAAA"
    ),
    "an endless header": b"HTTP/1.1 200 OK\r\nX: " + b"a" * 70000 + b"\r\n\r\n",
    "200 with garbage lines": http(
        "200 OK", b"\xe2\x80\x94 \n\xe2\x80\x94 a b c\n\x00\xff\n", "text/plain"
    ),
}


@pytest.mark.parametrize("answer", sorted(HOSTILE))
def test_a_witness_answering_nonsense_is_a_failing_delivery_not_a_crash(
    sealed: Any,  # noqa: F811
    settings: Any,
    witnesses: dict[str, str],  # noqa: F811
    answer: str,
) -> None:
    with answering(HOSTILE[answer]) as url:
        led = _with(sealed, settings, f"prefecture {url} {witnesses['prefecture']}")
        try:
            [result] = WitnessPusher(led).run_once()
            [w] = witnesses_json(led)["witnesses"]
        finally:
            led.close()
    assert result.outcome == "failing", result
    assert result.detail
    assert (w["status"], w["attempts"]) == ("failing", 1)
    assert w["last_error"] == result.detail
