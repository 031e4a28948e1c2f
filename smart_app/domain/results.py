"""Values the rules produce: classification, activity, recommendations (rules C/A/M/T)."""

from __future__ import annotations

from datetime import date

import msgspec

from smart_app.domain.actions import ACTION_CODES, ACTION_ORDER
from smart_app.domain.timeline import EdssMeasurement

__all__ = [
    "ACTION_CODES",
    "ACTION_ORDER",
    "Activity",
    "Classification",
    "Finding",
    "ProgressionEvent",
    "Recommendation",
]


class Classification(msgspec.Struct, frozen=True):
    """Rule C: ``status`` is not-applicable | indeterminate | not-benign | too-early | benign.

    ``reason`` says why (docs/clinical-rules.md, C); ``evidence`` names the diagnosis
    Condition(s), the relapses that date the onset, and the classifying EDSS.
    """

    status: str
    reason: str
    edss: float | None
    edss_date: date | None
    onset: date | None
    disease_duration_years: float | None
    strict: bool
    evidence: tuple[str, ...]


class Finding(msgspec.Struct, frozen=True):
    """Disease activity in the lookback window: ``kind`` is relapse | mri | cdp."""

    kind: str
    date: date
    evidence: tuple[str, ...]


class ProgressionEvent(msgspec.Struct, frozen=True):
    """A confirmed disability progression: first worsened and confirming measurements."""

    worsening: EdssMeasurement
    confirmation: EdssMeasurement
    reference: float
    evidence: tuple[str, ...]
    reference_measurement: EdssMeasurement | None = None


class Activity(msgspec.Struct, frozen=True):
    """Rule A; ``unconfirmed_worsening`` is the first measurement of a pending worsening and
    ``unconfirmed_reference`` the EDSS it is a worsening from."""

    active: bool
    findings: tuple[Finding, ...]
    unconfirmed_worsening: EdssMeasurement | None
    unconfirmed_reference: EdssMeasurement | None


class Recommendation(msgspec.Struct, frozen=True):
    """One action for the clinician (rule M/T), later one FHIR Task.

    ``anchor`` is the date of the evidence the due date is counted from (None when the action was
    never done): it names the need, so that a new result (a new anchor) closes the old Task.
    """

    code: str
    due: date
    window_start: date
    overdue: bool
    priority: str
    rationale: str
    source: tuple[str, ...]
    evidence: tuple[str, ...]
    anchor: date | None
