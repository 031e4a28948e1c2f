"""Backend Services client: exact assertion claims, discovery, scopes, expiry, 401 refresh."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import responses
from click.testing import CliRunner
from joserfc import jwt
from joserfc.jwk import KeySet

from smart_app.auth.backend import (
    ASSERTION_TYPE,
    SCOPES_V1,
    SCOPES_V2,
    BackendTokenSource,
)
from smart_app.auth.jwks import generate_signing_key, load_signing_key, public_jwks
from smart_app.cli import main
from smart_app.errors import AuthError
from smart_app.fhir import FhirClient

FHIR = "https://ehr.example.org/fhir"
TOKEN_URL = "https://ehr.example.org/oauth/token"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def smart_config(capabilities: list[str]) -> None:
    responses.get(
        f"{FHIR}/.well-known/smart-configuration",
        json={"token_endpoint": TOKEN_URL, "capabilities": capabilities},
    )


def token_forms() -> list[dict[str, str]]:
    return [
        {k: v[0] for k, v in parse_qs(str(call.request.body)).items()}
        for call in responses.calls
        if call.request.url == TOKEN_URL
    ]


@pytest.mark.parametrize("alg", ["RS384", "ES384"])
@responses.activate
def test_assertion_claims_and_header_are_exactly_the_spec(alg: str) -> None:
    key = generate_signing_key(alg, "kid-1")
    smart_config(["permission-v2", "client-confidential-asymmetric"])
    responses.post(TOKEN_URL, json={"access_token": "at-1", "expires_in": 300})
    source = BackendTokenSource(
        FHIR, client_id="ms-monitor-backend", signing_key=key, clock=Clock(1_900_000_000.0)
    )

    assert source.authorization() == "Bearer at-1"

    (form,) = token_forms()
    assert form["grant_type"] == "client_credentials"
    # the plan and its Provenance (issue 9: every write path audits its plan)
    assert (
        form["scope"]
        == SCOPES_V2
        == ("system/*.rs system/CarePlan.cu system/Task.cu system/Provenance.c")
    )
    assert form["client_assertion_type"] == ASSERTION_TYPE
    keys = KeySet.import_key_set(public_jwks([key]))  # type: ignore[arg-type]
    token = jwt.decode(form["client_assertion"], keys, algorithms=[alg])
    assert token.header == {"alg": alg, "kid": "kid-1", "typ": "JWT"}
    jti = token.claims.pop("jti")
    assert len(jti) == 32
    assert token.claims == {
        "iss": "ms-monitor-backend",
        "sub": "ms-monitor-backend",
        "aud": TOKEN_URL,
        "iat": 1_900_000_000,
        "exp": 1_900_000_240,
    }


@responses.activate
def test_every_assertion_has_a_fresh_jti_and_tokens_are_renewed_before_expiry() -> None:
    key = generate_signing_key("RS384", "k")
    smart_config([])  # no permission-v2: SMART v1 scopes
    responses.post(TOKEN_URL, json={"access_token": "at-1", "expires_in": 300})
    responses.post(TOKEN_URL, json={"access_token": "at-2", "expires_in": 300})
    clock = Clock(1_900_000_000.0)
    source = BackendTokenSource(FHIR, client_id="c", signing_key=key, clock=clock)

    assert source.authorization() == "Bearer at-1"
    clock.now += 200  # still valid for 100 s: reused
    assert source.authorization() == "Bearer at-1"
    clock.now += 80  # within the 30 s margin: a new token
    assert source.authorization() == "Bearer at-2"

    forms = token_forms()
    assert len(forms) == 2
    assert forms[0]["scope"] == SCOPES_V1
    jtis = {
        jwt.decode(
            f["client_assertion"],
            KeySet.import_key_set(public_jwks([key])),  # type: ignore[arg-type]
            algorithms=["RS384"],
        ).claims["jti"]
        for f in forms
    }
    assert len(jtis) == 2


@responses.activate
def test_a_401_from_fhir_gets_one_new_token_and_the_call_is_repeated() -> None:
    key = generate_signing_key("ES384", "k")
    smart_config(["permission-v2"])
    responses.post(TOKEN_URL, json={"access_token": "old", "expires_in": 3600})
    responses.post(TOKEN_URL, json={"access_token": "new", "expires_in": 3600})
    responses.get(f"{FHIR}/Patient/p1", status=401)
    responses.get(f"{FHIR}/Patient/p1", json={"resourceType": "Patient", "id": "p1"})
    client = FhirClient(
        FHIR, token_source=BackendTokenSource(FHIR, client_id="c", signing_key=key), retries=0
    )

    assert client.read("Patient", "p1")["id"] == "p1"
    fhir_calls = [c for c in responses.calls if "/Patient/" in str(c.request.url)]
    assert [c.request.headers["Authorization"] for c in fhir_calls] == ["Bearer old", "Bearer new"]


@responses.activate
def test_a_refused_client_is_a_clear_auth_error() -> None:
    smart_config([])
    responses.post(TOKEN_URL, status=401, json={"error": "invalid_client"})
    source = BackendTokenSource(FHIR, client_id="c", signing_key=generate_signing_key("RS384"))
    with pytest.raises(AuthError, match="invalid_client"):
        source.authorization()
    assert source.refresh() is False


@responses.activate
def test_missing_smart_configuration_is_an_auth_error() -> None:
    responses.get(f"{FHIR}/.well-known/smart-configuration", status=404)
    source = BackendTokenSource(FHIR, client_id="c", signing_key=generate_signing_key("RS384"))
    with pytest.raises(AuthError, match="404"):
        source.authorization()


def test_keys_generate_writes_a_loadable_private_key_and_a_public_jwks(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["keys", "generate", "--out", str(tmp_path), "--alg", "ES384", "--kid", "k9"]
    )
    assert result.exit_code == 0, result.output
    private = tmp_path / "backend-private.pem"
    assert private.stat().st_mode & 0o777 == 0o600
    jwks = json.loads((tmp_path / "jwks.json").read_text())
    (public,) = jwks["keys"]
    assert public["kid"] == "k9"
    assert public["alg"] == "ES384"
    assert public["crv"] == "P-384"
    assert "d" not in public
    key = load_signing_key(private.read_bytes(), key_id="k9", alg="ES384")
    assert key.public_jwk() == public
    again = CliRunner().invoke(main, ["keys", "generate", "--out", str(tmp_path)])
    assert again.exit_code == 2
    assert "exists" in again.output
