"""Failed-login counters, shared by every worker: in Redis, or in the ledger database.

A sign-in (or a password change, which checks the current password) is throttled by
three counters at once (docs/security.md):

- the account from this client: a few free tries, then an exponential backoff (1 s,
  2 s, 4 s… up to a cap) — what one guesser at one account meets;
- the account from anywhere: more free tries and a lower cap — a guesser spread over
  many addresses, without letting anyone lock the owner out for long;
- the client, whatever the account: a much higher ceiling — credential stuffing
  across many accounts from one address, without shutting a whole town hall behind
  one NAT out.

A login that does not exist is counted exactly like one that does. Counters forget
after an hour without failure.

Each attempt costs one round trip, and is atomic: unless a counter makes the caller
wait, every counter is given one more failure *before* the password is checked (so
parallel attempts cannot all slip through one check); a success then gives the
attempt back (:meth:`Counters.settle`). The same algorithm runs as a Lua script in
Redis, as a PL/pgSQL function on PostgreSQL (``ledger.migrations``) and in a
``BEGIN``…``COMMIT`` on SQLite; a state-machine test holds all three to one model.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ledger.storage import LedgerStorage


@dataclass(frozen=True)
class Rule:
    """One counter's policy: ``free`` failures, then waits of 1 s, 2 s, 4 s… up to
    ``cap`` seconds after the last failure; forgotten ``window`` seconds after it."""

    scope: str
    free: int
    cap: int
    window: int = 3600

    def delay(self, failures: int) -> int:
        """Seconds to wait after the last of ``failures`` failures."""
        if failures < self.free:
            return 0
        return min(self.cap, 2 ** min(failures - self.free, 62))


ACCOUNT_CLIENT = Rule("account+client", free=5, cap=15 * 60)
ACCOUNT = Rule("account", free=10, cap=5 * 60)
CLIENT = Rule("client", free=100, cap=60)
POLICY = (ACCOUNT_CLIENT, ACCOUNT, CLIENT)


def counter_key(rule: Rule, login: str, client: str) -> str:
    """The counter of ``rule`` for this login and client: bounded, whatever they are
    (a login need not exist; case and surrounding spaces do not make another)."""
    login = login.strip().lower()
    parts = {
        "account+client": f"{login}\x00{client}",
        "account": login,
        "client": client,
    }[rule.scope]
    digest = hashlib.sha256(parts.encode("utf-8", "surrogatepass")).hexdigest()[:40]
    return f"{rule.scope}:{digest}"


def spend(counters: Counters, rule: Rule, who: str) -> int:
    """Count one use of ``rule`` by ``who`` (a client address, a login…) and return
    the whole seconds to wait first (0: go on, this use is counted). The counter's key
    is bounded whatever ``who`` is."""
    digest = hashlib.sha256(who.encode("utf-8", "surrogatepass")).hexdigest()[:40]
    wait = counters.attempt([(f"{rule.scope}:{digest}", rule)])
    return math.ceil(wait) if wait > 0 else 0


def waiting(counters: Sequence[tuple[Rule, int, float]], now: float) -> float:
    """Seconds still to wait given each counter's (rule, failures, last failure)."""
    wait = 0.0
    for rule, failures, last in counters:
        if failures > 0 and now - last >= rule.window:
            failures = 0
        if failures >= rule.free:
            wait = max(wait, last + rule.delay(failures) - now)
    return wait


class Counters(Protocol):
    """Where the counters live (Redis or the ledger database)."""

    clock: Callable[[], float]

    def attempt(self, counters: Sequence[tuple[str, Rule]]) -> float:
        """Seconds to wait (> 0: refused, nothing counted); else 0 and one more
        failure counted on each, now."""

    def settle(self, delete: Sequence[str], give_back: Sequence[str]) -> None:
        """Forget the counters ``delete``; take one failure off ``give_back``."""


class DatabaseCounters:
    """The counters in the ledger database (table ``login_throttle``)."""

    PURGE_EVERY = 600.0

    def __init__(
        self, storage: LedgerStorage, clock: Callable[[], float] = time.time
    ) -> None:
        self.storage = storage
        self.clock = clock
        self._purged = -math.inf

    def attempt(self, counters: Sequence[tuple[str, Rule]]) -> float:
        ordered = sorted(counters, key=lambda c: c[0])  # one lock order for all
        now = self.clock()
        self._purge(now)
        if self.storage.is_postgres:
            row = self.storage.fetchone(
                f"SELECT {self.storage.table('login_attempt')}"
                "(?::text[], ?::integer[], ?::integer[], ?::integer[],"
                " ?::double precision)",
                (
                    [k for k, _ in ordered],
                    [r.free for _, r in ordered],
                    [r.cap for _, r in ordered],
                    [r.window for _, r in ordered],
                    now,
                ),
            )
            return float(row[0]) if row else 0.0
        table = self.storage.table("login_throttle")
        with self.storage.cursor(commit=True) as c:
            # A write first: the transaction holds SQLite's write lock from here on.
            c.executemany(
                f"INSERT INTO {table} (key, failures, last_at) VALUES (?, 0, 0)"
                " ON CONFLICT (key) DO NOTHING",
                [(k,) for k, _ in ordered],
            )
            found: list[tuple[Rule, int, float]] = []
            for key, rule in ordered:
                c.execute(
                    f"SELECT failures, last_at FROM {table} WHERE key = ?", (key,)
                )
                failures, last = c.fetchone()
                found.append((rule, int(failures), float(last)))
            wait = waiting(found, now)
            if wait > 0:
                return wait
            for (key, rule), (_r, failures, last) in zip(ordered, found, strict=True):
                if failures > 0 and now - last >= rule.window:
                    failures = 0
                c.execute(
                    f"UPDATE {table} SET failures = ?, last_at = ? WHERE key = ?",
                    (failures + 1, now, key),
                )
        return 0.0

    def settle(self, delete: Sequence[str], give_back: Sequence[str]) -> None:
        table = self.storage.table("login_throttle")
        if self.storage.is_postgres:
            self.storage.execute(
                f"WITH gone AS (DELETE FROM {table} WHERE key = ANY(?::text[]))"
                f" UPDATE {table} SET failures = failures - 1"
                " WHERE key = ANY(?::text[]) AND failures > 0",
                (list(delete), list(give_back)),
            )
            return
        with self.storage.cursor(commit=True) as c:
            c.executemany(f"DELETE FROM {table} WHERE key = ?", [(k,) for k in delete])
            c.executemany(
                f"UPDATE {table} SET failures = failures - 1"
                " WHERE key = ? AND failures > 0",
                [(k,) for k in give_back],
            )

    def _purge(self, now: float) -> None:
        """Now and then, forget the counters nobody failed on for a long while."""
        if now - self._purged < self.PURGE_EVERY:
            return
        self._purged = now
        longest = max(rule.window for rule in POLICY)
        self.storage.execute(
            "DELETE FROM {t:login_throttle} WHERE last_at < ?", (now - longest,)
        )


