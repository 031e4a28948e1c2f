"""FHIR Bundles of the synthetic cohort: a transaction to seed a server, a collection to evaluate.

``PUT Type/id`` entries make seeding idempotent (FHIR R4 3.1.0.11 "update as create"): loading the
cohort twice creates no duplicates. https://hl7.org/fhir/R4/http.html#transaction
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from smart_app.synthetic.model import Resource, SyntheticPatient

FULL_URL_BASE = "http://example.org/fhir"
"""Base of the ``fullUrl`` in collection Bundles, so relative references resolve in the Bundle."""


def transaction_bundle(patients: Iterable[SyntheticPatient]) -> dict[str, Any]:
    """A transaction Bundle of every server-loadable resource (never ``offline_only`` ones)."""
    entries = [
        {
            "resource": resource,
            "request": {"method": "PUT", "url": f"{resource['resourceType']}/{resource['id']}"},
        }
        for patient in patients
        for resource in patient.resources
    ]
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def collection_bundle(patient: SyntheticPatient) -> dict[str, Any]:
    """A collection Bundle of one patient, as a user would pass it to ``ms-monitor evaluate``.

    It also holds the patient's ``offline_only`` resources (the deliberately invalid one).
    """
    resources: list[Resource] = [*patient.resources, *patient.offline_only]
    entries = [
        {"fullUrl": f"{FULL_URL_BASE}/{r['resourceType']}/{r['id']}", "resource": r}
        for r in resources
    ]
    return {
        "resourceType": "Bundle",
        "id": f"{patient.patient_id}-collection",
        "type": "collection",
        "entry": entries,
    }
