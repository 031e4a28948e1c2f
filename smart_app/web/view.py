"""Shape a :class:`Dashboard` into plain values for the Jinja template (no logic in templates).

Evidence links go to the app's own evidence page (``evidence.py``), which reads the resource with
the launch's token; a reference the page cannot serve (a ``urn:``, another type) stays text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from markupsafe import Markup

from smart_app.domain import PatientTimeline
from smart_app.domain.dates import add_months
from smart_app.service.launch import Dashboard
from smart_app.service.plan_delivery import PLAN_STORE_NAME
from smart_app.service.plan_targets import EHR, PLAN_STORE, PlanTargets
from smart_app.web.course_chart import course_figure_html
from smart_app.web.course_data import (
    CourseInput,
    DmtRun,
    EdssMark,
    RelapseMark,
    ScanMark,
    course_table,
)
from smart_app.web.evidence_labels import evidence_labels, label_of
from smart_app.web.launch import patient_name
from smart_app.web.reading_order import FINDING_TEXT, STATUS_TEXT, reading_order, summarize


@dataclass(frozen=True, slots=True)
class Evidence:
    """A reference as the clinician reads it (``label``), linking to its evidence page."""

    ref: str
    url: str | None
    label: str


EvidenceLink = Callable[[str], str | None]
"""The URL of the evidence page for a reference such as ``Observation/123``, or None."""


def dashboard_context(
    data: Dashboard,
    *,
    evidence_link: EvidenceLink,
    need_patient_banner: bool,
) -> dict[str, Any]:
    """Everything ``dashboard.html`` renders."""
    report, timeline = data.report, data.timeline
    c = report.classification
    plan = data.record.existing_plan
    labels = evidence_labels(timeline, plan)

    def ev(refs: tuple[str, ...]) -> list[Evidence]:
        return [Evidence(ref, evidence_link(ref), label_of(ref, labels)) for ref in refs]

    actions = reading_order(report, plan)

    course = course_input(timeline)
    chart = Markup(course_figure_html(course))  # noqa: S704 (every text escaped)
    mris: list[dict[str, Any]] = [
        {"date": m.date, "what": f"{m.region.capitalize()} MRI", "evidence": ev((m.ref,))}
        for m in (*timeline.brain_mris, *timeline.spinal_mris)
    ]
    mris += [
        {
            "date": f.date,
            "what": f"{'New/enlarging T2' if f.kind == 'new-t2-lesions' else 'Gd-enhancing'} "
            f"lesions: {f.count:g}",
            "evidence": ev((f.ref,)),
        }
        for f in timeline.mri_findings
    ]
    mris.sort(key=lambda row: row["date"])
    dmts = [
        {
            "ingredient": d.ingredient,
            "since": d.since,
            "last": d.last_date,
            "current": d.current,
            "line": "first-line" if d.first_line else "higher-efficacy",
            "evidence": ev(d.evidence),
        }
        for d in timeline.dmt_exposures
    ]
    recommendations = [
        {
            "code": a.rec.code,
            "title": a.title,
            "due": a.rec.due,
            "window_start": a.rec.window_start,
            "overdue": a.due.state == "overdue",
            "due_state": a.due.state,
            "due_text": a.due.text,
            "priority": a.rec.priority,
            "rationale": a.rec.rationale,
            "source": a.rec.source,
            "evidence": ev(a.rec.evidence),
        }
        for a in actions
    ]
    summary = summarize(report, actions)
    return {
        "patient": _banner(data.patient) if need_patient_banner else None,
        "patient_ref": report.patient,
        "as_of": report.as_of,
        "classification": {
            "status": c.status,
            "status_text": STATUS_TEXT.get(c.status, c.status),
            "reason": c.reason,
            "onset": c.onset,
            "edss": c.edss,
            "edss_date": c.edss_date,
            "duration": c.disease_duration_years,
            "strict": c.strict,
            "evidence": ev(c.evidence),
        },
        "summary": summary,
        "plan_home": plan_home(data.targets),
        "write_label": write_label(data.targets),
        "write_what": write_what(data),
        "statement": report.statement,
        "activity": {
            "active": report.activity.active,
            "findings": [
                {
                    "kind": _capital(FINDING_TEXT.get(f.kind, f.kind)),
                    "date": f.date,
                    "evidence": ev(f.evidence),
                }
                for f in report.activity.findings
            ],
        },
        "chart": chart,
        "course_rows": [
            {"date": row.date, "event": row.event, "detail": row.detail, "evidence": ev(row.refs)}
            for row in course_table(course)
        ],
        "mris": mris,
        "dmts": dmts,
        "recommendations": recommendations,
        "data_issues": [
            {"code": i.code, "resource": ev((i.resource,)), "message": i.message}
            for i in report.data_issues
        ],
        "existing_plan": [{**row, "evidence": ev((row["ref"],))} for row in _existing_plan(plan)],
        "plan_readable": data.record.plan_readable,
        "changes": data.changes,
        "up_to_date": data.changes.bundle is None,
        "ability": data.ability,
        "notices": data.notices,
    }


def plan_home(targets: PlanTargets) -> str:
    """Where the plan is kept, in words (the plan targets of the write-back decide)."""
    return {EHR: "the EHR's FHIR server", PLAN_STORE: PLAN_STORE_NAME}.get(
        targets.plan, "no server (the plan is offered as a download)"
    )


def write_label(targets: PlanTargets) -> str:
    """The write button's words: where the plan goes, and the note when there is one."""
    if targets.plan == PLAN_STORE:
        note = " and a note to the EHR" if targets.note else ""
        return f"Write plan to {PLAN_STORE_NAME}{note}"
    return "Write plan to the EHR"


