"""The FHIR client of an unattended run (``ms-monitor run``, a queue job, ``subscribe``).

Either an open server (``none``) or SMART Backend Services (``backend``,
https://hl7.org/fhir/smart-app-launch/backend-services.html), built from the settings.
"""

from __future__ import annotations

from smart_app.auth.backend import BackendTokenSource
from smart_app.auth.jwks import load_signing_key
from smart_app.errors import ConfigurationError
from smart_app.fhir import FhirClient
from smart_app.settings import Settings

AUTH_MODES = ("none", "backend")


def backend_token_source(fhir_base: str, settings: Settings) -> BackendTokenSource:
    """A Backend Services token source from the ``backend_*`` settings (checked up front)."""
    missing = [
        name
        for name, value in (
            ("MS_MONITOR_BACKEND_CLIENT_ID", settings.backend_client_id),
            ("MS_MONITOR_BACKEND_PRIVATE_KEY_FILE", settings.backend_private_key_file),
            ("MS_MONITOR_BACKEND_KEY_ID", settings.backend_key_id),
        )
        if not value
    ]
    if missing:
        raise ConfigurationError(f"--auth backend needs {', '.join(missing)}")
    assert settings.backend_private_key_file is not None
    assert settings.backend_key_id is not None
    assert settings.backend_client_id is not None
    try:
        pem = settings.backend_private_key_file.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"cannot read the backend private key: {exc}") from exc
    key = load_signing_key(pem, key_id=settings.backend_key_id, alg=settings.backend_alg)
    return BackendTokenSource(
        fhir_base,
        client_id=settings.backend_client_id,
        signing_key=key,
        scopes=settings.backend_scopes,
        timeout_seconds=settings.http_timeout_seconds,
        notes=bool(settings.plan_store_url),
    )


def unattended_client(fhir_base: str, *, auth: str, settings: Settings) -> FhirClient:
    """``auth`` is ``none`` (an open server) or ``backend`` (SMART Backend Services)."""
    if auth not in AUTH_MODES:
        raise ConfigurationError(f"auth must be one of {', '.join(AUTH_MODES)}")
    source = backend_token_source(fhir_base, settings) if auth == "backend" else None
    return FhirClient(
        fhir_base,
        token_source=source,
        timeout_seconds=settings.http_timeout_seconds,
        retries=settings.http_retries,
    )


def plan_store_client(settings: Settings) -> FhirClient | None:
    """ms-monitor's own plan store (``MS_MONITOR_PLAN_STORE_URL``), None when not configured."""
    if not settings.plan_store_url:
        return None
    return FhirClient(
        settings.plan_store_url,
        timeout_seconds=settings.http_timeout_seconds,
        retries=settings.http_retries,
    )
