"""client_credentials with private_key_jwt (SMART Backend Services)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.sandbox.sandbox_helpers import backend_token


@pytest.mark.parametrize(
    ("stem", "alg"),
    [
        ("sandbox-test-only-ms-monitor-backend-rs384", "RS384"),
        ("sandbox-test-only-ms-monitor-backend-es384", "ES384"),
    ],
)
def test_backend_token_with_rs384_and_es384(client: FlaskClient, stem: str, alg: str) -> None:
    answer = backend_token(client, "system/Patient.rs system/Observation.read", stem=stem, alg=alg)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    token = answer.get_json()
    assert token["scope"] == "system/Patient.rs system/Observation.read"
    assert "refresh_token" not in token
    assert "patient" not in token


def test_replayed_jti_is_refused(client: FlaskClient) -> None:
    assert backend_token(client, jti="same-jti").status_code == 200
    again = backend_token(client, jti="same-jti")
    assert again.get_json()["error"] == "invalid_client"


def test_assertion_living_more_than_five_minutes_is_refused(client: FlaskClient) -> None:
    answer = backend_token(client, exp_in=600)
    assert answer.get_json()["error"] == "invalid_client"


def test_expired_assertion_is_refused(client: FlaskClient) -> None:
    assert backend_token(client, exp_in=-120).get_json()["error"] == "invalid_client"


def test_rs256_assertion_is_refused(client: FlaskClient) -> None:
    assert backend_token(client, alg="RS256").get_json()["error"] == "invalid_client"


def test_wrong_audience_is_refused(client: FlaskClient) -> None:
    answer = backend_token(client, aud="http://other.test/token")
    assert answer.get_json()["error"] == "invalid_client"


def test_key_of_another_client_is_refused(client: FlaskClient) -> None:
    answer = backend_token(client, stem="sandbox-test-only-ms-monitor-jwt-rs384")
    assert answer.get_json()["error"] == "invalid_client"


def test_patient_scopes_are_not_granted_to_a_backend_client(client: FlaskClient) -> None:
    answer = backend_token(client, "patient/*.read")
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "invalid_scope"


def test_public_app_client_cannot_use_client_credentials(client: FlaskClient) -> None:
    answer = client.post(
        "/token", data={"grant_type": "client_credentials", "client_id": "ms-monitor-public"}
    )
    assert answer.get_json()["error"] in ("invalid_client", "unauthorized_client")
