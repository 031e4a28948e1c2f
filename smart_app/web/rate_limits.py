"""Per-address rate limits on the anonymous entry points: /launch, /standalone, /callback.

Each anonymous launch costs a discovery read, a pending launch and a session on the server; the
limit (``MS_MONITOR_LAUNCH_RATE_LIMIT``, e.g. ``30 per minute``) bounds what one client address can
make us store or fetch. Flask-Limiter (https://flask-limiter.readthedocs.io/) keeps the counters in
Redis when ``MS_MONITOR_REDIS_URL`` is set (shared by every worker), else in process memory. Behind
a proxy, set ``MS_MONITOR_PROXY_FIX_HOPS`` so that the client address is the browser's, not the
proxy's.
"""

from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from smart_app.settings import Settings
from smart_app.web import launch


def init_rate_limits(app: Flask, settings: Settings) -> Limiter:
    """Limit every route of the launch blueprint per client address."""
    limiter = Limiter(
        key_func=get_remote_address,
        storage_uri=settings.redis_url or "memory://",
        key_prefix="ms-monitor-rate",
        strategy="moving-window",
    )
    limiter.init_app(app)
    limiter.limit(settings.launch_rate_limit)(launch.bp)
    return limiter
