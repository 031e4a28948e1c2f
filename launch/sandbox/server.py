"""Authlib wiring: the SMART authorization server of the sandbox.

Grants: authorization code with PKCE S256 required for every client
(https://hl7.org/fhir/smart-app-launch/app-launch.html#step-3-app-requests-authorization-code),
rotating refresh tokens, and client credentials with ``private_key_jwt`` (RS384/ES384) for
Backend Services (https://hl7.org/fhir/smart-app-launch/backend-services.html). Built on
``authlib.integrations.flask_oauth2.AuthorizationServer`` (https://docs.authlib.org/).
"""

from __future__ import annotations

import time
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import InvalidClientError, InvalidRequestError, InvalidScopeError
from authlib.oauth2.rfc6749.grants import (
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    RefreshTokenGrant,
)
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc7636 import CodeChallenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from launch.sandbox.clients import ClientRegistry, SandboxClient
from launch.sandbox.config import SandboxConfig
from launch.sandbox.keys import SigningKey, id_token_claims
from launch.sandbox.scopes import remove_denied, split_scopes
from launch.sandbox.state import (
    CODE_LIFETIME_SECONDS,
    REFRESH_LIFETIME_SECONDS,
    AccessToken,
    AuthorizationCode,
    LaunchContext,
    RefreshToken,
    SandboxState,
)

ASSERTION_ALGORITHMS = ("RS384", "ES384")
MAX_ASSERTION_LIFETIME_SECONDS = 300  # SMART Backend Services: exp no more than 5 minutes ahead
CLOCK_SKEW_SECONDS = 10
USER_AUTH_METHODS = ["none", "client_secret_basic", "private_key_jwt"]


