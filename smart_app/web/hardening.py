"""Request-level defences set on the app: trusted hosts, a TLS-terminating proxy, body limits,
rate limits on the anonymous launch routes (smart_app.web.rate_limits).

* ``TRUSTED_HOSTS`` (https://flask.palletsprojects.com/en/stable/config/#TRUSTED_HOSTS): a request
  whose ``Host`` is not the app's own gets 400, so nothing built from the host (URLs, the Origin
  check) can be steered by it. Default: the host of ``MS_MONITOR_PUBLIC_URL``.
* Behind a proxy that terminates TLS the app sees plain http from the proxy. Either
  ``MS_MONITOR_PUBLIC_URL`` says what the browser sees (the write's Origin check and HSTS use it),
  or ``MS_MONITOR_PROXY_FIX_HOPS`` = the number of proxies that set ``X-Forwarded-For/-Proto/
  -Host/-Port`` (werkzeug ProxyFix, https://werkzeug.palletsprojects.com/en/stable/middleware/proxy_fix/);
  never trust those headers without a proxy that overwrites them.
* Body limits per route: the machine-to-machine endpoints (CDS Hooks prefetch, Subscription
  notifications) take large bundles; every other route a small one (``MAX_CONTENT_LENGTH``).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from smart_app.settings import Settings
from smart_app.web.rate_limits import init_rate_limits


def trusted_hosts(settings: Settings) -> list[str] | None:
    """The configured hosts, else the host of the public URL, else None (any host)."""
    if settings.trusted_hosts:
        return list(settings.trusted_hosts)
    host = urlsplit(settings.public_url).hostname if settings.public_url else None
    return [host] if host else None


def harden(app: Flask, settings: Settings) -> None:
    """Apply the settings above to ``app`` (called once by the app factory)."""
    app.config["TRUSTED_HOSTS"] = trusted_hosts(settings)
    init_rate_limits(app, settings)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    hops = settings.proxy_fix_hops
    if hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )


def large_body_limit() -> None:
    """``before_request`` of the machine-to-machine blueprints (CDS Hooks, the Subscription
    webhook): their prefetch and notification bundles get the generous limit."""
    from smart_app.web.runtime import runtime

    request.max_content_length = runtime().settings.unattended_max_body_bytes


def body_limit(max_bytes: int) -> Callable[[], None]:
    """A ``before_request`` hook giving one blueprint's routes their own body limit."""

    def limit() -> None:
        request.max_content_length = max_bytes

    return limit
