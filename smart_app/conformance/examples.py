"""Examples of each profile, generated from the engine's own output for a synthetic patient.

The examples in ``fhir_profiles/examples`` are not hand-written: they are what ms-monitor reads
(the cohort's EDSS and MRI-findings Observations) and writes (the CarePlan and Tasks of
``plan_transaction``) for one scenario patient on a fixed as-of date, so they cannot drift from
the code (a test regenerates them and compares). ``urn:uuid`` references of the transaction are
replaced by stable ids. Synthetic data only.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from smart_app.conformance.bundle import PROFILE_IDS, profile_url
from smart_app.domain import EvaluationContext, evaluate_patient, plan_transaction
from smart_app.domain.terminology import DEFAULT_CANONICAL_BASE
from smart_app.synthetic import cohort

JsonDict = dict[str, Any]
EXAMPLE_AS_OF = date(2026, 1, 15)
#: Benign patient with new T2 lesions: EDSS, MRI findings and a plan with several Tasks.
EXAMPLE_SCENARIO = "activity-mri-new-t2"
MSOBS = f"{DEFAULT_CANONICAL_BASE}/CodeSystem/ms-observation"
EDSS_CODES = frozenset({("http://snomed.info/sct", "273554001"), (MSOBS, "edss")})
MRI_FINDING_CODES = frozenset({(MSOBS, "new-t2-lesions"), (MSOBS, "gd-lesions")})


def observation_profile(resource: JsonDict) -> str | None:
    """The profile id an Observation of the cohort falls under (EDSS, MRI finding), if any."""
    codings = {
        (c.get("system"), c.get("code"))
        for c in (resource.get("code") or {}).get("coding", [])
        if isinstance(c, dict)
    }
    if codings & EDSS_CODES:
        return PROFILE_IDS["edss"]
    if codings & MRI_FINDING_CODES:
        return PROFILE_IDS["mri-finding"]
    return None


def with_profile(resource: JsonDict, profile_id: str) -> JsonDict:
    """A copy of ``resource`` that claims the profile in ``meta.profile``."""
    meta = dict(resource.get("meta") or {})
    meta["profile"] = [profile_url(profile_id)]
    return {**resource, "meta": meta}


def _replace_refs(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _replace_refs(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_refs(v, ids) for v in value]
    if isinstance(value, str):
        return ids.get(value, value)
    return value


def _latest(resources: list[JsonDict], profile_id: str, positive: bool = False) -> JsonDict:
    """The latest Observation of the profile (with a count >= 1 when ``positive``)."""
    matching = [
        r
        for r in resources
        if r.get("resourceType") == "Observation"
        and observation_profile(r) == profile_id
        and r.get("status") == "final"
        and (not positive or (r.get("valueInteger") or 0) >= 1)
    ]
    return max(matching, key=lambda r: str(r.get("effectiveDateTime")))


def generate_examples(as_of: date = EXAMPLE_AS_OF) -> dict[str, JsonDict]:
    """File name -> example resource, for the example scenario patient on ``as_of``."""
    patient = next(p for p in cohort(as_of=as_of) if p.scenario == EXAMPLE_SCENARIO)
    report = evaluate_patient(patient.resources, EvaluationContext(as_of))
    changes = plan_transaction(report, [])
    if changes.bundle is None:
        raise ValueError(f"scenario {EXAMPLE_SCENARIO} wrote no plan")
    written = [entry["resource"] for entry in changes.bundle["entry"]]
    pid = patient.patient_id
    ids: dict[str, str] = {}
    for entry, resource in zip(changes.bundle["entry"], written, strict=True):
        if resource["resourceType"] == "CarePlan":
            new_id = f"{pid}-benign-ms-monitoring"
        else:
            new_id = f"{pid}-{resource['code']['coding'][0]['code']}"
        ids[entry["fullUrl"]] = f"{resource['resourceType']}/{new_id}"
    examples: dict[str, JsonDict] = {}
    for entry, resource in zip(changes.bundle["entry"], written, strict=True):
        rtype, new_id = ids[entry["fullUrl"]].split("/", 1)
        examples[f"{rtype}-{new_id}.json"] = {
            "resourceType": rtype,
            "id": new_id,
            **_replace_refs({k: v for k, v in resource.items() if k != "resourceType"}, ids),
        }
    for profile_id, positive in ((PROFILE_IDS["edss"], False), (PROFILE_IDS["mri-finding"], True)):
        observation = with_profile(_latest(patient.resources, profile_id, positive), profile_id)
        examples[f"Observation-{observation['id']}.json"] = observation
    return dict(sorted(examples.items()))


def example_text(resource: JsonDict) -> str:
    """The committed form of an example: 2-space JSON, newline-terminated."""
    return json.dumps(resource, indent=2, ensure_ascii=False) + "\n"


def write_examples(directory: Path, as_of: date = EXAMPLE_AS_OF) -> list[Path]:
    """(Re)write ``directory`` with the generated examples; stale example files are removed."""
    directory.mkdir(parents=True, exist_ok=True)
    examples = generate_examples(as_of)
    for old in directory.glob("*.json"):
        if old.name not in examples:
            old.unlink()
    paths = []
    for name, resource in examples.items():
        path = directory / name
        path.write_text(example_text(resource), encoding="utf-8")
        paths.append(path)
    return paths
