"""SMART Backend Services: a system-level access token for unattended runs, no user involved.

https://hl7.org/fhir/smart-app-launch/backend-services.html: the client POSTs
``grant_type=client_credentials`` with a ``private_key_jwt`` client assertion (RFC 7523) signed with
its registered key (RS384 or ES384, ``kid`` in the header). Every assertion gets a fresh ``jti``
and expires within five minutes; ``iss`` = ``sub`` = client_id, ``aud`` = the token URL, which is
discovered from ``{fhir}/.well-known/smart-configuration``. A new token is fetched shortly before
the old one expires and once after a 401 (the :class:`smart_app.fhir.TokenSource` protocol).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from joserfc import jwt

from smart_app.auth.jwks import SigningKey
from smart_app.errors import AuthError

log = logging.getLogger(__name__)

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: SMART v2 system scopes: read/search everything, create/update our CarePlans and Tasks.
SCOPES_V2 = "system/*.rs system/CarePlan.cu system/Task.cu"
#: The SMART v1 equivalents, for servers that do not announce ``permission-v2``.
SCOPES_V1 = "system/*.read system/CarePlan.write system/Task.write"
#: Assertion lifetime: the spec caps ``exp`` at five minutes from now; we stay well inside.
ASSERTION_LIFETIME_SECONDS = 240
#: Fetch a new token this long before the old one expires (clock skew, slow requests).
EXPIRY_MARGIN_SECONDS = 30


@dataclass(frozen=True, slots=True)
class IssuedToken:
    access_token: str
    expires_at: float
    scope: str


def discover_token_url(
    fhir_base: str, *, session: requests.Session, timeout: float
) -> tuple[str, frozenset[str]]:
    """``token_endpoint`` and ``capabilities`` from the server's SMART configuration."""
    url = f"{fhir_base.rstrip('/')}/.well-known/smart-configuration"
    try:
        response = session.get(url, headers={"Accept": "application/json"}, timeout=timeout)
    except requests.RequestException as exc:
        raise AuthError(f"cannot read {url} ({type(exc).__name__})") from exc
    if not response.ok:
        raise AuthError(f"{url} answered HTTP {response.status_code}")
    try:
        config: Any = response.json()
    except ValueError as exc:
        raise AuthError(f"{url} is not JSON") from exc
    token_url = config.get("token_endpoint") if isinstance(config, dict) else None
    if not isinstance(token_url, str) or not token_url.startswith(("https://", "http://")):
        raise AuthError(f"{url} names no token_endpoint")
    capabilities = config.get("capabilities") or []
    return token_url, frozenset(str(c) for c in capabilities if isinstance(c, str))


def client_assertion(signing_key: SigningKey, *, client_id: str, token_url: str, now: float) -> str:
    """A new signed assertion: claims are built here each time, so ``jti`` is never reused."""
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": token_url,
        "exp": int(now) + ASSERTION_LIFETIME_SECONDS,
        "iat": int(now),
        "jti": uuid.uuid4().hex,
    }
    header = {"alg": signing_key.alg, "kid": signing_key.key_id, "typ": "JWT"}
    return jwt.encode(header, claims, signing_key.key, algorithms=[signing_key.alg])


class BackendTokenSource:
    """Implements ``smart_app.fhir.TokenSource`` with client_credentials; thread-safe (the
    population run shares one source between its workers)."""

    def __init__(
        self,
        fhir_base: str,
        *,
        client_id: str,
        signing_key: SigningKey,
        scopes: str | None = None,
        token_url: str | None = None,
        session: requests.Session | None = None,
        timeout_seconds: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.fhir_base = fhir_base.rstrip("/")
        self.client_id = client_id
        self._key = signing_key
        self._scopes = scopes
        self._token_url = token_url
        self._session = session or requests.Session()
        self._timeout = timeout_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._token: IssuedToken | None = None

    def authorization(self) -> str:
        with self._lock:
            token = self._token
            if token is None or token.expires_at - EXPIRY_MARGIN_SECONDS <= self._clock():
                token = self._token = self._fetch()
            return f"Bearer {token.access_token}"

    def granted_scopes(self) -> frozenset[str]:
        """The scopes the token endpoint granted (the audit Provenance is written only if
        they allow creating it); fetches a token first when there is none yet."""
        with self._lock:
            token = self._token
            if token is None or token.expires_at - EXPIRY_MARGIN_SECONDS <= self._clock():
                token = self._token = self._fetch()
            return frozenset(token.scope.split())

    def refresh(self) -> bool:
        """After a 401: one new token. False when the server refuses (the 401 then surfaces)."""
        with self._lock:
            try:
                self._token = self._fetch()
            except AuthError as exc:
                log.warning("backend token refresh failed: %s", exc)
                return False
            return True

    @property
    def token_url(self) -> str:
        if self._token_url is None:
            self._discover()
        assert self._token_url is not None
        return self._token_url

    def _discover(self) -> None:
        token_url, capabilities = discover_token_url(
            self.fhir_base, session=self._session, timeout=self._timeout
        )
        self._token_url = token_url
        if self._scopes is None:
            self._scopes = SCOPES_V2 if "permission-v2" in capabilities else SCOPES_V1

    def _fetch(self) -> IssuedToken:
        token_url = self.token_url
        now = self._clock()
        form = {
            "grant_type": "client_credentials",
            "scope": self._scopes or SCOPES_V2,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": client_assertion(
                self._key, client_id=self.client_id, token_url=token_url, now=now
            ),
        }
        try:
            response = self._session.post(
                token_url, data=form, headers={"Accept": "application/json"}, timeout=self._timeout
            )
        except requests.RequestException as exc:
            raise AuthError(f"token request failed ({type(exc).__name__})") from exc
        body = _json_object(response)
        if not response.ok or not isinstance(body.get("access_token"), str):
            error = body.get("error_description") or body.get("error") or "no access_token"
            raise AuthError(
                f"the token endpoint refused the client ({response.status_code}: {error})"
            )
        expires_in = body.get("expires_in")
        lifetime = float(expires_in) if isinstance(expires_in, int | float) else 300.0
        return IssuedToken(
            access_token=str(body["access_token"]),
            expires_at=now + lifetime,
            scope=str(body.get("scope") or form["scope"]),
        )


def _json_object(response: requests.Response) -> dict[str, Any]:
    try:
        body: Any = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
