"""Recommendations -> one CarePlan and one Task per recommendation.

docs/clinical-rules.md, "What is written back".

Business identifiers make writes idempotent (conditional create, ``If-None-Exist``):

* CarePlan: system ``{canonical}/careplan-id``, value ``{patient-id}.benign-ms-monitoring``;
* Task: system ``{canonical}/task-id``, value ``{patient-id}.{code}.{anchor}`` where ``anchor`` is
  the date of the evidence the due date counts from (the last MRI, EDSS, JCV...) or ``none``.

The anchor, not the due date, names the need: the due date of a never-done action is "today" and
would otherwise change every day, and a new result (new anchor) is exactly what closes a Task.
``fullUrl`` of new resources is ``urn:uuid:`` + uuid5 of ``system|value`` (deterministic).
Text written into resources never mentions the as-of date, so unchanged data writes nothing.
Resources are built and validated with fhir.resources R4B models, then dumped to JSON dicts.
"""

from __future__ import annotations

import uuid
from typing import Any

from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.task import Task

from smart_app.domain.report import PatientReport
from smart_app.domain.results import Recommendation
from smart_app.domain.terminology import default_terminology

PLAN_DEFINITION_ID = "benign-ms-monitoring"
#: The US Core CarePlan category our plan is filed and found under (searched by category: EHRs
#: ignore ``identifier``); https://hl7.org/fhir/us/core/STU6.1/StructureDefinition-us-core-careplan.html
CAREPLAN_CATEGORY = ("http://hl7.org/fhir/us/core/CodeSystem/careplan-category", "assess-plan")
#: The same as a ``system|code`` token: the default of a site's ``careplan_category``
#: (smart_app.site_config), which is what the plan is written with and searched by.
DEFAULT_CAREPLAN_CATEGORY = "|".join(CAREPLAN_CATEGORY)
#: Profiles of fhir_profiles/ the written resources claim (meta.profile), under the canonical base.
CAREPLAN_PROFILE_ID = "ms-monitoring-careplan"
TASK_PROFILE_ID = "ms-monitoring-task"
#: Displays of CodeSystem ms-monitoring-action (fhir_profiles/resources: one source of truth).
ACTION_DISPLAY = dict(default_terminology().monitoring_actions)
TASK_KEYS = (
    "identifier",
    "status",
    "intent",
    "priority",
    "code",
    "description",
    "for",
    "basedOn",
    "restriction",
    "reasonReference",
    "input",
    "note",
)
CAREPLAN_KEYS = (
    "identifier",
    "status",
    "intent",
    "title",
    "subject",
    "addresses",
    "instantiatesCanonical",
    "description",
    "note",
    "activity",
)


def patient_id(patient_ref: str) -> str:
    """``Patient/123`` -> ``123``; ``urn:uuid:abc`` -> ``abc``."""
    return patient_ref.rsplit(":" if patient_ref.startswith("urn:") else "/", 1)[-1]


def profile_url(canonical_base: str, profile_id: str) -> str:
    return f"{canonical_base}/StructureDefinition/{profile_id}"


def task_system(canonical_base: str) -> str:
    return f"{canonical_base}/task-id"


def careplan_system(canonical_base: str) -> str:
    return f"{canonical_base}/careplan-id"


def task_identifier_value(patient_ref: str, rec: Recommendation) -> str:
    anchor = rec.anchor.isoformat() if rec.anchor else "none"
    return f"{patient_id(patient_ref)}.{rec.code}.{anchor}"


def careplan_identifier_value(patient_ref: str) -> str:
    return f"{patient_id(patient_ref)}.{PLAN_DEFINITION_ID}"


def urn_for(system: str, value: str) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{system}|{value}')}"


def desired_task(
    report: PatientReport,
    rec: Recommendation,
    *,
    careplan_ref: str,
    authored_on: str,
    task_id: str | None = None,
    validate: bool = True,
) -> dict[str, Any]:
    """The Task for one recommendation as a JSON dict, validated as an R4B Task.

    ``validate=False`` skips the model round trip (about 1 ms) for a Task that is only compared
    with the server's copy; whatever is written goes through :func:`dump_task` first.
    """
    base = report.context.canonical_base
    task: dict[str, Any] = {
        "resourceType": "Task",
        "meta": {"profile": [profile_url(base, TASK_PROFILE_ID)]},
        "identifier": [
            {"system": task_system(base), "value": task_identifier_value(report.patient, rec)}
        ],
        "status": "requested",
        "intent": "plan",
        "priority": rec.priority,
        "code": {
            "coding": [
                {
                    "system": f"{base}/CodeSystem/ms-monitoring-action",
                    "code": rec.code,
                    "display": ACTION_DISPLAY[rec.code],
                }
            ]
        },
        "description": rec.rationale,
        "for": {"reference": report.patient},
        "basedOn": [{"reference": careplan_ref}],
        "authoredOn": authored_on,
        "restriction": {
            "period": {"start": rec.window_start.isoformat(), "end": rec.due.isoformat()}
        },
        "note": [{"text": "Sources: " + "; ".join(rec.source)}],
    }
    if task_id is not None:
        task["id"] = task_id
    if rec.evidence:
        task["reasonReference"] = {"reference": rec.evidence[0]}
        task["input"] = [
            {"type": {"text": "evidence"}, "valueReference": {"reference": ref}}
            for ref in rec.evidence
        ]
    return dump_task(task) if validate else task


