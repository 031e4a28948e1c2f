"""``ms-monitor evaluate``: report JSON, several patients, --careplan, and bad input (exit 2)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from smart_app.cli import main
from smart_app.synthetic import SCENARIO_NAMES, cohort, collection_bundle

AS_OF = date(2026, 11, 24)
REPORT_KEYS = {
    "patient",
    "as_of",
    "classification",
    "activity",
    "current_dmt",
    "recommendations",
    "data_issues",
}


@pytest.fixture(scope="module")
def bundle_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bundles")
    files = {}
    for patient in cohort(as_of=AS_OF):
        path = folder / f"{patient.scenario}.json"
        path.write_text(json.dumps(collection_bundle(patient)))
        files[patient.scenario] = path
    return files


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_one_patient_prints_one_report_object(bundle_files: dict[str, Path]) -> None:
    code, out, _ = invoke("evaluate", str(bundle_files["benign-strict"]), "--as-of", "2026-11-24")
    assert code == 0
    report = json.loads(out)
    assert set(report) == REPORT_KEYS
    assert report["as_of"] == "2026-11-24"
    assert report["classification"]["status"] == "benign"
    assert report["classification"]["strict"] is True


def test_every_scenario_file_evaluates(bundle_files: dict[str, Path]) -> None:
    code, out, err = invoke("evaluate", *map(str, bundle_files.values()), "--as-of", "2026-11-24")
    assert code == 0, err
    reports = json.loads(out)
    assert isinstance(reports, list)
    assert len(reports) == len(SCENARIO_NAMES)
    statuses = {r["classification"]["status"] for r in reports}
    assert statuses == {"benign", "too-early", "not-benign", "indeterminate", "not-applicable"}


def test_careplan_prints_the_transaction_it_would_write(bundle_files: dict[str, Path]) -> None:
    code, out, _ = invoke(
        "evaluate", str(bundle_files["benign-strict"]), "--as-of", "2026-11-24", "--careplan"
    )
    assert code == 0
    bundle = json.loads(out)
    assert bundle["type"] == "transaction"
    types = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert types.count("CarePlan") == 1
    assert types.count("Task") >= 1
    assert all(e["request"].get("ifNoneExist") for e in bundle["entry"])


def test_not_applicable_patient_gets_an_empty_transaction(bundle_files: dict[str, Path]) -> None:
    code, out, _ = invoke(
        "evaluate", str(bundle_files["not-applicable-no-ms"]), "--as-of", "2026-11-24", "--careplan"
    )
    assert code == 0
    assert json.loads(out) == {"resourceType": "Bundle", "type": "transaction", "entry": []}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json at all", "not JSON"),
        ('{"resourceType": "Patient", "id": "x"}', "not a FHIR Bundle (found Patient)"),
        ("[1, 2]", "not a FHIR Bundle"),
        ('{"resourceType": "Bundle", "type": "collection", "entry": {}}', "entry is not a list"),
        ('{"resourceType": "Bundle", "type": "collection"}', "no patient data"),
    ],
    ids=["not-json", "not-a-bundle", "array", "entry-not-list", "empty-bundle"],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2(
    tmp_path: Path, content: str, message: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    code, out, err = invoke("evaluate", str(bad))
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert message in err


def test_a_missing_file_is_exit_2(tmp_path: Path) -> None:
    code, _, err = invoke("evaluate", str(tmp_path / "nope.json"))
    assert code == 2
    assert "cannot read" in err


def test_a_bad_as_of_date_is_a_usage_error(bundle_files: dict[str, Path]) -> None:
    code, _, err = invoke("evaluate", str(bundle_files["benign-strict"]), "--as-of", "2026-13-01")
    assert code == 2
    assert "not a date" in err


def test_a_bad_file_after_good_ones_prints_no_partial_output(
    tmp_path: Path, bundle_files: dict[str, Path]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    code, out, err = invoke("evaluate", str(bundle_files["benign-strict"]), str(bad))
    assert code == 2
    assert out == ""
    assert f"{bad}: not JSON" in err


def _synthea_shaped(patient_scenario: str) -> dict[str, object]:
    """A transaction Bundle as Synthea writes it: ids only in urn:uuid fullUrls, urn references."""
    member = next(p for p in cohort(as_of=AS_OF) if p.scenario == patient_scenario)
    urns = {
        f"{r['resourceType']}/{r['id']}": f"urn:uuid:00000000-0000-4000-8000-{i:012d}"
        for i, r in enumerate(member.resources)
    }
    entries = []
    for resource in member.resources:
        text = json.dumps({k: v for k, v in resource.items() if k != "id"})
        for ref, urn in urns.items():
            text = text.replace(f'"{ref}"', f'"{urn}"')
        entries.append(
            {
                "fullUrl": urns[f"{resource['resourceType']}/{resource['id']}"],
                "resource": json.loads(text),
                "request": {"method": "POST", "url": resource["resourceType"]},
            }
        )
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def test_urn_uuid_transaction_bundle_gives_one_report_per_person(tmp_path: Path) -> None:
    path = tmp_path / "synthea.json"
    path.write_text(json.dumps(_synthea_shaped("benign-strict")))
    code, out, err = invoke("evaluate", str(path), "--as-of", "2026-11-24")
    assert code == 0, err
    report = json.loads(out)
    assert isinstance(report, dict), "one person, one report"
    assert report["patient"].startswith("urn:uuid:")
    assert report["classification"]["status"] == "benign"
    assert "invalid-resource" not in {i["code"] for i in report["data_issues"]}


def test_searchset_operation_outcome_is_not_reported(tmp_path: Path) -> None:
    member = next(p for p in cohort(as_of=AS_OF) if p.scenario == "benign-strict")
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [
            *({"resource": r, "search": {"mode": "match"}} for r in member.resources),
            {
                "resource": {
                    "resourceType": "OperationOutcome",
                    "issue": [{"severity": "information", "code": "informational"}],
                },
                "search": {"mode": "outcome"},
            },
        ],
    }
    path = tmp_path / "searchset.json"
    path.write_text(json.dumps(bundle))
    code, out, err = invoke("evaluate", str(path), "--as-of", "2026-11-24")
    assert code == 0, err
    assert json.loads(out)["data_issues"] == []


def _flowsheet_edss_bundle() -> dict[str, object]:
    member = next(p for p in cohort(as_of=AS_OF) if p.scenario == "benign-strict")
    flowsheet = {
        "resourceType": "Observation",
        "id": "flowsheet-edss",
        "status": "final",
        "code": {
            "coding": [
                {"system": "urn:oid:1.2.840.114350.1.13.0.1.7.2.707679", "code": "3040101234"}
            ]
        },
        "subject": {"reference": f"Patient/{member.patient_id}"},
        "effectiveDateTime": "2026-11-20",
        "valueString": "2.5",
    }
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": r} for r in [*member.resources, flowsheet]]}  # fmt: skip


def test_site_codes_option_reads_a_site_edss_code(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps(_flowsheet_edss_bundle()))
    codes = tmp_path / "site-codes.json"
    codes.write_text(
        json.dumps({"edss": ["urn:oid:1.2.840.114350.1.13.0.1.7.2.707679|3040101234"]})
    )
    _, without, _ = invoke("evaluate", str(bundle), "--as-of", "2026-11-24")
    assert json.loads(without)["classification"]["edss"] == 2.0
    code, out, err = invoke(
        "evaluate", str(bundle), "--as-of", "2026-11-24", "--site-codes", str(codes)
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["classification"]["edss"] == 2.5
    assert "edss-as-text" in {i["code"] for i in report["data_issues"]}


@pytest.mark.parametrize(
    "content",
    ['{"weight": ["a|b"]}', '{"edss": ["no-bar"]}', "[1, 2]", "not json"],
)
def test_bad_site_codes_file_is_refused(tmp_path: Path, content: str) -> None:
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps(_flowsheet_edss_bundle()))
    codes = tmp_path / "site-codes.json"
    codes.write_text(content)
    code, out, err = invoke(
        "evaluate", str(bundle), "--as-of", "2026-11-24", "--site-codes", str(codes)
    )
    assert code == 2
    assert out == ""
    assert "site-codes.json" in err
