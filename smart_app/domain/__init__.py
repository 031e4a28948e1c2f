"""The pure benign-MS engine: FHIR resources -> patient timeline -> rules -> report -> plan.

No Flask, no HTTP, no I/O, no clock: the as-of date is always a parameter
(clinical-rules.md is the contract).
"""

from __future__ import annotations

from smart_app.domain.extract import extract_timeline
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
from smart_app.domain.terminology import Terminology, default_terminology, load_terminology
from smart_app.domain.thresholds import DEFAULT_SETTINGS, RuleSettings
from smart_app.domain.timeline import DataIssue, PatientTimeline

__all__ = [
    "ACTION_CODES",
    "DEFAULT_SETTINGS",
    "Activity",
    "Classification",
    "DataIssue",
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
    "plan_transaction",
]
