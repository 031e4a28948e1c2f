"""Contract v2, "Inputs" and "Q": EDSS text and units, site codes, MRI sources, Bundles."""

from __future__ import annotations

from typing import Any

import pytest

from smart_app.domain import EvaluationContext, evaluate_patient, group_by_patient
from smart_app.domain.terminology import parse_site_codes
from tests.domain.domain_builders import (
    DCM,
    SNOMED,
    SUBJECT,
    D,
    Resource,
    benign_base,
    edss,
    evaluate,
    issue_codes,
    lesions,
    months_before,
    mri,
    ms_condition,
    observation,
    patient,
)

UCUM = "http://unitsofmeasure.org"
CPT = "http://www.ama-assn.org/go/cpt"
EPIC_ROW = "urn:oid:1.2.840.114350.1.13.0.1.7.2.707679"


def _latest_edss(resource: Resource) -> list[Resource]:
    return [patient(), ms_condition(), edss(months_before(6), 1.0, "old"), resource]


@pytest.mark.parametrize(
    ("value", "edss_value", "issue"),
    [
        pytest.param({"valueString": "2.5"}, 2.5, "edss-as-text", id="text-number"),
        pytest.param({"valueString": " 3.0 "}, 3.0, "edss-as-text", id="text-padded"),
        pytest.param({"valueString": "2.5 mild"}, 1.0, "invalid-resource", id="text-with-words"),
        pytest.param({"valueString": "two"}, 1.0, "invalid-resource", id="text-word"),
        pytest.param({"valueQuantity": {"value": 2.0, "system": UCUM, "code": "{score}",
                      "unit": "points on the Kurtzke scale"}}, 2.0, None, id="ucum-score-any-text"),
        pytest.param({"valueQuantity": {"value": 2.0, "system": UCUM, "code": "1",
                      "unit": "EDSS"}}, 2.0, None, id="ucum-1-any-text"),
        pytest.param({"valueQuantity": {"value": 2.0, "system": UCUM, "code": "mg",
                      "unit": "score"}}, 1.0, "unit-mismatch", id="ucum-mg-score-text"),
        pytest.param({"valueQuantity": {"value": 2.0}}, 2.0, None, id="no-unit"),
    ],
)  # fmt: skip
def test_edss_value_shapes(value: dict[str, Any], edss_value: float, issue: str | None) -> None:
    code = {"coding": [{"system": SNOMED, "code": "273554001"}]}
    latest = observation(code, months_before(1), "new", **value)
    report = evaluate(_latest_edss(latest))
    assert report.classification.edss == edss_value
    if issue is not None:
        assert issue in issue_codes(report)
    assert ("unit-mismatch" in issue_codes(report)) is (issue == "unit-mismatch")


def _epic_edss() -> Resource:
    code = {"coding": [{"system": EPIC_ROW, "code": "3040101234"}]}
    return observation(code, months_before(1), "flowsheet", valueString="2.5")


def test_site_codes_add_an_edss_code_without_changing_the_engine() -> None:
    resources = _latest_edss(_epic_edss())
    assert evaluate(resources).classification.edss == 1.0  # unknown code: not an EDSS
    context = EvaluationContext.build(D, site_codes={"edss": [f"{EPIC_ROW}|3040101234"]})
    report = evaluate_patient(resources, context)
    assert report.classification.edss == 2.5
    assert "edss-as-text" in issue_codes(report)


