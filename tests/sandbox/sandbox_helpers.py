"""Helpers and fixtures for the sandbox tests: the Flask test client and a mocked upstream HAPI."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from werkzeug.test import TestResponse

from launch.sandbox import create_sandbox_app
from launch.sandbox.keys import load_test_key
from launch.sandbox.state import LaunchContext, SandboxState

UPSTREAM = "http://hapi.test/fhir"
PUBLIC = "http://localhost"
FHIR = f"{PUBLIC}/fhir"
TOKEN_URL = f"{PUBLIC}/token"
REDIRECT = "http://127.0.0.1:5000/callback"
APP_SCOPE = "launch openid fhirUser offline_access patient/*.read patient/CarePlan.write"
CONFIDENTIAL_SECRET = "sandbox-test-only-secret"


class Clock:
    """A settable clock for token expiry."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def state(clock: Clock) -> SandboxState:
    return SandboxState(clock=clock)


@pytest.fixture
def app(state: SandboxState) -> Flask:
    return create_sandbox_app(
        UPSTREAM, "http://127.0.0.1:5000/launch", public_base=PUBLIC, state=state
    )


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def upstream() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@dataclass(frozen=True)
class Pkce:
    verifier: str
    challenge: str


def pkce() -> Pkce:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return Pkce(verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode())


def authorize(
    client: FlaskClient,
    *,
    client_id: str = "ms-monitor-public",
    scope: str = APP_SCOPE,
    launch: str | None = None,
    challenge: Pkce | None = None,
    **extra: str,
) -> TestResponse:
    params: dict[str, str] = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "scope": scope,
        "state": "st-123",
        "aud": FHIR,
        "nonce": "n-456",
        "code_challenge": (challenge or pkce()).challenge,
        "code_challenge_method": "S256",
    }
    if launch:
        params["launch"] = launch
    params.update(extra)
    params = {k: v for k, v in params.items() if v != ""}
    return client.get("/authorize", query_string=params)


def redirect_params(response: TestResponse) -> dict[str, str]:
    assert response.status_code == 302, response.get_data(as_text=True)
    location = response.headers["Location"]
    assert location.startswith(REDIRECT)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def new_launch(state: SandboxState, patient: str = "msm-001", **kwargs: Any) -> str:
    return state.new_launch(LaunchContext(patient=patient, fhir_user="Practitioner/x", **kwargs))


def exchange(
    client: FlaskClient,
    code: str,
    verifier: str,
    *,
    client_id: str = "ms-monitor-public",
    redirect_uri: str = REDIRECT,
    **extra: Any,
) -> TestResponse:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
        "client_id": client_id,
    }
    form.update(extra.pop("form", {}))
    return client.post("/token", data=form, **extra)


def launch_and_token(
    client: FlaskClient,
    state: SandboxState,
    *,
    scope: str = APP_SCOPE,
    patient: str = "msm-001",
    **launch_kwargs: Any,
) -> dict[str, Any]:
    """A full EHR launch with the public client; returns the token response."""
    challenge = pkce()
    launch = new_launch(state, patient, **launch_kwargs)
    params = redirect_params(authorize(client, scope=scope, launch=launch, challenge=challenge))
    answer = exchange(client, params["code"], challenge.verifier)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body: dict[str, Any] = answer.get_json()
    return body


def assertion(
    stem: str = "sandbox-test-only-ms-monitor-backend-rs384",
    alg: str = "RS384",
    *,
    sub: str = "ms-monitor-backend",
    exp_in: int = 240,
    jti: str | None = None,
    aud: str = TOKEN_URL,
) -> str:
    key, kid = load_test_key(stem)
    now = int(time.time())
    claims = {
        "iss": sub,
        "sub": sub,
        "aud": aud,
        "exp": now + exp_in,
        "iat": now,
        "jti": jti or str(uuid.uuid4()),
    }
    return jwt.encode({"alg": alg, "kid": kid, "typ": "JWT"}, claims, key, algorithms=[alg])


def backend_token(client: FlaskClient, scope: str = "system/*.read", **kwargs: Any) -> TestResponse:
    return client.post(
        "/token",
        data={
            "grant_type": "client_credentials",
            "scope": scope,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion(**kwargs),
        },
    )
