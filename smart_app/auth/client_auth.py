"""Client authentication at the token endpoint, with Authlib.

- ``none``: a public client sends ``client_id`` in the body and no secret;
- ``client_secret_basic``: HTTP Basic (RFC 6749 2.3.1);
- ``private_key_jwt``: a signed assertion (RFC 7523; SMART asymmetric client authentication,
  https://hl7.org/fhir/smart-app-launch/client-confidential-asymmetric.html): RS384 or ES384,
  ``iss = sub = client_id``, ``aud`` = token endpoint, ``exp`` no more than 5 minutes ahead, a
  fresh ``jti`` every time, ``kid`` in the header.

Authlib's :class:`PrivateKeyJWT` would sign with a one-hour lifetime, and a ``claims`` dict passed
to it is mutated on first use (its ``jti`` is then reused on every call).
:class:`SmartPrivateKeyJWT` signs with a 300-second lifetime and never shares a claims dict.
"""

from __future__ import annotations

from typing import Any

from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from authlib.oauth2.rfc7523.assertion import private_key_jwt_sign
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from joserfc.jwk import ECKey, RSAKey

from smart_app.auth.registry import ClientRegistration
from smart_app.errors import ConfigurationError

ASSERTION_LIFETIME_SECONDS = 300
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def load_signing_key(private_key_pem: str) -> tuple[RSAKey | ECKey, str]:
    """The key as a joserfc key, and the SMART algorithm for it (RS384 for RSA, ES384 for
    P-384; https://hl7.org/fhir/smart-app-launch/client-confidential-asymmetric.html#signature-algorithms)."""
    try:
        native = load_pem_private_key(private_key_pem.encode(), password=None)
    except (ValueError, TypeError) as error:
        raise ConfigurationError(f"Unreadable private key: {error}") from error
    if isinstance(native, rsa.RSAPrivateKey):
        return RSAKey.import_key(private_key_pem), "RS384"
    if isinstance(native, ec.EllipticCurvePrivateKey) and native.curve.name == "secp384r1":
        return ECKey.import_key(private_key_pem), "ES384"
    raise ConfigurationError("private_key_jwt needs an RSA or an EC P-384 key (RS384 / ES384)")


class SmartPrivateKeyJWT(PrivateKeyJWT):  # type: ignore[misc]  # Authlib is untyped
    """Authlib's ``private_key_jwt`` with the SMART lifetime, a fresh jti and a kid header."""

    def __init__(self, token_endpoint: str, *, key_id: str, alg: str) -> None:
        super().__init__(token_endpoint=token_endpoint, claims=None, headers=None, alg=alg)
        self.key_id = key_id

    def sign(self, auth: Any, token_endpoint: str) -> str:
        return str(
            private_key_jwt_sign(
                auth.client_secret,
                client_id=auth.client_id,
                token_endpoint=token_endpoint,
                alg=self.alg,
                claims=None,  # a new dict each call: Authlib writes the fresh jti into it
                header={"kid": self.key_id},  # new dict too: Authlib adds "alg" to it
                expires_in=ASSERTION_LIFETIME_SECONDS,
            )
        )


def oauth_session(
    registration: ClientRegistration, token_endpoint: str, *, timeout: float
) -> OAuth2Session:
    """A short-lived Authlib session that authenticates as ``registration`` at the token
    endpoint. One per exchange: no token or state is shared between launches or threads."""
    method = registration.auth_method
    if method == "private_key_jwt":
        assert registration.private_key_pem  # checked at registration
        assert registration.key_id
        key, alg = load_signing_key(registration.private_key_pem)
        session = OAuth2Session(
            client_id=registration.client_id,
            client_secret=key,
            token_endpoint_auth_method="private_key_jwt",  # noqa: S106 (a method name)
            redirect_uri=registration.redirect_uri,
            default_timeout=timeout,
        )
        session.register_client_auth_method(
            SmartPrivateKeyJWT(token_endpoint, key_id=registration.key_id, alg=alg)
        )
        return session
    if method not in {"none", "client_secret_basic"}:
        raise ConfigurationError(
            f"{registration.iss}: auth_method {method!r} has no token endpoint"
        )
    return OAuth2Session(
        client_id=registration.client_id,
        client_secret=registration.client_secret if method == "client_secret_basic" else None,
        token_endpoint_auth_method=method,
        redirect_uri=registration.redirect_uri,
        default_timeout=timeout,
    )
