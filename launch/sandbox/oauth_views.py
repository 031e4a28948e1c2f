"""OAuth endpoints of the sandbox: discovery, /authorize, /token, /jwks.

Authorization is auto-approved: there is no login page, the user is always the one sandbox
clinician (``Practitioner/sandbox-neurologist``). Only the standalone patient picker is shown.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import requests
from authlib.oauth2 import OAuth2Error
from flask import Blueprint, Response, current_app, jsonify, render_template, request

from launch.sandbox.clients import ClientRegistry, Flags, SandboxClient
from launch.sandbox.config import SandboxConfig
from launch.sandbox.ehr import EhrProfile
from launch.sandbox.patients import list_patients
from launch.sandbox.server import ASSERTION_ALGORITHMS, SmartServer
from launch.sandbox.state import LaunchContext, SandboxState

PATIENT_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")

CAPABILITIES = [
    "launch-ehr",
    "launch-standalone",
    "client-public",
    "client-confidential-symmetric",
    "client-confidential-asymmetric",
    "context-ehr-patient",
    "context-standalone-patient",
    "context-banner",
    "context-style",
    "permission-offline",
    "permission-online",
    "permission-patient",
    "permission-user",
    "permission-v1",
    "permission-v2",
    "sso-openid-connect",
    "authorize-post",
]

V1_SUFFIXES = (".read", ".write")
SCOPES_SUPPORTED = [
    "openid",
    "fhirUser",
    "profile",
    "launch",
    "launch/patient",
    "offline_access",
    "online_access",
    "patient/*.read",
    "patient/*.write",
    "patient/*.rs",
    "patient/*.cruds",
    "user/*.read",
    "user/*.write",
    "user/*.rs",
    "user/*.cruds",
    "system/*.read",
    "system/*.write",
    "system/*.rs",
    "system/*.cruds",
]


def smart_configuration(config: SandboxConfig, profile: EhrProfile | None = None) -> dict[str, Any]:
    """The SMART discovery document (https://hl7.org/fhir/smart-app-launch/conformance.html), as
    the emulated EHR ``profile`` words it (Oracle Health: system scopes in v2 syntax only)."""
    issuer = config.issuer
    scopes = SCOPES_SUPPORTED
    if profile is not None and not profile.v1_system_scopes:
        scopes = [s for s in scopes if not (s.startswith("system/") and s.endswith(V1_SUFFIXES))]
    return {
        "issuer": issuer,
        "jwks_uri": f"{issuer}/jwks",
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": config.token_url,
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "response_types_supported": ["code"],
        "scopes_supported": scopes,
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": [
            "none",
            "client_secret_basic",
            "private_key_jwt",
        ],
        "token_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGORITHMS),
        "id_token_signing_alg_values_supported": ["RS256"],
        "authorization_response_iss_parameter_supported": True,
        "capabilities": CAPABILITIES,
    }


def create_oauth_blueprint(
    config: SandboxConfig, registry: ClientRegistry, state: SandboxState, server: SmartServer
) -> Blueprint:
    bp = Blueprint("sandbox_oauth", __name__)

    @bp.get("/fhir/.well-known/smart-configuration")
    @bp.get("/.well-known/smart-configuration")
    def discovery() -> Response:
        return jsonify(smart_configuration(config, state.profile()))

    @bp.get("/jwks")
    def jwks() -> Response:
        return jsonify(server.signing_key.jwks())

    @bp.get("/smart-style.json")
    def smart_style() -> Response:
        return jsonify(
            {
                "color_background": "#f4f6f8",
                "color_highlight": "#1f5f8b",
                "color_text": "#1b1f23",
                "dim_border_radius": "4px",
                "font_family_body": "system-ui, sans-serif",
                "font_family_heading": "system-ui, sans-serif",
            }
        )

    @bp.route("/authorize", methods=["GET", "POST"])
    def authorize() -> Any:
        try:
            grant = server.get_consent_grant(end_user=None)
        except OAuth2Error as error:
            return _error_page(server, error)
        values = request.values
        scopes = (grant.request.scope or "").split()
        client: SandboxClient = grant.request.client
        launch_id = values.get("launch")
        nonce = values.get("nonce")
        if launch_id:
            launched = state.launch(launch_id)
            if launched is None:  # validated by the grant; expired in between
                return _error_page(server, OAuth2Error("launch expired"))
            context = _with_nonce(launched, nonce)
            if not _client_type_ok(launched.required_client_type, client):
                return server.handle_error_response(
                    grant.request,
                    _redirect_error(
                        grant, f"this launch needs a {launched.required_client_type} client"
                    ),
                )
        elif "launch/patient" in scopes:
            chosen = values.get("sandbox_patient", "")
            if not PATIENT_ID.match(chosen):
                return _patient_picker(config, values)
            context = LaunchContext(
                patient=chosen,
                fhir_user=config.fhir_user,
                need_patient_banner=True,
                smart_style_url=config.style_url,
                nonce=nonce,
            )
        else:
            context = LaunchContext(fhir_user=config.fhir_user, nonce=nonce)
        return server.create_authorization_response(grant=grant, grant_user=context)

    @bp.post("/token")
    def token() -> Response:
        injected = _injected_flags(registry, state)
        if injected.invalid_client:
            body = {"error": "invalid_client", "error_description": "injected by the sandbox"}
            return Response(
                json.dumps(body),
                status=401,
                mimetype="application/json",
                headers={"WWW-Authenticate": 'Basic realm="sandbox"', "Cache-Control": "no-store"},
            )
        response: Response = server.create_token_response()
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
        return response

    return bp


def _with_nonce(context: LaunchContext, nonce: str | None) -> LaunchContext:
    from dataclasses import replace

    return replace(context, nonce=nonce)


def _client_type_ok(required: str, client: SandboxClient) -> bool:
    if required == "public":
        return client.is_public
    if required == "confidential":
        return not client.is_public
    return True


def _redirect_error(grant: Any, description: str) -> OAuth2Error:
    from authlib.oauth2.rfc6749 import UnauthorizedClientError

    error = UnauthorizedClientError(description, redirect_uri=grant.redirect_uri)
    error.state = grant.request.payload.state
    return error


def _error_page(server: SmartServer, error: OAuth2Error) -> Any:
    """Errors that carry a redirect_uri go back to the app; others stay here (no open redirect)."""
    if error.redirect_uri:
        return server.handle_error_response(None, error)
    return (
        render_template(
            "error.html", error=error.error or "invalid_request", description=error.description
        ),
        error.status_code or 400,
    )


def _patient_picker(config: SandboxConfig, values: Any) -> Any:
    query = str(values.get("q", "")).strip()
    try:
        patients = list_patients(config, query or None)
    except requests.RequestException as exc:
        current_app.logger.warning("patient list failed: %s", exc)
        patients = []
    hidden = [(k, v) for k, v in values.items(multi=True) if k not in {"sandbox_patient", "q"}]
    return render_template("pick_patient.html", patients=patients, hidden=hidden, query=query)


def _injected_flags(registry: ClientRegistry, state: SandboxState) -> Flags:
    """Error-injection flags that apply to this token request (its client's and its launch's)."""
    client = registry.get(_token_client_id())
    flags = client.flags if client else Flags()
    grant_type = request.form.get("grant_type")
    if grant_type == "authorization_code":
        code = state.peek_code(request.form.get("code", ""))
        if code is not None:
            flags = flags.merged(code.context.flags)
    elif grant_type == "refresh_token":
        refresh = state.refresh(request.form.get("refresh_token", ""))
        if refresh is not None:
            flags = flags.merged(refresh.context.flags)
    return flags


def _token_client_id() -> str | None:
    """The client a token request claims to be, before it is authenticated."""
    if request.authorization and request.authorization.username:
        return request.authorization.username
    if request.form.get("client_id"):
        return request.form["client_id"]
    assertion = request.form.get("client_assertion", "")
    parts = assertion.split(".")
    if len(parts) == 3:
        try:
            payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        except ValueError:
            return None
        sub = payload.get("sub") if isinstance(payload, dict) else None
        return sub if isinstance(sub, str) else None
    return None
