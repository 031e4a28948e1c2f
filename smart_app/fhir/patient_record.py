"""Read everything the engine needs about one patient in one batch request.

Product target: a launch reads in at most two requests (one batch, plus page follow-ups only when a
search has more than one page). https://hl7.org/fhir/R4/http.html#transaction (batch)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from smart_app.fhir.client import FhirClient, bundle_resources, next_link

#: Resource searches the engine reads, by patient. ``_count`` is high so that one page is usual.
CLINICAL_SEARCHES: tuple[str, ...] = (
    "Condition?patient={id}&_count=500",
    "Observation?patient={id}&_count=1000",
    "ImagingStudy?patient={id}&_count=500",
    "MedicationRequest?patient={id}&_count=500",
    "MedicationStatement?patient={id}&_count=500",
    "MedicationAdministration?patient={id}&_count=1000",
    "DiagnosticReport?patient={id}&_count=500",
)


@dataclass(frozen=True, slots=True)
class PatientRecord:
    """The clinical resources of one patient, and the plan ms-monitor wrote earlier."""

    patient_id: str
    resources: tuple[dict[str, Any], ...]
    existing_plan: tuple[dict[str, Any], ...]


def plan_searches(canonical_base: str) -> tuple[str, ...]:
    """Searches for our own CarePlan and Tasks, found by the system of their business identifier."""
    return (
        f"CarePlan?patient={{id}}&identifier={canonical_base}/careplan-id|&_count=100",
        f"Task?patient={{id}}&identifier={canonical_base}/task-id|&_count=500",
    )


def read_patient_record(
    client: FhirClient, patient_id: str, *, canonical_base: str
) -> PatientRecord:
    """One batch with the Patient, the clinical searches and our plan; then any further pages."""
    clinical = [url.format(id=patient_id) for url in CLINICAL_SEARCHES]
    plan = [url.format(id=patient_id) for url in plan_searches(canonical_base)]
    answers = client.batch_get([f"Patient/{patient_id}", *clinical, *plan])
    patient, clinical_pages, plan_pages = answers[0], answers[1 : 1 + len(clinical)], answers[-2:]
    resources = [patient, *_all_pages(client, clinical_pages)]
    existing = _all_pages(client, plan_pages)
    return PatientRecord(patient_id, tuple(resources), tuple(existing))


def _all_pages(client: FhirClient, first_pages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for page in first_pages:
        found.extend(bundle_resources(page))
        url = next_link(page)
        while url is not None:
            more = client.page(url)
            found.extend(bundle_resources(more))
            url = next_link(more)
    return found
