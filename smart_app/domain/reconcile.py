"""Reconcile the desired plan with what the FHIR server already holds, as one transaction.

docs/clinical-rules.md, "What is written back": a re-run on unchanged data writes nothing; new data
completes Tasks whose need was met (``output`` = the new evidence), cancels Tasks no longer
indicated, creates new ones, and never overwrites a Task a person changed (status other than
``requested``, or an owner set). Rules of this module:

* Tasks are matched on the business identifier of ``plan.py`` (``{patient}.{code}.{anchor}``).
* An open, untouched Task whose identifier is no longer wanted is *completed* when a wanted Task of
  the same need has a later anchor (a new MRI, EDSS, JCV result or symptom score: its evidence is
  the output; an EDSS after a ``confirm-edss`` worsening also completes it), else *cancelled*.
* A wanted Task that was never done (anchor ``none``, due "today") keeps its existing period while
  that period has ended by the new due date, so the Task is not rewritten every day.
* Updates use ``PUT`` with ``If-Match`` on the version read; creates are conditional.
* Tasks already closed (completed, cancelled, failed, rejected, entered-in-error) are history and
  are left alone without being counted, unless a wanted Task has their identifier (then the person
  closed it: left alone, counted).
* A ``not-applicable`` patient gets no new plan; an existing CarePlan is ``revoked`` and its open
  untouched Tasks are cancelled. An existing resource that cannot be read or validated is left
  alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from smart_app.domain.fhir_read import as_resource, get_dict, get_list, get_str
from smart_app.domain.plan import (
    CAREPLAN_KEYS,
    DEFAULT_CAREPLAN_CATEGORY,
    TASK_KEYS,
    careplan_identifier_value,
    careplan_system,
    desired_careplan,
    desired_task,
    dump_careplan,
    dump_task,
    task_identifier_value,
    task_system,
    urn_for,
)
from smart_app.domain.report import PatientReport
from smart_app.domain.results import Recommendation

CLOSED = frozenset({"completed", "cancelled", "failed", "rejected", "entered-in-error"})
#: A new result for one of these codes meets the need of the old Task.
MET_BY = {
    "mri-brain": ("mri-brain", "mri-pml-surveillance"),
    "mri-pml-surveillance": ("mri-brain", "mri-pml-surveillance"),
    "neuro-review": ("neuro-review",),
    "confirm-edss": ("neuro-review",),
    "jcv-serology": ("jcv-serology",),
    "symptom-screen": ("symptom-screen",),
}


@dataclass(frozen=True, slots=True)
class PlanChanges:
    """The transaction to send (None: nothing to write) and what it does, by Task identifier."""

    bundle: dict[str, Any] | None
    careplan: str  # created | updated | revoked | unchanged | none
    created: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    completed: tuple[str, ...] = ()
    cancelled: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    left_alone: tuple[str, ...] = ()


@dataclass
class _Work:
    #: Validate what would be written with the R4B models (off only for a read-only preview).
    validate: bool = True
    entries: list[dict[str, Any]] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    completed: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    left_alone: list[str] = field(default_factory=list)


def _identifier_value(resource: dict[str, Any], system: str) -> str | None:
    for ident in get_list(resource, "identifier"):
        if isinstance(ident, dict) and ident.get("system") == system:
            value = ident.get("value")
            if isinstance(value, str):
                return value
    return None


def _status(resource: dict[str, Any]) -> str:
    status = resource.get("status")
    return status if isinstance(status, str) else ""


def _person_changed(task: dict[str, Any]) -> bool:
    return _status(task) != "requested" or task.get("owner") is not None


def _managed(resource: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: resource.get(key) for key in keys}


def _put(resource: dict[str, Any], existing: dict[str, Any]) -> dict[str, Any]:
    rtype, rid = resource["resourceType"], resource["id"]
    request: dict[str, Any] = {"method": "PUT", "url": f"{rtype}/{rid}"}
    version = get_str(get_dict(existing, "meta") or {}, "versionId")
    if version:
        request["ifMatch"] = f'W/"{version}"'
    return {"fullUrl": f"{rtype}/{rid}", "resource": resource, "request": request}


def _post(resource: dict[str, Any], system: str, value: str) -> dict[str, Any]:
    return {
        "fullUrl": urn_for(system, value),
        "resource": resource,
        "request": {
            "method": "POST",
            "url": resource["resourceType"],
            "ifNoneExist": f"identifier={system}|{value}",
        },
    }


def _anchor_of(value: str) -> date | None:
    tail = value.rsplit(".", 1)[-1]
    try:
        return date.fromisoformat(tail)
    except ValueError:
        return None


def _code_of(value: str) -> str:
    parts = value.rsplit(".", 2)
    return parts[1] if len(parts) == 3 else ""


def _meeting_evidence(value: str, wanted: list[Recommendation]) -> tuple[str, ...]:
    """Evidence that the need of an old Task was met (empty: not met)."""
    old_anchor = _anchor_of(value)
    for rec in wanted:
        if rec.code not in MET_BY.get(_code_of(value), ()) or rec.anchor is None:
            continue
        if (old_anchor is None or rec.anchor > old_anchor) and rec.evidence:
            return rec.evidence[:1]
    return ()


def _index_existing(
    existing: list[Any], cp_system: str, cp_value: str, t_system: str
) -> tuple[dict[str, Any] | None, dict[str, dict[str, Any]]]:
    careplan: dict[str, Any] | None = None
    tasks: dict[str, dict[str, Any]] = {}
    for item in existing:
        resource = as_resource(item)
        if resource is None:
            continue
        rtype = resource.get("resourceType")
        if rtype == "CarePlan" and _identifier_value(resource, cp_system) == cp_value:
            if careplan is None or str(resource.get("id")) < str(careplan.get("id")):
                careplan = resource
        elif rtype == "Task":
            value = _identifier_value(resource, t_system)
            if value is not None and value not in tasks:
                tasks[value] = resource
    return careplan, tasks


def plan_transaction(
    report: PatientReport,
    existing: list[Any],
    *,
    validate: bool = True,
    careplan_category: str = DEFAULT_CAREPLAN_CATEGORY,
) -> PlanChanges:
    """The transaction Bundle that brings the server's plan in line with ``report``.

    Everything in the Bundle is validated as R4B (about 1 ms a resource); ``validate=False`` is
    for showing what would change (the dashboard), never for a Bundle that is sent.
    ``careplan_category``: the site's (``system|code``), written on a new or updated CarePlan.
    """
    as_of = report.as_of
    canonical_base = report.context.canonical_base
    cp_system, t_system = careplan_system(canonical_base), task_system(canonical_base)
    cp_value = careplan_identifier_value(report.patient)
    old_cp, old_tasks = _index_existing(existing, cp_system, cp_value, t_system)
    applicable = report.classification.status != "not-applicable"
    if not applicable and old_cp is None:
        return PlanChanges(None, "none")
    old_cp_id = get_str(old_cp, "id") if old_cp is not None else None
    cp_ref = f"CarePlan/{old_cp_id}" if old_cp_id else urn_for(cp_system, cp_value)
    wanted = list(report.recommendations) if applicable else []
    work = _Work(validate=validate)
    task_entries: list[tuple[str, dict[str, Any]]] = []
    activity: list[str] = []
    wanted_values: set[str] = set()
    for rec in wanted:
        value = task_identifier_value(report.patient, rec)
        wanted_values.add(value)
        ref = _reconcile_wanted(
            report,
            rec,
            value,
            old_tasks.get(value),
            cp_ref,
            as_of,
            canonical_base,
            work,
            task_entries,
        )
        if ref:
            activity.append(ref)
    for value in sorted(set(old_tasks) - wanted_values):
        ref = _reconcile_unwanted(value, old_tasks[value], wanted, as_of, work, task_entries)
        if ref:
            activity.append(ref)
    careplan_action = _reconcile_careplan(
        report,
        old_cp,
        old_cp_id,
        activity,
        applicable,
        cp_system,
        cp_value,
        canonical_base,
        work,
        careplan_category,
    )
    work.entries.extend(entry for _value, entry in sorted(task_entries, key=lambda e: e[0]))
    bundle = (
        {"resourceType": "Bundle", "type": "transaction", "entry": work.entries}
        if work.entries
        else None
    )
    return PlanChanges(
        bundle=bundle,
        careplan=careplan_action,
        created=tuple(work.created),
        updated=tuple(work.updated),
        completed=tuple(work.completed),
        cancelled=tuple(work.cancelled),
        unchanged=tuple(work.unchanged),
        left_alone=tuple(work.left_alone),
    )


def _reconcile_wanted(
    report: PatientReport,
    rec: Recommendation,
    value: str,
    old: dict[str, Any] | None,
    cp_ref: str,
    as_of: date,
    canonical_base: str,
    work: _Work,
    task_entries: list[tuple[str, dict[str, Any]]],
) -> str | None:
    t_system = task_system(canonical_base)
    if old is None:
        task = desired_task(
            report,
            rec,
            careplan_ref=cp_ref,
            authored_on=as_of.isoformat(),
            validate=work.validate,
        )
        task_entries.append((value, _post(task, t_system, value)))
        work.created.append(value)
        return urn_for(t_system, value)
    old_id = get_str(old, "id")
    if old_id is None or _person_changed(old):
        work.left_alone.append(value)
        return f"Task/{old_id}" if old_id else None
    authored = get_str(old, "authoredOn") or as_of.isoformat()
    task = desired_task(
        report,
        rec,
        careplan_ref=cp_ref,
        authored_on=authored,
        task_id=old_id,
        validate=False,  # most Tasks are unchanged: validate only what is written
    )
    old_period = get_dict(get_dict(old, "restriction") or {}, "period") or {}
    old_end = get_str(old_period, "end")
    if rec.anchor is None and old_end is not None and old_end <= rec.due.isoformat():
        task["restriction"] = old.get("restriction")
    if _managed(task, TASK_KEYS) == _managed(old, TASK_KEYS):
        work.unchanged.append(value)
        return f"Task/{old_id}"
    try:
        task = dump_task(task) if work.validate else task
    except ValueError:
        work.left_alone.append(value)
        return f"Task/{old_id}"
    task_entries.append((value, _put(task, old)))
    work.updated.append(value)
    return f"Task/{old_id}"


def _reconcile_unwanted(
    value: str,
    old: dict[str, Any],
    wanted: list[Recommendation],
    as_of: date,
    work: _Work,
    task_entries: list[tuple[str, dict[str, Any]]],
) -> str | None:
    old_id = get_str(old, "id")
    if _status(old) in CLOSED:
        return None
    if old_id is None or _person_changed(old):
        work.left_alone.append(value)
        return f"Task/{old_id}" if old_id else None
    evidence = _meeting_evidence(value, wanted)
    closed = {k: v for k, v in old.items() if k not in ("meta", "text")}
    profiles = get_list(get_dict(old, "meta") or {}, "profile")
    if profiles:  # keep the profile claim, drop the server's version/lastUpdated
        closed["meta"] = {"profile": profiles}
    closed["lastModified"] = as_of.isoformat()
    if evidence:
        closed["status"] = "completed"
        closed["output"] = [
            {"type": {"text": "evidence"}, "valueReference": {"reference": ref}} for ref in evidence
        ]
    else:
        closed["status"] = "cancelled"
        closed["statusReason"] = {"text": "No longer indicated by the benign-MS monitoring rules"}
    try:
        task = dump_task(closed) if work.validate else closed
    except ValueError:
        work.left_alone.append(value)
        return f"Task/{old_id}"
    task_entries.append((value, _put(task, old)))
    (work.completed if evidence else work.cancelled).append(value)
    return None


def _reconcile_careplan(
    report: PatientReport,
    old_cp: dict[str, Any] | None,
    old_cp_id: str | None,
    activity: list[str],
    applicable: bool,
    cp_system: str,
    cp_value: str,
    canonical_base: str,
    work: _Work,
    careplan_category: str,
) -> str:
    status = "active" if applicable else "revoked"
    careplan = desired_careplan(
        report,
        activity,
        status=status,
        careplan_id=old_cp_id,
        validate=False,
        careplan_category=careplan_category,
    )
    if old_cp is not None and (
        old_cp_id is None or _managed(careplan, CAREPLAN_KEYS) == _managed(old_cp, CAREPLAN_KEYS)
    ):
        return "unchanged"
    try:
        careplan = dump_careplan(careplan) if work.validate else careplan
    except ValueError:
        return "unchanged"
    if old_cp is None:
        work.entries.append(_post(careplan, cp_system, cp_value))
        return "created"
    work.entries.append(_put(careplan, old_cp))
    return "updated" if applicable else "revoked"
