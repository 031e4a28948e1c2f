"""CDS Hooks patient-view: discovery, the client JWT checks, cards with and without prefetch."""

from __future__ import annotations

import time
import uuid
from datetime import date
from typing import Any

import pytest
import responses
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import OctKey

from smart_app.auth.jwks import SigningKey, generate_signing_key, public_jwks
from smart_app.service.cds import PREFETCH
from smart_app.settings import CdsClientAllowance, Settings
from smart_app.synthetic import cohort
from smart_app.web.app import create_app
from smart_app.web.cds_hooks import (
    SERVICE_ID,
    CdsClientVerifier,
    ReplayCache,
)

AS_OF = date(2026, 11, 24)
ISS = "https://ehr.example.org/cds-client"
JWKS_URL = "https://ehr.example.org/cds-client/jwks.json"
PUBLIC_URL = "http://localhost"
ENDPOINT = f"{PUBLIC_URL}/cds-services/{SERVICE_ID}"
FHIR = "https://ehr.example.org/fhir"  # the FHIR base registered for the CDS client ISS
LAUNCH = "https://ms-monitor.example.org/launch"
EHR_KEY = generate_signing_key("ES384", "ehr-key")
PATIENTS = {p.patient_id: p for p in cohort(as_of=AS_OF, patients=20)}


def make_client(
    fetches: list[str] | None = None,
    *,
    trusted_hosts: tuple[str, ...] = (),
    fhir_servers: tuple[str, ...] = (FHIR,),
) -> FlaskClient:
    def fetcher(url: str) -> dict[str, Any]:
        if fetches is not None:
            fetches.append(url)
        return public_jwks([EHR_KEY])

    settings = Settings(
        app_launch_url=LAUNCH,
        redis_url=None,
        public_url=PUBLIC_URL,
        cds_allowed_issuers={
            ISS: CdsClientAllowance(jwks_url=JWKS_URL, fhir_servers=list(fhir_servers))
        },
        trusted_hosts=list(trusted_hosts),
    )
    verifier = CdsClientVerifier({ISS: JWKS_URL}, ReplayCache(None), fetcher=fetcher)
    return create_app(settings, cds_verifier=verifier, today=lambda: AS_OF).test_client()


def client_jwt(
    key: SigningKey = EHR_KEY,
    *,
    alg: str = "ES384",
    header: dict[str, Any] | None = None,
    **overrides: Any,
) -> str:
    now = int(time.time())
    claims = {"iss": ISS, "aud": ENDPOINT, "iat": now, "exp": now + 60, "jti": uuid.uuid4().hex}
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    head = {"alg": alg, "kid": key.key_id, "typ": "JWT", "jku": JWKS_URL, **(header or {})}
    return jwt.encode(head, claims, key.key, algorithms=[alg])


def searchset(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [{"resource": r} for r in resources],
    }


def prefetch_for(patient_id: str) -> dict[str, Any]:
    resources = PATIENTS[patient_id].resources
    by_type = {
        "conditions": "Condition",
        "observations": "Observation",
        "imaging": "ImagingStudy",
        "medicationRequests": "MedicationRequest",
        "medicationStatements": "MedicationStatement",
        "medicationAdministrations": "MedicationAdministration",
        "diagnosticReports": "DiagnosticReport",
    }
    prefetch: dict[str, Any] = {
        key: searchset([r for r in resources if r["resourceType"] == kind])
        for key, kind in by_type.items()
    }
    prefetch["patient"] = next(r for r in resources if r["resourceType"] == "Patient")
    return prefetch


def hook_request(patient_id: str, *, prefetch: bool = True, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/1", "patientId": patient_id},
        **extra,
    }
    if prefetch:
        body["prefetch"] = prefetch_for(patient_id)
    return body


