"""Every rule branch of docs/clinical-rules.md is exercised by at least one scenario patient.

The branch list is written from the spec; each branch is recognised from a scenario's expectation
and resources (not from its name) wherever that is possible, so a scenario that drifts away from
its branch makes this test fail.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta

from smart_app.synthetic import ALL_CODES, Expected, SyntheticPatient, cohort

AS_OF = date(2026, 11, 24)
NATALIZUMAB = "354770"
Predicate = Callable[[SyntheticPatient], bool]


def expected_of(patient: SyntheticPatient) -> Expected:
    assert patient.expected is not None, patient.scenario
    return patient.expected


def codes_of(resource: dict[str, Any]) -> set[str]:
    """The ``code`` values of the resource's main concept (``code`` or medication)."""
    concept = resource.get("code") or resource.get("medicationCodeableConcept") or {}
    return {c["code"] for c in concept.get("coding", [])}


def of_type(patient: SyntheticPatient, resource_type: str) -> list[dict[str, Any]]:
    return [r for r in patient.resources if r["resourceType"] == resource_type]


def status(value: str) -> Predicate:
    return lambda p: expected_of(p).status == value


def active(kind: str) -> Predicate:
    return lambda p: kind in expected_of(p).activity


def recommends(code: str) -> Predicate:
    return lambda p: code in expected_of(p).recommendations


def issue(code: str) -> Predicate:
    return lambda p: code in expected_of(p).data_issues


def due(code: str, p: SyntheticPatient) -> date | None:
    for check in expected_of(p).checks:
        if check.code == code:
            return check.due
    return None


def review_interval(months: int) -> Predicate:
    def matches(p: SyntheticPatient) -> bool:
        edss_date = expected_of(p).edss_date
        return edss_date is not None and due("neuro-review", p) == edss_date + relativedelta(
            months=months
        )

    return matches


def lesions(code: str) -> Predicate:
    return lambda p: any(
        code in codes_of(o) and o.get("valueInteger", 0) >= 1 and o["status"] == "final"
        for o in of_type(p, "Observation")
    )


def jcv(result: str | None) -> Predicate:
    def matches(p: SyntheticPatient) -> bool:
        results = [
            (o.get("valueCodeableConcept") or {"coding": [{"code": "index"}]})["coding"][0]["code"]
            for o in of_type(p, "Observation")
            if "jcv-antibody" in codes_of(o)
        ]
        return result in results if result else not results

    return matches


def natalizumab(status_code: str) -> Predicate:
    return lambda p: any(
        NATALIZUMAB in codes_of(r) and r["status"] == status_code
        for r in [*of_type(p, "MedicationRequest"), *of_type(p, "MedicationStatement")]
    )


def has(resource_key: str) -> Predicate:
    return lambda p: any(resource_key in r for r in p.resources)


def reason(value: str) -> Predicate:
    return lambda p: expected_of(p).reason == value


def every(*predicates: Predicate) -> Predicate:
    return lambda p: all(predicate(p) for predicate in predicates)


def named(scenario: str) -> Predicate:
    """For branches only the scenario's construction shows (e.g. a re-based CDP reference)."""
    return lambda p: p.scenario == scenario


