"""Rule M: due dates, windows, overdue and priority of every monitoring recommendation."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from smart_app.domain.dates import add_months
from tests.domain.domain_builders import (
    D,
    Resource,
    benign_base,
    codes,
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
    rec,
    sdmt,
)


@pytest.mark.parametrize(
    ("extra", "interval"),
    [
        pytest.param([], 12, id="benign-quiet-12-months"),
        pytest.param([dmt("glatiramer", "2015-01-01")], 6, id="on-dmt-6-months"),
        pytest.param([lesions(months_before(1), "gd-lesions", 1)], 6, id="activity-6-months"),
    ],
)
def test_neuro_review_interval(extra: list[Resource], interval: int) -> None:
    report = evaluate([*benign_base(), *extra])
    review = rec(report, "neuro-review")
    assert review.due == add_months(months_before(2), interval)
    assert review.window_start == add_months(review.due, -6)
    assert review.evidence == ("Observation/edss",)


def test_neuro_review_not_benign_is_six_months() -> None:
    report = evaluate(benign_base(edss_value=4.0))
    assert rec(report, "neuro-review").due == add_months(months_before(2), 6)


@pytest.mark.parametrize(
    ("edss_day", "overdue", "priority"),
    [
        pytest.param(months_before(12), False, "routine", id="due-equals-as-of-not-overdue"),
        pytest.param(months_before(12) - timedelta(days=1), True, "urgent", id="due-before"),
    ],
)
def test_overdue_is_due_before_as_of(edss_day: date, overdue: bool, priority: str) -> None:
    resources = [patient(), ms_condition(), edss(edss_day, 2.0), mri(months_before(1))]
    review = rec(evaluate(resources), "neuro-review")
    assert review.overdue is overdue
    assert review.priority == priority


def test_no_edss_ever_review_due_now() -> None:
    review = rec(evaluate([patient(), ms_condition()]), "neuro-review")
    assert (review.due, review.overdue, review.evidence) == (D, False, ())


@pytest.mark.parametrize(
    ("mri_day", "due"),
    [
        pytest.param(date(2026, 3, 15), date(2027, 3, 15), id="plus-12-months"),
        pytest.param(date(2024, 2, 29), date(2025, 2, 28), id="leap-day-clamped"),
    ],
)
def test_mri_brain_due_yearly(mri_day: date, due: date) -> None:
    resources = [patient(), ms_condition(), edss(months_before(1), 2.0), mri(mri_day)]
    brain = rec(evaluate(resources), "mri-brain")
    assert brain.due == due
    assert brain.window_start == add_months(due, -3)
    assert brain.priority == ("urgent" if due < D else "routine")


def test_spinal_mri_is_not_the_yearly_brain_mri() -> None:
    resources = [patient(), ms_condition(), edss(months_before(1), 2.0), mri(D, region="spine")]
    brain = rec(evaluate(resources), "mri-brain")
    assert (brain.due, brain.evidence) == (D, ())


def test_month_end_clamping_of_window_start() -> None:
    resources = [patient(), ms_condition(), edss(months_before(1), 2.0), mri(date(2026, 5, 31))]
    brain = rec(evaluate(resources), "mri-brain")
    assert brain.due == date(2027, 5, 31)
    assert brain.window_start == date(2027, 2, 28)


@pytest.mark.parametrize(
    ("start_months_ago", "mri_after_start_months", "due"),
    [
        pytest.param(4, None, add_months(months_before(4), 6), id="new-dmt-reference-scan"),
        pytest.param(4, 3, None, id="scan-at-start-plus-3-months-done"),
        pytest.param(5, 2, add_months(months_before(5), 6), id="scan-too-early-to-count"),
        pytest.param(12, None, add_months(months_before(12), 6), id="started-12-months-ago"),
        pytest.param(13, None, None, id="started-13-months-ago"),
    ],
)
def test_dmt_start_reference_scan(
    start_months_ago: int, mri_after_start_months: int | None, due: date | None
) -> None:
    start = months_before(start_months_ago)
    old_mri = mri(months_before(11), "old")
    resources = [patient(), ms_condition(), edss(months_before(1), 2.0), old_mri]
    resources.append(dmt("fingolimod", start))
    if mri_after_start_months is not None:
        resources.append(mri(add_months(start, mri_after_start_months), "ref"))
    brain = rec(evaluate(resources), "mri-brain")
    latest = resources[-1]["started"] if mri_after_start_months is not None else None
    yearly = add_months(date.fromisoformat(latest or old_mri["started"]), 12)
    assert brain.due == (min(due, yearly) if due else yearly)


def _natalizumab(since: date, *extra: Resource) -> list[Resource]:
    return [*benign_base(), dmt("natalizumab", since, "nat"), *extra]


@pytest.mark.parametrize(
    ("resources", "pml"),
    [
        pytest.param(_natalizumab(months_before(18)), True, id="18-months-jcv-unknown"),
        pytest.param(_natalizumab(months_before(17)), False, id="17-months"),
        pytest.param(
            _natalizumab(months_before(24), jcv(months_before(1), True)), True, id="jcv-positive"
        ),
        pytest.param(
            _natalizumab(months_before(24), jcv(months_before(1), False)), False, id="jcv-negative"
        ),
        pytest.param(
            _natalizumab(months_before(24), jcv(months_before(1), None)), True, id="jcv-unclear"
        ),
    ],
)
def test_pml_surveillance_replaces_mri_brain(resources: list[Resource], pml: bool) -> None:
    report = evaluate(resources)
    assert ("mri-pml-surveillance" in codes(report)) is pml
    assert ("mri-brain" in codes(report)) is not pml
    if pml:
        surveillance = rec(report, "mri-pml-surveillance")
        assert surveillance.window_start == add_months(months_before(3), 3)
        assert surveillance.due == add_months(months_before(3), 4)
        assert surveillance.priority == "urgent"


@pytest.mark.parametrize(
    ("stopped_months_ago", "pml"),
    [
        pytest.param(12, True, id="stopped-12-months-ago"),
        pytest.param(13, False, id="stopped-13-months-ago"),
    ],
)
def test_pml_surveillance_after_stopping_natalizumab(stopped_months_ago: int, pml: bool) -> None:
    stopped = dmt(
        "natalizumab",
        "2019-01-01",
        "nat",
        "completed",
        statement=True,
        end=months_before(stopped_months_ago),
    )
    report = evaluate([*benign_base(), stopped])
    assert ("mri-pml-surveillance" in codes(report)) is pml
    assert report.current_dmt == ()


@pytest.mark.parametrize(
    ("jcv_day", "due"),
    [
        pytest.param(date(2026, 8, 31), date(2027, 2, 28), id="plus-6-months-clamped"),
        pytest.param(None, D, id="none-due-now"),
    ],
)
def test_jcv_serology_on_natalizumab(jcv_day: date | None, due: date) -> None:
    extra = [jcv(jcv_day, False)] if jcv_day else []
    report = evaluate(_natalizumab(months_before(6), *extra))
    assert rec(report, "jcv-serology").due == due


def test_no_jcv_serology_without_natalizumab() -> None:
    assert "jcv-serology" not in codes(evaluate(benign_base()))


@pytest.mark.parametrize(
    ("extra", "due"),
    [
        pytest.param([], add_months(months_before(2), 12), id="both-recent"),
        pytest.param(
            [mfis(months_before(1), 20, "m2"), sdmt(months_before(6), 50, "s0")],
            add_months(months_before(2), 12),
            id="older-of-latest-mfis-and-latest-sdmt",
        ),
    ],
)
def test_symptom_screen_due(extra: list[Resource], due: date) -> None:
    assert rec(evaluate([*benign_base(), *extra]), "symptom-screen").due == due


def test_symptom_screen_missing_sdmt_due_now() -> None:
    resources = [patient(), ms_condition(), edss(months_before(1), 2.0), mfis(months_before(1), 10)]
    screen = rec(evaluate(resources), "symptom-screen")
    assert screen.due == D
    assert "SDMT" in screen.rationale


def test_not_applicable_has_no_recommendations() -> None:
    report = evaluate([patient(), edss(months_before(1), 2.0)])
    assert report.classification.status == "not-applicable"
    assert report.recommendations == ()
