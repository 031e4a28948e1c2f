"""Flask application factory: wires settings, the token store, the issuer allowlist and blueprints.

https://flask.palletsprojects.com/en/stable/patterns/appfactories/ (``init_app`` style): every
long-lived part is built here once and reached through ``current_app.extensions``.
"""

from __future__ import annotations

import secrets

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from rq import Queue

from smart_app.auth.registry import IssuerRegistry
from smart_app.auth.store import MemoryTokenStore, RedisTokenStore, TokenStore
from smart_app.redis_connection import redis_connection
from smart_app.service.updates import patient_queue
from smart_app.settings import Settings
from smart_app.web import dashboard, evidence, launch
from smart_app.web.cds_hooks import cds_blueprint
from smart_app.web.jwks_route import jwks_blueprint
from smart_app.web.launches import LaunchRepository
from smart_app.web.pages import register_error_pages
from smart_app.web.runtime import EXTENSION, WebRuntime
from smart_app.web.security import frame_ancestors, init_security, install_log_redaction
from smart_app.web.sessions import ServerSessionInterface
from smart_app.web.webhook import QueueFactory, webhook_blueprint

csrf = CSRFProtect()


def token_store(settings: Settings) -> TokenStore:
    """Redis when configured (several workers share sessions and tokens), else process memory."""
    if settings.redis_url:
        return RedisTokenStore.from_url(settings.redis_url)
    return MemoryTokenStore()


def create_app(
    settings: Settings | None = None,
    *,
    store: TokenStore | None = None,
    registry: IssuerRegistry | None = None,
    queue_factory: QueueFactory | None = None,
) -> Flask:
    """Build the app from ``settings`` (read from the environment when None).

    ``queue_factory`` gives the patient-update queue of the webhook (default: the configured
    Redis, connected on first use).
    """
    settings = settings or Settings()
    app = Flask(__name__.rsplit(".", 1)[0])  # smart_app.web: its templates and static files
    app.config.update(
        SECRET_KEY=settings.secret_key or secrets.token_hex(32),
        SESSION_COOKIE_NAME="msm_session",
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        SESSION_COOKIE_HTTPONLY=True,
        # SameSite=None (the EHR runs the app in a cross-site iframe) requires Secure; a plain
        # http demo (cookie_secure False) falls back to Lax, which works when the EHR sandbox is
        # on the same site (same host, another port)
        SESSION_COOKIE_SAMESITE="None" if settings.cookie_secure else "Lax",
        WTF_CSRF_SSL_STRICT=False,  # our own Origin/Referer check covers http and https alike
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the server-side session
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    store = store if store is not None else token_store(settings)
    registry = registry if registry is not None else IssuerRegistry.from_settings(settings)
    app.extensions[EXTENSION] = WebRuntime(
        settings=settings,
        store=store,
        registry=registry,
        launches=LaunchRepository(store, ttl_seconds=settings.session_ttl_seconds),
    )
    app.session_interface = ServerSessionInterface(store, ttl_seconds=settings.session_ttl_seconds)
    csrf.init_app(app)
    init_security(app, ancestors=frame_ancestors(settings.frame_ancestors, registry))
    install_log_redaction()
    register_error_pages(app)
    app.register_blueprint(launch.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(evidence.bp)
    # machine-to-machine POSTs carry no CSRF token: they authenticate by secret or signed JWT
    webhook = webhook_blueprint(settings, queue_factory or _lazy_queue(settings))
    cds = cds_blueprint(settings)
    for blueprint in (webhook, cds):
        app.register_blueprint(blueprint)
        csrf.exempt(blueprint)
    app.register_blueprint(jwks_blueprint(settings))

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _lazy_queue(settings: Settings) -> QueueFactory:
    cache: list[Queue] = []

    def factory() -> Queue:
        if not cache:
            cache.append(patient_queue(redis_connection(settings), settings))
        return cache[0]

    return factory
