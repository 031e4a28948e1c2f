"""One patient's evaluation: timeline -> classification, activity, recommendations, data issues.

:meth:`PatientReport.to_json` is the stable output of ``ms-monitor evaluate`` (clinical-rules.md,
"Output"): keys in the spec's order, lists in a deterministic order (findings by date, current DMTs
by start, recommendations by action code then due date, data issues by resource then code).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from smart_app.domain.extract import extract_timeline
from smart_app.domain.results import (
    ACTION_ORDER,
    Activity,
    Classification,
    Recommendation,
)
from smart_app.domain.rules.activity import assess_activity
from smart_app.domain.rules.classification import classify
from smart_app.domain.rules.monitoring import monitoring_recommendations
from smart_app.domain.rules.symptoms import symptom_recommendations
from smart_app.domain.rules.treatment import treatment_recommendations, treatment_statement
from smart_app.domain.terminology import Terminology
from smart_app.domain.thresholds import DEFAULT_SETTINGS, RuleSettings
from smart_app.domain.timeline import DataIssue, DmtExposure, PatientTimeline


@dataclass(frozen=True, slots=True)
class PatientReport:
    """The engine's answer for one patient as of one date."""

    patient: str
    as_of: date
    diagnosis: str | None
    classification: Classification
    activity: Activity
    current_dmt: tuple[DmtExposure, ...]
    recommendations: tuple[Recommendation, ...]
    data_issues: tuple[DataIssue, ...]
    statement: str | None

    def to_json(self) -> dict[str, Any]:
        c = self.classification
        return {
            "patient": self.patient,
            "as_of": self.as_of.isoformat(),
            "classification": {
                "status": c.status,
                "edss": c.edss,
                "edss_date": c.edss_date.isoformat() if c.edss_date else None,
                "disease_duration_years": c.disease_duration_years,
                "strict": c.strict,
            },
            "activity": {
                "active": self.activity.active,
                "findings": [
                    {"kind": f.kind, "date": f.date.isoformat(), "evidence": list(f.evidence)}
                    for f in self.activity.findings
                ],
            },
            "current_dmt": [
                {"ingredient": d.ingredient, "since": d.since.isoformat()} for d in self.current_dmt
            ],
            "recommendations": [
                {
                    "code": r.code,
                    "due": r.due.isoformat(),
                    "window_start": r.window_start.isoformat(),
                    "overdue": r.overdue,
                    "priority": r.priority,
                    "rationale": r.rationale,
                    "evidence": list(r.evidence),
                    "source": list(r.source),
                }
                for r in self.recommendations
            ],
            "data_issues": [
                {"code": i.code, "resource": i.resource, "message": i.message}
                for i in self.data_issues
            ],
        }


def evaluate_timeline(
    timeline: PatientTimeline,
    *,
    as_of: date | None = None,
    settings: RuleSettings | None = None,
) -> PatientReport:
    """Run rules C, A, M, T on an extracted timeline (the benchmarked hot path)."""
    day = as_of or timeline.as_of
    rules = settings or DEFAULT_SETTINGS
    classification = classify(timeline, day, rules)
    activity = assess_activity(timeline, day, rules)
    issues = timeline.data_issues
    if classification.status == "indeterminate" and classification.edss is None:
        issues = (
            *issues,
            DataIssue("no-edss", timeline.patient, "no stable EDSS: the status cannot be decided"),
        )
    recs: list[Recommendation] = []
    if classification.status != "not-applicable":
        recs = monitoring_recommendations(timeline, classification, activity, day, rules)
        recs += symptom_recommendations(timeline, day, rules)
        recs += treatment_recommendations(timeline, classification, activity, day, rules)
        recs.sort(key=lambda r: (ACTION_ORDER[r.code], r.due))
    return PatientReport(
        patient=timeline.patient,
        as_of=day,
        diagnosis=timeline.diagnosis.ref if timeline.diagnosis else None,
        classification=classification,
        activity=activity,
        current_dmt=tuple(d for d in timeline.dmt_exposures if d.current),
        recommendations=tuple(recs),
        data_issues=issues,
        statement=treatment_statement(classification, activity),
    )


def evaluate_patient(
    resources: object,
    *,
    as_of: date,
    settings: RuleSettings | None = None,
    terminology: Terminology | None = None,
) -> PatientReport:
    """Evaluate one patient's FHIR resources (a Bundle, a list of dicts or R4B models)."""
    timeline = extract_timeline(resources, as_of=as_of, settings=settings, terminology=terminology)
    return evaluate_timeline(timeline, as_of=as_of, settings=settings)
