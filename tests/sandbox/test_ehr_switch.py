"""The EHR switch: ``--ehr``/``--rate-limit``, the launcher's choice, per-EHR tokens and limits."""

from __future__ import annotations

import json

import pytest
import responses
from click.testing import CliRunner
from flask.testing import FlaskClient

from launch.sandbox.cli import sandbox
from launch.sandbox.ehr import PROFILES
from launch.sandbox.ehr.ratelimit import MinuteWindow, parse_rate
from launch.sandbox.state import SandboxState
from tests.sandbox.sandbox_helpers import UPSTREAM, launch_and_token

BUNDLE = {"resourceType": "Bundle", "type": "searchset", "entry": []}


def test_launcher_offers_every_ehr_and_the_launch_switches(
    client: FlaskClient, state: SandboxState, upstream: responses.RequestsMock
) -> None:
    upstream.get(f"{UPSTREAM}/Patient", json=BUNDLE)
    upstream.get(f"{UPSTREAM}/Patient/msm-001", json={"resourceType": "Patient", "id": "msm-001"})
    picker = client.get("/ehr").get_data(as_text=True)
    for name in PROFILES:
        assert f'<option value="{name}"' in picker
    assert 'id="current-ehr">HAPI FHIR<' in picker
    upstream.get(f"{UPSTREAM}/metadata", json={"resourceType": "CapabilityStatement", "x": 1})
    assert client.get("/fhir/metadata").get_json()["x"] == 1  # HAPI's own, relayed

    frame = client.get("/ehr/launch?patient=msm-001&ehr=oracle&rate_limit=100")
    assert frame.status_code == 200
    assert 'id="ehr-name">Oracle Health<' in frame.get_data(as_text=True)
    assert state.ehr == "oracle"
    assert state.rate_limit is not None
    assert state.rate_limit.per_minute == 100
    statement = client.get("/fhir/metadata").get_json()
    assert statement["software"]["name"].startswith("Oracle Health")
    assert "no ImagingStudy" in client.get("/ehr").get_data(as_text=True)  # the facts shown

    assert client.get("/ehr/launch?patient=msm-001&ehr=cerner-v1").status_code == 400
    assert state.ehr == "oracle"


def test_launcher_refuses_a_bad_rate_limit(client: FlaskClient, state: SandboxState) -> None:
    assert client.get("/ehr/launch?patient=msm-001&ehr=epic&rate_limit=fast").status_code == 400
    assert state.ehr == "hapi"


def test_rate_limit_answers_429_with_retry_after(client: FlaskClient, state: SandboxState) -> None:
    state.switch_ehr("epic", 2)
    assert client.get("/fhir/metadata").status_code == 200
    assert client.get("/fhir/metadata").status_code == 200
    limited = client.get("/fhir/metadata")
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert limited.get_json()["issue"][0]["code"] == "throttled"


def test_minute_window_reopens_after_the_minute() -> None:
    now = [1000.0]
    window = MinuteWindow(1, clock=lambda: now[0])
    assert window.admit() is None
    now[0] += 45
    assert window.admit() == 15
    now[0] += 15
    assert window.admit() is None
    assert parse_rate("250/min") == 250
    with pytest.raises(ValueError, match="rate limit"):
        parse_rate("0/min")


def test_oracle_tokens_live_570_s_and_refresh_tokens_are_not_rotated(
    client: FlaskClient, state: SandboxState
) -> None:
    state.switch_ehr("oracle")
    first = launch_and_token(client, state)
    assert first["expires_in"] == 570
    form = {"grant_type": "refresh_token", "client_id": "ms-monitor-public"}
    again = client.post("/token", data={**form, "refresh_token": first["refresh_token"]})
    assert again.status_code == 200
    assert "refresh_token" not in again.get_json()  # the old one stays valid
    third = client.post("/token", data={**form, "refresh_token": first["refresh_token"]})
    assert third.status_code == 200


