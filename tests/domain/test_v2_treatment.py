"""Contract v2, DMTs, JCV, PML risk, re-baseline and wording: boundary tables."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from smart_app.domain.dates import add_days, add_months
from smart_app.domain.rules.activity import confirmed_progression
from smart_app.domain.thresholds import DEFAULT_SETTINGS
from smart_app.domain.timeline import EdssMeasurement
from tests.domain.domain_builders import (
    RX,
    SUBJECT,
    D,
    Resource,
    benign_base,
    codes,
    dmt,
    edss,
    evaluate,
    issue_codes,
    jcv,
    lesions,
    months_before,
    ms_condition,
    msobs,
    patient,
    rec,
    relapse,
)


def dose(day: date, rid: str, ingredient: str = "natalizumab") -> Resource:
    return {
        "resourceType": "MedicationAdministration",
        "id": rid,
        "status": "completed",
        "subject": SUBJECT,
        "medicationCodeableConcept": {
            "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                        "code": RX[ingredient]}]
        },
        "effectiveDateTime": day.isoformat(),
    }  # fmt: skip


def jcv_index(day: date, index: float, rid: str = "jcv", **extra: Any) -> Resource:
    return msobs("jcv-antibody", day, rid, valueQuantity={"value": index}, **extra)


@pytest.mark.parametrize(
    ("days_since_dose", "current"),
    [
        pytest.param(56, True, id="twice-4-weeks"),
        pytest.param(57, False, id="past-twice-the-interval"),
    ],
)
def test_administration_is_current_within_twice_the_dosing_interval(
    days_since_dose: int, current: bool
) -> None:
    resources = [*benign_base(), dose(D - timedelta(days=days_since_dose), "d1")]
    assert bool(evaluate(resources).current_dmt) is current


@pytest.mark.parametrize(
    ("status", "validity_end", "current"),
    [
        pytest.param("active", None, True, id="active"),
        pytest.param("on-hold", None, True, id="on-hold-drug-holiday"),
        pytest.param("active", "2026-11-24", True, id="validity-ends-today"),
        pytest.param("active", "2026-11-23", False, id="validity-ended"),
        pytest.param("completed", None, False, id="completed"),
    ],
)
def test_current_medication_request(status: str, validity_end: str | None, current: bool) -> None:
    order = dmt("fingolimod", "2024-01-01", "o", status)
    if validity_end is not None:
        order["dispenseRequest"] = {"validityPeriod": {"end": validity_end}}
    assert bool(evaluate([*benign_base(), order]).current_dmt) is current


@pytest.mark.parametrize(
    ("end", "current", "conflict"),
    [
        pytest.param(None, True, False, id="open"),
        pytest.param("2026-11-24", True, False, id="ends-today"),
        pytest.param("2023-01-01", False, True, id="ended-years-ago"),
    ],
)
def test_active_statement_whose_period_ended(
    end: str | None, current: bool, conflict: bool
) -> None:
    statement = dmt("fingolimod", "2020-01-01", "s", "active", statement=True, end=end)
    report = evaluate([*benign_base(), statement])
    assert bool(report.current_dmt) is current
    assert ("dmt-status-conflict" in issue_codes(report)) is conflict


def _natalizumab_runs(*runs: tuple[date, date]) -> list[Resource]:
    return [
        dmt("natalizumab", start, f"run{i}", "stopped", statement=True, end=end)
        for i, (start, end) in enumerate(runs)
    ]


@pytest.mark.parametrize(
    ("second_run_months", "surveillance"),
    [
        pytest.param(8, True, id="10+8=18-months"),
        pytest.param(7, False, id="10+7=17-months"),
    ],
)
def test_pml_surveillance_counts_cumulative_natalizumab_exposure(
    second_run_months: int, surveillance: bool
) -> None:
    first = (date(2020, 1, 1), date(2020, 11, 1))  # 10 months
    start = add_months(D, -second_run_months)
    current = dmt("natalizumab", start, "now")
    resources = [*benign_base(), *_natalizumab_runs(first), current]
    assert ("mri-pml-surveillance" in codes(evaluate(resources))) is surveillance


def test_stopped_natalizumab_without_end_date_keeps_pml_surveillance() -> None:
    stopped = dmt("natalizumab", "2019-01-01", "nat", "stopped")
    report = evaluate([*benign_base(), stopped])
    assert "dmt-stop-date-unknown" in issue_codes(report)
    assert "mri-pml-surveillance" in codes(report)
    assert "unknown date" in rec(report, "mri-pml-surveillance").rationale


@pytest.mark.parametrize(
    ("index", "surveillance", "serology"),
    [
        pytest.param(0.19, False, True, id="0.19-negative"),
        pytest.param(0.20, True, True, id="0.20-unknown"),
        pytest.param(0.40, True, True, id="0.40-unknown"),
        pytest.param(0.41, True, True, id="0.41-positive"),
        pytest.param(1.5, True, True, id="1.5-positive-not-high"),
        pytest.param(1.51, True, False, id="1.51-high"),
    ],
)
def test_jcv_index_bands(index: float, surveillance: bool, serology: bool) -> None:
    resources = [
        *benign_base(),
        dmt("natalizumab", "2022-01-01"),
        jcv_index(months_before(1), index),
    ]
    report = evaluate(resources)
    assert ("mri-pml-surveillance" in codes(report)) is surveillance
    assert ("jcv-serology" in codes(report)) is serology


def test_jcv_index_decides_over_the_code() -> None:
    both = jcv_index(
        months_before(1),
        0.1,
        valueCodeableConcept={"coding": [{"system": "http://snomed.info/sct", "code": "10828004"}]},
    )
    report = evaluate([*benign_base(), dmt("natalizumab", "2022-01-01"), both])
    assert "mri-pml-surveillance" not in codes(report)


@pytest.mark.parametrize(
    ("result_day", "surveillance"),
    [
        pytest.param(add_months(D, -6), False, id="negative-6-months-fresh"),
        pytest.param(add_days(add_months(D, -6), -1), True, id="negative-older-is-unknown"),
    ],
)
def test_stale_jcv_result_counts_as_unknown(result_day: date, surveillance: bool) -> None:
    resources = [*benign_base(), dmt("natalizumab", "2022-01-01"), jcv(result_day, False)]
    report = evaluate(resources)
    assert ("mri-pml-surveillance" in codes(report)) is surveillance
    serology = rec(report, "jcv-serology")
    assert serology.priority == ("urgent" if serology.overdue else "routine")


@pytest.mark.parametrize(
    ("months_on", "positive_ever", "review"),
    [
        pytest.param(24, True, True, id="24-months-positive"),
        pytest.param(23, True, False, id="23-months-positive"),
        pytest.param(36, False, False, id="36-months-negative"),
    ],
)
def test_pml_risk_review(months_on: int, positive_ever: bool, review: bool) -> None:
    resources = [
        *benign_base(),
        dmt("natalizumab", add_months(D, -months_on)),
        jcv(months_before(30), positive_ever, "old-jcv"),
        jcv(months_before(1), False if not positive_ever else None, "new-jcv"),
    ]
    report = evaluate(resources)
    assert ("review-dmt" in codes(report)) is review
    if review:
        assert "pml-risk" in rec(report, "review-dmt").rationale
        assert rec(report, "review-dmt").priority == "urgent"


@pytest.mark.parametrize(
    ("finding_offset_days", "review"),
    [
        pytest.param(-1, False, id="a-day-before-6-months"),
        pytest.param(0, True, id="6-months-after-start"),
    ],
)
def test_dmt_rebaseline(finding_offset_days: int, review: bool) -> None:
    start = months_before(9)
    finding = add_days(add_months(start, 6), finding_offset_days)
    resources = [
        *benign_base(),
        dmt("fingolimod", start),
        lesions(finding, "gd-lesions", 1, "gd"),
    ]
    report = evaluate(resources)
    assert report.activity.active is True
    assert ("review-dmt" in codes(report)) is review
    assert "consider-dmt" not in codes(report)
    if review:
        assert rec(report, "review-dmt").due >= start


def test_review_dmt_lists_every_reason_once() -> None:
    resources = [
        *benign_base(),
        dmt("natalizumab", "2020-01-01"),
        jcv(months_before(1), True),
        relapse(months_before(2)),
    ]
    report = evaluate(resources)
    assert codes(report).count("review-dmt") == 1
    rationale = rec(report, "review-dmt").rationale
    assert "suboptimal response" in rationale
    assert "pml-risk" in rationale


@pytest.mark.parametrize(
    ("condition", "edss_value", "first_line"),
    [
        pytest.param(ms_condition("2010-01-01"), 2.0, True, id="benign"),
        pytest.param(ms_condition("2020-01-01"), 2.0, True, id="too-early"),
        pytest.param(ms_condition("2010-01-01"), 4.0, False, id="not-benign"),
        pytest.param(
            ms_condition("2010-01-01", code={"coding": [{"system": "http://snomed.info/sct",
                         "code": "428700003"}]}), 2.0, False, id="progressive"),
    ],
)  # fmt: skip
def test_first_line_wording_only_where_it_applies(
    condition: Resource, edss_value: float, first_line: bool
) -> None:
    resources = [
        patient(),
        condition,
        edss(months_before(2), edss_value),
        relapse(months_before(3)),
    ]
    rationale = rec(evaluate(resources), "consider-dmt").rationale
    assert ("first-line" in rationale and "glatiramer" in rationale) is first_line
    assert ("specialist" in rationale) is not first_line


def _series(*points: tuple[int, float]) -> tuple[EdssMeasurement, ...]:
    start = date(2020, 1, 1)
    return tuple(EdssMeasurement(start + timedelta(days=d), v, f"e{d}", True) for d, v in points)


@pytest.mark.parametrize(
    ("points", "events"),
    [
        # worsened to 4.0, dipped to 3.0, confirmed at 4.0: the reference is 4.0, not 3.0
        pytest.param([(0, 2.0), (100, 4.0), (150, 3.0), (200, 4.0), (500, 4.0), (700, 4.0)], 1,
                     id="stable-after-event-no-new-progression"),
        pytest.param([(0, 2.0), (100, 4.0), (150, 3.0), (200, 4.0), (500, 5.0), (700, 5.0)], 2,
                     id="next-event-from-the-confirmed-value"),
    ],
)  # fmt: skip
def test_reference_after_a_confirmed_event_is_the_confirming_value(
    points: list[tuple[int, float]], events: int
) -> None:
    found, pending, _reference = confirmed_progression(_series(*points), DEFAULT_SETTINGS)
    assert len(found) == events
    assert pending is None
    assert found[0].confirmation.value == 4.0


def test_confirm_edss_cites_the_reference_and_the_worsened_edss() -> None:
    resources = [*benign_base(edss_value=1.0), edss(months_before(1), 2.5, "worse")]
    confirm = rec(evaluate(resources), "confirm-edss")
    assert confirm.evidence == ("Observation/worse", "Observation/edss")
    assert "reference EDSS 1" in confirm.rationale


def test_neuro_review_rationale_says_the_patients_why() -> None:
    resources = [patient(), ms_condition("2020-01-01"), edss(months_before(2), 2.0),
                 dmt("fingolimod", "2021-01-01")]  # fmt: skip
    rationale = rec(evaluate(resources), "neuro-review").rationale
    assert "too-early" in rationale
    assert "on fingolimod" in rationale
    assert "not (yet)" not in rationale


def test_sources_name_guidelines_never_a_project_file() -> None:
    resources = [*benign_base(), dmt("natalizumab", "2020-01-01"), jcv(months_before(1), True),
                 relapse(months_before(2))]  # fmt: skip
    for recommendation in evaluate(resources).recommendations:
        for source in recommendation.source:
            assert ".md" not in source
            assert "ms-monitor" not in source


def test_rationale_texts_come_from_the_settings() -> None:
    from smart_app.domain import EvaluationContext, RuleSettings, evaluate_patient

    rules = RuleSettings(mri_interval_months=6, review_interval_stable_months=9)
    report = evaluate_patient(benign_base(), EvaluationContext(D, rules))
    assert "every 6 months" in rec(report, "mri-brain").rationale
    assert "every 9 months" in rec(report, "neuro-review").rationale
    assert "yearly" not in rec(report, "mri-brain").rationale
