"""The failed-login counters (``ledger.throttle``) against a model, on every store.

A state machine sends sequences of sign-in attempts, successes and give-backs for
several logins (one need not exist: the counters cannot tell) from several clients,
through two throttles sharing one store (two workers), with a clock that only the
test moves; after every attempt the wait each store answers must be the model's, to
the quarter second. The same machine runs on the SQLite and PostgreSQL ledger
databases and on Redis. The policy is scaled down so that free tries, every step of
the backoff, each cap and each window's end are reached in a few dozen steps.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule

from ledger.app import open_ledger
from ledger.throttle import (
    ACCOUNT,
    ACCOUNT_CLIENT,
    CLIENT,
    POLICY,
    DatabaseCounters,
    LoginThrottle,
    RedisCounters,
    Rule,
)
from tests.conftest import ci_sized, make_settings

REDIS_URL = os.environ.get("SDSI_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# These tests empty Redis db 15, as does the other module using it: under pytest-xdist
# the two never run at the same time (one work unit, tests/conftest.py).
pytestmark = pytest.mark.xdist_group("redis-db15")
SMALL = (
    Rule("account+client", free=2, cap=8, window=30),
    Rule("account", free=3, cap=4, window=20),
    Rule("client", free=4, cap=4, window=40),
)
LOGINS = ("alice", "bob", "Alice ", "nobody-here", "carol", "dave", "eve")
CLIENTS = ("10.0.0.1", "10.0.0.2", "2001:db8::7")


class Model:
    """What the counters should say: per counter, (failures, last failure)."""

    def __init__(self, policy: tuple[Rule, ...]) -> None:
        self.policy = policy
        self.counts: dict[tuple[str, str], tuple[int, float]] = {}

    def _names(self, login: str, client: str) -> list[tuple[Rule, str]]:
        login = login.strip().lower()
        names = {
            "account+client": f"{login}|{client}",
            "account": login,
            "client": client,
        }
        return [(r, names[r.scope]) for r in self.policy]

    def attempt(self, login: str, client: str, now: float) -> int:
        wait, fresh = 0.0, []
        for r, name in self._names(login, client):
            n, t = self.counts.get((r.scope, name), (0, 0.0))
            if n > 0 and now - t >= r.window:
                n = 0
            if n >= r.free:
                wait = max(wait, t + min(r.cap, 2 ** (n - r.free)) - now)
            fresh.append(((r.scope, name), n))
        if wait > 0:
            return math.ceil(wait)
        for key, n in fresh:
            self.counts[key] = (n + 1, now)
        return 0

    def settle(self, login: str, client: str, *, success: bool) -> None:
        for r, name in self._names(login, client):
            key = (r.scope, name)
            if key not in self.counts:
                continue
            n, t = self.counts[key]
            if success and r.scope == "account+client":
                del self.counts[key]
            else:
                self.counts[key] = (max(n - 1, 0), t)


def machine(
    make: Callable[[Callable[[], float]], Any], policy: tuple[Rule, ...]
) -> type:
    """A state machine over two throttles made by ``make(clock)`` on one store."""

    class Logins(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.now = 1_000_000.0
            self.workers = [
                LoginThrottle(make(lambda: self.now), policy) for _ in range(2)
            ]
            self.model = Model(policy)
            self.pending: list[tuple[str, str]] = []

        @rule(
            worker=st.integers(0, 1),
            login=st.sampled_from(LOGINS),
            client=st.sampled_from(CLIENTS),
        )
        def attempt(self, worker: int, login: str, client: str) -> None:
            expected = self.model.attempt(login, client, self.now)
            assert self.workers[worker].attempt(login, client) == expected
            if expected == 0:
                self.pending.append((login, client))

        @precondition(lambda self: self.pending)
        @rule(
            worker=st.integers(0, 1), which=st.integers(0, 100), success=st.booleans()
        )
        def settle(self, worker: int, which: int, success: bool) -> None:
            login, client = self.pending.pop(which % len(self.pending))
            if success:
                self.workers[worker].succeeded(login, client)
            else:
                self.workers[worker].withdrawn(login, client)
            self.model.settle(login, client, success=success)

        @rule(quarters=st.one_of(st.integers(1, 8), st.integers(1, 200)))
        def wait(self, quarters: int) -> None:
            self.now += quarters / 4

    return Logins


def run(
    make: Callable[[Callable[[], float]], Any], examples: int = ci_sized(40, 20)
) -> None:
    """The machine with the three counters together, then with each alone (so
    that each one's cap and window are reached often); fewer sequences under
    ``CI=true`` (tests/conftest.py)."""
    for policy in (SMALL, *((r,) for r in SMALL)):
        cls = machine(make, policy)
        cls.TestCase.settings = settings(
            max_examples=examples,
            stateful_step_count=50,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        cls.TestCase().runTest()


@pytest.fixture
def redis_client() -> Any:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is not reachable at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")
    client.flushdb()
    yield client
    client.flushdb()


def test_database_counters_agree_with_the_model(
    backend: str, tmp_path: Any, database_url: str
) -> None:
    led = open_ledger(make_settings(tmp_path / "data", database_url), create=True)
    try:

        def make(clock: Callable[[], float]) -> DatabaseCounters:
            led.storage.execute("DELETE FROM {t:login_throttle}")
            return DatabaseCounters(led.storage, clock)

        run(make)
    finally:
        led.close()


def test_redis_counters_agree_with_the_model(redis_client: Any) -> None:
    def make(clock: Callable[[], float]) -> RedisCounters:
        redis_client.flushdb()
        return RedisCounters(REDIS_URL, clock)

    run(make)


def test_the_policy_is_the_documented_one() -> None:
    assert POLICY == (ACCOUNT_CLIENT, ACCOUNT, CLIENT)
    assert [(r.scope, r.free, r.cap, r.window) for r in POLICY] == [
        ("account+client", 5, 900, 3600),
        ("account", 10, 300, 3600),
        ("client", 100, 60, 3600),
    ]
    assert [ACCOUNT_CLIENT.delay(n) for n in range(4, 17)] == [
        0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900,
    ]  # fmt: skip
