"""What the neurologist reads first, without a server: the summary line, the order of the
recommendations, "due now" vs "overdue since D" (both sides of today), and evidence labels."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import msgspec
import pytest

from smart_app.domain import EvaluationContext
from smart_app.domain.extract import extract_timeline
from smart_app.domain.plan import task_identifier_value
from smart_app.domain.report import PatientReport
from smart_app.domain.results import Recommendation
from smart_app.web.evidence_labels import evidence_labels, label_of
from smart_app.web.reading_order import (
    DUE_NOW,
    OVERDUE,
    UPCOMING,
    due_state,
    plan_history,
    reading_order,
    summarize,
)
from tests.domain.domain_builders import (
    D,
    benign_base,
    dmt,
    edss,
    evaluate,
    jcv,
    lesions,
    mfis,
    months_before,
    mri,
    ms_condition,
    patient,
    relapse,
)

DAY = timedelta(days=1)


def recommendation(
    code: str = "mri-brain",
    *,
    due: date = D,
    window_start: date | None = None,
    priority: str = "routine",
    anchor: date | None = None,
) -> Recommendation:
    return Recommendation(
        code=code,
        due=due,
        window_start=window_start or due - timedelta(days=90),
        overdue=due < D,
        priority=priority,
        rationale="",
        source=(),
        evidence=(),
        anchor=anchor,
    )


@pytest.mark.parametrize(
    ("due", "window_start", "first_known", "state", "text"),
    [
        # due today: due now, whatever the history
        pytest.param(D, None, None, DUE_NOW, "due now", id="due-today"),
        pytest.param(D, None, D - 5 * DAY, DUE_NOW, "due now", id="due-today-known"),
        # due yesterday, a need first appearing today (no Task in the plan): never "overdue"
        pytest.param(D - DAY, None, None, DUE_NOW, "due now", id="past-due-new-need"),
        pytest.param(D - 40 * DAY, None, None, DUE_NOW, "due now", id="long-past-new-need"),
        pytest.param(D - DAY, None, D, DUE_NOW, "due now", id="past-due-written-today"),
        # already in the plan before today and still open: overdue since the later of the two
        pytest.param(
            D - DAY, None, D - DAY, OVERDUE, f"overdue since {D - DAY}", id="overdue-one-day"
        ),
        pytest.param(
            D - 10 * DAY, None, D - 30 * DAY, OVERDUE, f"overdue since {D - 10 * DAY}", id="due"
        ),
        pytest.param(
            D - 10 * DAY, None, D - 3 * DAY, OVERDUE, f"overdue since {D - 3 * DAY}", id="known"
        ),
        # the window opens today: due now even though the due date is ahead
        pytest.param(D + 30 * DAY, D, None, DUE_NOW, "due now", id="window-opens-today"),
        # tomorrow and later: upcoming
        pytest.param(D + DAY, D - DAY, None, UPCOMING, f"due {D + DAY}", id="due-tomorrow"),
        pytest.param(
            D + 30 * DAY,
            D + DAY,
            D - DAY,
            UPCOMING,
            f"due {D + 30 * DAY}, window opens {D + DAY}",
            id="window-opens-tomorrow",
        ),
    ],
)
def test_due_now_vs_overdue_since(
    due: date, window_start: date | None, first_known: date | None, state: str, text: str
) -> None:
    shown = due_state(recommendation(due=due, window_start=window_start), D, first_known)
    assert (shown.state, shown.text) == (state, text)
    assert (shown.since is not None) == (state == OVERDUE)


def task(report: PatientReport, rec: Recommendation, authored: date) -> dict[str, Any]:
    return {
        "resourceType": "Task",
        "id": f"t-{rec.code}",
        "authoredOn": authored.isoformat(),
        "identifier": [{"value": task_identifier_value(report.patient, rec)}],
    }


def test_plan_history_keeps_the_first_day_a_need_was_in_the_plan() -> None:
    report = evaluate(benign_base())
    rec = report.recommendations[0]
    history = plan_history(
        [
            task(report, rec, D - 3 * DAY),
            task(report, rec, D - 9 * DAY),
            {"resourceType": "CarePlan", "authoredOn": "2020-01-01"},
            {"resourceType": "Task", "authoredOn": "not a date", "identifier": [{"value": "x"}]},
        ]
    )
    assert history == {task_identifier_value(report.patient, rec): D - 9 * DAY}


def test_urgent_and_overdue_first_then_due_now_then_by_date() -> None:
    report = evaluate(benign_base())
    recs = (
        recommendation("symptom-screen", due=D + 200 * DAY),
        recommendation("neuro-review", due=D + 10 * DAY),
        recommendation("jcv-serology", due=D - 20 * DAY, anchor=D - 200 * DAY),  # overdue
        recommendation("mri-brain", due=D - 5 * DAY),  # past due, but new today: due now
        recommendation("reassess-benign-status", due=D + 20 * DAY, priority="urgent"),
    )
    report = msgspec.structs.replace(report, recommendations=recs)
    plan = [task(report, recs[2], D - 60 * DAY)]
    order = reading_order(report, plan)
    assert [a.rec.code for a in order] == [
        "reassess-benign-status",
        "jcv-serology",
        "mri-brain",
        "neuro-review",
        "symptom-screen",
    ]
    assert [a.due.state for a in order] == [UPCOMING, OVERDUE, DUE_NOW, UPCOMING, UPCOMING]
    assert order[1].due.since == D - 20 * DAY


def test_benign_without_activity_reads_benign_with_its_reason() -> None:
    report = evaluate(benign_base())
    summary = summarize(report, reading_order(report))
    assert summary.label == "Benign MS (strict)"
    assert summary.tone == "ok"
    assert not summary.under_review
    assert summary.reason.startswith("EDSS 2.0 (≤ 3.0) after 16.9 years of disease, strict (≤ 2.0)")
    assert summary.activity.startswith("No relapse")
    assert summary.next_action is not None
    assert summary.next_heading == "Next"


def test_benign_with_a_relapse_is_under_review_and_never_ok() -> None:
    onset = D - 50 * DAY
    report = evaluate([*benign_base(), relapse(onset)])
    assert report.classification.status == "benign"  # rule A: the status itself stays
    summary = summarize(report, reading_order(report))
    assert summary.under_review
    assert summary.tone == "review"
    assert summary.label == "Benign MS (strict): under review"
    assert "the disease is active" in summary.reason
    assert summary.activity == f"Active in the last 12 months: relapse {onset}"
    assert summary.next_action is not None
    assert summary.next_action.rec.priority == "urgent" or summary.next_action.due.state != (
        UPCOMING
    )
    assert summary.next_heading == "Most urgent"


@pytest.mark.parametrize(
    ("resources", "status", "tone", "reason"),
    [
        pytest.param(
            [*benign_base(edss_value=4.5)],
            "not-benign",
            "danger",
            "latest stable EDSS 4.5 is above 3.0",
            id="edss-above-threshold",
        ),
        pytest.param(
            [*benign_base(onset="2020-01-01")],
            "too-early",
            "warn",
            "6.9 years of disease, fewer than 10",
            id="duration-below-threshold",
        ),
        pytest.param(
            [patient(), ms_condition()],
            "indeterminate",
            "warn",
            "no stable EDSS recorded",
            id="no-stable-edss",
        ),
        pytest.param(
            [patient(), ms_condition(), edss(months_before(30), 2.0)],
            "indeterminate",
            "warn",
            "the latest stable EDSS is older than 24 months",
            id="edss-stale",
        ),
    ],
)
def test_the_reason_is_said_in_words(
    resources: list[dict[str, Any]], status: str, tone: str, reason: str
) -> None:
    report = evaluate(resources)
    summary = summarize(report, reading_order(report))
    assert (summary.status, summary.tone, summary.reason) == (status, tone, reason)


def labels_of(resources: list[dict[str, Any]]) -> dict[str, str]:
    return evidence_labels(extract_timeline(resources, EvaluationContext(D)))


@pytest.mark.parametrize(
    ("resources", "ref", "label"),
    [
        pytest.param(
            [edss(date(2026, 8, 28), 2.5, "e1")],
            "Observation/e1",
            "EDSS 2.5, 2026-08-28",
            id="edss",
        ),
        pytest.param(
            [relapse(date(2026, 10, 1), "r1"), edss(date(2026, 10, 11), 4.0, "e2")],
            "Observation/e2",
            "EDSS 4.0, 2026-10-11 (within a relapse: not stable)",
            id="edss-in-a-relapse",
        ),
        pytest.param(
            [relapse(date(2026, 10, 1), "r1")],
            "Condition/r1",
            "Relapse 2026-10-01",
            id="relapse",
        ),
        pytest.param(
            [
                mri(date(2026, 6, 24), "m1"),
                lesions(date(2026, 6, 24), "new-t2-lesions", 0, "t2"),
                lesions(date(2026, 6, 24), "gd-lesions", 0, "gd"),
            ],
            "ImagingStudy/m1",
            "Brain MRI 2026-06-24: 0 new T2, 0 Gd+",
            id="brain-mri-with-counts",
        ),
        pytest.param(
            [mri(date(2026, 6, 24), "m1"), lesions(date(2026, 6, 24), "gd-lesions", 2, "gd")],
            "Observation/gd",
            "Brain MRI 2026-06-24: 2 Gd+",
            id="lesion-count-under-its-scan",
        ),
        pytest.param(
            [mri(date(2026, 5, 2), "s1", region="spine")],
            "ImagingStudy/s1",
            "Spinal MRI 2026-05-02",
            id="spinal-mri",
        ),
        pytest.param(
            [dmt("natalizumab", date(2024, 11, 28), "n1")],
            "MedicationRequest/n1",
            "natalizumab since 2024-11-28",
            id="natalizumab",
        ),
        pytest.param(
            [jcv(date(2026, 9, 28), True, "j1")],
            "Observation/j1",
            "Anti-JCV positive, 2026-09-28",
            id="jcv",
        ),
        pytest.param(
            [mfis(date(2026, 9, 1), 44, "f1")], "Observation/f1", "MFIS 44, 2026-09-01", id="mfis"
        ),
        pytest.param(
            [ms_condition("2010-01-01", "ms1")],
            "Condition/ms1",
            "MS diagnosis, onset 2010-01-01",
            id="diagnosis",
        ),
        pytest.param([], "Observation/unknown", "Observation/unknown", id="unknown-keeps-its-id"),
    ],
)
def test_each_reference_is_named_as_what_it_is(
    resources: list[dict[str, Any]], ref: str, label: str
) -> None:
    labels = labels_of([patient(), ms_condition(), *resources])
    assert label_of(ref, labels) == label


def test_plan_resources_are_named_by_their_action() -> None:
    plan: list[dict[str, Any]] = [
        {
            "resourceType": "Task",
            "id": "0d5c",
            "code": {"coding": [{"code": "mri-brain"}]},
        },
        {"resourceType": "CarePlan", "id": "cp1", "title": "Benign MS monitoring"},
    ]
    labels = evidence_labels(extract_timeline([patient()], EvaluationContext(D)), plan)
    assert labels["Task/0d5c"] == "Task: Brain MRI"
    assert labels["CarePlan/cp1"] == "CarePlan: Benign MS monitoring"
