"""The one Redis connection factory: sessions and tokens, the CDS ``jti`` cache, the job queue.

Connections are cached per URL, so the parts of one process share a connection pool
(https://redis.readthedocs.io/en/stable/connections.html).
"""

from __future__ import annotations

import threading

from redis import Redis

from smart_app.errors import ConfigurationError
from smart_app.settings import Settings

_connections: dict[str, Redis] = {}
_lock = threading.Lock()


def redis_from_url(url: str) -> Redis:
    """The process's connection to ``url`` (created on first use)."""
    with _lock:
        connection = _connections.get(url)
        if connection is None:
            connection = _connections[url] = Redis.from_url(url)
        return connection


def redis_connection(settings: Settings) -> Redis:
    """The configured Redis; a clear error when ``MS_MONITOR_REDIS_URL`` is not set."""
    if not settings.redis_url:
        raise ConfigurationError("MS_MONITOR_REDIS_URL is needed for the job queue")
    return redis_from_url(settings.redis_url)
