"""The cohort in a vendor's shapes: HAPI's resources as that vendor's charts would hold them.

Pure functions over JSON dicts. EDSS becomes a flowsheet-coded Observation (Epic), MR
ImagingStudies become radiology DiagnosticReports (id ``rad-{study id}``), MedicationStatements
become patient-reported MedicationRequests (id ``ms-{statement id}``; no vendor serves
MedicationStatement in R4), medications are served by reference to a Medication (id
``rxnorm-{code}`` or ``text-{digest}``), and Epic charts hold another app's CarePlan and Task.
"""

from __future__ import annotations

import hashlib
from typing import Any

from launch.sandbox.ehr import codes
from launch.sandbox.ehr.profile import Shapes

Resource = dict[str, Any]

#: Codes that mean EDSS in the cohort (SNOMED and the project's ms-observation code).
EDSS_CODES = frozenset(
    {
        ("http://snomed.info/sct", "273554001"),
        ("http://example.org/fhir/ms-monitor/CodeSystem/ms-observation", "edss"),
    }
)
BRAIN_SITES = frozenset({"12738006", "69536005"})
#: CPT codes a radiology report carries when its study had only a body site (brain; other MR).
CPT_BRAIN_MRI = (codes.CPT, "70551", "MRI brain without contrast")
CPT_LOWER_EXTREMITY_JOINT_MRI = (codes.CPT, "73721", "MRI joint of lower extremity")
FOREIGN_APP_CANONICAL = "http://other-app.example/fhir"
MS_MONITOR_CANONICAL = "http://example.org/fhir/ms-monitor"

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
REPORT_PREFIX = "rad-"
STATEMENT_PREFIX = "ms-"
FOREIGN_PREFIX = "other-app-"


def _codings(concept: Any) -> list[dict[str, Any]]:
    if not isinstance(concept, dict):
        return []
    return [c for c in concept.get("coding") or [] if isinstance(c, dict)]


def _coding(triple: tuple[str, str, str]) -> dict[str, str]:
    return {"system": triple[0], "code": triple[1], "display": triple[2]}


def category_codes(resource: Resource) -> set[str]:
    return {str(c.get("code")) for cat in resource.get("category") or [] for c in _codings(cat)}


def is_edss(resource: Resource) -> bool:
    return any(
        (c.get("system"), c.get("code")) in EDSS_CODES for c in _codings(resource.get("code"))
    )


def observation(shapes: Shapes, resource: Resource) -> Resource | None:
    """An Observation as the vendor serves it; None when the vendor does not expose it."""
    found = dict(resource)
    if shapes.edss_coding is not None and is_edss(found):
        found["code"] = {"coding": [_coding(shapes.edss_coding)], "text": shapes.edss_coding[2]}
        found["category"] = [
            {"coding": [{"system": codes.OBSERVATION_CATEGORY, "code": shapes.edss_category}]}
        ]
    allowed = shapes.observation_categories
    if allowed is not None and not category_codes(found) & allowed:
        return None
    if shapes.mri_as_report and found.get("derivedFrom"):
        found["derivedFrom"] = [_study_to_report_ref(ref) for ref in found["derivedFrom"]]
    return found


def _study_to_report_ref(ref: Any) -> Any:
    if isinstance(ref, dict) and str(ref.get("reference", "")).startswith("ImagingStudy/"):
        study_id = str(ref["reference"]).split("/", 1)[1]
        return {**ref, "reference": f"DiagnosticReport/{REPORT_PREFIX}{study_id}"}
    return ref


def report_from_study(shapes: Shapes, study: Resource, results: list[str]) -> Resource:
    """A radiology DiagnosticReport for an MR ImagingStudy (its lesion counts as ``result``)."""
    status = {
        "available": "final",
        "cancelled": "cancelled",
        "entered-in-error": "entered-in-error",
    }
    codings = [c for concept in study.get("procedureCode") or [] for c in _codings(concept)]
    if not codings:
        sites = {
            str((s.get("bodySite") or {}).get("code"))
            for s in study.get("series") or []
            if isinstance(s, dict)
        }
        fallback = CPT_BRAIN_MRI if sites & BRAIN_SITES else CPT_LOWER_EXTREMITY_JOINT_MRI
        codings = [_coding(fallback)]
    report: Resource = {
        "resourceType": "DiagnosticReport",
        "id": f"{REPORT_PREFIX}{study['id']}",
        "status": status.get(str(study.get("status")), "preliminary"),
        "category": [{"coding": [_coding(c)]} for c in shapes.report_categories],
        "code": {"coding": codings, "text": codings[0].get("display") or "MRI"},
        "subject": study.get("subject"),
        "conclusion": "Radiology report (narrative; see the signed report).",
    }
    if study.get("started"):
        report["effectiveDateTime"] = study["started"]
        report["issued"] = _instant(str(study["started"]))
    if results:
        report["result"] = [{"reference": ref} for ref in results]
    return report


