"""``ms-monitor run`` against the real HAPI server: 200 patients, searched and bulk, idempotent."""

from __future__ import annotations

import json
import uuid
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from smart_app.cli import main
from smart_app.domain import EvaluationContext, load_terminology
from smart_app.fhir import FhirClient
from smart_app.fhir.population_search import ms_patient_ids
from smart_app.fhir.server_profile import ServerProfiles
from smart_app.jobs.population_run import run_bulk, run_searched
from smart_app.synthetic import cohort, transaction_bundle

pytestmark = pytest.mark.integration

AS_OF = date(2026, 11, 24)
CONTEXT = EvaluationContext(date.today())
POPULATION = 200


def seed_prefixed_population(fhir: FhirClient, size: int) -> tuple[str, list[str]]:
    """The synthetic cohort under a fresh id prefix (other tests use msm-001...), plus a Group."""
    prefix = f"pop{uuid.uuid4().hex[:6]}-"
    members = cohort(as_of=AS_OF, patients=size)
    for start in range(0, size, 20):
        text = json.dumps(transaction_bundle(members[start : start + 20]))
        fhir.transaction(
            json.loads(text.replace('"msm-', f'"{prefix}').replace("/msm-", f"/{prefix}"))
        )
    ids = [m.patient_id.replace("msm-", prefix) for m in members]
    group_id = f"{prefix}group"
    fhir.update(
        {
            "resourceType": "Group",
            "id": group_id,
            "type": "person",
            "actual": True,
            "member": [{"entity": {"reference": f"Patient/{pid}"}} for pid in ids],
        }
    )
    return group_id, ids


def careplan_count(fhir: FhirClient) -> int:
    page = next(
        fhir.search_pages(
            "CarePlan",
            {"identifier": f"{CONTEXT.canonical_base}/careplan-id|", "_summary": "count"},
        )
    )
    return int(page["total"])


def test_population_run_writes_once_then_nothing_searched_and_bulk(
    fhir: FhirClient, fhir_base_url: str, tmp_path: Path
) -> None:
    group_id, ids = seed_prefixed_population(fhir, POPULATION)
    plans_before = careplan_count(fhir)

    first = CliRunner().invoke(
        main,
        [
            "run",
            "--fhir-base",
            fhir_base_url,
            "--group",
            group_id,
            "--as-of",
            AS_OF.isoformat(),
            "--concurrency",
            "4",
        ],
    )
    assert first.exit_code == 0, first.output
    assert "patients evaluated" in first.output
    created = careplan_count(fhir) - plans_before
    assert created >= POPULATION * 0.9, "nearly every cohort patient gets a plan"

    second = run_searched(
        fhir,
        patients=(),
        group_id=group_id,
        context=CONTEXT.on(AS_OF),
        dry_run=False,
        concurrency=4,
        show_progress=False,
    )
    assert second.errors == []
    assert second.evaluated == POPULATION
    assert second.written == 0
    assert (second.plans_created, second.tasks_created, second.tasks_cancelled) == (0, 0, 0)
    assert second.plans_unchanged == POPULATION
    assert careplan_count(fhir) - plans_before == created

    bulk = run_bulk(
        fhir,
        group_id=group_id,
        context=CONTEXT.on(AS_OF),
        dry_run=False,
        concurrency=4,
        work_dir=tmp_path,
        show_progress=False,
    )
    assert bulk.errors == []
    ms_codes = load_terminology(CONTEXT.canonical_base).ms_diagnosis
    with_ms_ids = {
        pid
        for pid, m in zip(ids, cohort(as_of=AS_OF, patients=POPULATION), strict=True)
        if any(
            (c.get("system"), c.get("code")) in ms_codes
            for r in m.resources
            if r["resourceType"] == "Condition"
            for c in r["code"].get("coding", [])
        )
    }
    with_ms = len(with_ms_ids)
    assert with_ms < POPULATION, "the cohort has a patient without MS: bulk must leave it out"
    assert bulk.evaluated == with_ms, "every MS patient of the Group came through $export"
    assert bulk.written == 0, "the bulk path evaluates exactly as the searched path"

    hapi = ServerProfiles().profile_for(fhir, None)
    ms_codes_all = load_terminology(CONTEXT.canonical_base).ms_diagnosis
    everyone = set(ms_patient_ids(fhir, ms_codes_all, hapi))
    assert with_ms_ids <= everyone
    assert not (set(ids) - with_ms_ids) & everyone, "patients without MS are not searched"


def test_one_failing_patient_does_not_stop_the_run_and_exits_1(
    fhir: FhirClient, fhir_base_url: str
) -> None:
    _, ids = seed_prefixed_population(fhir, 3)
    result = CliRunner().invoke(
        main,
        [
            "run",
            "--fhir-base",
            fhir_base_url,
            "--patient",
            ids[0],
            "--patient",
            "no-such-pt-x1",
            "--patient",
            ids[1],
            "--as-of",
            AS_OF.isoformat(),
            "--dry-run",
        ],
    )
    assert result.exit_code == 1
    assert "no-such-pt-x1" in result.output
    lines = {
        line.split("  ")[0].strip(): line.split()[-1]
        for line in result.output.splitlines()
        if line.startswith(("patients evaluated", "errors", "transactions written"))
    }
    assert lines == {"patients evaluated": "2", "errors": "1", "transactions written": "0"}
