"""The sandbox's id_token signing key, and the TEST-ONLY client keys in ``keys/``.

The signing key is generated in memory at every start (RS256, published at ``/jwks``): nothing
secret is stored. The client key pairs under ``launch/sandbox/keys/`` are sandbox test keys,
committed on purpose so that the app and its tests can authenticate with ``private_key_jwt``
against this sandbox; they are registered nowhere else and must never be used with a real EHR.
``python -m launch.sandbox.keys`` writes fresh ones and prints the public JWKS for clients.json.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey

KEYS_DIR = Path(__file__).with_name("keys")
TEST_KEYS = {
    # file stem -> (key type, alg)
    "sandbox-test-only-ms-monitor-jwt-rs384": ("RSA", "RS384"),
    "sandbox-test-only-ms-monitor-backend-rs384": ("RSA", "RS384"),
    "sandbox-test-only-ms-monitor-backend-es384": ("EC", "ES384"),
}


class SigningKey:
    """An RS256 key for id_tokens, made fresh for each sandbox process."""

    def __init__(self) -> None:
        self._key = RSAKey.generate_key(2048, private=True)
        self.kid = self._key.thumbprint()

    def jwks(self) -> dict[str, Any]:
        public = self._key.as_dict(private=False, kid=self.kid, alg="RS256", use="sig")
        return {"keys": [public]}

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode({"alg": "RS256", "kid": self.kid, "typ": "JWT"}, claims, self._key)


def id_token_claims(
    *,
    issuer: str,
    client_id: str,
    subject: str,
    fhir_user: str | None,
    nonce: str | None,
    lifetime: int,
) -> dict[str, Any]:
    """OpenID Connect id_token claims with SMART's ``fhirUser``."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": subject,
        "aud": client_id,
        "iat": now,
        "exp": now + lifetime,
        "auth_time": now,
    }
    if fhir_user:
        claims["fhirUser"] = fhir_user
    if nonce:
        claims["nonce"] = nonce
    return claims


def write_test_keys(directory: Path = KEYS_DIR) -> dict[str, Any]:
    """Generate the TEST-ONLY client key pairs (PEM) and return their public JWKS by stem."""
    directory.mkdir(parents=True, exist_ok=True)
    public: dict[str, Any] = {}
    for stem, (kty, alg) in TEST_KEYS.items():
        key: RSAKey | ECKey = (
            RSAKey.generate_key(2048, private=True)
            if kty == "RSA"
            else ECKey.generate_key("P-384", private=True)
        )
        kid = key.thumbprint()
        (directory / f"{stem}.pem").write_bytes(key.as_pem(private=True))
        public[stem] = key.as_dict(private=False, kid=kid, alg=alg, use="sig")
    return public


def load_test_key(stem: str) -> tuple[RSAKey | ECKey, str]:
    """A TEST-ONLY private key from ``keys/`` and its kid (for tests and local app config)."""
    kty, _alg = TEST_KEYS[stem]
    pem = (KEYS_DIR / f"{stem}.pem").read_bytes()
    key: RSAKey | ECKey = RSAKey.import_key(pem) if kty == "RSA" else ECKey.import_key(pem)
    return key, key.thumbprint()


def public_key_set(jwks: dict[str, Any]) -> KeySet:
    return KeySet.import_key_set(jwks)  # type: ignore[arg-type]


if __name__ == "__main__":
    print(json.dumps(write_test_keys(), indent=2))
