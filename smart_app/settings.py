"""Run-time settings, read from the environment (prefix ``MS_MONITOR_``) or passed explicitly.

See https://docs.pydantic.dev/latest/concepts/pydantic_settings/ for how values are parsed.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CdsClientAllowance(BaseModel):
    """One CDS client: where its signing keys are, and the FHIR bases it may name as
    ``fhirServer`` (https://cds-hooks.hl7.org/2.0/#trusting-cds-clients)."""

    jwks_url: str
    fhir_servers: list[str] = Field(default_factory=list)


class Settings(BaseSettings):
    """Settings of the web app, the CLI and the workers."""

    model_config = SettingsConfigDict(env_prefix="MS_MONITOR_", extra="ignore")

    fhir_base_url: str | None = Field(
        default=None, description="FHIR base of unattended runs and the webhook."
    )
    open_server_launch: bool = Field(
        default=False,
        description="Also allowlist fhir_base_url as an open server (anonymous launch, no OAuth).",
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
    cds_allowed_issuers: dict[str, str | CdsClientAllowance] = Field(
        default_factory=dict,
        description="CDS clients allowed, as {iss: JWKS URL} or {iss: {jwks_url, fhir_servers}}; "
        "a fhirServer is read only when it is one of its client's fhir_servers.",
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
    # -- hardening (issue 13) --
    public_url: str | None = Field(
        default=None,
        description="The app's public URL (scheme://host[:port][/prefix]): the CDS JWT aud, "
        "the origin writes must come from, HSTS when https, and the trusted Host.",
    )
    trusted_hosts: list[str] | None = Field(
        default=None, description="Flask TRUSTED_HOSTS; default: the host of public_url."
    )
    proxy_fix_hops: int = Field(
        default=0,
        ge=0,
        description="Proxies in front that set X-Forwarded-For/-Proto/-Host (werkzeug ProxyFix).",
    )
    launch_rate_limit: str = Field(
        default="30 per minute", description="Per client address, on /launch and /callback."
    )
    max_body_bytes: int = Field(default=64 * 1024, gt=0, description="Request body limit.")
    unattended_max_body_bytes: int = Field(
        default=16 * 1024 * 1024,
        gt=0,
        description="Body limit of the CDS Hooks service and the webhook (prefetch bundles).",
    )
