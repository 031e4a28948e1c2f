"""The worklist's rows: one per patient, urgent and overdue first, with the clinic's filters.

Pure (no Flask, no I/O, no clock: "today" is the worklist's own date, given by the service).

* The most urgent open Task is chosen as the dashboard orders actions (urgent, then overdue, due
  now, by due date) and worded by the dashboard's own words (reading_order.due_words: "overdue
  since D" / "due now" / "due D"), with the Task's ``authoredOn`` as the day the plan first held
  the need.
* Rows: urgent first (an open urgent Task), then overdue, then the earliest due date.
* Disease activity is read from the Task codes the engine writes for it (docs/clinical-rules.md,
  rules A and T), never parsed from free text.
* The CSV export neutralises spreadsheet formulas (OWASP, CSV injection): a cell starting with
  ``= + - @``, a tab or a carriage return gets a leading ``'``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from smart_app.domain.actions import ACTION_ORDER
from smart_app.domain.plan import ACTION_DISPLAY
from smart_app.service.worklist import PatientPlan, PlannedTask
from smart_app.web.reading_order import (
    OVERDUE,
    STATE_RANK,
    UPCOMING,
    DueState,
    due_words,
)

#: Open Tasks that say the disease is active: the benign label is re-assessed, a DMT considered
#: or the current DMT reviewed (docs/clinical-rules.md, A and T).
ACTIVE_DISEASE_CODES = frozenset({"reassess-benign-status", "consider-dmt", "review-dmt"})
PML_CODES = frozenset({"mri-pml-surveillance", "jcv-serology"})
MRI_CODES = frozenset({"mri-brain", "mri-pml-surveillance"})
DUE_SOON_DAYS = 30

#: The filters, by query parameter name, in the order the page lists them.
FILTERS = {
    "pml": "PML surveillance",
    "mri-overdue": "Overdue MRI",
    "active": "Active disease",
    "due-30": f"Due in {DUE_SOON_DAYS} days",
}
_NO_DUE = DueState(UPCOMING, None, "no due date")


@dataclass(frozen=True, slots=True)
class TaskDue:
    """One open Task with its title and its due state in words."""

    task: PlannedTask
    title: str
    due: DueState

    @property
    def urgent(self) -> bool:
        return self.task.priority in ("urgent", "asap", "stat")


@dataclass(frozen=True, slots=True)
class WorklistRow:
    """One patient on the worklist."""

    patient_id: str
    name: str
    birth_date: str
    sources: tuple[str, ...]
    classification: str
    active_disease: bool
    pml: bool
    mri_overdue: bool
    due_soon: bool
    next: TaskDue | None
    earliest_due: date | None
    open_tasks: int
    urgent_tasks: int
    overdue_tasks: int

    @property
    def urgent(self) -> bool:
        return self.urgent_tasks > 0


def task_due(task: PlannedTask, today: date) -> TaskDue:
    """The Task's due state in the dashboard's words (no due date: said so, sorted last)."""
    title = ACTION_DISPLAY.get(task.code, task.code)
    if task.due is None:
        return TaskDue(task, title, _NO_DUE)
    start = task.window_start or task.due
    return TaskDue(task, title, due_words(start, task.due, today, task.authored))


def _task_key(t: TaskDue) -> tuple[bool, int, date, int]:
    return (
        not t.urgent,
        STATE_RANK[t.due.state],
        t.task.due or date.max,
        ACTION_ORDER.get(t.task.code, len(ACTION_ORDER)),
    )


def classification_words(codes: Collection[str]) -> str:
    """What the open Tasks say about the disease, in words."""
    if "reassess-benign-status" in codes:
        return "Active disease: benign label under review"
    if ACTIVE_DISEASE_CODES.intersection(codes):
        return "Active disease: treatment review"
    return "No disease activity in the plan: monitoring"


def worklist_row(plan: PatientPlan, today: date) -> WorklistRow:
    dues = sorted((task_due(t, today) for t in plan.tasks), key=_task_key)
    codes = frozenset(t.code for t in plan.tasks)
    soon = today + timedelta(days=DUE_SOON_DAYS)
    return WorklistRow(
        patient_id=plan.patient_id,
        name=plan.name or plan.patient_id,
        birth_date=plan.birth_date or "",
        sources=plan.sources,
        classification=classification_words(codes),
        active_disease=bool(codes & ACTIVE_DISEASE_CODES),
        pml=bool(codes & PML_CODES),
        mri_overdue=any(
            t.code in MRI_CODES and t.due is not None and t.due < today for t in plan.tasks
        ),
        due_soon=any(t.due is not None and t.due <= soon for t in plan.tasks),
        next=dues[0] if dues else None,
        earliest_due=min((t.due for t in plan.tasks if t.due is not None), default=None),
        open_tasks=len(dues),
        urgent_tasks=sum(1 for d in dues if d.urgent),
        overdue_tasks=sum(1 for d in dues if d.due.state == OVERDUE),
    )


def _row_key(row: WorklistRow) -> tuple[bool, bool, date, str, str]:
    earliest = row.earliest_due or date.max
    return (not row.urgent, row.overdue_tasks == 0, earliest, row.name.lower(), row.patient_id)


def worklist_rows(plans: Iterable[PatientPlan], today: date) -> list[WorklistRow]:
    """Every patient's row: urgent first, then overdue, then the earliest due date."""
    return sorted((worklist_row(p, today) for p in plans), key=_row_key)


def parse_filters(values: Iterable[str]) -> tuple[str, ...]:
    """The known filter names among ``values`` (query parameters), in the page's order."""
    wanted = set(values)
    return tuple(name for name in FILTERS if name in wanted)


def matches(row: WorklistRow, name: str) -> bool:
    return {
        "pml": row.pml,
        "mri-overdue": row.mri_overdue,
        "active": row.active_disease,
        "due-30": row.due_soon,
    }[name]


def apply_filters(rows: Iterable[WorklistRow], filters: Sequence[str]) -> list[WorklistRow]:
    """The rows matching every filter (none: all rows), order kept."""
    return [row for row in rows if all(matches(row, name) for name in filters)]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_HEADER = (
    "patient_id",
    "name",
    "birth_date",
    "classification",
    "most_urgent_action",
    "priority",
    "due_date",
    "due",
    "open_tasks",
    "urgent_tasks",
    "overdue_tasks",
    "plan_kept_in",
)


def csv_safe(value: str) -> str:
    """A cell a spreadsheet shows as text: a leading ``'`` before a formula start."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def worklist_csv(rows: Iterable[WorklistRow]) -> str:
    """The rows as CSV (RFC 4180), every cell formula-safe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in rows:
        nxt = row.next
        cells = (
            row.patient_id,
            row.name,
            row.birth_date,
            row.classification,
            nxt.title if nxt else "",
            nxt.task.priority if nxt else "",
            nxt.task.due.isoformat() if nxt and nxt.task.due else "",
            nxt.due.text if nxt else "",
            str(row.open_tasks),
            str(row.urgent_tasks),
            str(row.overdue_tasks),
            " and ".join(row.sources),
        )
        writer.writerow([csv_safe(cell) for cell in cells])
    return out.getvalue()
