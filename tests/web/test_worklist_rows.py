"""The worklist's rows: ordering, filters, wording and the CSV export (pure, table-driven)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest

from smart_app.auth.scopes import worklist_allowed, worklist_scopes
from smart_app.service.worklist import PatientPlan, PlannedTask
from smart_app.web.worklist_rows import (
    apply_filters,
    classification_words,
    csv_safe,
    parse_filters,
    task_due,
    worklist_csv,
    worklist_row,
    worklist_rows,
)

TODAY = date(2026, 11, 28)


def task(
    code: str,
    due: date | None,
    *,
    priority: str = "routine",
    start: date | None = None,
    authored: date | None = date(2026, 1, 1),
    status: str = "requested",
) -> PlannedTask:
    return PlannedTask(
        code, priority, status, start or (due and due - timedelta(days=60)), due, authored
    )


def plan(pid: str, *tasks: PlannedTask, name: str | None = None) -> PatientPlan:
    return PatientPlan(pid, name, "1980-01-01", ("EHR",), tasks)


@pytest.mark.parametrize(
    ("due", "start", "authored", "words", "state"),
    [
        (TODAY + timedelta(days=1), None, date(2026, 1, 1), "due 2026-11-29", "upcoming"),
        (TODAY, None, date(2026, 1, 1), "due now", "due-now"),
        (TODAY - timedelta(days=1), None, date(2026, 1, 1), "overdue since 2026-11-27", "overdue"),
        # the plan first held it yesterday: overdue since then, not since the old due date
        (date(2026, 1, 10), None, TODAY - timedelta(days=1), "overdue since 2026-11-27", "overdue"),
        # a need first written today is never "overdue"
        (TODAY - timedelta(days=5), None, TODAY, "due now", "due-now"),
        # the window opens today: due now, although the due date is later
        (TODAY + timedelta(days=90), TODAY, date(2026, 1, 1), "due now", "due-now"),
        (
            TODAY + timedelta(days=90),
            TODAY + timedelta(days=10),
            date(2026, 1, 1),
            "due 2027-02-26, window opens 2026-12-08",
            "upcoming",
        ),
        (None, None, None, "no due date", "upcoming"),
    ],
)
def test_task_due_words_on_both_sides_of_today(
    due: date | None, start: date | None, authored: date | None, words: str, state: str
) -> None:
    opens = start or (due - timedelta(days=60) if due else None)
    t = PlannedTask("mri-brain", "routine", "requested", opens, due, authored)
    said = task_due(t, TODAY).due
    assert (said.text, said.state) == (words, state)


def test_rows_urgent_first_then_overdue_then_earliest_due() -> None:
    plans = [
        plan("late-routine", task("neuro-review", TODAY + timedelta(days=200))),
        plan("soon-routine", task("neuro-review", TODAY + timedelta(days=3))),
        plan("overdue-routine", task("symptom-screen", TODAY - timedelta(days=3))),
        plan("urgent-later", task("consider-dmt", TODAY + timedelta(days=20), priority="urgent")),
        plan(
            "urgent-overdue",
            task("mri-brain", TODAY - timedelta(days=30), priority="urgent"),
        ),
        plan("nothing-open"),
    ]
    order = [row.patient_id for row in worklist_rows(plans, TODAY)]
    assert order == [
        "urgent-overdue",
        "urgent-later",
        "overdue-routine",
        "soon-routine",
        "late-routine",
        "nothing-open",
    ]


def test_most_urgent_task_and_counts() -> None:
    row = worklist_row(
        plan(
            "p1",
            task("symptom-screen", TODAY - timedelta(days=10)),
            task("review-dmt", TODAY + timedelta(days=40), priority="urgent"),
            task("mri-brain", TODAY + timedelta(days=5)),
        ),
        TODAY,
    )
    assert row.next is not None
    assert row.next.task.code == "review-dmt"
    assert (row.open_tasks, row.urgent_tasks, row.overdue_tasks) == (3, 1, 1)
    assert row.name == "p1"  # no name: the id


@pytest.mark.parametrize(
    ("codes", "words", "active"),
    [
        (
            {"reassess-benign-status", "mri-brain"},
            "Active disease: benign label under review",
            True,
        ),
        ({"consider-dmt"}, "Active disease: treatment review", True),
        ({"review-dmt"}, "Active disease: treatment review", True),
        ({"mri-brain", "neuro-review"}, "No disease activity in the plan: monitoring", False),
    ],
)
def test_classification_from_task_codes(codes: set[str], words: str, active: bool) -> None:
    assert classification_words(codes) == words
    row = worklist_row(plan("p", *(task(c, TODAY + timedelta(days=50)) for c in codes)), TODAY)
    assert (row.classification, row.active_disease) == (words, active)


@pytest.mark.parametrize(
    ("tasks", "filters", "kept"),
    [
        ([task("jcv-serology", TODAY + timedelta(days=100))], ["pml"], True),
        ([task("mri-pml-surveillance", TODAY + timedelta(days=100))], ["pml"], True),
        ([task("mri-brain", TODAY + timedelta(days=100))], ["pml"], False),
        ([task("mri-brain", TODAY - timedelta(days=1))], ["mri-overdue"], True),
        ([task("mri-pml-surveillance", TODAY - timedelta(days=1))], ["mri-overdue"], True),
        ([task("mri-brain", TODAY)], ["mri-overdue"], False),  # due today: not yet overdue
        ([task("neuro-review", TODAY - timedelta(days=9))], ["mri-overdue"], False),
        ([task("consider-dmt", TODAY + timedelta(days=300))], ["active"], True),
        ([task("neuro-review", TODAY + timedelta(days=3))], ["active"], False),
        ([task("neuro-review", TODAY + timedelta(days=30))], ["due-30"], True),  # the boundary
        ([task("neuro-review", TODAY + timedelta(days=31))], ["due-30"], False),
        ([task("neuro-review", TODAY - timedelta(days=2))], ["due-30"], True),
        ([task("neuro-review", None)], ["due-30"], False),
        (
            [task("consider-dmt", TODAY + timedelta(days=300)), task("jcv-serology", TODAY)],
            ["active", "pml", "due-30"],
            True,
        ),
        ([task("consider-dmt", TODAY + timedelta(days=300))], ["active", "pml"], False),
        ([], [], True),
    ],
)
def test_filters(tasks: list[PlannedTask], filters: list[str], kept: bool) -> None:
    rows = worklist_rows([plan("p", *tasks)], TODAY)
    assert bool(apply_filters(rows, parse_filters(filters))) is kept


def test_unknown_filters_are_ignored_and_order_is_the_pages() -> None:
    assert parse_filters(["due-30", "bogus", "pml"]) == ("pml", "due-30")


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Smith, Jo", "Smith, Jo"),
        ("2026-11-28", "2026-11-28"),
    ],
)
def test_csv_cells_neutralise_formulas(cell: str, safe: str) -> None:
    assert csv_safe(cell) == safe


def test_csv_export_of_a_hostile_name() -> None:
    hostile = plan("p9", task("mri-brain", TODAY - timedelta(days=1)), name='=cmd|"/c calc"!A1')
    text = worklist_csv(worklist_rows([hostile], TODAY))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["patient_id", "name", "birth_date"]
    assert rows[1][1] == '\'=cmd|"/c calc"!A1'
    assert rows[1][7] == "overdue since 2026-11-27"
    assert all(not cell.startswith(("=", "+", "-", "@")) for cell in rows[1])


@pytest.mark.parametrize("v2", [True, False])
def test_worklist_scopes_are_user_level_reads_without_launch_patient(v2: bool) -> None:
    scopes = worklist_scopes(v2=v2).split()
    assert scopes[:2] == ["openid", "fhirUser"]
    assert "launch/patient" not in scopes
    assert "launch" not in scopes
    assert not [s for s in scopes if s.startswith("patient/")]
    read = ".rs" if v2 else ".read"
    for rtype in ("Patient", "CarePlan", "Task", "Observation", "Condition"):
        assert f"user/{rtype}{read}" in scopes
    assert not [s for s in scopes if s.startswith("user/") and not s.endswith(read)]
    assert scopes[-1] == "online_access"
    assert worklist_scopes(v2=v2, offline_access=True).split()[-1] == "offline_access"
    assert worklist_allowed(scopes)


def test_a_registrations_own_scopes_are_asked_at_user_level() -> None:
    asked = worklist_scopes(v2=True, registered="launch openid fhirUser patient/*.rs").split()
    assert asked == ["openid", "fhirUser", "user/*.rs"]
    epic_like = (
        "launch openid fhirUser online_access patient/Patient.r patient/Task.cu "
        "patient/DocumentReference.crs patient/Observation.read patient/CarePlan.write "
        "patient/Observation.rs?category=exam"
    )
    assert worklist_scopes(v2=True, registered=epic_like).split() == [
        "openid",
        "fhirUser",
        "online_access",
        "user/Patient.r",
        "user/DocumentReference.rs",
        "user/Observation.read",
        "user/Observation.rs?category=exam",
    ]


@pytest.mark.parametrize(
    ("granted", "allowed"),
    [
        ({"patient/*.rs", "openid"}, False),
        ({"patient/CarePlan.read", "patient/Task.read", "patient/Patient.read"}, False),
        ({"user/CarePlan.rs", "user/Task.rs"}, False),  # no Patient: no names
        ({"user/CarePlan.rs", "user/Task.rs", "user/Patient.rs"}, True),
        ({"user/*.read"}, True),
        ({"user/CarePlan.rs?category=assess-plan", "user/Task.rs", "user/Patient.rs"}, True),
        ({"user/Patient.r", "user/CarePlan.rs"}, True),  # Epic's registered style: read only
        ({"user/Patient.rs?identifier=x", "user/CarePlan.rs"}, False),  # granular: not enough
        ({"system/Patient.rs"}, True),
    ],
)
def test_worklist_needs_user_level_reads(granted: set[str], allowed: bool) -> None:
    assert worklist_allowed(granted) is allowed
