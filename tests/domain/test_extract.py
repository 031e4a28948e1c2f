"""Extraction: every data-issue code, silent skips, partial dates, inputs, patient grouping."""

from __future__ import annotations

from typing import Any

import pytest
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient

from smart_app.domain import EvaluationContext, evaluate_patient, extract_timeline, group_by_patient
from smart_app.domain.dates import add_months, parse_fhir_date
from tests.domain.domain_builders import (
    DCM,
    RXNORM,
    SUBJECT,
    D,
    Resource,
    benign_base,
    dmt,
    edss,
    evaluate,
    issue_codes,
    mfis,
    months_before,
    mri,
    ms_condition,
)


def _other_mr() -> Resource:
    return {
        "resourceType": "ImagingStudy",
        "id": "knee",
        "status": "available",
        "subject": SUBJECT,
        "series": [{"uid": "1.2", "modality": {"system": DCM, "code": "MR"}}],
        "started": "2026-01-01",
    }


@pytest.mark.parametrize(
    ("resource", "code"),
    [
        pytest.param({"id": "x"}, "invalid-resource", id="no-resource-type"),
        pytest.param("garbage", "invalid-resource", id="not-a-dict"),
        pytest.param({"resourceType": "Observation"}, "invalid-resource", id="no-id"),
        pytest.param(
            {"resourceType": "Observation", "id": "o", "subject": SUBJECT},
            "invalid-resource",
            id="observation-without-code",
        ),
        pytest.param(edss("2026-01-01", 10.5), "edss-out-of-range", id="edss-10.5"),
        pytest.param(edss("2026-01-01", -0.5), "edss-out-of-range", id="edss-negative"),
        pytest.param(edss("2026-01-01", 2.25), "edss-invalid-step", id="edss-2.25"),
        pytest.param(edss("2026-11-25", 2.0), "future-date", id="edss-tomorrow"),
        pytest.param(edss(None, 2.0), "missing-date", id="edss-no-date"),
        pytest.param(
            edss("2026-01-01", 2.0, valueQuantity={"value": 2.0, "unit": "mg"}),
            "unit-mismatch",
            id="edss-in-mg",
        ),
        pytest.param(
            ms_condition(None, "ms2", recordedDate="2012-01-01"),
            "onset-missing",
            id="onset-missing",
        ),
        pytest.param(mri("2026-01-01", region="other"), "mri-region-unknown", id="mr-knee-loinc"),
        pytest.param(_other_mr(), "mri-region-unknown", id="mr-without-procedure"),
        pytest.param(
            dmt("Copaxone 20 mg/mL", "2020-01-01", by_text=True),
            "dmt-matched-by-text",
            id="dmt-by-brand",
        ),
        pytest.param(
            {**edss("2026-01-01", 2.0), "subject": {"reference": "Patient/other"}},
            "invalid-resource",
            id="other-patient",
        ),
        pytest.param(mfis("2026-01-01", 90), "invalid-resource", id="mfis-over-84"),
    ],
)
def test_data_issue_codes(resource: Any, code: str) -> None:
    if isinstance(resource, dict) and "id" in resource:
        resource = {**resource, "id": "under-test"}  # not a duplicate of a base resource
    report = evaluate([*benign_base(), resource])
    assert code in issue_codes(report)


def test_bad_edss_is_not_used() -> None:
    report = evaluate([*benign_base(), edss(months_before(1), 10.5, "bad")])
    assert report.classification.edss == 2.0


@pytest.mark.parametrize(
    "resource",
    [
        pytest.param({**edss("2026-01-01", 9.0), "status": "entered-in-error"}, id="obs-eie"),
        pytest.param({**edss("2026-01-01", 9.0), "status": "preliminary"}, id="obs-preliminary"),
        pytest.param(
            {
                **ms_condition("2020-01-01", "x"),
                "verificationStatus": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                            "code": "entered-in-error",
                        }
                    ]
                },
            },
            id="condition-eie",
        ),
        pytest.param({**mri("2026-01-01"), "status": "entered-in-error"}, id="mri-eie"),
        pytest.param(
            {**dmt("natalizumab", "2020-01-01"), "status": "entered-in-error"}, id="dmt-eie"
        ),
    ],
)
def test_entered_in_error_is_ignored_silently(resource: Resource) -> None:
    base = evaluate(benign_base())
    report = evaluate([*benign_base(), {**resource, "id": "under-test"}])
    assert report.data_issues == base.data_issues
    assert report.to_json() == base.to_json()


def test_dmt_by_rxnorm_without_issue_and_exposure_start() -> None:
    resources = [
        *benign_base(),
        dmt("natalizumab", "2023-01-05", "n1", "completed"),
        dmt("natalizumab", "2023-02-05", "n2", "active"),
    ]
    report = evaluate(resources)
    assert [(d.ingredient, d.since.isoformat()) for d in report.current_dmt] == [
        ("natalizumab", "2023-01-05")
    ]
    assert "dmt-matched-by-text" not in issue_codes(report)


