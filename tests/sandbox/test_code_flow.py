"""Authorization code flow with PKCE: EHR and standalone launch, public and confidential clients."""

from __future__ import annotations

import base64

import responses
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import KeySet

from launch.sandbox.state import SandboxState
from smart_app.synthetic import SCENARIO_DESCRIPTIONS, SCENARIO_NAMES
from tests.sandbox.sandbox_helpers import (
    APP_SCOPE,
    CONFIDENTIAL_SECRET,
    FHIR,
    PUBLIC,
    REDIRECT,
    UPSTREAM,
    assertion,
    authorize,
    exchange,
    launch_and_token,
    new_launch,
    pkce,
    redirect_params,
)


def test_ehr_launch_public_client_gets_context_and_id_token(
    client: FlaskClient, state: SandboxState
) -> None:
    challenge = pkce()
    launch = new_launch(state, "msm-007", encounter="enc-1")
    params = redirect_params(authorize(client, launch=launch, challenge=challenge))
    assert params["state"] == "st-123"
    assert params["iss"] == PUBLIC  # RFC 9207: the authorization server, not the FHIR base
    answer = exchange(client, params["code"], challenge.verifier)
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    token = answer.get_json()
    assert token["patient"] == "msm-007"
    assert token["encounter"] == "enc-1"
    assert token["need_patient_banner"] is True
    assert token["smart_style_url"].startswith(PUBLIC)
    assert set(token["scope"].split()) == set(APP_SCOPE.split())
    assert token["expires_in"] == 3600
    assert token["refresh_token"]
    keys = KeySet.import_key_set(client.get("/jwks").get_json())
    claims = jwt.decode(token["id_token"], keys, algorithms=["RS256"]).claims
    assert claims["aud"] == "ms-monitor-public"
    assert claims["iss"] == PUBLIC
    assert claims["nonce"] == "n-456"
    assert claims["fhirUser"] == f"{FHIR}/Practitioner/x"


def test_confidential_symmetric_client_uses_basic_auth(
    client: FlaskClient, state: SandboxState
) -> None:
    challenge = pkce()
    launch = new_launch(state)
    params = redirect_params(
        authorize(client, client_id="ms-monitor-confidential", launch=launch, challenge=challenge)
    )
    basic = base64.b64encode(f"ms-monitor-confidential:{CONFIDENTIAL_SECRET}".encode()).decode()
    form = {
        "grant_type": "authorization_code",
        "code": params["code"],
        "redirect_uri": REDIRECT,
        "code_verifier": challenge.verifier,
    }
    wrong = base64.b64encode(b"ms-monitor-confidential:nope").decode()
    refused = client.post("/token", data=form, headers={"Authorization": f"Basic {wrong}"})
    assert refused.status_code == 401
    assert refused.get_json()["error"] == "invalid_client"
    answer = client.post("/token", data=form, headers={"Authorization": f"Basic {basic}"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["patient"] == "msm-001"


def test_confidential_client_without_secret_is_refused(
    client: FlaskClient, state: SandboxState
) -> None:
    challenge = pkce()
    launch = new_launch(state)
    params = redirect_params(
        authorize(client, client_id="ms-monitor-confidential", launch=launch, challenge=challenge)
    )
    answer = exchange(
        client, params["code"], challenge.verifier, client_id="ms-monitor-confidential"
    )
    assert answer.get_json()["error"] == "invalid_client"


def test_asymmetric_client_uses_private_key_jwt(client: FlaskClient, state: SandboxState) -> None:
    challenge = pkce()
    params = redirect_params(
        authorize(client, client_id="ms-monitor-jwt", launch=new_launch(state), challenge=challenge)
    )
    client_assertion = assertion("sandbox-test-only-ms-monitor-jwt-rs384", sub="ms-monitor-jwt")
    form = {
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": client_assertion,
    }
    answer = exchange(
        client, params["code"], challenge.verifier, client_id="ms-monitor-jwt", form=form
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)


def test_wrong_verifier_is_invalid_grant(client: FlaskClient, state: SandboxState) -> None:
    challenge = pkce()
    params = redirect_params(authorize(client, launch=new_launch(state), challenge=challenge))
    answer = exchange(client, params["code"], pkce().verifier)
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "invalid_grant"


def test_missing_verifier_is_refused(client: FlaskClient, state: SandboxState) -> None:
    challenge = pkce()
    params = redirect_params(authorize(client, launch=new_launch(state), challenge=challenge))
    answer = client.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": REDIRECT,
            "client_id": "ms-monitor-public",
        },
    )
    assert answer.get_json()["error"] == "invalid_request"


def test_code_is_single_use(client: FlaskClient, state: SandboxState) -> None:
    challenge = pkce()
    params = redirect_params(authorize(client, launch=new_launch(state), challenge=challenge))
    assert exchange(client, params["code"], challenge.verifier).status_code == 200
    again = exchange(client, params["code"], challenge.verifier)
    assert again.get_json()["error"] == "invalid_grant"


