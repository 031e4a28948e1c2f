"""The patient-update job and the failed-job registry (the worker side of the queue).

Jobs are queued by smart_app.service.updates (one coalesced job per patient; see there for why
RQ); the worker runs :func:`update_patient`, which goes through the same application service as
every other path (read, evaluate, plan, write with Provenance). https://python-rq.org/docs/
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from redis import Redis
from rq import Queue, get_current_job
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry

from smart_app.redis_connection import redis_connection
from smart_app.service.updates import (
    DEFAULT_RETRY_INTERVALS,
    JOB_TIMEOUT_SECONDS,
    KEY_PREFIX,
    PENDING_TTL_SECONDS,
    Enqueued,
    enqueue_patient_update,
    patient_queue,
    pending_key,
)
from smart_app.settings import Settings

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_RETRY_INTERVALS",
    "JOB_TIMEOUT_SECONDS",
    "KEY_PREFIX",
    "PENDING_TTL_SECONDS",
    "Enqueued",
    "FailedJob",
    "enqueue_patient_update",
    "failed_jobs",
    "patient_queue",
    "pending_key",
    "redis_connection",
    "replay_failed",
    "update_patient",
]


def update_patient(
    fhir_base: str, patient_id: str, auth: str, hold_seconds: float, pending: str
) -> dict[str, object]:
    """The job: evaluate as of today and write the plan (idempotent, so a retry is harmless).

    ``hold_seconds`` (0 in production) lets a test kill the worker in the middle of a job.
    """
    from smart_app.service.connection import plan_store_client, unattended_client
    from smart_app.service.context import evaluation_context
    from smart_app.service.plan_delivery import unattended_home, update_patient_plan_at

    job = get_current_job()
    if job is not None:
        # From now on a new event must queue a new run: this one may have read older data.
        _delete_if_equal(job.connection, pending, job.id)
    settings = Settings()
    client = unattended_client(fhir_base, auth=auth, settings=settings)
    if hold_seconds > 0:
        time.sleep(hold_seconds)
    run = update_patient_plan_at(
        unattended_home(client, plan_store_client(settings)),
        patient_id,
        evaluation_context(settings),
        label=f"job:{job.id}" if job is not None else "job",
    )
    return {
        "patient": patient_id,
        "written": run.written,
        "careplan": run.changes.careplan,
        "tasks_created": len(run.changes.created),
        "tasks_completed": len(run.changes.completed),
        "tasks_cancelled": len(run.changes.cancelled),
        "provenance": run.outcome is not None and run.outcome.provenance,
        "target": run.target,
        "note": run.note,
    }


@dataclass(frozen=True, slots=True)
class FailedJob:
    job_id: str
    description: str
    error: str


def failed_jobs(queue: Queue) -> list[FailedJob]:
    """Jobs that used up their retries, with the last line of their error."""
    registry = FailedJobRegistry(queue=queue)
    found = []
    for job_id in registry.get_job_ids():
        try:
            job = Job.fetch(job_id, connection=queue.connection)
        except NoSuchJobError:
            continue
        result = job.latest_result()
        text = ((result.exc_string if result else None) or "").strip().splitlines()
        found.append(FailedJob(job_id, job.description or "", text[-1] if text else ""))
    return found


def replay_failed(queue: Queue, job_ids: Sequence[str] | None = None) -> list[str]:
    """Requeue the named failed jobs (all of them when None); return the ids requeued."""
    registry = FailedJobRegistry(queue=queue)
    wanted = list(job_ids) if job_ids is not None else list(registry.get_job_ids())
    requeued = []
    for job_id in wanted:
        try:
            registry.requeue(job_id)
        except (NoSuchJobError, InvalidJobOperation) as exc:
            log.warning("cannot requeue %s: %s", job_id, exc)
            continue
        requeued.append(job_id)
    return requeued


_DELETE_IF_EQUAL = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


def _delete_if_equal(connection: Redis, key: str, value: str) -> None:
    connection.eval(_DELETE_IF_EQUAL, 1, key, value)
