"""The CDS client allowlist: each client's ``iss``, its JWKS, and the FHIR bases it may name.

CDS Hooks lets the client say where to read (``fhirServer``) and hands over a bearer token
(``fhirAuthorization``) (https://cds-hooks.hl7.org/2.0/#fhir-resource-access). Taken on trust,
that makes the service an open proxy: loopback, ``169.254.169.254`` or any host, with a token.
So a ``fhirServer`` is read only when it is one of the FHIR bases registered for the ``iss`` of
the verified client JWT; anything else is refused (412) before any request. The JWT's lifetime
rules (``iat`` required, ``nbf`` honoured, at most 5 minutes) follow
https://cds-hooks.hl7.org/2.0/#trusting-cds-clients ("exp ... no more than 5 minutes").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from smart_app.auth.registry import normalize_iss
from smart_app.errors import AuthError
from smart_app.settings import CdsClientAllowance, Settings

#: CDS Hooks: the JWT's ``exp`` "SHALL be no more than 5 minutes" after ``iat``.
MAX_TOKEN_LIFETIME_SECONDS = 300
#: Clock difference tolerated between the CDS client and us (``iat``/``nbf`` in the future).
CLOCK_SKEW_SECONDS = 30


@dataclass(frozen=True, slots=True)
class CdsClient:
    """One allowlisted CDS client."""

    iss: str
    jwks_url: str
    fhir_servers: frozenset[str]


class CdsClientRegistry:
    """The allowlisted CDS clients by ``iss`` (exact, except one trailing ``/``)."""

    def __init__(self, clients: Mapping[str, str | CdsClientAllowance]) -> None:
        self._by_iss: dict[str, CdsClient] = {}
        for iss, entry in clients.items():
            allowance = entry if isinstance(entry, CdsClientAllowance) else None
            jwks_url = allowance.jwks_url if allowance else str(entry)
            servers = allowance.fhir_servers if allowance else []
            key = normalize_iss(iss)
            self._by_iss[key] = CdsClient(
                key, jwks_url, frozenset(normalize_iss(s) for s in servers)
            )

    @classmethod
    def from_settings(cls, settings: Settings) -> CdsClientRegistry:
        return cls(settings.cds_allowed_issuers)

    def jwks_urls(self) -> dict[str, str]:
        """``{iss: JWKS URL}``, what the JWT verifier needs."""
        return {iss: client.jwks_url for iss, client in self._by_iss.items()}

    def allows_fhir_server(self, iss: object, fhir_server: object) -> bool:
        """True only when ``fhir_server`` is a FHIR base registered for the client ``iss``."""
        if not isinstance(iss, str) or not isinstance(fhir_server, str):
            return False
        client = self._by_iss.get(normalize_iss(iss))
        return client is not None and normalize_iss(fhir_server) in client.fhir_servers


def service_audience(settings: Settings, path: str) -> str | None:
    """The ``aud`` a CDS client JWT must carry: the configured public URL of the service plus
    the endpoint's path, never derived from the request's ``Host`` (None when not configured)."""
    if not settings.public_url:
        return None
    return settings.public_url.rstrip("/") + path


def check_token_times(claims: Mapping[str, Any], *, now: float) -> None:
    """``iat`` present and not in the future, ``nbf`` reached, lifetime at most 5 minutes."""
    iat, exp, nbf = claims.get("iat"), claims.get("exp"), claims.get("nbf")
    if not _is_number(iat):
        raise AuthError("the JWT has no iat")
    if iat > now + CLOCK_SKEW_SECONDS:
        raise AuthError("the JWT iat is in the future")
    if nbf is not None and (not _is_number(nbf) or nbf > now + CLOCK_SKEW_SECONDS):
        raise AuthError("the JWT is not valid yet (nbf)")
    if not _is_number(exp) or exp - iat > MAX_TOKEN_LIFETIME_SECONDS:
        raise AuthError("the JWT lives longer than 5 minutes (exp - iat)")


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
