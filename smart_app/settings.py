"""Run-time settings, read from the environment (prefix ``MS_MONITOR_``) or passed explicitly.

See https://docs.pydantic.dev/latest/concepts/pydantic_settings/ for how values are parsed.
"""

from __future__ import annotations

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
    http_timeout_seconds: float = Field(default=30.0, gt=0)
    http_retries: int = Field(default=3, ge=0)
    secret_key: str | None = Field(default=None, description="Flask secret key; random if unset.")
