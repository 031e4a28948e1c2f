"""``ms-monitor run --auth backend`` through the sandbox as Epic, Oracle Health and HAPI.

Real HTTP all the way: the sandbox (Backend Services token, scope-checking proxy, vendor
emulation) in front of the EHR's HAPI, and ms-monitor's plan store (a second HAPI). What the run
summary says landed where is checked against both databases.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner, Result

from smart_app.cli import main
from tests.ehr.ehr_helpers import MSOBS, SNOMED, write_chart
from tests.writeback.writeback_helpers import (
    RunningEhr,
    ehr_notes,
    our_plan_in,
    running_ehr,
    store_link,
    store_snapshot,
)

pytestmark = pytest.mark.integration

SANDBOX = Path(__file__).resolve().parents[2] / "launch" / "sandbox"


def backend_env(plan_store_url: str, **extra: str) -> dict[str, str]:
    clients = json.loads((SANDBOX / "clients.json").read_text())["clients"]
    backend = next(c for c in clients if c["client_id"] == "ms-monitor-backend")
    kid = next(k["kid"] for k in backend["jwks"]["keys"] if k["alg"] == "RS384")
    return {
        "MS_MONITOR_BACKEND_CLIENT_ID": "ms-monitor-backend",
        "MS_MONITOR_BACKEND_PRIVATE_KEY_FILE": str(
            SANDBOX / "keys" / "sandbox-test-only-ms-monitor-backend-rs384.pem"
        ),
        "MS_MONITOR_BACKEND_KEY_ID": kid,
        "MS_MONITOR_PLAN_STORE_URL": plan_store_url,
        **extra,
    }


def run(ehr: RunningEhr, patient: str, env: dict[str, str]) -> Result:
    args = ["run", "--fhir-base", ehr.fhir, "--patient", patient, "--auth", "backend"]
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 0, result.output + result.stderr
    return result


def summary(result: Result) -> dict[str, str]:
    rows = {}
    for line in result.stdout.splitlines():
        name, _, value = line.rpartition("  ")
        if name.strip():
            rows[name.strip()] = value.strip()
    return rows


def add_jcv_result(fhir_base_url: str, patient: str, day: str) -> None:
    """A new JCV antibody result in the chart (the record changed; every vendor serves labs)."""
    observation = {
        "resourceType": "Observation",
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "laboratory",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": MSOBS, "code": "jcv-antibody"}]},
        "subject": {"reference": f"Patient/{patient}"},
        "effectiveDateTime": day,
        "valueCodeableConcept": {"coding": [{"system": SNOMED, "code": "260385009"}]},
    }
    answer = requests.post(
        f"{fhir_base_url}/Observation",
        json=observation,
        headers={"Content-Type": "application/fhir+json"},
        timeout=60,
    )
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize("ehr_name", ["epic", "oracle"])
def test_run_on_an_ehr_that_refuses_the_plan_keeps_it_in_the_store_with_one_note(
    ehr_name: str, fhir_base_url: str, plan_store_url: str
) -> None:
    patient = write_chart(fhir_base_url)
    with running_ehr(fhir_base_url, ehr_name) as ehr:
        env = backend_env(plan_store_url)
        first = run(ehr, patient, env)
        rows = summary(first)
        assert rows["plans written to plan-store"] == "1"
        assert rows["EHR notes written"] == "1"
        assert "kept in ms-monitor's plan store" in first.stderr
        link = store_link(plan_store_url, ehr.fhir, patient)
        kept = store_snapshot(plan_store_url, link)
        kinds = {ref.split("/")[0] for ref in kept}
        assert {"CarePlan", "Task", "Provenance", "Basic"} <= kinds
        assert our_plan_in(fhir_base_url, patient) == []  # nothing of the plan in the EHR
        assert len(ehr_notes(fhir_base_url, patient)) == 1
        # the store's Provenance names the clinician-less run as the app, never a dangling ref
        provenances = [r for r in kept if r.startswith("Provenance/")]
        assert len(provenances) == 1

        second = run(ehr, patient, env)
        rows = summary(second)
        assert "plans written to plan-store" not in rows
        assert rows["EHR notes already"] == "1"
        assert store_snapshot(plan_store_url, link) == kept  # 0 new resources, 0 new versions
        assert len(ehr_notes(fhir_base_url, patient)) == 1  # 0 new notes

        add_jcv_result(fhir_base_url, patient, "2026-09-01")
        third = run(ehr, patient, env)
        assert summary(third)["EHR notes written"] == "1"
        assert len(ehr_notes(fhir_base_url, patient)) == 2  # one new note for the change
        assert ehr.state.foreign_writes == []


def test_run_on_hapi_writes_the_plan_into_the_ehr_and_no_note(
    fhir_base_url: str, plan_store_url: str
) -> None:
    patient = write_chart(fhir_base_url)
    with running_ehr(fhir_base_url, "hapi") as ehr:
        result = run(ehr, patient, backend_env(plan_store_url))
        rows = summary(result)
        assert rows["plans written to ehr"] == "1"
        assert not any(name.startswith("EHR notes") for name in rows)
        assert our_plan_in(fhir_base_url, patient)
        assert ehr_notes(fhir_base_url, patient) == []


def test_a_timeout_after_the_ehr_committed_the_note_leaves_exactly_one_note(
    fhir_base_url: str, plan_store_url: str
) -> None:
    patient = write_chart(fhir_base_url)
    with running_ehr(fhir_base_url, "oracle") as ehr:
        ehr.state.stall_after_write["DocumentReference"] = 1
        ehr.state.stall_seconds = 8.0
        env = backend_env(plan_store_url, MS_MONITOR_HTTP_TIMEOUT_SECONDS="3")
        rows = summary(run(ehr, patient, env))
        assert rows["EHR notes recovered"] == "1"
        assert len(ehr_notes(fhir_base_url, patient)) == 1
        again = summary(run(ehr, patient, env))
        assert again["EHR notes already"] == "1"
        assert len(ehr_notes(fhir_base_url, patient)) == 1


def test_the_queue_worker_job_uses_the_same_targets(
    fhir_base_url: str, plan_store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The RQ job (smart_app.jobs.queue.update_patient) on Epic: the plan store is kept current
    and the note is written once; a replayed job writes nothing new."""
    from smart_app.jobs.queue import update_patient

    patient = write_chart(fhir_base_url)
    for name, value in backend_env(plan_store_url).items():
        monkeypatch.setenv(name, value)
    with running_ehr(fhir_base_url, "epic") as ehr:
        first = update_patient(ehr.fhir, patient, "backend", 0.0, "ms-monitor:pending:test")
        assert first["target"] == "plan-store"
        assert first["note"] == "written"
        assert first["written"] is True
        link = store_link(plan_store_url, ehr.fhir, patient)
        kept = store_snapshot(plan_store_url, link)
        replay = update_patient(ehr.fhir, patient, "backend", 0.0, "ms-monitor:pending:test")
        assert replay["note"] == "already"
        assert replay["written"] is False
        assert store_snapshot(plan_store_url, link) == kept
        assert len(ehr_notes(fhir_base_url, patient)) == 1
        assert our_plan_in(fhir_base_url, patient) == []
