"""fhir_profiles/ is the one source of the engine's code lists and of the computable protocol.

The expected codes here are restated from clinical-rules.md ("Inputs") and from the synthetic
cohort's independent code table, so a wrong or missing code in a ValueSet fails a test.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from smart_app.conformance import PROFILE_IDS, conformance_bundle, conformance_resources
from smart_app.domain import ACTION_CODES, EvaluationContext, evaluate_patient
from smart_app.domain.plan import ACTION_DISPLAY
from smart_app.domain.terminology import (
    DEFAULT_CANONICAL_BASE,
    enumerated_concepts,
    load_terminology,
    parse_terminology,
    read_conformance,
)
from smart_app.synthetic import codes as cohort_codes
from smart_app.synthetic import cohort

REPO = Path(__file__).resolve().parents[2]
BASE = DEFAULT_CANONICAL_BASE
SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
LOINC = "http://loinc.org"
MSOBS = f"{BASE}/CodeSystem/ms-observation"
SPEC_MS_DIAGNOSIS = {
    (SNOMED, "24700007"),
    (SNOMED, "426373005"),
    (SNOMED, "425500002"),
    (SNOMED, "428700003"),
    *((ICD10, c) for c in ("G35", "G35.A", "G35.B0", "G35.B1", "G35.B2", "G35.C0")),
    *((ICD10, c) for c in ("G35.C1", "G35.C2", "G35.D")),
    ("http://hl7.org/fhir/sid/icd-9-cm", "340"),
    ("http://hl7.org/fhir/sid/icd-10", "G35"),  # WHO ICD-10 (contract v2)
}
CPT = "http://www.ama-assn.org/go/cpt"  # brain and spinal MRI procedure codes (contract v2)
SPEC_DMT_RXNORM = {
    "75917", "72257", "1546168", "214582", "354770", "1876366", "712566", "121191", "117055",
    "1012892", "2121085", "2288236", "2532300", "1373478", "2261783", "1310520", "44157", "7005",
}  # fmt: skip


def by_type(resource_type: str) -> list[dict[str, Any]]:
    return [r for r in conformance_resources() if r["resourceType"] == resource_type]


def test_no_second_copy_of_the_code_lists() -> None:
    assert not (REPO / "smart_app" / "domain" / "data" / "terminology.json").exists()


def test_code_lists_are_the_spec_lists() -> None:
    term = load_terminology()
    assert term.ms_diagnosis == SPEC_MS_DIAGNOSIS
    assert {d.rxnorm for d in term.dmt} == SPEC_DMT_RXNORM
    assert set(term.first_line_dmt_names) == {
        "interferon beta-1a", "interferon beta-1b", "peginterferon beta-1a", "glatiramer",
    }  # fmt: skip
    assert term.brain_mri_procedure == {
        (LOINC, c) for c in ("24590-2", "24587-8", "30657-1", "24589-4")
    } | {(CPT, c) for c in ("70551", "70552", "70553")}
    assert term.spinal_mri_procedure == {
        (LOINC, c) for c in ("24935-9", "24937-5", "24980-5", "24981-3")
    } | {(CPT, c) for c in ("72141", "72142", "72146", "72147", "72156", "72157")}
    assert term.brain_body_site == {(SNOMED, "12738006"), (SNOMED, "69536005")}
    assert term.progressive == {(SNOMED, "425500002"), (SNOMED, "428700003")} | {
        (ICD10, c) for c in ("G35.B0", "G35.B1", "G35.B2", "G35.C0", "G35.C1", "G35.C2")
    }
    assert term.edss == {(SNOMED, "273554001"), (MSOBS, "edss")}
    assert term.relapse == {(SNOMED, "192929006")}
    assert term.jcv_positive == {(SNOMED, "10828004")}
    assert term.jcv_negative == {(SNOMED, "260385009")}
    assert term.dmt_by_text("Tysabri 300 mg IV") == term.dmt_by_rxnorm("354770")


def test_cohort_codes_are_in_the_value_sets() -> None:
    term = load_terminology()
    for coding in (cohort_codes.MS_SNOMED, cohort_codes.RRMS_ICD10, cohort_codes.MS_ICD9):
        assert coding[:2] in term.ms_diagnosis
    assert cohort_codes.NMOSD_SNOMED[:2] not in term.ms_diagnosis
    assert cohort_codes.BRAIN_MRI_LOINC[:2] in term.brain_mri_procedure
    assert cohort_codes.SPINE_MRI_LOINC[:2] in term.spinal_mri_procedure
    assert {term.dmt_by_rxnorm(code) is not None for code in cohort_codes.DMT_RXNORM.values()} == {
        True
    }


def test_ms_observation_code_system_has_the_six_spec_codes() -> None:
    concepts = read_conformance("CodeSystem", "ms-observation")["concept"]
    assert [c["code"] for c in concepts] == [
        "edss", "new-t2-lesions", "gd-lesions", "jcv-antibody", "mfis", "sdmt",
    ]  # fmt: skip


def test_action_codes_and_displays_come_from_the_code_system() -> None:
    concepts = read_conformance("CodeSystem", "ms-monitoring-action")["concept"]
    assert tuple(c["code"] for c in concepts) == ACTION_CODES
    assert {c["code"]: c["display"] for c in concepts} == ACTION_DISPLAY


def test_canonical_base_moves_the_projects_own_systems_only() -> None:
    term = load_terminology("https://ehr.example/fhir/msm/")
    assert term.ms_observation_system == "https://ehr.example/fhir/msm/CodeSystem/ms-observation"
    assert ("https://ehr.example/fhir/msm/CodeSystem/ms-observation", "edss") in term.edss
    assert (SNOMED, "273554001") in term.edss


def test_a_value_set_with_a_filter_is_refused() -> None:
    def read(resource_type: str, resource_id: str) -> dict[str, Any]:
        resource = read_conformance(resource_type, resource_id)
        if resource_id == "ms-diagnosis":
            resource["compose"]["include"] = [
                {"system": SNOMED, "filter": [{"property": "concept", "op": "is-a", "value": "1"}]}
            ]
        return resource

    with pytest.raises(ValueError, match="enumerated"):
        parse_terminology(read)


def test_protocol_has_one_activity_per_action_with_citations() -> None:
    plan = read_conformance("PlanDefinition", "benign-ms-monitoring")
    activities = {a["code"]["coding"][0]["code"]: a for a in by_type("ActivityDefinition")}
    assert set(activities) == set(ACTION_CODES)
    assert [a["code"][0]["coding"][0]["code"] for a in plan["action"]] == list(ACTION_CODES)
    for action in plan["action"]:
        activity = activities[action["code"][0]["coding"][0]["code"]]
        assert action["definitionCanonical"] == activity["url"]
        assert activity["profile"] == f"{BASE}/StructureDefinition/{PROFILE_IDS['task']}"
        assert activity["relatedArtifact"]


def test_every_source_the_engine_cites_is_cited_by_the_protocol() -> None:
    as_of = date(2026, 1, 15)
    cited = {
        a["code"]["coding"][0]["code"]: {r["citation"] for r in a["relatedArtifact"]}
        for a in by_type("ActivityDefinition")
    }
    seen = 0
    for patient in cohort(as_of=as_of):
        for rec in evaluate_patient(patient.resources, EvaluationContext(as_of)).recommendations:
            assert set(rec.source) <= cited[rec.code], rec.code
            seen += 1
    assert seen > 100


def test_careplan_instantiates_the_published_plan_definition() -> None:
    plan = read_conformance("PlanDefinition", "benign-ms-monitoring")
    examples = REPO / "fhir_profiles" / "examples"
    careplan = json.loads(next(examples.glob("CarePlan-*.json")).read_text())
    assert careplan["instantiatesCanonical"] == [plan["url"]]


def test_bundle_puts_every_resource_by_id_under_the_canonical_base() -> None:
    bundle = conformance_bundle()
    urls = [e["request"]["url"] for e in bundle["entry"]]
    assert len(urls) == len(set(urls)) == len(list((REPO / "fhir_profiles/resources").glob("*")))
    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert entry["request"]["method"] == "PUT"
        assert resource["url"] == f"{BASE}/{resource['resourceType']}/{resource['id']}"
    types = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert types.index("StructureDefinition") > max(
        i for i, t in enumerate(types) if t == "ValueSet"
    )


def test_value_sets_used_by_the_engine_enumerate_their_concepts() -> None:
    for value_set in by_type("ValueSet"):
        if value_set["id"] == "ms-monitoring-action":
            continue  # the whole CodeSystem, for Task.code binding only
        assert enumerated_concepts(value_set)
