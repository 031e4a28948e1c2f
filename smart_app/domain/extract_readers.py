"""One reader per FHIR resource type the engine reads (docs/clinical-rules.md, "Inputs").

Each reader adds what it recognises to the :class:`Collector` and reports what it skips or doubts
as a data issue; none raises on bad data (the extractor catches the unexpected as a last resort).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date

import msgspec

from smart_app.domain.context import EvaluationContext
from smart_app.domain.dates import DateRange, add_days, add_months, parse_fhir_date
from smart_app.domain.extract_dmt import DmtRecord, dmt_record
from smart_app.domain.fhir_read import (
    JsonDict,
    codings,
    concept_in,
    date_of,
    get_dict,
    get_list,
    number,
    numeric_value,
    status_code,
)
from smart_app.domain.patients import _normalise, subject_of
from smart_app.domain.terminology import Coding, Terminology
from smart_app.domain.timeline import (
    DataIssue,
    JcvResult,
    MriFinding,
    MriStudy,
    Relapse,
    Score,
)

FINAL = frozenset({"final", "amended", "corrected"})
UNCONFIRMED = frozenset({"provisional", "differential", "unconfirmed"})
EFFECTIVE = ("effectiveDateTime", "effectivePeriod", "effectiveInstant")
SCORE_RANGES = {"mfis": (0.0, 84.0), "sdmt": (0.0, 110.0)}
PLAIN_NUMBER = re.compile(r"^\s*\d{1,2}(\.\d+)?\s*$")


class ConditionRecord(msgspec.Struct, frozen=True):
    """An MS diagnosis Condition as read: its dates, phenotype and verification.

    An extractor-private record, a frozen C struct: cheaper to build than a named tuple or a
    frozen dataclass, whose ``__init__`` sets each field through ``object.__setattr__``."""

    ref: str
    onset: DateRange | None
    recorded: DateRange | None
    progressive: bool
    unconfirmed: bool


class Collector:
    """Mutable accumulation while reading one patient's resources."""

    def __init__(self, context: EvaluationContext, patient_aliases: set[str]) -> None:
        self.context = context
        self.as_of = context.as_of
        self.term: Terminology = context.terminology
        self.aliases = patient_aliases
        self.birth_date: DateRange | None = None
        self.issues: list[DataIssue] = []
        self.conditions: list[ConditionRecord] = []
        self.relapses: list[Relapse] = []
        self.edss_raw: list[tuple[date, float, str]] = []
        self.edss_unreadable: list[tuple[date, str]] = []
        self.brain: list[MriStudy] = []
        self.spine: list[MriStudy] = []
        self.findings: list[MriFinding] = []
        self.dmts: list[DmtRecord] = []
        self.jcv: list[JcvResult] = []
        self.scores: dict[str, list[Score]] = {"mfis": [], "sdmt": []}
        self.medications: dict[str, JsonDict] = {}
        self.observation_kinds = self.term.observation_kinds

    def issue(self, code: str, ref: str, message: str) -> None:
        self.issues.append(DataIssue(code, ref, message))

    def event_date(self, rng: DateRange | None, ref: str, what: str) -> date | None:
        """Earliest day of a 'last done' date; None (with a data issue) when missing or future."""
        if rng is None:
            self.issue("missing-date", ref, f"{what} has no date: ignored")
            return None
        if rng.earliest > self.as_of:
            self.issue("future-date", ref, f"{what} dated after {self.as_of}: ignored")
            return None
        return rng.earliest

    def belongs_to_patient(self, res: JsonDict, ref: str) -> bool:
        found = res.get("subject")  # the usual element, read without a loop over the others
        subject = found.get("reference") if isinstance(found, dict) else None
        if not isinstance(subject, str):
            subject = subject_of(res)
        if subject is None:
            self.issue("invalid-resource", ref, "no subject/patient reference: ignored")
            return False
        if self.aliases and subject not in self.aliases and _normalise(subject) not in self.aliases:
            self.issue("invalid-resource", ref, f"belongs to {subject}, not this patient: ignored")
            return False
        return True