def test_site_codes_add_a_brain_mri_code() -> None:
    study = {**mri(months_before(2), "local"), "procedureCode": [{"coding": [
        {"system": "urn:oid:1.2.3", "code": "MRBR"}]}]}  # fmt: skip
    resources = [patient(), ms_condition(), edss(months_before(2), 2.0), study]
    assert "mri-region-unknown" in issue_codes(evaluate(resources))
    context = EvaluationContext.build(D, site_codes={"brain-mri": ["urn:oid:1.2.3|MRBR"]})
    report = evaluate_patient(resources, context)
    assert report.recommendations[1].evidence == ("ImagingStudy/local",)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        pytest.param([], "JSON object", id="not-an-object"),
        pytest.param({"weight": ["a|b"]}, "unknown concept", id="unknown-concept"),
        pytest.param({"edss": "a|b"}, "list", id="not-a-list"),
        pytest.param({"edss": ["no-bar"]}, "system|code", id="no-bar"),
        pytest.param({"edss": ["|code"]}, "system|code", id="no-system"),
        pytest.param({"edss": [3]}, "system|code", id="not-a-string"),
    ],
)
def test_malformed_site_codes_are_refused(document: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_site_codes(document)


def _study(**changes: Any) -> Resource:
    res = mri(months_before(2), "study")
    res.update(changes)
    return res


@pytest.mark.parametrize(
    ("study", "brain"),
    [
        pytest.param(_study(procedureCode=[{"coding": [{"system": CPT, "code": "70553"}]}]),
                     True, id="cpt-70553"),
        pytest.param(_study(procedureCode=[{"coding": [{"system": CPT, "code": "72141"}]}]),
                     False, id="cpt-spine"),
        pytest.param(_study(procedureCode=[], series=[{"uid": "1", "modality": {"system": DCM,
                     "code": "MR"}, "bodySite": {"system": SNOMED, "code": "69536005"}}]),
                     True, id="head-body-site"),
        pytest.param(_study(procedureCode=[], series=[{"uid": "1", "modality": {"system": DCM,
                     "code": "MR"}, "bodySite": {"system": SNOMED, "code": "72696002"}}]),
                     False, id="knee-body-site"),
    ],
)  # fmt: skip
def test_brain_mri_recognition(study: Resource, brain: bool) -> None:
    report = evaluate([patient(), ms_condition(), edss(months_before(2), 2.0), study])
    mri_rec = next(r for r in report.recommendations if r.code == "mri-brain")
    assert (mri_rec.evidence == ("ImagingStudy/study",)) is brain


def _report(
    status: str = "final", code: str = "70551", day: Any = None, rid: str = "dr"
) -> Resource:
    return {
        "resourceType": "DiagnosticReport",
        "id": rid,
        "status": status,
        "subject": SUBJECT,
        "code": {"coding": [{"system": CPT, "code": code}]},
        "effectiveDateTime": (day or months_before(2)).isoformat(),
    }


@pytest.mark.parametrize(
    ("report", "counted"),
    [
        pytest.param(_report(), True, id="final-brain-report"),
        pytest.param(_report("amended"), True, id="amended"),
        pytest.param(_report("preliminary"), False, id="preliminary"),
        pytest.param(_report(code="72141"), False, id="spine-report"),
    ],
)
def test_radiology_report_as_brain_mri(report: Resource, counted: bool) -> None:
    out = evaluate([patient(), ms_condition(), edss(months_before(2), 2.0), report])
    mri_rec = next(r for r in out.recommendations if r.code == "mri-brain")
    assert (mri_rec.evidence == ("DiagnosticReport/dr",)) is counted


@pytest.mark.parametrize(
    ("months", "counts", "flagged"),
    [
        pytest.param(23, False, True, id="23-months-unstructured"),
        pytest.param(24, False, True, id="24-months-unstructured"),
        pytest.param(25, False, False, id="25-months-too-old"),
        pytest.param(2, True, False, id="structured-counts"),
    ],
)
def test_unstructured_mri_is_flagged(months: int, counts: bool, flagged: bool) -> None:
    day = months_before(months)
    resources = [patient(), ms_condition(), edss(months_before(2), 2.0), mri(day, "study")]
    if counts:
        resources.append(lesions(day, "new-t2-lesions", 0))
    report = evaluate(resources)
    assert ("mri-findings-unstructured" in issue_codes(report)) is flagged


def test_unstructured_flag_names_the_report_when_a_study_and_its_report_exist() -> None:
    day = months_before(2)
    resources = [patient(), ms_condition(), edss(day, 2.0), mri(day, "study"), _report(day=day)]
    flagged = [i.resource for i in evaluate(resources).data_issues
               if i.code == "mri-findings-unstructured"]  # fmt: skip
    assert flagged == ["DiagnosticReport/dr"]


def test_operation_outcome_entries_are_skipped_silently() -> None:
    outcome = {"resourceType": "OperationOutcome", "issue": [{"severity": "warning"}]}
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [
            *({"resource": r, "search": {"mode": "match"}} for r in benign_base()),
            {"resource": outcome, "search": {"mode": "outcome"}},
        ],
    }
    report = evaluate_patient(bundle, EvaluationContext(D))
    assert "invalid-resource" not in issue_codes(report)
    listed = evaluate([*benign_base(), outcome])  # a reader that flattened the searchset
    assert "invalid-resource" not in issue_codes(listed)


def test_urn_uuid_references_resolve_to_one_patient() -> None:
    pid = "urn:uuid:5f1c1b2a-0000-4000-8000-000000000001"
    entries: list[dict[str, Any]] = [
        {"fullUrl": pid, "resource": {"resourceType": "Patient", "id": "syn1"}}
    ]
    for index, res in enumerate(benign_base()[1:]):
        res = {**res, "subject": {"reference": pid}}
        entries.append({"fullUrl": f"urn:uuid:5f1c1b2a-0000-4000-8000-00000000010{index}",
                        "resource": res})  # fmt: skip
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": entries}
    groups = group_by_patient([bundle])
    assert list(groups) == ["Patient/syn1"]
    report = evaluate_patient(groups["Patient/syn1"], EvaluationContext(D))
    assert report.patient == "Patient/syn1"
    assert report.classification.status == "benign"


@pytest.mark.parametrize(
    "unavailable", [(), ("MedicationAdministration",), ("DiagnosticReport", "ImagingStudy")]
)
def test_unavailable_resource_types_are_reported(unavailable: tuple[str, ...]) -> None:
    report = evaluate_patient(benign_base(), EvaluationContext(D), unavailable=unavailable)
    reported = [i.resource for i in report.data_issues if i.code == "resource-unavailable"]
    assert reported == sorted(unavailable)
