"""Bounds on what a request may make the server parse, checked before any decoding.

Python's JSON decoder recurses once per nesting level: a body of 10,000 ``[`` made it
raise ``RecursionError`` (a 500), even on the unauthenticated ``/api/v1/auth/token``.
Every JSON body is now measured first — its size by ``MAX_CONTENT_LENGTH`` (413), its
nesting depth here (400) — with the usual error shape; nothing deeper than any of our
schemas needs is ever decoded.
"""

from __future__ import annotations

import re
from itertools import accumulate, repeat

from flask import Flask, Response, request

from web.errors import api_error

MAX_JSON_DEPTH = 32  # our deepest schema nests 4 levels
MAX_NUMBER_DIGITS = 40  # no field holds a longer number; Python refuses > 4,300 digits
_LONG_NUMBER = re.compile(rb"[0-9]{%d}" % (MAX_NUMBER_DIGITS + 1))
# a string literal, to its closing quote or, unterminated, to the end of the body:
# every quote starts a match that succeeds, and nothing backtracks (possessive), so
# removing them all is one linear pass in C
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+(?:"|\\?\Z)', re.DOTALL)
_BRACKETS = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")
_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")


def json_too_deep(data: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``data`` (JSON text) nests arrays and objects deeper than ``limit``.

    Linear in the body's length whatever it holds: string literals are removed (a
    bracket inside one does not nest), then the running depth of the brackets left is
    computed in C."""
    return _too_deep(_STRING.sub(b"", data), limit)


def json_refusal(data: bytes) -> tuple[str, str] | None:
    """Why ``data`` is refused before decoding — (code, French message) — or None."""
    outside_strings = _STRING.sub(b"", data)
    if _too_deep(outside_strings, MAX_JSON_DEPTH):
        return "json_too_deep", (
            f"Corps JSON trop imbriqué : au plus {MAX_JSON_DEPTH} niveaux de "
            "tableaux et d'objets."
        )
    if _LONG_NUMBER.search(outside_strings):
        return "json_number_too_long", (
            f"Nombre trop long dans le corps JSON : au plus {MAX_NUMBER_DIGITS} chiffres."
        )
    return None


def _too_deep(outside_strings: bytes, limit: int) -> bool:
    steps = outside_strings.translate(_BRACKETS, _NOT_BRACKETS)
    if steps.count(2) <= limit:
        return False
    return max(accumulate(map(int.__sub__, steps, repeat(1)))) > limit


def init_limits(app: Flask) -> None:
    """Refuse, before decoding, JSON bodies nested deeper than :data:`MAX_JSON_DEPTH`
    or holding a number longer than :data:`MAX_NUMBER_DIGITS` digits (Python's decoder
    raises ValueError beyond 4,300: a 500)."""

    @app.before_request
    def _bounded_json() -> Response | None:
        if request.method in ("GET", "HEAD", "OPTIONS") or not request.is_json:
            return None
        data = request.get_data(cache=True)  # 413 beyond MAX_CONTENT_LENGTH
        refused = json_refusal(data)
        if refused is None:
            return None
        return api_error(400, code=refused[0], message=refused[1])
