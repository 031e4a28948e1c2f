"""The clinic's worklist use case: every patient with an ms-monitor plan, from both homes.

Plans live in the EHR (where it accepts CarePlan and Task, e.g. HAPI) or in ms-monitor's plan
store (smart_app.service.plan_store). This reads both with the signed-in clinician's user-level
grant (https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html#user-scopes):

* EHR: ``CarePlan?category={the site's category}&status=active`` without a patient, keeping
  only CarePlans with exactly our business identifier (smart_app.fhir.own_plan), then their
  Tasks by id. EHRs that need a patient for a CarePlan search (Epic, Oracle Health) refuse it:
  reported, not fatal.
* Plan store: the Patient links whose identifier system is this EHR's issuer, then their
  CarePlans (US Core ``assess-plan``, the store's own category) and Tasks, references
  translated back into the EHR's terms (PatientLink).
* Names and birth dates from the EHR (``Patient?_id=a,b,c`` in chunks; read by id where
  ``_id`` search is refused; a patient that cannot be read shows its id).

Every search follows its ``next`` links to the end; ``Bundle.total`` is never used.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from smart_app.errors import FhirAuthError, FhirError
from smart_app.fhir import FhirClient
from smart_app.fhir.client import bundle_resources
from smart_app.fhir.ids import FHIR_ID
from smart_app.fhir.own_plan import (
    PlanSystems,
    is_our_careplan,
    is_our_task,
    referenced_task_ids,
)
from smart_app.service.plan_store import PatientLink, translate
from smart_app.site_config import US_CORE_CAREPLAN_ASSESS_PLAN

EHR_SOURCE = "EHR"
STORE_SOURCE = "plan store"
#: Task statuses that end a Task (https://hl7.org/fhir/R4/valueset-task-status.html).
CLOSED_TASK_STATUSES = frozenset(
    {"completed", "cancelled", "failed", "rejected", "entered-in-error"}
)
#: Ids per ``_id``/``patient`` search: short enough for any server's URL limit.
CHUNK = 40
PAGE_SIZE = "100"
#: A search the server refuses (bad request, forbidden, not offered): reported, never fatal.
REFUSED = frozenset({400, 403, 404, 405, 422})
EHR_NOT_SEARCHABLE = "Plans on the EHR: not searchable without a patient"
EHR_NOT_PERMITTED = "Plans on the EHR: this sign-in may not search them"
STORE_UNREADABLE = "Plans in ms-monitor's plan store: could not be read"


@dataclass(frozen=True, slots=True)
class PlannedTask:
    """One open Task of our plan, as the worklist needs it (smart_app.domain.plan writes it)."""

    code: str
    priority: str
    status: str
    window_start: date | None
    due: date | None
    authored: date | None


@dataclass(frozen=True, slots=True)
class PatientPlan:
    """One patient's plan on the worklist, from the EHR, the plan store or both."""

    patient_id: str
    name: str | None
    birth_date: str | None
    sources: tuple[str, ...]
    tasks: tuple[PlannedTask, ...]


@dataclass(frozen=True, slots=True)
class Worklist:
    """What the worklist page shows: the plans, the day they were read for, what failed."""

    today: date
    plans: tuple[PatientPlan, ...]
    notices: tuple[str, ...]


def load_worklist(
    ehr: FhirClient,
    store: FhirClient | None,
    *,
    systems: PlanSystems,
    careplan_category: str,
    today: date,
) -> Worklist:
    """Read every plan of this EHR's patients (the EHR's own and the plan store's), found by
    the site's CarePlan category (``system|code``, smart_app.site_config) as the plan is written."""
    query = _careplan_query(careplan_category)
    notices: list[str] = []
    found: dict[str, list[tuple[str, dict[str, Any], list[dict[str, Any]]]]] = {}
    try:
        for patient, careplan, tasks in _ehr_plans(ehr, systems, query):
            found.setdefault(patient, []).append((EHR_SOURCE, careplan, tasks))
    except FhirAuthError:
        raise
    except FhirError as exc:
        if exc.status == 403:
            notices.append(EHR_NOT_PERMITTED)
        elif exc.status in REFUSED:
            notices.append(EHR_NOT_SEARCHABLE)
        else:
            notices.append(f"Plans on the EHR: could not be read ({exc})")
    if store is not None:
        try:
            for patient, careplan, tasks in _store_plans(store, ehr.base_url, systems, STORE_QUERY):
                found.setdefault(patient, []).append((STORE_SOURCE, careplan, tasks))
        except FhirError as exc:
            notices.append(f"{STORE_UNREADABLE} ({exc})")
    patients = _patients(ehr, sorted(found))
    plans = []
    for patient_id in sorted(found):
        parts = found[patient_id]
        resource = patients.get(patient_id, {})
        plans.append(
            PatientPlan(
                patient_id=patient_id,
                name=patient_name(resource),
                birth_date=str(resource["birthDate"]) if resource.get("birthDate") else None,
                sources=tuple(dict.fromkeys(source for source, _, _ in parts)),
                tasks=tuple(t for _, _, tasks in parts for t in _open_tasks(tasks)),
            )
        )
    return Worklist(today, tuple(plans), tuple(notices))


def _ehr_plans(
    ehr: FhirClient, systems: PlanSystems, query: list[tuple[str, str]]
) -> Iterator[tuple[str, dict[str, Any], list[dict[str, Any]]]]:
    """Our active CarePlans on the EHR, each with its patient id and its Tasks."""
    ours: list[tuple[str, dict[str, Any]]] = []
    for careplan in _search(ehr, "CarePlan", query):
        patient = _patient_of(careplan.get("subject"))
        if patient is not None and is_our_careplan(careplan, patient, systems):
            ours.append((patient, careplan))
    wanted = referenced_task_ids(cp for _, cp in ours)
    tasks = {str(t.get("id")): t for t in _by_ids(ehr, "Task", wanted).values()}
    for patient, careplan in ours:
        mine = [
            tasks[tid]
            for tid in referenced_task_ids([careplan])
            if tid in tasks and is_our_task(tasks[tid], patient, systems)
        ]
        yield patient, careplan, mine


