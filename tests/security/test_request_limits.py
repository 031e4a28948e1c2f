"""Request size limits per route: a realistic CDS prefetch (hundreds of Observations) passes,
the machine endpoints stay bounded, and every other route takes only a small body."""

from __future__ import annotations

import copy
import json

import responses

from smart_app.auth.jwks import public_jwks
from smart_app.web.cds_hooks import SERVICE_ID
from tests.cds.test_cds_hooks import EHR_KEY, ISS, JWKS_URL, client_jwt, hook_request
from tests.security.conftest import WorldFactory

PUBLIC = "http://localhost"
ENDPOINT = f"/cds-services/{SERVICE_ID}"


def big_prefetch_request(observations: int) -> dict[str, object]:
    """A patient-view request whose prefetch holds ``observations`` Observations."""
    body = hook_request("msm-010")
    prefetch = body["prefetch"]
    assert isinstance(prefetch, dict)
    bundle = prefetch["observations"]
    template = bundle["entry"][0]["resource"]
    entries = []
    for index in range(observations):
        resource = copy.deepcopy(template)
        resource["id"] = f"obs-{index}"
        entries.append({"resource": resource})
    bundle["entry"], bundle["total"] = entries, observations
    return body


def test_a_prefetch_of_hundreds_of_observations_is_accepted(
    make_world: WorldFactory, rsps: responses.RequestsMock
) -> None:
    world = make_world(public_url=PUBLIC, cds_allowed_issuers={ISS: JWKS_URL})
    rsps.get(JWKS_URL, json=public_jwks([EHR_KEY]))
    body = json.dumps(big_prefetch_request(600)).encode()
    assert len(body) > 4 * world.app.config["MAX_CONTENT_LENGTH"]  # far above the small limit
    response = world.app.test_client().post(
        ENDPOINT,
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {client_jwt(aud=PUBLIC + ENDPOINT)}"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json is not None
    assert "cards" in response.json


def test_the_cds_and_webhook_limits_still_bound_the_body(
    make_world: WorldFactory, rsps: responses.RequestsMock
) -> None:
    rsps.get(JWKS_URL, json=public_jwks([EHR_KEY]))
    world = make_world(
        public_url=PUBLIC,
        cds_allowed_issuers={ISS: JWKS_URL},
        unattended_max_body_bytes=256 * 1024,
        webhook_secret="hook-secret",
        fhir_base_url="https://ehr2.example/fhir",
    )
    browser = world.app.test_client()
    body = json.dumps(big_prefetch_request(2000)).encode()
    assert len(body) > 256 * 1024
    cds = browser.post(
        ENDPOINT,
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {client_jwt(aud=PUBLIC + ENDPOINT)}"},
    )
    assert cds.status_code == 413
    hook = browser.post(
        "/hooks/fhir",
        data=body,
        content_type="application/fhir+json",
        headers={"Authorization": "Bearer hook-secret"},
    )
    assert hook.status_code == 413


def test_other_routes_take_only_a_small_body(make_world: WorldFactory) -> None:
    world = make_world()
    limit = world.app.config["MAX_CONTENT_LENGTH"]
    assert limit <= 64 * 1024
    browser = world.app.test_client()
    padding = {"csrf_token": "x", "pad": "a" * (limit + 1)}
    write = browser.post("/app/some-launch/write", data=padding, headers={"Origin": PUBLIC})
    assert write.status_code == 413
