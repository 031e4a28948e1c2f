"""Output JSON shape, CarePlan/Task generation and reconciliation with the server's plan."""

from __future__ import annotations

import copy
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.task import Task

from smart_app.domain import PlanChanges, build_plan, plan_transaction
from smart_app.domain.dates import add_months
from tests.domain.domain_builders import (
    D,
    Resource,
    benign_base,
    dmt,
    evaluate,
    lesions,
    months_before,
    mri,
    ms_condition,
    patient,
)


def test_to_json_has_exactly_the_spec_keys() -> None:
    resources = [
        *benign_base(),
        dmt("natalizumab", "2023-01-05"),
        lesions("2026-03-01", "gd-lesions", 1, "gd"),
        {"id": "junk"},
    ]
    out = evaluate(resources).to_json()
    assert list(out) == [
        "patient",
        "as_of",
        "classification",
        "activity",
        "current_dmt",
        "recommendations",
        "data_issues",
    ]
    assert list(out["classification"]) == [  # contract v2 adds reason, onset and evidence
        "status",
        "reason",
        "edss",
        "edss_date",
        "onset",
        "disease_duration_years",
        "strict",
        "evidence",
    ]
    assert list(out["activity"]) == ["active", "findings"]
    assert list(out["activity"]["findings"][0]) == ["kind", "date", "evidence"]
    assert out["current_dmt"] == [{"ingredient": "natalizumab", "since": "2023-01-05"}]
    assert set(out["recommendations"][0]) == {
        "code",
        "due",
        "window_start",
        "overdue",
        "priority",
        "rationale",
        "evidence",
        "source",
    }
    assert list(out["data_issues"][0]) == ["code", "resource", "message"]
    assert out["patient"] == "Patient/p1"
    assert out["as_of"] == D.isoformat()


def _server_copy(changes: PlanChanges) -> list[dict[str, Any]]:
    """What a FHIR server would hold after the transaction: ids assigned, urns resolved."""
    assert changes.bundle is not None
    ids: dict[str, str] = {}
    stored: list[dict[str, Any]] = []
    for n, entry in enumerate(changes.bundle["entry"]):
        resource = copy.deepcopy(entry["resource"])
        if entry["request"]["method"] == "POST":
            resource["id"] = f"{resource['resourceType'].lower()}{n}"
            ids[entry["fullUrl"]] = f"{resource['resourceType']}/{resource['id']}"
        resource["meta"] = {"versionId": "1"}
        stored.append(resource)
    text = repr(stored)
    for urn, ref in ids.items():
        text = text.replace(urn, ref)
    result: list[dict[str, Any]] = eval(text)  # noqa: S307 - our own repr of plain dicts
    return result


def _merge(server: list[dict[str, Any]], changes: PlanChanges) -> list[dict[str, Any]]:
    """The server after a second transaction: PUTs replace, POSTs add, urns resolved."""
    assert changes.bundle is not None
    entries = changes.bundle["entry"]
    updated = {
        (e["resource"]["resourceType"], e["resource"].get("id")): e["resource"]
        for e in entries
        if e["request"]["method"] == "PUT"
    }
    merged = [copy.deepcopy(updated.get((r["resourceType"], r["id"]), r)) for r in server]
    ids: dict[str, str] = {}
    for n, entry in enumerate(entries):
        if entry["request"]["method"] == "POST":
            resource = copy.deepcopy(entry["resource"])
            resource["id"] = f"new{n}"
            resource["meta"] = {"versionId": "1"}
            ids[entry["fullUrl"]] = f"{resource['resourceType']}/new{n}"
            merged.append(resource)
    text = repr(merged)
    for urn, ref in ids.items():
        text = text.replace(urn, ref)
    result: list[dict[str, Any]] = eval(text)  # noqa: S307 - our own repr of plain dicts
    return result


def test_first_plan_creates_careplan_and_tasks() -> None:
    report = evaluate(benign_base())
    changes = plan_transaction(report, [])
    assert changes.careplan == "created"
    assert len(changes.created) == len(report.recommendations)
    assert changes.bundle is not None
    Bundle.model_validate(changes.bundle)
    careplan = changes.bundle["entry"][0]
    assert careplan["request"]["ifNoneExist"].startswith(
        "identifier=http://example.org/fhir/ms-monitor/careplan-id|p1."
    )
    plan = CarePlan.model_validate(careplan["resource"])
    assert plan.status == "active"
    assert plan.intent == "plan"
    assert plan.instantiatesCanonical == [
        "http://example.org/fhir/ms-monitor/PlanDefinition/benign-ms-monitoring"
    ]
    written = careplan["resource"]
    assert written["addresses"] == [{"reference": "Condition/ms"}]
    task_urls = {e["fullUrl"] for e in changes.bundle["entry"][1:]}
    assert {a["reference"]["reference"] for a in written["activity"]} == task_urls
    for entry in changes.bundle["entry"][1:]:
        task = Task.model_validate(entry["resource"])
        assert task.status == "requested"
        assert task.intent == "plan"
        resource = entry["resource"]
        assert resource["basedOn"] == [{"reference": careplan["fullUrl"]}]
        assert resource["authoredOn"] == D.isoformat()
        assert resource["for"] == {"reference": "Patient/p1"}
        assert (
            resource["restriction"]["period"]["end"] >= resource["restriction"]["period"]["start"]
        )


