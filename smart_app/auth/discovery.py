"""SMART discovery: where to authorize, where to get tokens, what the server supports.

SMART 2.x servers publish ``{iss}/.well-known/smart-configuration``
(https://hl7.org/fhir/smart-app-launch/conformance.html#using-well-known); SMART 1.0 servers may
only publish the ``oauth-uris`` extension on ``rest[0].security`` of their CapabilityStatement
(https://hl7.org/fhir/smart-app-launch/1.0.0/conformance/index.html#declaring-support-for-oauth2-endpoints).
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import requests

from smart_app.errors import AuthError, FhirError
from smart_app.fhir.client import FhirClient

log = logging.getLogger(__name__)

OAUTH_URIS_EXTENSION = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
CAPABILITIES_EXTENSION = "http://fhir-registry.smarthealthit.org/StructureDefinition/capabilities"


@dataclass(frozen=True, slots=True)
class SmartConfiguration:
    """The parts of a server's SMART configuration the client acts on."""

    fhir_base: str
    authorization_endpoint: str
    token_endpoint: str
    issuer: str | None = None  # the authorization server (RFC 8414), NOT the FHIR base
    jwks_uri: str | None = None
    capabilities: frozenset[str] = frozenset()
    code_challenge_methods_supported: tuple[str, ...] = ()
    scopes_supported: tuple[str, ...] = ()
    iss_parameter_supported: bool = False  # RFC 9207 authorization_response_iss_parameter_...
    source: str = "well-known"  # or "capability-statement"

    @property
    def permission_v2(self) -> bool:
        """Ask for v2 scopes (``.rs``) only when the server says it understands them."""
        return "permission-v2" in self.capabilities


def _strings(value: object) -> tuple[str, ...]:
    if isinstance(value, Sequence) and not isinstance(value, str):
        return tuple(v for v in value if isinstance(v, str))
    return ()


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint(url: object, fhir_base: str, name: str) -> str:
    """An OAuth endpoint (and the OIDC issuer) must be https (RFC 6749 3.1, 3.2; RFC 8414 2),
    unless it is on the same origin as the registered FHIR base, or on loopback while the FHIR
    base itself is on loopback (a local sandbox). An https EHR can never point us at plain-http
    loopback services (SSRF, tokens to a local listener)."""
    if not isinstance(url, str) or not url:
        raise AuthError(f"{fhir_base}: SMART configuration has no {name}")
    parts = urlsplit(url)
    base = urlsplit(fhir_base)
    same_origin = (parts.scheme, parts.netloc) == (base.scheme, base.netloc)
    local = _is_loopback(parts.hostname) and _is_loopback(base.hostname)
    if parts.scheme == "https" or (parts.scheme == "http" and (local or same_origin)):
        return url
    raise AuthError(f"{fhir_base}: {name} {url!r} is not an https URL")


def pin_issuer(config: SmartConfiguration, pinned: str | None) -> SmartConfiguration:
    """With an issuer pinned for the registration, the server must announce exactly that one
    (a hostile EHR claiming another's issuer is refused: RFC 9700 4.4); a server that announces
    none (SMART 1 CapabilityStatement) is held to the pinned one for RFC 9207 and the id_token."""
    if pinned is None:
        return config
    if config.issuer is None:
        return replace(config, issuer=pinned)
    if config.issuer != pinned:
        raise AuthError(
            f"{config.fhir_base}: the server announces issuer {config.issuer!r}, "
            f"not the one registered for it ({pinned!r})"
        )
    return config


def from_well_known(fhir_base: str, document: Mapping[str, Any]) -> SmartConfiguration:
    methods = _strings(document.get("code_challenge_methods_supported"))
    if methods and "S256" not in methods:
        raise AuthError(f"{fhir_base}: the server does not support PKCE S256")
    issuer = document.get("issuer")
    jwks_uri = document.get("jwks_uri")
    return SmartConfiguration(
        fhir_base=fhir_base,
        authorization_endpoint=check_endpoint(
            document.get("authorization_endpoint"), fhir_base, "authorization_endpoint"
        ),
        token_endpoint=check_endpoint(document.get("token_endpoint"), fhir_base, "token_endpoint"),
        issuer=check_endpoint(issuer, fhir_base, "issuer") if issuer else None,
        jwks_uri=check_endpoint(jwks_uri, fhir_base, "jwks_uri") if jwks_uri else None,
        capabilities=frozenset(_strings(document.get("capabilities"))),
        code_challenge_methods_supported=methods,
        scopes_supported=_strings(document.get("scopes_supported")),
        iss_parameter_supported=document.get("authorization_response_iss_parameter_supported")
        is True,
        source="well-known",
    )


