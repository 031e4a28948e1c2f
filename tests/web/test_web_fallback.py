"""read_patient_record: one batch, else parallel searches; plan optional."""

from __future__ import annotations

from datetime import date

import pytest
import responses

from smart_app.domain.reads import ENGINE_READS
from smart_app.errors import FhirFatalError
from smart_app.fhir import FhirClient
from smart_app.fhir.patient_record import PlanSystems, ReadSetup, read_patient_record
from smart_app.fhir.server_profile import ServerProfiles
from smart_app.service.context import rules_context
from smart_app.service.patient_plan import update_patient_plan
from smart_app.service.server_reads import engine_reads
from smart_app.synthetic import SyntheticPatient
from tests.web.web_fakes import FakeFhir

BASE = "https://fhir.example/r4"
CANON = "http://example.org/fhir/ms-monitor"
PLAN = PlanSystems(careplan=f"{CANON}/careplan-id", task=f"{CANON}/task-id")
CONTEXT = rules_context(date(2026, 11, 24))


def fresh_setup() -> ReadSetup:
    """An open server read with a cache of its own (no refusal remembered from another test)."""
    return ReadSetup(engine=engine_reads(CONTEXT), profiles=ServerProfiles())


def discovery(url: str) -> bool:
    return url.endswith(("/metadata", "/.well-known/smart-configuration"))


@pytest.mark.parametrize("refusal", [None, 400, 403, 405, 501])
def test_batch_or_parallel_read_gives_the_same_record(
    patients: list[SyntheticPatient], refusal: int | None
) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeFhir(BASE, patients, batch_status=refusal)
        fake.install(rsps)
        setup = fresh_setup()
        read = read_patient_record(FhirClient(BASE, retries=0), "msm-002", plan=PLAN, setup=setup)
        posts = [c for c in rsps.calls if c.request.method == "POST"]
        gets = [
            c for c in rsps.calls if c.request.method == "GET" and not discovery(str(c.request.url))
        ]
    searches = [u for u in read.summary.split(";")[0].split() if u.isdigit()]
    expected = list(patients[1].resources)
    assert read.batched is (refusal is None)
    assert read.plan_readable
    assert sorted(r["id"] for r in read.resources) == sorted(r["id"] for r in expected)
    assert len(posts) == 1
    # the Patient, one GET per clinical search (contract v2 reads two more types; Observation is
    # searched by category and by code), and the plan (CarePlan and Task)
    assert int(searches[0]) == len(ENGINE_READS) + 1 + 2
    assert len(gets) == (0 if refusal is None else 1 + len(ENGINE_READS) + 1 + 2)


def test_forbidden_plan_search_is_reported_not_raised(patients: list[SyntheticPatient]) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeFhir(BASE, patients, batch_status=405, plan_search_status=403)
        fake.install(rsps)
        read = read_patient_record(
            FhirClient(BASE, retries=0), "msm-001", plan=PLAN, setup=fresh_setup()
        )
    assert not read.plan_readable
    assert read.existing_plan == ()


def test_skipping_the_plan_does_not_search_it(patients: list[SyntheticPatient]) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        FakeFhir(BASE, patients, batch_status=501).install(rsps)
        read = read_patient_record(
            FhirClient(BASE, retries=0), "msm-001", plan=None, setup=fresh_setup()
        )
        urls = [str(c.request.url) for c in rsps.calls]
    assert not read.plan_readable
    assert not any("/CarePlan" in u or "/Task" in u for u in urls)


def test_missing_patient_raises_with_outcome(patients: list[SyntheticPatient]) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        FakeFhir(BASE, patients).install(rsps)
        with pytest.raises(FhirFatalError, match="not found") as caught:
            read_patient_record(
                FhirClient(BASE, retries=0), "nobody", plan=PLAN, setup=fresh_setup()
            )
    assert caught.value.status == 404


def test_an_unattended_run_never_writes_without_reading_the_plan(
    patients: list[SyntheticPatient],
) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeFhir(BASE, patients, batch_status=405, plan_search_status=403)
        fake.install(rsps)
        with pytest.raises(FhirFatalError, match="could not be read") as caught:
            update_patient_plan(FhirClient(BASE, retries=0), "msm-001", CONTEXT)
    assert caught.value.status == 403
    assert fake.transactions == []
