"""athenahealth (athenaOne FHIR R4) as the sandbox emulates it.

Source: athenahealth's CapabilityStatement (api.platform.athenahealth.com/fhir/r4/metadata).
Statuses other than the documented ``intent`` refusal are unverified.
"""

from __future__ import annotations

from launch.sandbox.ehr import codes, us_core
from launch.sandbox.ehr.profile import (
    CREATE,
    READ,
    READ_SEARCH,
    EhrProfile,
    Refusal,
    Shapes,
    TypeRule,
    rules,
)

MEDICATION_REQUEST_NEEDS_INTENT = Refusal(
    400, "fhir", "Missing required search parameter: intent", code="required"
)

PROFILE = EhrProfile(
    name="athena",
    title="athenahealth",
    software="athenaOne FHIR R4 (emulated by the ms-monitor sandbox)",
    types={
        **us_core.rows("Patient", "Medication", "Encounter", "Procedure"),
        "Condition": TypeRule(READ_SEARCH, ("patient", "category")),
        "Observation": TypeRule(READ_SEARCH, ("patient", "category", "code", "date")),
        "DiagnosticReport": TypeRule(READ_SEARCH, ("patient", "category", "code")),
        "MedicationRequest": TypeRule(
            READ_SEARCH,
            ("patient", "intent", "status"),
            required=(frozenset({"intent"}),),
            missing_required=MEDICATION_REQUEST_NEEDS_INTENT,
        ),
        "CarePlan": TypeRule(
            READ_SEARCH, ("patient", "category"), ignored_params=frozenset({"identifier"})
        ),
        "Provenance": TypeRule(READ_SEARCH, ("target",)),
        "QuestionnaireResponse": TypeRule(frozenset({READ, CREATE})),
        **rules(READ_SEARCH, ("DocumentReference", "Practitioner")),
    },
    unknown_type=Refusal(404, "fhir", "Unknown resource type", code="not-found"),
    unsupported_write=Refusal(405, "fhir", "Operation not supported (status unverified)."),
    batch="none",
    batch_refusal=Refusal(405, "fhir", "Batch is not supported (status unverified)."),
    paging="athena",
    default_count=100,
    total="none",
    shapes=Shapes(
        edss_coding=None,
        mri_as_report=True,
        report_categories=(codes.RADIOLOGY_LOINC,),
        statements_as_requests=True,
    ),
    facts=(
        "MedicationRequest search without intent: 400",
        "no batch declared (405); no ImagingStudy, Task, MedicationStatement (404)",
        "CarePlan identifier not declared: accepted and not applied",
        "cursor paging (?cursor=); writes: QuestionnaireResponse only",
    ),
)
