"""How one patient's reads travel: one batch Bundle where the server takes it, else parallel GETs.

Batch is optional in FHIR (https://hl7.org/fhir/R4/http.html#transaction) and production EHRs
refuse it in their own ways (Epic 404 with an HTML body, Oracle Health 422, others
400/403/405/501): a refusal falls back to separate GETs on a small bounded thread pool. Each
answer is a resource (a searchset's first page) or the :class:`FhirError` of that one request,
in the order asked, so the caller decides what a failed search means.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qsl

from smart_app.errors import FhirError, FhirFatalError
from smart_app.fhir.client import FhirClient
from smart_app.fhir.outcome import operation_outcome_text

#: Statuses of the batch POST that mean "this server does not do batch for us": fall back.
#: Epic answers 404 (HTML), Oracle Health 422, servers without batch 400/403/405/501.
BATCH_REFUSED = frozenset({400, 403, 404, 405, 422, 501})
#: Parallel GETs per read: one patient's searches (about ten) go out at once, so a launch waits
#: for one round trip, and never more than this many at a time; a rate-limited EHR's 429 is
#: retried after its ``Retry-After`` (smart_app.fhir.client).
MAX_PARALLEL = 12


def batch_or_parallel(
    client: FhirClient,
    urls: Sequence[str],
    *,
    use_batch: bool,
    on_refused: Callable[[], None],
    max_workers: int = MAX_PARALLEL,
) -> tuple[list[dict[str, Any] | FhirError], bool]:
    """The answers in ``urls`` order, and whether they came in one batch. A refused batch calls
    ``on_refused`` (the caller remembers it) and falls back to parallel GETs."""
    if use_batch:
        try:
            return _batch(client, urls), True
        except FhirFatalError as exc:
            if exc.status not in BATCH_REFUSED:
                raise
            on_refused()
    return parallel_gets(client, urls, max_workers), False


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


def parallel_gets(
    client: FhirClient, urls: Sequence[str], max_workers: int = MAX_PARALLEL
) -> list[dict[str, Any] | FhirError]:
    """The GETs as separate requests on a small, bounded thread pool (answers in ``urls`` order);
    a 429 is retried by the client after its ``Retry-After``."""

    def fetch(url: str) -> dict[str, Any] | FhirError:
        path, _, query = url.partition("?")
        try:
            if not query:
                resource_type, _, resource_id = path.partition("/")
                return client.read(resource_type, resource_id)
            return next(client.search_pages(path, parse_qsl(query, keep_blank_values=True)))
        except FhirError as exc:
            return exc

    workers = max(1, min(max_workers, MAX_PARALLEL, len(urls)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fetch, urls))
