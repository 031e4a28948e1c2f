"""The one reader's HTTP edge cases: refusals, paging, OperationOutcome entries, foreign plans.

``responses`` stands in for servers that answer as production EHRs do (HTML 404 for batch, 400
for a search, opaque next links); the matrix on real HAPI behind the sandbox is
tests/ehr/test_ehr_matrix.py.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import responses
from requests import PreparedRequest

from smart_app.domain.plan import careplan_identifier_value
from smart_app.fhir import FhirClient
from smart_app.fhir.own_plan import PlanSystems, our_plan
from smart_app.fhir.patient_record import ReadSetup, read_patient_record
from smart_app.fhir.server_profile import BATCH, ServerProfiles
from smart_app.service.context import rules_context
from smart_app.service.server_reads import engine_reads

BASE = "https://ehr.example/fhir/r4"
CANON = "http://example.org/fhir/ms-monitor"
SYSTEMS = PlanSystems(careplan=f"{CANON}/careplan-id", task=f"{CANON}/task-id")
PID = "p1"
SUBJECT = {"reference": f"Patient/{PID}"}


def statement(*, task_search: bool = True) -> dict[str, Any]:
    def resource(rtype: str, *params: str) -> dict[str, Any]:
        searchable = task_search or rtype != "Task"
        return {
            "type": rtype,
            "interaction": [{"code": "read"}, *([{"code": "search-type"}] if searchable else [])],
            "searchParam": [{"name": p} for p in params],
        }

    return {
        "resourceType": "CapabilityStatement",
        "rest": [
            {
                "mode": "server",
                "interaction": [{"code": "batch"}],
                "resource": [
                    resource("Patient", "_id"),
                    resource("Condition", "patient"),
                    resource("Observation", "patient", "category", "code"),
                    resource("MedicationRequest", "patient", "intent"),
                    resource("DiagnosticReport", "patient", "category"),
                    resource("ImagingStudy", "patient"),
                    resource("CarePlan", "patient", "category"),
                    resource("Task", "patient"),
                ],
            }
        ],
    }


def searchset(*resources: dict[str, Any], next_url: str | None = None) -> dict[str, Any]:
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": 9999,  # never used
        "entry": [{"resource": r} for r in resources],
    }
    if next_url:
        bundle["link"] = [{"relation": "next", "url": next_url}]
    return bundle


OUTCOME = {
    "resourceType": "OperationOutcome",
    "id": "warning-1",
    "issue": [{"severity": "warning", "code": "informational"}],
}
CONDITION = {"resourceType": "Condition", "id": "c1", "subject": SUBJECT}
OBSERVATION_2 = {"resourceType": "Observation", "id": "o2", "subject": SUBJECT}
OURS = {
    "resourceType": "CarePlan",
    "id": "cp-ours",
    "identifier": [
        {"system": SYSTEMS.careplan, "value": careplan_identifier_value(f"Patient/{PID}")}
    ],
    "subject": SUBJECT,
    "activity": [{"reference": {"reference": "Task/t-ours"}}],
}
FOREIGN_SAME_SYSTEM = {
    "resourceType": "CarePlan",
    "id": "other-app-cp",
    "identifier": [{"system": SYSTEMS.careplan, "value": "another-app-plan"}],
    "subject": SUBJECT,
}
FOREIGN_TASK = {
    "resourceType": "Task",
    "id": "other-app-task",
    "identifier": [{"system": SYSTEMS.task, "value": "another-app"}],
    "for": SUBJECT,
}
OUR_TASK = {
    "resourceType": "Task",
    "id": "t-ours",
    "identifier": [{"system": SYSTEMS.task, "value": f"{PID}.mri-brain.2026-01-01"}],
    "for": SUBJECT,
}
PAGE_2 = f"{BASE}/opaque-paging-token-XyZ"  # followed verbatim


def answer(request: PreparedRequest) -> tuple[int, dict[str, str], str]:
    url = str(request.url)
    path = urlsplit(url).path.rsplit("/", 1)[-1]
    params = dict(parse_qsl(urlsplit(url).query))
    if url == PAGE_2:
        return 200, {}, json.dumps(searchset(OBSERVATION_2))
    if path == PID:
        return 200, {}, json.dumps({"resourceType": "Patient", "id": PID})
    if path == OUR_TASK["id"]:
        return 200, {}, json.dumps(OUR_TASK)
    if path == "Observation" and "category" in params:
        # Epic answers a search it will not run with 400 (and an HTML page from some proxies)
        return 400, {"Content-Type": "text/html"}, "<html><body>Bad Request</body></html>"
    found = {
        "Condition": searchset(CONDITION, OUTCOME),
        "Observation": searchset(OUTCOME, next_url=PAGE_2),
        "ImagingStudy": None,
        "CarePlan": searchset(OURS, FOREIGN_SAME_SYSTEM),
        "Task": searchset(OUR_TASK, FOREIGN_TASK),
    }.get(path, searchset())
    if found is None:
        return 404, {}, json.dumps({"resourceType": "OperationOutcome", "issue": []})
    return 200, {}, json.dumps(found)


def install(rsps: responses.RequestsMock, *, task_search: bool = True) -> None:
    rsps.get(f"{BASE}/metadata", json=statement(task_search=task_search))
    rsps.get(f"{BASE}/.well-known/smart-configuration", status=404)
    # Epic: no batch, answered 404 with an HTML page
    rsps.post(BASE, status=404, body="<html>Not Found</html>", content_type="text/html")
    rsps.add_callback(responses.GET, re.compile(re.escape(BASE) + r"/[A-Za-z].*"), answer)


def test_refusals_become_unavailable_and_are_remembered() -> None:
    profiles = ServerProfiles()
    setup = ReadSetup(engine=engine_reads(rules_context(date(2026, 11, 24))), profiles=profiles)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        install(rsps)
        record = read_patient_record(FhirClient(BASE, retries=0), PID, plan=SYSTEMS, setup=setup)
        accepts = {c.request.headers.get("Accept") for c in rsps.calls}
        posts = [c for c in rsps.calls if c.request.method == "POST"]
        again = read_patient_record(FhirClient(BASE, retries=0), PID, plan=SYSTEMS, setup=setup)
        posts_again = [c for c in rsps.calls if c.request.method == "POST"]
    assert not record.batched
    assert len(posts) == 1
    assert len(posts_again) == 1  # the refused batch is not tried again for this issuer
    assert {BATCH, "ImagingStudy", "Observation?category"} <= profiles.refusals(BASE)
    keys = {f"{r['resourceType']}/{r['id']}" for r in record.resources}
    assert keys == {f"Patient/{PID}", "Condition/c1", "Observation/o2"}  # no OperationOutcome
    assert "ImagingStudy" in record.unavailable
    assert "Observation" not in record.unavailable  # found by code
    assert "ImagingStudy refused by this server" in record.summary
    assert "MedicationStatement not offered by this server" in record.summary
    assert {r["id"] for r in record.existing_plan} == {"cp-ours", "t-ours"}
    assert accepts == {"application/fhir+json"}
    assert again.resources == record.resources


def test_only_our_exact_identifiers_are_our_plan() -> None:
    found = [OURS, FOREIGN_SAME_SYSTEM, FOREIGN_TASK, OUR_TASK, OURS]
    assert [r["id"] for r in our_plan(found, PID, SYSTEMS)] == ["cp-ours", "t-ours"]
    assert our_plan([OURS, OUR_TASK], "another-patient", SYSTEMS) == []


def test_without_task_search_the_plan_is_what_our_careplan_references() -> None:
    setup = ReadSetup(
        engine=engine_reads(rules_context(date(2026, 11, 24))), profiles=ServerProfiles()
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        install(rsps, task_search=False)
        record = read_patient_record(FhirClient(BASE, retries=0), PID, plan=SYSTEMS, setup=setup)
        urls = [str(c.request.url) for c in rsps.calls]
    assert not any("/Task?" in u for u in urls)
    assert f"{BASE}/Task/t-ours" in urls
    assert {r["id"] for r in record.existing_plan} == {"cp-ours", "t-ours"}
