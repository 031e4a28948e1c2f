"""Events end to end: HAPI Subscription -> webhook (real HTTP) -> Redis -> worker -> Task;
and a worker killed mid-job: after a restart the job is done, once."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from rq import Queue, SimpleWorker
from werkzeug.serving import make_server

from smart_app.domain import EvaluationContext, load_terminology
from smart_app.fhir import FhirClient
from smart_app.jobs.queue import enqueue_patient_update
from smart_app.jobs.subscriptions import register_subscriptions
from smart_app.service.patient_plan import update_patient_plan
from smart_app.settings import Settings
from smart_app.synthetic import cohort, transaction_bundle
from smart_app.web.app import create_app

pytestmark = pytest.mark.integration

CONTEXT = EvaluationContext(date.today())
SECRET = "hook-secret-" + uuid.uuid4().hex
QUEUE = "ms-monitor-events-test"
MS_MONITOR = Path(sys.executable).parent / "ms-monitor"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def load_fresh_patient(fhir: FhirClient, as_of: date, scenario: int = 0) -> str:
    template = cohort(as_of=as_of, patients=scenario + 1)[scenario]
    new_id = f"ev-{uuid.uuid4().hex[:10]}"
    text = json.dumps(transaction_bundle([template])).replace(template.patient_id, new_id)
    fhir.transaction(json.loads(text))
    return new_id


def task_codes(fhir: FhirClient, patient_id: str) -> dict[str, str]:
    tasks = fhir.search(
        "Task", {"patient": patient_id, "identifier": f"{CONTEXT.canonical_base}/task-id|"}
    )
    return {t["code"]["coding"][0]["code"]: t["status"] for t in tasks}


@pytest.fixture
def webhook_url(redis_url: str, fhir_base_url: str) -> Iterator[str]:
    settings = Settings(
        webhook_secret=SECRET, fhir_base_url=fhir_base_url, redis_url=redis_url, queue_name=QUEUE
    )
    app = create_app(settings)
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}/hooks/fhir"
    server.shutdown()


def test_new_mri_finding_reaches_a_task_through_subscription_webhook_queue_and_worker(
    fhir: FhirClient, redis_conn: Redis, webhook_url: str
) -> None:
    terminology = load_terminology(CONTEXT.canonical_base)
    registered = register_subscriptions(
        fhir, endpoint=webhook_url, secret=SECRET, terminology=terminology
    )
    assert {r.action for r in registered} == {"created"}
    again = register_subscriptions(
        fhir, endpoint=webhook_url, secret=SECRET, terminology=terminology
    )
    assert [(r.subscription_id, r.action) for r in again] == [
        (r.subscription_id, "reused") for r in registered
    ]
    deadline = time.monotonic() + 30
    while any(
        fhir.read("Subscription", r.subscription_id)["status"] != "active" for r in registered
    ):
        assert time.monotonic() < deadline, "HAPI did not activate the Subscriptions"
        time.sleep(0.5)

    today = date.today()
    patient_id = load_fresh_patient(fhir, today)  # strict benign, stable, untreated
    queue = Queue(QUEUE, connection=redis_conn)
    time.sleep(3)  # deliveries of the seeding itself
    SimpleWorker([queue], connection=redis_conn).work(burst=True)
    update_patient_plan(fhir, patient_id, CONTEXT.on(today))
    before = task_codes(fhir, patient_id)
    assert "consider-dmt" not in before

    fhir.create(
        {
            "resourceType": "Observation",
            "status": "final",
            "code": {
                "coding": [{"system": terminology.ms_observation_system, "code": "new-t2-lesions"}]
            },
            "subject": {"reference": f"Patient/{patient_id}"},
            "effectiveDateTime": today.isoformat(),
            "valueQuantity": {
                "value": 3,
                "unit": "{lesions}",
                "system": "http://unitsofmeasure.org",
                "code": "{lesions}",
            },
        }
    )
    deadline = time.monotonic() + 60
    after = before
    while "consider-dmt" not in after:
        assert time.monotonic() < deadline, f"no Task from the event; queue={queue.count}"
        time.sleep(1)
        SimpleWorker([queue], connection=redis_conn).work(burst=True)
        after = task_codes(fhir, patient_id)
    assert after["consider-dmt"] == "requested"


def start_worker(redis_url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MS_MONITOR_REDIS_URL": redis_url, "MS_MONITOR_QUEUE_NAME": QUEUE}
    return subprocess.Popen(
        [
            str(MS_MONITOR),
            "worker",
            "--job-monitoring-interval",
            "1",
            "--maintenance-interval",
            "1",
        ],
        env=env,
        start_new_session=True,  # its own process group: kill the worker and its work-horse
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stored_plan_versions(fhir: FhirClient, patient_id: str) -> list[tuple[str, str]]:
    found: list[dict[str, Any]] = list(
        fhir.search(
            "CarePlan",
            {
                "patient": patient_id,
                "identifier": f"{CONTEXT.canonical_base}/careplan-id|",
                "_revinclude": "Task:based-on",
            },
        )
    )
    return sorted((r["resourceType"], r["meta"]["versionId"]) for r in found)


def test_a_worker_killed_mid_job_loses_nothing_and_the_plan_is_written_once(
    fhir: FhirClient, fhir_base_url: str, redis_conn: Redis, redis_url: str
) -> None:
    patient_id = load_fresh_patient(fhir, date.today())
    queue = Queue(QUEUE, connection=redis_conn)
    queued = enqueue_patient_update(
        queue, fhir_base_url, patient_id, retry_intervals=(1, 1, 1), hold_seconds=6
    )
    first = start_worker(redis_url)
    try:
        deadline = time.monotonic() + 30
        while (job := queue.fetch_job(queued.job_id)) is None or job.get_status() != "started":
            assert time.monotonic() < deadline, "the worker never started the job"
            time.sleep(0.2)
        time.sleep(1)
        os.killpg(first.pid, signal.SIGKILL)
    finally:
        first.wait(timeout=10)
    assert stored_plan_versions(fhir, patient_id) == [], "killed before its write"

    second = start_worker(redis_url)
    try:
        deadline = time.monotonic() + 150  # RQ declares a job abandoned after its 60 s heartbeat
        while (status := queue.fetch_job(queued.job_id).get_status()) != "finished":  # type: ignore[union-attr]
            assert status != "failed", "the abandoned job should be retried, not failed"
            assert time.monotonic() < deadline, f"job still {status}"
            time.sleep(1)
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(timeout=30)
    versions = stored_plan_versions(fhir, patient_id)
    assert versions, "the plan was written after the restart"
    assert versions.count(("CarePlan", "1")) == 1
    assert {version for _, version in versions} == {"1"}, "written exactly once, no updates"
