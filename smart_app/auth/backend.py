"""SMART Backend Services: a system-level access token for unattended runs, no user involved.

https://hl7.org/fhir/smart-app-launch/backend-services.html: the client POSTs
``grant_type=client_credentials`` with a ``private_key_jwt`` client assertion (RFC 7523) signed with
its registered key (RS384 or ES384, ``kid`` in the header), through the same Authlib client
authentication as a launch (smart_app.auth.client_auth: fresh ``jti``, ``exp`` within five
minutes). The token URL comes from the one SMART discovery (smart_app.auth.discovery). A new
token is fetched shortly before the old one expires and once after a 401 (the
:class:`smart_app.fhir.TokenSource` protocol).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from authlib.integrations.base_client import OAuthError
from authlib.oauth2.base import OAuth2Error

from smart_app.auth.client_auth import ASSERTION_TYPE, private_key_jwt_session
from smart_app.auth.discovery import backend_configuration
from smart_app.auth.jwks import SigningKey
from smart_app.domain.reads import AUDIT_TYPES, NOTE_TYPES, PLAN_TYPES
from smart_app.errors import AuthError

__all__ = ["ASSERTION_TYPE", "SCOPES_V1", "SCOPES_V2", "BackendTokenSource", "IssuedToken"]

log = logging.getLogger(__name__)

#: SMART v2 system scopes: read/search everything, create/update our CarePlans and Tasks, and
#: create the Provenance that says who wrote them (every write path audits its plan).
SCOPES_V2 = " ".join(
    [
        "system/*.rs",
        *(f"system/{t}.cu" for t in PLAN_TYPES),
        *(f"system/{t}.c" for t in AUDIT_TYPES),
    ]
)
#: The SMART v1 equivalents, for servers that do not announce ``permission-v2``.
SCOPES_V1 = " ".join(["system/*.read", *(f"system/{t}.write" for t in (*PLAN_TYPES, *AUDIT_TYPES))])
#: With a plan store: the EHR note (create + search before retry).
NOTE_SCOPES_V2 = " ".join(f"system/{t}.crs" for t in NOTE_TYPES)
NOTE_SCOPES_V1 = " ".join(f"system/{t}.read system/{t}.write" for t in NOTE_TYPES)
#: Fetch a new token this long before the old one expires (clock skew, slow requests).
EXPIRY_MARGIN_SECONDS = 30


@dataclass(frozen=True, slots=True)
class IssuedToken:
    access_token: str
    expires_at: float
    scope: str


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
        notes: bool = False,
    ) -> None:
        """``notes``: also ask for the EHR note's scopes (a plan store is configured)."""
        self.fhir_base = fhir_base.rstrip("/")
        self._notes = notes
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
        token_url, capabilities = backend_configuration(
            self.fhir_base, session=self._session, timeout=self._timeout
        )
        self._token_url = token_url
        if self._scopes is None:
            v2 = "permission-v2" in capabilities
            self._scopes = SCOPES_V2 if v2 else SCOPES_V1
            if self._notes:
                self._scopes += " " + (NOTE_SCOPES_V2 if v2 else NOTE_SCOPES_V1)

    def _fetch(self) -> IssuedToken:
        token_url = self.token_url
        now = self._clock()
        scope = self._scopes or SCOPES_V2
        oauth = private_key_jwt_session(
            self.client_id,
            self._key.key,
            key_id=self._key.key_id,
            alg=self._key.alg,
            token_endpoint=token_url,
            timeout=self._timeout,
            clock=self._clock,
        )
        try:
            body: Mapping[str, Any] = oauth.fetch_token(
                token_url,
                grant_type="client_credentials",
                scope=scope,
                headers={"Accept": "application/json"},
            )
        except (OAuthError, OAuth2Error) as exc:
            raise AuthError(
                f"the token endpoint refused the client ({exc.error}: {exc.description or ''})"
            ) from None
        except ValueError as exc:  # before RequestException: requests' JSONDecodeError is both
            raise AuthError("the token endpoint's answer is not a JSON object") from exc
        except requests.RequestException as exc:
            raise AuthError(f"token request failed ({type(exc).__name__})") from exc
        finally:
            oauth.close()
        if not isinstance(body.get("access_token"), str):
            raise AuthError("the token endpoint refused the client (no access_token)")
        expires_in = body.get("expires_in")
        lifetime = float(expires_in) if isinstance(expires_in, int | float) else 300.0
        return IssuedToken(
            access_token=str(body["access_token"]),
            expires_at=now + lifetime,
            scope=str(body.get("scope") or scope),
        )