BRANCHES: dict[str, Predicate] = {
    "C1 no MS diagnosis: not-applicable": status("not-applicable"),
    "C1 refuted / entered-in-error diagnosis: not-applicable": named("not-applicable-refuted-ms"),
    "C2 no stable EDSS: indeterminate + no-edss": every(status("indeterminate"), issue("no-edss")),
    "C2 only an EDSS within 30 days of a relapse": every(
        status("indeterminate"), lambda p: bool(of_type(p, "Observation")), active("relapse")
    ),
    "C3 latest stable EDSS > 3.0: not-benign": status("not-benign"),
    "C4 duration < 10 years: too-early": status("too-early"),
    "C5 benign, strict (EDSS <= 2.0)": every(
        status("benign"), lambda p: expected_of(p).strict is True
    ),
    "C5 benign, not strict": every(status("benign"), lambda p: expected_of(p).strict is False),
    "A relapse in window": active("relapse"),
    "A mri: new T2 lesions": every(active("mri"), lesions("new-t2-lesions")),
    "A mri: Gd-enhancing lesions": every(active("mri"), lesions("gd-lesions")),
    "A findings outside the lookback window": named("activity-outside-window"),
    "A cdp confirmed": active("cdp"),
    "A cdp re-based reference": named("cdp-rebased-reference"),
    "A unconfirmed worsening: confirm-edss": every(
        recommends("confirm-edss"), lambda p: not expected_of(p).activity
    ),
    "A benign with activity: reassess-benign-status": every(
        status("benign"),
        recommends("reassess-benign-status"),
        lambda p: bool(expected_of(p).activity),
    ),
    "T consider-dmt (activity, no DMT)": recommends("consider-dmt"),
    "T review-dmt (activity on a DMT)": recommends("review-dmt"),
    "M neuro-review + 12 months (benign, quiet, untreated)": review_interval(12),
    "M neuro-review + 6 months": review_interval(6),
    "M neuro-review without EDSS: due today": lambda p: due("neuro-review", p) == AS_OF,
    "M mri-brain never done: due today": every(
        lambda p: due("mri-brain", p) == AS_OF, lambda p: not of_type(p, "ImagingStudy")
    ),
    "M mri-brain reference scan after a DMT start": named("dmt-reference-scan"),
    "M mri-pml-surveillance: natalizumab, JCV positive": every(
        recommends("mri-pml-surveillance"), natalizumab("active"), jcv("10828004")
    ),
    "M mri-pml-surveillance: natalizumab, JCV unknown": every(
        recommends("mri-pml-surveillance"), natalizumab("active"), jcv(None)
    ),
    "M natalizumab, JCV negative: yearly mri-brain": every(
        recommends("mri-brain"), natalizumab("active"), jcv("260385009")
    ),
    "M natalizumab < 18 months: yearly mri-brain": named("natalizumab-short-exposure"),
    "M mri-pml-surveillance: stopped natalizumab": every(
        recommends("mri-pml-surveillance"), natalizumab("stopped")
    ),
    "M jcv-serology": recommends("jcv-serology"),
    "M symptom-screen, a test missing: due today": lambda p: due("symptom-screen", p) == AS_OF,
    "M symptom-screen overdue": lambda p: any(
        c.code == "symptom-screen" and c.overdue for c in expected_of(p).checks
    ),
    "M symptom-fatigue (MFIS >= 38)": recommends("symptom-fatigue"),
    "M symptom-cognition (SDMT drop)": recommends("symptom-cognition"),
    "M spinal MRI is not a brain MRI": named("spinal-mri-not-brain"),
    "T overdue neuro-review / mri-* are urgent": lambda p: any(
        c.overdue and c.priority == "urgent" for c in expected_of(p).checks
    ),
    "Q entered-in-error ignored silently": every(
        named("noisy-entered-in-error"), lambda p: expected_of(p).data_issues_exact
    ),
    "Q unknown extensions": named("noisy-unknown-extensions"),
    "Q duplicated resources": named("noisy-duplicates"),
    "Q onset as Age": has("onsetAge"),
    "Q onset as Period": has("onsetPeriod"),
    # contract version 2
    "C2 progressive phenotype: not-benign": reason("progressive-course"),
    "C4 latest EDSS unreadable: indeterminate": reason("latest-edss-unreadable"),
    "C6 latest stable EDSS stale: indeterminate": reason("edss-stale"),
    "C8 diagnosis unconfirmed: indeterminate": reason("diagnosis-unconfirmed"),
    "Inputs: WHO ICD-10 G35": lambda p: any(
        "G35" in codes_of(c)
        and c["code"]["coding"][0]["system"] == "http://hl7.org/fhir/sid/icd-10"
        for c in of_type(p, "Condition")
    ),
    "Inputs: relapse Condition co-coded as MS stays a relapse": named("relapse-coded-as-ms"),
    "Inputs: relapses alone establish the diagnosis": every(
        issue("onset-missing"),
        lambda p: (
            not any("24700007" in codes_of(c) for c in of_type(p, "Condition"))
            and bool(of_type(p, "Condition"))
        ),
    ),
    "Inputs: brain MRI as a radiology DiagnosticReport (CPT)": every(
        recommends("mri-brain"), lambda p: bool(of_type(p, "DiagnosticReport"))
    ),
    "Inputs: DMT from MedicationAdministration": every(
        recommends("mri-pml-surveillance"), lambda p: bool(of_type(p, "MedicationAdministration"))
    ),
    "Inputs: on-hold order is current": every(
        recommends("mri-pml-surveillance"), natalizumab("on-hold")
    ),
    "JCV index high positive: no further JCV test": every(
        jcv("index"), lambda p: "jcv-serology" in expected_of(p).absent
    ),
    "JCV stale result counts as unknown": named("natalizumab-on-hold-stale-jcv"),
    "T review-dmt pml-risk": every(recommends("review-dmt"), lambda p: not expected_of(p).activity),
    "T re-baseline: activity early on a DMT is no suboptimal response": every(
        lambda p: bool(expected_of(p).activity),
        lambda p: {"review-dmt", "consider-dmt"} <= expected_of(p).absent,
    ),
    "A cdp reference after a confirmed event is the confirming value": named(
        "cdp-stable-after-event"
    ),
    **{
        f"Q data issue {code}": issue(code)
        for code in (
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
        )
    },
}


@pytest.fixture(scope="module")
def scenarios() -> list[SyntheticPatient]:
    return cohort(as_of=AS_OF)


@pytest.mark.parametrize("branch", sorted(BRANCHES))
def test_rule_branch_has_a_scenario(branch: str, scenarios: list[SyntheticPatient]) -> None:
    matching = [p.scenario for p in scenarios if BRANCHES[branch](p)]
    assert matching, f"no scenario exercises {branch!r}"


def test_every_action_code_is_expected_somewhere(scenarios: list[SyntheticPatient]) -> None:
    recommended = set().union(*(expected_of(p).recommendations for p in scenarios))
    assert recommended == ALL_CODES


def test_expectations_are_self_consistent(scenarios: list[SyntheticPatient]) -> None:
    for p in scenarios:
        e = expected_of(p)
        assert not e.recommendations & e.absent, p.scenario
        assert {c.code for c in e.checks} <= e.recommendations, p.scenario
        if e.status == "not-applicable":
            assert e.absent == ALL_CODES, p.scenario
        for check in e.checks:
            if check.overdue and check.code in {
                "neuro-review",
                "mri-brain",
                "mri-pml-surveillance",
            }:
                assert check.priority == "urgent", (p.scenario, check)
