"""Key pairs and the public JWKS of ms-monitor as a SMART Backend Services client.

The EHR authenticates the app by the public key it registered (or fetches from the app's JWKS URL),
https://hl7.org/fhir/smart-app-launch/backend-services.html#registering-a-smart-backend-service
(RS384 and ES384 are the algorithms every server must support). ``ms-monitor keys generate``
writes the private key (PEM, mode 0600) and the public JWKS next to it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from joserfc import jwk

from smart_app.errors import ConfigurationError

#: Algorithms SMART Backend Services requires servers to support; we sign with one of them.
SUPPORTED_ALGORITHMS = ("RS384", "ES384")


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A private key with its ``kid`` and algorithm: what signs the client assertion."""

    key: jwk.RSAKey | jwk.ECKey
    key_id: str
    alg: str

    def public_jwk(self) -> dict[str, Any]:
        """The public half as a JWK with ``kid``, ``alg`` and ``use`` (never private members)."""
        public = dict(self.key.as_dict(private=False))
        return {**public, "kid": self.key_id, "alg": self.alg, "use": "sig"}


def generate_signing_key(alg: str, key_id: str | None = None) -> SigningKey:
    """A new RSA-2048 (RS384) or P-384 (ES384) key; the ``kid`` defaults to its thumbprint."""
    _check_alg(alg)
    key: jwk.RSAKey | jwk.ECKey
    if alg == "RS384":
        key = jwk.RSAKey.generate_key(2048, private=True)
    else:
        key = jwk.ECKey.generate_key("P-384", private=True)
    return SigningKey(key, key_id or key.thumbprint(), alg)


def load_signing_key(pem: str | bytes, *, key_id: str, alg: str) -> SigningKey:
    """Parse a PEM private key and check that it fits ``alg`` (an EC key cannot sign RS384)."""
    _check_alg(alg)
    key_type = "RSA" if alg == "RS384" else "EC"
    key: jwk.RSAKey | jwk.ECKey
    try:
        key = jwk.RSAKey.import_key(pem) if alg == "RS384" else jwk.ECKey.import_key(pem)
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(f"the backend private key is not a {key_type} PEM key") from exc
    if not key.is_private:
        raise ConfigurationError(f"the backend key must be a private {key_type} key")
    if isinstance(key, jwk.ECKey) and key.curve_name != "P-384":
        raise ConfigurationError("ES384 needs a P-384 key")
    return SigningKey(key, key_id, alg)


def public_jwks(keys: list[SigningKey]) -> dict[str, Any]:
    """The JWK Set served at ``/.well-known/jwks.json``."""
    return {"keys": [k.public_jwk() for k in keys]}


def write_key_files(key: SigningKey, out_dir: Path) -> tuple[Path, Path]:
    """Write ``backend-private.pem`` (0600) and ``jwks.json``; refuse to overwrite a key."""
    out_dir.mkdir(parents=True, exist_ok=True)
    private_path = out_dir / "backend-private.pem"
    jwks_path = out_dir / "jwks.json"
    if private_path.exists():
        raise ConfigurationError(f"{private_path} exists; move it away to make a new key")
    pem = key.key.as_pem(private=True)
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    jwks_path.write_text(json.dumps(public_jwks([key]), indent=2) + "\n", encoding="utf-8")
    return private_path, jwks_path


def _check_alg(alg: str) -> None:
    if alg not in SUPPORTED_ALGORITHMS:
        raise ConfigurationError(f"backend_alg must be one of {', '.join(SUPPORTED_ALGORITHMS)}")
