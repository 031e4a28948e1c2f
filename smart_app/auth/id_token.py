"""id_token validation (OpenID Connect Core 3.1.3.7), used when the app asks for ``openid``.

The id_token names the user (``fhirUser``). It is accepted only when it is signed with an
asymmetric key published at the server's ``jwks_uri`` (``alg: none`` and HMAC, which a client
cannot verify against public keys, are refused), issued by the authorization server, meant for
this client (``aud``), unexpired, and carries the ``nonce`` of this launch
(https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html#scopes-for-requesting-identity-data).
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from smart_app.errors import AuthError

ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}
)
CLOCK_SKEW_SECONDS = 60


def unverified_header(token: str) -> dict[str, Any]:
    """The JOSE header, read only to choose the key and to refuse weak algorithms early."""
    try:
        segment = token.split(".", 1)[0]
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, IndexError) as error:
        raise AuthError("id_token rejected: not a JWT") from error
    if not isinstance(header, dict):
        raise AuthError("id_token rejected: not a JWT")
    return header


def validate_id_token(
    token: str,
    *,
    keys: KeySet,
    issuer: str,
    client_id: str,
    nonce: str | None,
    now: float | None = None,
) -> dict[str, Any]:
    """The verified claims; :class:`AuthError` naming the failed check otherwise."""
    alg = unverified_header(token).get("alg")
    if alg not in ASYMMETRIC_ALGORITHMS:
        raise AuthError(f"id_token rejected: algorithm {str(alg)[:20]!r} is not allowed")
    try:
        claims = jwt.decode(token, keys, algorithms=[str(alg)]).claims
    except JoseError as error:
        raise AuthError(f"id_token rejected: bad signature or key ({error.error})") from error
    options: dict[str, Any] = {
        "iss": {"essential": True, "value": issuer},
        "aud": {"essential": True, "value": client_id},
        "exp": {"essential": True},
        "iat": {"essential": True},
    }
    if nonce is not None:
        options["nonce"] = {"essential": True, "value": nonce}
    registry = JWTClaimsRegistry(
        now=int(time.time() if now is None else now), leeway=CLOCK_SKEW_SECONDS, **options
    )
    try:
        registry.validate(claims)
    except JoseError as error:
        raise AuthError(f"id_token rejected: {error.error} ({error.description})") from error
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise AuthError("id_token rejected: several audiences and azp is not this client")
    return dict(claims)
