"""Population runs: find the MS patients on a server and bring every plan up to date.

Each patient goes through the same ``evaluate_and_write`` as a launch, so a nightly run and a
clinician see the same plan. Work runs on a small thread pool fed from a bounded window of futures
(memory stays flat whatever the population size); one patient's failure is recorded, never fatal.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from smart_app.domain import (
    EvaluationContext,
    Terminology,
    evaluate_patient,
    plan_transaction,
)
from smart_app.errors import FhirError
from smart_app.fhir import FhirClient
from smart_app.fhir.client import bundle_resources
from smart_app.fhir.patient_record import plan_searches
from smart_app.jobs.patient_run import PatientRun

log = logging.getLogger(__name__)

PatientWork = tuple[str, Callable[[], PatientRun]]


def ms_diagnosis_codes(terminology: Terminology) -> str:
    """The ``code`` search value for every MS diagnosis code: ``system|code`` comma-joined."""
    return ",".join(f"{system}|{code}" for system, code in sorted(terminology.ms_diagnosis))


def ms_patient_ids(client: FhirClient, terminology: Terminology) -> list[str]:
    """Every patient with an MS Condition, in first-seen order (ids only: ``_elements=subject``)."""
    seen: dict[str, None] = {}
    params = {"code": ms_diagnosis_codes(terminology), "_elements": "subject", "_count": "500"}
    for condition in client.search("Condition", params):
        if condition.get("resourceType") != "Condition":
            continue
        patient = _patient_reference_id(condition.get("subject"))
        if patient is not None:
            seen.setdefault(patient, None)
    return list(seen)


def group_member_ids(client: FhirClient, group_id: str) -> list[str]:
    """The Patient members of ``Group/group_id`` (other member types are ignored)."""
    group = client.read("Group", group_id)
    seen: dict[str, None] = {}
    for member in group.get("member") or []:
        patient = _patient_reference_id(member.get("entity") if isinstance(member, dict) else None)
        if patient is not None:
            seen.setdefault(patient, None)
    return list(seen)


def write_plan_from_resources(
    client: FhirClient,
    patient_id: str,
    resources: list[dict[str, Any]],
    *,
    as_of: date,
    settings: EvaluationContext,
    dry_run: bool = False,
) -> PatientRun:
    """The bulk path: clinical resources came from an export; only our plan is read here."""
    urls = [url.format(id=patient_id) for url in plan_searches(settings.canonical_base)]
    existing = [r for page in client.batch_get(urls) for r in bundle_resources(page)]
    report = evaluate_patient(resources, settings.on(as_of))
    changes = plan_transaction(report, existing)
    if changes.bundle is None or dry_run:
        return PatientRun(patient_id, report, changes, written=False)
    client.transaction(changes.bundle)
    return PatientRun(patient_id, report, changes, written=True)


@dataclass(slots=True)
class PopulationSummary:
    """Counts for the closing table; ``errors`` names each failed patient and why."""

    evaluated: int = 0
    written: int = 0
    plans_created: int = 0
    plans_updated: int = 0
    plans_unchanged: int = 0
    tasks_created: int = 0
    tasks_completed: int = 0
    tasks_cancelled: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)

    def add(self, run: PatientRun) -> None:
        self.evaluated += 1
        self.written += int(run.written)
        changes = run.changes
        if changes.careplan == "created":
            self.plans_created += 1
        elif changes.careplan in ("updated", "revoked"):
            self.plans_updated += 1
        else:
            self.plans_unchanged += 1
        self.tasks_created += len(changes.created)
        self.tasks_completed += len(changes.completed)
        self.tasks_cancelled += len(changes.cancelled)

    def rows(self) -> list[tuple[str, str]]:
        rows = [
            ("patients evaluated", str(self.evaluated)),
            ("transactions written", str(self.written)),
            ("plans created", str(self.plans_created)),
            ("plans updated", str(self.plans_updated)),
            ("plans unchanged", str(self.plans_unchanged)),
            ("tasks created", str(self.tasks_created)),
            ("tasks completed", str(self.tasks_completed)),
            ("tasks cancelled", str(self.tasks_cancelled)),
            ("errors", str(len(self.errors))),
        ]
        rows.extend((f"  {patient}", reason) for patient, reason in self.errors)
        return rows


def run_population(
    work: Iterable[PatientWork],
    *,
    concurrency: int,
    on_done: Callable[[str], None] | None = None,
) -> PopulationSummary:
    """Run each patient's work on ``concurrency`` threads, at most 2 x concurrency in flight."""
    summary = PopulationSummary()
    window = max(1, 2 * concurrency)
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="ms-run") as pool:
        pending: dict[Future[PatientRun], str] = {}
        for patient_id, task in work:
            if len(pending) >= window:
                _collect(pending, summary, on_done)
            pending[pool.submit(retrying(task))] = patient_id
        while pending:
            _collect(pending, summary, on_done)
    return summary


#: Statuses worth one more try of a whole patient: HAPI answers 409/500 when concurrent first
#: writes race on new index rows; the patient is re-read and re-evaluated, so a retry is safe.
_RETRY_STATUSES = frozenset({409, 412, 500, 503})


def retrying(task: Callable[[], PatientRun], *, attempts: int = 3) -> Callable[[], PatientRun]:
    """Run ``task`` again (after 0.5 s, 1 s) when the server reports a write conflict."""

    def run() -> PatientRun:
        for attempt in range(1, attempts + 1):
            try:
                return task()
            except FhirError as exc:
                if attempt == attempts or not (exc.temporary or exc.status in _RETRY_STATUSES):
                    raise
                log.info("retrying after %s (attempt %d)", exc, attempt)
                time.sleep(0.5 * attempt)
        raise AssertionError("unreachable")

    return run


def _collect(
    pending: dict[Future[PatientRun], str],
    summary: PopulationSummary,
    on_done: Callable[[str], None] | None,
) -> None:
    done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
    for future in done:
        patient_id = pending.pop(future)
        try:
            summary.add(future.result())
        except Exception as exc:  # one patient's failure must not stop the run
            log.warning("patient %s failed: %s", patient_id, exc)
            summary.errors.append((patient_id, f"{type(exc).__name__}: {exc}"))
        if on_done:
            on_done(patient_id)


def _patient_reference_id(ref: Any) -> str | None:
    if not isinstance(ref, dict) or not isinstance(ref.get("reference"), str):
        return None
    parts: list[str] = ref["reference"].split("/")
    for index, part in enumerate(parts[:-1]):
        if part == "Patient" and parts[index + 1]:
            return parts[index + 1]
    return None


def iter_ids(ids: Iterable[str]) -> Iterator[str]:
    """Deduplicate ids, keeping the first occurrence (CLI --patient may repeat)."""
    yield from dict.fromkeys(ids)
