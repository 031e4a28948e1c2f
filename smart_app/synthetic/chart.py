"""Builder of one synthetic patient's FHIR R4 resources.

Ids are client-assigned and prefixed with the patient id (``msm-001-edss-3``), so that a
transaction of ``PUT Type/id`` entries is idempotent on a real server. Every resource carries a
``meta.tag`` and the HL7 ``HTEST`` security label (test health data) so nobody
mistakes it for a real record.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from copy import deepcopy
from datetime import date
from typing import Any

from dateutil.relativedelta import relativedelta

from smart_app.synthetic import codes
from smart_app.synthetic.model import Resource

Code = tuple[str, str, str]

UNKNOWN_EXTENSION_URL = "http://legacy-ehr.example.com/fhir/StructureDefinition/source-system-row"


def coding(code: Code) -> dict[str, str]:
    """A FHIR Coding from a ``(system, code, display)`` triple."""
    system, value, display = code
    return {"system": system, "code": value, "display": display}


def concept(*code_list: Code, text: str | None = None) -> dict[str, Any]:
    """A CodeableConcept of the given codings (text defaults to the first display)."""
    result: dict[str, Any] = {"coding": [coding(c) for c in code_list]}
    result["text"] = text if text is not None else code_list[0][2]
    return result


def score(value: float | str, unit: str = "{score}") -> dict[str, Any]:
    """A UCUM Quantity; scores use the annotation unit ``{score}``."""
    return {
        "value": value,
        "unit": "score" if unit == "{score}" else unit,
        "system": codes.UCUM,
        "code": unit,
    }


class Chart:
    """Collects the resources of one patient; dates are relative to ``as_of``."""

    def __init__(self, patient_id: str, as_of: date) -> None:
        self.patient_id = patient_id
        self.as_of = as_of
        self.resources: list[Resource] = []
        self.offline_only: list[Resource] = []
        self._counts: dict[str, int] = {}

    # -- dates ---------------------------------------------------------------------------------
    def ago(self, *, years: int = 0, months: int = 0, days: int = 0) -> date:
        """``as_of`` minus a calendar interval (relativedelta clamps month ends, like the spec)."""
        return self.as_of - relativedelta(years=years, months=months, days=days)

    def ahead(self, *, years: int = 0, months: int = 0, days: int = 0) -> date:
        """``as_of`` plus a calendar interval: future-dated records (data issue ``future-date``)."""
        return self.as_of + relativedelta(years=years, months=months, days=days)

    # -- plumbing ------------------------------------------------------------------------------
    @property
    def subject(self) -> dict[str, str]:
        return {"reference": f"Patient/{self.patient_id}"}

    def _new(self, resource_type: str, kind: str) -> Resource:
        count = self._counts.get(kind, 0) + 1
        self._counts[kind] = count
        resource: Resource = {
            "resourceType": resource_type,
            "id": f"{self.patient_id}-{kind}-{count}",
            "meta": _meta(),
        }
        self.resources.append(resource)
        return resource

    def duplicate(self, resource: Resource) -> Resource:
        """A second copy of ``resource`` under a new id, as a second source system would send it."""
        kind = resource["id"].removeprefix(f"{self.patient_id}-").rsplit("-", 1)[0]
        copy = self._new(resource["resourceType"], kind)
        copy.update(deepcopy({k: v for k, v in resource.items() if k not in ("id", "meta")}))
        return copy

    # -- Patient and Conditions ----------------------------------------------------------------
    def patient(self, *, birth_date: date, gender: str = "female", given: str = "Test") -> Resource:
        """An obviously fake Patient (HTEST-labelled, family name ``Synthetic-Cohort``)."""
        resource: Resource = {
            "resourceType": "Patient",
            "id": self.patient_id,
            "meta": _meta(),
            "identifier": [
                {
                    "system": "http://example.org/fhir/ms-monitor/synthetic-mrn",
                    "value": self.patient_id.upper(),
                }
            ],
            "name": [
                {
                    "use": "official",
                    "family": "Synthetic-Cohort",
                    "given": [given, self.patient_id.replace("-", "").capitalize()],
                }
            ],
            "gender": gender,
            "birthDate": birth_date.isoformat(),
        }
        self.resources.insert(0, resource)
        return resource

    def condition(
        self,
        code: Code,
        *,
        kind: str,
        onset: date | None = None,
        recorded: date | None = None,
        verification: str = "confirmed",
        clinical: str | None = "active",
        category: str = "problem-list-item",
        **onset_x: Any,
    ) -> Resource:
        """A Condition; ``onset_x`` may pass ``onsetAge``/``onsetPeriod`` instead of a dateTime."""
        resource = self._new("Condition", kind)
        if verification != "entered-in-error" and clinical is not None:
            resource["clinicalStatus"] = {
                "coding": [{"system": codes.CONDITION_CLINICAL, "code": clinical}]
            }
        resource["verificationStatus"] = {
            "coding": [{"system": codes.CONDITION_VERIFICATION, "code": verification}]
        }
        resource["category"] = [
            {"coding": [{"system": codes.CONDITION_CATEGORY, "code": category}]}
        ]
        resource["code"] = concept(code)
        resource["subject"] = self.subject
        if onset is not None:
            resource["onsetDateTime"] = onset.isoformat()
        resource.update(onset_x)
        if recorded is not None:
            resource["recordedDate"] = recorded.isoformat()
        return resource

    def ms_diagnosis(
        self, onset: date | None, *, code: Code = codes.MS_SNOMED, **kwargs: Any
    ) -> Resource:
        """The MS diagnosis; the recorded date is the onset plus a year (diagnostic delay)."""
        recorded = kwargs.pop("recorded", onset + relativedelta(years=1) if onset else None)
        return self.condition(code, kind="ms", onset=onset, recorded=recorded, **kwargs)

    def relapse(self, onset: date, *, verification: str = "confirmed") -> Resource:
        """An MS exacerbation (SNOMED 192929006), resolved, as a clinic records it afterwards."""
        return self.condition(
            codes.RELAPSE_SNOMED,
            kind="relapse",
            onset=onset,
            recorded=onset,
            verification=verification,
            clinical="resolved",
            category="encounter-diagnosis",
        )

    # -- Observations --------------------------------------------------------------------------
    def observation(
        self,
        code: Code,
        when: date | None,
        *,
        kind: str,
        status: str = "final",
        category: str = "exam",
        **value_x: Any,
    ) -> Resource:
        resource = self._new("Observation", kind)
        resource["status"] = status
        resource["category"] = [
            {"coding": [{"system": codes.OBSERVATION_CATEGORY, "code": category}]}
        ]
        resource["code"] = concept(code)
        resource["subject"] = self.subject
        if when is not None:
            resource["effectiveDateTime"] = when.isoformat()
        resource.update(value_x)
        return resource

    def edss(
        self,
        when: date | None,
        value: float | str,
        *,
        code: Code = codes.EDSS_SNOMED,
        status: str = "final",
        unit: str = "{score}",
        as_integer: bool = False,
    ) -> Resource:
        """An EDSS score (valueQuantity ``{score}``, or valueInteger for whole steps)."""
        if as_integer:
            return self.observation(code, when, kind="edss", status=status, valueInteger=int(value))
        return self.observation(
            code, when, kind="edss", status=status, valueQuantity=score(value, unit)
        )

    def edss_series(self, series: Sequence[tuple[date, float]]) -> date:
        """Several EDSS visits; returns the date of the last one."""
        for when, value in series:
            self.edss(when, value)
        return series[-1][0]

    def lesions(self, code: Code, when: date, count: int, study: Resource | None) -> Resource:
        """An MRI-findings count (new/enlarging T2 or Gd-enhancing lesions) from a study."""
        extra: dict[str, Any] = {"valueInteger": count}
        if study is not None:
            extra["derivedFrom"] = [{"reference": f"ImagingStudy/{study['id']}"}]
        return self.observation(code, when, kind="lesions", category="imaging", **extra)

    def jcv(self, when: date, *, positive: bool) -> Resource:
        """Anti-JCV antibody serology, positive or negative."""
        result = codes.JCV_POSITIVE if positive else codes.JCV_NEGATIVE
        return self.observation(
            codes.JCV_ANTIBODY,
            when,
            kind="jcv",
            category="laboratory",
            valueCodeableConcept=concept(result),
        )

    def jcv_index(self, when: date, index: float) -> Resource:
        """Anti-JCV antibody index (STRATIFY JCV DxSelect): a number, no coded result."""
        return self.observation(
            codes.JCV_ANTIBODY,
            when,
            kind="jcv",
            category="laboratory",
            valueQuantity={"value": index, "system": codes.UCUM, "code": "1", "unit": "index"},
        )

    def mfis(self, when: date, value: int) -> Resource:
        """Modified Fatigue Impact Scale total (0-84)."""
        return self.observation(
            codes.MFIS, when, kind="mfis", category="survey", valueQuantity=score(value)
        )

    def sdmt(self, when: date, value: int) -> Resource:
        """Symbol Digit Modalities Test, correct answers (0-110)."""
        return self.observation(
            codes.SDMT, when, kind="sdmt", category="survey", valueQuantity=score(value)
        )

    def screening(self, when: date, *, mfis: int = 20, sdmt: int = 55) -> date:
        """Fatigue and cognition screened on the same visit; returns the symptom-screen due date."""
        self.mfis(when, mfis)
        self.sdmt(when, sdmt)
        return when + relativedelta(months=12)

    # -- Imaging -------------------------------------------------------------------------------
    def imaging(
        self,
        when: date,
        *,
        procedure: Code | None,
        body_site: Code | None,
        status: str = "available",
        modality_on_study: bool = True,
    ) -> Resource:
        """An MR ImagingStudy with one series; the region comes from procedureCode or bodySite."""
        resource = self._new("ImagingStudy", "mri")
        resource["status"] = status
        if modality_on_study:
            resource["modality"] = [coding(codes.MR_MODALITY)]
        resource["subject"] = self.subject
        resource["started"] = when.isoformat()
        resource["numberOfSeries"] = 1
        if procedure is not None:
            resource["procedureCode"] = [concept(procedure)]
        series: dict[str, Any] = {
            "uid": _dicom_uid(resource["id"]),
            "number": 1,
            "modality": coding(codes.MR_MODALITY),
            "numberOfInstances": 176,
        }
        if body_site is not None:
            series["bodySite"] = coding(body_site)
        resource["series"] = [series]
        return resource

    def brain_mri(
        self,
        when: date,
        *,
        new_t2: int | None = 0,
        gd: int | None = 0,
        by_body_site: bool = False,
        status: str = "available",
    ) -> Resource:
        """A brain MRI (LOINC procedure, or only a brain bodySite) and its lesion counts."""
        if by_body_site:
            study = self.imaging(
                when,
                procedure=None,
                body_site=codes.BRAIN_SITE,
                modality_on_study=False,
                status=status,
            )
        else:
            study = self.imaging(
                when, procedure=codes.BRAIN_MRI_LOINC, body_site=codes.BRAIN_SITE, status=status
            )
        if new_t2 is not None:
            self.lesions(codes.NEW_T2, when, new_t2, study)
        if gd is not None:
            self.lesions(codes.GD_LESIONS, when, gd, study)
        return study

    def mri_report(self, when: date, *, code: Code = codes.BRAIN_MRI_CPT) -> Resource:
        """A final radiology DiagnosticReport of an MRI, free text only (no lesion counts)."""
        resource = self._new("DiagnosticReport", "mri-report")
        resource["status"] = "final"
        resource["category"] = [concept(codes.RADIOLOGY)]
        resource["code"] = concept(code)
        resource["subject"] = self.subject
        resource["effectiveDateTime"] = when.isoformat()
        resource["conclusion"] = "Stable appearances; see the full report."
        return resource

    def spine_mri(self, when: date) -> Resource:
        """A cervical-spine MRI: an MRI, but never the yearly brain MRI."""
        return self.imaging(when, procedure=codes.SPINE_MRI_LOINC, body_site=None)

    # -- DMTs ----------------------------------------------------------------------------------
    def _medication(self, ingredient: str, text_only: bool) -> dict[str, Any]:
        if text_only:
            return {"text": f"{ingredient} 20 MG/ML prefilled syringe"}
        return {
            "coding": [
                {
                    "system": codes.RXNORM,
                    "code": codes.DMT_RXNORM[ingredient],
                    "display": ingredient,
                }
            ],
            "text": ingredient,
        }

    def dmt_request(self, ingredient: str, start: date, *, status: str = "active") -> Resource:
        """A DMT prescription (MedicationRequest) coded with the RxNorm ingredient."""
        resource = self._new("MedicationRequest", "dmt")
        resource["status"] = status
        resource["intent"] = "order"
        resource["medicationCodeableConcept"] = self._medication(ingredient, text_only=False)
        resource["subject"] = self.subject
        resource["authoredOn"] = start.isoformat()
        return resource

    def dmt_administration(self, ingredient: str, when: date) -> Resource:
        """One dose given in clinic (MedicationAdministration, completed)."""
        resource = self._new("MedicationAdministration", "dose")
        resource["status"] = "completed"
        resource["medicationCodeableConcept"] = self._medication(ingredient, text_only=False)
        resource["subject"] = self.subject
        resource["effectiveDateTime"] = when.isoformat()
        return resource

    def dmt_statement(
        self,
        ingredient: str,
        start: date,
        *,
        end: date | None = None,
        status: str = "active",
        text_only: bool = False,
    ) -> Resource:
        """A DMT the patient takes or took (MedicationStatement with effectivePeriod)."""
        resource = self._new("MedicationStatement", "dmt")
        resource["status"] = status
        resource["medicationCodeableConcept"] = self._medication(ingredient, text_only)
        resource["subject"] = self.subject
        period = {"start": start.isoformat()}
        if end is not None:
            period["end"] = end.isoformat()
        resource["effectivePeriod"] = period
        resource["dateAsserted"] = (end or start).isoformat()
        return resource


def add_unknown_extension(resource: Resource, value: str) -> None:
    """Real EHR exports carry extensions nobody here knows; they must be ignored, not choked on."""
    resource.setdefault("extension", []).append(
        {"url": UNKNOWN_EXTENSION_URL, "valueString": value}
    )


def _dicom_uid(seed: str) -> str:
    """A stable DICOM UID under the UUID-derived root 2.25 (PS3.5 B.2), at most 64 chars."""
    number = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:16], "big")
    return f"2.25.{number}"


_TAG: list[dict[str, str]] = [
    {"system": codes.SYNTHETIC_TAG_SYSTEM, "code": codes.SYNTHETIC_TAG_CODE}
]
_SECURITY: list[dict[str, str]] = [
    {"system": codes.ACT_REASON, "code": "HTEST", "display": "test health data"}
]


def _meta() -> dict[str, Any]:
    """A fresh meta per resource (a client may add versionId/lastUpdated in place); the codings
    inside are shared and must be treated as read-only."""
    return {"tag": _TAG, "security": _SECURITY}
