"""Security headers on every response, and cookie settings."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, abort, request

from web.errors import api_error

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; object-src 'none'"
)


def unstorable(value: Any, where: str = "") -> dict[str, list[str]]:
    """Where ``value`` holds text no database can store: NUL characters (PostgreSQL
    refuses them) or lone surrogates (not UTF-8). Field → message; empty if none."""
    found: dict[str, list[str]] = {}
    if isinstance(value, str):
        if "\x00" in value or not _utf8(value):
            found[where or "_"] = ["Caractère interdit (NUL ou Unicode invalide)."]
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{where}.{key}" if where else str(key)
            found.update(unstorable(key, name) if isinstance(key, str) else {})
            found.update(unstorable(item, name))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found.update(unstorable(item, f"{where}[{i}]"))
    return found


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def refuse_unstorable_text() -> Any:
    """Before every request: text a database cannot store is refused (422), so it can
    neither raise a 500 nor reach the ledger, where it would stall the views."""
    found = unstorable(dict(request.view_args or {}))
    for source in (request.args, request.form):
        for key in source:
            found.update(unstorable(key, key))
            for value in source.getlist(key):
                found.update(unstorable(value, key))
    if request.is_json:
        found.update(unstorable(request.get_json(silent=True)))
    if not found:
        return None
    if request.path.startswith("/api/"):
        return api_error(422, details=found)
    abort(422)


def secure_headers(app: Flask) -> None:
    """CSP without inline scripts, nosniff, no framing, no referrer leaks, HSTS on
    HTTPS; text no database can store refused before any view sees it."""
    app.before_request(refuse_unstorable_text)

    @app.after_request
    def _headers(response: Response) -> Response:
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h["X-Content-Type-Options"] = "nosniff"
        h["X-Frame-Options"] = "DENY"
        h.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        h["Cross-Origin-Opener-Policy"] = "same-origin"
        if request.is_secure or app.config.get("SESSION_COOKIE_SECURE"):
            h["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if request.path.startswith("/api/") or "Cache-Control" not in h:
            h.setdefault("Cache-Control", "no-store")
        return response