def from_capability_statement(fhir_base: str, statement: Mapping[str, Any]) -> SmartConfiguration:
    rest = statement.get("rest")
    security = rest[0].get("security", {}) if isinstance(rest, list) and rest else {}
    uris: dict[str, str] = {}
    capabilities: set[str] = set()
    for extension in security.get("extension", []) if isinstance(security, dict) else []:
        if not isinstance(extension, dict):
            continue
        if extension.get("url") == OAUTH_URIS_EXTENSION:
            for sub in extension.get("extension", []):
                if isinstance(sub, dict) and isinstance(sub.get("valueUri"), str):
                    uris[str(sub.get("url"))] = sub["valueUri"]
        elif extension.get("url") == CAPABILITIES_EXTENSION and isinstance(
            extension.get("valueCode"), str
        ):
            capabilities.add(extension["valueCode"])
    if "authorize" not in uris or "token" not in uris:
        raise AuthError(
            f"{fhir_base}: no SMART configuration (neither .well-known/smart-configuration nor "
            "oauth-uris in the CapabilityStatement)"
        )
    return SmartConfiguration(
        fhir_base=fhir_base,
        authorization_endpoint=check_endpoint(uris["authorize"], fhir_base, "authorize URI"),
        token_endpoint=check_endpoint(uris["token"], fhir_base, "token URI"),
        capabilities=frozenset(capabilities),
        source="capability-statement",
    )


def discover(fhir_base: str, *, session: requests.Session, timeout: float) -> SmartConfiguration:
    """Read the well-known document; fall back to the CapabilityStatement (SMART 1.0)."""
    url = f"{fhir_base}/.well-known/smart-configuration"
    try:
        response = session.get(url, headers={"Accept": "application/json"}, timeout=timeout)
        document = response.json() if response.status_code == 200 else None
    except ValueError:  # not JSON (requests' JSONDecodeError is also a RequestException)
        document = None
    except requests.RequestException as error:
        raise AuthError(f"{fhir_base}: cannot read SMART configuration: {error}") from error
    if isinstance(document, dict) and document.get("authorization_endpoint"):
        return from_well_known(fhir_base, document)
    log.info("No usable %s; trying the CapabilityStatement", url)
    try:
        statement = FhirClient(
            fhir_base, timeout_seconds=timeout, retries=1, session=requests.Session()
        ).capabilities()
    except FhirError as error:
        raise AuthError(f"{fhir_base}: cannot read SMART configuration: {error}") from error
    return from_capability_statement(fhir_base, statement)


def backend_configuration(
    fhir_base: str, *, session: requests.Session, timeout: float
) -> tuple[str, frozenset[str]]:
    """SMART Backend Services: ``token_endpoint`` and ``capabilities`` from the well-known
    document, which such servers must publish (no authorize endpoint is needed;
    https://hl7.org/fhir/smart-app-launch/backend-services.html#retrieve-well-knownsmart-configuration)."""
    url = f"{fhir_base.rstrip('/')}/.well-known/smart-configuration"
    try:
        response = session.get(url, headers={"Accept": "application/json"}, timeout=timeout)
    except requests.RequestException as exc:
        raise AuthError(f"cannot read {url} ({type(exc).__name__})") from exc
    if not response.ok:
        raise AuthError(f"{url} answered HTTP {response.status_code}")
    try:
        document: Any = response.json()
    except ValueError as exc:
        raise AuthError(f"{url} is not JSON") from exc
    if not isinstance(document, dict) or not document.get("token_endpoint"):
        raise AuthError(f"{url} names no token_endpoint")
    token_url = check_endpoint(document["token_endpoint"], fhir_base, "token_endpoint")
    return token_url, frozenset(_strings(document.get("capabilities")))


def openid_configuration(
    issuer: str, *, session: requests.Session, timeout: float
) -> Mapping[str, Any] | None:
    """``{issuer}/.well-known/openid-configuration`` (OIDC Discovery 4), or None."""
    try:
        response = session.get(
            f"{issuer.rstrip('/')}/.well-known/openid-configuration",
            headers={"Accept": "application/json"},
            timeout=timeout,
        )
        document = response.json() if response.status_code == 200 else None
    except (requests.RequestException, ValueError):
        return None
    return document if isinstance(document, dict) else None
