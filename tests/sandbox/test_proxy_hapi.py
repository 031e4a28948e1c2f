"""The proxy in front of the real HAPI FHIR server: paging, compartment and writes."""

from __future__ import annotations

import pytest
import requests

from launch.sandbox import create_sandbox_app
from launch.sandbox.state import SandboxState
from tests.sandbox.sandbox_helpers import FHIR, PUBLIC, launch_and_token

pytestmark = pytest.mark.integration


def _put(base: str, resource: dict[str, object]) -> None:
    url = f"{base}/{resource['resourceType']}/{resource['id']}"
    answer = requests.put(
        url, json=resource, timeout=30, headers={"Content-Type": "application/fhir+json"}
    )
    assert answer.status_code in (200, 201), answer.text


def test_proxy_against_hapi(fhir_base_url: str) -> None:
    for pid in ("sbx-a", "sbx-b"):
        _put(fhir_base_url, {"resourceType": "Patient", "id": pid})
        for n in range(3):
            _put(
                fhir_base_url,
                {
                    "resourceType": "Observation",
                    "id": f"{pid}-o{n}",
                    "status": "final",
                    "code": {"text": "EDSS"},
                    "subject": {"reference": f"Patient/{pid}"},
                },
            )
    state = SandboxState()
    app = create_sandbox_app(
        fhir_base_url, "http://127.0.0.1:5000/launch", public_base=PUBLIC, state=state
    )
    client = app.test_client()
    token = launch_and_token(
        client, state, patient="sbx-a", scope="launch patient/*.rs patient/Observation.c"
    )
    headers = {"Authorization": f"Bearer {token['access_token']}"}

    page = client.get("/fhir/Observation?_count=2", headers=headers).get_json()
    ids = {e["resource"]["id"] for e in page["entry"]}
    assert ids <= {"sbx-a-o0", "sbx-a-o1", "sbx-a-o2"}
    assert len(ids) == 2
    following = next(link["url"] for link in page["link"] if link["relation"] == "next")
    assert following.startswith(FHIR)
    rest = client.get(following.removeprefix(PUBLIC), headers=headers).get_json()
    assert {e["resource"]["id"] for e in rest["entry"]} == {
        "sbx-a-o0",
        "sbx-a-o1",
        "sbx-a-o2",
    } - ids

    assert client.get("/fhir/Observation/sbx-b-o0", headers=headers).status_code == 403
    assert client.get("/fhir/Patient/sbx-a", headers=headers).status_code == 200
    created = client.post(
        "/fhir/Observation",
        headers=headers,
        json={
            "resourceType": "Observation",
            "status": "final",
            "code": {"text": "EDSS"},
            "subject": {"reference": "Patient/sbx-a"},
        },
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.headers["Location"].startswith(FHIR)
    assert (
        client.put(
            "/fhir/Observation/sbx-a-o0",
            headers=headers,
            json={
                "resourceType": "Observation",
                "id": "sbx-a-o0",
                "status": "final",
                "code": {"text": "EDSS"},
                "subject": {"reference": "Patient/sbx-a"},
            },
        ).status_code
        == 403
    )
