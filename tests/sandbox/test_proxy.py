"""The FHIR proxy: bearer tokens, scopes, patient compartment, URL rewriting (mocked HAPI)."""

from __future__ import annotations

import json
from typing import Any

import responses
from flask.testing import FlaskClient
from responses import matchers

from launch.sandbox.state import SandboxState
from tests.sandbox.sandbox_helpers import FHIR, UPSTREAM, Clock, backend_token, launch_and_token

READ_WRITE = "launch patient/*.read patient/CarePlan.write"


def bearer(token: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token['access_token']}"}


def obs(oid: str, patient: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "subject": {"reference": f"Patient/{patient}"},
    }


def test_no_token_is_401_with_www_authenticate(client: FlaskClient) -> None:
    answer = client.get("/fhir/Patient/msm-001")
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert answer.get_json()["resourceType"] == "OperationOutcome"
    unknown = client.get("/fhir/Patient/msm-001", headers={"Authorization": "Bearer nope"})
    assert unknown.status_code == 401


def test_expired_token_is_401(
    client: FlaskClient, state: SandboxState, clock: Clock, upstream: responses.RequestsMock
) -> None:
    upstream.get(f"{UPSTREAM}/Patient/msm-001", json={"resourceType": "Patient", "id": "msm-001"})
    token = launch_and_token(client, state)
    assert client.get("/fhir/Patient/msm-001", headers=bearer(token)).status_code == 200
    clock.now += token["expires_in"] + 1
    answer = client.get("/fhir/Patient/msm-001", headers=bearer(token))
    assert answer.status_code == 401
    assert "invalid_token" in answer.headers["WWW-Authenticate"]


def test_metadata_needs_no_token(client: FlaskClient, upstream: responses.RequestsMock) -> None:
    upstream.get(f"{UPSTREAM}/metadata", json={"resourceType": "CapabilityStatement"})
    assert client.get("/fhir/metadata").status_code == 200


def test_missing_scope_is_403_with_operation_outcome(
    client: FlaskClient, state: SandboxState, upstream: responses.RequestsMock
) -> None:
    token = launch_and_token(client, state, scope="launch patient/Observation.rs")
    answer = client.get("/fhir/Condition?patient=msm-001", headers=bearer(token))
    assert answer.status_code == 403
    outcome = answer.get_json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert "Condition" in outcome["issue"][0]["diagnostics"]
    write = client.post("/fhir/Observation", json=obs("o1", "msm-001"), headers=bearer(token))
    assert write.status_code == 403
    assert len(upstream.calls) == 0


def test_v1_read_allows_search_and_v2_s_only_search(
    client: FlaskClient, state: SandboxState, upstream: responses.RequestsMock
) -> None:
    upstream.get(f"{UPSTREAM}/Observation", json={"resourceType": "Bundle", "type": "searchset"})
    token = launch_and_token(client, state, scope="launch patient/Observation.s")
    assert client.get("/fhir/Observation", headers=bearer(token)).status_code == 200
    assert client.get("/fhir/Observation/o1", headers=bearer(token)).status_code == 403


def test_search_is_narrowed_to_the_patient(
    client: FlaskClient, state: SandboxState, upstream: responses.RequestsMock
) -> None:
    upstream.get(
        f"{UPSTREAM}/Observation",
        match=[matchers.query_param_matcher({"code": "x", "patient": "Patient/msm-001"})],
        json={
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": obs("o1", "msm-001")}, {"resource": obs("o2", "msm-002")}],
        },
    )
    token = launch_and_token(client, state)
    answer = client.get("/fhir/Observation?code=x", headers=bearer(token))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    ids = [e["resource"]["id"] for e in answer.get_json()["entry"]]
    assert ids == ["o1"]  # the other patient's entry is filtered out on the way back


def test_other_patient_is_refused(
    client: FlaskClient, state: SandboxState, upstream: responses.RequestsMock
) -> None:
    upstream.get(f"{UPSTREAM}/Observation/o2", json=obs("o2", "msm-002"))
    token = launch_and_token(client, state)
    headers = bearer(token)
    assert client.get("/fhir/Patient/msm-002", headers=headers).status_code == 403
    assert client.get("/fhir/Observation?patient=msm-002", headers=headers).status_code == 403
    assert (
        client.get("/fhir/Observation?subject=Patient/msm-002", headers=headers).status_code == 403
    )
    assert client.get("/fhir/Observation/o2", headers=headers).status_code == 403
    created = client.post(
        "/fhir/CarePlan",
        headers=headers,
        json={"resourceType": "CarePlan", "subject": {"reference": "Patient/msm-002"}},
    )
    assert created.status_code == 403


def test_patient_search_gets_the_id(
    client: FlaskClient, state: SandboxState, upstream: responses.RequestsMock
) -> None:
    upstream.get(
        f"{UPSTREAM}/Patient",
        match=[matchers.query_param_matcher({"name": "x", "_id": "msm-001"})],
        json={"resourceType": "Bundle", "type": "searchset"},
    )
    token = launch_and_token(client, state)
    assert client.get("/fhir/Patient?name=x", headers=bearer(token)).status_code == 200


