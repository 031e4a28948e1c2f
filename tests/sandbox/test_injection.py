"""Error injection, per launch (launcher options) and per client (clients.json flags)."""

from __future__ import annotations

import json
from pathlib import Path

import responses
from flask.testing import FlaskClient

from launch.sandbox import create_sandbox_app
from launch.sandbox.clients import DEFAULT_CLIENTS_FILE, Flags
from launch.sandbox.state import SandboxState
from tests.sandbox.sandbox_helpers import (
    PUBLIC,
    UPSTREAM,
    authorize,
    exchange,
    launch_and_token,
    new_launch,
    pkce,
    redirect_params,
)

SCOPE = "launch offline_access patient/*.read patient/CarePlan.write patient/Task.write"


def test_deny_scope_makes_the_app_read_only(
    client: FlaskClient, state: SandboxState, upstream: responses.RequestsMock
) -> None:
    denied = Flags(deny_scope=("patient/CarePlan.cud", "patient/Task.write"))  # v2 = v1 spelling
    token = launch_and_token(client, state, scope=SCOPE, flags=denied)
    assert token["scope"] == "launch offline_access patient/*.read"
    body = {"resourceType": "CarePlan", "subject": {"reference": "Patient/msm-001"}}
    answer = client.post(
        "/fhir/CarePlan", json=body, headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert answer.status_code == 403
    refreshed = client.post(
        "/token",
        data={
            "grant_type": "refresh_token",
            "client_id": "ms-monitor-public",
            "refresh_token": token["refresh_token"],
        },
    ).get_json()
    assert refreshed["scope"] == "launch offline_access patient/*.read"


def test_expired_token_flag_sets_the_lifetime(client: FlaskClient, state: SandboxState) -> None:
    token = launch_and_token(client, state, flags=Flags(expires_in=5))
    assert token["expires_in"] == 5


def test_invalid_client_flag_on_a_launch(client: FlaskClient, state: SandboxState) -> None:
    challenge = pkce()
    launch = new_launch(state, flags=Flags(invalid_client=True))
    params = redirect_params(authorize(client, launch=launch, challenge=challenge))
    answer = exchange(client, params["code"], challenge.verifier)
    assert answer.status_code == 401
    assert answer.get_json()["error"] == "invalid_client"


def test_per_client_flags_from_the_clients_file(tmp_path: Path) -> None:
    registrations = json.loads(DEFAULT_CLIENTS_FILE.read_text())
    for item in registrations["clients"]:
        if item["client_id"] == "ms-monitor-public":
            item["sandbox_flags"] = {"deny_scope": "patient/CarePlan.write", "expired_token": 2}
        if item["client_id"] == "ms-monitor-confidential":
            item["sandbox_flags"] = {"invalid_client": True}
    path = tmp_path / "clients.json"
    path.write_text(json.dumps(registrations))
    state = SandboxState()
    app = create_sandbox_app(
        UPSTREAM, "http://127.0.0.1:5000/launch", clients_file=path, public_base=PUBLIC, state=state
    )
    client = app.test_client()
    token = launch_and_token(client, state, scope=SCOPE)
    assert "patient/CarePlan.write" not in token["scope"].split()
    assert "patient/Task.write" in token["scope"].split()
    assert token["expires_in"] == 2
    refused = client.post(
        "/token",
        data={"grant_type": "authorization_code", "code": "x"},
        headers={"Authorization": "Basic bXMtbW9uaXRvci1jb25maWRlbnRpYWw6eA=="},
    )
    assert refused.get_json()["error"] == "invalid_client"


def test_launch_requiring_a_confidential_client(client: FlaskClient, state: SandboxState) -> None:
    launch = new_launch(state, required_client_type="confidential")
    params = redirect_params(authorize(client, launch=launch))
    assert params["error"] == "unauthorized_client"


def test_launcher_page_opens_the_app_in_an_iframe(
    client: FlaskClient, state: SandboxState, upstream: responses.RequestsMock
) -> None:
    upstream.get(
        f"{UPSTREAM}/Patient",
        json={
            "resourceType": "Bundle",
            "entry": [
                {
                    "resource": {
                        "resourceType": "Patient",
                        "id": "msm-001",
                        "name": [{"text": "Ann Demo"}],
                    }
                }
            ],
        },
    )
    upstream.get(
        f"{UPSTREAM}/Patient/msm-001",
        json={"resourceType": "Patient", "id": "msm-001", "name": [{"text": "Ann Demo"}]},
    )
    picker = client.get("/ehr")
    assert picker.status_code == 200
    assert "Ann Demo" in picker.get_data(as_text=True)
    page = client.get(
        "/ehr/launch",
        query_string={"patient": "msm-001", "deny_scope": "patient/Task.write", "expires_in": "30"},
    ).get_data(as_text=True)
    assert "Sandbox EHR" in page
    assert "Ann Demo" in page
    assert '<iframe class="app"' in page
    assert "http://127.0.0.1:5000/launch?iss=http%3A%2F%2Flocalhost%2Ffhir&amp;launch=" in page
    launch_id = page.split("&amp;launch=", 1)[1].split('"')[0]
    context = state.launch(launch_id)
    assert context is not None
    assert context.patient == "msm-001"
    assert context.flags == Flags(expires_in=30, deny_scope=("patient/Task.write",))
