"""Flask application factory: wires settings, the token store, the issuer allowlist and blueprints.

https://flask.palletsprojects.com/en/stable/patterns/appfactories/ (``init_app`` style): every
long-lived part is built here once and reached through ``current_app.extensions``.
"""

from __future__ import annotations

import secrets
from datetime import date

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from smart_app.auth.registry import IssuerRegistry
from smart_app.auth.store import MemoryTokenStore, RedisTokenStore, TokenStore
from smart_app.domain import EvaluationContext
from smart_app.settings import Settings
from smart_app.web import dashboard, evidence, launch
from smart_app.web.launches import LaunchRepository
from smart_app.web.runtime import EXTENSION, WebRuntime
from smart_app.web.security import frame_ancestors, init_security, install_log_redaction
from smart_app.web.sessions import ServerSessionInterface
from smart_app.web.webhook import register_unattended

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
) -> Flask:
    """Build the app from ``settings`` (read from the environment when None)."""
    settings = settings or Settings()
    app = Flask(__name__.rsplit(".", 1)[0] + ".web")
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
    app.extensions["ms_monitor_settings"] = settings
    app.extensions[EXTENSION] = WebRuntime(
        settings=settings,
        store=store,
        registry=registry,
        launches=LaunchRepository(store, ttl_seconds=settings.session_ttl_seconds),
        rules=EvaluationContext.build(date.today(), canonical_base=settings.canonical_base),
    )
    app.session_interface = ServerSessionInterface(store, ttl_seconds=settings.session_ttl_seconds)
    csrf.init_app(app)
    init_security(app, ancestors=frame_ancestors(settings.frame_ancestors, registry))
    install_log_redaction()
    app.register_blueprint(launch.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(evidence.bp)
    register_unattended(app)  # FHIR Subscription webhook, app JWKS, CDS Hooks service

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
