"""The SMART App Launch client for one registered EHR: discover, authorize, exchange, refresh.

Flow (https://hl7.org/fhir/smart-app-launch/app-launch.html): :meth:`SmartClient.begin` builds
the authorize URL (PKCE S256 always, ``state`` and ``nonce`` of 256 bits, ``aud`` = FHIR base);
the web layer keeps the :class:`PendingLaunch` server-side and pops it by ``state`` on the
callback; :meth:`SmartClient.complete` checks the callback (state, error, RFC 9207 ``iss``),
exchanges the code with the verifier, validates the id_token and returns a :class:`TokenSet`.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.base import OAuth2Error
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from smart_app.auth.client_auth import oauth_session
from smart_app.auth.discovery import (
    SmartConfiguration,
    check_endpoint,
    discover,
    openid_configuration,
    pin_issuer,
)
from smart_app.auth.id_token import unverified_header, validate_id_token
from smart_app.auth.redact import redact
from smart_app.auth.registry import ClientRegistration, normalize_iss
from smart_app.auth.scopes import launch_scopes, worklist_scopes
from smart_app.auth.tokens import (
    PATIENT_PURPOSE,
    WORKLIST_PURPOSE,
    LaunchContext,
    PendingLaunch,
    TokenSet,
)
from smart_app.errors import AuthError, ConfigurationError

log = logging.getLogger(__name__)

PENDING_MAX_AGE_SECONDS = 900.0  # an authorization that takes longer than this is abandoned
DEFAULT_EXPIRES_IN = 3600.0  # RFC 6749 5.1: expires_in is only RECOMMENDED
_ERROR_CODE = re.compile(r"[A-Za-z0-9_.-]{1,60}")


def _clean(text: object, limit: int = 200) -> str:
    """Server-supplied text made safe for a message: printable, short, no credentials."""
    printable = "".join(ch for ch in str(text) if ch.isprintable())[:limit]
    return redact(printable)


def _raise_for_token_error(response: requests.Response) -> requests.Response:
    """Authlib compliance hook: any non-200 token response becomes a clear AuthError
    (RFC 6749 5.2 error code and description; never the body itself)."""
    if response.status_code == 200:
        return response
    error = description = ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        code = str(body.get("error", ""))
        error = code if _ERROR_CODE.fullmatch(code) else ""
        description = _clean(body.get("error_description", ""))
    hint = {429: "rate limited; try again later", 401: "client authentication failed"}.get(
        response.status_code, ""
    )
    parts = [p for p in (error, description, hint) if p]
    detail = f": {'; '.join(parts)}" if parts else ""
    raise AuthError(f"The token endpoint refused the request (HTTP {response.status_code}){detail}")


class SmartClient:
    """One per registration (the web runtime keeps them for the app's lifetime: discovery is
    cached)."""

    def __init__(
        self,
        registration: ClientRegistration,
        *,
        http_timeout: float = 30.0,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.registration = registration
        self._timeout = http_timeout
        self._session = session or requests.Session()
        self._clock = clock
        self._lock = threading.Lock()
        self._config: SmartConfiguration | None = None
        self._keys: KeySet | None = None
        self._oidc_issuer: str | None = None

    def clock(self) -> float:
        """Seconds since the epoch (injectable for tests of expiry)."""
        return self._clock()

    @property
    def fhir_base(self) -> str:
        return normalize_iss(self.registration.iss)

    def _require_oauth(self) -> None:
        if self.registration.is_open:
            raise ConfigurationError(f"{self.fhir_base} is an open server: there is no OAuth")

    # -- discovery -------------------------------------------------------------------------
    def discover(self, *, refresh: bool = False) -> SmartConfiguration:
        with self._lock:
            if self._config is None or refresh:
                self._config = pin_issuer(
                    discover(self.fhir_base, session=self._session, timeout=self._timeout),
                    self.registration.authorization_server_issuer,
                )
                self._keys = None
            return self._config

    # -- authorization request ---------------------------------------------------------------
    def scopes_for(self, config: SmartConfiguration, *, ehr_launch: bool) -> str:
        """The registration's own scope string, else the app's standard set (v1 or v2)."""
        if self.registration.scopes:
            return self.registration.scopes
        return launch_scopes(
            ehr_launch=ehr_launch,
            v2=config.permission_v2,
            offline_access=self.registration.offline_access,
        )

    def begin(self, *, launch: str | None, purpose: str = PATIENT_PURPOSE) -> PendingLaunch:
        """Start an EHR launch (``launch`` given) or a standalone launch (``launch=None``);
        ``purpose`` WORKLIST_PURPOSE: a standalone provider launch with user-level scopes."""
        self._require_oauth()
        config = self.discover()
        if purpose == WORKLIST_PURPOSE:
            scope = worklist_scopes(
                v2=config.permission_v2,
                offline_access=self.registration.offline_access,
                registered=self.registration.scopes,
            )
            launch = None
        else:
            scope = self.scopes_for(config, ehr_launch=launch is not None)
        state = secrets.token_urlsafe(32)  # 256 bits
        verifier = secrets.token_urlsafe(64)  # 86 chars, RFC 7636 4.1 allows 43-128
        nonce = secrets.token_urlsafe(32) if "openid" in scope.split() else None
        oauth = OAuth2Session(
            client_id=self.registration.client_id,
            redirect_uri=self.registration.redirect_uri,
            code_challenge_method="S256",
        )
        try:
            url, _ = oauth.create_authorization_url(
                config.authorization_endpoint,
                state=state,
                code_verifier=verifier,
                scope=scope,
                aud=self.fhir_base,
                launch=launch,
                nonce=nonce,
            )
        finally:
            oauth.close()
        return PendingLaunch(
            authorize_url=url,
            state=state,
            pkce_verifier=verifier,
            nonce=nonce,
            iss=self.fhir_base,
            created_at=self._clock(),
            scope=scope,
            redirect_uri=self.registration.redirect_uri,
            launch=launch,
            purpose=purpose,
        )

    # -- callback and token exchange ---------------------------------------------------------
    def complete(self, pending: PendingLaunch, *, callback_args: Mapping[str, str]) -> TokenSet:
        """Check the redirect back from the authorization server and exchange the code."""
        self._require_oauth()
        if normalize_iss(pending.iss) != self.fhir_base:
            raise AuthError("The pending launch belongs to another FHIR server")
        if not hmac.compare_digest(str(callback_args.get("state", "")), pending.state):
            raise AuthError("The authorization response does not match this launch (state)")
        if self._clock() - pending.created_at > PENDING_MAX_AGE_SECONDS:
            raise AuthError("The authorization took too long; launch the app again")
        if "error" in callback_args:
            error = str(callback_args["error"])
            error_code = error if _ERROR_CODE.fullmatch(error) else "error"
            description = _clean(callback_args.get("error_description", ""))
            raise AuthError(
                f"The authorization server refused: {error_code}"
                + (f" ({description})" if description else "")
            )
        config = self.discover()
        self._check_response_issuer(config, callback_args.get("iss"))
        code = callback_args.get("code")
        if not code:
            raise AuthError("The authorization response has no code")
        token = self._token_request(
            config,
            lambda oauth: oauth.fetch_token(
                config.token_endpoint,
                grant_type="authorization_code",
                code=code,
                redirect_uri=pending.redirect_uri or self.registration.redirect_uri,
                code_verifier=pending.pkce_verifier,
            ),
        )
        scope = str(token.get("scope") or pending.scope)
        claims: dict[str, Any] = {}
        if "openid" in pending.scope.split() and token.get("id_token"):
            claims = self._validate_id_token(config, str(token["id_token"]), pending.nonce)
        elif "openid" in pending.scope.split():
            log.info("%s: no id_token in the token response; fhirUser unknown", self.fhir_base)
        context = self._context(token, claims, scope)
        return TokenSet(
            access_token=str(token["access_token"]),
            refresh_token=str(token["refresh_token"]) if token.get("refresh_token") else None,
            expires_at=self._expires_at(token),
            scope=scope,
            id_token_claims=claims,
            context=context,
        )

    def _check_response_issuer(self, config: SmartConfiguration, callback_iss: str | None) -> None:
        """RFC 9207 2.4: an ``iss`` on the callback must be the authorization server's issuer
        (not the FHIR base); a mismatch means the response came from another server (mix-up)."""
        if callback_iss is None:
            if config.iss_parameter_supported:
                raise AuthError("The authorization response lacks the iss parameter (RFC 9207)")
            return
        if config.issuer is None or callback_iss != config.issuer:
            raise AuthError(
                "The authorization response came from another authorization server "
                "(iss mismatch, RFC 9207)"
            )

    def refresh(self, tokens: TokenSet) -> TokenSet:
        """Use the refresh token; a rotated refresh token replaces the old one
        (https://hl7.org/fhir/smart-app-launch/app-launch.html#step-7-app-uses-a-refresh-token-to-obtain-a-new-access-token)."""
        self._require_oauth()
        if not tokens.refresh_token:
            raise AuthError("The session has expired and cannot be renewed; launch the app again")
        config = self.discover()
        refresh_token = tokens.refresh_token
        token = self._token_request(
            config,
            lambda oauth: oauth.refresh_token(config.token_endpoint, refresh_token=refresh_token),
        )
        scope = str(token.get("scope") or tokens.scope)
        new_refresh = token.get("refresh_token")
        return TokenSet(
            access_token=str(token["access_token"]),
            refresh_token=str(new_refresh) if new_refresh else tokens.refresh_token,
            expires_at=self._expires_at(token),
            scope=scope,
            id_token_claims=tokens.id_token_claims,
            context=_with_scopes(tokens.context, scope),
        )

    def _token_request(
        self, config: SmartConfiguration, call: Callable[[OAuth2Session], Any]
    ) -> Mapping[str, Any]:
        oauth = oauth_session(self.registration, config.token_endpoint, timeout=self._timeout)
        oauth.register_compliance_hook("access_token_response", _raise_for_token_error)
        oauth.register_compliance_hook("refresh_token_response", _raise_for_token_error)
        try:
            token = call(oauth)
        except AuthError:
            raise
        except (OAuthError, OAuth2Error) as error:
            raise AuthError(
                f"The token endpoint refused the request: {_clean(error.error)}"
            ) from None
        except ValueError:  # before RequestException: requests' JSONDecodeError is both
            raise AuthError("The token endpoint's answer is not a JSON object") from None
        except requests.RequestException as error:
            raise AuthError(
                f"Cannot reach the token endpoint {config.token_endpoint}: {type(error).__name__}"
            ) from None
        finally:
            oauth.close()
        if not isinstance(token, Mapping) or not isinstance(token.get("access_token"), str):
            raise AuthError("The token endpoint's answer has no access_token")
        if str(token.get("token_type", "")).lower() != "bearer":
            raise AuthError("The token endpoint did not issue a Bearer token")
        return token

    def _expires_at(self, token: Mapping[str, Any]) -> float:
        try:
            expires_in = float(token.get("expires_in", DEFAULT_EXPIRES_IN))
        except (TypeError, ValueError):
            expires_in = DEFAULT_EXPIRES_IN
        return self._clock() + expires_in

    def _context(
        self, token: Mapping[str, Any], claims: Mapping[str, Any], scope: str
    ) -> LaunchContext:
        fhir_context = token.get("fhirContext")
        style = token.get("smart_style_url")
        return LaunchContext(
            patient=_str_or_none(token.get("patient")),
            encounter=_str_or_none(token.get("encounter")),
            fhir_user=_str_or_none(claims.get("fhirUser") or claims.get("profile")),
            need_patient_banner=token.get("need_patient_banner", True) is not False,
            smart_style_url=style if isinstance(style, str) else None,
            fhir_context=tuple(c for c in fhir_context if isinstance(c, dict))
            if isinstance(fhir_context, list)
            else (),
            granted_scopes=frozenset(scope.split()),
            iss=self.fhir_base,
        )

    # -- id_token --------------------------------------------------------------------------
    def _validate_id_token(
        self, config: SmartConfiguration, id_token: str, nonce: str | None
    ) -> dict[str, Any]:
        issuer, keys = self._issuer_and_keys(config, unverified_header(id_token).get("kid"))
        assert self.registration.client_id  # checked at registration
        return validate_id_token(
            id_token,
            keys=keys,
            issuer=issuer,
            client_id=self.registration.client_id,
            nonce=nonce,
            now=self._clock(),
        )

    def _issuer_and_keys(self, config: SmartConfiguration, kid: object) -> tuple[str, KeySet]:
        """The expected id_token issuer and the server's signing keys (re-read once when the
        id_token names a key we have not seen: key rotation)."""
        with self._lock:
            jwks_uri, issuer = config.jwks_uri, config.issuer or self._oidc_issuer
            if jwks_uri is None or issuer is None:
                oidc = (
                    openid_configuration(
                        config.issuer or self.fhir_base,
                        session=self._session,
                        timeout=self._timeout,
                    )
                    or {}
                )
                jwks_uri = jwks_uri or oidc.get("jwks_uri")
                oidc_issuer = _str_or_none(oidc.get("issuer"))
                if oidc_issuer:  # the same endpoint rule as discovery's own issuer
                    oidc_issuer = check_endpoint(oidc_issuer, self.fhir_base, "issuer")
                issuer = issuer or oidc_issuer
                self._oidc_issuer = issuer
            if not jwks_uri or not issuer:
                raise AuthError("Cannot validate the id_token: the server publishes no jwks_uri")
            known = {key.kid for key in self._keys} if self._keys else set()
            if self._keys is None or (kid is not None and kid not in known):
                self._keys = self._fetch_keys(check_endpoint(jwks_uri, self.fhir_base, "jwks_uri"))
            return issuer, self._keys

    def _fetch_keys(self, jwks_uri: str) -> KeySet:
        try:
            response = self._session.get(
                jwks_uri, headers={"Accept": "application/json"}, timeout=self._timeout
            )
            response.raise_for_status()
            return KeySet.import_key_set(response.json())
        except (requests.RequestException, ValueError, KeyError, TypeError, JoseError) as error:
            raise AuthError(
                f"Cannot read the server's signing keys: {type(error).__name__}"
            ) from None


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _with_scopes(context: LaunchContext, scope: str) -> LaunchContext:
    return LaunchContext(
        patient=context.patient,
        encounter=context.encounter,
        fhir_user=context.fhir_user,
        need_patient_banner=context.need_patient_banner,
        smart_style_url=context.smart_style_url,
        fhir_context=context.fhir_context,
        granted_scopes=frozenset(scope.split()),
        iss=context.iss,
    )
