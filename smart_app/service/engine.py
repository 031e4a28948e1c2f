"""The one place the application calls the pure engine (smart_app.domain).

Every edge evaluates through these functions with one :class:`EvaluationContext`, so a change of
the engine's signatures is a change of this module only (docs/clinical-rules.md is the contract).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from smart_app.domain import (
    EvaluationContext,
    PatientReport,
    PatientTimeline,
    PlanChanges,
    evaluate_timeline,
    extract_timeline,
    group_by_patient,
    plan_transaction,
)
from smart_app.domain.plan import DEFAULT_CAREPLAN_CATEGORY, careplan_system, task_system


@dataclass(frozen=True, slots=True)
class Evaluation:
    """One patient's timeline, report and the reconciliation of its plan."""

    timeline: PatientTimeline
    report: PatientReport
    changes: PlanChanges


def plan_identifier_systems(context: EvaluationContext) -> tuple[str, str]:
    """The identifier systems our CarePlan and Tasks are written (and found again) with."""
    return careplan_system(context.canonical_base), task_system(context.canonical_base)


def evaluate(
    resources: Iterable[Mapping[str, Any]] | object,
    existing_plan: Iterable[dict[str, Any]],
    context: EvaluationContext,
    *,
    validate: bool = True,
    unavailable: Iterable[str] = (),
    careplan_category: str = DEFAULT_CAREPLAN_CATEGORY,
) -> Evaluation:
    """Extract the timeline, evaluate the rules and reconcile with the plan already written.

    ``validate`` checks the planned resources against the R4B models (needed before a write);
    ``unavailable`` names the resource types the server did not offer or refused (data issue
    ``resource-unavailable``); ``careplan_category``: the site's (smart_app.site_config), the
    category the plan is written with and found again by.
    """
    timeline = extract_timeline(resources, context, unavailable=tuple(unavailable))
    report = evaluate_timeline(timeline)
    changes = plan_transaction(
        report, list(existing_plan), validate=validate, careplan_category=careplan_category
    )
    return Evaluation(timeline, report, changes)


def report_only(
    resources: object, context: EvaluationContext, *, unavailable: Iterable[str] = ()
) -> PatientReport:
    """The report without planning (CDS cards, ``ms-monitor evaluate`` without --careplan)."""
    return evaluate_timeline(extract_timeline(resources, context, unavailable=tuple(unavailable)))


def patients_in(resources: object) -> dict[str, dict[str, Any]]:
    """Resources of several patients, one collection Bundle per patient."""
    return group_by_patient(resources)
