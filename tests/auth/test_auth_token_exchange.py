"""Callback checks and the exact token requests for each client authentication method."""

from __future__ import annotations

import base64
import dataclasses
import time
from typing import Any

import pytest
import responses
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from smart_app.auth import SmartClient, TokenSet
from smart_app.errors import AuthError
from tests.auth.auth_fakes import (
    AUTH_ISSUER,
    CLIENT_ID,
    ISS,
    REDIRECT,
    TOKEN,
    add_ehr,
    callback_for,
    ec_p384_pem,
    form,
    launched,
    registration,
    rsa_pem,
    token_answer,
)

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def _token_call(rsps: responses.RequestsMock) -> Any:
    calls = [c for c in rsps.calls if c.request.url == TOKEN]
    assert len(calls) == 1
    return calls[0].request


def test_public_client_exchange_sends_exact_body_and_reads_the_launch_context(
    rsps: responses.RequestsMock,
) -> None:
    add_ehr(rsps)
    client = SmartClient(registration())
    pending, callback = launched(client, rsps)
    tokens = client.complete(pending, callback_args=callback)

    request = _token_call(rsps)
    assert form(request.body) == {
        "grant_type": "authorization_code",
        "code": "CODE-secret-1",
        "redirect_uri": REDIRECT,
        "code_verifier": pending.pkce_verifier,
        "client_id": CLIENT_ID,
    }
    assert "Authorization" not in request.headers
    assert tokens.authorization() == "Bearer AT-secret-1"
    assert tokens.refresh_token == "RT-secret-1"
    assert tokens.expires_at == pytest.approx(time.time() + 3600, abs=5)
    context = tokens.context
    assert (context.patient, context.encounter) == ("msm-001", "enc-9")
    assert context.fhir_user == f"{ISS}/Practitioner/dr-neuro"
    assert context.need_patient_banner is False
    assert context.smart_style_url == f"{AUTH_ISSUER}/style.json"
    assert context.fhir_context == ({"reference": "Encounter/enc-9"},)
    assert "patient/CarePlan.cu" in context.granted_scopes
    assert context.iss == ISS
    assert tokens.id_token_claims["nonce"] == pending.nonce
    assert "AT-secret-1" not in repr(tokens)
    assert TokenSet.from_json(tokens.to_json()) == tokens


