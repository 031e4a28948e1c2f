"""A site that files plans under its own CarePlan category writes with it and finds its plan
again (real HAPI): the written category is the one the reader searches by."""

from __future__ import annotations

from datetime import date

import pytest

from smart_app.domain import EvaluationContext
from smart_app.fhir import FhirClient
from smart_app.service.patient_plan import update_patient_plan
from smart_app.site_config import US_CORE_CAREPLAN_ASSESS_PLAN, SiteConfiguration
from tests.jobs.test_events_hapi import load_fresh_patient

pytestmark = pytest.mark.integration

AS_OF = date(2026, 11, 24)
CONTEXT = EvaluationContext(AS_OF)
SITE_CATEGORY = "http://example.org/fhir/site-careplan-category|ms-monitoring"


def our_careplans(fhir: FhirClient, patient_id: str) -> list[dict[str, object]]:
    return list(
        fhir.search(
            "CarePlan",
            {"patient": patient_id, "identifier": f"{CONTEXT.canonical_base}/careplan-id|"},
        )
    )


def test_a_site_category_is_written_and_the_plan_found_again(fhir: FhirClient) -> None:
    patient_id = load_fresh_patient(fhir, AS_OF)
    site = SiteConfiguration(careplan_category=SITE_CATEGORY)

    first = update_patient_plan(fhir, patient_id, CONTEXT, site=site)
    assert first.written
    assert first.changes.careplan == "created"
    (plan,) = our_careplans(fhir, patient_id)
    system, code = SITE_CATEGORY.split("|")
    assert plan["category"] == [{"coding": [{"system": system, "code": code}]}]

    second = update_patient_plan(fhir, patient_id, CONTEXT, site=site)
    assert second.changes.careplan == "unchanged", "the plan was found by the site's category"
    assert not second.written
    assert second.changes.created == ()
    assert len(our_careplans(fhir, patient_id)) == 1


def test_the_default_site_still_writes_us_core_assess_plan(fhir: FhirClient) -> None:
    patient_id = load_fresh_patient(fhir, AS_OF)
    first = update_patient_plan(fhir, patient_id, CONTEXT)
    assert first.written
    (plan,) = our_careplans(fhir, patient_id)
    system, code = US_CORE_CAREPLAN_ASSESS_PLAN.split("|")
    assert plan["category"] == [{"coding": [{"system": system, "code": code}]}]
    assert not update_patient_plan(fhir, patient_id, CONTEXT).written
