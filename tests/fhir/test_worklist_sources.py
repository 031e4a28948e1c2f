"""The worklist's sources at HTTP edge cases (``responses``): paging with a wrong ``total``,
a refused ``_id`` search read by id instead, a patient that cannot be read, a foreign CarePlan
with our identifier system, a refused CarePlan search, an unreadable plan store, a site's own
CarePlan category."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlsplit

import responses

from smart_app.domain.terminology import DEFAULT_CANONICAL_BASE
from smart_app.fhir import FhirClient
from smart_app.fhir.own_plan import PlanSystems
from smart_app.service.worklist import (
    EHR_NOT_SEARCHABLE,
    EHR_SOURCE,
    STORE_SOURCE,
    STORE_UNREADABLE,
    load_worklist,
)
from smart_app.site_config import US_CORE_CAREPLAN_ASSESS_PLAN

EHR = "https://ehr.example/fhir"
STORE = "https://store.example/fhir"
SYSTEMS = PlanSystems(f"{DEFAULT_CANONICAL_BASE}/careplan-id", f"{DEFAULT_CANONICAL_BASE}/task-id")
TODAY = date(2026, 11, 28)


def careplan(cid: str, patient: str, *, ours: bool = True, tasks: tuple[str, ...] = ()) -> Any:
    value = f"{patient}.benign-ms-monitoring" if ours else f"{patient}.someone-elses-plan"
    return {
        "resourceType": "CarePlan",
        "id": cid,
        "identifier": [{"system": SYSTEMS.careplan, "value": value}],
        "status": "active",
        "subject": {"reference": f"Patient/{patient}"},
        "description": f"plan of {patient}",
        "activity": [{"reference": {"reference": f"Task/{t}"}} for t in tasks],
    }


def task(tid: str, patient: str, code: str, due: str, status: str = "requested") -> Any:
    return {
        "resourceType": "Task",
        "id": tid,
        "identifier": [{"system": SYSTEMS.task, "value": f"{patient}.{code}.2026-01-01"}],
        "status": status,
        "priority": "routine",
        "code": {"coding": [{"code": code}]},
        "for": {"reference": f"Patient/{patient}"},
        "authoredOn": "2026-01-01",
        "restriction": {"period": {"start": "2026-10-01", "end": due}},
    }


def bundle(resources: list[Any], next_url: str | None = None, total: int = 1) -> Any:
    links = [{"relation": "next", "url": next_url}] if next_url else []
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,  # wrong on purpose: never trusted
        "link": links,
        "entry": [{"resource": r} for r in resources],
    }


@responses.activate
def test_pages_are_followed_id_search_falls_back_to_reads_and_names_may_be_missing() -> None:
    first_page = [careplan("cp1", "p1", tasks=("t1", "t2")), careplan("cp9", "p9", ours=False)]
    responses.get(f"{EHR}/CarePlan", json=bundle(first_page, f"{EHR}/page2"))
    responses.get(f"{EHR}/page2", json=bundle([careplan("cp2", "p2", tasks=("t3",))]))
    responses.get(
        f"{EHR}/Task",
        json=bundle(
            [
                task("t1", "p1", "mri-brain", "2026-11-01"),
                task("t2", "p1", "neuro-review", "2027-01-01", status="completed"),
                task("t3", "p2", "jcv-serology", "2026-12-10"),
            ]
        ),
    )
    responses.get(f"{EHR}/Patient", status=400, json={"resourceType": "OperationOutcome"})
    responses.get(
        f"{EHR}/Patient/p1",
        json={"resourceType": "Patient", "id": "p1", "name": [{"family": "One", "given": ["P"]}]},
    )
    responses.get(f"{EHR}/Patient/p2", status=404, json={"resourceType": "OperationOutcome"})

    worklist = load_worklist(
        FhirClient(EHR, retries=0),
        None,
        systems=SYSTEMS,
        careplan_category=US_CORE_CAREPLAN_ASSESS_PLAN,
        today=TODAY,
    )

    assert worklist.notices == ()
    assert [p.patient_id for p in worklist.plans] == ["p1", "p2"]  # p9's plan is not ours
    one, two = worklist.plans
    assert (one.name, two.name) == ("One, P", None)
    assert [t.code for t in one.tasks] == ["mri-brain"]  # the completed Task is not open
    assert one.tasks[0].due == date(2026, 11, 1)
    assert one.sources == (EHR_SOURCE,)
    task_query = responses.calls[2].request.url
    assert task_query is not None
    assert "_id=t1%2Ct2%2Ct3" in task_query


@responses.activate
def test_a_refused_careplan_search_is_reported_and_the_store_rows_still_show() -> None:
    responses.get(
        f"{EHR}/CarePlan",
        status=400,
        json={"resourceType": "OperationOutcome", "issue": [{"severity": "error"}]},
    )
    issuer_link = {
        "resourceType": "Patient",
        "id": "link1",
        "identifier": [{"system": EHR, "value": "p7"}],
    }
    other_ehr = {
        "resourceType": "Patient",
        "id": "link2",
        "identifier": [{"system": f"{EHR}-other", "value": "p8"}],
    }
    responses.get(f"{STORE}/Patient", json=bundle([issuer_link, other_ehr]))
    stored = careplan("scp", "p7", tasks=("st",))
    stored["subject"] = {"reference": "Patient/link1"}
    stored_task = task("st", "p7", "mri-pml-surveillance", "2026-12-01")
    stored_task["for"] = {"reference": "Patient/link1"}
    responses.get(f"{STORE}/CarePlan", json=bundle([stored]))
    responses.get(f"{STORE}/Task", json=bundle([stored_task]))
    responses.get(
        f"{EHR}/Patient",
        json=bundle([{"resourceType": "Patient", "id": "p7", "birthDate": "1970-02-03"}]),
    )

    worklist = load_worklist(
        FhirClient(EHR, retries=0),
        FhirClient(STORE, retries=0),
        systems=SYSTEMS,
        careplan_category=US_CORE_CAREPLAN_ASSESS_PLAN,
        today=TODAY,
    )

    assert worklist.notices == (EHR_NOT_SEARCHABLE,)
    (plan,) = worklist.plans
    assert (plan.patient_id, plan.sources, plan.birth_date) == ("p7", (STORE_SOURCE,), "1970-02-03")
    assert [t.code for t in plan.tasks] == ["mri-pml-surveillance"]
    category = responses.calls[0].request.url
    assert category is not None
    assert "assess-plan" in category
    assert "patient" not in category.split("?", 1)[1]


@responses.activate
def test_an_unreadable_plan_store_is_reported() -> None:
    responses.get(f"{EHR}/CarePlan", json=bundle([]))
    responses.get(f"{STORE}/Patient", status=500, json={"resourceType": "OperationOutcome"})
    worklist = load_worklist(
        FhirClient(EHR, retries=0),
        FhirClient(STORE, retries=0),
        systems=SYSTEMS,
        careplan_category=US_CORE_CAREPLAN_ASSESS_PLAN,
        today=TODAY,
    )
    assert worklist.plans == ()
    assert len(worklist.notices) == 1
    assert worklist.notices[0].startswith(STORE_UNREADABLE)


@responses.activate
def test_the_sites_careplan_category_is_searched() -> None:
    site_category = "http://hospital.example/careplan-category|ms-monitoring"
    responses.get(f"{EHR}/CarePlan", json=bundle([careplan("cp1", "p1")]))
    responses.get(f"{EHR}/Patient", json=bundle([]))
    worklist = load_worklist(
        FhirClient(EHR, retries=0),
        None,
        systems=SYSTEMS,
        today=TODAY,
        careplan_category=site_category,
    )
    assert [p.patient_id for p in worklist.plans] == ["p1"]
    url = responses.calls[0].request.url
    assert url is not None
    searched = parse_qs(urlsplit(url).query)
    assert searched["category"] == [site_category]
    assert searched["status"] == ["active"]


@responses.activate
def test_the_plan_store_is_searched_by_its_own_category_whatever_the_site() -> None:
    """The store files every plan under assess-plan (plan_delivery.assess_for)."""
    site_category = "http://hospital.example/careplan-category|ms-monitoring"
    responses.get(f"{EHR}/CarePlan", json=bundle([]))
    link = {
        "resourceType": "Patient",
        "id": "link1",
        "identifier": [{"system": EHR, "value": "p7"}],
    }
    responses.get(f"{STORE}/Patient", json=bundle([link]))
    stored = careplan("scp", "p7")
    stored["subject"] = {"reference": "Patient/link1"}
    responses.get(f"{STORE}/CarePlan", json=bundle([stored]))
    responses.get(f"{STORE}/Task", json=bundle([]))
    responses.get(f"{EHR}/Patient", json=bundle([]))
    worklist = load_worklist(
        FhirClient(EHR, retries=0),
        FhirClient(STORE, retries=0),
        systems=SYSTEMS,
        today=TODAY,
        careplan_category=site_category,
    )
    assert [p.patient_id for p in worklist.plans] == ["p7"]
    searched = {
        urlsplit(str(call.request.url)).netloc + urlsplit(str(call.request.url)).path: parse_qs(
            urlsplit(str(call.request.url)).query
        )
        for call in responses.calls
    }
    assert searched["ehr.example/fhir/CarePlan"]["category"] == [site_category]
    assert searched["store.example/fhir/CarePlan"]["category"] == [US_CORE_CAREPLAN_ASSESS_PLAN]