def _store_plans(
    store: FhirClient, issuer: str, systems: PlanSystems, query: list[tuple[str, str]]
) -> Iterator[tuple[str, dict[str, Any], list[dict[str, Any]]]]:
    """Our active CarePlans in the plan store for this EHR's patients, in the EHR's terms."""
    issuer = issuer.rstrip("/")
    links: dict[str, PatientLink] = {}
    for patient in _search(store, "Patient", [("identifier", f"{issuer}|")]):
        for ident in patient.get("identifier") or []:
            value = ident.get("value") if isinstance(ident, dict) else None
            if (
                ident.get("system") == issuer
                and isinstance(value, str)
                and FHIR_ID.fullmatch(value)
            ):
                links[str(patient.get("id"))] = PatientLink(issuer, value, str(patient.get("id")))
    link_ids = sorted(links)
    careplans: list[dict[str, Any]] = []
    tasks: list[dict[str, Any]] = []
    for chunk in _chunks(link_ids):
        refs = ",".join(f"Patient/{link}" for link in chunk)
        careplans += _search(store, "CarePlan", [("patient", refs), *query])
        tasks += _search(store, "Task", [("patient", refs), ("_count", PAGE_SIZE)])
    for careplan in careplans:
        link = links.get(_patient_of(careplan.get("subject")) or "")
        if link is None or not is_our_careplan(careplan, link.ehr_patient, systems):
            continue
        mine = [
            translate(t, link.from_store)
            for t in tasks
            if _patient_of(t.get("for")) == link.link_id
            and is_our_task(t, link.ehr_patient, systems)
        ]
        yield link.ehr_patient, translate(careplan, link.from_store), mine


def _careplan_query(careplan_category: str) -> list[tuple[str, str]]:
    return [("category", careplan_category), ("status", "active"), ("_count", PAGE_SIZE)]


#: The plan store, ms-monitor's own server, files its plans under US Core's ``assess-plan``
#: whatever the EHR site's category (smart_app.service.plan_delivery.assess_for).
STORE_QUERY = _careplan_query(US_CORE_CAREPLAN_ASSESS_PLAN)


def _patients(ehr: FhirClient, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Each patient's resource from the EHR (missing where it cannot be read)."""
    try:
        return _by_ids(ehr, "Patient", ids)
    except FhirAuthError:
        raise
    except FhirError:
        return {}


def _by_ids(client: FhirClient, rtype: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Resources by id: ``_id`` searches in chunks, else one read each (refused ``_id``)."""
    found: dict[str, dict[str, Any]] = {}
    safe = [i for i in dict.fromkeys(ids) if FHIR_ID.fullmatch(i)]
    for chunk in _chunks(safe):
        try:
            params = [("_id", ",".join(chunk)), ("_count", PAGE_SIZE)]
            for resource in _search(client, rtype, params):
                if resource.get("resourceType") == rtype and resource.get("id") in chunk:
                    found[str(resource["id"])] = resource
        except FhirAuthError:
            raise
        except FhirError as exc:
            if exc.status not in REFUSED:
                raise
            found.update(_read_each(client, rtype, chunk))
    return found


def _read_each(client: FhirClient, rtype: str, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    found = {}
    for resource_id in ids:
        try:
            found[resource_id] = client.read(rtype, resource_id)
        except FhirAuthError:
            raise
        except FhirError:
            continue  # shown by its id
    return found


def _search(
    client: FhirClient, rtype: str, params: Sequence[tuple[str, str]]
) -> list[dict[str, Any]]:
    """Every resource of type ``rtype`` on every page (``next`` links followed to the end)."""
    return [
        resource
        for page in client.search_pages(rtype, params)
        for resource in bundle_resources(page)
        if resource.get("resourceType") == rtype
    ]


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _patient_of(reference: object) -> str | None:
    ref = reference.get("reference") if isinstance(reference, dict) else None
    if not isinstance(ref, str):
        return None
    kind, _, rid = ref.rpartition("/")
    return rid if kind.endswith("Patient") and FHIR_ID.fullmatch(rid) else None


def _open_tasks(tasks: Iterable[dict[str, Any]]) -> Iterator[PlannedTask]:
    for task in tasks:
        status = str(task.get("status") or "")
        codings = (task.get("code") or {}).get("coding") or []
        code = next((str(c["code"]) for c in codings if isinstance(c, dict) and c.get("code")), "")
        if not code or status in CLOSED_TASK_STATUSES:
            continue
        period = (task.get("restriction") or {}).get("period") or {}
        yield PlannedTask(
            code=code,
            priority=str(task.get("priority") or "routine"),
            status=status,
            window_start=_day(period.get("start")),
            due=_day(period.get("end")),
            authored=_day(task.get("authoredOn")),
        )


def _day(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def patient_name(patient: dict[str, Any]) -> str | None:
    """The first usable HumanName (https://hl7.org/fhir/R4/datatypes.html#HumanName), or None."""
    for name in patient.get("name") or []:
        if not isinstance(name, dict):
            continue
        if isinstance(name.get("text"), str) and name["text"]:
            return str(name["text"])
        given = " ".join(g for g in name.get("given") or [] if isinstance(g, str))
        family = name.get("family") if isinstance(name.get("family"), str) else ""
        joined = ", ".join(p for p in (family, given) if p)
        if joined:
            return joined
    return None
