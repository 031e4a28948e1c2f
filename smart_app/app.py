"""Flask application factory: wires settings, the FHIR client and the web blueprints.

https://flask.palletsprojects.com/en/stable/patterns/appfactories/
"""

from __future__ import annotations

import secrets

from flask import Flask

from smart_app.settings import Settings


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app from ``settings`` (read from the environment when None)."""
    settings = settings or Settings()
    app = Flask(__name__)
    app.config["SECRET_KEY"] = settings.secret_key or secrets.token_hex(32)
    app.extensions["ms_monitor_settings"] = settings

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
