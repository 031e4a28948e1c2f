"""Cross-check: the engine concludes, for every scenario patient, what the cohort expects.

The scenarios state docs/clinical-rules.md independently of the engine, and are evaluated at several
as-of dates (including month ends and a leap day) because all their dates are relative to as-of.
The patient is passed as the collection Bundle a user would give ``ms-monitor evaluate``.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from smart_app.domain import EvaluationContext, evaluate_patient
from smart_app.synthetic import (
    ALL_CODES,
    SCENARIO_NAMES,
    SyntheticPatient,
    cohort,
    collection_bundle,
)

AS_OF_DATES = (date(2026, 11, 24), date(2025, 3, 31), date(2024, 2, 29))


def report_json(patient: SyntheticPatient, as_of: date) -> dict[str, Any]:
    resources = [entry["resource"] for entry in collection_bundle(patient)["entry"]]
    output = evaluate_patient(resources, EvaluationContext(as_of)).to_json()
    parsed: dict[str, Any] = json.loads(output) if isinstance(output, str) else output
    return parsed


@pytest.fixture(scope="module", params=AS_OF_DATES, ids=str)
def evaluated(request: pytest.FixtureRequest) -> dict[str, tuple[SyntheticPatient, dict[str, Any]]]:
    as_of: date = request.param
    return {p.scenario: (p, report_json(p, as_of)) for p in cohort(as_of=as_of)}


@pytest.mark.parametrize("scenario", SCENARIO_NAMES)
def test_engine_matches_expectation(
    scenario: str, evaluated: dict[str, tuple[SyntheticPatient, dict[str, Any]]]
) -> None:
    patient, report = evaluated[scenario]
    expected = patient.expected
    assert expected is not None
    context = json.dumps(report, indent=1)

    assert report["patient"] == f"Patient/{patient.patient_id}"
    classification = report["classification"]
    assert classification["status"] == expected.status, context
    if expected.strict is not None:
        assert classification["strict"] is expected.strict, context
    if expected.reason is not None:
        assert classification["reason"] == expected.reason, context
    if expected.edss is not None:
        assert classification["edss"] == expected.edss, context
    if expected.edss_date is not None:
        assert classification["edss_date"] == expected.edss_date.isoformat(), context

    kinds = {finding["kind"] for finding in report["activity"]["findings"]}
    assert kinds == expected.activity, context
    assert report["activity"]["active"] is bool(expected.activity), context

    by_code = {rec["code"]: rec for rec in report["recommendations"]}
    missing = expected.recommendations - by_code.keys()
    assert not missing, f"missing {sorted(missing)}\n{context}"
    unwanted = expected.absent & by_code.keys()
    assert not unwanted, f"unexpected {sorted(unwanted)}\n{context}"
    for check in expected.checks:
        rec = by_code[check.code]
        if check.due is not None:
            assert rec["due"] == check.due.isoformat(), (check, context)
        if check.window_start is not None:
            assert rec["window_start"] == check.window_start.isoformat(), (check, context)
        if check.overdue is not None:
            assert rec["overdue"] is check.overdue, (check, context)
        if check.priority is not None:
            assert rec["priority"] == check.priority, (check, context)

    issues = {issue["code"] for issue in report["data_issues"]}
    assert expected.data_issues <= issues, context
    if expected.data_issues_exact:
        assert issues == expected.data_issues, context

    if expected.current_dmt is not None:
        current = {dmt["ingredient"] for dmt in report["current_dmt"]}
        assert current == expected.current_dmt, context


STATUSES = {"benign", "too-early", "not-benign", "indeterminate", "not-applicable"}
ISSUE_CODES = {
    "invalid-resource",
    "edss-out-of-range",
    "edss-invalid-step",
    "future-date",
    "missing-date",
    "onset-missing",
    "no-edss",
    "mri-region-unknown",
    "dmt-matched-by-text",
    "unit-mismatch",
    "diagnosis-unconfirmed",
    "edss-as-text",
    "edss-stale",
    "mri-findings-unstructured",
    "dmt-status-conflict",
    "dmt-stop-date-unknown",
    "resource-unavailable",
}


def test_engine_reads_every_random_patient_within_the_contract() -> None:
    """The seeded random patients (with noise) never crash the engine and stay in the contract."""
    as_of = AS_OF_DATES[0]
    patients = cohort(as_of=as_of, patients=len(SCENARIO_NAMES) + 400)[len(SCENARIO_NAMES) :]
    statuses: set[str] = set()
    for patient in patients:
        report = report_json(patient, as_of)
        statuses.add(report["classification"]["status"])
        assert {issue["code"] for issue in report["data_issues"]} <= ISSUE_CODES
        assert {rec["code"] for rec in report["recommendations"]} <= ALL_CODES
    assert {"benign", "too-early", "not-benign"} <= statuses <= STATUSES
