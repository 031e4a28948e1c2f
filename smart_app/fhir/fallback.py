"""Read a patient's record in one batch, or in parallel searches when the server refuses batch.

Many production EHR FHIR servers do not support batch (or forbid it for patient-scoped tokens):
https://hl7.org/fhir/R4/http.html#transaction makes batch optional. A refusal of the batch POST
itself (400, 403, 405, 501) falls back to the same reads as separate requests, run in parallel so
the launch stays fast. Our own CarePlan/Tasks may be unreadable (scope not granted, or 401/403 on
that search): the record is then returned without them and ``plan_readable`` says so, so the app
can evaluate anyway and tell the user.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from smart_app.errors import FhirError, FhirFatalError
from smart_app.fhir.client import FhirClient, bundle_resources, next_link
from smart_app.fhir.outcome import operation_outcome_text
from smart_app.fhir.patient_record import CLINICAL_SEARCHES, PatientRecord, plan_searches

#: Statuses of the batch POST that mean "this server does not do batch for us": fall back.
BATCH_REFUSED = frozenset({400, 403, 405, 501})
#: Statuses of the plan searches that mean "you may not read CarePlan/Task": go on without them.
PLAN_FORBIDDEN = frozenset({401, 403})


@dataclass(frozen=True, slots=True)
class PatientRead:
    """A patient record and how it was read."""

    record: PatientRecord
    plan_readable: bool  # False: our CarePlan/Tasks were not read (not granted or refused)
    batched: bool  # True: one batch request; False: parallel searches


def read_patient_record_with_fallback(
    client: FhirClient,
    patient_id: str,
    *,
    canonical_base: str,
    read_plan: bool = True,
    max_workers: int = 4,
) -> PatientRead:
    """Patient, clinical searches and (when ``read_plan``) our plan: batch first, else parallel."""
    clinical = [url.format(id=patient_id) for url in CLINICAL_SEARCHES]
    plan = [url.format(id=patient_id) for url in plan_searches(canonical_base)] if read_plan else []
    urls = [f"Patient/{patient_id}", *clinical, *plan]
    try:
        answers = _batch(client, urls)
        batched = True
    except FhirFatalError as exc:
        if exc.status not in BATCH_REFUSED:
            raise
        answers = _parallel(client, urls, max_workers)
        batched = False
    patient = answers[0]
    if isinstance(patient, FhirError):
        raise patient
    resources = [patient]
    for answer in answers[1 : 1 + len(clinical)]:
        if isinstance(answer, FhirError):
            raise answer
        resources.extend(_all_pages(client, answer))
    existing: list[dict[str, Any]] = []
    plan_readable = read_plan
    for answer in answers[1 + len(clinical) :]:
        if isinstance(answer, FhirError):
            if answer.status not in PLAN_FORBIDDEN:
                raise answer
            plan_readable = False
            existing = []
            break
        existing.extend(_all_pages(client, answer))
    record = PatientRecord(patient_id, tuple(resources), tuple(existing))
    return PatientRead(record, plan_readable=plan_readable, batched=batched)


def _batch(client: FhirClient, urls: Sequence[str]) -> list[dict[str, Any] | FhirError]:
    """One batch Bundle; each failed entry becomes a :class:`FhirFatalError` in its place."""
    bundle = {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [{"request": {"method": "GET", "url": url}} for url in urls],
    }
    # transaction() POSTs a Bundle to the base: the same interaction serves batch and transaction
    response = client.transaction(bundle)
    entries = response.get("entry") or []
    if len(entries) != len(urls):
        raise FhirFatalError(f"batch entry count: {len(entries)} answers for {len(urls)} requests")
    answers: list[dict[str, Any] | FhirError] = []
    for url, entry in zip(urls, entries, strict=True):
        reply = entry.get("response") or {}
        status = str(reply.get("status", ""))
        resource = entry.get("resource") or {}
        if status.startswith("2") and isinstance(resource, dict) and resource:
            answers.append(resource)
            continue
        outcome = reply.get("outcome") or resource
        code = status.split(" ", 1)[0]
        answers.append(
            FhirFatalError(
                f"batch entry GET {url.split('?', 1)[0]} failed with {status or 'no status'}",
                status=int(code) if code.isdigit() else None,
                outcome=operation_outcome_text(json.dumps(outcome)),
            )
        )
    return answers


def _parallel(
    client: FhirClient, urls: Sequence[str], max_workers: int
) -> list[dict[str, Any] | FhirError]:
    """The batch's GETs as separate requests on a small thread pool (answers in ``urls`` order)."""

    def fetch(url: str) -> dict[str, Any] | FhirError:
        path, _, query = url.partition("?")
        try:
            if not query:
                resource_type, _, resource_id = path.partition("/")
                return client.read(resource_type, resource_id)
            return next(client.search_pages(path, parse_qsl(query, keep_blank_values=True)))
        except FhirError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(urls)))) as pool:
        return list(pool.map(fetch, urls))


def _all_pages(client: FhirClient, first: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(bundle_resources(first))
    url = next_link(first)
    while url is not None:
        page = client.page(url)
        found.extend(bundle_resources(page))
        url = next_link(page)
    return found
