"""The profiles, loaded into the real HAPI FHIR 8.8.0, accept what ms-monitor reads and writes.

$validate (FHIR R4 resource-operation-validate) of: every committed example; every CarePlan and
Task the engine writes for the whole scenario cohort; every EDSS / MRI-findings Observation of
the cohort, where the profile must reject exactly the ones the engine reports as bad data. Plus
negative tests, so a profile that enforces nothing fails. Warnings are allowed only if
fhir_profiles/README.md lists them (the README's list is the observed list).
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from smart_app.conformance import (
    PROFILE_IDS,
    ValidationResult,
    load_conformance,
    profile_url,
    validate,
)
from smart_app.conformance.examples import observation_profile
from smart_app.domain import EvaluationContext, evaluate_patient, plan_transaction
from smart_app.fhir import FhirClient
from smart_app.synthetic import cohort

pytestmark = pytest.mark.integration

PROFILES = Path(__file__).resolve().parents[2] / "fhir_profiles"
AS_OF = date(2026, 1, 15)
#: Data issues that mean "this Observation breaks the profile" (future-date is a date problem
#: relative to the as-of date, not a property of the resource).
PROFILE_ISSUES = frozenset(
    {
        "edss-out-of-range",
        "edss-invalid-step",
        "missing-date",
        "unit-mismatch",
        # contract v2: an EDSS as text is read but doubted; one that is no number is unreadable
        "edss-as-text",
        "invalid-resource",
    }
)
SEEN_WARNINGS: set[str] = set()


@pytest.fixture(scope="module")
def server(fhir_base_url: str) -> FhirClient:
    client = FhirClient(fhir_base_url)
    loaded = load_conformance(client)
    assert "StructureDefinition/ms-monitoring-task" in loaded
    return client


def checked(client: FhirClient, resource: dict[str, Any], profile: str) -> ValidationResult:
    result = validate(client, resource, profile)
    SEEN_WARNINGS.update(normalise(w) for w in result.warnings)
    return result


def normalise(warning: str) -> str:
    """The message without its location (the README lists messages, not places)."""
    return warning.split(": ", 1)[1] if ": " in warning else warning


def example_paths() -> list[Path]:
    return sorted((PROFILES / "examples").glob("*.json"))


@pytest.mark.parametrize("path", example_paths(), ids=lambda p: p.stem)
def test_example_is_valid(server: FhirClient, path: Path) -> None:
    resource = json.loads(path.read_text("utf-8"))
    result = checked(server, resource, resource["meta"]["profile"][0])
    assert result.valid, result.errors


def test_every_plan_the_engine_writes_for_the_cohort_is_valid(server: FhirClient) -> None:
    failures: list[str] = []
    validated = 0
    for patient in cohort(as_of=AS_OF):
        report = evaluate_patient(patient.resources, EvaluationContext(AS_OF))
        changes = plan_transaction(report, [])
        for entry in (changes.bundle or {}).get("entry", []):
            resource = entry["resource"]
            profile = resource["meta"]["profile"][0]
            assert profile in {
                profile_url(PROFILE_IDS["careplan"]),
                profile_url(PROFILE_IDS["task"]),
            }
            result = checked(server, resource, profile)
            validated += 1
            failures.extend(
                f"{patient.patient_id} {resource['resourceType']}: {e}" for e in result.errors
            )
    assert not failures, "\n".join(failures)
    assert validated > 150


def test_cohort_observations_fail_the_profile_exactly_when_the_engine_flags_them(
    server: FhirClient,
) -> None:
    mismatches: list[str] = []
    rejected = accepted = 0
    for patient in cohort(as_of=AS_OF):
        report = evaluate_patient(patient.resources, EvaluationContext(AS_OF))
        flagged = {i.resource for i in report.data_issues if i.code in PROFILE_ISSUES}
        for resource in patient.resources:
            profile_id = observation_profile(resource)
            if resource.get("resourceType") != "Observation" or profile_id is None:
                continue
            result = checked(server, resource, profile_url(profile_id))
            ref = f"Observation/{resource['id']}"
            if result.valid == (ref in flagged):
                mismatches.append(f"{ref}: engine flagged={ref in flagged}, errors={result.errors}")
            rejected += not result.valid
            accepted += result.valid
    assert not mismatches, "\n".join(mismatches)
    assert rejected >= 4
    assert accepted > 150


def edss(value: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "273554001"}]},
        "subject": {"reference": "Patient/msm-001"},
        "effectiveDateTime": "2025-06-01",
        **value,
    }


def score(value: float) -> dict[str, Any]:
    return {"valueQuantity": {"value": value, "system": "http://unitsofmeasure.org", "code": "1"}}


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        (score(0), True),
        (score(0.5), True),
        (score(5.0), True),
        (score(10.0), True),
        ({"valueInteger": 3}, True),
        (score(2.3), False),
        (score(10.5), False),
        (score(-0.5), False),
        ({"valueInteger": 11}, False),
        (
            {"valueQuantity": {"value": 2, "system": "http://unitsofmeasure.org", "code": "cm"}},
            False,
        ),
        ({"valueString": "2.0"}, False),
    ],
)
def test_edss_value_rules(server: FhirClient, value: dict[str, Any], valid: bool) -> None:
    result = checked(server, edss(value), profile_url(PROFILE_IDS["edss"]))
    assert result.valid == valid, result.errors


def test_edss_with_a_code_outside_the_value_set_is_rejected(server: FhirClient) -> None:
    resource = edss(score(2.0))
    resource["code"] = {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]}
    assert not checked(server, resource, profile_url(PROFILE_IDS["edss"])).valid


def example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PROFILES / "examples" / name).read_text("utf-8"))
    return data


@pytest.mark.parametrize(
    ("remove", "element"),
    [("for", "Task.for"), ("restriction", "Task.restriction"), ("basedOn", "Task.basedOn"),
     ("identifier", "Task.identifier")],
)  # fmt: skip
def test_task_missing_a_required_element_is_an_error(
    server: FhirClient, remove: str, element: str
) -> None:
    task = example("Task-msm-010-mri-brain.json")
    del task[remove]
    result = checked(server, task, profile_url(PROFILE_IDS["task"]))
    assert any(element in e for e in result.errors), result.errors


def test_task_with_a_code_outside_the_action_code_system_is_an_error(server: FhirClient) -> None:
    task = example("Task-msm-010-mri-brain.json")
    task["code"]["coding"][0]["code"] = "order-ahsct"
    assert not checked(server, task, profile_url(PROFILE_IDS["task"])).valid


def test_careplan_of_another_plan_definition_is_an_error(server: FhirClient) -> None:
    careplan = example("CarePlan-msm-010-benign-ms-monitoring.json")
    careplan["instantiatesCanonical"] = ["http://example.org/fhir/PlanDefinition/other"]
    result = checked(server, careplan, profile_url(PROFILE_IDS["careplan"]))
    assert not result.valid


def test_warnings_are_the_documented_ones(server: FhirClient) -> None:
    """Every distinct warning seen in this module (run last: all of them) is in the README."""
    for path in example_paths():
        resource = json.loads(path.read_text("utf-8"))
        checked(server, resource, resource["meta"]["profile"][0])
    readme = (PROFILES / "README.md").read_text("utf-8")
    assert SEEN_WARNINGS
    undocumented = sorted(w for w in SEEN_WARNINGS if re.sub(r"\s+", " ", w) not in readme)
    assert not undocumented, "add these to fhir_profiles/README.md:\n" + "\n".join(undocumented)