class SmartServer(AuthorizationServer):  # type: ignore[misc]
    """The Flask authorization server, with the sandbox's registry, state and keys."""

    def __init__(
        self,
        config: SandboxConfig,
        registry: ClientRegistry,
        state: SandboxState,
        signing_key: SigningKey,
    ) -> None:
        super().__init__()
        self.config = config
        self.registry = registry
        self.state = state
        self.signing_key = signing_key
        self._query_client = registry.get
        self._save_token = self._store_token
        self.register_token_generator("default", self._generate_token)
        self.register_grant(SmartCodeGrant, [RequiredS256Challenge()])
        self.register_grant(RotatingRefreshGrant)
        self.register_grant(BackendServicesGrant)
        self.register_client_auth_method(
            PrivateKeyJwt.CLIENT_AUTH_METHOD, PrivateKeyJwt(config.token_url, state)
        )

    def _generate_token(
        self,
        grant_type: str,
        client: SandboxClient,
        user: LaunchContext | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        """The SMART token response: granted scope, launch context and id_token."""
        flags = client.flags.merged(user.flags) if user else client.flags
        granted = split_scopes(client.get_allowed_scope(scope))
        granted = remove_denied(granted, flags.deny_scope)
        lifetime = flags.expires_in if flags.expires_in is not None else expires_in
        default_lifetime = (
            self.state.profile().token_lifetime_seconds or self.config.token_lifetime_seconds
        )
        token: dict[str, Any] = {
            "token_type": "Bearer",
            "access_token": _random_token(),
            "expires_in": lifetime if lifetime is not None else default_lifetime,
            "scope": " ".join(granted),
        }
        wants_refresh = "offline_access" in granted or "online_access" in granted
        if include_refresh_token and user is not None and wants_refresh:
            token["refresh_token"] = _random_token()
        if user is not None:
            if user.patient:
                token["patient"] = user.patient
            if user.encounter:
                token["encounter"] = user.encounter
            token["need_patient_banner"] = user.need_patient_banner
            token["smart_style_url"] = user.smart_style_url or self.config.style_url
            if "openid" in granted:
                token["id_token"] = self._id_token(client, user, fhir_user="fhirUser" in granted)
        return token

    def _id_token(self, client: SandboxClient, user: LaunchContext, *, fhir_user: bool) -> str:
        practitioner = user.fhir_user or self.config.fhir_user
        claims = id_token_claims(
            issuer=self.config.issuer,
            client_id=client.client_id,
            subject=practitioner.rsplit("/", 1)[-1],
            fhir_user=f"{self.config.fhir_base}/{practitioner}" if fhir_user else None,
            nonce=user.nonce,
            lifetime=self.config.token_lifetime_seconds,
        )
        return self.signing_key.sign(claims)

    def _store_token(self, token: dict[str, Any], request: Any) -> None:
        client: SandboxClient = request.client
        context: LaunchContext | None = request.user
        now = self.state.clock()
        self.state.save_access(
            AccessToken(
                token=token["access_token"],
                client_id=client.client_id,
                scope=token.get("scope", ""),
                expires_at=now + int(token["expires_in"]),
                context=context,
            )
        )
        if "refresh_token" in token and context is not None:
            self.state.save_refresh(
                RefreshToken(
                    token=token["refresh_token"],
                    client_id=client.client_id,
                    scope=token.get("scope", ""),
                    expires_at=now + REFRESH_LIFETIME_SECONDS,
                    context=context.without_nonce(),
                )
            )


def _random_token() -> str:
    import secrets

    return secrets.token_urlsafe(32)


class SmartCodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    """Authorization code grant: exact redirect_uri, ``aud`` must be the sandbox FHIR base."""

    TOKEN_ENDPOINT_AUTH_METHODS = USER_AUTH_METHODS

    def validate_authorization_request(self) -> str:
        redirect_uri: str = super().validate_authorization_request()
        server: SmartServer = self.server
        aud = (self.request.payload.data.get("aud") or "").rstrip("/")
        if aud != server.config.fhir_base:
            # No redirect: an unknown aud may mean the app is being phished (SMART App Launch).
            raise InvalidRequestError(f"'aud' must be {server.config.fhir_base}")
        launch = self.request.payload.data.get("launch")
        if launch and server.state.launch(launch) is None:
            raise InvalidRequestError("unknown or expired 'launch'", redirect_uri=redirect_uri)
        return redirect_uri

    def create_authorization_response(self, redirect_uri: str, grant_user: Any) -> Any:
        """Adds RFC 9207 ``iss`` (the authorization server's issuer) to the redirect."""
        status, body, headers = super().create_authorization_response(redirect_uri, grant_user)
        server: SmartServer = self.server
        from authlib.common.urls import add_params_to_uri

        location = add_params_to_uri(dict(headers)["Location"], [("iss", server.config.issuer)])
        return status, body, [("Location", location)]

    def save_authorization_code(self, code: str, request: Any) -> None:
        server: SmartServer = self.server
        context: LaunchContext = request.user
        scope = remove_denied(split_scopes(request.scope), context.flags.deny_scope)
        server.state.save_code(
            AuthorizationCode(
                code=code,
                client_id=request.client.client_id,
                redirect_uri=request.payload.redirect_uri,
                scope=" ".join(scope),
                code_challenge=request.payload.data["code_challenge"],
                code_challenge_method=request.payload.data["code_challenge_method"],
                context=context,
                expires_at=server.state.clock() + CODE_LIFETIME_SECONDS,
            )
        )

    def query_authorization_code(
        self, code: str, client: SandboxClient
    ) -> AuthorizationCode | None:
        server: SmartServer = self.server
        return server.state.code(code, client.client_id)

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        server: SmartServer = self.server
        server.state.delete_code(authorization_code.code)

    def authenticate_user(self, authorization_code: AuthorizationCode) -> LaunchContext:
        return authorization_code.context


class RequiredS256Challenge(CodeChallenge):  # type: ignore[misc]
    """PKCE for every client, and only S256 (SMART App Launch 2.x)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]  # noqa: RUF012 (Authlib's class attribute)

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: missing 'code_challenge'")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256")
        super().validate_code_challenge(grant, redirect_uri)


class RotatingRefreshGrant(RefreshTokenGrant):  # type: ignore[misc]
    """Each refresh returns a new refresh token and retires the one it used (not on Oracle)."""

    TOKEN_ENDPOINT_AUTH_METHODS = USER_AUTH_METHODS

    @property
    def INCLUDE_NEW_REFRESH_TOKEN(self) -> bool:
        """Rotation unless the emulated EHR keeps refresh tokens (Oracle Health does)."""
        server: SmartServer = self.server
        return server.state.profile().rotate_refresh_tokens

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshToken | None:
        server: SmartServer = self.server
        return server.state.refresh(refresh_token)

    def authenticate_user(self, refresh_token: RefreshToken) -> LaunchContext:
        return refresh_token.context

    def revoke_old_credential(self, refresh_token: RefreshToken) -> None:
        server: SmartServer = self.server
        if server.state.profile().rotate_refresh_tokens:
            server.state.revoke_refresh(refresh_token.token)


class BackendServicesGrant(ClientCredentialsGrant):  # type: ignore[misc]
    """client_credentials for backend clients, authenticated with private_key_jwt only."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["private_key_jwt"]  # noqa: RUF012

    def validate_token_request(self) -> None:
        super().validate_token_request()
        client: SandboxClient = self.request.client
        if not client.get_allowed_scope(self.request.payload.scope):
            raise InvalidScopeError("none of the requested scopes is allowed for this client")


class PrivateKeyJwt(JWTBearerClientAssertion):  # type: ignore[misc]
    """``private_key_jwt`` client authentication (RFC 7523) as SMART profiles it.

    RS384 or ES384 only, signed with a key of the client's registered JWKS, ``aud`` the token
    endpoint, ``exp`` at most five minutes ahead, ``jti`` never seen before from that client.
    """

    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self, token_url: str, state: SandboxState) -> None:
        super().__init__(validate_jti=True, leeway=CLOCK_SKEW_SECONDS)
        self._audience = token_url
        self._state = state

    def get_audiences(self) -> list[str]:
        return [self._audience]

    def resolve_client_public_key(self, client: SandboxClient) -> KeySet:
        return KeySet.import_key_set(client.jwks)  # type: ignore[arg-type]

    def process_assertion_claims(self, assertion: str, resolve_key: Any) -> dict[str, Any]:
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=list(ASSERTION_ALGORITHMS))
        except JoseError as exc:
            raise InvalidClientError(description=f"client assertion refused: {exc}") from exc
        claims: dict[str, Any] = token.claims
        exp = claims.get("exp")
        if isinstance(exp, int | float) and exp > time.time() + (
            MAX_ASSERTION_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS
        ):
            raise InvalidClientError(description="client assertion 'exp' is more than 5 min ahead")
        self.verify_claims(claims)
        return claims

    def validate_jti(self, claims: dict[str, Any], jti: str) -> bool:
        return self._state.first_use_of_jti(str(claims["sub"]), str(jti), float(claims["exp"]))
