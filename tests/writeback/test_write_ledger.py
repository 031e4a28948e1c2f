"""The write ledger in a real plan store (HAPI): open once, If-Match on commit, 409 re-read."""

from __future__ import annotations

import uuid

import pytest
import requests

from smart_app.errors import FhirFatalError
from smart_app.fhir import FhirClient
from smart_app.service.plan_store import link_patient
from smart_app.service.write_ledger import COMMITTED, PENDING, WriteLedger
from tests.writeback.writeback_helpers import CANONICAL

pytestmark = pytest.mark.integration


@pytest.fixture
def ledger(plan_store_url: str) -> WriteLedger:
    return WriteLedger(FhirClient(plan_store_url), CANONICAL)


@pytest.fixture
def subject(plan_store_url: str) -> str:
    link = link_patient(FhirClient(plan_store_url), "https://ehr.example/fhir", uuid.uuid4().hex)
    return link.reference


def test_open_is_idempotent_and_starts_pending(ledger: WriteLedger, subject: str) -> None:
    key = f"k-{uuid.uuid4().hex}"
    first = ledger.open(key, subject=subject, kind="ehr-note")
    second = ledger.open(key, subject=subject, kind="ehr-note")
    assert first.entry_id == second.entry_id
    assert first.state == PENDING
    assert ledger.find(key) == first


def test_patient_link_is_one_per_issuer_and_patient(plan_store_url: str) -> None:
    store = FhirClient(plan_store_url)
    patient = uuid.uuid4().hex
    a = link_patient(store, "https://a.example/fhir", patient)
    assert link_patient(store, "https://a.example/fhir/", patient) == a
    b = link_patient(store, "https://b.example/fhir", patient)
    assert b.link_id != a.link_id  # same patient id at two EHRs: two links


def test_a_stale_commit_rereads_and_keeps_the_committed_answer(
    ledger: WriteLedger, subject: str
) -> None:
    key = f"k-{uuid.uuid4().hex}"
    opened = ledger.open(key, subject=subject, kind="ehr-note")
    ledger.commit(opened, location="DocumentReference/first", etag='W/"1"')
    # another worker's stale view of the entry (the version it read when it was pending)
    kept = ledger.commit(opened, location="DocumentReference/second", etag='W/"1"')
    assert kept.state == COMMITTED
    assert kept.location == "DocumentReference/first"
    assert ledger.find(key).location == "DocumentReference/first"  # type: ignore[union-attr]


def test_a_stale_commit_of_a_still_pending_entry_is_merged(
    ledger: WriteLedger, subject: str, plan_store_url: str
) -> None:
    key = f"k-{uuid.uuid4().hex}"
    opened = ledger.open(key, subject=subject, kind="ehr-note")
    # someone touched the pending entry (a new version, still pending)
    current = requests.get(f"{plan_store_url}/Basic/{opened.entry_id}", timeout=30).json()
    answer = requests.put(
        f"{plan_store_url}/Basic/{opened.entry_id}",
        json={**{k: v for k, v in current.items() if k != "meta"}, "created": "2026-01-01"},
        headers={"Content-Type": "application/fhir+json"},
        timeout=30,
    )
    assert answer.status_code == 200
    found = ledger.find(key)
    assert found is not None
    assert found.version != opened.version
    merged = ledger.commit(opened, location="DocumentReference/ours", etag="")
    assert merged.location == "DocumentReference/ours"
    assert ledger.find(key).state == COMMITTED  # type: ignore[union-attr]


def test_commit_sends_if_match(ledger: WriteLedger, subject: str, plan_store_url: str) -> None:
    """Without If-Match HAPI would overwrite; with a wrong version it answers 409."""
    key = f"k-{uuid.uuid4().hex}"
    opened = ledger.open(key, subject=subject, kind="ehr-note")
    store = FhirClient(plan_store_url)
    body = store.read("Basic", opened.entry_id)
    with pytest.raises(FhirFatalError) as refused:
        store.write_once("PUT", f"Basic/{opened.entry_id}", body, headers={"If-Match": 'W/"999"'})
    assert refused.value.status in (409, 412)
