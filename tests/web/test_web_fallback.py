"""read_patient_record_with_fallback: one batch, else parallel searches; plan optional."""

from __future__ import annotations

import pytest
import responses

from smart_app.errors import FhirFatalError
from smart_app.fhir import FhirClient
from smart_app.fhir.fallback import read_patient_record_with_fallback
from smart_app.fhir.patient_record import CLINICAL_SEARCHES
from smart_app.synthetic import SyntheticPatient
from tests.web.web_fakes import FakeFhir

BASE = "https://fhir.example/r4"
CANON = "http://example.org/fhir/ms-monitor"


@pytest.mark.parametrize("refusal", [None, 400, 403, 405, 501])
def test_batch_or_parallel_read_gives_the_same_record(
    patients: list[SyntheticPatient], refusal: int | None
) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeFhir(BASE, patients, batch_status=refusal)
        fake.install(rsps)
        read = read_patient_record_with_fallback(
            FhirClient(BASE, retries=0), "msm-002", canonical_base=CANON
        )
        posts = [c for c in rsps.calls if c.request.method == "POST"]
        gets = [c for c in rsps.calls if c.request.method == "GET"]
    expected = list(patients[1].resources)
    assert read.batched is (refusal is None)
    assert read.plan_readable
    assert sorted(r["id"] for r in read.record.resources) == sorted(r["id"] for r in expected)
    assert len(posts) == 1
    # the Patient, one GET per clinical search (contract v2 reads two more types), and the plan
    assert len(gets) == (0 if refusal is None else 1 + len(CLINICAL_SEARCHES) + 2)


def test_forbidden_plan_search_is_reported_not_raised(patients: list[SyntheticPatient]) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = FakeFhir(BASE, patients, batch_status=405, plan_search_status=403)
        fake.install(rsps)
        read = read_patient_record_with_fallback(
            FhirClient(BASE, retries=0), "msm-001", canonical_base=CANON
        )
    assert not read.plan_readable
    assert read.record.existing_plan == ()


def test_skipping_the_plan_does_not_search_it(patients: list[SyntheticPatient]) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        FakeFhir(BASE, patients, batch_status=501).install(rsps)
        read = read_patient_record_with_fallback(
            FhirClient(BASE, retries=0), "msm-001", canonical_base=CANON, read_plan=False
        )
        urls = [str(c.request.url) for c in rsps.calls]
    assert not read.plan_readable
    assert not any("/CarePlan" in u or "/Task" in u for u in urls)


def test_missing_patient_raises_with_outcome(patients: list[SyntheticPatient]) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        FakeFhir(BASE, patients).install(rsps)
        with pytest.raises(FhirFatalError, match="not found") as caught:
            read_patient_record_with_fallback(
                FhirClient(BASE, retries=0), "nobody", canonical_base=CANON
            )
    assert caught.value.status == 404