def _onset_range(res: JsonDict, birth: DateRange | None) -> DateRange | None:
    rng = parse_fhir_date(res.get("onsetDateTime"))  # the usual onset[x], first
    if rng is None:
        rng = date_of(res, "onsetPeriod", "onsetString")
    if rng is not None:
        return rng
    age = get_dict(res, "onsetAge")
    if age is None or birth is None:
        return None
    value = number(age.get("value"))
    unit = str(age.get("code") or age.get("unit") or "a").lower()
    if value is None or value < 0 or value > 150:
        return None
    if unit in ("a", "year", "years", "yr"):
        months = int(value * 12)
        latest = (
            add_days(add_months(birth.latest, months + 12), -1)
            if value.is_integer()
            else (add_months(birth.latest, months))
        )
        return DateRange(add_months(birth.earliest, months), latest, True)
    if unit in ("mo", "month", "months"):
        return DateRange(
            add_months(birth.earliest, int(value)), add_months(birth.latest, int(value)), True
        )
    days = int(value * 7) if unit in ("wk", "week", "weeks") else int(value)
    return DateRange(add_days(birth.earliest, days), add_days(birth.latest, days), True)


def read_condition(res: JsonDict, ref: str, col: Collector) -> None:
    """An MS diagnosis or a relapse; a relapse co-coded as MS is a relapse, never the diagnosis."""
    verification = status_code(res.get("verificationStatus"))
    if verification in ("entered-in-error", "refuted"):
        return
    code = res.get("code")
    is_relapse = concept_in(code, col.term.relapse)
    is_ms = not is_relapse and concept_in(code, col.term.ms_diagnosis)
    if not (is_ms or is_relapse) or not col.belongs_to_patient(res, ref):
        return
    onset = _onset_range(res, col.birth_date)
    recorded = parse_fhir_date(res.get("recordedDate"))
    if is_relapse:
        rng = onset or recorded
        if col.event_date(rng, ref, "relapse") is not None and rng is not None:
            col.relapses.append(Relapse(rng.earliest, min(rng.latest, col.as_of), ref))
        return
    unconfirmed = verification in UNCONFIRMED
    if unconfirmed:
        col.issue(
            "diagnosis-unconfirmed",
            ref,
            f"MS diagnosis is {verification}: counted, but never called benign on it alone",
        )
    col.conditions.append(
        ConditionRecord(ref, onset, recorded, concept_in(code, col.term.progressive), unconfirmed)
    )


def _observation_kind(code: JsonDict, kinds: Mapping[Coding, str]) -> str | None:
    coding_list = code.get("coding")
    if isinstance(coding_list, list):  # the usual shape, without a generator per resource
        for coding in coding_list:
            if isinstance(coding, dict):
                kind = kinds.get((coding.get("system"), coding.get("code")))  # type: ignore[arg-type]
                if kind is not None:
                    return kind
        return None
    for system_code in codings(code):
        kind = kinds.get(system_code)
        if kind is not None:
            return kind
    return None


def read_observation(res: JsonDict, ref: str, col: Collector) -> None:
    status = res.get("status")
    code = res.get("code")
    if not isinstance(status, str) or not isinstance(code, dict):
        col.issue("invalid-resource", ref, "Observation without status or code: ignored")
        return
    kind = _observation_kind(code, col.observation_kinds)
    if kind is None or status not in FINAL or not col.belongs_to_patient(res, ref):
        return
    if "dataAbsentReason" in res and not any(k.startswith("value") for k in res):
        return  # not a measurement: nothing to read, nothing to doubt
    rng = parse_fhir_date(res.get("effectiveDateTime"))  # the usual one of EFFECTIVE, first
    if rng is None:
        rng = date_of(res, *EFFECTIVE[1:])
    if rng is None or rng.earliest > col.as_of:
        col.event_date(rng, ref, f"{kind} result")  # the missing-date or future-date issue
        return
    day = rng.earliest
    if kind == "edss":
        _read_edss(res, ref, day, col)
    elif kind == "jcv":
        _read_jcv(res, ref, day, col)
    else:
        _read_count_or_score(res, ref, day, kind, col)