def _instant(value: str) -> str:
    return value if "T" in value else f"{value}T12:00:00Z"


def medication_id(concept: dict[str, Any]) -> str:
    for coding in _codings(concept):
        if coding.get("system") == RXNORM:
            return f"rxnorm-{coding.get('code')}"
    digest = hashlib.sha256(str(concept.get("text", "")).encode()).hexdigest()[:12]
    return f"text-{digest}"


def medication(concept: dict[str, Any]) -> Resource:
    """The Medication a vendor's order references (its code is the order's concept)."""
    return {"resourceType": "Medication", "id": medication_id(concept), "code": concept}


def medication_request(shapes: Shapes, resource: Resource) -> tuple[Resource, Resource | None]:
    """A MedicationRequest in the vendor's shape, and the Medication it references (if any)."""
    found = dict(resource)
    concept = found.get("medicationCodeableConcept")
    if not isinstance(concept, dict):
        return found, None
    if shapes.medication_by_reference:
        med = medication(concept)
        del found["medicationCodeableConcept"]
        display = concept.get("text") or next(
            (c.get("display") for c in _codings(concept) if c.get("display")), None
        )
        found["medicationReference"] = {"reference": f"Medication/{med['id']}", "display": display}
        return found, med
    if shapes.local_medication_system:
        synonym = {
            "system": shapes.local_medication_system,
            "code": medication_id(concept),
            "display": concept.get("text"),
        }
        found["medicationCodeableConcept"] = {**concept, "coding": [*_codings(concept), synonym]}
    return found, None


def request_from_statement(shapes: Shapes, statement: Resource) -> tuple[Resource, Resource | None]:
    """A patient-reported MedicationRequest (intent plan) for a MedicationStatement."""
    status = {"active": "active", "completed": "completed", "stopped": "stopped"}
    period = statement.get("effectivePeriod") or {}
    request: Resource = {
        "resourceType": "MedicationRequest",
        "id": f"{STATEMENT_PREFIX}{statement['id']}",
        "status": status.get(str(statement.get("status")), "unknown"),
        "intent": "plan",
        "reportedBoolean": True,
        "subject": statement.get("subject"),
    }
    if "medicationCodeableConcept" in statement:
        request["medicationCodeableConcept"] = statement["medicationCodeableConcept"]
    if period.get("start"):
        request["authoredOn"] = period["start"]
    if period:
        request["dispenseRequest"] = {"validityPeriod": dict(period)}
    return medication_request(shapes, request)


def foreign_plans(patient_id: str) -> list[Resource]:
    """Another app's CarePlan and Task in the patient's chart (read-only to ms-monitor).

    One CarePlan carries Epic's own identifier system; the other plays the identifier game an EHR
    that ignores ``identifier`` allows: ms-monitor's own identifier *system* with another value.
    """
    subject = {"reference": f"Patient/{patient_id}"}
    category = [{"coding": [{"system": codes.CAREPLAN_CATEGORY, "code": "assess-plan"}]}]
    first = f"{FOREIGN_PREFIX}careplan-{patient_id}"
    second = f"{FOREIGN_PREFIX}careplan-b-{patient_id}"
    return [
        {
            "resourceType": "CarePlan",
            "id": first,
            "identifier": [{"system": codes.EPIC_RECORD_ID_SYSTEM, "value": f"CP-{patient_id}"}],
            "status": "active",
            "intent": "plan",
            "category": category,
            "title": "Fall prevention plan (another app)",
            "subject": subject,
        },
        {
            "resourceType": "CarePlan",
            "id": second,
            "identifier": [
                {"system": f"{MS_MONITOR_CANONICAL}/careplan-id", "value": "another-app-plan"}
            ],
            "instantiatesCanonical": [f"{FOREIGN_APP_CANONICAL}/PlanDefinition/falls"],
            "status": "active",
            "intent": "plan",
            "category": category,
            "title": "Falls follow-up (another app)",
            "subject": subject,
        },
        {
            "resourceType": "Task",
            "id": f"{FOREIGN_PREFIX}task-{patient_id}",
            "identifier": [{"system": f"{MS_MONITOR_CANONICAL}/task-id", "value": "another-app"}],
            "status": "requested",
            "intent": "plan",
            "code": {"text": "Home safety visit (another app)"},
            "for": subject,
            "basedOn": [{"reference": f"CarePlan/{first}"}],
        },
    ]


def is_foreign(resource_id: str) -> bool:
    return resource_id.startswith(FOREIGN_PREFIX)
