"""Throttling of failed logins, shared across workers through Redis when configured."""

from __future__ import annotations

import threading
import time
from typing import Any

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60


class MemoryThrottle:
    """Failed attempts per key in this process (single worker, tests)."""

    def __init__(self, max_failures: int = MAX_FAILURES, window: int = WINDOW_SECONDS) -> None:
        self.max_failures, self.window = max_failures, window
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, key: str) -> int:
        """Seconds until ``key`` may try again (0: not blocked)."""
        now = time.time()
        with self._lock:
            recent = [t for t in self._failures.get(key, []) if now - t < self.window]
            self._failures[key] = recent
            if len(recent) >= self.max_failures:
                return int(self.window - (now - recent[0])) + 1
        return 0

    def fail(self, key: str) -> None:
        with self._lock:
            self._failures.setdefault(key, []).append(time.time())

    def reset(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


class RedisThrottle:
    """The same, in Redis (a sorted set per key), so every worker sees every failure."""

    def __init__(self, url: str, max_failures: int = MAX_FAILURES, window: int = WINDOW_SECONDS) -> None:
        import redis

        self.max_failures, self.window = max_failures, window
        self.redis: Any = redis.Redis.from_url(url, socket_timeout=2)

    def _key(self, key: str) -> str:
        return f"sdsi:login-failures:{key}"

    def blocked(self, key: str) -> int:
        now = time.time()
        k = self._key(key)
        pipe = self.redis.pipeline()
        pipe.zremrangebyscore(k, 0, now - self.window)
        pipe.zrange(k, 0, 0, withscores=True)
        pipe.zcard(k)
        _removed, oldest, count = pipe.execute()
        if count >= self.max_failures and oldest:
            return int(self.window - (now - oldest[0][1])) + 1
        return 0

    def fail(self, key: str) -> None:
        now = time.time()
        k = self._key(key)
        pipe = self.redis.pipeline()
        pipe.zadd(k, {f"{now:.6f}": now})
        pipe.expire(k, self.window)
        pipe.execute()

    def reset(self, key: str) -> None:
        self.redis.delete(self._key(key))


def make_throttle(redis_url: str | None) -> MemoryThrottle | RedisThrottle:
    return RedisThrottle(redis_url) if redis_url else MemoryThrottle()
