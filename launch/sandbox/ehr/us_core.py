"""A bare US Core 6.1 server: what every certified US EHR must answer, and nothing more.

Source: US Core Server CapabilityStatement 6.1.0 (hl7.org/fhir/us/core/STU6.1/CapabilityStatement-
us-core-server.html): Observation SHALL patient+category or patient+code; MedicationRequest SHALL
patient+intent and ``_include=MedicationRequest:medication``; CarePlan SHALL patient+category.
Task, ImagingStudy and MedicationStatement are not in US Core. No batch, no writes required.
"""

from __future__ import annotations

from launch.sandbox.ehr import codes
from launch.sandbox.ehr.profile import READ, READ_SEARCH, EhrProfile, Refusal, Shapes, TypeRule

MISSING = Refusal(400, "fhir", "US Core requires more search parameters here", code="required")

PROFILE = EhrProfile(
    name="us-core",
    title="US Core server",
    software="US Core 6.1 server (emulated by the ms-monitor sandbox)",
    types={
        "Patient": TypeRule(READ_SEARCH, ("_id", "identifier", "name", "birthdate")),
        "Condition": TypeRule(READ_SEARCH, ("patient", "category", "clinical-status")),
        "Observation": TypeRule(
            READ_SEARCH,
            ("patient", "category", "code", "date"),
            required=(frozenset({"category"}), frozenset({"code"})),
            missing_required=MISSING,
        ),
        "DiagnosticReport": TypeRule(READ_SEARCH, ("patient", "category", "code", "date")),
        "MedicationRequest": TypeRule(
            READ_SEARCH,
            ("patient", "intent", "status"),
            required=(frozenset({"intent"}),),
            missing_required=MISSING,
        ),
        "Medication": TypeRule(frozenset({READ})),
        "CarePlan": TypeRule(
            READ_SEARCH,
            ("patient", "category"),
            required=(frozenset({"category"}),),
            missing_required=MISSING,
        ),
        "Provenance": TypeRule(frozenset({READ})),
        "DocumentReference": TypeRule(READ_SEARCH, ("patient", "category")),
        "Encounter": TypeRule(READ_SEARCH, ("patient",)),
        "Procedure": TypeRule(READ_SEARCH, ("patient",)),
    },
    unknown_type=Refusal(404, "fhir", "Resource type not supported", code="not-supported"),
    unsupported_write=Refusal(405, "fhir", "This server is read-only"),
    batch="none",
    batch_refusal=Refusal(405, "fhir", "Batch is not supported"),
    paging="opaque",
    default_count=100,
    total="exact",
    shapes=Shapes(
        mri_as_report=True,
        report_categories=(codes.RADIOLOGY_LOINC,),
        medication_by_reference=True,
        statements_as_requests=True,
    ),
    facts=(
        "Observation needs category or code; MedicationRequest needs intent; CarePlan category",
        "no Task, ImagingStudy, MedicationStatement (404); no batch (405); read-only",
        "MRI as radiology DiagnosticReports; medicationReference with _include",
    ),
)


def rows(*resource_types: str) -> dict[str, TypeRule]:
    """The US Core rows a vendor table takes as they are (what every certified US EHR answers
    for these types, and the vendor no differently)."""
    return {rtype: PROFILE.types[rtype] for rtype in resource_types}
