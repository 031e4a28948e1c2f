"""The SMART client against the project's own Authlib sandbox over real HTTP on loopback:
discovery, EHR launch, code exchange for each client authentication, id_token, refresh."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from werkzeug.serving import make_server

from launch.sandbox import create_sandbox_app
from launch.sandbox.keys import load_test_key
from launch.sandbox.state import LaunchContext as SandboxLaunch
from launch.sandbox.state import SandboxState
from smart_app.auth import AuthError, ClientRegistration, SmartClient

REDIRECT = "http://127.0.0.1:5000/callback"
JWT_KEY = "sandbox-test-only-ms-monitor-jwt-rs384"
KEYS_DIR = Path(__file__).resolve().parents[2] / "launch" / "sandbox" / "keys"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[tuple[str, SandboxState]]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    base = f"http://127.0.0.1:{port}"
    state = SandboxState()
    app = create_sandbox_app(
        "http://hapi.invalid/fhir", "http://127.0.0.1:5000/launch", public_base=base, state=state
    )
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base, state
    server.shutdown()
    thread.join(timeout=10)


def _registration(base: str, method: str) -> ClientRegistration:
    if method == "none":
        return ClientRegistration.from_mapping(
            {"client_id": "ms-monitor-public", "auth_method": "none", **_common(base)}
        )
    if method == "client_secret_basic":
        return ClientRegistration.from_mapping(
            {
                "client_id": "ms-monitor-confidential",
                "auth_method": method,
                "client_secret": "sandbox-test-only-secret",
                **_common(base),
            }
        )
    _, kid = load_test_key(JWT_KEY)
    return ClientRegistration.from_mapping(
        {
            "client_id": "ms-monitor-jwt",
            "auth_method": method,
            "private_key_file": str(KEYS_DIR / f"{JWT_KEY}.pem"),
            "key_id": kid,
            **_common(base),
        }
    )


def _common(base: str) -> dict[str, object]:
    return {"iss": f"{base}/fhir", "redirect_uri": REDIRECT, "offline_access": True}


@pytest.mark.parametrize("method", ["none", "client_secret_basic", "private_key_jwt"])
def test_ehr_launch_round_trip_against_the_sandbox(
    sandbox: tuple[str, SandboxState], method: str
) -> None:
    base, state = sandbox
    client = SmartClient(_registration(base, method), http_timeout=10)
    launch = state.new_launch(SandboxLaunch(patient="msm-003", fhir_user="Practitioner/x"))
    pending = client.begin(launch=launch)
    answer = requests.get(pending.authorize_url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    callback = dict(parse_qsl(urlsplit(answer.headers["Location"]).query))

    tokens = client.complete(pending, callback_args=callback)
    assert tokens.context.patient == "msm-003"
    assert tokens.context.fhir_user == f"{base}/fhir/Practitioner/x"
    assert tokens.id_token_claims["nonce"] == pending.nonce
    assert "patient/CarePlan.cu" in tokens.context.granted_scopes

    fresh = client.refresh(tokens)
    assert fresh.access_token != tokens.access_token
    assert fresh.refresh_token

    replay = {**callback}
    with pytest.raises(AuthError, match=r"HTTP 400.*invalid_grant"):  # a code is single use
        client.complete(pending, callback_args=replay)
