"""A per-process cache of read responses, keyed by what they were computed from.

A read page or API read depends only on the views at their current position (or as of
a past one), on who asks (account, roles, language) and on what was asked (path and
query). The views change only when their position moves, so a response computed at
position P stays right until the position moves past P: the cache key includes the
position, and a write (read-your-writes waits for the views) makes the next read miss.
Pages that also show something kept outside the views (the audit page: head of the log,
seals, checkpoints, last verification) add it to their key.

What is never shared between two responses: the CSRF token of the session (put back
per request) and the idempotency keys of forms (fresh on every response), so a cached
page is as safe to submit as a fresh one. Only ``200`` answers to ``GET`` by a signed-in
user, with no flash message shown, are kept (and, for anyone, the citizens' pages
marked ``shared``: their key names no one; they keep their ``Cache-Control`` and
``Vary``); authorisation runs before the cache is
consulted (:func:`web.auth.authorise_request`), so a revoked role is refused at once.

The cache is bounded in bytes (``SDSI_PAGE_CACHE_MB``, 32 by default; 0 turns it off),
least recently used first out; each worker has its own.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, request, session
from flask.globals import request_ctx
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from web.formatting import local_today, select_locale
from web.notifications import marks as notification_marks
from web.state import state

F = TypeVar("F", bound=Callable[..., Any])
CSRF, KEY = b"csrf", b"key"  # the kinds of holes
MAX_ENTRY = 4 * 1024 * 1024  # larger responses are not kept
SHARED_HEADERS = ("Cache-Control", "Vary")  # kept with a response (public pages)


def cached_read(
    extra: Callable[[], Any] | None = None, *, shared: bool = False
) -> Callable[[F], F]:
    """Mark a ``GET`` view whose response the cache may keep (``extra()`` adds to the key
    whatever the response shows from outside the views). ``shared``: a public page
    that shows nothing of who asks, kept once for every visitor, signed in or not."""

    def mark(view: F) -> F:
        view.cache_extra = extra or _nothing  # type: ignore[attr-defined]
        view.cache_shared = shared  # type: ignore[attr-defined]
        return view

    return mark


def _nothing() -> None:
    return None


@dataclass(frozen=True)
class Entry:
    """A kept response: its body cut around the holes to fill on each hit (the CSRF
    token and idempotency keys, in ``holes`` order)."""

    parts: tuple[bytes, ...]
    holes: tuple[bytes, ...]
    mimetype: str
    link: str | None = None  # an API page's ``Link`` header (web.paging)
    headers: tuple[tuple[str, str], ...] = ()  # a shared page's Cache-Control, Vary

    @classmethod
    def of(
        cls,
        body: bytes,
        mimetype: str,
        token: bytes | None = None,
        keys: tuple[bytes, ...] = (),
        link: str | None = None,
        headers: tuple[tuple[str, str], ...] = (),
    ) -> Entry:
        marks = {k: KEY for k in keys if k}
        if token:
            marks[token] = CSRF
        if not marks:
            return cls((body,), (), mimetype, link, headers)
        found = re.split(b"(" + b"|".join(re.escape(m) for m in marks) + b")", body)
        return cls(
            tuple(found[0::2]),
            tuple(marks[m] for m in found[1::2]),
            mimetype,
            link,
            headers,
        )

    @property
    def size(self) -> int:
        return sum(len(p) for p in self.parts)

    def body(self, token: Callable[[], bytes]) -> bytes:
        """The response with this request's token and fresh keys in the holes."""
        if not self.holes:
            return self.parts[0]
        csrf = token() if CSRF in self.holes else b""
        out = [self.parts[0]]
        for hole, part in zip(self.holes, self.parts[1:], strict=True):
            out.append(csrf if hole == CSRF else uuid.uuid4().hex.encode())
            out.append(part)
        return b"".join(out)


class ResponseCache:
    """Least recently used entries, bounded by their total size in bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[Any, ...], Entry] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple[Any, ...]) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry

    def put(self, key: tuple[Any, ...], entry: Entry) -> None:
        if entry.size > min(MAX_ENTRY, self.max_bytes):
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= old.size
            self._entries[key] = entry
            self._size += entry.size
            while self._size > self.max_bytes:
                _key, dropped = self._entries.popitem(last=False)
                self._size -= dropped.size

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._size = 0

    def __len__(self) -> int:
        return len(self._entries)


def init_cache(app: Flask, max_bytes: int) -> None:
    """Serve marked reads from the cache; keep their fresh responses."""
    app.extensions["sdsi_cache"] = ResponseCache(max_bytes)
    if max_bytes <= 0:
        return
    app.before_request(_lookup)
    app.after_request(_keep)


def response_cache() -> ResponseCache:
    return current_app.extensions["sdsi_cache"]  # type: ignore[no-any-return]


def note_key(value: str) -> str:
    """Remember an idempotency key put in this response (so a cached copy gets new ones)."""
    g.setdefault("form_keys", []).append(value)
    return value


def _key() -> tuple[Any, ...] | None:
    if request.method != "GET" or "_flashes" in session:
        return None
    view = current_app.view_functions.get(request.endpoint or "")
    extra = getattr(view, "cache_extra", None)
    if extra is None:
        return None
    if getattr(view, "cache_shared", False):
        return (
            request.endpoint,
            request.host_url,
            request.path,
            tuple(sorted(request.args.items(multi=True))),
            select_locale(),
            local_today(),
            views_position(),
            extra(),
        )
    if not current_user.is_authenticated:
        return None
    return (
        request.endpoint,
        request.host_url,  # pages may hold absolute links
        request.path,
        tuple(sorted(request.args.items(multi=True))),
        current_user.username,
        tuple(current_user.grants),
        current_user.via_token,
        notification_marks(current_user.username),  # the menu's unread count
        select_locale(),
        local_today(),  # pages may say what is due "today" (the town's day)
        views_position(),
        extra(),
    )


def _lookup() -> Response | None:
    key = _key()
    if key is None:
        return None
    g.cache_key = key
    entry = response_cache().get(key)
    if entry is None:
        return None
    g.cache_hit = True
    response = Response(entry.body(_token), status=200, mimetype=entry.mimetype)
    if entry.link:
        response.headers["Link"] = entry.link
    for name, value in entry.headers:
        response.headers[name] = value
    return response


def _keep(response: Response) -> Response:
    key = g.get("cache_key")
    if (
        key is None
        or g.get("cache_hit")
        or response.status_code != 200
        or response.direct_passthrough
        or response.is_streamed
        or g.get("as_of_invalid")
        or request_ctx.flashes
        or "_flashes" in session
    ):
        return response
    token = g.get("csrf_token")
    entry = Entry.of(
        response.get_data(),
        response.mimetype or "text/html",
        token.encode() if token else None,
        tuple(value.encode() for value in g.get("form_keys", ())),
        response.headers.get("Link"),
        tuple(
            (name, response.headers[name])
            for name in SHARED_HEADERS
            if name in response.headers
        ),
    )
    response_cache().put(key, entry)
    return response


def _token() -> bytes:
    """This session's CSRF token."""
    return str(generate_csrf()).encode()


def views_position() -> int:
    """The live views' position, read once per request (before any view reads them)."""
    return views_mark()[0]


def views_mark() -> tuple[int, int]:
    """The live views' (position, notification id), read once per request."""
    if "views_mark" not in g:
        g.views_mark = state().read_model.mark()
    return g.views_mark  # type: ignore[no-any-return]
