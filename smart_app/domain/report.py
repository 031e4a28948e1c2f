"""One patient's evaluation: timeline -> classification, activity, recommendations, data issues.

:meth:`PatientReport.to_json` is the stable output of ``ms-monitor evaluate``
(docs/clinical-rules.md, "Output"): keys in the contract's order, lists in a deterministic order
(findings by date, current DMTs by start, recommendations by action code then due date, data
issues by resource then code), whatever the order of the input.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import msgspec

from smart_app.domain.context import EvaluationContext
from smart_app.domain.dates import iso_day
from smart_app.domain.extract import extract_timeline
from smart_app.domain.results import (
    ACTION_ORDER,
    Activity,
    Classification,
    Recommendation,
)
from smart_app.domain.rules.activity import assess_activity
from smart_app.domain.rules.classification import classify, edss_is_stale
from smart_app.domain.rules.monitoring import monitoring_recommendations
from smart_app.domain.rules.symptoms import symptom_recommendations
from smart_app.domain.rules.treatment import treatment_recommendations, treatment_statement
from smart_app.domain.timeline import DataIssue, DmtExposure, PatientTimeline, issues_in_order


class PatientReport(msgspec.Struct, frozen=True):
    """The engine's answer for one patient as of one date."""

    patient: str
    context: EvaluationContext
    diagnosis: str | None
    classification: Classification
    activity: Activity
    current_dmt: tuple[DmtExposure, ...]
    recommendations: tuple[Recommendation, ...]
    data_issues: tuple[DataIssue, ...]
    statement: str | None

    @property
    def as_of(self) -> date:
        """The as-of date D, from the evaluation context (its only channel)."""
        return self.context.as_of

    def to_json(self) -> dict[str, Any]:
        c = self.classification
        return {
            "patient": self.patient,
            "as_of": iso_day(self.as_of),
            "classification": {
                "status": c.status,
                "reason": c.reason,
                "edss": c.edss,
                "edss_date": iso_day(c.edss_date) if c.edss_date else None,
                "onset": iso_day(c.onset) if c.onset else None,
                "disease_duration_years": c.disease_duration_years,
                "strict": c.strict,
                "evidence": list(c.evidence),
            },
            "activity": {
                "active": self.activity.active,
                "findings": [
                    {"kind": f.kind, "date": iso_day(f.date), "evidence": list(f.evidence)}
                    for f in self.activity.findings
                ],
            },
            "current_dmt": [
                {"ingredient": d.ingredient, "since": iso_day(d.since)} for d in self.current_dmt
            ],
            "recommendations": [
                {
                    "code": r.code,
                    "due": iso_day(r.due),
                    "window_start": iso_day(r.window_start),
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


def evaluate_timeline(timeline: PatientTimeline) -> PatientReport:
    """Run rules C, A, M, T on an extracted timeline, in the timeline's evaluation context."""
    day = timeline.as_of
    rules = timeline.context.rules
    classification = classify(timeline, day, rules)
    activity = assess_activity(timeline, day, rules)
    issues = list(timeline.data_issues)
    if classification.status != "not-applicable" and classification.edss is None:
        issues.append(
            DataIssue("no-edss", timeline.patient, "no stable EDSS: the status cannot be decided")
        )
    if classification.status != "not-applicable" and edss_is_stale(
        classification.edss_date, day, rules
    ):
        issues.append(
            DataIssue(
                "edss-stale",
                classification.evidence[-1],
                f"the latest stable EDSS ({classification.edss_date}) is older than "
                f"{rules.edss_stale_months} months: never benign on it",
            )
        )
    current = tuple([d for d in timeline.dmt_exposures if d.current])
    recs: list[Recommendation] = []
    if classification.status != "not-applicable":
        recs = monitoring_recommendations(timeline, classification, activity, current, day, rules)
        recs += symptom_recommendations(timeline, day, rules)
        recs += treatment_recommendations(timeline, classification, activity, current, day, rules)
        recs.sort(key=lambda r: (ACTION_ORDER[r.code], r.due, r.evidence))
    return PatientReport(
        patient=timeline.patient,
        context=timeline.context,
        diagnosis=timeline.diagnosis.ref if timeline.diagnosis else None,
        classification=classification,
        activity=activity,
        current_dmt=current,
        recommendations=tuple(recs),
        data_issues=issues_in_order(issues),
        statement=treatment_statement(classification, activity),
    )


def evaluate_patient(
    resources: object,
    context: EvaluationContext,
    *,
    unavailable: Iterable[str] = (),
) -> PatientReport:
    """Evaluate one patient's FHIR resources (a Bundle, a list of dicts or R4B models).

    ``unavailable``: resource types the server did not offer or refused (reported as
    ``resource-unavailable``).
    """
    return evaluate_timeline(extract_timeline(resources, context, unavailable=unavailable))