def test_same_input_writes_nothing() -> None:
    report = evaluate(benign_base())
    server = _server_copy(plan_transaction(report, []))
    again = plan_transaction(report, server)
    assert again.bundle is None
    assert again.careplan == "unchanged"
    assert len(again.unchanged) == len(report.recommendations)
    # a day later, nothing changed in the data: still nothing to write
    later = plan_transaction(evaluate(benign_base(), as_of=D.replace(day=25)), server)
    assert later.bundle is None


def test_new_mri_completes_mri_task_and_creates_the_next() -> None:
    resources = [patient(), ms_condition(), *benign_base()[2:3], mri(months_before(13), "old")]
    report = evaluate(resources)
    server = _server_copy(plan_transaction(report, []))
    resources.append(mri(months_before(0), "new"))
    changes = plan_transaction(evaluate(resources), server)
    assert changes.completed == ("p1.mri-brain." + months_before(13).isoformat(),)
    assert changes.created == ("p1.mri-brain." + D.isoformat(),)
    assert changes.bundle is not None
    done = next(
        e["resource"] for e in changes.bundle["entry"] if e["resource"].get("status") == "completed"
    )
    assert done["output"][0]["valueReference"]["reference"] == "ImagingStudy/new"
    put = next(e for e in changes.bundle["entry"] if e["resource"] is done)
    assert put["request"] == {"method": "PUT", "url": f"Task/{done['id']}", "ifMatch": 'W/"1"'}
    new_task = next(
        e["resource"] for e in changes.bundle["entry"] if e["request"]["method"] == "POST"
    )
    assert new_task["restriction"]["period"]["end"] == add_months(D, 12).isoformat()
    assert changes.careplan == "updated"
    again = plan_transaction(evaluate(resources), _merge(server, changes))
    assert again.bundle is None


def test_need_gone_cancels_task() -> None:
    active = [*benign_base(), lesions(months_before(1), "gd-lesions", 1, "gd")]
    server = _server_copy(plan_transaction(evaluate(active), []))
    quiet = evaluate(active, as_of=add_months(D, 12))  # activity left the window
    changes = plan_transaction(quiet, server)
    cancelled = {value.split(".")[1] for value in changes.cancelled}
    assert {"consider-dmt", "reassess-benign-status"} <= cancelled
    assert changes.bundle is not None
    for entry in changes.bundle["entry"]:
        if entry["resource"].get("status") == "cancelled":
            assert entry["resource"]["statusReason"]["text"]


def test_task_changed_by_a_person_is_left_alone() -> None:
    active = [*benign_base(), lesions(months_before(1), "gd-lesions", 1, "gd")]
    server = _server_copy(plan_transaction(evaluate(active), []))
    touched: Resource = next(
        r
        for r in server
        if r["resourceType"] == "Task" and r["code"]["coding"][0]["code"] == "consider-dmt"
    )
    touched["status"] = "in-progress"
    owned: Resource = next(
        r
        for r in server
        if r["resourceType"] == "Task"
        and r["code"]["coding"][0]["code"] == "reassess-benign-status"
    )
    owned["owner"] = {"reference": "Practitioner/dr"}
    quiet = evaluate(active, as_of=add_months(D, 12))
    changes = plan_transaction(quiet, server)
    left = {value.split(".")[1] for value in changes.left_alone}
    assert left == {"consider-dmt", "reassess-benign-status"}
    assert changes.bundle is not None
    written = {e["resource"].get("id") for e in changes.bundle["entry"]}
    assert touched["id"] not in written
    assert owned["id"] not in written


def test_not_applicable_writes_no_plan() -> None:
    report = evaluate([patient()])
    assert build_plan(report) is None
    assert plan_transaction(report, []).bundle is None


def test_task_identifier_is_deterministic() -> None:
    report = evaluate(benign_base())
    first = plan_transaction(report, [])
    second = plan_transaction(report, [])
    assert first.bundle == second.bundle
