"""MRI findings held only as Observations contained in a radiology DiagnosticReport.

A report may carry its lesion counts as ``contained`` Observations that its ``result`` points at
(``#obs1``; https://hl7.org/fhir/R4/references.html#contained). They are read as bundled finding
Observations are (same codes), in the report's context (subject, date), and their evidence is the
report: ``DiagnosticReport/<id>``, a reference the server resolves and the dashboard opens.
"""

from __future__ import annotations

from typing import Any

import pytest

from smart_app.domain import extract_timeline
from smart_app.domain.context import EvaluationContext
from tests.domain.domain_builders import (
    LOINC,
    MSOBS,
    SNOMED,
    SUBJECT,
    D,
    Resource,
    benign_base,
    evaluate,
    issue_codes,
    months_before,
)

DAY = months_before(2)


def _base() -> list[Resource]:
    """A benign patient whose only MRI is the report under test."""
    return [r for r in benign_base() if r["resourceType"] != "ImagingStudy"]


def _contained(code: dict[str, Any], cid: Any = "obs1", **extra: Any) -> Resource:
    return {
        "resourceType": "Observation",
        "id": cid,
        "status": "final",
        "code": code,
        "valueInteger": 2,
        **extra,
    }


def _report(*contained: Resource, results: list[str] | None = None) -> Resource:
    """A final brain-MRI report whose results point at its contained Observations."""
    targets = results if results is not None else [f"#{c['id']}" for c in contained]
    return {
        "resourceType": "DiagnosticReport",
        "id": "dr",
        "status": "final",
        "subject": SUBJECT,
        "code": {"coding": [{"system": LOINC, "code": "24590-2"}]},
        "effectiveDateTime": DAY.isoformat(),
        "contained": list(contained),
        "result": [{"reference": target} for target in targets],
    }


GD = {"coding": [{"system": MSOBS, "code": "gd-lesions"}]}
NEW_T2 = {"coding": [{"system": MSOBS, "code": "new-t2-lesions"}]}
EDSS_CODE = {"coding": [{"system": SNOMED, "code": "273554001"}]}
OTHER = {"coding": [{"system": LOINC, "code": "18748-4"}]}  # a report narrative, not a count


@pytest.mark.parametrize(
    ("report", "findings"),
    [
        pytest.param(_report(_contained(GD)), [("gd-lesions", 2.0)], id="contained-gd"),
        pytest.param(_report(_contained(NEW_T2)), [("new-t2-lesions", 2.0)], id="contained-t2"),
        pytest.param(
            _report(_contained(GD, "a"), _contained(NEW_T2, "b", valueInteger=0)),
            [("gd-lesions", 2.0), ("new-t2-lesions", 0.0)],
            id="both-counts",
        ),
        pytest.param(_report(_contained(OTHER)), [], id="wrong-code-ignored"),
        pytest.param(_report(_contained(EDSS_CODE)), [], id="edss-code-is-not-a-finding"),
        pytest.param(_report(_contained(GD), results=[]), [], id="contained-but-not-a-result"),
        pytest.param(_report(_contained(GD), results=["#other"]), [], id="result-names-another-id"),
        pytest.param(
            _report(_contained(GD, status="preliminary")), [], id="preliminary-observation"
        ),
        pytest.param(
            _report(_contained(GD, subject={"reference": "Patient/other"})),
            [],
            id="contained-of-another-patient",
        ),
        pytest.param(
            {
                **_report(_contained(GD, ["obs1"]), "junk", results=[]),  # type: ignore[arg-type]
                "result": ["junk", {"reference": 5}, {"reference": "#obs1"}],
            },
            [],
            id="garbage-contained-and-results",
        ),
        pytest.param(
            _report(_contained(GD, effectiveDateTime=months_before(5).isoformat())),
            [("gd-lesions", 2.0)],
            id="own-date",
        ),
    ],
)
def test_contained_findings_are_read_like_bundled_ones(
    report: Resource, findings: list[tuple[str, float]]
) -> None:
    timeline = extract_timeline([*_base(), report], EvaluationContext(D))
    assert [(f.kind, f.count) for f in timeline.mri_findings] == findings
    assert all(f.ref == "DiagnosticReport/dr" for f in timeline.mri_findings)
    assert [m.ref for m in timeline.brain_mris] == ["DiagnosticReport/dr"]  # still the MRI


def test_contained_finding_takes_the_report_date_unless_it_has_its_own() -> None:
    own = months_before(5)
    dated = _report(_contained(GD, "a"), _contained(NEW_T2, "b", effectiveDateTime=own.isoformat()))
    timeline = extract_timeline([*_base(), dated], EvaluationContext(D))
    assert {(f.kind, f.date) for f in timeline.mri_findings} == {
        ("gd-lesions", DAY),
        ("new-t2-lesions", own),
    }


def test_contained_gd_lesions_are_activity_with_the_report_as_evidence() -> None:
    report = evaluate([*_base(), _report(_contained(GD, "a"), _contained(NEW_T2, "b"))])
    assert report.activity.active
    mri = [f for f in report.activity.findings if f.kind == "mri"]
    assert [(f.date, f.evidence) for f in mri] == [(DAY, ("DiagnosticReport/dr",))]
    reassess = next(r for r in report.recommendations if r.code == "reassess-benign-status")
    assert reassess.evidence == ("DiagnosticReport/dr",)


@pytest.mark.parametrize(
    ("contained", "flagged"),
    [
        pytest.param(_contained(GD, valueInteger=0), False, id="counts-contained"),
        pytest.param(_contained(OTHER), True, id="only-narrative-contained"),
    ],
)
def test_contained_counts_make_the_report_structured(contained: Resource, flagged: bool) -> None:
    report = evaluate([*_base(), _report(contained)])
    assert ("mri-findings-unstructured" in issue_codes(report)) is flagged


def test_contained_count_with_a_bad_unit_is_a_data_issue_naming_the_report() -> None:
    bad = _contained(GD, valueQuantity={"value": 2, "code": "mg"})
    del bad["valueInteger"]
    report = evaluate([*_base(), _report(bad)])
    assert [(i.code, i.resource) for i in report.data_issues if i.code == "unit-mismatch"] == [
        ("unit-mismatch", "DiagnosticReport/dr")
    ]
    assert not report.activity.active
