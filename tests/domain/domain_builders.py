"""Small builders of synthetic FHIR R4 dicts for the engine's table-driven tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from smart_app.domain import EvaluationContext, PatientReport, evaluate_patient
from smart_app.domain.dates import add_months

Resource = dict[str, Any]
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
DCM = "http://dicom.nema.org/resources/ontology/DCM"
MSOBS = "http://example.org/fhir/ms-monitor/CodeSystem/ms-observation"
D = date(2026, 11, 24)
PID = "p1"
SUBJECT = {"reference": f"Patient/{PID}"}
RX = {
    "interferon beta-1a": "75917",
    "glatiramer": "214582",
    "natalizumab": "354770",
    "ocrelizumab": "1876366",
    "fingolimod": "1012892",
}


def iso(day: date | str) -> str:
    return day if isinstance(day, str) else day.isoformat()


def months_before(months: int, day: date = D) -> date:
    return add_months(day, -months)


def patient(birth: str = "1970-01-01") -> Resource:
    return {"resourceType": "Patient", "id": PID, "birthDate": birth}


def ms_condition(
    onset: date | str | None = "2010-01-01", rid: str = "ms", **extra: Any
) -> Resource:
    res: Resource = {
        "resourceType": "Condition",
        "id": rid,
        "subject": SUBJECT,
        "code": {"coding": [{"system": SNOMED, "code": "24700007"}]},
        **extra,
    }
    if onset is not None:
        res["onsetDateTime"] = iso(onset)
    return res


def relapse(onset: date | str, rid: str = "rel") -> Resource:
    return {
        "resourceType": "Condition",
        "id": rid,
        "subject": SUBJECT,
        "code": {"coding": [{"system": SNOMED, "code": "192929006"}]},
        "onsetDateTime": iso(onset),
    }


def observation(code: Resource, day: date | str | None, rid: str, **value: Any) -> Resource:
    res: Resource = {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "subject": SUBJECT,
        "code": code,
        **value,
    }
    if day is not None:
        res["effectiveDateTime"] = iso(day)
    return res


def edss(day: date | str | None, value: float, rid: str = "edss", **extra: Any) -> Resource:
    code = {"coding": [{"system": SNOMED, "code": "273554001"}]}
    return {**observation(code, day, rid, valueQuantity={"value": value}), **extra}


def msobs(code: str, day: date | str | None, rid: str, **value: Any) -> Resource:
    return observation({"coding": [{"system": MSOBS, "code": code}]}, day, rid, **value)


def lesions(day: date | str, kind: str, count: int, rid: str = "les") -> Resource:
    return msobs(kind, day, rid, valueInteger=count)


def jcv(day: date | str, positive: bool | None, rid: str = "jcv") -> Resource:
    code = {True: "10828004", False: "260385009", None: "82334004"}[positive]
    return msobs(
        "jcv-antibody",
        day,
        rid,
        valueCodeableConcept={"coding": [{"system": SNOMED, "code": code}]},
    )


def mfis(day: date | str, value: float, rid: str = "mfis") -> Resource:
    return msobs("mfis", day, rid, valueInteger=value)


def sdmt(day: date | str, value: float, rid: str = "sdmt") -> Resource:
    return msobs("sdmt", day, rid, valueInteger=value)


def mri(day: date | str | None, rid: str = "mri", region: str = "brain") -> Resource:
    codes = {"brain": "24590-2", "spine": "24935-9", "other": "30704-1"}
    res: Resource = {
        "resourceType": "ImagingStudy",
        "id": rid,
        "status": "available",
        "subject": SUBJECT,
        "modality": [{"system": DCM, "code": "MR"}],
        "procedureCode": [{"coding": [{"system": LOINC, "code": codes[region]}]}],
    }
    if day is not None:
        res["started"] = iso(day)
    return res


def dmt(
    ingredient: str,
    start: date | str,
    rid: str = "dmt",
    status: str = "active",
    *,
    by_text: bool = False,
    statement: bool = False,
    end: date | str | None = None,
) -> Resource:
    concept: Resource = (
        {"text": ingredient}
        if by_text
        else {"coding": [{"system": RXNORM, "code": RX[ingredient], "display": ingredient}]}
    )
    if statement:
        period: Resource = {"start": iso(start)}
        if end is not None:
            period["end"] = iso(end)
        return {
            "resourceType": "MedicationStatement",
            "id": rid,
            "status": status,
            "subject": SUBJECT,
            "medicationCodeableConcept": concept,
            "effectivePeriod": period,
        }
    return {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": status,
        "intent": "order",
        "subject": SUBJECT,
        "medicationCodeableConcept": concept,
        "authoredOn": iso(start),
    }


def benign_base(onset: str = "2010-01-01", edss_value: float = 2.0) -> list[Resource]:
    """A benign patient: MS since 2010, stable EDSS 2.0 two months ago, recent MRI and screens."""
    return [
        patient(),
        ms_condition(onset),
        edss(months_before(2), edss_value),
        mri(months_before(3)),
        mfis(months_before(2), 20),
        sdmt(months_before(2), 50),
    ]


def evaluate(resources: list[Resource], as_of: date = D) -> PatientReport:
    return evaluate_patient(resources, EvaluationContext(as_of))


def codes(report: PatientReport) -> list[str]:
    return [r.code for r in report.recommendations]


def rec(report: PatientReport, code: str) -> Any:
    found = [r for r in report.recommendations if r.code == code]
    assert len(found) == 1, f"{code} not in {codes(report)}"
    return found[0]


def issue_codes(report: PatientReport) -> list[str]:
    return [i.code for i in report.data_issues]
