"""The server profile and the portable search plan, decided from each emulated EHR's documents.

Pure: the CapabilityStatement and SMART configuration each sandbox profile serves (made from the
vendor tables), no HTTP. The same decisions against the running sandbox are in
tests/ehr/test_server_profile_sandbox.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from launch.sandbox.config import SandboxConfig
from launch.sandbox.ehr import PROFILES
from launch.sandbox.ehr.capability import capability_statement
from launch.sandbox.oauth_views import smart_configuration
from smart_app.domain.terminology import default_terminology
from smart_app.fhir.search_plan import (
    EngineReads,
    SearchPlan,
    engine_reads_from_terminology,
    portable_searches,
)
from smart_app.fhir.server_profile import (
    ServerProfile,
    ServerProfiles,
    decide_profile,
    search_signature,
)
from smart_app.site_config import SiteConfiguration

CONFIG = SandboxConfig("http://hapi.test/fhir", "http://ehr.test", "http://app.test/launch")
GRANTED = ("launch", "openid", "patient/*.rs")
EPIC_SITE = SiteConfiguration.from_mapping(
    {
        "codes": {"edss": ["urn:oid:1.2.840.114350.1.13.0.1.7.2.707679|3040101234"]},
        "observation_categories": ["functional-mental-status"],
        "report_categories": ["http://terminology.hl7.org/CodeSystem/v2-0074|RAD"],
    }
)


def documents(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    statement = capability_statement(
        PROFILES[name], fhir_base=CONFIG.fhir_base, issuer=CONFIG.issuer, date="2026-11-01"
    )
    return statement, smart_configuration(CONFIG)


def profile(name: str, granted: tuple[str, ...] | None = GRANTED) -> ServerProfile:
    statement, configuration = documents(name)
    return decide_profile(CONFIG.fhir_base, statement, configuration, granted)


def reads() -> EngineReads:
    return engine_reads_from_terminology(default_terminology())


def by_purpose(plan: SearchPlan) -> dict[str, list[dict[str, str]]]:
    found: dict[str, list[dict[str, str]]] = {}
    for search in plan.searches:
        found.setdefault(f"{search.resource_type}:{search.purpose}", []).append(dict(search.params))
    return found


@pytest.mark.parametrize("name", ["us-core", "epic", "oracle", "athena"])
def test_every_vendor_gets_the_us_core_searches(name: str) -> None:
    plan = portable_searches(profile(name), SiteConfiguration(), reads())
    searches = by_purpose(plan)
    assert searches["Condition:diagnosis"] == [{}]
    (category,) = searches["Observation:observations-by-category"]
    assert category["category"].split(",") == ["exam", "imaging", "laboratory", "survey"]
    (coded,) = searches["Observation:observations-by-code"]
    assert "http://snomed.info/sct|273554001" in coded["code"].split(",")
    (orders,) = searches["MedicationRequest:medications"]
    assert orders["intent"] == "order,plan"
    # US Core's LOINC radiology category, and HL7 v2 RAD (the cohort's and many EHRs' reports)
    assert searches["DiagnosticReport:radiology"] == [
        {"category": "http://loinc.org|LP29684-5,http://terminology.hl7.org/CodeSystem/v2-0074|RAD"}
    ]
    (plan_search,) = searches["CarePlan:plan"]
    assert plan_search == {
        "category": "http://hl7.org/fhir/us/core/CodeSystem/careplan-category|assess-plan"
    }
    for search in plan.searches:
        assert "identifier" not in dict(search.params)  # Epic ignores it: filter client-side
        url = search.url("p1")
        assert url.startswith(f"{search.resource_type}?patient=p1")
        assert url != f"{search.resource_type}?patient=p1" or search.resource_type in (
            "Condition",
            "ImagingStudy",
            "MedicationAdministration",
            "Task",
        )


def test_epic_profile_parallel_with_includes_and_site_codes() -> None:
    epic = profile("epic")
    assert (epic.batch, epic.transaction, epic.smart_v1, epic.smart_v2, epic.pkce_s256) == (
        False,
        False,
        True,
        True,
        True,
    )
    assert not epic.can_write("CarePlan", "create")
    assert not epic.can_write("Task", "create")
    assert epic.types["Observation"].conditional_create is False
    plan = portable_searches(epic, EPIC_SITE, reads())
    searches = by_purpose(plan)
    assert searches["MedicationRequest:medications"][0]["_include"] == (
        "MedicationRequest:medication"
    )
    categories = searches["Observation:observations-by-category"][0]["category"].split(",")
    assert categories[-1] == "functional-mental-status"
    codes = searches["Observation:observations-by-code"][0]["code"].split(",")
    assert "urn:oid:1.2.840.114350.1.13.0.1.7.2.707679|3040101234" in codes
    assert searches["DiagnosticReport:radiology"][0]["category"] == (
        "http://loinc.org|LP29684-5,http://terminology.hl7.org/CodeSystem/v2-0074|RAD"
    )
    assert "ImagingStudy:imagingStudy" in searches  # declared: asked, refused at run time
    assert "MedicationStatement:medicationStatement" not in searches
    assert plan.batch is False
    assert plan.summary() == (
        f"read {len(plan.searches)} searches in parallel; "
        "MedicationStatement not offered by this server"
    )


def test_oracle_declares_batch_until_refused_and_lacks_imaging_and_task() -> None:
    oracle = profile("oracle")
    plan = portable_searches(oracle, SiteConfiguration(), reads())
    assert plan.batch is True
    assert "_include" not in by_purpose(plan)["MedicationRequest:medications"][0]
    assert {u.resource_type for u in plan.unavailable} == {"ImagingStudy", "MedicationStatement"}
    assert "Task:plan" not in by_purpose(plan)
    assert plan.summary().endswith(
        "ImagingStudy not offered by this server; MedicationStatement not offered by this server"
    )
    refused = portable_searches(oracle.refused("batch"), SiteConfiguration(), reads())
    assert refused.batch is False
    assert refused.summary().startswith(f"read {len(refused.searches)} searches in parallel")


def test_group_export_is_read_from_the_statement() -> None:
    """Epic declares Group with no interaction but ``$export``: no Group read, an export."""
    epic = profile("epic", ("system/*.rs",))
    assert epic.offers_operation("Group", "export")
    assert not epic.readable("Group")
    assert not epic.offers_operation("Patient", "export")
    oracle = profile("oracle", ("system/*.rs",))
    assert not oracle.offers_operation("Group", "export")
    hapi_style = decide_profile(
        "http://hapi.test/fhir",
        {"rest": [{"resource": [{"type": "Group", "operation": [{"name": "$export"}]}]}]},
        None,
        None,
    )
    assert hapi_style.offers_operation("Group", "export"), "a leading $ is not part of the name"


def test_remembered_refusals_drop_a_type_or_a_search() -> None:
    cache = ServerProfiles(ttl_seconds=60, clock=lambda: 0.0)
    cache.remember_refusal(CONFIG.fhir_base + "/", "ImagingStudy")
    cache.remember_refusal(CONFIG.fhir_base, search_signature("Observation", ["category"]))
    epic = profile("epic")
    from dataclasses import replace

    epic = replace(epic, refusals=cache.refusals(CONFIG.fhir_base))
    plan = portable_searches(epic, SiteConfiguration(), reads())
    searches = by_purpose(plan)
    assert "ImagingStudy:imagingStudy" not in searches
    assert "Observation:observations-by-category" not in searches
    assert "Observation:observations-by-code" in searches
    assert "ImagingStudy refused by this server" in plan.summary()


def test_refusals_expire_with_the_ttl() -> None:
    now = [0.0]
    cache = ServerProfiles(ttl_seconds=60, clock=lambda: now[0])
    cache.remember_refusal("http://ehr.test/fhir", "batch")
    assert cache.refusals("http://ehr.test/fhir") == {"batch"}
    now[0] = 61.0
    assert cache.refusals("http://ehr.test/fhir") == frozenset()


def test_scopes_decide_what_is_readable() -> None:
    narrow = profile("us-core", ("launch", "patient/Condition.rs", "patient/Observation.read"))
    plan = portable_searches(narrow, SiteConfiguration(), reads())
    assert {s.resource_type for s in plan.searches} == {"Condition", "Observation"}
    reasons = {u.resource_type: u.reason for u in plan.unavailable}
    assert reasons["MedicationRequest"] == "not-granted"
    assert reasons["ImagingStudy"] == "not-offered"
    assert plan.plan_readable is False
    granular = profile("us-core", ("patient/Observation.rs?category=laboratory",))
    assert not granular.readable("Observation")  # a granular scope is not all the patient's data


def test_open_server_reads_everything_it_declares() -> None:
    opened = profile("athena", None)
    assert opened.open_server
    assert opened.readable("Observation")
    assert not opened.readable("ImagingStudy")


def test_engine_reads_come_from_the_terminology() -> None:
    engine = reads()
    assert engine.observation_codes["edss"] == (
        "http://example.org/fhir/ms-monitor/CodeSystem/ms-observation|edss",
        "http://snomed.info/sct|273554001",
    )
    assert {"DiagnosticReport", "MedicationAdministration"} <= engine.resource_types
