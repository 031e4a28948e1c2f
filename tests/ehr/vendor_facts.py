"""The vendor facts as rows: one request each and what must come back (``{pid}``: the patient).

Each row restates a line of the vendor's table in launch/sandbox/ehr/<vendor>.py.
"""

from __future__ import annotations

from launch.sandbox.ehr import codes
from tests.ehr.fact_checks import (
    Fact,
    declares_group_export_only,
    edss_as_flowsheet,
    empty_create,
    foreign_plans_despite_identifier,
    html,
    ids,
    ignored_parameter,
    insufficient_scope,
    medications_by_reference,
    no_results_outcome,
    outcome,
    paged,
    radiology_report,
    rxnorm_with_synonym,
    statement,
    xml,
)

EDSS_ROW = f"{codes.EPIC_FLOWSHEET_ROW_SYSTEM}|{codes.EPIC_EDSS_ROW}"
ASSESS_PLAN = f"{codes.CAREPLAN_CATEGORY}|assess-plan"
OURS = "http://example.org/fhir/ms-monitor/careplan-id|"
#: A practitioner's token (no patient narrowing): a search across patients reaches the vendor.
USER_SCOPES = "launch openid fhirUser user/*.read"
MS_CONDITION = "Condition?code=http://snomed.info/sct|24700007"

NEW_OBSERVATION = {
    "resourceType": "Observation",
    "status": "final",
    "code": {"text": "Weight"},
    "subject": {"reference": "Patient/{pid}"},
}
NEW_CAREPLAN = {
    "resourceType": "CarePlan",
    "status": "active",
    "intent": "plan",
    "subject": {"reference": "Patient/{pid}"},
}
BATCH = {"resourceType": "Bundle", "type": "batch", "entry": []}
CONDITION_UPDATE = {
    "resourceType": "Condition",
    "id": "{pid}-ms",
    "code": {"coding": [{"system": "http://snomed.info/sct", "code": "24700007"}]},
    "subject": {"reference": "Patient/{pid}"},
}