def test_missing_pkce_is_refused_back_to_the_app(client: FlaskClient, state: SandboxState) -> None:
    response = authorize(
        client, launch=new_launch(state), code_challenge="", code_challenge_method=""
    )
    params = redirect_params(response)
    assert params["error"] == "invalid_request"
    assert "code" not in params


def test_plain_pkce_is_refused(client: FlaskClient, state: SandboxState) -> None:
    challenge = pkce()
    response = authorize(
        client,
        launch=new_launch(state),
        code_challenge=challenge.verifier,
        code_challenge_method="plain",
    )
    assert redirect_params(response)["error"] == "invalid_request"


def test_unregistered_redirect_uri_is_not_followed(
    client: FlaskClient, state: SandboxState
) -> None:
    response = authorize(client, launch=new_launch(state), redirect_uri="http://evil.test/cb")
    assert response.status_code == 400
    assert "Location" not in response.headers


def test_token_redirect_uri_must_match(client: FlaskClient, state: SandboxState) -> None:
    challenge = pkce()
    params = redirect_params(authorize(client, launch=new_launch(state), challenge=challenge))
    answer = exchange(
        client, params["code"], challenge.verifier, redirect_uri="http://127.0.0.1:5000/other"
    )
    assert answer.get_json()["error"] == "invalid_grant"


def test_wrong_aud_is_refused_without_redirect(client: FlaskClient, state: SandboxState) -> None:
    response = authorize(client, launch=new_launch(state), aud="http://other.test/fhir")
    assert response.status_code == 400
    assert "Location" not in response.headers


def test_unknown_launch_is_an_error(client: FlaskClient) -> None:
    params = redirect_params(authorize(client, launch="no-such-launch"))
    assert params["error"] == "invalid_request"


def test_unknown_client_is_an_error_page(client: FlaskClient) -> None:
    response = authorize(client, client_id="nobody")
    assert response.status_code == 400
    assert "Location" not in response.headers


def test_refresh_rotates_the_refresh_token(client: FlaskClient, state: SandboxState) -> None:
    first = launch_and_token(client, state)
    form = {"grant_type": "refresh_token", "client_id": "ms-monitor-public"}
    second = client.post("/token", data={**form, "refresh_token": first["refresh_token"]})
    assert second.status_code == 200, second.get_data(as_text=True)
    renewed = second.get_json()
    assert renewed["refresh_token"] != first["refresh_token"]
    assert renewed["access_token"] != first["access_token"]
    assert renewed["patient"] == "msm-001"
    reused = client.post("/token", data={**form, "refresh_token": first["refresh_token"]})
    assert reused.get_json()["error"] == "invalid_grant"
    third = client.post("/token", data={**form, "refresh_token": renewed["refresh_token"]})
    assert third.status_code == 200


def test_no_refresh_token_without_offline_or_online_access(
    client: FlaskClient, state: SandboxState
) -> None:
    token = launch_and_token(client, state, scope="launch openid fhirUser patient/*.rs")
    assert "refresh_token" not in token


def test_standalone_launch_shows_a_picker_then_issues_the_patient(
    client: FlaskClient, upstream: responses.RequestsMock
) -> None:
    upstream.get(
        f"{UPSTREAM}/Patient",
        json={
            "resourceType": "Bundle",
            "entry": [
                {
                    "resource": {
                        "resourceType": "Patient",
                        "id": "msm-003",
                        "name": [{"given": ["Ada"], "family": "Test"}],
                    }
                }
            ],
        },
    )
    challenge = pkce()
    scope = "launch/patient openid fhirUser patient/*.rs"
    page = authorize(client, scope=scope, challenge=challenge)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Ada Test" in html
    assert 'value="msm-003"' in html
    # the row says which scenario the synthetic patient plays (msm-003 is the third scenario)
    assert SCENARIO_DESCRIPTIONS[SCENARIO_NAMES[2]] in html
    form = {
        "response_type": "code",
        "client_id": "ms-monitor-public",
        "redirect_uri": REDIRECT,
        "scope": scope,
        "state": "s",
        "aud": FHIR,
        "code_challenge": challenge.challenge,
        "code_challenge_method": "S256",
        "sandbox_patient": "msm-003",
    }
    params = redirect_params(client.post("/authorize", data=form))
    token = exchange(client, params["code"], challenge.verifier).get_json()
    assert token["patient"] == "msm-003"
    assert token["scope"] == scope


def test_scopes_the_client_is_not_registered_for_are_dropped(
    client: FlaskClient, state: SandboxState
) -> None:
    token = launch_and_token(client, state, scope="launch patient/*.rs system/*.read")
    assert token["scope"] == "launch patient/*.rs"
