"""A FHIR server outage loses no event: the job retries with backoff, and after its retries it
waits in the failed-jobs list until it is replayed; either way the plan is written once.

HAPI sits behind a switchable loopback proxy that answers 503 while "down", as a load balancer
does while the server restarts. The worker is a real ``ms-monitor worker`` process on real Redis.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import date

import pytest
import requests
from redis import Redis
from rq import Queue
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from smart_app.fhir import FhirClient
from smart_app.jobs.queue import enqueue_patient_update, failed_jobs
from tests.jobs.test_events_hapi import MS_MONITOR, load_fresh_patient, stored_plan_versions

pytestmark = pytest.mark.integration

QUEUE = "ms-monitor-outage-test"
OUTCOME = {
    "resourceType": "OperationOutcome",
    "issue": [{"severity": "error", "code": "transient", "diagnostics": "server restarting"}],
}


class SwitchableProxy:
    """Forwards ``/fhir/...`` to HAPI, or answers 503 while ``down``."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.down = False
        self.refused = 0

    def answer(self, request: Request) -> Response:
        if self.down:
            self.refused += 1
            return Response(json.dumps(OUTCOME), 503, mimetype="application/fhir+json")
        path = request.path.removeprefix("/fhir")
        query = request.query_string.decode()
        upstream = requests.request(
            request.method,
            f"{self.upstream}{path}" + (f"?{query}" if query else ""),
            data=request.get_data(),
            headers={k: v for k, v in request.headers.items() if k in ("Content-Type", "Accept")},
            timeout=60,
        )
        return Response(
            upstream.content, upstream.status_code, content_type=upstream.headers["Content-Type"]
        )


@pytest.fixture
def proxy(fhir_base_url: str) -> Iterator[tuple[SwitchableProxy, str]]:
    switch = SwitchableProxy(fhir_base_url)
    server = make_server("127.0.0.1", 0, Request.application(switch.answer), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield switch, f"http://127.0.0.1:{server.server_port}/fhir"
    finally:
        server.shutdown()


def worker_env(redis_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "MS_MONITOR_REDIS_URL": redis_url,
        "MS_MONITOR_QUEUE_NAME": QUEUE,
        "MS_MONITOR_HTTP_RETRIES": "0",  # let the queue do the retrying in this test
    }


@pytest.fixture
def worker(redis_url: str) -> Iterator[None]:
    process = subprocess.Popen(
        [str(MS_MONITOR), "worker"],
        env=worker_env(redis_url),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def wait_for_status(queue: Queue, job_id: str, wanted: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while (job := queue.fetch_job(job_id)) is None or job.get_status() != wanted:
        assert time.monotonic() < deadline, f"job is {job.get_status() if job else None}"
        time.sleep(0.5)


def test_a_job_retries_through_an_outage_and_writes_once_when_the_server_is_back(
    fhir: FhirClient,
    proxy: tuple[SwitchableProxy, str],
    redis_conn: Redis,
    worker: None,
) -> None:
    switch, base = proxy
    patient_id = load_fresh_patient(fhir, date.today())
    switch.down = True
    queue = Queue(QUEUE, connection=redis_conn)
    queued = enqueue_patient_update(queue, base, patient_id, retry_intervals=(2, 2, 2, 2))

    deadline = time.monotonic() + 30
    while switch.refused < 2:  # the first attempt and one retry hit the outage
        assert time.monotonic() < deadline, "the job did not retry"
        time.sleep(0.2)
    assert stored_plan_versions(fhir, patient_id) == []
    switch.down = False

    wait_for_status(queue, queued.job_id, "finished", 60)
    versions = stored_plan_versions(fhir, patient_id)
    assert versions
    assert {version for _, version in versions} == {"1"}


def test_after_its_retries_a_job_waits_in_the_failed_list_until_replayed(
    fhir: FhirClient,
    proxy: tuple[SwitchableProxy, str],
    redis_conn: Redis,
    redis_url: str,
    worker: None,
) -> None:
    switch, base = proxy
    patient_id = load_fresh_patient(fhir, date.today())
    switch.down = True
    queue = Queue(QUEUE, connection=redis_conn)
    queued = enqueue_patient_update(queue, base, patient_id, retry_intervals=(1, 1))

    wait_for_status(queue, queued.job_id, "failed", 60)
    assert switch.refused == 3, "the first attempt and its two retries"
    [failed] = [job for job in failed_jobs(queue) if job.job_id == queued.job_id]
    assert "503" in failed.error
    listed = subprocess.run(
        [str(MS_MONITOR), "jobs", "failed"],
        env=worker_env(redis_url),
        capture_output=True,
        text=True,
        check=True,
    )
    assert queued.job_id in listed.stdout
    assert stored_plan_versions(fhir, patient_id) == []

    switch.down = False
    replayed = subprocess.run(
        [str(MS_MONITOR), "jobs", "replay", queued.job_id],
        env=worker_env(redis_url),
        capture_output=True,
        text=True,
        check=False,
    )
    assert replayed.returncode == 0, replayed.stderr
    wait_for_status(queue, queued.job_id, "finished", 60)
    assert stored_plan_versions(fhir, patient_id), "written after the replay"