def _read_edss(res: JsonDict, ref: str, day: date, col: Collector) -> None:
    """An EDSS; one that cannot be read is remembered: never benign on an older value."""
    text = res.get("valueString")
    if isinstance(text, str) and "valueQuantity" not in res and "valueInteger" not in res:
        if not PLAIN_NUMBER.match(text):
            col.issue("invalid-resource", ref, f"EDSS text {text[:20]!r} is not a number: ignored")
            col.edss_unreadable.append((day, ref))
            return
        col.issue("edss-as-text", ref, f"EDSS recorded as text {text.strip()!r}: read as a number")
        value: float | None = float(text)
    else:
        value, bad_unit = numeric_value(res)
        if bad_unit is not None:
            col.issue("unit-mismatch", ref, f"edss has unit '{bad_unit}', expected a score")
            col.edss_unreadable.append((day, ref))
            return
    if value is None:
        col.issue("invalid-resource", ref, "edss has no numeric value: ignored")
        col.edss_unreadable.append((day, ref))
    elif not 0.0 <= value <= 10.0:
        col.issue("edss-out-of-range", ref, f"EDSS {value:g} is outside 0-10: ignored")
        col.edss_unreadable.append((day, ref))
    elif not (value * 2).is_integer():
        col.issue("edss-invalid-step", ref, f"EDSS {value:g} is not in 0.5 steps: ignored")
        col.edss_unreadable.append((day, ref))
    else:
        col.edss_raw.append((day, value, ref))


def _read_count_or_score(res: JsonDict, ref: str, day: date, kind: str, col: Collector) -> None:
    value, bad_unit = numeric_value(res)
    if bad_unit is not None:
        col.issue("unit-mismatch", ref, f"{kind} has unit '{bad_unit}', expected a score/count")
        return
    if value is None:
        col.issue("invalid-resource", ref, f"{kind} has no numeric value: ignored")
        return
    if kind in SCORE_RANGES:
        low, high = SCORE_RANGES[kind]
        if low <= value <= high:
            col.scores[kind].append(Score(day, value, ref))
        else:
            col.issue("invalid-resource", ref, f"{kind.upper()} {value:g} outside {low:g}-{high:g}")
    elif value < 0 or not value.is_integer():
        col.issue("invalid-resource", ref, f"{kind} count {value:g} is not a lesion count")
    else:
        col.findings.append(MriFinding(day, kind, value, ref))


def _read_jcv(res: JsonDict, ref: str, day: date, col: Collector) -> None:
    """Coded positive/negative, or an index (< 0.20 negative, > 0.40 positive); index decides."""
    rules = col.context.rules
    concept = res.get("valueCodeableConcept")
    quantity = get_dict(res, "valueQuantity")
    index = number(quantity.get("value")) if quantity is not None else None
    if index is None and not isinstance(concept, dict):
        col.issue("invalid-resource", ref, "JCV result without a coded value or index: ignored")
        return
    positive: bool | None = None
    if index is not None:
        if index < rules.jcv_index_negative_below:
            positive = False
        elif index > rules.jcv_index_positive_above:
            positive = True
    elif concept_in(concept, col.term.jcv_positive):
        positive = True
    elif concept_in(concept, col.term.jcv_negative):
        positive = False
    high = positive is True and index is not None and index > rules.jcv_index_high_above
    col.jcv.append(JcvResult(day, positive, ref, index, high))


def _mri_region(codes: list[object], term: Terminology) -> str | None:
    for concept in codes:
        if concept_in(concept, term.brain_mri_procedure):
            return "brain"
    for concept in codes:
        if concept_in(concept, term.spinal_mri_procedure):
            return "spine"
    return None


def _series(res: JsonDict) -> list[JsonDict]:
    return [s for s in get_list(res, "series") if isinstance(s, dict)]


def _is_mr(res: JsonDict, modality: frozenset[Coding]) -> bool:
    """An MR study: a study modality or a series modality is MR."""
    for concept in get_list(res, "modality"):
        if concept_in(concept, modality):
            return True
    return any(concept_in(one.get("modality"), modality) for one in _series(res))


