"""Discovery (well-known, CapabilityStatement fallback), scope choice and the authorize URL."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
import responses

from smart_app.auth import IssuerRegistry, SmartClient, UnknownIssuerError, launch_scopes
from smart_app.auth.scopes import can_read, can_write
from smart_app.errors import AuthError, ConfigurationError
from smart_app.settings import Settings
from tests.auth.auth_fakes import (
    AUTHORIZE,
    CLIENT_ID,
    ISS,
    REDIRECT,
    TOKEN,
    add_ehr,
    query,
    registration,
)

CAPABILITY_STATEMENT = {
    "resourceType": "CapabilityStatement",
    "status": "active",
    "kind": "instance",
    "fhirVersion": "4.0.1",
    "format": ["json"],
    "rest": [
        {
            "mode": "server",
            "security": {
                "extension": [
                    {
                        "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                        "extension": [
                            {"url": "authorize", "valueUri": "https://v1.example/auth/authorize"},
                            {"url": "token", "valueUri": "https://v1.example/auth/token"},
                        ],
                    }
                ]
            },
        }
    ],
}


def test_well_known_discovery_reads_endpoints_and_capabilities(
    rsps: responses.RequestsMock,
) -> None:
    add_ehr(rsps)
    config = SmartClient(registration()).discover()
    assert (config.authorization_endpoint, config.token_endpoint) == (AUTHORIZE, TOKEN)
    assert config.issuer == "https://auth.ehr.example"
    assert config.permission_v2
    assert config.source == "well-known"


def test_capability_statement_fallback_when_no_well_known(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{ISS}/.well-known/smart-configuration", status=404)
    rsps.get(f"{ISS}/metadata", json=CAPABILITY_STATEMENT)
    config = SmartClient(registration()).discover()
    assert config.authorization_endpoint == "https://v1.example/auth/authorize"
    assert config.token_endpoint == "https://v1.example/auth/token"
    assert config.source == "capability-statement"
    assert not config.permission_v2


def test_no_smart_configuration_anywhere_is_an_auth_error(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{ISS}/.well-known/smart-configuration", body="<html>not here</html>")
    rsps.get(f"{ISS}/metadata", json={"resourceType": "CapabilityStatement", "rest": [{}]})
    with pytest.raises(AuthError, match="no SMART configuration"):
        SmartClient(registration()).discover()


def test_plain_http_token_endpoint_on_another_host_is_refused(
    rsps: responses.RequestsMock,
) -> None:
    add_ehr(rsps, token_endpoint="http://evil.example/token")
    with pytest.raises(AuthError, match="not an https URL"):
        SmartClient(registration()).discover()


def test_server_without_s256_is_refused(rsps: responses.RequestsMock) -> None:
    add_ehr(rsps, code_challenge_methods_supported=["plain"])
    with pytest.raises(AuthError, match="S256"):
        SmartClient(registration()).discover()


def test_v2_server_gets_v2_scopes_and_v1_server_gets_v1_scopes(
    rsps: responses.RequestsMock,
) -> None:
    add_ehr(rsps)
    v2 = SmartClient(registration()).begin(launch="L-1").scope.split()
    assert "patient/Observation.rs" in v2
    assert "patient/CarePlan.cu" in v2
    assert not any(s.endswith((".read", ".write")) for s in v2)

    rsps.get("https://v1.example/fhir/.well-known/smart-configuration", status=404)
    rsps.get("https://v1.example/fhir/metadata", json=CAPABILITY_STATEMENT)
    v1 = SmartClient(registration(iss="https://v1.example/fhir")).begin(launch="L-1").scope.split()
    assert "patient/Observation.read" in v1
    assert "patient/Task.write" in v1
    assert not any(s.endswith((".rs", ".cu")) for s in v1)


def test_scope_list_reads_engine_inputs_and_writes_only_our_plan() -> None:
    scopes = launch_scopes(ehr_launch=True, v2=True).split()
    assert scopes[:3] == ["launch", "openid", "fhirUser"]
    reads = {s.split("/")[1].split(".")[0] for s in scopes if s.endswith(".rs")}
    writes = {s.split("/")[1].split(".")[0] for s in scopes if s.endswith(".cu")}
    assert reads == {
        "Patient",
        "Condition",
        "Observation",
        "ImagingStudy",
        "MedicationRequest",
        "MedicationStatement",
        "MedicationAdministration",  # contract v2: doses given in clinic
        "DiagnosticReport",  # contract v2: radiology reports of brain MRIs
        "CarePlan",
        "Task",
    }
    assert writes == {"CarePlan", "Task"}
    standalone = launch_scopes(ehr_launch=False, v2=False, offline_access=True).split()
    assert standalone[0] == "launch/patient"
    assert "launch" not in standalone
    assert standalone[-1] == "offline_access"


def test_granted_scope_reading_handles_v1_v2_wildcards_and_granular() -> None:
    assert can_write({"patient/CarePlan.write"}, "CarePlan")
    assert can_write({"user/*.cruds"}, "Task")
    assert not can_write({"patient/CarePlan.rs"}, "CarePlan")
    assert can_read({"patient/*.read"}, "Observation")
    assert not can_read({"patient/Observation.rs?category=laboratory"}, "Observation")
    assert not can_read({"patient/Condition.rs"}, "Observation")


def _pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_ehr_launch_authorize_url_has_exactly_the_smart_parameters(
    rsps: responses.RequestsMock,
) -> None:
    add_ehr(rsps)
    pending = SmartClient(registration()).begin(launch="L-123")
    assert pending.authorize_url.startswith(AUTHORIZE + "?")
    params = query(pending.authorize_url)
    assert params == {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT,
        "scope": pending.scope,
        "state": pending.state,
        "aud": ISS,
        "code_challenge": _pkce_challenge(pending.pkce_verifier),
        "code_challenge_method": "S256",
        "launch": "L-123",
        "nonce": pending.nonce,
    }
    assert pending.scope.split()[0] == "launch"
    assert len(base64.urlsafe_b64decode(pending.state + "==")) * 8 >= 128
    assert 43 <= len(pending.pkce_verifier) <= 128
    assert pending.iss == ISS


def test_standalone_launch_asks_for_launch_patient_and_sends_no_launch(
    rsps: responses.RequestsMock,
) -> None:
    add_ehr(rsps)
    client = SmartClient(registration())
    first, second = client.begin(launch=None), client.begin(launch=None)
    params = query(first.authorize_url)
    assert "launch" not in params
    assert params["scope"].split()[0] == "launch/patient"
    assert first.state != second.state
    assert first.pkce_verifier != second.pkce_verifier
    assert first.nonce != second.nonce
    assert len(rsps.calls) == 1  # discovery is cached per client


def test_no_nonce_without_openid(rsps: responses.RequestsMock) -> None:
    add_ehr(rsps)
    pending = SmartClient(registration(scopes="launch patient/*.rs")).begin(launch="L")
    assert pending.nonce is None
    assert "nonce" not in query(pending.authorize_url)
    assert query(pending.authorize_url)["scope"] == "launch patient/*.rs"


def test_unknown_iss_is_refused_before_any_request(rsps: responses.RequestsMock) -> None:
    registry = IssuerRegistry([registration()])
    with pytest.raises(UnknownIssuerError):
        registry.get("https://attacker.example/fhir")
    with pytest.raises(UnknownIssuerError):
        registry.get(ISS + "/Patient")  # no prefix matching
    with pytest.raises(UnknownIssuerError):
        registry.get(ISS.upper())
    assert len(rsps.calls) == 0
    assert registry.get(ISS + "/").iss == ISS


def test_registry_from_file_with_secret_from_env_and_key_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.auth.auth_fakes import rsa_pem

    (tmp_path / "app.pem").write_text(rsa_pem())
    monkeypatch.setenv("MSM_TEST_SECRET", "from-env")
    (tmp_path / "issuers.json").write_text(
        json.dumps(
            [
                {
                    "iss": "https://a.example/fhir/",
                    "client_id": "c1",
                    "auth_method": "client_secret_basic",
                    "client_secret_env": "MSM_TEST_SECRET",
                    "redirect_uri": REDIRECT,
                },
                {
                    "iss": "https://b.example/fhir",
                    "client_id": "c2",
                    "auth_method": "private_key_jwt",
                    "private_key_file": "app.pem",
                    "key_id": "k1",
                    "redirect_uri": REDIRECT,
                    "standalone": True,
                },
                {"iss": "https://hapi.fhir.org/baseR4", "auth_method": "open"},
            ]
        )
    )
    registry = IssuerRegistry.from_file(tmp_path / "issuers.json")
    assert registry.get("https://a.example/fhir").client_secret == "from-env"
    assert "BEGIN PRIVATE KEY" in (registry.get("https://b.example/fhir").private_key_pem or "")
    assert registry.get("https://hapi.fhir.org/baseR4").is_open
    standalone = registry.default_standalone()
    assert standalone is not None
    assert standalone.client_id == "c2"
    assert "from-env" not in repr(registry.get("https://a.example/fhir"))


def test_registry_from_settings_adds_the_open_fhir_base(tmp_path: Path) -> None:
    (tmp_path / "issuers.json").write_text(json.dumps([{"iss": ISS, "auth_method": "open"}]))
    settings = Settings(
        issuers_file=tmp_path / "issuers.json",
        fhir_base_url="http://localhost:8080/fhir",
        open_server_launch=True,
    )
    registry = IssuerRegistry.from_settings(settings)
    assert len(registry) == 2
    assert registry.get("http://localhost:8080/fhir").is_open


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"iss": ISS, "auth_method": "magic", "client_id": "x"}, "unknown auth_method"),
        ({"iss": ISS, "auth_method": "none", "client_id": "x"}, "redirect_uri"),
        (
            {"iss": ISS, "auth_method": "private_key_jwt", "client_id": "x", "redirect_uri": "r"},
            "private_key_pem",
        ),
        ({"iss": ISS, "auth_method": "open", "typo": 1}, "Unknown registration keys"),
    ],
)
def test_bad_registrations_are_configuration_errors(
    tmp_path: Path, entry: dict[str, object], message: str
) -> None:
    (tmp_path / "issuers.json").write_text(json.dumps([entry]))
    with pytest.raises(ConfigurationError, match=message):
        IssuerRegistry.from_file(tmp_path / "issuers.json")


def test_open_server_has_no_oauth(rsps: responses.RequestsMock) -> None:
    from smart_app.auth import open_server_context

    client = SmartClient(registration(auth_method="open", client_id=None))
    with pytest.raises(ConfigurationError, match="open server"):
        client.begin(launch=None)
    context = open_server_context("https://hapi.fhir.org/baseR4", "msm-001")
    assert context.patient == "msm-001"
    assert can_write(context.granted_scopes, "CarePlan")
    assert len(rsps.calls) == 0
