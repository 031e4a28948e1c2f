"""Rule A: relapse and MRI activity in the lookback window, confirmed disability progression."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from smart_app.domain import RuleSettings
from smart_app.domain.rules.activity import confirmed_progression
from smart_app.domain.timeline import EdssMeasurement
from tests.domain.domain_builders import (
    D,
    benign_base,
    codes,
    edss,
    evaluate,
    lesions,
    months_before,
    ms_condition,
    patient,
    rec,
    relapse,
)

WINDOW_START = months_before(12)  # 2025-11-24


@pytest.mark.parametrize(
    ("onset", "active"),
    [
        pytest.param(WINDOW_START, True, id="on-window-start"),
        pytest.param(WINDOW_START - timedelta(days=1), False, id="day-before-window"),
        pytest.param(D, True, id="on-as-of"),
        pytest.param("2025-11", True, id="partial-month-overlapping-window"),
        pytest.param("2025-10", False, id="partial-month-before-window"),
    ],
)
def test_relapse_in_lookback_window(onset: date | str, active: bool) -> None:
    report = evaluate([*benign_base(), relapse(onset)])
    assert report.activity.active is active
    assert [f.kind for f in report.activity.findings] == (["relapse"] if active else [])


@pytest.mark.parametrize(
    ("kind", "count", "day", "active"),
    [
        pytest.param("new-t2-lesions", 1, months_before(1), True, id="one-new-t2"),
        pytest.param("new-t2-lesions", 0, months_before(1), False, id="zero-new-t2"),
        pytest.param("gd-lesions", 1, months_before(1), True, id="one-gd"),
        pytest.param("gd-lesions", 2, WINDOW_START - timedelta(days=1), False, id="gd-too-old"),
        pytest.param("gd-lesions", 2, WINDOW_START, True, id="gd-on-window-start"),
    ],
)
def test_mri_activity(kind: str, count: int, day: date, active: bool) -> None:
    report = evaluate([*benign_base(), lesions(day, kind, count, "find")])
    assert report.activity.active is active
    if active:
        finding = report.activity.findings[0]
        assert (finding.kind, finding.date, finding.evidence) == ("mri", day, ("Observation/find",))


def _series(*points: tuple[int, float]) -> tuple[EdssMeasurement, ...]:
    start = date(2020, 1, 1)
    return tuple(
        EdssMeasurement(start + timedelta(days=day), value, f"Observation/e{i}", True)
        for i, (day, value) in enumerate(points)
    )


S = RuleSettings()


@pytest.mark.parametrize(
    ("points", "events", "pending"),
    [
        pytest.param([(0, 2.0), (100, 3.0), (184, 3.0)], 1, False, id="ref2-plus1-confirmed-84d"),
        pytest.param([(0, 2.0), (100, 3.0), (183, 3.0)], 0, True, id="ref2-confirm-at-83d-pending"),
        pytest.param([(0, 2.0), (100, 2.5), (200, 2.5)], 0, False, id="ref2-plus0.5-no-worsening"),
        pytest.param([(0, 0.0), (100, 1.0), (200, 1.0)], 0, False, id="ref0-plus1-not-enough"),
        pytest.param([(0, 0.0), (100, 1.5), (200, 1.5)], 1, False, id="ref0-plus1.5-confirmed"),
        pytest.param([(0, 5.5), (100, 6.0), (200, 6.0)], 0, False, id="ref5.5-plus0.5-not-enough"),
        pytest.param([(0, 5.5), (100, 6.5), (200, 6.5)], 1, False, id="ref5.5-plus1-confirmed"),
        pytest.param([(0, 6.0), (100, 6.5), (200, 6.5)], 1, False, id="ref6-plus0.5-confirmed"),
        pytest.param(
            [(0, 2.0), (100, 3.0), (150, 2.5), (200, 3.0)], 0, True, id="dip-between-breaks"
        ),
        pytest.param([(0, 2.0), (100, 3.0), (200, 2.0)], 0, False, id="worsening-refuted"),
        pytest.param([(0, 2.0), (100, 3.5), (200, 3.0)], 1, False, id="confirm-at-level-not-value"),
    ],
)
def test_confirmed_progression(points: list[tuple[int, float]], events: int, pending: bool) -> None:
    found, unconfirmed, _ref = confirmed_progression(_series(*points), S)
    assert len(found) == events
    assert (unconfirmed is not None) is pending


def test_reference_is_rebased_after_confirmed_event() -> None:
    # 2.0 -> 3.0 confirmed (new reference 3.0) -> 4.0 confirmed: two events
    points = [(0, 2.0), (100, 3.0), (200, 3.0), (300, 4.0), (400, 4.0)]
    found, _pending, _ref = confirmed_progression(_series(*points), S)
    assert [e.reference for e in found] == [2.0, 3.0]
    # without re-basing, 3.5 would be a worsening from 2.0; from the new reference 3.0 it is not
    points = [(0, 2.0), (100, 3.0), (200, 3.0), (300, 3.5), (400, 3.5)]
    found, pending, _ref = confirmed_progression(_series(*points), S)
    assert len(found) == 1
    assert pending is None


def test_cdp_counts_as_activity_when_first_worsening_is_in_window() -> None:
    resources = [
        patient(),
        ms_condition("2005-01-01"),
        edss(months_before(14), 2.0, "e0"),
        edss(months_before(6), 3.0, "e1"),
        edss(months_before(1), 3.0, "e2"),
    ]
    report = evaluate(resources)
    assert [f.kind for f in report.activity.findings] == ["cdp"]
    assert report.activity.findings[0].evidence == ("Observation/e1", "Observation/e2")
    # EDSS 3.0 is still benign: the label stays, with a re-assessment and a DMT suggestion
    assert report.classification.status == "benign"
    assert {"reassess-benign-status", "consider-dmt"} <= set(codes(report))


def test_cdp_before_window_is_not_activity() -> None:
    resources = [
        patient(),
        ms_condition("2005-01-01"),
        edss(months_before(30), 2.0, "e0"),
        edss(months_before(20), 3.0, "e1"),
        edss(months_before(14), 3.0, "e2"),
    ]
    assert evaluate(resources).activity.active is False


def test_unconfirmed_worsening_is_not_activity_but_asks_for_confirmation() -> None:
    worsened = months_before(1)
    resources = [
        *benign_base(edss_value=1.0),
        edss(worsened, 2.5, "e1"),
    ]
    report = evaluate(resources)
    assert report.activity.active is False
    confirm = rec(report, "confirm-edss")
    assert confirm.due == worsened + timedelta(days=84)
    assert confirm.window_start == worsened + timedelta(days=70)
    # v2: the worsened EDSS first (the Task's reasonReference), then the reference it worsened from
    assert confirm.evidence == ("Observation/e1", "Observation/edss")
    assert confirm.priority == "routine"