def test_update_of_another_patients_resource_is_refused(
    client: FlaskClient, state: SandboxState, upstream: responses.RequestsMock
) -> None:
    upstream.get(
        f"{UPSTREAM}/CarePlan/cp-2",
        json={
            "resourceType": "CarePlan",
            "id": "cp-2",
            "subject": {"reference": "Patient/msm-002"},
        },
    )
    token = launch_and_token(client, state, scope=READ_WRITE)
    body = {"resourceType": "CarePlan", "id": "cp-2", "subject": {"reference": "Patient/msm-001"}}
    answer = client.put("/fhir/CarePlan/cp-2", json=body, headers=bearer(token))
    assert answer.status_code == 403
    assert "another patient" in answer.get_json()["issue"][0]["diagnostics"]


def test_transaction_entries_are_checked_one_by_one(
    client: FlaskClient, state: SandboxState, upstream: responses.RequestsMock
) -> None:
    upstream.get(f"{UPSTREAM}/CarePlan/cp-1", status=404)
    posted = upstream.post(
        UPSTREAM,
        json={
            "resourceType": "Bundle",
            "type": "transaction-response",
            "entry": [{"response": {"status": "201 Created"}}],
        },
    )
    token = launch_and_token(client, state, scope=READ_WRITE)
    own = {"resourceType": "CarePlan", "id": "cp-1", "subject": {"reference": "Patient/msm-001"}}
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"resource": own, "request": {"method": "PUT", "url": "CarePlan/cp-1"}},
            {
                "resource": {**own, "id": None},
                "request": {"method": "POST", "url": "CarePlan", "ifNoneExist": "identifier=s|v"},
            },
        ],
    }
    answer = client.post("/fhir", json=bundle, headers=bearer(token))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    sent = json.loads(posted.calls[0].request.body)
    assert (
        sent["entry"][1]["request"]["ifNoneExist"] == "identifier=s%7Cv&patient=Patient%2Fmsm-001"
    )
    task = {"resourceType": "Task", "for": {"reference": "Patient/msm-001"}}
    bad = {
        **bundle,
        "entry": [
            *bundle["entry"],
            {"resource": task, "request": {"method": "POST", "url": "Task"}},
        ],
    }
    refused = client.post("/fhir", json=bad, headers=bearer(token))
    assert refused.status_code == 403
    assert "entry 2" in refused.get_json()["issue"][0]["diagnostics"]
    assert len(posted.calls) == 1


def test_batch_reads_are_narrowed_and_filtered(
    client: FlaskClient, state: SandboxState, upstream: responses.RequestsMock
) -> None:
    posted = upstream.post(
        UPSTREAM,
        json={
            "resourceType": "Bundle",
            "type": "batch-response",
            "entry": [
                {
                    "resource": {
                        "resourceType": "Bundle",
                        "type": "searchset",
                        "entry": [
                            {"resource": obs("o1", "msm-001")},
                            {"resource": obs("o9", "msm-009")},
                        ],
                    }
                }
            ],
        },
    )
    token = launch_and_token(client, state)
    batch = {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [{"request": {"method": "GET", "url": "Observation?patient=msm-001"}}],
    }
    answer = client.post("/fhir", json=batch, headers=bearer(token))
    assert answer.status_code == 200
    sent = json.loads(posted.calls[0].request.body)
    assert sent["entry"][0]["request"]["url"] == (
        "Observation?patient=msm-001&patient=Patient%2Fmsm-001"
    )
    inner = answer.get_json()["entry"][0]["resource"]["entry"]
    assert [e["resource"]["id"] for e in inner] == ["o1"]


def test_paging_links_are_rewritten_to_the_sandbox(
    client: FlaskClient, state: SandboxState, upstream: responses.RequestsMock
) -> None:
    upstream.get(
        f"{UPSTREAM}/Observation",
        json={
            "resourceType": "Bundle",
            "type": "searchset",
            "link": [{"relation": "next", "url": f"{UPSTREAM}?_getpages=abc&_getpagesoffset=20"}],
            "entry": [{"fullUrl": f"{UPSTREAM}/Observation/o1", "resource": obs("o1", "msm-001")}],
        },
    )
    upstream.get(
        UPSTREAM,
        json={
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": obs("o3", "msm-001")}, {"resource": obs("o4", "msm-004")}],
        },
    )
    token = launch_and_token(client, state)
    page = client.get("/fhir/Observation", headers=bearer(token)).get_json()
    assert page["link"][0]["url"] == f"{FHIR}?_getpages=abc&_getpagesoffset=20"
    assert page["entry"][0]["fullUrl"] == f"{FHIR}/Observation/o1"
    following = client.get("/fhir?_getpages=abc&_getpagesoffset=20", headers=bearer(token))
    assert [e["resource"]["id"] for e in following.get_json()["entry"]] == ["o3"]


def test_system_token_is_not_limited_to_a_patient(
    client: FlaskClient, upstream: responses.RequestsMock
) -> None:
    upstream.get(f"{UPSTREAM}/Observation/o2", json=obs("o2", "msm-002"))
    token = backend_token(client, "system/Observation.rs").get_json()
    answer = client.get("/fhir/Observation/o2", headers=bearer(token))
    assert answer.status_code == 200
    assert client.get("/fhir/Condition/c1", headers=bearer(token)).status_code == 403


def test_upstream_down_is_502(
    client: FlaskClient, state: SandboxState, upstream: responses.RequestsMock
) -> None:
    token = launch_and_token(client, state)
    answer = client.get("/fhir/Patient/msm-001", headers=bearer(token))
    assert answer.status_code == 502
    assert answer.get_json()["issue"][0]["code"] == "transient"
