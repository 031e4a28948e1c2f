"""Epic (Interconnect FHIR R4) as the sandbox emulates it.

Sources: Epic's R4 CapabilityStatement (fhir.epic.com/interconnect-fhir-oauth/api/FHIR/R4/metadata),
the API catalog (fhir.epic.com/Specifications, open.epic.com/Interface/FHIR) and published sandbox
captures (github.com/mock-health/the-map). Where a status code is not documented the table says
"unverified" and takes the reading that tests the app hardest.
"""

from __future__ import annotations

from launch.sandbox.ehr import codes, us_core
from launch.sandbox.ehr.profile import (
    CREATE,
    READ,
    READ_SEARCH,
    SEARCH,
    UPDATE,
    EhrProfile,
    Refusal,
    Shapes,
    TypeRule,
    rules,
)

OBSERVATION_NEEDS_CATEGORY_OR_CODE = Refusal(
    400,
    "fhir",
    "A required element is missing. Must have either code or category.",
    code="required",
    vendor_code="59108",
)
#: Condition is searched within a patient's chart only (status unverified).
CONDITION_NEEDS_PATIENT = Refusal(
    400, "fhir", "A required element is missing: patient.", code="required", vendor_code="59108"
)
CAREPLAN_NEEDS_CATEGORY = Refusal(
    400,
    "fhir",
    "A required element is missing: patient and category.",
    code="required",
    vendor_code="59108",
)
#: Declared in Epic's statement; access unverified: the sandbox refuses it (an app must survive).
IMAGING_STUDY_NOT_AUTHORIZED = Refusal(
    403,
    "fhir",
    "Client not authorized for ImagingStudy.Search in this environment.",
    code="forbidden",
    vendor_code="59204",
)

PROFILE = EhrProfile(
    name="epic",
    title="Epic",
    software="Epic Interconnect FHIR R4 (emulated by the ms-monitor sandbox)",
    types={
        "Patient": TypeRule(READ_SEARCH, ("_id", "identifier", "name", "birthdate", "family")),
        "Condition": TypeRule(
            frozenset({READ, SEARCH, CREATE}),
            ("patient", "category", "clinical-status", "code"),
            required=(frozenset({"patient"}), frozenset({"subject"})),
            missing_required=CONDITION_NEEDS_PATIENT,
        ),
        # Group only through Bulk Data: no read or search (Backend Services facts)
        "Group": TypeRule(frozenset(), (), operations=("export",)),
        "Observation": TypeRule(
            frozenset({READ, SEARCH, CREATE}),
            ("patient", "category", "code", "date", "_lastUpdated"),
            required=(frozenset({"category"}), frozenset({"code"})),
            missing_required=OBSERVATION_NEEDS_CATEGORY_OR_CODE,
        ),
        **us_core.rows("DiagnosticReport", "Medication", "Encounter", "Procedure", "Provenance"),
        "MedicationRequest": TypeRule(READ_SEARCH, ("patient", "intent", "status", "_include")),
        "MedicationAdministration": TypeRule(READ_SEARCH, ("patient",)),  # unverified
        "ImagingStudy": TypeRule(READ_SEARCH, ("patient",), refused=IMAGING_STUDY_NOT_AUTHORIZED),
        "CarePlan": TypeRule(
            READ_SEARCH,
            ("patient", "category", "date"),
            # category: documented 400; a patient too, as US Core's SHALL is patient+category
            # (the answer without a patient is unverified; the worklist must survive a refusal)
            required=(frozenset({"patient", "category"}), frozenset({"subject", "category"})),
            missing_required=CAREPLAN_NEEDS_CATEGORY,
            ignored_params=frozenset({"identifier"}),
        ),
        "Task": TypeRule(
            frozenset({READ, SEARCH, UPDATE}),
            ("patient", "code", "status"),
            ignored_params=frozenset({"identifier"}),
        ),
        **rules(frozenset({READ, SEARCH, CREATE}), ("DocumentReference",)),
        **rules(frozenset({READ, CREATE}), ("Communication", "Binary")),
        **rules(READ_SEARCH, ("AllergyIntolerance", "Practitioner")),
    },
    unknown_type=Refusal(404, "html", "The page cannot be found."),
    unsupported_write=Refusal(
        405, "fhir", "The interaction is not supported for this resource (status unverified)."
    ),
    batch="none",
    batch_refusal=Refusal(404, "html", "The page cannot be found."),
    paging="epic",
    default_count=1000,
    total="page-size",
    outcome_entries=True,
    xml_without_accept=True,
    empty_create_body=True,
    token_lifetime_seconds=3600,
    shapes=Shapes(
        edss_coding=(codes.EPIC_FLOWSHEET_ROW_SYSTEM, codes.EPIC_EDSS_ROW, "R EDSS SCORE"),
        edss_category="functional-mental-status",
        mri_as_report=True,
        report_categories=(codes.RADIOLOGY_LOINC, codes.RADIOLOGY_RAD, codes.RADIOLOGY_IMAGING),
        medication_by_reference=True,
        statements_as_requests=True,
        foreign_plans=True,
    ),
    facts=(
        "no batch or transaction: POST [base] answers 404 with an HTML page",
        "Observation?patient without category or code: 400 OperationOutcome (required)",
        "Condition search without patient: 400 (required)",
        "Group only through Bulk Data Group $export (declared here; the sandbox runs no export)",
        "CarePlan search needs patient and category (400); CarePlan is read-only; "
        "identifier is ignored",
        "unknown or undeclared resource types (MedicationStatement): HTML 404",
        "ImagingStudy declared but refused here (access unverified on real sites)",
        "next links are opaque (?sessionID=); Bundle.total is the page size",
        "OperationOutcome entries in searchsets (4101 no results; unknown parameters)",
        "without Accept: application/fhir+json the answer is XML",
        "creates answer 201 with an empty body; no CarePlan/Task create",
        "EDSS as a flowsheet row, MRI as radiology DiagnosticReports, medicationReference",
        "another app's CarePlan and Task in every chart",
    ),
)