def test_client_secret_basic_uses_the_authorization_header_not_the_body(
    rsps: responses.RequestsMock,
) -> None:
    add_ehr(rsps)
    client = SmartClient(registration("client_secret_basic"))
    pending, callback = launched(client, rsps)
    client.complete(pending, callback_args=callback)

    request = _token_call(rsps)
    assert form(request.body) == {
        "grant_type": "authorization_code",
        "code": "CODE-secret-1",
        "redirect_uri": REDIRECT,
        "code_verifier": pending.pkce_verifier,
    }
    expected = base64.b64encode(f"{CLIENT_ID}:s3cret-value".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"


@pytest.mark.parametrize(("pem_factory", "alg"), [(rsa_pem, "RS384"), (ec_p384_pem, "ES384")])
def test_private_key_jwt_assertion_is_short_lived_fresh_and_names_its_key(
    rsps: responses.RequestsMock, pem_factory: Any, alg: str
) -> None:
    pem = pem_factory()
    add_ehr(rsps)
    client = SmartClient(registration("private_key_jwt", private_key_pem=pem, key_id="app-key-1"))
    assertions = []
    for _ in range(2):
        pending, callback = launched(client, rsps)
        client.complete(pending, callback_args=callback)
        request = [c for c in rsps.calls if c.request.url == TOKEN][-1].request
        body = form(request.body)
        assert "Authorization" not in request.headers
        assertion = body.pop("client_assertion")
        assert body == {
            "grant_type": "authorization_code",
            "code": "CODE-secret-1",
            "redirect_uri": REDIRECT,
            "code_verifier": pending.pkce_verifier,
            "client_assertion_type": ASSERTION_TYPE,
        }
        assertions.append(assertion)

    key = RSAKey.import_key(pem) if alg == "RS384" else ECKey.import_key(pem)
    decoded = [jwt.decode(a, key, algorithms=[alg]) for a in assertions]
    for token in decoded:
        assert token.header["alg"] == alg
        assert token.header["kid"] == "app-key-1"
        claims = token.claims
        assert claims["iss"] == claims["sub"] == CLIENT_ID
        assert claims["aud"] == TOKEN
        assert 0 < claims["exp"] - claims["iat"] <= 300
        assert claims["exp"] <= time.time() + 300
    assert decoded[0].claims["jti"] != decoded[1].claims["jti"]


def test_rfc9207_iss_from_another_authorization_server_is_refused(
    rsps: responses.RequestsMock,
) -> None:
    add_ehr(rsps)
    client = SmartClient(registration())
    pending, callback = launched(client, rsps)
    with pytest.raises(AuthError, match="RFC 9207"):
        client.complete(pending, callback_args={**callback, "iss": "https://evil.example"})
    # The FHIR base is not the authorization server's issuer either.
    with pytest.raises(AuthError, match="RFC 9207"):
        client.complete(pending, callback_args={**callback, "iss": ISS})
    assert not [c for c in rsps.calls if c.request.url == TOKEN]


def test_rfc9207_iss_is_required_when_the_server_says_it_sends_it(
    rsps: responses.RequestsMock,
) -> None:
    add_ehr(rsps, authorization_response_iss_parameter_supported=True)
    client = SmartClient(registration())
    pending, callback = launched(client, rsps)
    with pytest.raises(AuthError, match="lacks the iss"):
        client.complete(pending, callback_args=callback_for(pending, iss=""))
    assert client.complete(pending, callback_args=callback).access_token == "AT-secret-1"


def test_callback_with_another_state_or_an_error_is_refused_without_a_token_request(
    rsps: responses.RequestsMock,
) -> None:
    add_ehr(rsps)
    client = SmartClient(registration())
    pending, callback = launched(client, rsps)
    with pytest.raises(AuthError, match="state"):
        client.complete(pending, callback_args={**callback, "state": "forged"})
    with pytest.raises(AuthError, match="access_denied"):
        client.complete(
            pending,
            callback_args={
                "state": pending.state,
                "error": "access_denied",
                "error_description": "user said no",
            },
        )
    with pytest.raises(AuthError, match="no code"):
        client.complete(pending, callback_args=callback_for(pending, code=""))
    assert not [c for c in rsps.calls if c.request.url == TOKEN]


def test_complete_needs_the_pending_launch_of_this_server_and_is_time_limited(
    rsps: responses.RequestsMock,
) -> None:
    """The verifier exists only in the PendingLaunch: a callback without it cannot be
    completed (WEB pops it by state; a replayed or forged state finds none)."""
    add_ehr(rsps)
    client = SmartClient(registration())
    pending, callback = launched(client, rsps)
    other = dataclasses.replace(pending, iss="https://other.example/fhir")
    with pytest.raises(AuthError, match="another FHIR server"):
        client.complete(other, callback_args=callback)
    stale = dataclasses.replace(pending, created_at=time.time() - 3600)
    with pytest.raises(AuthError, match="too long"):
        client.complete(stale, callback_args=callback)
    assert not [c for c in rsps.calls if c.request.url == TOKEN]


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (401, {"error": "invalid_client"}, r"HTTP 401.*invalid_client"),
        (403, {"error": "access_denied", "error_description": "no"}, r"HTTP 403.*access_denied"),
        (429, "<html>slow down</html>", r"HTTP 429.*rate limited"),
        (500, "Internal error", r"HTTP 500"),
        (
            400,
            {"error": "invalid_grant", "error_description": "code=CODE-secret-1 used"},
            "HTTP 400",
        ),
        (200, "{not json", "not a JSON object"),
        (200, {"token_type": "Bearer"}, "no access_token"),
        (200, {"access_token": "AT-secret-1", "token_type": "mac"}, "Bearer"),
    ],
)
def test_token_endpoint_failures_become_clear_auth_errors_without_secrets(
    rsps: responses.RequestsMock, status: int, body: Any, message: str
) -> None:
    add_ehr(rsps)
    client = SmartClient(registration("client_secret_basic"))
    pending = client.begin(launch="L-1")
    if isinstance(body, dict):
        rsps.post(TOKEN, json=body, status=status)
    else:
        rsps.post(TOKEN, body=body, status=status)
    with pytest.raises(AuthError, match=message) as caught:
        client.complete(pending, callback_args=callback_for(pending))
    text = str(caught.value)
    for secret in ("CODE-secret-1", "AT-secret-1", pending.pkce_verifier, "s3cret-value"):
        assert secret not in text


def test_open_servers_answer_does_not_replace_a_missing_refresh_token(
    rsps: responses.RequestsMock,
) -> None:
    add_ehr(rsps)
    client = SmartClient(registration())
    pending = client.begin(launch="L-1")
    rsps.post(TOKEN, json=token_answer(refresh_token=None, scope=None, expires_in=None))
    tokens = client.complete(pending, callback_args=callback_for(pending))
    assert tokens.refresh_token is None
    assert tokens.scope == pending.scope  # RFC 6749 5.1: omitted scope = the requested one
    assert tokens.id_token_claims == {}
    assert tokens.context.fhir_user is None
