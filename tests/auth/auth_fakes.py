"""A fake SMART EHR for ``responses``: discovery documents, JWKS, id_tokens, token answers."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import responses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey, RSAKey

from smart_app.auth import ClientRegistration, PendingLaunch, SmartClient

ISS = "https://ehr.example/fhir"
AUTH_ISSUER = "https://auth.ehr.example"
AUTHORIZE = f"{AUTH_ISSUER}/authorize"
TOKEN = f"{AUTH_ISSUER}/token"
JWKS = f"{AUTH_ISSUER}/jwks"
REDIRECT = "https://app.example/callback"
CLIENT_ID = "ms-monitor"

EHR_KEY = RSAKey.generate_key(2048, parameters={"kid": "ehr-1", "use": "sig"})
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "ehr-1"})  # same kid, wrong key


def rsa_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def ec_p384_pem() -> str:
    key = ec.generate_private_key(ec.SECP384R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def registration(auth_method: str = "none", **overrides: Any) -> ClientRegistration:
    values: dict[str, Any] = {
        "iss": ISS,
        "client_id": CLIENT_ID,
        "auth_method": auth_method,
        "redirect_uri": REDIRECT,
    }
    if auth_method == "client_secret_basic":
        values["client_secret"] = "s3cret-value"
    values.update(overrides)
    return ClientRegistration(**values)


def smart_configuration(**overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "issuer": AUTH_ISSUER,
        "jwks_uri": JWKS,
        "authorization_endpoint": AUTHORIZE,
        "token_endpoint": TOKEN,
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "capabilities": [
            "launch-ehr",
            "launch-standalone",
            "client-public",
            "client-confidential-symmetric",
            "client-confidential-asymmetric",
            "context-ehr-patient",
            "sso-openid-connect",
            "permission-v2",
        ],
    }
    document.update(overrides)
    return {k: v for k, v in document.items() if v is not None}


def add_ehr(rsps: responses.RequestsMock, **config_overrides: Any) -> None:
    """Well-known document and JWKS of the fake EHR."""
    rsps.get(f"{ISS}/.well-known/smart-configuration", json=smart_configuration(**config_overrides))
    rsps.get(JWKS, json=KeySet([EHR_KEY]).as_dict())


def id_token(
    nonce: str | None,
    *,
    key: Any = EHR_KEY,
    alg: str = "RS256",
    header: dict[str, Any] | None = None,
    **claim_overrides: Any,
) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": AUTH_ISSUER,
        "sub": "practitioner-1",
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 300,
        "fhirUser": f"{ISS}/Practitioner/dr-neuro",
    }
    if nonce is not None:
        claims["nonce"] = nonce
    claims.update(claim_overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode({"alg": alg, "kid": "ehr-1", **(header or {})}, claims, key, algorithms=[alg])


def hs256_id_token(nonce: str) -> str:
    return id_token(nonce, key=OctKey.import_key(b"k" * 32), alg="HS256")


def token_answer(**overrides: Any) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "access_token": "AT-secret-1",
        "token_type": "Bearer",
        "expires_in": 3600,
        "scope": "launch openid fhirUser patient/Patient.rs patient/CarePlan.cu",
        "refresh_token": "RT-secret-1",
        "patient": "msm-001",
        "encounter": "enc-9",
        "need_patient_banner": False,
        "smart_style_url": f"{AUTH_ISSUER}/style.json",
        "fhirContext": [{"reference": "Encounter/enc-9"}],
    }
    answer.update(overrides)
    return {k: v for k, v in answer.items() if v is not None}


def callback_for(pending: PendingLaunch, **overrides: str) -> dict[str, str]:
    args = {"code": "CODE-secret-1", "state": pending.state, "iss": AUTH_ISSUER}
    args.update(overrides)
    return {k: v for k, v in args.items() if v != ""}


def form(body: str | bytes | None) -> dict[str, str]:
    """A form body as a dict; fails on a repeated parameter (the body must be exact)."""
    text = body.decode() if isinstance(body, bytes) else (body or "")
    pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True)
    result = dict(pairs)
    assert len(result) == len(pairs), f"repeated parameter in {sorted(k for k, _ in pairs)}"
    return result


def query(url: str) -> dict[str, str]:
    return form(urlsplit(url).query)


def launched(
    client: SmartClient, rsps: responses.RequestsMock, *, launch: str | None = "L-1", **answer: Any
) -> tuple[PendingLaunch, dict[str, str]]:
    """Begin a launch, register a token answer carrying a good id_token, return the callback."""
    pending = client.begin(launch=launch)
    rsps.post(TOKEN, json=token_answer(id_token=id_token(pending.nonce), **answer))
    return pending, callback_for(pending)
