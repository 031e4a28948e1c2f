"""Flask application factory: wires settings, the token store, the issuer allowlist and blueprints.

https://flask.palletsprojects.com/en/stable/patterns/appfactories/ (``init_app`` style): every
long-lived part is built here once and reached through ``current_app.extensions``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date

from flask import Flask, Response
from flask_wtf.csrf import CSRFProtect

from smart_app.auth.cds_client import CdsClientVerifier, ReplayCache
from smart_app.auth.cds_clients import CdsClientRegistry
from smart_app.auth.registry import IssuerRegistry
from smart_app.auth.store import MemoryTokenStore, RedisTokenStore, TokenStore
from smart_app.service.updates import QueueFactory, lazy_patient_queue
from smart_app.settings import Settings
from smart_app.web import cds_hooks, dashboard, evidence, jwks_route, launch, webhook, worklist
from smart_app.web.hardening import harden
from smart_app.web.launches import LaunchRepository
from smart_app.web.pages import register_error_pages
from smart_app.web.runtime import EXTENSION, WebRuntime
from smart_app.web.security import frame_ancestors, init_security, install_log_redaction
from smart_app.web.sessions import ServerSessionInterface

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
    cds_verifier: CdsClientVerifier | None = None,
    today: Callable[[], date] = date.today,
) -> Flask:
    """Build the app from ``settings`` (read from the environment when None).

    ``queue_factory`` gives the patient-update queue of the webhook (default: the configured
    Redis, connected on first use); ``cds_verifier`` checks CDS client JWTs (default: the
    allowlisted issuers of the settings); ``today`` is the as-of date of each evaluation.
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
        MAX_CONTENT_LENGTH=settings.max_body_bytes,  # per route: smart_app.web.hardening
    )
    store = store if store is not None else token_store(settings)
    registry = registry if registry is not None else IssuerRegistry.from_settings(settings)
    cds_clients = CdsClientRegistry.from_settings(settings)
    app.extensions[EXTENSION] = WebRuntime(
        settings=settings,
        store=store,
        registry=registry,
        launches=LaunchRepository(store, ttl_seconds=settings.session_ttl_seconds),
        cds_verifier=cds_verifier
        or CdsClientVerifier(cds_clients.jwks_urls(), ReplayCache(settings.redis_url)),
        cds_clients=cds_clients,
        patient_queue=queue_factory or lazy_patient_queue(settings),
        app_jwks=jwks_route.app_jwks(settings),
        today=today,
    )
    app.session_interface = ServerSessionInterface(store, ttl_seconds=settings.session_ttl_seconds)
    csrf.init_app(app)
    init_security(app, ancestors=frame_ancestors(settings.frame_ancestors, registry))
    install_log_redaction()
    register_error_pages(app)
    app.register_blueprint(launch.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(evidence.bp)
    app.register_blueprint(worklist.bp)
    app.register_blueprint(jwks_route.bp)
    # machine-to-machine POSTs carry no CSRF token: they authenticate by secret or signed JWT
    for blueprint in (webhook.bp, cds_hooks.bp):
        app.register_blueprint(blueprint)
        csrf.exempt(blueprint)
    harden(app, settings)  # trusted hosts, proxy, body and rate limits

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return app.send_static_file("favicon.ico")

    return app
