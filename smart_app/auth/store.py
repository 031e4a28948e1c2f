"""Server-side storage for pending launches and tokens (the browser only holds an opaque id).

Values are bytes (JSON from :mod:`smart_app.auth.tokens`) with a time to live. ``pop`` is an
atomic read-and-delete so that a ``state`` is honoured once, even with several app processes
sharing Redis (``GETDEL``, https://redis.io/docs/latest/commands/getdel/).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from typing import Protocol

import redis

from smart_app.redis_connection import redis_from_url


def new_key() -> str:
    """An opaque random id (256 bits) for a session, a launch or a stored value."""
    return secrets.token_urlsafe(32)


class TokenStore(Protocol):
    def put(self, key: str, value: bytes, ttl_seconds: int) -> None: ...

    def get(self, key: str) -> bytes | None: ...

    def pop(self, key: str) -> bytes | None:
        """Atomic get + delete (single-use values such as a pending launch)."""

    def delete(self, key: str) -> None: ...


class MemoryTokenStore:
    """A dict with expiry, for one process (development, tests, a single gunicorn worker)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._items: dict[str, tuple[float, bytes]] = {}
        self._lock = threading.Lock()
        self._now = clock

    def put(self, key: str, value: bytes, ttl_seconds: int) -> None:
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        with self._lock:
            self._purge()
            self._items[key] = (self._now() + ttl_seconds, bytes(value))

    def get(self, key: str) -> bytes | None:
        with self._lock:
            item = self._items.get(key)
            if item is None or item[0] <= self._now():
                self._items.pop(key, None)
                return None
            return item[1]

    def pop(self, key: str) -> bytes | None:
        with self._lock:
            item = self._items.pop(key, None)
            return item[1] if item is not None and item[0] > self._now() else None

    def delete(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)

    def _purge(self) -> None:
        now = self._now()
        for key in [k for k, (expires, _) in self._items.items() if expires <= now]:
            del self._items[key]


class RedisTokenStore:
    """Redis-backed store shared by all app processes; keys get a prefix, values a TTL."""

    def __init__(self, client: redis.Redis, *, prefix: str = "ms-monitor:auth:") -> None:
        self._redis = client
        self._prefix = prefix

    @classmethod
    def from_url(cls, url: str, *, prefix: str = "ms-monitor:auth:") -> RedisTokenStore:
        return cls(redis_from_url(url), prefix=prefix)

    def put(self, key: str, value: bytes, ttl_seconds: int) -> None:
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        self._redis.set(self._prefix + key, value, ex=ttl_seconds)

    def get(self, key: str) -> bytes | None:
        return _as_bytes(self._redis.get(self._prefix + key))

    def pop(self, key: str) -> bytes | None:
        return _as_bytes(self._redis.getdel(self._prefix + key))

    def delete(self, key: str) -> None:
        self._redis.delete(self._prefix + key)


def _as_bytes(value: object) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    raise TypeError(f"Unexpected value from Redis: {type(value).__name__}")
