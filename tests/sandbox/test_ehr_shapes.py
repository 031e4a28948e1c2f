"""The cohort in vendor shapes (pure): reports from studies, reported medications, XML."""

from __future__ import annotations

from typing import Any

from launch.sandbox.ehr import PROFILES, shapes
from launch.sandbox.ehr.matching import date_matches, select, token_matches
from launch.sandbox.ehr.render import to_xml

EPIC = PROFILES["epic"].shapes
ORACLE = PROFILES["oracle"].shapes
SUBJECT = {"reference": "Patient/p1"}


def study(**extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "ImagingStudy",
        "id": "s1",
        "status": "available",
        "subject": SUBJECT,
        "started": "2026-01-05",
        "series": [{"modality": {"code": "MR"}, **extra}],
    }


def test_a_brain_study_without_procedure_code_is_reported_as_cpt_70551() -> None:
    report = shapes.report_from_study(
        EPIC, study(bodySite={"code": "12738006"}), ["Observation/o1"]
    )
    assert report["id"] == "rad-s1"
    assert report["code"]["coding"][0]["code"] == "70551"
    assert report["status"] == "final"
    assert report["issued"] == "2026-01-05T12:00:00Z"
    assert report["result"] == [{"reference": "Observation/o1"}]
    categories = {c["coding"][0]["code"] for c in report["category"]}
    assert categories == {"LP29684-5", "RAD", "imaging"}


def test_a_knee_study_stays_a_non_brain_mri_report() -> None:
    report = shapes.report_from_study(ORACLE, study(bodySite={"code": "72696002"}), [])
    assert report["code"]["coding"][0]["code"] == "73721"
    assert [c["coding"][0]["code"] for c in report["category"]] == ["LP29684-5"]
    assert "result" not in report


def test_a_statement_becomes_a_reported_order_with_its_period() -> None:
    statement = {
        "resourceType": "MedicationStatement",
        "id": "m1",
        "status": "stopped",
        "subject": SUBJECT,
        "medicationCodeableConcept": {"text": "Tecfidera 240 mg"},
        "effectivePeriod": {"start": "2020-01-01", "end": "2024-01-01"},
    }
    order, medication = shapes.request_from_statement(EPIC, statement)
    assert order["id"] == "ms-m1"
    assert (order["status"], order["intent"], order["reportedBoolean"]) == ("stopped", "plan", True)
    assert order["authoredOn"] == "2020-01-01"
    assert order["dispenseRequest"]["validityPeriod"]["end"] == "2024-01-01"
    assert medication is not None
    assert medication["id"].startswith("text-")
    assert order["medicationReference"]["reference"] == f"Medication/{medication['id']}"
    assert medication["code"] == {"text": "Tecfidera 240 mg"}


def test_edss_is_recoded_only_where_the_vendor_has_a_flowsheet_row() -> None:
    edss = {
        "resourceType": "Observation",
        "id": "e1",
        "category": [{"coding": [{"code": "exam"}]}],
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "273554001"}]},
    }
    epic = shapes.observation(EPIC, edss)
    assert epic is not None
    assert epic["code"]["coding"][0]["system"] == "urn:oid:1.2.840.114350.1.13.0.1.7.2.707679"
    assert shapes.observation(ORACLE, edss) is None  # not exposed
    athena = shapes.observation(PROFILES["athena"].shapes, edss)
    assert athena == edss


def test_token_and_date_matching_follow_fhir_search() -> None:
    codings = [{"system": "http://loinc.org", "code": "LP29684-5"}]
    assert token_matches(codings, "LP29684-5")
    assert token_matches(codings, "http://loinc.org|LP29684-5")
    assert token_matches(codings, "http://loinc.org|")
    assert token_matches(codings, "RAD,http://loinc.org|LP29684-5")
    assert not token_matches(codings, "http://other|LP29684-5")
    dated = {"effectiveDateTime": "2026-03-01T10:00:00Z"}
    assert date_matches(dated, "ge2026-01-01")
    assert not date_matches(dated, "lt2026-03-01")
    assert date_matches(dated, "2026-03-01")
    plans = [
        {"id": "a", "identifier": [{"system": "s", "value": "1"}]},
        {"id": "b", "identifier": [{"system": "t", "value": "1"}]},
    ]
    query = [("identifier", "s|")]
    assert [p["id"] for p in select(plans, query, frozenset())] == ["a"]
    assert [p["id"] for p in select(plans, query, frozenset({"identifier"}))] == ["a", "b"]


def test_fhir_xml_wraps_contained_resources_and_escapes_values() -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": {"resourceType": "Patient", "id": "p<1>", "active": True}}],
    }
    text = to_xml(bundle)
    assert text.startswith(
        '<?xml version="1.0" encoding="UTF-8"?>\n<Bundle xmlns="http://hl7.org/fhir">'
    )
    assert (
        '<entry><resource><Patient><id value="p&lt;1&gt;"/><active value="true"/></Patient>' in text
    )
