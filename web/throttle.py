"""Failed sign-ins, throttled per account, per account and client, and per client
(``ledger.throttle``), with counters every worker shares: Redis when
``SDSI_REDIS_URL`` is set, else the ledger database."""

from __future__ import annotations

from flask import request

from ledger.throttle import LoginThrottle, make_counters
from web.state import state


def make_throttle(redis_url: str | None, storage: object) -> LoginThrottle:
    return LoginThrottle(make_counters(redis_url, storage))  # type: ignore[arg-type]


def throttle() -> LoginThrottle:
    """The running app's throttle."""
    return state().extra["throttle"]  # type: ignore[no-any-return]


def client_address() -> str:
    """Who is asking: the peer, or the client a trusted proxy names (web.proxies)."""
    return request.remote_addr or "?"


class TooManyAttempts(Exception):
    """A password check refused before it was made: ``wait`` seconds to wait."""

    def __init__(self, wait: int) -> None:
        super().__init__(f"too many attempts: wait {wait} s")
        self.wait = wait
