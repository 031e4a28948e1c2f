"""Client authentication at the token endpoint, with Authlib.

- ``none``: a public client sends ``client_id`` in the body and no secret;
- ``client_secret_basic``: HTTP Basic (RFC 6749 2.3.1);
- ``private_key_jwt``: a signed assertion (RFC 7523; SMART asymmetric client authentication,
  https://hl7.org/fhir/smart-app-launch/client-confidential-asymmetric.html): RS384 or ES384,
  ``iss = sub = client_id``, ``aud`` = token endpoint, ``exp`` no more than 5 minutes ahead, a
  fresh ``jti`` every time, ``kid`` in the header.

Authlib's :class:`PrivateKeyJWT` would sign with a one-hour lifetime, and a ``claims`` dict passed
to it is mutated on first use (its ``jti`` is then reused on every call).
:class:`SmartPrivateKeyJWT` signs with a 240-second lifetime and a new claims dict every time. The
launch (authorization code) and SMART Backend Services (client_credentials,
https://hl7.org/fhir/smart-app-launch/backend-services.html) both authenticate through it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from authlib.oauth2.rfc7523.assertion import sign_jwt_bearer_assertion
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from joserfc.jwk import ECKey, RSAKey

from smart_app.auth.registry import ClientRegistration
from smart_app.errors import ConfigurationError

#: The spec caps ``exp`` at five minutes from now; we stay well inside (clock skew).
ASSERTION_LIFETIME_SECONDS = 240
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


def sign_client_assertion(
    key: Any, *, key_id: str, alg: str, client_id: str, token_endpoint: str, now: float
) -> str:
    """A new signed assertion: ``iss = sub = client_id``, ``aud`` = the token endpoint, a fresh
    128-bit ``jti`` and ``exp`` 240 s after ``iat``; ``kid`` and ``typ`` in the header."""
    issued_at = int(now)
    return str(
        sign_jwt_bearer_assertion(
            key,
            issuer=client_id,
            audience=token_endpoint,
            subject=client_id,
            issued_at=issued_at,
            expires_at=issued_at + ASSERTION_LIFETIME_SECONDS,
            claims={"jti": uuid.uuid4().hex},  # a new dict each call: never a reused jti
            header={"kid": key_id, "typ": "JWT"},  # new dict too: Authlib adds "alg" to it
            alg=alg,
        )
    )


class SmartPrivateKeyJWT(PrivateKeyJWT):  # type: ignore[misc]  # Authlib is untyped
    """Authlib's ``private_key_jwt`` with the SMART lifetime, a fresh jti and a kid header."""

    def __init__(
        self,
        token_endpoint: str,
        *,
        key_id: str,
        alg: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(token_endpoint=token_endpoint, claims=None, headers=None, alg=alg)
        self.key_id = key_id
        self._clock = clock

    def sign(self, auth: Any, token_endpoint: str) -> str:
        return sign_client_assertion(
            auth.client_secret,
            key_id=self.key_id,
            alg=self.alg,
            client_id=auth.client_id,
            token_endpoint=token_endpoint,
            now=self._clock(),
        )


def private_key_jwt_session(
    client_id: str,
    key: Any,
    *,
    key_id: str,
    alg: str,
    token_endpoint: str,
    timeout: float,
    redirect_uri: str | None = None,
    clock: Callable[[], float] = time.time,
) -> OAuth2Session:
    """An Authlib session that authenticates with a ``private_key_jwt`` assertion."""
    session = OAuth2Session(
        client_id=client_id,
        client_secret=key,
        token_endpoint_auth_method="private_key_jwt",  # noqa: S106 (a method name)
        redirect_uri=redirect_uri,
        default_timeout=timeout,
    )
    session.register_client_auth_method(
        SmartPrivateKeyJWT(token_endpoint, key_id=key_id, alg=alg, clock=clock)
    )
    return session


def oauth_session(
    registration: ClientRegistration, token_endpoint: str, *, timeout: float
) -> OAuth2Session:
    """A short-lived Authlib session that authenticates as ``registration`` at the token
    endpoint. One per exchange: no token or state is shared between launches or threads."""
    method = registration.auth_method
    if method == "private_key_jwt":
        assert registration.private_key_pem  # checked at registration
        assert registration.key_id
        assert registration.client_id
        key, alg = load_signing_key(registration.private_key_pem)
        return private_key_jwt_session(
            registration.client_id,
            key,
            key_id=registration.key_id,
            alg=alg,
            token_endpoint=token_endpoint,
            timeout=timeout,
            redirect_uri=registration.redirect_uri,
        )
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
