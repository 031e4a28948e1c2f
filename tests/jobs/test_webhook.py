"""The Subscription webhook: refuses what it must (nothing queued), queues one job per patient."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue

from smart_app.settings import Settings
from smart_app.web.app import create_app

SECRET = "s3cret-webhook-value"
FHIR = "http://fhir.example.org/fhir"


@pytest.fixture
def queue(redis_conn: Redis) -> Queue:
    return Queue("ms-monitor-test", connection=redis_conn)


@pytest.fixture
def client(queue: Queue, redis_url: str) -> FlaskClient:
    settings = Settings(webhook_secret=SECRET, fhir_base_url=FHIR, redis_url=redis_url)
    return create_app(settings, queue_factory=lambda: queue).test_client()


def observation(patient: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": "o1",
        "status": "final",
        "code": {"text": "EDSS"},
        "subject": {"reference": f"Patient/{patient}"},
    }


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}", "Content-Type": "application/fhir+json"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {SECRET}"},
        {"Authorization": f"Bearer {SECRET}x"},
    ],
)
def test_unauthenticated_calls_get_401_and_nothing_is_queued(
    client: FlaskClient, queue: Queue, headers: dict[str, str]
) -> None:
    response = client.put("/hooks/fhir/Observation/o1", json=observation("p1"), headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json is not None
    assert response.json["resourceType"] == "OperationOutcome"
    assert queue.count == 0


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"", 400),
        (b'["a list"]', 400),
        (b'{"id": "no-type"}', 400),
        (b'{"resourceType": "Observation", "id": "x", "status": "final"}', 422),
        (b'{"resourceType": "Observation", "subject": {"reference": "Group/g1"}}', 422),
    ],
)
def test_malformed_payloads_are_refused_and_nothing_is_queued(
    client: FlaskClient, queue: Queue, body: bytes, status: int
) -> None:
    response = client.post("/hooks/fhir", data=body, headers=bearer(SECRET))
    assert response.status_code == status
    assert queue.count == 0


def test_hapi_put_is_queued_once_and_a_burst_for_the_patient_is_coalesced(
    client: FlaskClient, queue: Queue
) -> None:
    first = client.put("/hooks/fhir/Observation/o1", json=observation("p1"), headers=bearer(SECRET))
    assert first.status_code == 202
    assert first.json is not None
    assert first.json["coalesced"] is False
    job_id = first.json["job"]
    for _ in range(5):
        again = client.post("/hooks/fhir", json=observation("p1"), headers=bearer(SECRET))
        assert again.status_code == 202
        assert again.json == {"patient": "p1", "job": job_id, "coalesced": True}
    other = client.put(
        "/hooks/fhir/ImagingStudy/i2",
        json={"resourceType": "ImagingStudy", "subject": {"reference": "Patient/p2"}},
        headers=bearer(SECRET),
    )
    assert other.status_code == 202
    assert queue.count == 2
    job = queue.fetch_job(job_id)
    assert job is not None
    assert job.args[:2] == (FHIR, "p1")
    assert job.retries_left == 3


def test_unconfigured_webhook_answers_503(queue: Queue) -> None:
    app = create_app(Settings(webhook_secret=None, fhir_base_url=FHIR), queue_factory=lambda: queue)
    response = app.test_client().post("/hooks/fhir", json=observation("p1"), headers=bearer("x"))
    assert response.status_code == 503
    assert queue.count == 0


def test_jwks_route_serves_only_the_public_key(tmp_path: Any, queue: Queue) -> None:
    from smart_app.auth.jwks import generate_signing_key, write_key_files

    key = generate_signing_key("RS384", "kid-7")
    private, _ = write_key_files(key, tmp_path)
    app = create_app(
        Settings(backend_private_key_file=private, backend_key_id="kid-7", backend_alg="RS384"),
        queue_factory=lambda: queue,
    )
    body = app.test_client().get("/.well-known/jwks.json").json
    assert body is not None
    (jwk,) = body["keys"]
    assert jwk["kid"] == "kid-7"
    assert jwk["kty"] == "RSA"
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(jwk)


@pytest.mark.parametrize(
    "reference",
    ["Patient/msm-001&patient=msm-002", "Patient/a:b", "Patient/" + "x" * 65, "Patient/p 1"],
)
def test_a_patient_reference_that_is_not_a_fhir_id_gets_422_and_nothing_is_queued(
    client: FlaskClient, queue: Queue, redis_conn: Redis, reference: str
) -> None:
    keys_before = set(redis_conn.keys())
    body = {"resourceType": "Observation", "subject": {"reference": reference}}
    response = client.post("/hooks/fhir", json=body, headers=bearer(SECRET))
    assert response.status_code == 422
    assert response.json is not None
    assert "not a FHIR id" in response.json["issue"][0]["diagnostics"]
    assert queue.count == 0
    assert set(redis_conn.keys()) == keys_before
