"""The one reader of a patient's record: one batch, or parallel searches when batch is refused.

Product target: a launch reads in at most two requests (one batch, plus page follow-ups only when a
search has more than one page); https://hl7.org/fhir/R4/http.html#transaction makes batch
optional, and many production EHR FHIR servers do not support it (or forbid it for patient-scoped
tokens). A refusal of the batch POST itself (400, 403, 405, 501) falls back to the same reads as
separate requests, run in parallel so the read stays fast. Our own CarePlan/Tasks may be
unreadable (scope not granted, or 401/403 on that search): the record is then returned without
them and ``plan_readable`` says so, so the caller can evaluate anyway and tell the user.

Every path reads through here: a launch, ``ms-monitor run``, a queue job, a population run and a
CDS Hooks call without prefetch. Which searches are made is decided by :func:`patient_searches`
alone, from the engine's read list (smart_app.domain.reads).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from smart_app.domain.reads import ENGINE_READS, PATIENT_TYPE
from smart_app.errors import FhirError, FhirFatalError
from smart_app.fhir.client import FhirClient, bundle_resources, next_link
from smart_app.fhir.outcome import operation_outcome_text

#: Statuses of the batch POST that mean "this server does not do batch for us": fall back.
BATCH_REFUSED = frozenset({400, 403, 405, 501})
#: Statuses of the plan searches that mean "you may not read CarePlan/Task": go on without them.
PLAN_FORBIDDEN = frozenset({401, 403})


@dataclass(frozen=True, slots=True)
class PlanSystems:
    """The business-identifier systems of the CarePlan and Tasks ms-monitor wrote earlier."""

    careplan: str
    task: str


@dataclass(frozen=True, slots=True)
class PatientRecord:
    """The clinical resources of one patient, the plan ms-monitor wrote earlier, and how read."""

    patient_id: str
    resources: tuple[dict[str, Any], ...]
    existing_plan: tuple[dict[str, Any], ...]
    plan_readable: bool = True  # False: our CarePlan/Tasks were not read (not granted or refused)
    batched: bool = True  # True: one batch request; False: parallel searches


@dataclass(frozen=True, slots=True)
class PatientSearches:
    """The relative URLs of one patient's read, in order: Patient, clinical searches, plan."""

    patient: str
    clinical: tuple[str, ...]
    plan: tuple[str, ...]

    def all(self) -> list[str]:
        return [self.patient, *self.clinical, *self.plan]


def plan_searches(patient_id: str, systems: PlanSystems) -> tuple[str, ...]:
    """Searches for our own CarePlan and Tasks, found by the system of their business identifier."""
    return (
        f"CarePlan?patient={patient_id}&identifier={systems.careplan}|&_count=100",
        f"Task?patient={patient_id}&identifier={systems.task}|&_count=500",
    )


def patient_searches(patient_id: str, plan: PlanSystems | None) -> PatientSearches:
    """Which reads make up a patient's record (the one place that decides it).

    ``plan`` None: our CarePlan/Tasks are not searched (their scopes were not granted).
    """
    return PatientSearches(
        patient=f"{PATIENT_TYPE}/{patient_id}",
        clinical=tuple(search.query(patient_id) for search in ENGINE_READS),
        plan=plan_searches(patient_id, plan) if plan is not None else (),
    )


def read_plan_only(client: FhirClient, patient_id: str, plan: PlanSystems) -> list[dict[str, Any]]:
    """Only our CarePlan and Tasks (the clinical resources came from elsewhere, e.g. an export)."""
    urls = list(plan_searches(patient_id, plan))
    answers, _ = _batch_or_parallel(client, urls, max_workers=len(urls))
    found: list[dict[str, Any]] = []
    for answer in answers:
        if isinstance(answer, FhirError):
            raise answer
        found.extend(_all_pages(client, answer))
    return found


def read_patient_record(
    client: FhirClient,
    patient_id: str,
    *,
    plan: PlanSystems | None,
    max_workers: int = 4,
) -> PatientRecord:
    """Patient, clinical searches and (with ``plan``) our plan: batch first, else parallel."""
    searches = patient_searches(patient_id, plan)
    answers, batched = _batch_or_parallel(client, searches.all(), max_workers=max_workers)
    patient = answers[0]
    if isinstance(patient, FhirError):
        raise patient
    clinical_end = 1 + len(searches.clinical)
    resources = [patient]
    for answer in answers[1:clinical_end]:
        if isinstance(answer, FhirError):
            raise answer
        resources.extend(_all_pages(client, answer))
    existing: list[dict[str, Any]] = []
    plan_readable = plan is not None
    for answer in answers[clinical_end:]:
        if isinstance(answer, FhirError):
            if answer.status not in PLAN_FORBIDDEN:
                raise answer
            plan_readable = False
            existing = []
            break
        existing.extend(_all_pages(client, answer))
    return PatientRecord(
        patient_id,
        tuple(resources),
        tuple(existing),
        plan_readable=plan_readable,
        batched=batched,
    )


def read_planned_record(
    client: FhirClient, patient_id: str, urls: Sequence[str], *, batch: bool, max_workers: int = 4
) -> PatientRecord:
    """Patient and the clinical searches of a portable search plan (smart_app.fhir.search_plan),
    without our plan (it is kept elsewhere). A search the server refuses (400, 403, 404) is left
    out: a data issue, never a failed read. (The write side's hook until the one reader runs
    the portable plan on every path, issue 10.)"""
    all_urls = [f"{PATIENT_TYPE}/{patient_id}", *urls]
    answers: list[dict[str, Any] | FhirError] | None = None
    if batch:
        try:  # Epic answers a batch with an HTML 404, Oracle Health with 422
            answers = _batch(client, all_urls)
        except FhirFatalError as exc:
            if exc.status not in BATCH_REFUSED | {404, 422}:
                raise
    batched = answers is not None
    if answers is None:
        answers = _parallel(client, all_urls, max_workers)
    patient = answers[0]
    if isinstance(patient, FhirError):
        raise patient
    resources = [patient]
    for answer in answers[1:]:
        if isinstance(answer, FhirError):
            if answer.status not in PLAN_FORBIDDEN | {400, 404}:
                raise answer
            continue
        resources.extend(
            r for r in _all_pages(client, answer) if r.get("resourceType") != "OperationOutcome"
        )
    return PatientRecord(patient_id, tuple(resources), (), plan_readable=True, batched=batched)


def _batch_or_parallel(
    client: FhirClient, urls: Sequence[str], *, max_workers: int
) -> tuple[list[dict[str, Any] | FhirError], bool]:
    """The answers in ``urls`` order, and whether they came in one batch."""
    try:
        return _batch(client, urls), True
    except FhirFatalError as exc:
        if exc.status not in BATCH_REFUSED:
            raise
        return _parallel(client, urls, max_workers), False


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
