"""The clinic's worklist: FHIR requests and time as the number of plans grows.

Plans (a CarePlan with our business identifier and three Tasks per patient, as
smart_app.domain.plan writes them) are added to HAPI in steps; after each step the worklist use
case (smart_app.service.worklist) reads the whole list, open server, no plan store. Requests grow
with pages and ``_id`` chunks, not with patients one by one; the ratios are of one run.
"""

from __future__ import annotations

import time
import uuid
from datetime import date, timedelta
from typing import Any

from smart_app.domain.plan import CAREPLAN_CATEGORY, careplan_system, task_system
from smart_app.domain.terminology import DEFAULT_CANONICAL_BASE
from smart_app.fhir import FhirClient
from smart_app.fhir.own_plan import PlanSystems
from smart_app.service.worklist import load_worklist
from smart_app.site_config import US_CORE_CAREPLAN_ASSESS_PLAN

STEPS = (25, 75, 200)  # plans added before each measurement (cumulative 25, 100, 300)
CODES = ("mri-brain", "neuro-review", "jcv-serology")
SYSTEMS = PlanSystems(careplan_system(DEFAULT_CANONICAL_BASE), task_system(DEFAULT_CANONICAL_BASE))


def _plan_entries(pid: str, today: date) -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = [
        {
            "resourceType": "Task",
            "id": f"{pid}-{code}",
            "identifier": [{"system": SYSTEMS.task, "value": f"{pid}.{code}.none"}],
            "status": "requested",
            "intent": "plan",
            "priority": "routine",
            "code": {"coding": [{"code": code}]},
            "for": {"reference": f"Patient/{pid}"},
            "authoredOn": (today - timedelta(days=40)).isoformat(),
            "restriction": {
                "period": {
                    "start": today.isoformat(),
                    "end": (today + timedelta(days=i)).isoformat(),
                }
            },
        }
        for i, code in enumerate(CODES)
    ]
    careplan: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": f"{pid}-plan",
        "identifier": [{"system": SYSTEMS.careplan, "value": f"{pid}.benign-ms-monitoring"}],
        "status": "active",
        "intent": "plan",
        "category": [{"coding": [{"system": CAREPLAN_CATEGORY[0], "code": CAREPLAN_CATEGORY[1]}]}],
        "subject": {"reference": f"Patient/{pid}"},
        "description": "Benign MS monitoring (benchmark).",
        "activity": [{"reference": {"reference": f"Task/{t['id']}"}} for t in tasks],
    }
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "id": pid,
        "name": [{"family": "Bench", "given": [pid]}],
    }
    return [
        {"resource": r, "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}}
        for r in (patient, careplan, *tasks)
    ]


def _add_plans(fhir_base: str, count: int, today: date) -> None:
    client = FhirClient(fhir_base)
    run = uuid.uuid4().hex[:6]
    for start in range(0, count, 50):
        entries = [
            e
            for i in range(start, min(count, start + 50))
            for e in _plan_entries(f"wlb-{run}-{i}", today)
        ]
        client.transaction({"resourceType": "Bundle", "type": "transaction", "entry": entries})


def run(fhir_base: str) -> list[tuple[str, str]]:
    today = date.today()
    rows: list[tuple[str, str]] = []
    first: float | None = None
    for step in STEPS:
        _add_plans(fhir_base, step, today)
        client = FhirClient(fhir_base)
        started = time.perf_counter()
        worklist = load_worklist(
            client,
            None,
            systems=SYSTEMS,
            careplan_category=US_CORE_CAREPLAN_ASSESS_PLAN,
            today=today,
        )
        seconds = time.perf_counter() - started
        plans = len(worklist.plans)
        per_plan = seconds / max(plans, 1)
        first = first or per_plan
        rows.append((f"{plans} plans: FHIR requests", str(client.request_count)))
        rows.append((f"{plans} plans: seconds", f"{seconds:.2f}"))
        rows.append(
            (
                f"{plans} plans: ms per plan (ratio to the first)",
                f"{per_plan * 1000:.1f} ({per_plan / first:.2f}x)",
            )
        )
    return rows
