"""Every unattended path reads a server that refuses batch, and writes its plan with Provenance.

Real HAPI behind the SMART sandbox proxy with batch refused (405, as EHRs without batch answer),
Backend Services tokens (private_key_jwt) from the sandbox: a population run (``ms-monitor run
--group``), a queue job (RQ worker) and a CDS Hooks call without prefetch all fall back to
parallel searches; the two writing paths leave a Provenance that targets their CarePlan.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from flask import Flask
from redis import Redis
from rq import Queue, SimpleWorker
from werkzeug.serving import make_server

from launch.sandbox import create_sandbox_app
from smart_app.auth.backend import BackendTokenSource
from smart_app.auth.jwks import load_signing_key
from smart_app.cli import main
from smart_app.fhir import FhirClient
from smart_app.jobs.queue import enqueue_patient_update
from tests.cds.test_cds_hooks import call, client_jwt, hook_request, make_client
from tests.jobs.test_backend_sandbox import backend_key
from tests.jobs.test_events_hapi import load_fresh_patient

pytestmark = pytest.mark.integration

#: The default backend scopes plus the one that lets the run record who wrote the plan.
AUDITED_SCOPES = "system/*.rs system/CarePlan.cu system/Task.cu system/Provenance.c"


@pytest.fixture(scope="module")
def no_batch_fhir(fhir_base_url: str) -> Iterator[str]:
    """The sandbox FHIR base, proxying HAPI, refusing every batch Bundle."""
    server = make_server("127.0.0.1", 0, Flask("placeholder"), threaded=True)
    public_base = f"http://127.0.0.1:{server.server_port}"
    server.app = create_sandbox_app(
        fhir_base_url,
        "http://127.0.0.1:5000/launch",
        public_base=public_base,
        refuse_batch=True,
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"{public_base}/fhir"
    finally:
        server.shutdown()


@pytest.fixture
def backend_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    key_file, kid = backend_key("RS384")
    env = {
        "MS_MONITOR_BACKEND_CLIENT_ID": "ms-monitor-backend",
        "MS_MONITOR_BACKEND_PRIVATE_KEY_FILE": str(key_file),
        "MS_MONITOR_BACKEND_KEY_ID": kid,
        "MS_MONITOR_BACKEND_ALG": "RS384",
        "MS_MONITOR_BACKEND_SCOPES": AUDITED_SCOPES,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def backend_token(fhir_base: str, scopes: str) -> str:
    key_file, kid = backend_key("RS384")
    source = BackendTokenSource(
        fhir_base,
        client_id="ms-monitor-backend",
        signing_key=load_signing_key(key_file.read_bytes(), key_id=kid, alg="RS384"),
        scopes=scopes,
    )
    return source.authorization().removeprefix("Bearer ")


def careplan_ids(fhir: FhirClient, patient_id: str) -> list[str]:
    return [str(r["id"]) for r in fhir.search("CarePlan", {"patient": patient_id})]


def provenance_for(fhir: FhirClient, careplan_id: str) -> list[dict[str, Any]]:
    return list(fhir.search("Provenance", {"target": f"CarePlan/{careplan_id}"}))


def test_the_sandbox_really_refuses_batch(no_batch_fhir: str) -> None:
    token = backend_token(no_batch_fhir, "system/*.rs")
    batch = {"resourceType": "Bundle", "type": "batch", "entry": []}
    answer = requests.post(
        no_batch_fhir, json=batch, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert answer.status_code == 405


def test_population_run_reads_without_batch_and_writes_provenance(
    no_batch_fhir: str, fhir: FhirClient, backend_env: dict[str, str]
) -> None:
    today = date.today()
    patients = [load_fresh_patient(fhir, today, scenario) for scenario in (0, 1, 2)]
    group = fhir.create(
        {
            "resourceType": "Group",
            "type": "person",
            "actual": True,
            "member": [{"entity": {"reference": f"Patient/{pid}"}} for pid in patients],
        }
    )
    args = ["run", "--fhir-base", no_batch_fhir, "--group", str(group["id"]), "--auth", "backend"]
    result = CliRunner().invoke(main, args, env=backend_env)
    assert result.exit_code == 0, result.output + result.stderr
    assert "errors" in result.output
    for patient_id in patients:
        [careplan] = careplan_ids(fhir, patient_id)
        [provenance] = provenance_for(fhir, careplan)
        assert provenance["agent"][0]["who"] == {"display": "ms-monitor (SMART on FHIR app)"}


def test_queue_job_reads_without_batch_and_writes_provenance(
    no_batch_fhir: str, fhir: FhirClient, redis_conn: Redis, backend_env: dict[str, str]
) -> None:
    patient_id = load_fresh_patient(fhir, date.today())
    queue = Queue(f"ms-monitor-nobatch-{uuid.uuid4().hex[:6]}", connection=redis_conn)
    queued = enqueue_patient_update(
        queue, no_batch_fhir, patient_id, auth="backend", retry_intervals=(1,)
    )
    SimpleWorker([queue], connection=redis_conn).work(burst=True)
    job = queue.fetch_job(queued.job_id)
    assert job is not None
    result = job.return_value()
    assert result is not None, job.latest_result()
    assert result["written"] is True
    assert result["provenance"] is True
    [careplan] = careplan_ids(fhir, patient_id)
    assert len(provenance_for(fhir, careplan)) == 1


def test_cds_call_without_prefetch_reads_without_batch(
    no_batch_fhir: str, fhir: FhirClient
) -> None:
    patient_id = load_fresh_patient(fhir, date.today(), scenario=1)
    token = backend_token(no_batch_fhir, "system/*.rs")
    body = hook_request(
        patient_id,
        prefetch=False,
        fhirServer=no_batch_fhir,
        fhirAuthorization={
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "system/*.rs",
            "subject": "cds",
        },
    )
    # the sandbox's FHIR base is registered for this CDS client (else 412: no SSRF)
    response = call(make_client(fhir_servers=(no_batch_fhir,)), body, client_jwt())
    assert response.status_code == 200, response.json
    assert isinstance(response.json["cards"], list)
