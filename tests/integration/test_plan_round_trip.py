"""The plan round-trips through the real HAPI server idempotently (engine issue, item 4).

Seed a synthetic patient, read it back in one batch, evaluate, write the plan in one transaction;
a second run writes nothing (no new resources, no new versions); a new brain MRI completes the
MRI Task (output = the ImagingStudy) and creates the next one.
"""

from __future__ import annotations

import copy
import json
import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from smart_app.domain import EvaluationContext
from smart_app.fhir import FhirClient
from smart_app.service.patient_plan import update_patient_plan
from smart_app.service.server_reads import read_setup
from smart_app.synthetic import cohort, transaction_bundle

pytestmark = pytest.mark.integration

AS_OF = date(2026, 11, 24)
CONTEXT = EvaluationContext(date.today())


def load_fresh_benign_patient(fhir: FhirClient) -> tuple[str, list[dict[str, Any]]]:
    """The cohort's first scenario (strict benign, yearly MRI) under a new, unique id."""
    template = cohort(as_of=AS_OF, patients=1)[0]
    new_id = f"rt-{uuid.uuid4().hex[:10]}"
    text = json.dumps(transaction_bundle([template])).replace(template.patient_id, new_id)
    fhir.transaction(json.loads(text))
    resources = [e["resource"] for e in json.loads(text)["entry"]]
    return new_id, resources


def stored_plan(fhir: FhirClient, patient_id: str) -> dict[str, str]:
    """Our CarePlan and Tasks on the server, as {reference: versionId}."""
    found = list(
        fhir.search(
            "CarePlan",
            {
                "patient": patient_id,
                "identifier": f"{CONTEXT.canonical_base}/careplan-id|",
                "_revinclude": "Task:based-on",
            },
        )
    )
    return {f"{r['resourceType']}/{r['id']}": r["meta"]["versionId"] for r in found}


def test_plan_is_written_once_and_updated_when_a_new_mri_arrives(fhir: FhirClient) -> None:
    patient_id, resources = load_fresh_benign_patient(fhir)
    # the server profile is decided once per issuer (its statement and SMART configuration,
    # cached for an hour): counted here are the reads and writes of a run, not that discovery
    read_setup(fhir, CONTEXT.on(AS_OF)).profile(fhir)

    before = fhir.request_count
    first = update_patient_plan(fhir, patient_id, CONTEXT.on(AS_OF))
    assert fhir.request_count - before == 2, "one batch read and one transaction"
    assert first.written
    assert first.changes.careplan == "created"
    codes = sorted(r.code for r in first.report.recommendations)
    assert "mri-brain" in codes
    plan = stored_plan(fhir, patient_id)
    tasks = [ref for ref in plan if ref.startswith("Task/")]
    assert len(tasks) == len(codes) == len(first.changes.created)

    careplan = next(
        fhir.read("CarePlan", ref.split("/")[1]) for ref in plan if ref.startswith("CarePlan/")
    )
    assert sorted(a["reference"]["reference"] for a in careplan["activity"]) == sorted(tasks)
    assert careplan["subject"]["reference"] == f"Patient/{patient_id}"

    before = fhir.request_count
    again = update_patient_plan(fhir, patient_id, CONTEXT.on(AS_OF))
    assert fhir.request_count - before == 1, "unchanged data: the read, and no write"
    assert not again.written
    assert again.changes.bundle is None
    assert stored_plan(fhir, patient_id) == plan, "no new resources and no new versions"

    mri_evidence = next(r for r in first.report.recommendations if r.code == "mri-brain").evidence
    old_mri = next(r for r in resources if f"ImagingStudy/{r['id']}" in mri_evidence)
    new_mri = copy.deepcopy(old_mri)
    new_mri["id"] = f"{patient_id}-mri-new"
    new_mri["started"] = (AS_OF - timedelta(days=3)).isoformat()
    fhir.update(new_mri)

    third = update_patient_plan(fhir, patient_id, CONTEXT.on(AS_OF))
    assert third.written
    assert len(third.changes.completed) == 1
    assert len(third.changes.created) == 1
    after = stored_plan(fhir, patient_id)
    assert len([r for r in after if r.startswith("Task/")]) == len(tasks) + 1

    mri_tasks = [
        fhir.read("Task", ref.split("/")[1])
        for ref in after
        if ref.startswith("Task/") and "mri-brain" in json.dumps(fhir.read("Task", ref[5:]))
    ]
    by_status = {t["status"]: t for t in mri_tasks}
    assert set(by_status) == {"completed", "requested"}
    outputs = [o["valueReference"]["reference"] for o in by_status["completed"]["output"]]
    assert outputs == [f"ImagingStudy/{new_mri['id']}"]

    fourth = update_patient_plan(fhir, patient_id, CONTEXT.on(AS_OF))
    assert not fourth.written
    assert stored_plan(fhir, patient_id) == after