def write_what(data: Dashboard) -> str:
    """What "Write plan" will write where, in one sentence (next to the button)."""
    c = data.changes
    note = " and a clinical note with the plan to the EHR" if data.targets.note else ""
    if c.bundle is None:
        return "Writes the clinical note with this plan to the EHR."
    counts = [
        (len(c.created), "new"),
        (len(c.updated), "updated"),
        (len(c.completed), "completed"),
        (len(c.cancelled), "cancelled"),
    ]
    tasks = sum(n for n, _ in counts)
    detail = ", ".join(f"{n} {what}" for n, what in counts if n)
    careplan = {"created": "a new CarePlan", "revoked": "the CarePlan revoked"}.get(
        c.careplan, "the CarePlan"
    )
    task_text = f" and {tasks} Task{'s' if tasks != 1 else ''} ({detail})" if tasks else ""
    return f"Writes {careplan}{task_text} to {plan_home(data.targets)}{note}."


def course_input(timeline: PatientTimeline) -> CourseInput:
    """The disease-course chart's input from the timeline: lesion counts join their scan by date
    (a report without its study stands alone), DMT runs keep their drug's lane; the window and the
    threshold come from the evaluation's own rules (the timeline's context)."""
    as_of, rules = timeline.as_of, timeline.context.rules
    studies = sorted((*timeline.brain_mris, *timeline.spinal_mris), key=lambda s: s.region)
    counts: dict[date, dict[str, float]] = {}
    count_refs: dict[date, list[str]] = {}
    for finding in timeline.mri_findings:
        counts.setdefault(finding.date, {})[finding.kind] = finding.count
        count_refs.setdefault(finding.date, []).append(finding.ref)
    scans: list[ScanMark] = []
    for study in studies:  # brain first: a report's counts go to the brain scan of its day
        found = counts.pop(study.date, {})
        refs = (study.ref, *count_refs.pop(study.date, []))
        scans.append(ScanMark(study.date, study.region, *_lesions(found), refs))
    for day, found in counts.items():  # a report whose study is not in the record
        scans.append(ScanMark(day, "", *_lesions(found), tuple(count_refs[day])))
    return CourseInput(
        as_of=as_of,
        edss=tuple(EdssMark(m.date, m.value, m.stable, m.ref) for m in timeline.edss),
        relapses=tuple(RelapseMark(r.onset, r.onset_latest, r.ref) for r in timeline.relapses),
        scans=tuple(sorted(scans, key=lambda s: s.date)),
        dmt_runs=tuple(
            DmtRun(d.ingredient, d.since, d.last_date, d.current, d.evidence)
            for d in timeline.dmt_exposures
        ),
        window_start=add_months(as_of, -rules.activity_lookback_months),
        threshold=rules.benign_edss_max,
        unstable_days=rules.stable_edss_days_after_relapse,
    )


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lesions(counts: dict[str, float]) -> tuple[float | None, float | None]:
    """(new T2, Gd+) from MriFinding kinds (smart_app/domain/timeline.py)."""
    return counts.get("new-t2-lesions"), counts.get("gd-lesions")


def _banner(patient: dict[str, Any]) -> dict[str, str]:
    return {
        "name": patient_name(patient),
        "birth_date": str(patient.get("birthDate", "unknown")),
        "gender": str(patient.get("gender", "unknown")),
        "id": str(patient.get("id", "")),
    }


def _existing_plan(resources: tuple[dict[str, Any], ...]) -> list[dict[str, str]]:
    """The plan in the EHR: each resource (named by its action, see evidence_labels), its
    status and due date."""
    rows = []
    for resource in resources:
        period = (resource.get("restriction") or {}).get("period") or {}
        rows.append(
            {
                "type": str(resource.get("resourceType", "")),
                "ref": f"{resource.get('resourceType')}/{resource.get('id')}",
                "status": str(resource.get("status", "")),
                "due": str(period.get("end", "")),
            }
        )
    return rows


def iso(value: date | None) -> str:
    return value.isoformat() if value else "—"
