"""Run-time settings, read from the environment (prefix ``MS_MONITOR_``) or passed explicitly.

See https://docs.pydantic.dev/latest/concepts/pydantic_settings/ for how values are parsed.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Settings of the web app, the CLI and the workers."""

    model_config = SettingsConfigDict(env_prefix="MS_MONITOR_", extra="ignore")

    fhir_base_url: str | None = Field(
        default=None, description="FHIR base for open-server mode and unattended runs."
    )
    canonical_base: str = Field(
        default="http://example.org/fhir/ms-monitor",
        description="Canonical base of the project's own CodeSystems, profiles and PlanDefinition.",
    )
    plan_store_url: str | None = Field(
        default=None,
        description="ms-monitor's own FHIR plan store (HAPI), for EHRs that refuse CarePlan/Task.",
    )
    http_timeout_seconds: float = Field(default=30.0, gt=0)
    http_retries: int = Field(default=3, ge=0)
    secret_key: str | None = Field(default=None, description="Flask secret key; random if unset.")
    issuers_file: Path | None = Field(
        default=None, description="JSON list of SMART client registrations (the iss allowlist)."
    )
    # -- unattended runs (Backend Services, queue, webhook, CDS Hooks) --
    backend_client_id: str | None = Field(default=None, description="Backend Services client_id.")
    backend_private_key_file: Path | None = Field(
        default=None, description="PEM private key signing the client assertion."
    )
    backend_key_id: str | None = Field(default=None, description="`kid` of the backend key.")
    backend_alg: str = Field(default="RS384", description="RS384 or ES384.")
    backend_scopes: str | None = Field(
        default=None, description="System scopes; default by the server's permission-v2 support."
    )
    queue_name: str = Field(default="ms-monitor", description="RQ queue of patient updates.")
    webhook_secret: str | None = Field(
        default=None, description="Shared secret FHIR Subscriptions send as a Bearer token."
    )
    cds_allowed_issuers: dict[str, str] = Field(
        default_factory=dict, description="CDS client JWT issuers allowed, as {iss: jku/JWKS URL}."
    )
    app_launch_url: str | None = Field(
        default=None, description="SMART launch URL of ms-monitor, linked from CDS cards."
    )
    # -- web app --
    redis_url: str | None = Field(
        default=None, description="Redis for sessions and tokens (several workers); else memory."
    )
    cookie_secure: bool = Field(
        default=True, description="Secure cookie flag; False only for a plain-http local demo."
    )
    frame_ancestors: str = Field(
        default="'self'",
        description="CSP frame-ancestors sources; the allowlisted EHR origins are added.",
    )
    session_ttl_seconds: int = Field(default=8 * 3600, gt=0)