def dump_task(task: dict[str, Any]) -> dict[str, Any]:
    """Validate with the R4B model (raises pydantic.ValidationError) and dump to JSON."""
    dumped: dict[str, Any] = Task.model_validate(task).model_dump(mode="json", exclude_none=True)
    return dumped


def careplan_description(report: PatientReport) -> str:
    c = report.classification
    text = f"Benign MS monitoring. Classification: {c.status}"
    if c.edss is not None and c.edss_date is not None:
        text += f" (latest stable EDSS {c.edss:g} on {c.edss_date.isoformat()})"
    text += f" [{c.reason}]"
    if c.strict:
        text += f"; strict benign (EDSS <= {report.context.rules.strict_benign_edss_max:g})"
    if report.activity.active:
        kinds = ", ".join(sorted({f.kind for f in report.activity.findings}))
        text += f"; disease activity: {kinds}"
    return text + "."


def category_coding(careplan_category: str) -> dict[str, str]:
    """``system|code`` (a site's ``careplan_category``) -> the Coding written on the CarePlan."""
    system, _, code = careplan_category.rpartition("|")
    return {"system": system, "code": code} if system else {"code": code}


def desired_careplan(
    report: PatientReport,
    task_refs: list[str],
    *,
    status: str = "active",
    careplan_id: str | None = None,
    validate: bool = True,
    careplan_category: str = DEFAULT_CAREPLAN_CATEGORY,
) -> dict[str, Any]:
    """The CarePlan of the monitoring PlanDefinition as a JSON dict, validated as R4B
    (``validate=False``: only for comparing with the server's copy, as for Tasks).

    ``careplan_category``: the site's category (``system|code``), the one the reader searches
    our plan by, so a site filing plans under another category finds its plan again.
    """
    notes = [f"{rec.code}: {rec.rationale}" for rec in report.recommendations]
    if report.statement:
        notes.append(report.statement)
    base = report.context.canonical_base
    sources = sorted({s for rec in report.recommendations for s in rec.source})
    if sources:
        notes.append("Sources: " + "; ".join(sources))
    plan: dict[str, Any] = {
        "resourceType": "CarePlan",
        "meta": {"profile": [profile_url(base, CAREPLAN_PROFILE_ID)]},
        "identifier": [
            {
                "system": careplan_system(base),
                "value": careplan_identifier_value(report.patient),
            }
        ],
        "status": status,
        "intent": "plan",
        "category": [{"coding": [category_coding(careplan_category)]}],
        "title": "Benign MS monitoring",
        "subject": {"reference": report.patient},
        "instantiatesCanonical": [f"{base}/PlanDefinition/{PLAN_DEFINITION_ID}"],
        "description": careplan_description(report),
        "note": [{"text": text} for text in notes],
        "activity": [{"reference": {"reference": ref}} for ref in task_refs],
    }
    if report.diagnosis:
        plan["addresses"] = [{"reference": report.diagnosis}]
    if careplan_id is not None:
        plan["id"] = careplan_id
    if not plan["note"]:
        del plan["note"]
    if not plan["activity"]:
        del plan["activity"]
    return dump_careplan(plan) if validate else plan


def dump_careplan(plan: dict[str, Any]) -> dict[str, Any]:
    """Validate with the R4B model (raises pydantic.ValidationError) and dump to JSON."""
    dumped: dict[str, Any] = CarePlan.model_validate(plan).model_dump(
        mode="json", exclude_none=True
    )
    return dumped


def build_plan(
    report: PatientReport, *, careplan_category: str = DEFAULT_CAREPLAN_CATEGORY
) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """A fresh CarePlan (filed under ``careplan_category``) and its Tasks (urn:uuid
    references); None for ``not-applicable``."""
    base = report.context.canonical_base
    if report.classification.status == "not-applicable":
        return None
    cp_ref = urn_for(careplan_system(base), careplan_identifier_value(report.patient))
    tasks = [
        desired_task(
            report,
            rec,
            careplan_ref=cp_ref,
            authored_on=report.as_of.isoformat(),
        )
        for rec in report.recommendations
    ]
    refs = [urn_for(task_system(base), t["identifier"][0]["value"]) for t in tasks]
    return desired_careplan(report, refs, careplan_category=careplan_category), tasks