def call(client: FlaskClient, body: dict[str, Any], token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post(f"/cds-services/{SERVICE_ID}", json=body, headers=headers)


def test_discovery_lists_the_service_with_prefetch_templates() -> None:
    body = make_client().get("/cds-services").json
    assert body is not None
    (service,) = body["services"]
    assert service["hook"] == "patient-view"
    assert service["id"] == SERVICE_ID
    assert service["prefetch"]["patient"] == "Patient/{{context.patientId}}"
    assert all("{{context.patientId}}" in t for t in service["prefetch"].values())
    assert set(service["prefetch"]) == set(PREFETCH)


def test_active_disease_gives_a_critical_card_with_source_and_smart_link() -> None:
    response = call(make_client(), hook_request("msm-010"), client_jwt())
    assert response.status_code == 200
    cards = response.json["cards"]
    assert [c["indicator"] for c in cards] == ["critical", "warning"]
    critical = cards[0]
    assert "activity" in critical["summary"]
    assert len(critical["summary"]) <= 140
    assert critical["source"]["label"]
    assert critical["source"]["url"].startswith("https://")
    assert critical["links"] == [
        {"label": "Open ms-monitor", "url": LAUNCH, "type": "smart", "appContext": "msm-010"}
    ]


def test_overdue_monitoring_gives_a_warning_card_and_a_stable_patient_none() -> None:
    client = make_client()
    overdue = call(client, hook_request("msm-019"), client_jwt()).json["cards"]
    assert [c["indicator"] for c in overdue] == ["warning"]
    assert "neuro-review" in overdue[0]["detail"]
    assert "mri-brain" in overdue[0]["detail"]
    assert call(client, hook_request("msm-001"), client_jwt()).json == {"cards": []}


@pytest.mark.parametrize(
    ("make_token", "reason"),
    [
        (lambda: None, "Bearer"),
        (lambda: "not-a-jwt", "not a JWT"),
        (lambda: client_jwt(iss="https://evil.example.org"), "not allowlisted"),
        (lambda: client_jwt(aud="https://other.example.org/cds-services/x"), "aud"),
        (lambda: client_jwt(exp=int(time.time()) - 5), "expired"),
        (lambda: client_jwt(jti=None), "jti"),
        (lambda: client_jwt(header={"jku": "https://evil.example.org/jwks"}), "jku"),
        (lambda: client_jwt(generate_signing_key("ES384", "ehr-key")), "signature"),
        (lambda: jwt.encode({"alg": "HS256"}, {"iss": ISS}, OctKey.import_key(b"k" * 32)), "HS256"),
        (lambda: _unsigned(), "none"),
    ],
)
def test_bad_client_tokens_are_refused_with_401(make_token: Any, reason: str) -> None:
    response = call(make_client(), hook_request("msm-010"), make_token())
    assert response.status_code == 401
    assert reason in response.json["error"]


def _unsigned() -> str:
    import base64
    import json

    def b64(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    claims = {"iss": ISS, "aud": ENDPOINT, "exp": int(time.time()) + 60, "jti": "x"}
    return f"{b64({'alg': 'none'})}.{b64(claims)}."


def test_a_replayed_jti_is_refused_and_the_jwks_is_fetched_once() -> None:
    fetches: list[str] = []
    client = make_client(fetches)
    token = client_jwt()
    assert call(client, hook_request("msm-001"), token).status_code == 200
    replay = call(client, hook_request("msm-001"), token)
    assert replay.status_code == 401
    assert "replay" in replay.json["error"]
    assert call(client, hook_request("msm-001"), client_jwt()).status_code == 200
    assert fetches == [JWKS_URL]


def test_malformed_hook_requests_get_400() -> None:
    client = make_client()
    assert call(client, {"hook": "order-select"}, client_jwt()).status_code == 400
    assert call(client, {"hook": "patient-view", "context": {}}, client_jwt()).status_code == 400
    missing = call(client, hook_request("msm-010", prefetch=False), client_jwt())
    assert missing.status_code == 412


@responses.activate
def test_without_prefetch_it_reads_the_fhir_server_with_the_given_token() -> None:
    fhir = FHIR
    resources = PATIENTS["msm-010"].resources
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    kinds = [
        "Condition",
        "Observation",
        "ImagingStudy",
        "MedicationRequest",
        "MedicationStatement",
        "MedicationAdministration",
        "DiagnosticReport",
    ]
    entries = [{"resource": patient, "response": {"status": "200 OK"}}]
    entries += [
        {
            "resource": searchset([r for r in resources if r["resourceType"] == k]),
            "response": {"status": "200 OK"},
        }
        for k in kinds
    ]
    entries += [{"resource": searchset([]), "response": {"status": "200 OK"}}] * 2
    responses.post(
        fhir, json={"resourceType": "Bundle", "type": "batch-response", "entry": entries}
    )
    body = hook_request(
        "msm-010",
        prefetch=False,
        fhirServer=fhir,
        fhirAuthorization={
            "access_token": "ehr-token",
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "cds",
        },
    )
    response = call(make_client(), body, client_jwt())
    assert response.status_code == 200
    assert [c["indicator"] for c in response.json["cards"]] == ["critical", "warning"]
    assert responses.calls[0].request.headers["Authorization"] == "Bearer ehr-token"
