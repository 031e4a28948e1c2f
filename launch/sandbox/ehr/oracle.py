"""Oracle Health (Cerner Millennium R4) as the sandbox emulates it.

Sources: fhir.cerner.com/millennium/r4 and docs.oracle.com/en/industries/health/millennium-platform-
apis (types, paging, If-Match, 570 s tokens), published sandbox captures (github.com/mock-health/
the-map: 422 on batch entries, 403 insufficient_scope bodies). "unverified" marks readings of ours.
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

#: category=assess-plan: documented 400; a patient too, as US Core's SHALL is patient+category
#: (the answer without a patient is unverified).
CAREPLAN_NEEDS_ASSESS_PLAN = Refusal(
    400,
    "fhir",
    "The patient parameter and the category parameter set to assess-plan must be provided.",
    code="required",
)
#: Condition is searched within a patient's chart only (status unverified).
CONDITION_NEEDS_PATIENT = Refusal(
    400, "fhir", "The patient parameter must be provided.", code="required"
)
WRITES = frozenset({READ, SEARCH, CREATE, UPDATE})

PROFILE = EhrProfile(
    name="oracle",
    title="Oracle Health",
    software="Oracle Health Millennium R4 (emulated by the ms-monitor sandbox)",
    types={
        **us_core.rows("Patient", "Encounter"),
        "Condition": TypeRule(
            WRITES,
            ("patient", "category", "clinical-status"),
            unpaged=True,
            required=(frozenset({"patient"}), frozenset({"subject"})),
            missing_required=CONDITION_NEEDS_PATIENT,
        ),
        "Observation": TypeRule(
            frozenset({READ, SEARCH, CREATE}),
            ("patient", "category", "code", "date"),
            count_cap=200,
        ),
        "DiagnosticReport": TypeRule(READ_SEARCH, ("patient", "category", "code"), count_cap=100),
        "DocumentReference": TypeRule(WRITES, ("patient", "category", "type"), count_cap=100),
        "MedicationRequest": TypeRule(READ_SEARCH, ("patient", "intent", "status")),
        "MedicationAdministration": TypeRule(READ_SEARCH, ("patient",)),  # unverified
        "CarePlan": TypeRule(
            READ_SEARCH,
            ("patient", "category"),
            required=(frozenset({"patient", "category"}), frozenset({"subject", "category"})),
            missing_required=CAREPLAN_NEEDS_ASSESS_PLAN,
            required_values={"category": frozenset({"assess-plan"})},
        ),
        "Provenance": TypeRule(frozenset({READ, SEARCH, CREATE}), ("target",)),
        **rules(WRITES, ("Communication", "Procedure", "Appointment")),
        **rules(READ_SEARCH, ("AllergyIntolerance", "Practitioner")),
    },
    unknown_type=Refusal(404, "fhir", "Resource type not supported", code="not-found"),
    unsupported_write=Refusal(405, "fhir", "The interaction is not supported (status unverified)."),
    batch="restricted",
    batch_refusal=Refusal(
        422, "fhir", "Only a limited set of operations is supported in a batch.", code="processing"
    ),
    paging="oracle",
    default_count=50,
    total="none",
    empty_create_body=True,
    update_needs_if_match=True,
    stale_update_status=409,
    token_lifetime_seconds=570,
    rotate_refresh_tokens=False,
    v1_system_scopes=False,
    scope_refusal="json",
    shapes=Shapes(
        edss_coding=None,  # a PowerForm EDSS is probably not exposed (unverified)
        observation_categories=frozenset({"vital-signs", "laboratory", "social-history"}),
        mri_as_report=True,
        report_categories=(codes.RADIOLOGY_LOINC,),
        local_medication_system=codes.ORACLE_SYNONYM_SYSTEM,
        statements_as_requests=True,
    ),
    facts=(
        "batch declared, but only for a short list of operations: GET entries answer 422",
        "no ImagingStudy, no Task, no MedicationStatement: 404 OperationOutcome",
        "CarePlan search needs a patient and category=assess-plan (400); Condition search needs "
        "patient (400)",
        "_count capped (Observation 200, DiagnosticReport 100), default 50; no Bundle.total",
        "next links -pageContext=...&-pageDirection=NEXT; Condition may be one unpaged page",
        "create: 201, empty body, Location and ETag; update needs If-Match (428), stale 409",
        "access tokens live 570 s; refresh tokens are not rotated; system scopes in v2 only",
        "a request beyond the granted scopes: 403 with a non-FHIR JSON body (insufficient_scope)",
        "only vital-signs, laboratory and social-history Observations (no EDSS exposed)",
        "MRI as radiology DiagnosticReports; RxNorm medicationCodeableConcept + local synonym",
    ),
)
