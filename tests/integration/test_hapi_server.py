"""The HAPI FHIR server of launch/hapi does what the product needs (foundation issue, item 4)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from smart_app.errors import FhirFatalError
from smart_app.fhir import FhirClient, bundle_resources

pytestmark = pytest.mark.integration

SNOMED = "http://snomed.info/sct"
EDSS = {"coding": [{"system": SNOMED, "code": "273554001", "display": "EDSS score"}]}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    pytest.fail(f"timed out after {seconds:.0f} s waiting for {what}")


def ms_transaction(patient_id: str) -> dict[str, Any]:
    """Patient, MS Condition, EDSS Observation and brain MRI ImagingStudy in one transaction."""
    subject = {"reference": f"Patient/{patient_id}"}
    resources: list[dict[str, Any]] = [
        {"resourceType": "Patient", "id": patient_id, "birthDate": "1980-01-01"},
        {
            "resourceType": "Condition",
            "id": f"{patient_id}-ms",
            "subject": subject,
            "code": {"coding": [{"system": SNOMED, "code": "24700007"}]},
            "onsetDateTime": "2010-03-01",
        },
        {
            "resourceType": "Observation",
            "id": f"{patient_id}-edss",
            "status": "final",
            "subject": subject,
            "code": EDSS,
            "effectiveDateTime": "2026-05-10",
            "valueQuantity": {"value": 2.0},
        },
        {
            "resourceType": "ImagingStudy",
            "id": f"{patient_id}-mri",
            "status": "available",
            "subject": subject,
            "started": "2026-03-01",
            "modality": [{"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "MR"}],
        },
    ]
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": r,
                "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"},
            }
            for r in resources
        ],
    }


def test_transaction_then_search_reads_everything_back(fhir: FhirClient) -> None:
    patient_id = unique("it")
    response = fhir.transaction(ms_transaction(patient_id))
    assert [e["response"]["status"][:3] for e in response["entry"]] == ["201"] * 4

    found = list(
        fhir.search(
            "Patient",
            {
                "_id": patient_id,
                "_revinclude": "Condition:subject",
                "_revinclude:iterate": "Observation:subject",
            },
        )
    )
    assert {r["resourceType"] for r in found} >= {"Patient", "Condition", "Observation"}
    studies = list(fhir.search("ImagingStudy", {"patient": patient_id}))
    assert [s["id"] for s in studies] == [f"{patient_id}-mri"]
    edss = list(fhir.search("Observation", {"patient": patient_id, "code": f"{SNOMED}|273554001"}))
    assert edss[0]["valueQuantity"]["value"] == 2.0


def test_conditional_create_twice_gives_one_resource(fhir: FhirClient) -> None:
    value = unique("careplan")
    system = "http://example.org/fhir/ms-monitor/careplan-id"
    patient_id = unique("it")
    fhir.update({"resourceType": "Patient", "id": patient_id})

    def conditional_create() -> dict[str, Any]:
        return {
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [
                {
                    "fullUrl": f"urn:uuid:{uuid.uuid4()}",
                    "resource": {
                        "resourceType": "CarePlan",
                        "status": "active",
                        "intent": "plan",
                        "subject": {"reference": f"Patient/{patient_id}"},
                        "identifier": [{"system": system, "value": value}],
                    },
                    "request": {
                        "method": "POST",
                        "url": "CarePlan",
                        "ifNoneExist": f"identifier={system}|{value}",
                    },
                }
            ],
        }

    first = fhir.transaction(conditional_create())
    second = fhir.transaction(conditional_create())
    assert first["entry"][0]["response"]["status"].startswith("201")
    assert second["entry"][0]["response"]["status"].startswith("200")
    matches = list(fhir.search("CarePlan", {"identifier": f"{system}|{value}"}))
    assert len(matches) == 1


def test_batch_with_three_searches(fhir: FhirClient) -> None:
    patient_id = unique("it")
    fhir.transaction(ms_transaction(patient_id))
    condition, observations, studies = fhir.batch_get(
        [
            f"Condition?patient={patient_id}",
            f"Observation?patient={patient_id}&code={SNOMED}|273554001",
            f"ImagingStudy?patient={patient_id}",
        ]
    )
    assert [r["id"] for r in bundle_resources(condition)] == [f"{patient_id}-ms"]
    assert [r["id"] for r in bundle_resources(observations)] == [f"{patient_id}-edss"]
    assert [r["id"] for r in bundle_resources(studies)] == [f"{patient_id}-mri"]


def test_search_pages_are_followed(fhir: FhirClient) -> None:
    patient_id = unique("it")
    fhir.update({"resourceType": "Patient", "id": patient_id})
    for day in range(1, 6):
        fhir.create(
            {
                "resourceType": "Observation",
                "status": "final",
                "code": EDSS,
                "subject": {"reference": f"Patient/{patient_id}"},
                "effectiveDateTime": f"2026-01-0{day}",
                "valueQuantity": {"value": 1.0},
            }
        )
    pages = list(fhir.search_pages("Observation", {"patient": patient_id, "_count": "2"}))
    assert len(pages) == 3
    assert sum(len(p.get("entry", [])) for p in pages) == 5


def test_validate_reports_an_error_for_an_invalid_resource(fhir: FhirClient) -> None:
    invalid = {"resourceType": "Observation", "code": EDSS}  # status is required (1..1)
    outcome = fhir.operation("Observation/$validate", body=invalid)
    severities = {issue["severity"] for issue in outcome["issue"]}
    assert "error" in severities

    valid = {"resourceType": "Observation", "code": EDSS, "status": "final"}
    outcome = fhir.operation("Observation/$validate", body=valid)
    assert not [i for i in outcome["issue"] if i["severity"] in {"error", "fatal"}]


def test_a_bad_request_surfaces_the_operation_outcome(fhir: FhirClient) -> None:
    with pytest.raises(FhirFatalError) as raised:
        list(fhir.search("Observation", {"no-such-param": "1"}))
    assert raised.value.status == 400
    assert raised.value.outcome


class HookRecorder(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, str, bytes]]] = []

    def _record(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        type(self).received.append((self.command, self.path, self.rfile.read(length)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = do_PUT = _record

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def hook_listener() -> Iterator[tuple[str, list[tuple[str, str, bytes]]]]:
    HookRecorder.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), HookRecorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", HookRecorder.received
    finally:
        server.shutdown()
        server.server_close()


def test_rest_hook_subscription_notifies_a_loopback_listener(
    fhir: FhirClient, hook_listener: tuple[str, list[tuple[str, str, bytes]]]
) -> None:
    endpoint, received = hook_listener
    patient_id = unique("it")
    fhir.update({"resourceType": "Patient", "id": patient_id})
    subscription = fhir.create(
        {
            "resourceType": "Subscription",
            "status": "requested",
            "reason": "integration test",
            "criteria": f"Observation?code={SNOMED}|273554001&subject=Patient/{patient_id}",
            "channel": {
                "type": "rest-hook",
                "endpoint": endpoint,
                "payload": "application/fhir+json",
            },
        }
    )
    try:
        wait_for(
            lambda: fhir.read("Subscription", subscription["id"]).get("status") == "active",
            90,
            "the Subscription to become active",
        )
        observation = fhir.create(
            {
                "resourceType": "Observation",
                "status": "final",
                "code": EDSS,
                "subject": {"reference": f"Patient/{patient_id}"},
                "effectiveDateTime": "2026-11-01",
                "valueQuantity": {"value": 3.5},
            }
        )
        wait_for(lambda: bool(received), 90, "the rest-hook notification")
        method, path, body = received[0]
        assert method in {"POST", "PUT"}
        assert observation["id"] in path or observation["id"] in body.decode()
        if body:
            assert json.loads(body)["valueQuantity"]["value"] == 3.5
    finally:
        fhir.delete(f"Subscription/{subscription['id']}")
