"""Every synthetic resource a server receives is valid FHIR R4 (checked with fhir.resources R4B).

"Invalid" data in the cohort is clinically invalid (EDSS 12, EDSS 2.3, wrong units), never schema
invalid, because a real HAPI server must load the transaction Bundle. The single schema-invalid
resource is offline-only.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from smart_app.synthetic import SCENARIO_NAMES, cohort, collection_bundle, transaction_bundle

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


# Statuses HAPI accepts for each resource type we write (R4 required bindings).
STATUS_CODES = {
    "Observation": {"final", "amended", "corrected", "preliminary", "entered-in-error"},
    "ImagingStudy": {"available", "registered", "cancelled", "entered-in-error"},
    "MedicationRequest": {"active", "completed", "stopped", "on-hold", "entered-in-error"},
    "MedicationStatement": {"active", "completed", "stopped", "intended", "entered-in-error"},
}


def validate(resource: dict[str, Any]) -> None:
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)


@pytest.fixture(scope="module")
def patients_with_random() -> list[Any]:
    return cohort(as_of=AS_OF, patients=len(SCENARIO_NAMES) + 300)


def test_every_transaction_resource_is_valid_r4(patients_with_random: list[Any]) -> None:
    bundle = transaction_bundle(patients_with_random)
    assert len(bundle["entry"]) == sum(len(p.resources) for p in patients_with_random)
    for entry in bundle["entry"]:
        validate(entry["resource"])


def test_transaction_bundle_puts_each_resource_at_its_own_id() -> None:
    patients = cohort(as_of=AS_OF)
    bundle = transaction_bundle(patients)
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "transaction"
    urls = [e["request"]["url"] for e in bundle["entry"]]
    assert len(urls) == len(set(urls))
    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert entry["request"] == {
            "method": "PUT",
            "url": f"{resource['resourceType']}/{resource['id']}",
        }
    get_fhir_model_class("Bundle").model_validate(bundle)


def test_offline_only_resources_never_reach_the_transaction() -> None:
    patients = cohort(as_of=AS_OF)
    offline = [r for p in patients for r in p.offline_only]
    assert len(offline) == 1
    ids = {e["resource"]["id"] for e in transaction_bundle(patients)["entry"]}
    assert offline[0]["id"] not in ids


def test_the_offline_only_resource_really_is_schema_invalid() -> None:
    (invalid,) = [r for p in cohort(as_of=AS_OF) for r in p.offline_only]
    with pytest.raises(ValidationError):
        validate(invalid)


def test_collection_bundle_holds_the_patient_and_the_offline_resources() -> None:
    patients = cohort(as_of=AS_OF)
    for patient in patients:
        bundle = collection_bundle(patient)
        assert bundle["type"] == "collection"
        resources = [e["resource"] for e in bundle["entry"]]
        assert resources == [*patient.resources, *patient.offline_only]
        full_urls = [e["fullUrl"] for e in bundle["entry"]]
        assert len(set(full_urls)) == len(full_urls)
        if not patient.offline_only:
            get_fhir_model_class("Bundle").model_validate(bundle)


def test_extensions_have_urls_and_statuses_are_valid_codes(
    patients_with_random: list[Any],
) -> None:
    extensions = 0
    for patient in patients_with_random:
        for resource in patient.resources:
            for node in walk(resource):
                for extension in node.get("extension", []):
                    extensions += 1
                    assert extension["url"].startswith("http")
            allowed = STATUS_CODES.get(resource["resourceType"])
            if allowed is not None:
                assert resource["status"] in allowed, resource["id"]
    assert extensions > 0


def test_entered_in_error_conditions_carry_no_clinical_status() -> None:
    """FHIR invariant con-5: no clinicalStatus when verificationStatus is entered-in-error."""
    found = 0
    for patient in cohort(as_of=AS_OF):
        for resource in patient.resources:
            if resource["resourceType"] != "Condition":
                continue
            verification = resource["verificationStatus"]["coding"][0]["code"]
            if verification == "entered-in-error":
                found += 1
                assert "clinicalStatus" not in resource
            else:
                assert "clinicalStatus" in resource  # con-3 (problem-list items)
    assert found >= 2


def test_every_resource_is_labelled_as_test_data(patients_with_random: list[Any]) -> None:
    for patient in patients_with_random:
        for resource in patient.resources:
            security = {c["code"] for c in resource["meta"]["security"]}
            assert "HTEST" in security
