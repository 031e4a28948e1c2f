"""The patient-update queue: RQ on Redis, one coalesced job per patient.

Why RQ: jobs are plain Python calls kept in Redis (a worker or server restart loses nothing), it
has retries with intervals, a FailedJobRegistry to inspect and requeue, and abandoned-job recovery
(a job on a worker that died goes back to the queue when its heartbeat expires); no broker besides
the Redis the app already uses. https://python-rq.org/docs/

Bursts of events for one patient (a new MRI report, its findings, an EDSS on the same day) become
one job: a per-patient key ``{prefix}:pending:{server}:{patient}`` holds the queued job's id and is
cleared when that job starts, so events that arrive during a run queue exactly one more.

The worker side (the job itself, failed-job inspection) lives in smart_app.jobs.queue; this module
is what an edge (the FHIR Subscription webhook) calls to ask for an update, so the web layer never
imports the jobs layer. The job is named by its import path, as RQ stores it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from redis import Redis
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from smart_app.redis_connection import redis_connection
from smart_app.settings import Settings

#: Gives the patient-update queue (connected on first use).
QueueFactory = Callable[[], Queue]
KEY_PREFIX = "ms-monitor"
#: The RQ job that updates one patient's plan (smart_app.jobs.queue.update_patient).
UPDATE_JOB = "smart_app.jobs.queue.update_patient"
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


def patient_queue(connection: Redis, settings: Settings) -> Queue:
    return Queue(settings.queue_name, connection=connection)


def lazy_patient_queue(settings: Settings) -> QueueFactory:
    """The configured queue, connected to Redis on first use (the web app starts without it)."""
    cache: list[Queue] = []

    def factory() -> Queue:
        if not cache:
            cache.append(patient_queue(redis_connection(settings), settings))
        return cache[0]

    return factory


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
        UPDATE_JOB,
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
