"""What a vendor fact's answer must look like: the checks the fact table names."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.test import TestResponse

from launch.sandbox.ehr import codes
from tests.ehr.ehr_helpers import Ehr

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
    scope: str | None = None  # the launch's scopes, when not the usual read + write


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


def insufficient_scope(response: TestResponse, _ehr: Ehr) -> None:
    assert response.content_type == "application/json"
    assert response.get_json()["error"] == "insufficient_scope"


def ignored_parameter(response: TestResponse, ehr: Ehr) -> None:
    assert {r["id"] for r in resources(response)} == {f"{ehr.patient}-ms"}
    (issue_holder,) = resources(response, "outcome")
    issue = issue_holder["issue"][0]
    assert issue["severity"] == "information"
    assert issue["diagnostics"] == "Parameter onset-info was ignored."


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


def declares_group_export_only(response: TestResponse, _ehr: Ehr) -> None:
    """Group in the statement with no interaction but the Bulk Data ``export`` operation."""
    types = {r["type"]: r for r in response.get_json()["rest"][0]["resource"]}
    assert types["Group"]["interaction"] == []
    assert [op["name"] for op in types["Group"]["operation"]] == ["export"]
