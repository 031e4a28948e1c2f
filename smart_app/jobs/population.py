"""Population runs: bring the plan of every patient found up to date.

The patients are found by smart_app.fhir.population_search (the population searches, with the
server's profile).

Each patient goes through the application service's use case (smart_app.service), the same one a
queue job uses and whose parts a launch uses, so a nightly run and a clinician see the same plan.
Work runs on a small thread pool fed from a bounded window of futures (memory stays flat
whatever the population size); one patient's failure is recorded, never fatal.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from smart_app.errors import FhirError
from smart_app.service.patient_plan import PatientRun

log = logging.getLogger(__name__)

PatientWork = tuple[str, Callable[[], PatientRun]]


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
    #: Where plans were written (``ehr``, ``plan-store``; smart_app.service.plan_targets).
    written_to: dict[str, int] = field(default_factory=dict)
    #: EHR notes by status (``written``, ``already``, ``recovered``, ``pending``, ``refused``).
    notes: dict[str, int] = field(default_factory=dict)
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
        if run.written:
            target = run.target or "ehr"
            self.written_to[target] = self.written_to.get(target, 0) + 1
        if run.note:
            self.notes[run.note] = self.notes.get(run.note, 0) + 1

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
        ]
        rows.extend((f"plans written to {t}", str(n)) for t, n in sorted(self.written_to.items()))
        rows.extend((f"EHR notes {status}", str(n)) for status, n in sorted(self.notes.items()))
        rows.append(("errors", str(len(self.errors))))
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


def iter_ids(ids: Iterable[str]) -> Iterator[str]:
    """Deduplicate ids, keeping the first occurrence (CLI --patient may repeat)."""
    yield from dict.fromkeys(ids)
