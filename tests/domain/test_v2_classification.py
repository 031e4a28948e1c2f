"""Contract v2, rule C and the diagnosis inputs: boundary tables on both sides of each change."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from smart_app.domain import EvaluationContext, evaluate_patient
from smart_app.domain.dates import add_months
from tests.domain.domain_builders import (
    SNOMED,
    D,
    Resource,
    edss,
    evaluate,
    issue_codes,
    months_before,
    ms_condition,
    patient,
    relapse,
)

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
WHO_ICD10 = "http://hl7.org/fhir/sid/icd-10"
VER = "http://terminology.hl7.org/CodeSystem/condition-ver-status"


def coded(system: str, code: str, rid: str = "ms", **extra: Any) -> Resource:
    return ms_condition(
        "2010-01-01", rid, code={"coding": [{"system": system, "code": code}]}, **extra
    )


def _with(*conditions: Resource, edss_value: float = 2.0) -> list[Resource]:
    return [patient(), *conditions, edss(months_before(2), edss_value)]


@pytest.mark.parametrize(
    ("system", "code", "status", "reason"),
    [
        pytest.param(SNOMED, "425500002", "not-benign", "progressive-course", id="snomed-spms"),
        pytest.param(SNOMED, "428700003", "not-benign", "progressive-course", id="snomed-ppms"),
        pytest.param(ICD10CM, "G35.B0", "not-benign", "progressive-course", id="icd-ppms"),
        pytest.param(ICD10CM, "G35.C2", "not-benign", "progressive-course", id="icd-spms"),
        pytest.param(SNOMED, "426373005", "benign", "benign", id="snomed-rrms"),
        pytest.param(ICD10CM, "G35.A", "benign", "benign", id="icd-rrms"),
        pytest.param(WHO_ICD10, "G35", "benign", "benign", id="who-icd10-g35"),
        pytest.param("http://example.org/other", "G35", "not-applicable", "no-ms-diagnosis",
                     id="g35-in-an-unknown-system"),
    ],
)  # fmt: skip
def test_phenotype_and_code_systems(system: str, code: str, status: str, reason: str) -> None:
    report = evaluate(_with(coded(system, code)))
    assert (report.classification.status, report.classification.reason) == (status, reason)


@pytest.mark.parametrize(
    ("verifications", "status", "reason"),
    [
        pytest.param(["provisional"], "indeterminate", "diagnosis-unconfirmed", id="provisional"),
        pytest.param(["differential"], "indeterminate", "diagnosis-unconfirmed", id="differential"),
        pytest.param(["unconfirmed"], "indeterminate", "diagnosis-unconfirmed", id="unconfirmed"),
        pytest.param(["confirmed"], "benign", "benign", id="confirmed"),
        pytest.param([None], "benign", "benign", id="unstated"),
        pytest.param(["provisional", "confirmed"], "benign", "benign", id="one-confirmed-enough"),
    ],
)
def test_unconfirmed_diagnosis_is_never_benign(
    verifications: list[str | None], status: str, reason: str
) -> None:
    conditions = [
        ms_condition(
            "2010-01-01",
            f"ms{i}",
            **({"verificationStatus": {"coding": [{"system": VER, "code": v}]}} if v else {}),
        )
        for i, v in enumerate(verifications)
    ]
    report = evaluate(_with(*conditions))
    assert (report.classification.status, report.classification.reason) == (status, reason)
    assert ("diagnosis-unconfirmed" in issue_codes(report)) is any(
        v in ("provisional", "differential", "unconfirmed") for v in verifications
    )


@pytest.mark.parametrize(
    ("edss_day", "status", "stale"),
    [
        pytest.param(add_months(D, -24), "benign", False, id="exactly-24-months"),
        pytest.param(add_months(D, -24) - timedelta(days=1), "indeterminate", True,
                     id="24-months-and-a-day"),
        pytest.param(months_before(2), "benign", False, id="recent"),
    ],
)  # fmt: skip
def test_stale_edss_is_never_benign(edss_day: date, status: str, stale: bool) -> None:
    report = evaluate([patient(), ms_condition(), edss(edss_day, 2.0)])
    assert report.classification.status == status
    assert (report.classification.reason == "edss-stale") is stale
    assert ("edss-stale" in issue_codes(report)) is stale


def test_stale_edss_issue_is_reported_whatever_the_status() -> None:
    report = evaluate([patient(), ms_condition(), edss(months_before(30), 5.0)])
    assert report.classification.status == "not-benign"
    assert "edss-stale" in issue_codes(report)


@pytest.mark.parametrize(
    ("unreadable", "status", "reason"),
    [
        pytest.param(edss(months_before(1), 12.0, "bad"), "indeterminate",
                     "latest-edss-unreadable", id="out-of-range-latest"),
        pytest.param(edss(months_before(1), 2.25, "bad"), "indeterminate",
                     "latest-edss-unreadable", id="bad-step-latest"),
        pytest.param({**edss(months_before(1), 2.0, "bad"), "valueQuantity": {"value": 2.0,
                     "unit": "mg"}}, "indeterminate", "latest-edss-unreadable",
                     id="unit-mismatch-latest"),
        pytest.param({**edss(months_before(1), 2.0, "bad"), "valueQuantity": None,
                      "valueString": "mild"}, "indeterminate", "latest-edss-unreadable",
                     id="text-not-a-number-latest"),
        pytest.param(edss(months_before(3), 12.0, "bad"), "benign", "benign",
                     id="unreadable-but-older"),
        pytest.param({**edss(months_before(1), 2.0, "bad"), "valueQuantity": None,
                      "dataAbsentReason": {"text": "not done"}}, "benign", "benign",
                     id="data-absent-is-no-measurement"),
    ],
)  # fmt: skip
def test_unreadable_latest_edss_is_never_benign(
    unreadable: Resource, status: str, reason: str
) -> None:
    unreadable = {k: v for k, v in unreadable.items() if v is not None}
    report = evaluate([patient(), ms_condition(), edss(months_before(2), 2.0), unreadable])
    assert (report.classification.status, report.classification.reason) == (status, reason)
    assert report.classification.edss == 2.0


@pytest.mark.parametrize(
    ("onset", "as_of", "status", "years"),
    [
        pytest.param("2016-02-29", date(2026, 2, 27), "too-early", 9.9, id="leap-day-minus-1"),
        pytest.param("2016-02-29", date(2026, 2, 28), "benign", 10.0, id="leap-anniversary"),
        pytest.param("2016-11-24", date(2026, 11, 23), "too-early", 9.9, id="day-before"),
        pytest.param("2016-11-24", date(2026, 11, 24), "benign", 10.0, id="tenth-anniversary"),
    ],
)
def test_duration_counts_calendar_anniversaries(
    onset: str, as_of: date, status: str, years: float
) -> None:
    resources = [patient(), ms_condition(onset), edss(as_of - timedelta(days=30), 2.0)]
    report = evaluate(resources, as_of=as_of)
    assert report.classification.status == status
    assert report.classification.disease_duration_years == years


def test_onset_is_the_earliest_over_conditions_and_relapses() -> None:
    resources = [
        patient(),
        ms_condition("2020-05-01", "late"),
        ms_condition("2012-03-01", "early"),
        relapse("2009-06-01", "first-relapse"),
        edss(months_before(2), 2.0),
    ]
    c = evaluate(resources).classification
    assert c.onset == date(2009, 6, 1)
    assert c.evidence == (
        "Condition/early", "Condition/late", "Condition/first-relapse", "Observation/edss"
    )  # fmt: skip


def test_relapse_coded_as_ms_is_never_the_diagnosis() -> None:
    recent = relapse(months_before(4), "relapse")
    recent["code"]["coding"].append({"system": ICD10CM, "code": "G35"})
    resources = [patient(), ms_condition("2010-01-01"), recent, edss(months_before(2), 2.0)]
    report = evaluate(resources)
    assert report.diagnosis == "Condition/ms"
    assert report.classification.onset == date(2010, 1, 1)
    assert report.classification.status == "benign"
    assert [f.kind for f in report.activity.findings] == ["relapse"]


def test_relapses_alone_establish_the_diagnosis() -> None:
    resources = [patient(), relapse("2012-01-01", "r1"), edss(months_before(2), 2.0)]
    report = evaluate(resources)
    assert report.classification.status == "benign"
    assert report.classification.onset == date(2012, 1, 1)
    assert "onset-missing" in issue_codes(report)
    assert "Condition/r1" in report.classification.evidence


@pytest.mark.parametrize(
    ("onset", "recorded", "status"),
    [
        pytest.param("2027-01-01", "2012-01-01", "benign", id="future-onset-recorded-counts"),
        pytest.param("2027-01-01", None, "indeterminate", id="future-onset-no-other-date"),
        pytest.param("2026-11-24", "2012-01-01", "benign", id="onset-today-not-future"),
    ],
)
def test_future_onset_is_ignored_but_the_diagnosis_counts(
    onset: str, recorded: str | None, status: str
) -> None:
    extra = {"recordedDate": recorded} if recorded else {}
    report = evaluate(_with(ms_condition(onset, **extra)))
    assert report.classification.status == status
    assert report.diagnosis == "Condition/ms"
    assert ("future-date" in issue_codes(report)) is (onset > D.isoformat())


def test_classification_json_carries_reason_onset_and_evidence() -> None:
    out = evaluate(_with(ms_condition("2010-01-01"))).to_json()["classification"]
    assert out["reason"] == "benign"
    assert out["onset"] == "2010-01-01"
    assert out["evidence"] == ["Condition/ms", "Observation/edss"]


def test_strict_threshold_in_the_plan_text_comes_from_the_settings() -> None:
    from smart_app.domain import RuleSettings
    from smart_app.domain.plan import careplan_description

    resources = _with(ms_condition("2010-01-01"), edss_value=1.0)
    context = EvaluationContext(D, RuleSettings(strict_benign_edss_max=1.5))
    assert "EDSS <= 1.5" in careplan_description(evaluate_patient(resources, context))
