"""The one reader of a patient's record: the portable searches this server offers, batched or not.

Every path reads through here: a launch, ``ms-monitor run``, a queue job, a population run and a
CDS Hooks call without prefetch. Which searches are made is decided per server by
:func:`smart_app.fhir.search_plan.portable_searches` from the server's profile (its
CapabilityStatement, SMART configuration and the scopes granted, cached per issuer), the site's
configuration (its issuer registration) and what the engine reads (smart_app.domain.reads).

Production EHRs answer less than HAPI (https://fhir.epic.com/Documentation?docId=fhir,
https://docs.oracle.com/en/industries/health/millennium-platform-apis/): batch
(https://hl7.org/fhir/R4/http.html#transaction) is sent only where offered, and a refused batch
(Epic 404 with an HTML body, Oracle 422, others 400/403/405/501) falls back to bounded parallel GETs
and is remembered for the issuer. A search the server refuses (400/403/404/422) is remembered too
and its type becomes the engine's ``unavailable`` input (data issue ``resource-unavailable``),
never a failed read. Next links are followed verbatim (same server only), ``_count`` is a hint,
``Bundle.total`` is never used and OperationOutcome entries are skipped. Our own CarePlan/Tasks are
filtered client-side (smart_app.fhir.own_plan); when they cannot be read the record says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from smart_app.domain.reads import ENGINE_READS, PATIENT_TYPE
from smart_app.errors import FhirError, FhirFatalError, FhirTemporaryError
from smart_app.fhir.client import FhirClient, ScopedTokenSource, bundle_resources, next_link
from smart_app.fhir.own_plan import PlanSystems, our_plan, referenced_task_ids
from smart_app.fhir.read_transport import MAX_PARALLEL, batch_or_parallel, parallel_gets
from smart_app.fhir.search_plan import (
    EngineReads,
    PlannedSearch,
    Unavailable,
    portable_searches,
)
from smart_app.fhir.server_profile import (
    BATCH,
    ServerProfile,
    ServerProfiles,
    assumed_profile,
    search_signature,
)
from smart_app.site_config import US_CORE_CAREPLAN_ASSESS_PLAN, SiteConfiguration

__all__ = [
    "PatientRecord",
    "PatientSearches",
    "PlanSystems",
    "ReadSetup",
    "patient_searches",
    "read_patient_record",
    "read_plan_only",
]

#: Statuses of a search that mean "this server will not answer it": remembered, not fatal.
SEARCH_REFUSED = frozenset({400, 403, 404, 422})
#: Statuses of the plan searches that mean "you may not read CarePlan/Task": go on without them.
PLAN_FORBIDDEN = frozenset({401, 403})
#: Searches of our own plan (smart_app.fhir.search_plan.PlannedSearch.purpose).
PLAN_PURPOSE = "plan"
_COUNT_HINTS = {read.resource_type: read.count for read in ENGINE_READS}
_DEFAULT_COUNT = 100

#: One cache of server profiles per process (the web runtime keeps its own).
SHARED_PROFILES = ServerProfiles()


@dataclass(frozen=True, slots=True)
class ReadSetup:
    """How one server is read: the profiles cache, the site's configuration, what the engine
    reads, and the scopes granted (``granted`` None: an open server, or a grant we were not told;
    then the server's refusals decide)."""

    engine: EngineReads
    site: SiteConfiguration = field(default_factory=SiteConfiguration)
    granted: frozenset[str] | None = None
    profiles: ServerProfiles = field(default_factory=lambda: SHARED_PROFILES)

    @classmethod
    def for_client(
        cls,
        client: FhirClient,
        engine: EngineReads,
        site: SiteConfiguration | None = None,
        profiles: ServerProfiles | None = None,
    ) -> ReadSetup:
        """For an unattended client: the grant of its Backend Services token, if it has one."""
        source = client.token_source
        granted = source.granted_scopes() if isinstance(source, ScopedTokenSource) else None
        return cls(
            engine=engine,
            site=site or SiteConfiguration(),
            granted=granted,
            profiles=profiles or SHARED_PROFILES,
        )

    def refused_batch(self, client: FhirClient) -> Callable[[], None]:
        """What to do when the server refuses batch: remember it for the issuer."""
        return lambda: self.profiles.remember_refusal(client.base_url, BATCH)

    def profile(self, client: FhirClient) -> ServerProfile:
        """The issuer's profile; a server whose statement cannot be read is assumed to be a
        US Core server (its refusals then teach us the rest). A server that answers 429/503
        (after the client's retries) fails the read at once: the caller retries."""
        try:
            return self.profiles.profile_for(client, self.granted)
        except FhirError as error:
            if isinstance(error, FhirTemporaryError) and error.status is not None:
                raise  # 429/503 after the client's retries: the server is busy or down
            return assumed_profile(
                client.base_url, self.granted, self.profiles.refusals(client.base_url)
            )


@dataclass(frozen=True, slots=True)
class PatientRecord:
    """The clinical resources of one patient, the plan ms-monitor wrote earlier, and how read."""

    patient_id: str
    resources: tuple[dict[str, Any], ...]
    existing_plan: tuple[dict[str, Any], ...]
    plan_readable: bool = True  # False: our CarePlan/Tasks were not read (not granted or refused)
    batched: bool = True  # True: one batch request; False: parallel searches
    unavailable: tuple[str, ...] = ()  # engine types not offered or refused: resource-unavailable
    summary: str = ""  # one line for the dashboard: how it was read, what was missing


@dataclass(frozen=True, slots=True)
class PatientSearches:
    """The engine's read list as plain patient searches: Patient, clinical searches, plan.

    The form of the CDS Hooks prefetch templates (smart_app.service.cds), which the CDS client
    fills with its own privileges; the reader itself plans per server (:func:`portable_searches`).
    """

    patient: str
    clinical: tuple[str, ...]
    plan: tuple[str, ...]

    def all(self) -> list[str]:
        return [self.patient, *self.clinical, *self.plan]


def patient_searches(patient_id: str, plan: PlanSystems | None) -> PatientSearches:
    """The read list as patient searches (``plan`` None: our CarePlan/Tasks not searched)."""
    return PatientSearches(
        patient=f"{PATIENT_TYPE}/{patient_id}",
        clinical=tuple(search.query(patient_id) for search in ENGINE_READS),
        plan=(
            (
                f"CarePlan?patient={patient_id}&category={US_CORE_CAREPLAN_ASSESS_PLAN}",
                f"Task?patient={patient_id}",
            )
            if plan is not None
            else ()
        ),
    )


def read_patient_record(
    client: FhirClient,
    patient_id: str,
    *,
    plan: PlanSystems | None,
    setup: ReadSetup,
    max_workers: int = MAX_PARALLEL,
) -> PatientRecord:
    """Patient, the portable clinical searches and (with ``plan``) our plan."""
    searches = portable_searches(setup.profile(client), setup.site, setup.engine)
    clinical = [s for s in searches.searches if s.purpose != PLAN_PURPOSE]
    plan_reads = [s for s in searches.searches if s.purpose == PLAN_PURPOSE] if plan else []
    urls = [f"{PATIENT_TYPE}/{patient_id}", *(_url(s, patient_id) for s in clinical + plan_reads)]
    answers, batched = batch_or_parallel(
        client,
        urls,
        use_batch=searches.batch,
        on_refused=setup.refused_batch(client),
        max_workers=max_workers,
    )
    patient = answers[0]
    if isinstance(patient, FhirError):
        raise patient
    resources: dict[tuple[str, str], dict[str, Any]] = {(PATIENT_TYPE, patient_id): patient}
    read_types: set[str] = set()
    refused: list[Unavailable] = []
    for search, answer in zip(clinical, answers[1 : 1 + len(clinical)], strict=True):
        found = _answer_or_refusal(client, search, answer, setup)
        if found is None:
            refused.append(Unavailable(search.resource_type, "refused"))
            continue
        read_types.add(search.resource_type)
        for resource in found:
            resources.setdefault((str(resource["resourceType"]), str(resource.get("id"))), resource)
    existing, plan_readable = _own_plan(
        client, patient_id, plan, plan_reads, answers[1 + len(clinical) :], setup
    )
    missing = [u for u in searches.unavailable if u.resource_type not in read_types]
    missing += [u for u in refused if u.resource_type not in read_types]
    missing = list({u.resource_type: u for u in missing}.values())
    shown = replace(searches, searches=tuple(clinical + plan_reads), batch=batched)
    return PatientRecord(
        patient_id,
        tuple(resources.values()),
        tuple(existing),
        plan_readable=plan_readable,
        batched=batched,
        unavailable=tuple(sorted(u.resource_type for u in missing)),
        summary=replace(shown, unavailable=tuple(missing)).summary(),
    )


def read_plan_only(
    client: FhirClient,
    patient_id: str,
    plan: PlanSystems,
    *,
    setup: ReadSetup | None = None,
    named_patient: str | None = None,
) -> list[dict[str, Any]]:
    """Only our CarePlan and Tasks (the clinical resources came from elsewhere, e.g. an export;
    or the plan store keeps them). An unreadable plan raises: an unattended write must know the
    plan already there. ``named_patient``: the patient our identifiers name, when the server
    files the plan under another id (the plan store's Patient link); ``setup`` None: the
    client's own grant and the shared profiles."""
    setup = setup or ReadSetup.for_client(client, EngineReads(resource_types=frozenset()))
    searches = portable_searches(setup.profile(client), setup.site, setup.engine)
    reads = [s for s in searches.searches if s.purpose == PLAN_PURPOSE]
    if not reads:
        raise FhirFatalError(f"this server offers no CarePlan search for Patient/{patient_id}")
    urls = [_url(s, patient_id) for s in reads]
    answers, _ = batch_or_parallel(
        client, urls, use_batch=searches.batch, on_refused=setup.refused_batch(client)
    )
    existing, readable = _own_plan(
        client, patient_id, plan, reads, answers, setup, named_patient=named_patient
    )
    if not readable:
        raise FhirFatalError(
            f"the CarePlan and Tasks of Patient/{patient_id} could not be read", status=403
        )
    return existing


def _url(search: PlannedSearch, patient_id: str) -> str:
    count = _COUNT_HINTS.get(search.resource_type, _DEFAULT_COUNT)
    return f"{search.url(patient_id)}&_count={count}"  # a hint: servers may cap it


def _answer_or_refusal(
    client: FhirClient,
    search: PlannedSearch,
    answer: dict[str, Any] | FhirError,
    setup: ReadSetup,
) -> list[dict[str, Any]] | None:
    """The search's resources (all pages), or None when the server refused it (remembered)."""
    if isinstance(answer, FhirError):
        if answer.status not in SEARCH_REFUSED:
            raise answer
        setup.profiles.remember_refusal(client.base_url, _refusal(search, answer.status))
        return None
    try:
        return _all_pages(client, answer)
    except FhirError as error:
        if error.status not in SEARCH_REFUSED:
            raise
        setup.profiles.remember_refusal(client.base_url, _refusal(search, error.status))
        return None


def _refusal(search: PlannedSearch, status: int | None) -> str:
    """403/404: the type itself is refused; 400/422: this search (its parameter names)."""
    if status in (403, 404):
        return search.resource_type
    return search_signature(search.resource_type, [name for name, _ in search.params])


def _own_plan(
    client: FhirClient,
    patient_id: str,
    plan: PlanSystems | None,
    reads: Sequence[PlannedSearch],
    answers: Sequence[dict[str, Any] | FhirError],
    setup: ReadSetup,
    *,
    named_patient: str | None = None,
) -> tuple[list[dict[str, Any]], bool]:
    """Our CarePlan and Tasks, filtered client-side, and whether they could be read."""
    named = named_patient or patient_id
    if plan is None or not reads:
        return [], False
    found: list[dict[str, Any]] = []
    task_searched = False
    for search, answer in zip(reads, answers, strict=True):
        if isinstance(answer, FhirError) and answer.status in PLAN_FORBIDDEN:
            return [], False
        resources = _answer_or_refusal(client, search, answer, setup)
        if resources is None:
            if search.resource_type == "CarePlan":
                return [], False
            continue  # Task refused: the plan is what the CarePlan references
        task_searched = task_searched or search.resource_type == "Task"
        found.extend(resources)
    kept = our_plan(found, named, plan)
    if not task_searched and setup.profile(client).readable("Task"):
        careplans = [r for r in kept if r["resourceType"] == "CarePlan"]
        kept += our_plan(_read_tasks(client, referenced_task_ids(careplans)), named, plan)
    return kept, True


def _read_tasks(client: FhirClient, ids: Iterable[str]) -> list[dict[str, Any]]:
    urls = [f"Task/{rid}" for rid in ids]
    answers = parallel_gets(client, urls) if urls else []
    return [a for a in answers if not isinstance(a, FhirError)]


def _all_pages(client: FhirClient, first: dict[str, Any]) -> list[dict[str, Any]]:
    """Every page's resources, next links followed verbatim; OperationOutcome entries (Epic's
    warnings, ``search.mode`` outcome) are not results."""
    found = _results(first)
    url = next_link(first)
    while url is not None:
        page = client.page(url)
        found.extend(_results(page))
        url = next_link(page)
    return found


def _results(page: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in bundle_resources(page) if r.get("resourceType") != "OperationOutcome"]
