"""The conformance resources of ``fhir_profiles/resources`` as one transaction Bundle.

Every resource is PUT by id, so loading is idempotent and an EHR or FHIR server ends up with
exactly these versions (FHIR R4 http.html#transaction). CodeSystems and ValueSets come first,
then StructureDefinitions, then the computable protocol (ActivityDefinition, PlanDefinition):
servers that check references on write see the referenced resources first.
"""

from __future__ import annotations

import json
from typing import Any

from smart_app.domain.terminology import DEFAULT_CANONICAL_BASE, profiles_dir
from smart_app.fhir import FhirClient

JsonDict = dict[str, Any]
LOAD_ORDER = (
    "CodeSystem",
    "ValueSet",
    "StructureDefinition",
    "ActivityDefinition",
    "PlanDefinition",
)
#: What each profile is for -> its StructureDefinition id.
PROFILE_IDS = {
    "edss": "ms-edss-observation",
    "mri-finding": "ms-mri-finding-observation",
    "careplan": "ms-monitoring-careplan",
    "task": "ms-monitoring-task",
}


def profile_url(profile_id: str, canonical_base: str = DEFAULT_CANONICAL_BASE) -> str:
    """The canonical URL of one of the project's StructureDefinitions."""
    return f"{canonical_base.rstrip('/')}/StructureDefinition/{profile_id}"


def conformance_resources() -> list[JsonDict]:
    """All conformance resources, in load order (type, then id)."""
    folder = profiles_dir() / "resources"
    found: list[JsonDict] = [
        json.loads(entry.read_text("utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    ]
    return sorted(found, key=lambda r: (LOAD_ORDER.index(r["resourceType"]), r["id"]))


def conformance_bundle() -> JsonDict:
    """A transaction Bundle that PUTs every conformance resource by id."""
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": resource["url"],
                "resource": resource,
                "request": {"method": "PUT", "url": f"{resource['resourceType']}/{resource['id']}"},
            }
            for resource in conformance_resources()
        ],
    }


def load_conformance(client: FhirClient) -> list[str]:
    """PUT the profiles, terminology and protocol into the server; returns ``Type/id`` loaded."""
    bundle = conformance_bundle()
    client.transaction(bundle)
    return [entry["request"]["url"] for entry in bundle["entry"]]
