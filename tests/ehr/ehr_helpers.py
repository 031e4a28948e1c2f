"""A small chart in HAPI and a sandbox that behaves as a chosen EHR in front of it."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from flask.testing import FlaskClient

from launch.sandbox import create_sandbox_app
from launch.sandbox.state import SandboxState
from tests.sandbox.sandbox_helpers import (
    PUBLIC,
    authorize,
    exchange,
    launch_and_token,
    new_launch,
    pkce,
    redirect_params,
)

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
MSOBS = "http://example.org/fhir/ms-monitor/CodeSystem/ms-observation"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
REGISTRATIONS = Path(__file__).resolve().parents[2] / "launch" / "registrations"
SCOPES = "launch openid fhirUser offline_access patient/*.read patient/*.write"


def _observation(pid: str, oid: str, category: str, code: tuple[str, str], **value: Any) -> Any:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "category": [{"coding": [{"system": OBS_CATEGORY, "code": category}]}],
        "code": {"coding": [{"system": code[0], "code": code[1]}]},
        "subject": {"reference": f"Patient/{pid}"},
        "effectiveDateTime": "2026-03-01",
        **value,  # may override the date
    }


def chart(pid: str) -> list[dict[str, Any]]:
    """MS diagnosis, EDSS, JCV, two MFIS, a brain MRI with lesion counts, a DMT order and a
    DMT statement: every shape the vendors reshape."""
    subject = {"reference": f"Patient/{pid}"}
    study = {
        "resourceType": "ImagingStudy",
        "id": f"{pid}-mri",
        "status": "available",
        "modality": [{"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "MR"}],
        "subject": subject,
        "started": "2026-02-01",
        "procedureCode": [{"coding": [{"system": LOINC, "code": "24590-2"}]}],
    }
    lesions = {"derivedFrom": [{"reference": f"ImagingStudy/{pid}-mri"}], "valueInteger": 1}
    return [
        {
            "resourceType": "Patient",
            "id": pid,
            "name": [{"family": "Ehrtest", "given": ["Vendor"]}],
        },
        {
            "resourceType": "Condition",
            "id": f"{pid}-ms",
            "code": {"coding": [{"system": SNOMED, "code": "24700007"}]},
            "subject": subject,
            "onsetDateTime": "2010-01-01",
        },
        _observation(
            pid, f"{pid}-edss", "exam", (SNOMED, "273554001"), valueQuantity={"value": 2.0}
        ),
        _observation(
            pid,
            f"{pid}-jcv",
            "laboratory",
            (MSOBS, "jcv-antibody"),
            valueCodeableConcept={"coding": [{"system": SNOMED, "code": "260385009"}]},
        ),
        _observation(
            pid,
            f"{pid}-jcv-old",
            "laboratory",
            (MSOBS, "jcv-antibody"),
            valueCodeableConcept={"coding": [{"system": SNOMED, "code": "260385009"}]},
            effectiveDateTime="2025-01-10",
        ),
        _observation(pid, f"{pid}-mfis-1", "survey", (MSOBS, "mfis"), valueInteger=20),
        _observation(pid, f"{pid}-mfis-2", "survey", (MSOBS, "mfis"), valueInteger=25),
        study,
        _observation(pid, f"{pid}-t2", "imaging", (MSOBS, "new-t2-lesions"), **lesions),
        {
            "resourceType": "MedicationRequest",
            "id": f"{pid}-nat",
            "status": "active",
            "intent": "order",
            "medicationCodeableConcept": {
                "coding": [{"system": RXNORM, "code": "354770", "display": "natalizumab"}],
                "text": "natalizumab",
            },
            "subject": subject,
            "authoredOn": "2024-01-01",
        },
        {
            "resourceType": "MedicationStatement",
            "id": f"{pid}-ifn",
            "status": "completed",
            "medicationCodeableConcept": {
                "coding": [{"system": RXNORM, "code": "75917", "display": "interferon beta-1a"}]
            },
            "subject": subject,
            "effectivePeriod": {"start": "2015-01-01", "end": "2023-06-01"},
        },
    ]


def write_chart(fhir_base: str) -> str:
    """A fresh patient id with :func:`chart` written to HAPI (one transaction of PUTs)."""
    pid = f"ehr-{uuid.uuid4().hex[:10]}"
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": r,
                "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"},
            }
            for r in chart(pid)
        ],
    }
    answer = requests.post(
        fhir_base, json=bundle, timeout=60, headers={"Content-Type": "application/fhir+json"}
    )
    assert answer.status_code == 200, answer.text
    return pid


@dataclass
class Ehr:
    """A sandbox behaving as one EHR, a launched patient and its token."""

    name: str
    state: SandboxState
    client: FlaskClient
    patient: str
    token: dict[str, Any]

    def headers(self, **extra: str) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token['access_token']}",
            "Accept": "application/fhir+json",
            **extra,
        }


def ehr_sandbox(
    fhir_base: str,
    name: str,
    patient: str,
    *,
    rate_limit: int | None = None,
    scope: str | None = None,
) -> Ehr:
    state = SandboxState()
    app = create_sandbox_app(
        fhir_base,
        "http://127.0.0.1:5000/launch",
        public_base=PUBLIC,
        state=state,
        ehr=name,
        rate_limit_per_minute=rate_limit,
    )
    client = app.test_client()
    token = launch_and_token(client, state, patient=patient, scope=scope or SCOPES)
    return Ehr(name, state, client, patient, token)


def token_at(client: FlaskClient, state: SandboxState, patient: str, fhir_base: str) -> Any:
    """An EHR launch's token for a sandbox whose FHIR base (``aud``) is ``fhir_base``."""
    challenge = pkce()
    launch = new_launch(state, patient)
    params = redirect_params(
        authorize(client, scope=SCOPES, launch=launch, challenge=challenge, aud=fhir_base)
    )
    answer = exchange(client, params["code"], challenge.verifier)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()


def example_entry(name: str) -> dict[str, Any]:
    """The example's issuer entry, with test credentials in place of its placeholders."""
    entry: dict[str, Any] = json.loads((REGISTRATIONS / name).read_text())[
        "ms_monitor_issuer_entry"
    ]
    entry.pop("private_key_file", None)
    entry.pop("client_secret_env", None)
    if entry["auth_method"] == "private_key_jwt":
        entry["private_key_pem"] = "test-only-not-a-key"
    if entry["auth_method"] == "client_secret_basic":
        entry["client_secret"] = "test-only-secret"
    return entry
