"""run_population without a server: failures are isolated, the in-flight window is bounded,
and HAPI's write-conflict 500s are retried while other errors are not."""

from __future__ import annotations

import threading
from functools import partial
from typing import Any

import pytest

from smart_app.errors import FhirFatalError
from smart_app.jobs.population import retrying, run_population


class FakeRun:
    def __init__(self) -> None:
        self.written = True
        self.target = "ehr"  # where the plan was written (PatientRun.target)
        self.note = ""  # no EHR note (PatientRun.note)
        self.changes: Any = type(
            "C",
            (),
            {"careplan": "created", "created": ("a", "b"), "completed": (), "cancelled": ()},
        )()


def test_one_failure_is_recorded_and_the_rest_complete_with_a_bounded_window() -> None:
    lock = threading.Lock()
    state = {"in_flight": 0, "peak": 0}

    def work(pid: str) -> Any:
        with lock:
            state["in_flight"] += 1
            state["peak"] = max(state["peak"], state["in_flight"])
        try:
            if pid == "p7":
                raise FhirFatalError("boom", status=404)
            return FakeRun()
        finally:
            with lock:
                state["in_flight"] -= 1

    ids = [f"p{i}" for i in range(50)]
    summary = run_population(((p, partial(work, p)) for p in ids), concurrency=3)
    assert summary.evaluated == 49
    assert summary.plans_created == 49
    assert summary.tasks_created == 98
    assert summary.errors == [("p7", "FhirFatalError: boom")]
    assert state["peak"] <= 3


def test_write_conflicts_are_retried_but_not_other_errors() -> None:
    calls: list[int] = []

    def flaky() -> Any:
        calls.append(1)
        if len(calls) < 2:
            raise FhirFatalError("rolled back", status=500)
        return FakeRun()

    assert retrying(flaky)().written is True
    assert len(calls) == 2

    def forbidden() -> Any:
        calls.append(1)
        raise FhirFatalError("no", status=403)

    calls.clear()
    with pytest.raises(FhirFatalError):
        retrying(forbidden)()
    assert len(calls) == 1
