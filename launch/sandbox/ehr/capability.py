"""The CapabilityStatement an emulated EHR serves at ``/metadata``, made from its profile table.

So what a vendor says it offers and what the sandbox does are one fact
(https://hl7.org/fhir/R4/capabilitystatement.html; SMART's ``oauth-uris`` extension:
https://hl7.org/fhir/smart-app-launch/conformance.html#using-cs). Batch is declared where the
vendor declares it, also when it refuses most of it (Oracle): apps must survive the refusal.
"""

from __future__ import annotations

from typing import Any

from launch.sandbox.ehr.profile import EhrProfile

PARAM_TYPES = {
    "patient": "reference",
    "subject": "reference",
    "target": "reference",
    "date": "date",
    "birthdate": "date",
    "_lastUpdated": "date",
    "name": "string",
    "family": "string",
}
OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
#: Canonical definitions of the operations a profile may declare (Bulk Data 2.0).
OPERATION_DEFINITIONS = {
    ("Group", "export"): "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export",
    ("Patient", "export"): "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export",
}


def capability_statement(
    profile: EhrProfile, *, fhir_base: str, issuer: str, date: str
) -> dict[str, Any]:
    """The profile's CapabilityStatement (FHIR R4, JSON and XML, SMART security)."""
    resources = []
    for rtype in sorted(profile.types):
        rule = profile.types[rtype]
        entry: dict[str, Any] = {
            "type": rtype,
            "interaction": [{"code": code} for code in sorted(rule.interactions)],
            "conditionalCreate": False,
            "conditionalUpdate": False,
            "conditionalDelete": "not-supported",
        }
        params = [p for p in rule.search_params if p != "_include"]
        if "search-type" in rule.interactions and params:
            entry["searchParam"] = [
                {"name": p, "type": PARAM_TYPES.get(p, "token")} for p in params
            ]
        if rule.operations:
            entry["operation"] = [
                {"name": op, "definition": OPERATION_DEFINITIONS[(rtype, op)]}
                for op in rule.operations
            ]
        if rtype == "MedicationRequest" and "Medication" in profile.types:
            entry["searchInclude"] = ["MedicationRequest:medication"]
        resources.append(entry)
    rest: dict[str, Any] = {
        "mode": "server",
        "security": {
            "extension": [
                {
                    "url": OAUTH_URIS,
                    "extension": [
                        {"url": "authorize", "valueUri": f"{issuer}/authorize"},
                        {"url": "token", "valueUri": f"{issuer}/token"},
                    ],
                }
            ],
            "service": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                            "code": "SMART-on-FHIR",
                        }
                    ]
                }
            ],
        },
        "resource": resources,
    }
    if profile.batch in ("all", "restricted"):
        rest["interaction"] = [{"code": "batch"}]
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "kind": "instance",
        "software": {"name": profile.software},
        "implementation": {"description": profile.title, "url": fhir_base},
        "fhirVersion": "4.0.1",
        "format": ["json", "xml"] if profile.xml_without_accept else ["json"],
        "rest": [rest],
    }
