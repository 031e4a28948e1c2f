"""Population throughput against HAPI, next to a raw replay of the same FHIR requests.

The steady-state nightly run (plans already current: read, evaluate, nothing to write) is compared
with replaying exactly its reads (one batch per patient, same concurrency) without the engine:
the ratio says how much the engine costs on top of the FHIR traffic (target >= 0.9). Peak Python
memory of a run (tracemalloc) at 200 and 2,000 patients shows that it does not grow with the
population beyond the patient id list. ``FHIR_BASE_URL`` picks a server; else HAPI is started.
"""

from __future__ import annotations

import json
import os
import time
import tracemalloc
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from functools import partial

from smart_app.domain import EvaluationContext
from smart_app.fhir import FhirClient
from smart_app.fhir.patient_record import read_patient_record
from smart_app.fhir.population_search import group_member_ids
from smart_app.jobs.population_run import run_searched
from smart_app.service.patient_plan import plan_systems
from smart_app.service.server_reads import read_setup
from smart_app.synthetic import cohort, transaction_bundle

AS_OF = date(2026, 11, 24)
CONTEXT = EvaluationContext(date.today())
CONCURRENCY = 4
TARGET_RATIO = 0.9


def seed(client: FhirClient, size: int) -> str:
    """``size`` cohort patients under a fresh id prefix, and a Group of them; returns its id."""
    prefix = f"b{uuid.uuid4().hex[:6]}-"
    members = cohort(as_of=AS_OF, patients=size)
    for start in range(0, size, 20):
        text = json.dumps(transaction_bundle(members[start : start + 20]))
        client.transaction(
            json.loads(text.replace('"msm-', f'"{prefix}').replace("/msm-", f"/{prefix}"))
        )
    group_id = f"{prefix}group"
    client.update(
        {
            "resourceType": "Group",
            "id": group_id,
            "type": "person",
            "actual": True,
            "member": [
                {"entity": {"reference": f"Patient/{m.patient_id.replace('msm-', prefix)}"}}
                for m in members
            ],
        }
    )
    return group_id


def _engine_run(client: FhirClient, group_id: str) -> tuple[int, float]:
    started = time.perf_counter()
    summary = run_searched(
        client,
        patients=(),
        group_id=group_id,
        context=CONTEXT.on(AS_OF),
        dry_run=False,
        concurrency=CONCURRENCY,
        show_progress=False,
    )
    return summary.evaluated, time.perf_counter() - started


def _raw_replay(client: FhirClient, group_id: str) -> tuple[int, float]:
    """The same reads as the run (group read + one batch per patient), no engine, no plan."""
    started = time.perf_counter()
    context = CONTEXT.on(AS_OF)
    setup = read_setup(client, context)
    ids = group_member_ids(client, group_id, setup.profile(client))
    read = partial(read_patient_record, client, plan=plan_systems(context), setup=setup)
    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        count = sum(1 for _ in pool.map(read, ids))
    return count, time.perf_counter() - started


def _peak_memory(client: FhirClient, group_id: str) -> float:
    tracemalloc.start()
    try:
        run_searched(
            client,
            patients=(),
            group_id=group_id,
            context=CONTEXT.on(AS_OF),
            dry_run=True,
            concurrency=CONCURRENCY,
            show_progress=False,
        )
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def run(base: str, sizes: tuple[int, ...] = (200, 2_000)) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    client = FhirClient(base)
    for size in sizes:
        group_id = seed(client, size)
        count, seconds = _engine_run(client, group_id)  # first run: writes every plan
        rows.append((f"{size}: first run, writes (patients/s)", f"{count / seconds:.1f}"))
        engine_rates, raw_rates = [], []
        for _ in range(2):  # alternate, to share the server's warm-up fairly
            count, seconds = _engine_run(client, group_id)
            engine_rates.append(count / seconds)
            count, seconds = _raw_replay(client, group_id)
            raw_rates.append(count / seconds)
        engine, raw = max(engine_rates), max(raw_rates)
        rows.append((f"{size}: steady run (patients/s)", f"{engine:.1f}"))
        rows.append((f"{size}: raw FHIR replay (patients/s)", f"{raw:.1f}"))
        rows.append((f"{size}: ratio (target >= {TARGET_RATIO})", f"{engine / raw:.2f}"))
        rows.append((f"{size}: peak Python memory (MB)", f"{_peak_memory(client, group_id):.1f}"))
    return rows


def sizes_from_env() -> tuple[int, ...]:
    return tuple(int(s) for s in os.environ.get("BENCH_POPULATION_SIZES", "200,2000").split(","))
