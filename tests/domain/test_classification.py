"""Rule C: classification boundaries (EDSS 3.0/3.5, 2.0/2.5, duration 9.9/10.0, stability)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from smart_app.domain import EvaluationContext, RuleSettings, evaluate_patient
from tests.domain.domain_builders import (
    D,
    Resource,
    edss,
    evaluate,
    issue_codes,
    ms_condition,
    patient,
    relapse,
)


def _case(onset: date | str, value: float, edss_day: date = date(2026, 9, 1)) -> list[Resource]:
    return [patient(), ms_condition(onset), edss(edss_day, value)]


@pytest.mark.parametrize(
    ("resources", "status", "strict"),
    [
        pytest.param([patient()], "not-applicable", False, id="no-ms-diagnosis"),
        pytest.param([patient(), ms_condition()], "indeterminate", False, id="no-edss"),
        pytest.param(_case("2010-01-01", 3.0), "benign", False, id="edss-3.0-benign"),
        pytest.param(_case("2010-01-01", 3.5), "not-benign", False, id="edss-3.5-not-benign"),
        pytest.param(_case("2010-01-01", 2.0), "benign", True, id="edss-2.0-strict"),
        pytest.param(_case("2010-01-01", 2.5), "benign", False, id="edss-2.5-not-strict"),
        pytest.param(_case("2010-01-01", 0.0), "benign", True, id="edss-0-strict"),
        pytest.param(
            _case(D - timedelta(days=3653), 2.0), "benign", True, id="duration-10.0-benign"
        ),
        pytest.param(
            _case(D - timedelta(days=3616), 2.0), "too-early", False, id="duration-9.9-too-early"
        ),
        pytest.param(_case("2020-01-01", 5.0), "not-benign", False, id="early-but-high-edss"),
    ],
)
def test_classification_status(resources: list[Resource], status: str, strict: bool) -> None:
    report = evaluate(resources)
    assert report.classification.status == status
    assert report.classification.strict is strict


def test_duration_is_rounded_to_one_decimal_and_counted_to_as_of() -> None:
    report = evaluate(_case(D - timedelta(days=3653), 2.0))
    assert report.classification.disease_duration_years == 10.0
    assert report.to_json()["classification"]["disease_duration_years"] == 10.0


def test_duration_at_edss_date_setting_is_stricter() -> None:
    resources = _case(D - timedelta(days=3700), 2.0, edss_day=D - timedelta(days=200))
    assert evaluate(resources).classification.status == "benign"
    strict = evaluate_patient(
        resources, EvaluationContext(D, RuleSettings(benign_duration_at_edss_date=True))
    )
    assert strict.classification.status == "too-early"


@pytest.mark.parametrize(
    ("days_after_relapse", "status", "edss_value"),
    [
        pytest.param(29, "benign", 2.0, id="29d-unstable-uses-older-edss"),
        pytest.param(30, "benign", 2.0, id="30d-still-unstable"),
        pytest.param(31, "not-benign", 4.0, id="31d-stable"),
    ],
)
def test_stable_edss_excludes_measurements_within_30_days_of_relapse(
    days_after_relapse: int, status: str, edss_value: float
) -> None:
    relapse_day = date(2026, 6, 1)
    resources = [
        patient(),
        ms_condition("2010-01-01"),
        edss(date(2026, 1, 10), 2.0, "old"),
        relapse(relapse_day),
        edss(relapse_day + timedelta(days=days_after_relapse), 4.0, "new"),
    ]
    report = evaluate(resources)
    assert report.classification.status == status
    assert report.classification.edss == edss_value


def test_only_unstable_edss_is_indeterminate_with_no_edss_issue() -> None:
    resources = [patient(), ms_condition(), relapse("2026-06-01"), edss("2026-06-10", 2.0)]
    report = evaluate(resources)
    assert report.classification.status == "indeterminate"
    assert "no-edss" in issue_codes(report)


def test_ms_diagnosis_without_any_date_is_never_benign() -> None:
    resources = [patient(), ms_condition(None), edss("2026-06-10", 2.0)]
    report = evaluate(resources)
    assert report.classification.status == "indeterminate"
    assert {"onset-missing", "missing-date"} <= set(issue_codes(report))


@pytest.mark.parametrize(
    ("onset", "status"),
    [
        pytest.param("2016", "too-early", id="year-only-read-as-dec-31"),
        pytest.param("2016-11", "too-early", id="month-only-read-as-month-end"),
        pytest.param("2016-10", "benign", id="month-before-10y"),
    ],
)
def test_partial_onset_is_resolved_to_its_latest_day(onset: str, status: str) -> None:
    report = evaluate(_case(onset, 2.0))
    assert report.classification.status == status


def test_onset_from_age_with_birth_date() -> None:
    condition = ms_condition(None, onsetAge={"value": 30, "code": "a"})
    report = evaluate([patient("1980-01-01"), condition, edss("2026-06-10", 2.0)])
    # onset between 2010 and 2010-12-31 -> latest day counts -> duration ~15.9 years
    assert report.classification.status == "benign"
    assert report.classification.disease_duration_years == 15.9
