"""Where the sandbox lives and what it points at."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_FHIR_USER = "Practitioner/sandbox-neurologist"


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    """URLs and settings of one sandbox.

    ``public_base`` is the sandbox's own origin (``http://127.0.0.1:9090``): it is the OAuth
    issuer; its FHIR base (the ``iss`` of a launch and the ``aud`` an app must send) is
    ``{public_base}/fhir``.
    """

    fhir_upstream: str
    public_base: str
    app_launch_url: str
    token_lifetime_seconds: int = 3600
    fhir_user: str = DEFAULT_FHIR_USER
    smart_style_url: str | None = None
    upstream_timeout_seconds: float = 30.0
    #: Answer a batch POST with 405, as EHRs without batch do (error injection).
    refuse_batch: bool = False

    @property
    def issuer(self) -> str:
        return self.public_base.rstrip("/")

    @property
    def fhir_base(self) -> str:
        return f"{self.issuer}/fhir"

    @property
    def token_url(self) -> str:
        return f"{self.issuer}/token"

    @property
    def upstream(self) -> str:
        return self.fhir_upstream.rstrip("/")

    @property
    def style_url(self) -> str:
        return self.smart_style_url or f"{self.issuer}/smart-style.json"
