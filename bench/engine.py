"""Engine throughput: rules on already-extracted synthetic timelines, on one core.

Target: >= 20,000 patient timelines per second (rules alone; bench/extraction.py measures the whole
path from FHIR resources to the report). Also reported: extraction from FHIR
JSON (the whole pipeline per patient) and memory per timeline and per report (tracemalloc).
"""

from __future__ import annotations

import time
import tracemalloc
from datetime import date

from smart_app.domain import EvaluationContext, evaluate_timeline, extract_timeline
from smart_app.domain.timeline import PatientTimeline
from smart_app.synthetic import cohort

TARGET_PATIENTS_PER_SECOND = 20_000
AS_OF = date(2026, 11, 24)
CONTEXT = EvaluationContext(AS_OF)


def _timelines(count: int) -> list[PatientTimeline]:
    return [
        extract_timeline(member.resources, CONTEXT)
        for member in cohort(as_of=AS_OF, patients=count)
    ]


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def run(patients: int = 2_000, rounds: int = 5) -> list[tuple[str, str]]:
    """Return (measure, value) rows."""
    members = cohort(as_of=AS_OF, patients=patients)

    started = time.perf_counter()
    timelines = [extract_timeline(m.resources, CONTEXT) for m in members]
    extract_seconds = time.perf_counter() - started

    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for timeline in timelines:
            evaluate_timeline(timeline)
        best = min(best, time.process_time() - started)
    rules_rate = _rate(len(timelines), best)

    tracemalloc.start()
    before, _ = tracemalloc.get_traced_memory()
    kept = _timelines(200)
    after_timelines, _ = tracemalloc.get_traced_memory()
    reports = [evaluate_timeline(t).to_json() for t in kept]
    after_reports, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del reports

    resources = sum(len(m.resources) for m in members)
    return [
        ("patients (synthetic cohort)", f"{len(members):,}"),
        ("FHIR resources", f"{resources:,}"),
        ("rules: timelines per second (best of 5, CPU time)", f"{rules_rate:,.0f}"),
        ("rules: ratio to target 20,000/s", f"{rules_rate / TARGET_PATIENTS_PER_SECOND:.2f}x"),
        (
            "extraction + rules: patients per second",
            f"{_rate(len(members), extract_seconds + best):,.0f}",
        ),
        ("memory per timeline (KiB)", f"{(after_timelines - before) / 200 / 1024:.1f}"),
        ("memory per report JSON (KiB)", f"{(after_reports - after_timelines) / 200 / 1024:.1f}"),
    ]
