"""The CDS client's bearer JWT (https://cds-hooks.hl7.org/2.0/#trusting-cds-clients).

An allowlisted ``iss`` whose JWKS we fetch (cached), ``aud`` = the service's URL, a live ``exp``,
a ``jti`` never seen before (Redis when configured, else memory), an asymmetric algorithm: checked
by the one JWT verifier (smart_app.auth.jwt_checks) that also checks id_tokens.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import requests
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from smart_app.auth.cds_clients import check_token_times
from smart_app.auth.jwt_checks import (
    asymmetric_algorithm,
    unverified_claims,
    unverified_header,
    verify_jwt,
)
from smart_app.errors import AuthError
from smart_app.redis_connection import redis_from_url

JwksFetcher = Callable[[str], dict[str, Any]]
WHAT = "the CDS client JWT is refused"


class ReplayCache:
    """``jti`` values seen, until their token expires (Redis when configured, else memory)."""

    def __init__(self, redis_url: str | None) -> None:
        self._redis: Any = redis_from_url(redis_url) if redis_url else None
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def first_use(self, iss: str, jti: str, expires_at: float) -> bool:
        ttl = max(1, int(expires_at - time.time()) + 1)
        key = f"ms-monitor:cds-jti:{iss}:{jti}"
        if self._redis is not None:
            return bool(self._redis.set(key, b"1", nx=True, ex=ttl))
        with self._lock:
            now = time.time()
            self._seen = {k: v for k, v in self._seen.items() if v > now}
            if key in self._seen:
                return False
            self._seen[key] = now + ttl
            return True


def fetch_jwks(url: str) -> dict[str, Any]:
    response = requests.get(url, timeout=10, headers={"Accept": "application/json"})
    response.raise_for_status()
    document: Any = response.json()
    if not isinstance(document, dict):
        raise AuthError(f"{url} is not a JWK Set")
    return document


class CdsClientVerifier:
    """Checks the CDS client's bearer JWT; JWK Sets are cached per URL for ``cache_seconds``."""

    def __init__(
        self,
        allowed: dict[str, str],
        replay: ReplayCache,
        *,
        fetcher: JwksFetcher = fetch_jwks,
        cache_seconds: float = 300.0,
    ) -> None:
        self._allowed = {iss.rstrip("/"): url for iss, url in allowed.items()}
        self._replay = replay
        self._fetcher = fetcher
        self._cache_seconds = cache_seconds
        self._keys: dict[str, tuple[float, KeySet]] = {}

    def verify(self, token: str, *, audience: str) -> dict[str, Any]:
        """The verified claims; raises AuthError saying which check failed."""
        header = unverified_header(token, WHAT)  # only to choose the key
        claims_unverified = unverified_claims(token, WHAT)
        asymmetric_algorithm(header, WHAT)
        iss = str(claims_unverified.get("iss", "")).rstrip("/")
        jwks_url = self._allowed.get(iss)
        if jwks_url is None:
            raise AuthError("the JWT issuer is not allowlisted")
        jku = header.get("jku")
        if jku is not None and jku != jwks_url:
            raise AuthError("the JWT jku is not the issuer's registered JWKS URL")
        claims = verify_jwt(
            token,
            self._key_set(jwks_url),
            what=WHAT,
            claims={
                "aud": {"essential": True, "value": audience},
                "exp": {"essential": True},
                "jti": {"essential": True},
            },
        )
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti:
            raise AuthError("the JWT has no jti")
        check_token_times(claims, now=time.time())  # iat required, nbf, at most 5 minutes
        if not self._replay.first_use(str(claims.get("iss")), jti, float(claims["exp"])):
            raise AuthError("the JWT jti was already used (replay)")
        return claims

    def _key_set(self, url: str) -> KeySet:
        cached = self._keys.get(url)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            keys = KeySet.import_key_set(self._fetcher(url))  # type: ignore[arg-type]
        except (requests.RequestException, ValueError, JoseError) as exc:
            raise AuthError(f"cannot load the issuer's JWKS ({type(exc).__name__})") from exc
        self._keys[url] = (time.monotonic() + self._cache_seconds, keys)
        return keys
