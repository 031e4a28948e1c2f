"""The SMART launch end to end through the Flask test client, against fake v2 and v1 EHRs."""

from __future__ import annotations

import base64
import hashlib

import responses
from flask.testing import FlaskClient

from smart_app.auth import launch_scopes
from smart_app.synthetic import SyntheticPatient
from tests.web.web_fakes import query
from tests.web.web_flow import (
    CLIENT_SECRET,
    REDIRECT,
    V1_ISS,
    V2_ISS,
    World,
    build_world,
    finish_launch,
    full_launch,
    start_launch,
)


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_ehr_launch_v2_public_client_authorize_and_token_request_are_exact(
    world: World, browser: FlaskClient
) -> None:
    authorize_url = start_launch(browser, world.v2, launch="L-v2")
    args = query(authorize_url)
    assert set(args) == {
        "response_type",
        "client_id",
        "redirect_uri",
        "scope",
        "state",
        "aud",
        "launch",
        "code_challenge",
        "code_challenge_method",
        "nonce",
    }
    assert args["response_type"] == "code"
    assert args["client_id"] == "ms-monitor"
    assert args["redirect_uri"] == REDIRECT
    assert args["aud"] == V2_ISS
    assert args["launch"] == "L-v2"
    assert args["code_challenge_method"] == "S256"
    assert args["scope"] == launch_scopes(ehr_launch=True, v2=True)
    assert len(args["state"]) >= 22  # >= 128 bits

    dashboard = finish_launch(browser, world.v2, authorize_url)

    [body] = world.v2.auth.token_requests
    assert set(body) == {"grant_type", "code", "redirect_uri", "code_verifier", "client_id"}
    assert body["grant_type"] == "authorization_code"
    assert body["code"] == f"CODE-{args['state'][:6]}"
    assert body["redirect_uri"] == REDIRECT
    assert body["client_id"] == "ms-monitor"
    assert _challenge(body["code_verifier"]) == args["code_challenge"]
    assert "Authorization" not in world.v2.auth.token_headers[0]  # public client: no secret

    page = browser.get(dashboard)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="patient-banner"' in html
    assert "Synthetic-Cohort, Test Msm001" in html
    assert 'data-status="benign"' in html
    # the FHIR server saw the launch's token, and one batch read (plus the cached metadata)
    assert set(world.v2.fhir.authorizations) == {"Bearer AT-auth2.example-1"}


def test_ehr_launch_v1_confidential_client_uses_basic_auth_and_v1_scopes(
    world: World, browser: FlaskClient
) -> None:
    authorize_url = start_launch(browser, world.v1, launch="L-v1")
    args = query(authorize_url)
    assert args["scope"] == launch_scopes(ehr_launch=True, v2=False)
    assert args["aud"] == V1_ISS
    assert args["launch"] == "L-v1"

    dashboard = finish_launch(browser, world.v1, authorize_url)

    [body] = world.v1.auth.token_requests
    assert set(body) == {"grant_type", "code", "redirect_uri", "code_verifier"}
    assert _challenge(body["code_verifier"]) == args["code_challenge"]
    expected = base64.b64encode(f"ms-monitor:{CLIENT_SECRET}".encode()).decode()
    assert world.v1.auth.token_headers[0]["Authorization"] == f"Basic {expected}"
    page = browser.get(dashboard)
    assert page.status_code == 200
    assert "Synthetic-Cohort, Test Msm001" in page.get_data(as_text=True)


def test_v2_confidential_client(patients: list[SyntheticPatient]) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        world = build_world(patients, rsps, v2_method="client_secret_basic")
        browser = world.app.test_client()
        dashboard = full_launch(browser, world.v2)
        [body] = world.v2.auth.token_requests
        assert "client_id" not in body
        assert "client_secret" not in body
        assert world.v2.auth.token_headers[0]["Authorization"].startswith("Basic ")
        assert browser.get(dashboard).status_code == 200


def test_standalone_launch_asks_launch_patient(world: World, browser: FlaskClient) -> None:
    response = browser.get("/standalone")
    assert response.status_code == 302
    args = query(response.headers["Location"])
    assert "launch" not in args
    assert args["scope"].split()[0] == "launch/patient"
    assert args["scope"] == launch_scopes(ehr_launch=False, v2=True)
    world.v2.auth.remember_nonce(response.headers["Location"])
    dashboard = finish_launch(browser, world.v2, response.headers["Location"])
    assert browser.get(dashboard).status_code == 200


def test_standalone_with_iss_uses_that_registration(world: World, browser: FlaskClient) -> None:
    # V1 is not the registration marked standalone: ?iss= must pick it all the same
    response = browser.get("/standalone", query_string={"iss": V1_ISS})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(world.v1.auth.authorize_endpoint + "?")
    args = query(location)
    assert args["aud"] == V1_ISS
    assert "launch" not in args
    assert args["scope"] == launch_scopes(ehr_launch=False, v2=False)


def test_standalone_with_unknown_iss_is_refused_without_any_request(
    world: World, browser: FlaskClient
) -> None:
    before = len(world.rsps.calls)
    response = browser.get("/standalone", query_string={"iss": "https://attacker.example/fhir"})
    assert response.status_code == 400
    assert "Unknown FHIR server" in response.get_data(as_text=True)
    assert "Location" not in response.headers
    assert len(world.rsps.calls) == before  # neither discovery nor anything else was fetched


def test_launch_without_launch_param_is_standalone(world: World, browser: FlaskClient) -> None:
    args = query(start_launch(browser, world.v2, launch=None))
    assert "launch" not in args
    assert "launch/patient" in args["scope"].split()


def test_refresh_on_expiry_uses_the_refresh_token(world: World, browser: FlaskClient) -> None:
    world.v2.auth.expires_in = 5  # inside the refresh skew: refreshed before the first FHIR call
    dashboard = full_launch(browser, world.v2)
    world.v2.auth.expires_in = 3600  # the refreshed token is good for an hour
    assert browser.get(dashboard).status_code == 200
    grants = [b["grant_type"] for b in world.v2.auth.token_requests]
    assert grants == ["authorization_code", "refresh_token"]
    refresh = next(b for b in world.v2.auth.token_requests if b["grant_type"] == "refresh_token")
    assert refresh["refresh_token"] == "RT-auth2.example-1"
    assert world.v2.fhir.authorizations[-1] == "Bearer AT-auth2.example-2"


def test_401_triggers_one_refresh_then_succeeds(world: World, browser: FlaskClient) -> None:
    dashboard = full_launch(browser, world.v2)
    world.v2.fhir.queued.append((401, {}, '{"resourceType":"OperationOutcome","issue":[]}'))
    page = browser.get(dashboard)
    assert page.status_code == 200
    grants = [b["grant_type"] for b in world.v2.auth.token_requests]
    assert grants == ["authorization_code", "refresh_token"]


def test_429_is_retried(world: World, browser: FlaskClient) -> None:
    dashboard = full_launch(browser, world.v2)
    world.v2.fhir.queued.append((429, {"Retry-After": "0"}, "{}"))
    page = browser.get(dashboard)
    assert page.status_code == 200
    assert 'data-testid="classification"' in page.get_data(as_text=True)