_ATTEMPT_LUA = """
local now = tonumber(ARGV[1])
local wait = 0
local counts = {}
for i, key in ipairs(KEYS) do
  local free = tonumber(ARGV[3 * i - 1])
  local cap = tonumber(ARGV[3 * i])
  local window = tonumber(ARGV[3 * i + 1])
  local found = redis.call('HMGET', key, 'n', 't')
  local n = tonumber(found[1]) or 0
  local t = tonumber(found[2]) or 0
  if n > 0 and now - t >= window then n = 0 end
  if n >= free then
    local d = 2 ^ math.min(n - free, 62)
    if d > cap then d = cap end
    if t + d - now > wait then wait = t + d - now end
  end
  counts[i] = n
end
if wait > 0 then return tostring(wait) end
for i, key in ipairs(KEYS) do
  redis.call('HSET', key, 'n', counts[i] + 1, 't', ARGV[1])
  redis.call('EXPIRE', key, tonumber(ARGV[3 * i + 1]) * 2)
end
return '0'
"""

_SETTLE_LUA = """
local deleted = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  if i <= deleted then
    redis.call('DEL', key)
  elseif (tonumber(redis.call('HGET', key, 'n')) or 0) > 0 then
    redis.call('HINCRBY', key, 'n', -1)
  end
end
return 0
"""


class RedisCounters:
    """The counters in Redis (a hash per counter), for several servers at once."""

    PREFIX = "sdsi:login:"

    def __init__(self, url: str, clock: Callable[[], float] = time.time) -> None:
        import redis

        self.redis: Any = redis.Redis.from_url(url, socket_timeout=2)
        self.clock = clock
        self._attempt = self.redis.register_script(_ATTEMPT_LUA)
        self._settle = self.redis.register_script(_SETTLE_LUA)

    def attempt(self, counters: Sequence[tuple[str, Rule]]) -> float:
        args: list[Any] = [repr(float(self.clock()))]
        for _key, rule in counters:
            args += [rule.free, rule.cap, rule.window]
        result = self._attempt(keys=[self.PREFIX + k for k, _ in counters], args=args)
        return float(result)

    def settle(self, delete: Sequence[str], give_back: Sequence[str]) -> None:
        keys = [self.PREFIX + k for k in (*delete, *give_back)]
        if keys:
            self._settle(keys=keys, args=[len(delete)])


class LoginThrottle:
    """The policy over the counters: what a sign-in from a client may do."""

    def __init__(self, counters: Counters, policy: Sequence[Rule] = POLICY) -> None:
        self.counters = counters
        self.policy = tuple(policy)

    def _keys(self, login: str, client: str) -> list[tuple[str, Rule]]:
        return [(counter_key(rule, login, client), rule) for rule in self.policy]

    def attempt(self, login: str, client: str) -> int:
        """Whole seconds to wait before trying (0: go on; the attempt is counted as
        a failure until :meth:`succeeded` or :meth:`withdrawn`)."""
        wait = self.counters.attempt(self._keys(login, client))
        return math.ceil(wait) if wait > 0 else 0

    def succeeded(self, login: str, client: str) -> None:
        """The password was right: the account's count from this client restarts;
        the attempt is given back to the others (whose counts go on)."""
        keys = self._keys(login, client)
        self.counters.settle(
            [k for k, r in keys if r.scope == "account+client"],
            [k for k, r in keys if r.scope != "account+client"],
        )

    def withdrawn(self, login: str, client: str) -> None:
        """No password was checked after all (refused for another reason): the
        attempt is given back to every counter."""
        self.counters.settle([], [k for k, _r in self._keys(login, client)])


def make_counters(
    redis_url: str | None,
    storage: LedgerStorage,
    clock: Callable[[], float] = time.time,
) -> Counters:
    """Redis when configured, else the ledger database: never a process's memory."""
    if redis_url:
        return RedisCounters(redis_url, clock)
    return DatabaseCounters(storage, clock)