def read_imaging(res: JsonDict, ref: str, col: Collector) -> None:
    if res.get("status") != "available":
        return
    if not _is_mr(res, col.term.mri_modality) or not col.belongs_to_patient(res, ref):
        return
    region = _mri_region(get_list(res, "procedureCode"), col.term)
    if region is None and any(
        concept_in(s.get("bodySite"), col.term.brain_body_site) for s in _series(res)
    ):
        region = "brain"
    if region is None:
        col.issue("mri-region-unknown", ref, "MR study is neither brain nor spine: not counted")
        return
    rng = parse_fhir_date(res.get("started"))
    day = rng.earliest if rng is not None and rng.earliest <= col.as_of else None
    if day is None:
        col.event_date(rng, ref, "MRI")  # the missing-date or future-date issue
        return
    (col.brain if region == "brain" else col.spine).append(MriStudy(day, region, ref))


def read_report(res: JsonDict, ref: str, col: Collector) -> None:
    """A final radiology DiagnosticReport of a brain or spinal MRI (by its code), and the MRI
    findings it holds as contained Observations (``result`` ``#id``)."""
    if res.get("status") not in FINAL:
        return
    region = _mri_region([res.get("code")], col.term)
    findings = _contained_findings(res, col.observation_kinds) if "contained" in res else []
    if (region is None and not findings) or not col.belongs_to_patient(res, ref):
        return
    if region is not None:
        day = col.event_date(
            date_of(res, "effectiveDateTime", "effectivePeriod"), ref, "MRI report"
        )
        if day is not None:
            study = MriStudy(day, region, ref, report=True)
            (col.brain if region == "brain" else col.spine).append(study)
    for finding in findings:
        read_observation(_in_report_context(finding, res), ref, col)


#: Observation kinds read from a report's contained Observations: the MRI findings.
MRI_FINDING_KINDS = frozenset({"new-t2-lesions", "gd-lesions"})


def _contained_findings(report: JsonDict, kinds: Mapping[Coding, str]) -> list[JsonDict]:
    """The contained Observations a report's ``result`` points at (``#id``) whose code is an MRI
    finding's (https://hl7.org/fhir/R4/references.html#contained). Other contained results
    (a lab value, a coded impression) are not MRI findings and are left alone."""
    contained = {
        c["id"]: c
        for c in get_list(report, "contained")
        if isinstance(c, dict)
        and c.get("resourceType") == "Observation"
        and isinstance(c.get("id"), str)
    }
    found: list[JsonDict] = []
    for result in get_list(report, "result"):
        target = result.get("reference") if isinstance(result, dict) else None
        if not isinstance(target, str) or not target.startswith("#"):
            continue
        observation = contained.get(target[1:])
        if observation is None:
            continue
        code = observation.get("code")
        if isinstance(code, dict) and _observation_kind(code, kinds) in MRI_FINDING_KINDS:
            found.append(observation)
    return found


def _in_report_context(observation: JsonDict, report: JsonDict) -> JsonDict:
    """A contained Observation with what it leaves to its report: the subject and the date
    (a contained resource takes its context from its container)."""
    filled = dict(observation)
    if "subject" not in filled and "subject" in report:
        filled["subject"] = report["subject"]
    if not any(key in filled for key in EFFECTIVE):
        for key in ("effectiveDateTime", "effectivePeriod"):
            if key in report:
                filled[key] = report[key]
    return filled


def read_medication(res: JsonDict, ref: str, col: Collector) -> None:
    issues: list[DataIssue] = []
    record = dmt_record(
        res,
        ref,
        medications=col.medications,
        terminology=col.term,
        settings=col.context.rules,
        as_of=col.as_of,
        issues=issues,
    )
    if (record is not None or issues) and not col.belongs_to_patient(res, ref):
        return
    col.issues.extend(issues)
    if record is not None:
        col.dmts.append(record)


READERS: dict[str, Callable[[JsonDict, str, Collector], None]] = {
    "Condition": read_condition,
    "Observation": read_observation,
    "ImagingStudy": read_imaging,
    "DiagnosticReport": read_report,
    "MedicationRequest": read_medication,
    "MedicationStatement": read_medication,
    "MedicationAdministration": read_medication,
}
