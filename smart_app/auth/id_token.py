"""id_token validation (OpenID Connect Core 3.1.3.7), used when the app asks for ``openid``.

The id_token names the user (``fhirUser``). It is accepted only when it is signed with an
asymmetric key published at the server's ``jwks_uri`` (checked by the one JWT verifier,
smart_app.auth.jwt_checks), issued by the authorization server, meant for
this client (``aud``), unexpired, and carries the ``nonce`` of this launch
(https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html#scopes-for-requesting-identity-data).
"""

from __future__ import annotations

from typing import Any

from joserfc.jwk import KeySet

from smart_app.auth.jwt_checks import unverified_header, verify_jwt
from smart_app.errors import AuthError

__all__ = ["unverified_header", "validate_id_token"]

WHAT = "id_token rejected"


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
    options: dict[str, dict[str, Any]] = {
        "iss": {"essential": True, "value": issuer},
        "aud": {"essential": True, "value": client_id},
        "exp": {"essential": True},
        "iat": {"essential": True},
    }
    if nonce is not None:
        options["nonce"] = {"essential": True, "value": nonce}
    claims = verify_jwt(token, keys, what=WHAT, claims=options, now=now)
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise AuthError(f"{WHAT}: several audiences and azp is not this client")
    return claims
