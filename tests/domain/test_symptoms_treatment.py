"""Symptom rules (MFIS, SDMT) and rule T (consider-dmt, review-dmt, reassess, benign statement)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.domain.domain_builders import (
    Resource,
    benign_base,
    codes,
    dmt,
    edss,
    evaluate,
    lesions,
    mfis,
    months_before,
    ms_condition,
    patient,
    rec,
    relapse,
    sdmt,
)


@pytest.mark.parametrize(
    ("value", "day", "flagged"),
    [
        pytest.param(38, months_before(1), True, id="mfis-38"),
        pytest.param(37, months_before(1), False, id="mfis-37"),
        pytest.param(60, months_before(12), True, id="12-months-old"),
        pytest.param(60, months_before(13), False, id="13-months-old"),
    ],
)
def test_symptom_fatigue(value: float, day: date, flagged: bool) -> None:
    resources = [patient(), ms_condition(), edss(months_before(1), 2.0), mfis(day, value)]
    report = evaluate(resources)
    assert ("symptom-fatigue" in codes(report)) is flagged


@pytest.mark.parametrize(
    ("previous", "latest", "flagged"),
    [
        pytest.param(60, 57, False, id="3-points-5pct"),
        pytest.param(60, 56, True, id="4-points"),
        pytest.param(30, 27, True, id="3-points-10pct"),
        pytest.param(35, 32, False, id="3-points-8.6pct"),
        pytest.param(50, 45, True, id="5-points-exactly-10pct"),
        pytest.param(20, 18.2, False, id="1.8-points-9pct"),
        pytest.param(50, 55, False, id="improved"),
    ],
)
def test_symptom_cognition(previous: float, latest: float, flagged: bool) -> None:
    resources = [
        patient(),
        ms_condition(),
        edss(months_before(1), 2.0),
        sdmt(months_before(13), previous, "s0"),
        sdmt(months_before(1), latest, "s1"),
    ]
    report = evaluate(resources)
    assert ("symptom-cognition" in codes(report)) is flagged
    if flagged:
        assert rec(report, "symptom-cognition").evidence == ("Observation/s0", "Observation/s1")


ACTIVE = lesions(months_before(1), "gd-lesions", 1, "gd")


@pytest.mark.parametrize(
    ("resources", "expected", "absent"),
    [
        pytest.param(
            [*benign_base(), ACTIVE],
            {"consider-dmt", "reassess-benign-status"},
            {"review-dmt"},
            id="benign-active-no-dmt",
        ),
        pytest.param(
            [*benign_base(), ACTIVE, dmt("interferon beta-1a", "2020-01-01")],
            {"review-dmt", "reassess-benign-status"},
            {"consider-dmt"},
            id="benign-active-on-dmt",
        ),
        pytest.param(
            [*benign_base(edss_value=4.0), relapse(months_before(3))],
            {"consider-dmt"},
            {"reassess-benign-status", "review-dmt"},
            id="not-benign-active",
        ),
        pytest.param(
            benign_base(),
            set(),
            {"consider-dmt", "review-dmt", "reassess-benign-status"},
            id="benign-quiet",
        ),
    ],
)
def test_treatment_rules(resources: list[Resource], expected: set[str], absent: set[str]) -> None:
    report = evaluate(resources)
    assert expected <= set(codes(report))
    assert not absent & set(codes(report))
    for code in expected:
        assert rec(report, code).priority == "urgent"


def test_consider_dmt_names_first_line_options() -> None:
    rationale = rec(evaluate([*benign_base(), ACTIVE]), "consider-dmt").rationale
    assert "interferon beta" in rationale
    assert "glatiramer" in rationale


def test_benign_without_activity_states_monitoring_and_no_ahsct() -> None:
    report = evaluate(benign_base())
    assert report.statement is not None
    assert "AHSCT is not recommended" in report.statement
    assert evaluate([*benign_base(), ACTIVE]).statement is None
