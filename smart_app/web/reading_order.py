"""What the neurologist reads first: the summary line and the recommendations in urgency order.

Pure (no Flask, no I/O, no clock: "today" is the evaluation's as-of date).

* The classification in words with its reason (docs/clinical-rules.md, C, contract v2 reason
  codes); the thresholds in the words come from the evaluation's own rules.
* A patient classified benign with disease activity in the lookback window keeps the status
  (rule A) but is shown "under review" with why, never with the reassuring benign colour.
* When an action is due: "due now" when its window opens today or it is due today, or when it is
  past its due date but the EHR's plan has no Task for it yet (a need first appearing today is
  never "overdue"); "overdue since D" when it was already in the plan and is still not done;
  else "due D". Urgent first, then overdue, due now, and by due date.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from smart_app.domain.actions import ACTION_ORDER
from smart_app.domain.plan import ACTION_DISPLAY, task_identifier_value
from smart_app.domain.report import PatientReport
from smart_app.domain.results import Recommendation

STATUS_TEXT = {
    "benign": "Benign MS",
    "too-early": "Too early to call benign",
    "not-benign": "Not benign",
    "indeterminate": "Indeterminate",
    "not-applicable": "No MS diagnosis",
}
FINDING_TEXT = {
    "relapse": "relapse",
    "mri": "new MRI activity",
    "cdp": "confirmed disability progression",
}

OVERDUE, DUE_NOW, UPCOMING = "overdue", "due-now", "upcoming"
STATE_RANK = {OVERDUE: 0, DUE_NOW: 1, UPCOMING: 2}


def _years(value: float) -> str:
    return f"{value:g}"


def reason_text(report: PatientReport) -> str:
    """Why the classification is what it is, in words (one per contract v2 reason code), with
    the thresholds of the evaluation's own rules."""
    c, rules = report.classification, report.context.rules
    edss = f"{c.edss:.1f}" if c.edss is not None else "?"
    duration = f"{c.disease_duration_years:.1f}" if c.disease_duration_years is not None else "?"
    texts = {
        "no-ms-diagnosis": "no MS diagnosis in the record",
        "progressive-course": "progressive course: benign MS is a relapsing-onset course",
        "no-stable-edss": "no stable EDSS recorded",
        "latest-edss-unreadable": "the latest EDSS cannot be read",
        "edss-above-threshold": (f"latest stable EDSS {edss} is above {rules.benign_edss_max:.1f}"),
        "edss-stale": f"the latest stable EDSS is older than {rules.edss_stale_months} months",
        "onset-unknown": "the date of disease onset is unknown",
        "duration-below-threshold": (
            f"{duration} years of disease, fewer than {_years(rules.benign_min_duration_years)}"
        ),
        "diagnosis-unconfirmed": "the MS diagnosis is provisional or unconfirmed",
        "benign": (
            f"EDSS {edss} (≤ {rules.benign_edss_max:.1f}) after {duration} years of disease"
            + (f", strict (≤ {rules.strict_benign_edss_max:.1f})" if c.strict else "")
        ),
    }
    return texts.get(c.reason, c.reason)


@dataclass(frozen=True, slots=True)
class DueState:
    """When one action is due, as the clinic says it."""

    state: str  # overdue | due-now | upcoming
    since: date | None  # overdue: since when
    text: str


def plan_history(plan: Iterable[Mapping[str, Any]]) -> dict[str, date]:
    """Task identifier value -> the day the EHR's plan first held that need (its authoredOn)."""
    known: dict[str, date] = {}
    for resource in plan:
        if resource.get("resourceType") != "Task":
            continue
        authored = str(resource.get("authoredOn") or "")[:10]
        try:
            day = date.fromisoformat(authored)
        except ValueError:
            continue
        for identifier in resource.get("identifier") or []:
            value = identifier.get("value") if isinstance(identifier, dict) else None
            if isinstance(value, str):
                known[value] = min(day, known.get(value, day))
    return known


def due_state(rec: Recommendation, today: date, first_known: date | None) -> DueState:
    """Due now / overdue since D / due D for one recommendation (see the module docstring)."""
    return due_words(rec.window_start, rec.due, today, first_known)


def due_words(window_start: date, due: date, today: date, first_known: date | None) -> DueState:
    """Due now / overdue since D / due D for a window and due date (a recommendation, or a
    Task of the plan: its ``restriction.period`` and ``authoredOn``)."""
    if due > today and window_start != today:
        opens = "" if window_start <= today else f", window opens {window_start}"
        return DueState(UPCOMING, None, f"due {due.isoformat()}{opens}")
    if due < today and first_known is not None and first_known < today:
        since = max(due, first_known)
        return DueState(OVERDUE, since, f"overdue since {since.isoformat()}")
    return DueState(DUE_NOW, None, "due now")


@dataclass(frozen=True, slots=True)
class Action:
    """One recommendation with its due state, in reading order."""

    rec: Recommendation
    title: str
    due: DueState


def reading_order(report: PatientReport, plan: Iterable[Mapping[str, Any]] = ()) -> list[Action]:
    """The recommendations, urgent and overdue first (then due now, then by due date)."""
    history = plan_history(plan)
    today = report.as_of
    actions = [
        Action(
            rec,
            ACTION_DISPLAY.get(rec.code, rec.code),
            due_state(rec, today, history.get(task_identifier_value(report.patient, rec))),
        )
        for rec in report.recommendations
    ]
    actions.sort(
        key=lambda a: (
            a.rec.priority != "urgent",
            STATE_RANK[a.due.state],
            a.rec.due,
            ACTION_ORDER[a.rec.code],
        )
    )
    return actions


@dataclass(frozen=True, slots=True)
class Summary:
    """The line at the top of the dashboard."""

    status: str  # the classification status code
    tone: str  # ok | review | warn | danger: never "ok" when the disease is active
    label: str
    reason: str
    under_review: bool
    activity: str
    next_action: Action | None

    @property
    def next_heading(self) -> str:
        """ "Most urgent" for an urgent action or one due now, else just "Next"."""
        a = self.next_action
        urgent = a is not None and (a.rec.priority == "urgent" or a.due.state != UPCOMING)
        return "Most urgent" if urgent else "Next"


def summarize(report: PatientReport, actions: Sequence[Action]) -> Summary:
    """Classification with its reason, activity, and the most urgent action."""
    c, activity, rules = report.classification, report.activity, report.context.rules
    label = STATUS_TEXT.get(c.status, c.status)
    if c.strict:
        label += " (strict)"
    reason = reason_text(report)
    if activity.findings:
        what = ", ".join(
            f"{FINDING_TEXT.get(f.kind, f.kind)} {f.date.isoformat()}" for f in activity.findings
        )
        activity_text = f"Active in the last {rules.activity_lookback_months} months: {what}"
    else:
        activity_text = (
            f"No relapse, new MRI activity or confirmed progression in the last "
            f"{rules.activity_lookback_months} months"
        )
    under_review = c.status == "benign" and activity.active
    if under_review:
        label = f"{label}: under review"
        reason = f"{reason}; but the disease is active, so the benign label is re-assessed"
    tone = {
        "benign": "review" if under_review else "ok",
        "not-benign": "danger",
        "not-applicable": "muted",
    }.get(c.status, "warn")
    return Summary(
        c.status, tone, label, reason, under_review, activity_text, actions[0] if actions else None
    )