def test_epic_answers_the_capability_statement_in_xml_without_accept(
    client: FlaskClient, state: SandboxState
) -> None:
    state.switch_ehr("epic")
    answer = client.get("/fhir/metadata", headers={"Accept": "*/*"})
    assert answer.content_type == "application/fhir+xml"
    text = answer.get_data(as_text=True)
    assert '<CapabilityStatement xmlns="http://hl7.org/fhir">' in text
    assert '<type value="Observation"/>' in text
    as_json = client.get("/fhir/metadata", headers={"Accept": "application/fhir+json"})
    assert as_json.get_json()["resourceType"] == "CapabilityStatement"


def test_writes_to_another_apps_plan_are_refused_and_recorded(
    client: FlaskClient, state: SandboxState, upstream: responses.RequestsMock
) -> None:
    state.switch_ehr("epic")
    token = launch_and_token(client, state, scope="launch patient/*.read patient/*.write")
    headers = {
        "Authorization": f"Bearer {token['access_token']}",
        "Accept": "application/fhir+json",
    }
    upstream.get(f"{UPSTREAM}/CarePlan/other-app-careplan-msm-001", status=404)
    body = {
        "resourceType": "CarePlan",
        "id": "other-app-careplan-msm-001",
        "status": "revoked",
        "intent": "plan",
        "subject": {"reference": "Patient/msm-001"},
    }
    answer = client.put("/fhir/CarePlan/other-app-careplan-msm-001", headers=headers, json=body)
    assert answer.status_code == 403
    assert state.foreign_writes == ["PUT CarePlan/other-app-careplan-msm-001"]
    read = client.get("/fhir/CarePlan/other-app-careplan-msm-001", headers=headers)
    assert read.get_json()["title"] == "Fall prevention plan (another app)"


def test_cli_takes_ehr_and_rate_limit() -> None:
    runner = CliRunner()
    bad = runner.invoke(sandbox, ["--ehr", "cerner"])
    assert bad.exit_code == 2
    assert "cerner" in bad.output
    worse = runner.invoke(sandbox, ["--ehr", "epic", "--rate-limit", "lots"])
    assert worse.exit_code == 2
    assert "--rate-limit" in worse.output


def test_statements_match_the_vendor_tables() -> None:
    from launch.sandbox.ehr.capability import capability_statement

    for profile in PROFILES.values():
        if profile.passthrough:
            continue
        statement = capability_statement(
            profile, fhir_base="http://x/fhir", issuer="http://x", date="2026-11-01"
        )
        declared = {r["type"]: r for r in statement["rest"][0]["resource"]}
        assert set(declared) == set(profile.types)
        for rtype, rule in profile.types.items():
            codes = {i["code"] for i in declared[rtype]["interaction"]}
            assert codes == set(rule.interactions), rtype
        json.dumps(statement)  # serialisable as is


def test_page_sizes_follow_the_vendor_caps_and_defaults() -> None:
    from launch.sandbox.ehr.paging import page_size

    oracle, epic = PROFILES["oracle"], PROFILES["epic"]
    observation = oracle.types["Observation"]
    assert page_size(oracle, observation, [("_count", "500")], 900) == 200
    assert page_size(oracle, observation, [], 900) == 50
    assert page_size(oracle, oracle.types["DiagnosticReport"], [("_count", "150")], 900) == 100
    assert page_size(oracle, oracle.types["Condition"], [("_count", "10")], 900) == 900
    assert page_size(epic, epic.types["Observation"], [("_count", "1000")], 5000) == 1000


def test_oracle_advertises_only_v2_system_scopes(client: FlaskClient, state: SandboxState) -> None:
    assert (
        "system/*.read"
        in client.get("/.well-known/smart-configuration").get_json()["scopes_supported"]
    )
    state.switch_ehr("oracle")
    scopes = client.get("/fhir/.well-known/smart-configuration").get_json()["scopes_supported"]
    assert "system/*.rs" in scopes
    assert "system/*.read" not in scopes
    assert "patient/*.read" in scopes
