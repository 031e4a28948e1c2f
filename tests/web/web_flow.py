"""Helpers of the web tests: fake EHR wiring and a launch driven through the Flask test client
(/launch -> authorize -> /callback -> /app/<launch_id>)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import responses
from flask import Flask
from flask.testing import FlaskClient

from tests.web.web_fakes import REDIRECT, FakeAuthServer, FakeFhir, query

__all__ = [
    "CLIENT_SECRET",
    "OPEN_ISS",
    "REDIRECT",
    "V1_ISS",
    "V2_ISS",
    "V2_SCOPES",
    "World",
    "build_world",
    "csrf_token",
    "finish_launch",
    "full_launch",
    "post_write",
    "start_launch",
]

from smart_app.app import create_app
from smart_app.auth import ClientRegistration, IssuerRegistry, MemoryTokenStore
from smart_app.settings import Settings
from smart_app.synthetic import SyntheticPatient

V2_ISS = "https://ehr2.example/fhir"
V2_AUTH = "https://auth2.example"
V1_ISS = "https://ehr1.example/fhir"
V1_AUTH = "https://auth1.example"
OPEN_ISS = "https://open.example/fhir"
V2_SCOPES = (
    "launch openid fhirUser patient/*.rs patient/CarePlan.cu patient/Task.cu patient/Provenance.c"
)
V1_SCOPES = "launch openid fhirUser patient/*.read patient/CarePlan.write patient/Task.write"
CLIENT_SECRET = "web-test-client-secret"


@dataclass
class Ehr:
    iss: str
    auth: FakeAuthServer
    fhir: FakeFhir


@dataclass
class World:
    app: Flask
    rsps: responses.RequestsMock
    v2: Ehr
    v1: Ehr
    open_fhir: FakeFhir
    store: MemoryTokenStore


def registrations(*, v2_method: str = "none") -> IssuerRegistry:
    return IssuerRegistry(
        [
            ClientRegistration(
                iss=V2_ISS,
                client_id="ms-monitor",
                auth_method=v2_method,
                client_secret=CLIENT_SECRET if v2_method == "client_secret_basic" else None,
                redirect_uri=REDIRECT,
                standalone=True,
            ),
            ClientRegistration(
                iss=V1_ISS,
                client_id="ms-monitor",
                auth_method="client_secret_basic",
                client_secret=CLIENT_SECRET,
                redirect_uri=REDIRECT,
            ),
            ClientRegistration(iss=OPEN_ISS, client_id=None, auth_method="open"),
        ]
    )


def build_world(
    patients: list[SyntheticPatient], rsps: responses.RequestsMock, *, v2_method: str = "none"
) -> World:
    settings = Settings(secret_key="test-secret", http_retries=2, frame_ancestors="'self'")
    store = MemoryTokenStore()
    app = create_app(settings, store=store, registry=registrations(v2_method=v2_method))
    app.config["TESTING"] = True
    v2 = Ehr(V2_ISS, FakeAuthServer(V2_AUTH, V2_ISS, scope=V2_SCOPES), FakeFhir(V2_ISS, patients))
    v1 = Ehr(V1_ISS, FakeAuthServer(V1_AUTH, V1_ISS, scope=V1_SCOPES), FakeFhir(V1_ISS, patients))
    v2.auth.install(rsps, well_known=True, v2=True)
    v2.fhir.install(rsps)
    v1.auth.install(rsps, well_known=False, v2=False)
    rsps.get(
        f"{V1_ISS}/.well-known/openid-configuration",
        json={"issuer": V1_AUTH, "jwks_uri": f"{V1_AUTH}/jwks"},
    )
    v1.fhir.install(
        rsps, oauth={"authorize": v1.auth.authorize_endpoint, "token": v1.auth.token_endpoint}
    )
    open_fhir = FakeFhir(OPEN_ISS, patients)
    open_fhir.install(rsps)
    return World(app, rsps, v2, v1, open_fhir, store)


def start_launch(browser: FlaskClient, ehr: Ehr, *, launch: str | None = "L-123") -> str:
    """GET /launch; return the authorize URL the app redirected to."""
    args = {"iss": ehr.iss, **({"launch": launch} if launch else {})}
    response = browser.get("/launch", query_string=args)
    assert response.status_code == 302, response.get_data(as_text=True)
    location = response.headers["Location"]
    assert location.startswith(ehr.auth.authorize_endpoint + "?")
    ehr.auth.remember_nonce(location)
    return location


def finish_launch(
    browser: FlaskClient, ehr: Ehr, authorize_url: str, *, send_iss: bool = True
) -> str:
    """The authorization server redirects back; return the dashboard path."""
    state = query(authorize_url)["state"]
    args = {"code": f"CODE-{state[:6]}", "state": state}
    if send_iss and ehr.iss == V2_ISS:
        args["iss"] = ehr.auth.issuer
    response = browser.get("/callback", query_string=args)
    assert response.status_code == 303, response.get_data(as_text=True)
    location = response.headers["Location"]
    assert location.startswith("/app/")
    return location


def full_launch(browser: FlaskClient, ehr: Ehr, *, launch: str | None = "L-123") -> str:
    return finish_launch(browser, ehr, start_launch(browser, ehr, launch=launch))


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the write form has no CSRF token"
    return match.group(1)


def post_write(browser: FlaskClient, dashboard: str, **headers: str) -> tuple[int, str]:
    html = browser.get(dashboard).get_data(as_text=True)
    response = browser.post(
        f"{dashboard}/write",
        data={"csrf_token": csrf_token(html)},
        headers={"Origin": "http://localhost", **headers},
    )
    return response.status_code, response.headers.get("Location", "")
