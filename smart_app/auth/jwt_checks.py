"""The one JWT verifier: id_tokens (OpenID Connect) and CDS Hooks client tokens alike.

Both are accepted only when signed with an asymmetric algorithm (``alg: none`` and HMAC, which
cannot be verified against published public keys, are refused), by a key from the issuer's JWKS,
with their registered claims checked with the same small clock-skew allowance (RFC 7519 4.1.4:
"a small leeway, usually no more than a few minutes"; ours is a few seconds, since EHR and app
servers keep NTP time and a CDS client token lives about a minute).
https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation,
https://cds-hooks.hl7.org/2.0/#trusting-cds-clients
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Mapping
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from smart_app.errors import AuthError

ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}
)
CLOCK_SKEW_SECONDS = 3


def _segment(token: str, index: int, what: str) -> dict[str, Any]:
    try:
        segment = token.split(".")[index]
        value = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, IndexError) as error:
        raise AuthError(f"{what}: not a JWT") from error
    if not isinstance(value, dict):
        raise AuthError(f"{what}: not a JWT")
    return value


def unverified_header(token: str, what: str = "id_token rejected") -> dict[str, Any]:
    """The JOSE header, read only to choose the key and to refuse weak algorithms early."""
    return _segment(token, 0, what)


def unverified_claims(token: str, what: str) -> dict[str, Any]:
    """The claims before verification: only to find the issuer (and so its keys)."""
    if token.count(".") != 2:
        raise AuthError(f"{what}: not a JWT")
    return _segment(token, 1, what)


def asymmetric_algorithm(header: Mapping[str, Any], what: str) -> str:
    alg = header.get("alg")
    if alg not in ASYMMETRIC_ALGORITHMS:
        raise AuthError(f"{what}: algorithm {str(alg)[:20]!r} is not allowed")
    return str(alg)


def verify_jwt(
    token: str,
    keys: KeySet,
    *,
    what: str,
    claims: Mapping[str, dict[str, Any]],
    now: float | None = None,
) -> dict[str, Any]:
    """The verified claims of ``token``; :class:`AuthError` (starting with ``what``) naming the
    failed check otherwise. ``claims`` are joserfc claim requests (``essential``, ``value``)."""
    alg = asymmetric_algorithm(unverified_header(token, what), what)
    try:
        found = jwt.decode(token, keys, algorithms=[alg]).claims
    except (JoseError, ValueError) as error:
        name = getattr(error, "error", type(error).__name__)
        raise AuthError(f"{what}: bad signature or key ({name})") from error
    registry = JWTClaimsRegistry(
        now=int(time.time() if now is None else now),
        leeway=CLOCK_SKEW_SECONDS,
        **claims,  # type: ignore[arg-type]  # joserfc's ClaimsOption is a TypedDict
    )
    try:
        registry.validate(found)
    except JoseError as error:
        claim = getattr(error, "claim", None)  # which claim failed: iat, nbf, exp, aud...
        named = f" {claim}" if claim else ""
        raise AuthError(f"{what}: {error.error}{named} ({error.description})") from error
    return dict(found)
