"""The pure benign-MS engine: FHIR resources -> patient timeline -> rules -> report -> plan.

No Flask, no HTTP, no I/O, no clock: the as-of date is always a parameter
(docs/clinical-rules.md is the contract). Everything but the record comes in one
:class:`EvaluationContext` (as-of date, thresholds, terminology with the site's codes).
"""

from __future__ import annotations

from smart_app.domain.actions import priority
from smart_app.domain.context import EvaluationContext
from smart_app.domain.extract import CLINICAL_TYPES, extract_timeline
from smart_app.domain.patients import group_by_patient
from smart_app.domain.plan import build_plan
from smart_app.domain.reconcile import PlanChanges, plan_transaction
from smart_app.domain.report import PatientReport, evaluate_patient, evaluate_timeline
from smart_app.domain.results import (
    ACTION_CODES,
    Activity,
    Classification,
    Finding,
    Recommendation,
)
from smart_app.domain.terminology import (
    Terminology,
    default_terminology,
    load_terminology,
    parse_site_codes,
)
from smart_app.domain.thresholds import DEFAULT_SETTINGS, RuleSettings
from smart_app.domain.timeline import DataIssue, PatientTimeline

__all__ = [
    "ACTION_CODES",
    "CLINICAL_TYPES",
    "DEFAULT_SETTINGS",
    "Activity",
    "Classification",
    "DataIssue",
    "EvaluationContext",
    "Finding",
    "PatientReport",
    "PatientTimeline",
    "PlanChanges",
    "Recommendation",
    "RuleSettings",
    "Terminology",
    "build_plan",
    "default_terminology",
    "evaluate_patient",
    "evaluate_timeline",
    "extract_timeline",
    "group_by_patient",
    "load_terminology",
    "parse_site_codes",
    "plan_transaction",
    "priority",
]
