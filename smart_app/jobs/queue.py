"""The patient-update queue: RQ on Redis, one coalesced job per patient.

Why RQ: jobs are plain Python calls kept in Redis (a worker or server restart loses nothing), it
has retries with intervals, a FailedJobRegistry to inspect and requeue, and abandoned-job recovery
(a job on a worker that died goes back to the queue when its heartbeat expires); no broker besides
the Redis the app already uses. https://python-rq.org/docs/

Bursts of events for one patient (a new MRI report, its findings, an EDSS on the same day) become
one job: a per-patient key ``{prefix}:pending:{server}:{patient}`` holds the queued job's id and is
cleared when that job starts, so events that arrive during a run queue exactly one more.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from redis import Redis
from rq import Queue, Retry, get_current_job
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry

from smart_app.errors import ConfigurationError
from smart_app.settings import Settings

log = logging.getLogger(__name__)

KEY_PREFIX = "ms-monitor"
#: Production backoff: three retries, 10 s, 30 s then 60 s apart.
DEFAULT_RETRY_INTERVALS: tuple[int, ...] = (10, 30, 60)
JOB_TIMEOUT_SECONDS = 300
#: A pending key outlives a lost job by at most this long.
PENDING_TTL_SECONDS = 3600
_WAITING = frozenset({JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED})


@dataclass(frozen=True, slots=True)
class Enqueued:
    job_id: str
    coalesced: bool  # True: a job for this patient was already waiting; nothing new was queued


def redis_connection(settings: Settings) -> Redis:
    if not settings.redis_url:
        raise ConfigurationError("MS_MONITOR_REDIS_URL is needed for the job queue")
    return Redis.from_url(settings.redis_url)


def patient_queue(connection: Redis, settings: Settings) -> Queue:
    return Queue(settings.queue_name, connection=connection)


def pending_key(fhir_base: str, patient_id: str) -> str:
    server = hashlib.sha256(fhir_base.rstrip("/").encode()).hexdigest()[:12]
    return f"{KEY_PREFIX}:pending:{server}:{patient_id}"


def enqueue_patient_update(
    queue: Queue,
    fhir_base: str,
    patient_id: str,
    *,
    auth: str = "none",
    retry_intervals: Sequence[int] = DEFAULT_RETRY_INTERVALS,
    hold_seconds: float = 0.0,
) -> Enqueued:
    """Queue an update of ``patient_id``'s plan unless one is already waiting to start."""
    connection = queue.connection
    key = pending_key(fhir_base, patient_id)
    waiting = connection.get(key)
    if waiting is not None:
        job_id = waiting.decode() if isinstance(waiting, bytes) else str(waiting)
        try:
            status = Job.fetch(job_id, connection=connection).get_status()
        except NoSuchJobError:
            status = None
        if status in _WAITING:
            return Enqueued(job_id, coalesced=True)
    job = queue.enqueue(
        update_patient,
        fhir_base,
        patient_id,
        auth,
        hold_seconds,
        key,
        retry=Retry(max=len(retry_intervals), interval=list(retry_intervals)),
        job_timeout=JOB_TIMEOUT_SECONDS,
        description=f"update plan of Patient/{patient_id}",
    )
    connection.set(key, job.id, ex=PENDING_TTL_SECONDS)
    return Enqueued(job.id, coalesced=False)


def update_patient(
    fhir_base: str, patient_id: str, auth: str, hold_seconds: float, pending: str
) -> dict[str, object]:
    """The job: evaluate as of today and write the plan (idempotent, so a retry is harmless).

    ``hold_seconds`` (0 in production) lets a test kill the worker in the middle of a job.
    """
    from smart_app.jobs.connect import fhir_client, rule_settings
    from smart_app.jobs.patient_run import evaluate_and_write

    job = get_current_job()
    if job is not None:
        # From now on a new event must queue a new run: this one may have read older data.
        _delete_if_equal(job.connection, pending, job.id)
    settings = Settings()
    client = fhir_client(fhir_base, auth=auth, settings=settings)
    if hold_seconds > 0:
        time.sleep(hold_seconds)
    today = date.today()
    run = evaluate_and_write(
        client, patient_id, as_of=today, settings=rule_settings(settings, today)
    )
    return {
        "patient": patient_id,
        "written": run.written,
        "careplan": run.changes.careplan,
        "tasks_created": len(run.changes.created),
        "tasks_completed": len(run.changes.completed),
        "tasks_cancelled": len(run.changes.cancelled),
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