FACTS = [
    # Epic
    Fact("epic", "no batch: HTML 404", "POST", "", 404, html, body=BATCH),
    Fact(
        "epic",
        "Observation needs category or code",
        "GET",
        "Observation?patient={pid}",
        400,
        outcome("required"),
    ),
    Fact(
        "epic",
        "EDSS is a flowsheet row",
        "GET",
        f"Observation?patient={{pid}}&code={EDSS_ROW}",
        200,
        edss_as_flowsheet,
    ),
    Fact(
        "epic", "CarePlan needs category", "GET", "CarePlan?patient={pid}", 400, outcome("required")
    ),
    *(
        Fact(
            ehr,
            "Condition search needs patient",
            "GET",
            MS_CONDITION,
            400,
            outcome("required"),
            scope=USER_SCOPES,
        )
        for ehr in ("epic", "oracle")
    ),
    Fact("epic", "Group not read: HTML 404", "GET", "Group/any", 404, html),
    Fact("epic", "Group only through $export", "GET", "metadata", 200, declares_group_export_only),
    Fact(
        "epic",
        "identifier ignored: another app's plans",
        "GET",
        f"CarePlan?patient={{pid}}&category={ASSESS_PLAN}&identifier={OURS}",
        200,
        foreign_plans_despite_identifier,
    ),
    Fact(
        "epic",
        "MedicationStatement: HTML 404",
        "GET",
        "MedicationStatement?patient={pid}",
        404,
        html,
    ),
    Fact("epic", "unknown type: HTML 404", "GET", "Specimen?patient={pid}", 404, html),
    Fact(
        "epic",
        "ImagingStudy declared, refused",
        "GET",
        "ImagingStudy?patient={pid}",
        403,
        outcome("forbidden"),
    ),
    Fact(
        "epic",
        "MRI as radiology report",
        "GET",
        "DiagnosticReport?patient={pid}&category=http://loinc.org|LP29684-5",
        200,
        radiology_report,
    ),
    Fact(
        "epic",
        "radiology also under RAD",
        "GET",
        "DiagnosticReport?patient={pid}&category=RAD",
        200,
        ids("rad-{pid}-mri"),
    ),
    Fact(
        "epic",
        "medications by reference",
        "GET",
        "MedicationRequest?patient={pid}&intent=order,plan&_include=MedicationRequest:medication",
        200,
        medications_by_reference,
    ),
    Fact(
        "epic",
        "sessionID paging, total = page size",
        "GET",
        "Observation?patient={pid}&category=survey&_count=1",
        200,
        paged("sessionID", "1"),
    ),
    Fact(
        "epic",
        "4101 outcome entry",
        "GET",
        "Condition?patient={pid}&category=health-concern",
        200,
        no_results_outcome,
    ),
    Fact(
        "epic",
        "unknown parameters ignored, with an information issue",
        "GET",
        "Condition?patient={pid}&onset-info=x",
        200,
        ignored_parameter,
    ),
    Fact("epic", "Medication read by id", "GET", "Medication/rxnorm-354770", 200),
    Fact(
        "epic",
        "XML without Accept",
        "GET",
        "Condition?patient={pid}",
        200,
        xml,
        headers={"Accept": "*/*"},
    ),
    Fact(
        "epic",
        "create: 201, empty body",
        "POST",
        "Observation",
        201,
        empty_create,
        body=NEW_OBSERVATION,
    ),
    Fact(
        "epic",
        "no CarePlan create",
        "POST",
        "CarePlan",
        405,
        outcome("not-supported"),
        body=NEW_CAREPLAN,
    ),
    Fact(
        "epic",
        "statement: no batch",
        "GET",
        "metadata",
        200,
        statement(batch=False, has=("ImagingStudy", "Observation"), lacks=("MedicationStatement",)),
    ),
    # Oracle Health
    Fact("oracle", "batch entries 422", "POST", "", 422, outcome("processing"), body=BATCH),
    Fact(
        "oracle",
        "Observation by patient alone",
        "GET",
        "Observation?patient={pid}",
        200,
        ids("{pid}-jcv", "{pid}-jcv-old"),
    ),
    Fact("oracle", "no EDSS exposed", "GET", "Observation?patient={pid}&category=exam", 200, ids()),
    Fact(
        "oracle", "no ImagingStudy", "GET", "ImagingStudy?patient={pid}", 404, outcome("not-found")
    ),
    Fact("oracle", "no Task", "GET", "Task?patient={pid}", 404, outcome("not-found")),
    Fact(
        "oracle",
        "no MedicationStatement",
        "GET",
        "MedicationStatement?patient={pid}",
        404,
        outcome("not-found"),
    ),
    Fact(
        "oracle",
        "CarePlan needs category",
        "GET",
        "CarePlan?patient={pid}",
        400,
        outcome("required"),
    ),
    Fact(
        "oracle",
        "CarePlan category must be assess-plan",
        "GET",
        "CarePlan?patient={pid}&category=38717003",
        400,
        outcome("required"),
    ),
    Fact(
        "oracle",
        "CarePlan with assess-plan",
        "GET",
        f"CarePlan?patient={{pid}}&category={ASSESS_PLAN}",
        200,
        ids(),
    ),
    Fact(
        "oracle",
        "MRI as radiology report",
        "GET",
        "DiagnosticReport?patient={pid}&category=LP29684-5",
        200,
        radiology_report,
    ),
    Fact(
        "oracle",
        "RxNorm + local synonym",
        "GET",
        "MedicationRequest?patient={pid}&intent=order",
        200,
        rxnorm_with_synonym,
    ),
    Fact(
        "oracle",
        "-pageContext paging, no total",
        "GET",
        "Observation?patient={pid}&category=laboratory&_count=1",
        200,
        paged("-pageContext", "absent"),
    ),
    Fact(
        "oracle",
        "create: 201 empty + Location + ETag",
        "POST",
        "Observation",
        201,
        empty_create,
        body=NEW_OBSERVATION,
    ),
    Fact(
        "oracle",
        "update needs If-Match",
        "PUT",
        "Condition/{pid}-ms",
        428,
        outcome("required"),
        body=CONDITION_UPDATE,
    ),
    Fact(
        "oracle",
        "stale If-Match: 409",
        "PUT",
        "Condition/{pid}-ms",
        409,
        outcome("conflict"),
        body=CONDITION_UPDATE,
        headers={"If-Match": 'W/"99"'},
    ),
    Fact(
        "oracle",
        "update with the current ETag",
        "PUT",
        "Condition/{pid}-ms",
        200,
        body=CONDITION_UPDATE,
        headers={"If-Match": 'W/"1"'},
    ),
    Fact(
        "oracle",
        "missing scope: 403 non-FHIR JSON",
        "GET",
        "Condition?patient={pid}",
        403,
        insufficient_scope,
        scope="launch patient/Observation.rs",
    ),
    Fact(
        "epic",
        "missing scope: 403 OperationOutcome",
        "GET",
        "Condition?patient={pid}",
        403,
        outcome("forbidden"),
        scope="launch patient/Observation.rs",
    ),
    Fact(
        "oracle",
        "statement declares batch",
        "GET",
        "metadata",
        200,
        statement(
            batch=True, has=("CarePlan",), lacks=("ImagingStudy", "Task", "MedicationStatement")
        ),
    ),
    # athenahealth
    Fact(
        "athena",
        "MedicationRequest needs intent",
        "GET",
        "MedicationRequest?patient={pid}",
        400,
        outcome("required"),
    ),
    Fact(
        "athena",
        "MedicationRequest with intent",
        "GET",
        "MedicationRequest?patient={pid}&intent=order,plan",
        200,
        ids("{pid}-nat", "ms-{pid}-ifn"),
    ),
    Fact("athena", "no batch", "POST", "", 405, outcome("not-supported"), body=BATCH),
    Fact(
        "athena",
        "cursor paging",
        "GET",
        "Observation?patient={pid}&category=survey&_count=1",
        200,
        paged("cursor", "absent"),
    ),
    Fact(
        "athena", "no ImagingStudy", "GET", "ImagingStudy?patient={pid}", 404, outcome("not-found")
    ),
    # US Core
    Fact(
        "us-core",
        "Observation needs category or code",
        "GET",
        "Observation?patient={pid}",
        400,
        outcome("required"),
    ),
    Fact(
        "us-core",
        "Observation by code",
        "GET",
        "Observation?patient={pid}&code=http://snomed.info/sct|273554001",
        200,
        ids("{pid}-edss"),
    ),
    Fact("us-core", "no Task", "GET", "Task?patient={pid}", 404, outcome("not-supported")),
    Fact(
        "us-core", "read-only", "POST", "CarePlan", 405, outcome("not-supported"), body=NEW_CAREPLAN
    ),
    Fact(
        "us-core",
        "opaque paging, exact total",
        "GET",
        "Observation?patient={pid}&category=survey&_count=1",
        200,
        paged("_page", "2"),
    ),
    # HAPI: today's behaviour
    Fact(
        "hapi",
        "Observation by patient",
        "GET",
        "Observation?patient={pid}",
        200,
        ids("{pid}-edss", "{pid}-jcv", "{pid}-mfis-1", "{pid}-mfis-2", "{pid}-t2", exact=False),
    ),
    Fact(
        "hapi",
        "MedicationStatement served",
        "GET",
        "MedicationStatement?patient={pid}",
        200,
        ids("{pid}-ifn"),
    ),
]
