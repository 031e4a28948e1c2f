"""HTTP edge cases of the population search, mocked at the transport with ``responses``: a server
that says no to ``Condition?code`` (without a patient) in a 200 searchset of OperationOutcome
entries, as Epic answers what it will not do. The refusals by status run against the sandbox's
Epic and Oracle Health in tests/ehr/test_population_on_vendors.py."""

from __future__ import annotations

from typing import Any

import pytest
import responses

from smart_app.fhir import FhirClient
from smart_app.fhir.population_search import PopulationUnavailable, ms_patient_ids
from smart_app.fhir.server_profile import ServerProfiles, decide_profile

BASE = "https://ehr.example.org/fhir"
MS = [("http://snomed.info/sct", "24700007")]
STATEMENT = {
    "rest": [
        {
            "mode": "server",
            "resource": [
                {
                    "type": "Condition",
                    "interaction": [{"code": "search-type"}],
                    "searchParam": [{"name": "patient"}, {"name": "code"}],
                }
            ],
        }
    ]
}


def outcome_entry(severity: str, text: str) -> dict[str, Any]:
    issue = {"severity": severity, "code": "processing", "diagnostics": text}
    return {
        "resource": {"resourceType": "OperationOutcome", "issue": [issue]},
        "search": {"mode": "outcome"},
    }


def condition_entry(patient: str) -> dict[str, Any]:
    return {
        "resource": {"resourceType": "Condition", "subject": {"reference": f"Patient/{patient}"}},
        "search": {"mode": "match"},
    }


def answer(*entries: dict[str, Any]) -> None:
    bundle = {"resourceType": "Bundle", "type": "searchset", "entry": list(entries)}
    responses.add(responses.GET, f"{BASE}/Condition", json=bundle)


@responses.activate
def test_a_200_of_error_outcomes_is_a_refusal_remembered() -> None:
    answer(outcome_entry("error", "A required element is missing: patient."))
    profiles = ServerProfiles()
    profile = decide_profile(BASE, STATEMENT, None, None)
    with pytest.raises(PopulationUnavailable) as raised:
        ms_patient_ids(FhirClient(BASE), MS, profile, profiles)
    assert "refused Condition?code without a patient (200, A required element is missing" in str(
        raised.value
    )
    assert "--patient ID" in str(raised.value)
    assert profiles.refusals(BASE) == frozenset({"Condition?code"})


@responses.activate
def test_information_outcomes_are_no_refusal() -> None:
    answer(outcome_entry("information", "No resources found."))
    answer(
        condition_entry("p-1"),
        outcome_entry("information", "Parameter _elements was ignored."),
        condition_entry("p-1"),
        condition_entry("p-2"),
    )
    profile = decide_profile(BASE, STATEMENT, None, None)
    assert ms_patient_ids(FhirClient(BASE), MS, profile) == []  # an empty population is one
    assert ms_patient_ids(FhirClient(BASE), MS, profile) == ["p-1", "p-2"]


@responses.activate
def test_patients_found_next_to_an_error_outcome_are_kept() -> None:
    """A partial answer (one category not authorized) still lists the patients it found."""
    answer(condition_entry("p-3"), outcome_entry("error", "Not authorized for this category."))
    profile = decide_profile(BASE, STATEMENT, None, None)
    assert ms_patient_ids(FhirClient(BASE), MS, profile) == ["p-3"]
