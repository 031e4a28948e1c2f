"""Attacks on the CDS Hooks service: SSRF through fhirServer, aud from the Host header, ids that
are not FHIR ids, and client JWTs without iat, before their nbf, or living too long."""

from __future__ import annotations

import time
from typing import Any

import pytest
import responses

from smart_app.app import create_app
from smart_app.auth import IssuerRegistry, MemoryTokenStore
from smart_app.auth.cds_clients import CdsClientRegistry
from smart_app.auth.jwks import public_jwks
from smart_app.settings import CdsClientAllowance, Settings
from smart_app.web.cds_hooks import SERVICE_ID, CdsClientVerifier, ReplayCache
from tests.cds.test_cds_hooks import (
    EHR_KEY,
    FHIR,
    ISS,
    JWKS_URL,
    call,
    client_jwt,
    hook_request,
    make_client,
)

OTHER_ISS = "https://other-ehr.example.org/cds-client"
OTHER_FHIR = "https://other-ehr.example.org/fhir"


def no_prefetch(patient_id: str, server: str) -> dict[str, Any]:
    return hook_request(
        patient_id,
        prefetch=False,
        fhirServer=server,
        fhirAuthorization={"access_token": "ehr-token", "token_type": "Bearer"},
    )


@responses.activate
@pytest.mark.parametrize(
    "server",
    [
        "http://127.0.0.1:8080/fhir",
        "http://localhost/fhir",
        "http://[::1]/fhir",
        "http://169.254.169.254/latest/meta-data",
        "https://evil.example.org/fhir",
        f"{FHIR}/../../admin",
        f"{FHIR}.evil.example.org",
        OTHER_FHIR,  # registered, but for another CDS client
    ],
)
def test_an_unregistered_fhir_server_is_refused_with_412_and_never_contacted(server: str) -> None:
    settings = Settings(
        public_url="http://localhost",
        cds_allowed_issuers={
            ISS: CdsClientAllowance(jwks_url=JWKS_URL, fhir_servers=[FHIR]),
            OTHER_ISS: CdsClientAllowance(jwks_url=JWKS_URL, fhir_servers=[OTHER_FHIR]),
        },
    )
    assert CdsClientRegistry.from_settings(settings).allows_fhir_server(OTHER_ISS, OTHER_FHIR)
    verifier = CdsClientVerifier(
        {ISS: JWKS_URL, OTHER_ISS: JWKS_URL},
        ReplayCache(None),
        fetcher=lambda _url: public_jwks([EHR_KEY]),
    )
    app = create_app(
        settings, store=MemoryTokenStore(), registry=IssuerRegistry(), cds_verifier=verifier
    )
    response = call(app.test_client(), no_prefetch("msm-010", server), client_jwt())
    assert response.status_code == 412
    assert "not a FHIR base registered" in response.json["error"]
    assert len(responses.calls) == 0  # no request left the service, with or without the token


@responses.activate
def test_the_registered_fhir_server_is_read() -> None:
    """The defence lets the client's own FHIR base through (the request reaches it)."""
    responses.post(FHIR, status=500)
    response = call(make_client(), no_prefetch("msm-010", FHIR), client_jwt())
    assert response.status_code == 502
    assert str(responses.calls[0].request.url).startswith(FHIR)


def test_a_plain_jwks_url_entry_allows_no_fhir_server() -> None:
    registry = CdsClientRegistry({ISS: JWKS_URL})
    assert registry.jwks_urls() == {ISS: JWKS_URL}
    assert not registry.allows_fhir_server(ISS, FHIR)


def test_aud_comes_from_the_public_url_not_from_the_host_header() -> None:
    """A token minted for another service on another host, sent with that Host, is refused."""
    other = f"https://other-service.example.org/cds-services/{SERVICE_ID}"
    # both hosts trusted, so that the audience check alone is tried (TRUSTED_HOSTS: next test)
    client = make_client(trusted_hosts=("localhost", "other-service.example.org"))
    response = client.post(
        f"/cds-services/{SERVICE_ID}",
        json=hook_request("msm-001"),
        headers={"Authorization": f"Bearer {client_jwt(aud=other)}"},
        base_url="https://other-service.example.org",
    )
    assert response.status_code == 401
    assert response.json is not None
    assert "aud" in response.json["error"]


def test_without_a_public_url_the_service_refuses_every_call() -> None:
    settings = Settings(cds_allowed_issuers={ISS: JWKS_URL})
    app = create_app(settings, store=MemoryTokenStore(), registry=IssuerRegistry())
    response = call(app.test_client(), hook_request("msm-001"), client_jwt())
    assert response.status_code == 503


def test_flask_trusted_hosts_refuse_another_host() -> None:
    settings = Settings(secret_key="k", public_url="https://ms-monitor.example.org")
    app = create_app(settings, store=MemoryTokenStore(), registry=IssuerRegistry())
    browser = app.test_client()
    assert browser.get("/healthz", base_url="https://ms-monitor.example.org").status_code == 200
    assert browser.get("/healthz", base_url="https://evil.example.org").status_code == 400
    listed = Settings(secret_key="k", trusted_hosts=["a.example", "b.example"])
    app = create_app(listed, store=MemoryTokenStore(), registry=IssuerRegistry())
    assert app.config["TRUSTED_HOSTS"] == ["a.example", "b.example"]
    assert app.test_client().get("/healthz", base_url="http://c.example").status_code == 400


@responses.activate
@pytest.mark.parametrize(
    "patient_id", ["msm-001&patient=msm-002", "msm-001/_history", "a:b", "x" * 65, "p 1"]
)
def test_a_patient_id_that_is_not_a_fhir_id_gets_422_before_any_read(patient_id: str) -> None:
    response = call(make_client(), no_prefetch(patient_id, FHIR), client_jwt())
    assert response.status_code == 422
    assert len(responses.calls) == 0


@pytest.mark.parametrize(
    ("offsets", "reason"),
    [
        ({"iat": None}, "iat"),
        ({"iat": 600, "exp": 660}, "iat"),
        ({"nbf": 120}, "nbf"),
        ({"iat": 0, "exp": 600}, "5 minutes"),
        ({"iat": -400, "exp": 60}, "5 minutes"),
    ],
)
def test_client_jwts_without_iat_before_nbf_or_living_too_long_get_401(
    offsets: dict[str, int | None], reason: str
) -> None:
    """Claims are seconds from now, taken when the test runs (not when it is collected)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        name: None if offset is None else now + offset for name, offset in offsets.items()
    }
    response = call(make_client(), hook_request("msm-001"), client_jwt(**claims))
    assert response.status_code == 401
    assert reason in response.json["error"]


def test_a_jwt_with_a_reached_nbf_passes() -> None:
    now = int(time.time())
    token = client_jwt(nbf=now - 5, iat=now - 5, exp=now + 240)
    assert call(make_client(), hook_request("msm-001"), token).status_code == 200
