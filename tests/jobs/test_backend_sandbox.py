"""``ms-monitor run --auth backend`` through the local SMART sandbox: a real client_credentials
grant with a private_key_jwt assertion (RS384 and ES384), then the scope-checking FHIR proxy."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from werkzeug.serving import make_server

from launch.sandbox import create_sandbox_app
from smart_app.cli import main
from smart_app.fhir import FhirClient
from tests.jobs.test_events_hapi import load_fresh_patient, stored_plan_versions

pytestmark = pytest.mark.integration

SANDBOX = Path(__file__).resolve().parents[2] / "launch" / "sandbox"


def backend_key(alg: str) -> tuple[Path, str]:
    """The sandbox's test-only backend key for ``alg`` and its registered ``kid``."""
    clients = json.loads((SANDBOX / "clients.json").read_text())["clients"]
    backend = next(c for c in clients if c["client_id"] == "ms-monitor-backend")
    kid = next(k["kid"] for k in backend["jwks"]["keys"] if k["alg"] == alg)
    return SANDBOX / "keys" / f"sandbox-test-only-ms-monitor-backend-{alg.lower()}.pem", kid


@pytest.fixture(scope="module")
def sandbox_fhir(fhir_base_url: str) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, Flask("placeholder"), threaded=True)
    public_base = f"http://127.0.0.1:{server.server_port}"
    server.app = create_sandbox_app(
        fhir_base_url, "http://127.0.0.1:5000/launch", public_base=public_base
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"{public_base}/fhir"
    finally:
        server.shutdown()


@pytest.mark.parametrize("alg", ["RS384", "ES384"])
def test_backend_run_through_the_sandbox_writes_the_plan(
    alg: str, sandbox_fhir: str, fhir: FhirClient
) -> None:
    patient_id = load_fresh_patient(fhir, date.today())
    key_file, kid = backend_key(alg)
    env = {
        "MS_MONITOR_BACKEND_CLIENT_ID": "ms-monitor-backend",
        "MS_MONITOR_BACKEND_PRIVATE_KEY_FILE": str(key_file),
        "MS_MONITOR_BACKEND_KEY_ID": kid,
        "MS_MONITOR_BACKEND_ALG": alg,
    }
    args = ["run", "--fhir-base", sandbox_fhir, "--patient", patient_id, "--auth", "backend"]
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 0, result.output + result.stderr
    assert stored_plan_versions(fhir, patient_id), "the plan reached HAPI through the proxy"


def test_an_unregistered_key_is_refused_with_a_clear_error(
    sandbox_fhir: str, fhir: FhirClient, tmp_path: Path
) -> None:
    patient_id = load_fresh_patient(fhir, date.today())
    generated = CliRunner().invoke(main, ["keys", "generate", "--out", str(tmp_path / "k")])
    assert generated.exit_code == 0, generated.stderr
    env = {
        "MS_MONITOR_BACKEND_CLIENT_ID": "ms-monitor-backend",
        "MS_MONITOR_BACKEND_PRIVATE_KEY_FILE": str(tmp_path / "k" / "backend-private.pem"),
        "MS_MONITOR_BACKEND_KEY_ID": "not-registered",
        "MS_MONITOR_BACKEND_ALG": "RS384",
    }
    args = ["run", "--fhir-base", sandbox_fhir, "--patient", patient_id, "--auth", "backend"]
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 1
    assert "token endpoint refused the client" in result.output + result.stderr
    assert stored_plan_versions(fhir, patient_id) == []