def test_broken_run_starts_a_new_exposure() -> None:
    resources = [
        *benign_base(),
        dmt("fingolimod", "2018-01-01", "f1", "completed", statement=True, end="2019-01-01"),
        dmt("fingolimod", "2026-01-01", "f2", "active", statement=True),
    ]
    report = evaluate(resources)
    assert [d.since.isoformat() for d in report.current_dmt] == ["2026-01-01"]


def test_medication_reference_is_resolved() -> None:
    medication = {
        "resourceType": "Medication",
        "id": "med",
        "code": {"coding": [{"system": RXNORM, "code": "214582"}]},
    }
    request = {
        **dmt("glatiramer", "2024-01-01"),
        "medicationReference": {"reference": "Medication/med"},
    }
    del request["medicationCodeableConcept"]
    report = evaluate([*benign_base(), medication, request])
    assert [d.ingredient for d in report.current_dmt] == ["glatiramer"]


def test_statement_open_period_is_current() -> None:
    statement = dmt("ocrelizumab", "2024-01-01", "o", "completed", statement=True)
    assert [d.ingredient for d in evaluate([*benign_base(), statement]).current_dmt] == [
        "ocrelizumab"
    ]
    stopped = dmt("ocrelizumab", "2024-01-01", "o", "stopped", statement=True)
    assert evaluate([*benign_base(), stopped]).current_dmt == ()


@pytest.mark.parametrize(
    ("text", "earliest", "latest"),
    [
        ("2025", "2025-01-01", "2025-12-31"),
        ("2024-02", "2024-02-01", "2024-02-29"),
        ("2025-03-15", "2025-03-15", "2025-03-15"),
        ("2025-03-15T23:30:00-05:00", "2025-03-15", "2025-03-15"),
    ],
)
def test_partial_dates(text: str, earliest: str, latest: str) -> None:
    rng = parse_fhir_date(text)
    assert rng is not None
    assert (rng.earliest.isoformat(), rng.latest.isoformat()) == (earliest, latest)


@pytest.mark.parametrize("text", ["", "20", "2025-13", "2025-02-30", "abcd", "2025/01/01"])
def test_invalid_dates(text: str) -> None:
    assert parse_fhir_date(text) is None


def test_partial_edss_date_uses_earliest_day() -> None:
    timeline = extract_timeline([*benign_base(), edss("2026-10", 2.0, "e2")], EvaluationContext(D))
    assert timeline.edss[-1].date.isoformat() == "2026-10-01"
    assert add_months(timeline.edss[-1].date, 12).isoformat() == "2027-10-01"


def test_fhir_resources_models_are_accepted() -> None:
    resources: list[Any] = [*benign_base()]
    resources[0] = Patient.model_validate(resources[0])
    resources[2] = Observation.model_validate(resources[2])
    report = evaluate(resources)
    assert report.classification.status == "benign"
    assert report.classification.edss == 2.0


def test_group_by_patient_splits_bundle() -> None:
    def entries(pid: str) -> list[Resource]:
        items = [dict(r) for r in benign_base()]
        for item in items:
            item["id"] = f"{pid}-{item['id']}"
            if "subject" in item:
                item["subject"] = {"reference": f"Patient/{pid}-p1"}
        return items

    medication = {"resourceType": "Medication", "id": "shared"}
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in [*entries("a"), *entries("b"), medication]],
    }
    groups = group_by_patient(bundle)
    assert sorted(groups) == ["Patient/a-p1", "Patient/b-p1"]
    for key, group in groups.items():
        report = evaluate([group])
        assert report.patient == key
        assert report.classification.status == "benign"
        assert len(group["entry"]) == len(benign_base()) + 1


def test_urn_uuid_subjects_in_transaction_bundle() -> None:
    pat = {"fullUrl": "urn:uuid:1", "resource": {"resourceType": "Patient"}}
    cond = ms_condition()
    cond["subject"] = {"reference": "urn:uuid:1"}
    del cond["id"]
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [pat, {"fullUrl": "urn:uuid:2", "resource": cond}],
    }
    groups = group_by_patient(bundle)
    assert list(groups) == ["urn:uuid:1"]
    report = evaluate([groups["urn:uuid:1"]])
    assert report.diagnosis == "urn:uuid:2"


@pytest.mark.parametrize("shape", [list, tuple, iter], ids=["list", "tuple", "iterator"])
def test_record_without_patient_is_named_by_its_subject_in_any_shape(shape: Any) -> None:
    report = evaluate_patient(shape(benign_base()[1:]), EvaluationContext(D))
    assert report.patient == "Patient/p1"
    assert report.classification.status == "benign"


def test_unreadable_entries_are_named_by_their_place_among_flattened_entries() -> None:
    base = benign_base()
    bundle = {"resourceType": "Bundle", "entry": [{"resource": r} for r in base[3:5]]}
    no_id = {"resourceType": "Observation", "status": "final"}
    resources = [
        base[0],
        {"resourceType": "Condition"},
        "garbage",
        bundle,
        no_id,
        *base[1:3],
        base[5],
    ]
    report = evaluate_patient(resources, EvaluationContext(D))
    assert report.classification.status == "benign"
    assert sorted(i.resource for i in report.data_issues if i.code == "invalid-resource") == [
        "Condition[2]",
        "Observation[6]",
        "entry[3]",
    ]
