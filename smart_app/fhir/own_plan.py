"""Which CarePlan and Tasks in a patient's chart are ms-monitor's own: decided client-side.

Our plan is searched by ``CarePlan?patient&category=...`` (and ``Task?patient`` where offered),
never by ``identifier``: servers may accept that parameter and not apply it (Epic does,
https://fhir.epic.com/Specifications?api=1065), so every answer can hold other apps' CarePlans
and Tasks, some even using our identifier *system*. Only a resource whose business identifier is
exactly the one ms-monitor writes (smart_app.domain.plan) is ours; anything else is never adopted,
changed, completed or cancelled. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from smart_app.domain.plan import careplan_identifier_value


@dataclass(frozen=True, slots=True)
class PlanSystems:
    """The business-identifier systems of the CarePlan and Tasks ms-monitor wrote earlier."""

    careplan: str
    task: str


def _values(resource: dict[str, Any], system: str) -> list[str]:
    return [
        str(ident.get("value", ""))
        for ident in resource.get("identifier") or []
        if isinstance(ident, dict) and ident.get("system") == system
    ]


def is_our_careplan(resource: dict[str, Any], patient_id: str, systems: PlanSystems) -> bool:
    """A CarePlan with exactly our identifier for this patient (system *and* value)."""
    wanted = careplan_identifier_value(f"Patient/{patient_id}")
    return resource.get("resourceType") == "CarePlan" and wanted in _values(
        resource, systems.careplan
    )


def is_our_task(resource: dict[str, Any], patient_id: str, systems: PlanSystems) -> bool:
    """A Task whose identifier has our system and our value shape ``{patient}.{code}.{anchor}``
    (smart_app.domain.plan.task_identifier_value) for this patient."""
    if resource.get("resourceType") != "Task":
        return False
    for value in _values(resource, systems.task):
        head, _, rest = value.partition(".")
        code, _, anchor = rest.partition(".")
        if head == patient_id and code and anchor:
            return True
    return False


def our_plan(
    found: Iterable[dict[str, Any]], patient_id: str, systems: PlanSystems
) -> list[dict[str, Any]]:
    """Our CarePlan and Tasks among ``found`` (foreign ones dropped, duplicates once)."""
    kept: dict[tuple[str, str], dict[str, Any]] = {}
    for resource in found:
        if is_our_careplan(resource, patient_id, systems) or is_our_task(
            resource, patient_id, systems
        ):
            kept.setdefault((str(resource["resourceType"]), str(resource.get("id"))), resource)
    return list(kept.values())


def referenced_task_ids(careplans: Iterable[dict[str, Any]]) -> list[str]:
    """``Task/<id>`` references of our CarePlans' activities (the plan where Task search is not
    offered)."""
    ids: list[str] = []
    for careplan in careplans:
        for activity in careplan.get("activity") or []:
            ref = str(((activity or {}).get("reference") or {}).get("reference", ""))
            kind, _, rid = ref.partition("/")
            if kind == "Task" and rid and "/" not in rid and rid not in ids:
                ids.append(rid)
    return ids
