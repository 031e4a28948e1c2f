"""Every edge reads what the engine's one read list says (smart_app.domain.reads)."""

from __future__ import annotations

from datetime import date

from smart_app.auth.scopes import READ_RESOURCES, resource_scopes
from smart_app.domain import CLINICAL_TYPES
from smart_app.domain.reads import ENGINE_READS, PLAN_TYPES, input_types
from smart_app.fhir.bulk import EXPORT_TYPES
from smart_app.fhir.patient_record import PlanSystems, patient_searches
from smart_app.jobs.subscriptions import subscription_criteria
from smart_app.service.cds import PREFETCH
from smart_app.service.context import rules_context
from smart_app.web.evidence import EVIDENCE_TYPES

PATIENT = "p-1"


def test_cds_prefetch_is_the_readers_searches() -> None:
    searches = patient_searches(PATIENT, plan=None)
    filled = {key: t.replace("{{context.patientId}}", PATIENT) for key, t in PREFETCH.items()}
    assert sorted(filled.values()) == sorted([searches.patient, *searches.clinical])


def test_the_plan_is_searched_only_when_asked() -> None:
    systems = PlanSystems(careplan="urn:cp", task="urn:task")
    with_plan = patient_searches(PATIENT, plan=systems)
    assert [url.split("?", 1)[0] for url in with_plan.plan] == list(PLAN_TYPES)
    assert patient_searches(PATIENT, plan=None).plan == ()


def test_export_scopes_evidence_and_subscriptions_follow_the_list() -> None:
    clinical = [read.resource_type for read in ENGINE_READS]
    assert EXPORT_TYPES.split(",") == list(input_types())
    assert set(READ_RESOURCES) == {*input_types(), *PLAN_TYPES}
    assert all(f"patient/{t}.rs" in resource_scopes(v2=True) for t in input_types())
    assert set(EVIDENCE_TYPES) == {*clinical, *PLAN_TYPES}
    criteria = subscription_criteria(rules_context(date(2026, 1, 1)).terminology)
    assert [c.split("?", 1)[0] for c in criteria] == clinical


def test_the_read_list_is_what_the_extraction_reads() -> None:
    """The reader fetches exactly the types the engine has a reader for (no more, no fewer)."""
    assert {read.resource_type for read in ENGINE_READS} == set(CLINICAL_TYPES)
