"""Each emulated EHR answers as the vendor facts say: one table, on real HAPI behind the proxy.

Every row is one fact of the vendor's table (launch/sandbox/ehr/<vendor>.py), a request and
what must come back. ``{pid}`` is a fresh patient written to HAPI for this module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from werkzeug.test import TestResponse

from launch.sandbox.ehr import codes
from tests.ehr.ehr_helpers import Ehr, ehr_sandbox, write_chart

pytestmark = pytest.mark.integration

EDSS_ROW = f"{codes.EPIC_FLOWSHEET_ROW_SYSTEM}|{codes.EPIC_EDSS_ROW}"
ASSESS_PLAN = f"{codes.CAREPLAN_CATEGORY}|assess-plan"
OURS = "http://example.org/fhir/ms-monitor/careplan-id|"
Check = Callable[[TestResponse, Ehr], None]


@dataclass(frozen=True)
class Fact:
    ehr: str
    fact: str
    method: str
    path: str
    status: int
    check: Check | None = None
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


def html(response: TestResponse, _ehr: Ehr) -> None:
    assert response.content_type.startswith("text/html")
    assert "<html" in response.get_data(as_text=True)


def outcome(code: str) -> Check:
    def check(response: TestResponse, _ehr: Ehr) -> None:
        body = response.get_json()
        assert body["resourceType"] == "OperationOutcome"
        assert body["issue"][0]["code"] == code

    return check


def resources(response: TestResponse, mode: str = "match") -> list[dict[str, Any]]:
    body = response.get_json()
    assert body["resourceType"] == "Bundle", body
    return [e["resource"] for e in body.get("entry", []) if e["search"]["mode"] == mode]


def ids(*expected: str, exact: bool = True) -> Check:
    def check(response: TestResponse, ehr: Ehr) -> None:
        found = {r["id"] for r in resources(response)}
        wanted = {e.format(pid=ehr.patient) for e in expected}
        assert found == wanted if exact else wanted <= found, found

    return check


def edss_as_flowsheet(response: TestResponse, ehr: Ehr) -> None:
    (edss,) = resources(response)
    assert edss["id"] == f"{ehr.patient}-edss"
    assert edss["code"]["coding"] == [
        {
            "system": codes.EPIC_FLOWSHEET_ROW_SYSTEM,
            "code": codes.EPIC_EDSS_ROW,
            "display": "R EDSS SCORE",
        }
    ]


def radiology_report(response: TestResponse, ehr: Ehr) -> None:
    (report,) = resources(response)
    assert report["id"] == f"rad-{ehr.patient}-mri"
    assert report["code"]["coding"][0]["code"] == "24590-2"
    assert report["effectiveDateTime"] == "2026-02-01"
    if ehr.name == "epic":
        assert report["result"] == [{"reference": f"Observation/{ehr.patient}-t2"}]
    else:  # Oracle exposes no imaging-category Observations: no dangling result
        assert "result" not in report


def medications_by_reference(response: TestResponse, ehr: Ehr) -> None:
    orders = {r["id"]: r for r in resources(response)}
    assert set(orders) == {f"{ehr.patient}-nat", f"ms-{ehr.patient}-ifn"}
    reported = orders[f"ms-{ehr.patient}-ifn"]
    assert reported["reportedBoolean"] is True
    assert reported["intent"] == "plan"
    assert reported["dispenseRequest"]["validityPeriod"]["end"] == "2023-06-01"
    for order in orders.values():
        assert "medicationCodeableConcept" not in order
    included = {m["id"] for m in resources(response, "include")}
    assert included == {"rxnorm-354770", "rxnorm-75917"}


def rxnorm_with_synonym(response: TestResponse, ehr: Ehr) -> None:
    order = next(r for r in resources(response) if r["id"] == f"{ehr.patient}-nat")
    systems = [c["system"] for c in order["medicationCodeableConcept"]["coding"]]
    assert systems == ["http://www.nlm.nih.gov/research/umls/rxnorm", codes.ORACLE_SYNONYM_SYSTEM]


def foreign_plans_despite_identifier(response: TestResponse, ehr: Ehr) -> None:
    found = {r["id"] for r in resources(response)}
    assert f"other-app-careplan-{ehr.patient}" in found
    assert f"other-app-careplan-b-{ehr.patient}" in found


def paged(param: str, total: str) -> Check:
    def check(response: TestResponse, ehr: Ehr) -> None:
        body = response.get_json()
        assert len(resources(response)) == 1
        if total == "absent":
            assert "total" not in body
        else:
            assert body["total"] == int(total)
        (following,) = [lk["url"] for lk in body["link"] if lk["relation"] == "next"]
        assert f"{param}=" in following
        if param == "-pageContext":
            assert following.endswith("-pageDirection=NEXT")
            assert f"patient={ehr.patient}" in following
        rest = ehr.client.get(following.removeprefix("http://localhost"), headers=ehr.headers())
        assert rest.status_code == 200
        assert len(resources(rest)) == 1
        assert not [lk for lk in rest.get_json()["link"] if lk["relation"] == "next"]

    return check


def no_results_outcome(response: TestResponse, _ehr: Ehr) -> None:
    (issue_holder,) = resources(response, "outcome")
    assert issue_holder["issue"][0]["details"]["coding"][0]["code"] == "4101"
    assert resources(response) == []


def xml(response: TestResponse, _ehr: Ehr) -> None:
    assert response.content_type == "application/fhir+xml"
    assert response.get_data(as_text=True).startswith("<?xml")


def empty_create(response: TestResponse, _ehr: Ehr) -> None:
    assert response.get_data() == b""
    assert response.headers["Location"].startswith("http://localhost/fhir/Observation/")
    assert "ETag" in response.headers


def statement(*, batch: bool, has: tuple[str, ...], lacks: tuple[str, ...]) -> Check:
    def check(response: TestResponse, _ehr: Ehr) -> None:
        rest = response.get_json()["rest"][0]
        declared = {r["type"] for r in rest["resource"]}
        assert set(has) <= declared
        assert not set(lacks) & declared
        assert ("batch" in {i["code"] for i in rest.get("interaction", [])}) is batch

    return check


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


@pytest.fixture(scope="module")
def patient(fhir_base_url: str) -> str:
    return write_chart(fhir_base_url)


def _fill(value: Any, pid: str) -> Any:
    if isinstance(value, str):
        return value.replace("{pid}", pid)
    if isinstance(value, dict):
        return {k: _fill(v, pid) for k, v in value.items()}
    return value


@pytest.mark.parametrize("fact", FACTS, ids=[f"{f.ehr}: {f.fact}" for f in FACTS])
def test_vendor_fact(fact: Fact, fhir_base_url: str, patient: str) -> None:
    ehr = ehr_sandbox(fhir_base_url, fact.ehr, patient)
    headers = ehr.headers(**fact.headers)
    path = f"/fhir/{_fill(fact.path, patient)}".rstrip("/")
    body = _fill(fact.body, patient) if fact.body is not None else None
    response = ehr.client.open(path, method=fact.method, headers=headers, json=body)
    assert response.status_code == fact.status, response.get_data(as_text=True)[:500]
    if fact.check is not None:
        fact.check(response, ehr)
