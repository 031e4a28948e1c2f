"""The synthetic cohort is deterministic, relative to as-of, and internally consistent."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta

from smart_app.synthetic import (
    RANDOM_DESCRIPTION,
    RANDOM_SCENARIO,
    SCENARIO_DESCRIPTIONS,
    SCENARIO_NAMES,
    SyntheticPatient,
    cohort,
    patient_id,
    scenario_description,
)

AS_OF = date(2026, 11, 24)


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object nested in ``node`` (depth first)."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


def dump(patients: list[SyntheticPatient]) -> str:
    return json.dumps(
        [[p.patient_id, p.scenario, p.resources, p.offline_only] for p in patients],
        sort_keys=True,
    )


def test_same_arguments_give_identical_json() -> None:
    assert dump(cohort(as_of=AS_OF)) == dump(cohort(as_of=AS_OF))


def test_default_cohort_is_the_scenarios_in_order() -> None:
    patients = cohort(as_of=AS_OF)
    assert [p.scenario for p in patients] == list(SCENARIO_NAMES)
    assert all(p.expected is not None for p in patients)


def test_fewer_patients_take_the_first_scenarios() -> None:
    first = cohort(as_of=AS_OF, patients=5)
    assert [p.scenario for p in first] == list(SCENARIO_NAMES[:5])
    assert dump(first) == dump(cohort(as_of=AS_OF)[:5])
    assert cohort(as_of=AS_OF, patients=0) == []


def test_negative_patient_count_is_refused() -> None:
    with pytest.raises(ValueError, match="patients"):
        cohort(as_of=AS_OF, patients=-1)


def test_more_patients_are_filled_with_seeded_random_ones() -> None:
    patients = cohort(as_of=AS_OF, patients=len(SCENARIO_NAMES) + 30)
    extra = patients[len(SCENARIO_NAMES) :]
    assert len(extra) == 30
    assert all(p.scenario == RANDOM_SCENARIO and p.expected is None for p in extra)
    # A larger cohort starts with the same patients (each draws from its own generator).
    bigger = cohort(as_of=AS_OF, patients=len(SCENARIO_NAMES) + 60)
    assert dump(bigger[: len(patients)]) == dump(patients)


def test_seed_changes_random_patients_but_not_scenarios() -> None:
    size = len(SCENARIO_NAMES) + 20
    one = cohort(as_of=AS_OF, patients=size, seed=1)
    two = cohort(as_of=AS_OF, patients=size, seed=2)
    scenarios = len(SCENARIO_NAMES)
    assert dump(one[:scenarios]) == dump(two[:scenarios])
    assert dump(one[scenarios:]) != dump(two[scenarios:])


def test_two_thousand_patients_are_deterministic() -> None:
    """Generated twice, the same 2,000 patients (the generation rate is printed by
    ``python -m bench.extraction``, never asserted: timings depend on the machine)."""
    first = cohort(as_of=AS_OF, patients=2000)
    assert len(first) == 2000
    assert dump(first) == dump(cohort(as_of=AS_OF, patients=2000))


def test_patient_ids_are_stable_alphanumeric_and_never_numeric() -> None:
    patients = cohort(as_of=AS_OF, patients=120)
    assert [p.patient_id for p in patients] == [patient_id(i) for i in range(120)]
    assert patients[0].patient_id == "msm-001"
    for p in patients:
        assert FHIR_ID.match(p.patient_id)
        assert not p.patient_id.isdigit()


def test_scenario_names_are_unique_kebab_case() -> None:
    assert len(set(SCENARIO_NAMES)) == len(SCENARIO_NAMES)
    assert all(KEBAB.match(name) for name in SCENARIO_NAMES)


def test_resource_ids_are_unique_valid_and_prefixed_by_the_patient() -> None:
    seen: set[tuple[str, str]] = set()
    for p in cohort(as_of=AS_OF, patients=400):
        for resource in [*p.resources, *p.offline_only]:
            key = (resource["resourceType"], resource["id"])
            assert key not in seen, key
            seen.add(key)
            assert FHIR_ID.match(resource["id"]), resource["id"]
            assert resource["id"] == p.patient_id or resource["id"].startswith(f"{p.patient_id}-")


def test_each_patient_has_exactly_one_patient_resource_first() -> None:
    for p in cohort(as_of=AS_OF, patients=200):
        patients = [r for r in p.resources if r["resourceType"] == "Patient"]
        assert len(patients) == 1
        assert p.resources[0] is patients[0]
        assert patients[0]["id"] == p.patient_id


def test_every_reference_resolves_inside_the_patients_resources() -> None:
    for p in cohort(as_of=AS_OF, patients=400):
        own = {f"{r['resourceType']}/{r['id']}" for r in [*p.resources, *p.offline_only]}
        references = [n["reference"] for n in walk(p.resources) if "reference" in n]
        assert f"Patient/{p.patient_id}" in references
        unresolved = [ref for ref in references if ref not in own]
        assert unresolved == [], (p.scenario, unresolved)


def test_dates_follow_as_of() -> None:
    """Scenario dates are relative: moving as-of by a year moves every date by a year."""
    later = AS_OF + relativedelta(years=1)
    for a, b in zip(cohort(as_of=AS_OF), cohort(as_of=later), strict=True):
        dates_a = ISO_DATE.findall(json.dumps([a.resources, a.offline_only]))
        dates_b = ISO_DATE.findall(json.dumps([b.resources, b.offline_only]))
        assert dates_a, a.scenario
        shifted = [(date.fromisoformat(d) + relativedelta(years=1)).isoformat() for d in dates_a]
        assert shifted == dates_b, a.scenario
        assert a.expected is not None
        assert b.expected is not None
        assert a.expected.status == b.expected.status


@pytest.mark.parametrize("as_of", [date(2024, 2, 29), date(2025, 3, 31), date(2026, 11, 24)])
def test_scenario_dates_are_never_after_as_of_unless_meant_to_be(as_of: date) -> None:
    for p in cohort(as_of=as_of):
        future = [
            value
            for node in walk(p.resources)
            for key, value in node.items()
            if key in {"effectiveDateTime", "started", "authoredOn", "onsetDateTime"}
            and date.fromisoformat(value) > as_of
        ]
        expected = p.expected
        assert expected is not None
        assert not future or "future-date" in expected.data_issues, (p.scenario, future)


def test_every_scenario_has_a_one_line_description() -> None:
    from smart_app.synthetic import SCENARIO_DESCRIPTIONS

    patients = cohort(as_of=date(2026, 11, 24))
    descriptions = [p.description for p in patients]
    assert set(SCENARIO_DESCRIPTIONS) == set(SCENARIO_NAMES)
    for patient in patients:
        assert patient.description == SCENARIO_DESCRIPTIONS[patient.scenario]
        assert 20 <= len(patient.description) <= 300, patient.scenario
        assert "\n" not in patient.description
    assert len(set(descriptions)) == len(descriptions)


@pytest.mark.parametrize(
    ("patient", "expected"),
    [
        ("msm-001", SCENARIO_DESCRIPTIONS[SCENARIO_NAMES[0]]),
        (patient_id(len(SCENARIO_NAMES) - 1), SCENARIO_DESCRIPTIONS[SCENARIO_NAMES[-1]]),
        (patient_id(len(SCENARIO_NAMES)), RANDOM_DESCRIPTION),
        ("msm-000", None),
        ("msm-1", None),
        ("Patient/msm-001", None),
        ("example", None),
    ],
)
def test_scenario_description_names_the_scenario_of_a_cohort_id(
    patient: str, expected: str | None
) -> None:
    assert scenario_description(patient) == expected


def test_every_cohort_patient_is_described_as_in_the_picker() -> None:
    for patient in cohort(as_of=date(2026, 11, 28), patients=len(SCENARIO_NAMES) + 2):
        assert patient.description
        assert scenario_description(patient.patient_id) == patient.description
