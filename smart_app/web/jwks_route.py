"""``/.well-known/jwks.json``: the public key of ms-monitor's Backend Services client.

An EHR that registers the app by JWKS URL fetches its key here
(https://hl7.org/fhir/smart-app-launch/backend-services.html#registering-a-smart-backend-service).
Only public members are ever served.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from smart_app.auth.jwks import load_signing_key, public_jwks
from smart_app.settings import Settings
from smart_app.web.runtime import runtime

bp = Blueprint("ms_monitor_jwks", __name__)


def app_jwks(settings: Settings) -> dict[str, Any]:
    """The public JWKS of the configured Backend Services key (empty without one)."""
    if not (settings.backend_private_key_file and settings.backend_key_id):
        return {"keys": []}
    key = load_signing_key(
        settings.backend_private_key_file.read_bytes(),
        key_id=settings.backend_key_id,
        alg=settings.backend_alg,
    )
    return public_jwks([key])


@bp.get("/.well-known/jwks.json")
def jwks() -> tuple[dict[str, Any], int, dict[str, str]]:
    return runtime().app_jwks, 200, {"Cache-Control": "public, max-age=3600"}
