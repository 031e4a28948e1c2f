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


def jwks_blueprint(settings: Settings) -> Blueprint:
    blueprint = Blueprint("ms_monitor_jwks", __name__)
    document: dict[str, Any] = {"keys": []}
    if settings.backend_private_key_file and settings.backend_key_id:
        key = load_signing_key(
            settings.backend_private_key_file.read_bytes(),
            key_id=settings.backend_key_id,
            alg=settings.backend_alg,
        )
        document = public_jwks([key])

    @blueprint.get("/.well-known/jwks.json")
    def jwks() -> tuple[dict[str, Any], int, dict[str, str]]:
        return document, 200, {"Cache-Control": "public, max-age=3600"}

    return blueprint
