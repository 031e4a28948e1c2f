"""FHIR resources -> :class:`PatientTimeline` (clinical-rules.md, "Inputs" and "Q. Data quality").

Malformed input never raises: it becomes a data issue and is skipped. Resources with status
entered-in-error (and refuted Conditions) are ignored silently; Observations that are not
final/amended/corrected and ImagingStudies that are not ``available`` are not results yet and are
skipped silently too.

Partial dates (``YYYY``, ``YYYY-MM``) are resolved conservatively for each use:

* when something was *last done* (EDSS, MRI, JCV, MFIS, SDMT, DMT start): the earliest day, so that
  the next one falls due sooner;
* disease onset: the latest day (never after the as-of date), so that the disease duration is never
  overstated and nobody is called "benign" too early;
* relapse onset: the whole range; an EDSS is unstable when any day of the range lies within 30 days
  before it, and a relapse is in the lookback window when any day of the range is.

A date whose earliest day is after the as-of date is a ``future-date`` and the resource is ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from smart_app.domain.dates import DateRange, add_days, add_months, parse_fhir_date
from smart_app.domain.extract_dmt import DmtRecord, dmt_record, exposures
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
from smart_app.domain.patients import Entry, _normalise, iter_entries, subject_of
from smart_app.domain.terminology import Terminology, load_terminology
from smart_app.domain.thresholds import DEFAULT_SETTINGS, RuleSettings
from smart_app.domain.timeline import (
    DataIssue,
    EdssMeasurement,
    JcvResult,
    MriFinding,
    MriStudy,
    MsDiagnosis,
    PatientTimeline,
    Relapse,
    Score,
)

FINAL_OBSERVATION = frozenset({"final", "amended", "corrected"})
CLINICAL_TYPES = frozenset(
    {"Condition", "Observation", "ImagingStudy", "MedicationRequest", "MedicationStatement"}
)
EFFECTIVE = ("effectiveDateTime", "effectivePeriod", "effectiveInstant")
SCORE_RANGES = {"mfis": (0.0, 84.0), "sdmt": (0.0, 110.0)}


class _Collector:
    """Mutable accumulation while reading one patient's resources."""

    def __init__(self, as_of: date, terminology: Terminology, patient_aliases: set[str]) -> None:
        self.as_of = as_of
        self.term = terminology
        self.aliases = patient_aliases
        self.birth_date: DateRange | None = None
        self.issues: list[DataIssue] = []
        self.diagnoses: list[tuple[bool, date | None, str]] = []
        self.relapses: list[Relapse] = []
        self.edss_raw: list[tuple[date, float, str]] = []
        self.brain: list[MriStudy] = []
        self.spine: list[MriStudy] = []
        self.findings: list[MriFinding] = []
        self.dmts: list[DmtRecord] = []
        self.jcv: list[JcvResult] = []
        self.scores: dict[str, list[Score]] = {"mfis": [], "sdmt": []}
        self.medications: dict[str, JsonDict] = {}

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
        subject = subject_of(res)
        if subject is None:
            self.issue("invalid-resource", ref, "no subject/patient reference: ignored")
            return False
        if self.aliases and subject not in self.aliases and _normalise(subject) not in self.aliases:
            self.issue("invalid-resource", ref, f"belongs to {subject}, not this patient: ignored")
            return False
        return True


def extract_timeline(
    resources: object,
    *,
    as_of: date,
    settings: RuleSettings | None = None,
    terminology: Terminology | None = None,
) -> PatientTimeline:
    """Read one patient's resources (Bundle, list of dicts or R4B models) into a timeline."""
    settings = settings or DEFAULT_SETTINGS
    term = terminology or load_terminology(settings.canonical_base)
    entries = list(iter_entries(resources))
    patient, aliases, birth = _find_patient(entries)
    col = _Collector(as_of, term, aliases)
    col.birth_date = birth
    for entry in entries:
        res = entry.resource
        if res is not None and res.get("resourceType") == "Medication":
            for name in (entry.ref, entry.full_url):
                if name:
                    col.medications[name] = res
    seen: set[str] = set()
    for entry in entries:
        _read_entry(entry, col, seen)
    return _build(patient, col, settings)


def _find_patient(entries: list[Entry]) -> tuple[str, set[str], DateRange | None]:
    for entry in entries:
        res = entry.resource
        if res is not None and res.get("resourceType") == "Patient" and entry.ref:
            aliases = {entry.ref, _normalise(entry.ref)}
            if entry.full_url:
                aliases |= {entry.full_url, _normalise(entry.full_url)}
            return _normalise(entry.ref), aliases, parse_fhir_date(res.get("birthDate"))
    for entry in entries:
        if entry.resource is not None:
            subject = subject_of(entry.resource)
            if subject:
                return _normalise(subject), set(), None
    return "Patient/unknown", set(), None


def _read_entry(entry: Entry, col: _Collector, seen: set[str]) -> None:
    res = entry.resource
    label = entry.ref or f"entry[{entry.raw_index}]"
    rtype = res.get("resourceType") if res is not None else None
    if res is None or not isinstance(rtype, str) or not rtype:
        col.issue("invalid-resource", label, "not a FHIR resource (no resourceType): ignored")
        return
    if entry.ref is None:
        col.issue("invalid-resource", f"{rtype}[{entry.raw_index}]", "resource has no id: ignored")
        return
    if rtype not in CLINICAL_TYPES or entry.ref in seen:
        return
    seen.add(entry.ref)
    if res.get("status") == "entered-in-error":
        return
    reader = READERS[rtype]
    try:
        reader(res, entry.ref, col)
    except Exception as exc:  # last line of defence: bad data is a data issue, never a crash
        col.issue("invalid-resource", entry.ref, f"could not be read ({type(exc).__name__})")


def _onset_range(res: JsonDict, birth: DateRange | None) -> DateRange | None:
    rng = date_of(res, "onsetDateTime", "onsetPeriod", "onsetString")
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


def _read_condition(res: JsonDict, ref: str, col: _Collector) -> None:
    if status_code(res.get("verificationStatus")) in ("entered-in-error", "refuted"):
        return
    code = res.get("code")
    is_ms = concept_in(code, col.term.ms_diagnosis)
    is_relapse = concept_in(code, col.term.relapse)
    if not (is_ms or is_relapse) or not col.belongs_to_patient(res, ref):
        return
    onset = _onset_range(res, col.birth_date)
    recorded = date_of(res, "recordedDate")
    if is_ms:
        rng = onset
        if onset is None:
            col.issue(
                "onset-missing",
                ref,
                "MS diagnosis has no onset: disease duration counted from the recorded date"
                if recorded
                else "MS diagnosis has no onset and no recorded date",
            )
            rng = recorded
        if rng is None:
            col.issue("missing-date", ref, "MS diagnosis has no date: disease duration unknown")
            col.diagnoses.append((True, None, ref))
        elif rng.earliest > col.as_of:
            col.issue("future-date", ref, f"MS diagnosis dated after {col.as_of}: ignored")
        else:
            col.diagnoses.append((onset is None, min(rng.latest, col.as_of), ref))
    if is_relapse:
        rng = onset or recorded
        if col.event_date(rng, ref, "relapse") is not None and rng is not None:
            col.relapses.append(Relapse(rng.earliest, min(rng.latest, col.as_of), ref))


def _observation_kind(code: object, term: Terminology) -> str | None:
    for system_code in codings(code):
        if system_code in term.edss:
            return "edss"
        if system_code in term.new_t2_lesions:
            return "new-t2-lesions"
        if system_code in term.gd_lesions:
            return "gd-lesions"
        if system_code in term.jcv_antibody:
            return "jcv"
        if system_code in term.mfis:
            return "mfis"
        if system_code in term.sdmt:
            return "sdmt"
    return None


def _read_observation(res: JsonDict, ref: str, col: _Collector) -> None:
    status = res.get("status")
    if not isinstance(status, str) or not isinstance(res.get("code"), dict):
        col.issue("invalid-resource", ref, "Observation without status or code: ignored")
        return
    kind = _observation_kind(res.get("code"), col.term)
    if kind is None or status not in FINAL_OBSERVATION or not col.belongs_to_patient(res, ref):
        return
    day = col.event_date(date_of(res, *EFFECTIVE), ref, f"{kind} result")
    if day is None:
        return
    if kind == "jcv":
        _read_jcv(res, ref, day, col)
        return
    value, bad_unit = numeric_value(res)
    if bad_unit is not None:
        col.issue("unit-mismatch", ref, f"{kind} has unit '{bad_unit}', expected a score/count")
        return
    if value is None:
        col.issue("invalid-resource", ref, f"{kind} has no numeric value: ignored")
        return
    if kind == "edss":
        if not 0.0 <= value <= 10.0:
            col.issue("edss-out-of-range", ref, f"EDSS {value:g} is outside 0-10: ignored")
        elif not (value * 2).is_integer():
            col.issue("edss-invalid-step", ref, f"EDSS {value:g} is not in 0.5 steps: ignored")
        else:
            col.edss_raw.append((day, value, ref))
    elif kind in SCORE_RANGES:
        low, high = SCORE_RANGES[kind]
        if low <= value <= high:
            col.scores[kind].append(Score(day, value, ref))
        else:
            col.issue("invalid-resource", ref, f"{kind.upper()} {value:g} outside {low:g}-{high:g}")
    elif value < 0 or not value.is_integer():
        col.issue("invalid-resource", ref, f"{kind} count {value:g} is not a lesion count")
    else:
        col.findings.append(MriFinding(day, kind, value, ref))


def _read_jcv(res: JsonDict, ref: str, day: date, col: _Collector) -> None:
    concept = res.get("valueCodeableConcept")
    if not isinstance(concept, dict):
        col.issue("invalid-resource", ref, "JCV result without a coded value: ignored")
        return
    positive: bool | None = None
    if concept_in(concept, col.term.jcv_positive):
        positive = True
    elif concept_in(concept, col.term.jcv_negative):
        positive = False
    col.jcv.append(JcvResult(day, positive, ref))


def _read_imaging(res: JsonDict, ref: str, col: _Collector) -> None:
    if res.get("status") != "available":
        return
    series = [s for s in get_list(res, "series") if isinstance(s, dict)]
    modalities = list(get_list(res, "modality")) + [s.get("modality") for s in series]
    if not any(concept_in(m, col.term.mri_modality) for m in modalities):
        return
    if not col.belongs_to_patient(res, ref):
        return
    procedures = get_list(res, "procedureCode")
    brain = any(concept_in(p, col.term.brain_mri_procedure) for p in procedures) or any(
        concept_in(s.get("bodySite"), col.term.brain_body_site) for s in series
    )
    spine = any(concept_in(p, col.term.spinal_mri_procedure) for p in procedures)
    if not (brain or spine):
        col.issue("mri-region-unknown", ref, "MR study is neither brain nor spine: not counted")
        return
    day = col.event_date(date_of(res, "started"), ref, "MRI")
    if day is None:
        return
    study = MriStudy(day, "brain" if brain else "spine", ref)
    (col.brain if brain else col.spine).append(study)


def _read_medication(res: JsonDict, ref: str, col: _Collector) -> None:
    issues: list[DataIssue] = []
    record = dmt_record(
        res,
        ref,
        medications=col.medications,
        terminology=col.term,
        as_of=col.as_of,
        issues=issues,
    )
    if (record is not None or issues) and not col.belongs_to_patient(res, ref):
        return
    col.issues.extend(issues)
    if record is not None:
        col.dmts.append(record)


READERS: dict[str, Callable[[JsonDict, str, _Collector], None]] = {
    "Condition": _read_condition,
    "Observation": _read_observation,
    "ImagingStudy": _read_imaging,
    "MedicationRequest": _read_medication,
    "MedicationStatement": _read_medication,
}


def _build(patient: str, col: _Collector, settings: RuleSettings) -> PatientTimeline:
    relapses = tuple(sorted(col.relapses, key=lambda r: (r.onset, r.ref)))
    window = timedelta(days=settings.stable_edss_days_after_relapse)
    edss = tuple(
        EdssMeasurement(
            day,
            value,
            ref,
            stable=not any(r.onset <= day and r.onset_latest >= day - window for r in relapses),
        )
        for day, value, ref in sorted(col.edss_raw)
    )
    return PatientTimeline(
        patient=patient,
        as_of=col.as_of,
        diagnosis=_diagnosis(col.diagnoses),
        edss=edss,
        relapses=relapses,
        brain_mris=tuple(sorted(col.brain, key=lambda m: (m.date, m.ref))),
        spinal_mris=tuple(sorted(col.spine, key=lambda m: (m.date, m.ref))),
        mri_findings=tuple(sorted(col.findings, key=lambda f: (f.date, f.kind, f.ref))),
        dmt_exposures=exposures(col.dmts),
        jcv_results=tuple(sorted(col.jcv, key=lambda j: (j.date, j.ref))),
        mfis=tuple(sorted(col.scores["mfis"], key=lambda s: (s.date, s.ref))),
        sdmt=tuple(sorted(col.scores["sdmt"], key=lambda s: (s.date, s.ref))),
        data_issues=tuple(sorted(col.issues, key=lambda i: (i.resource, i.code, i.message))),
    )


def _diagnosis(candidates: list[tuple[bool, date | None, str]]) -> MsDiagnosis | None:
    """The MS Condition with the earliest onset; a real onset beats a recorded-date fallback."""
    if not candidates:
        return None
    dated = [(c[0], c[1], c[2]) for c in candidates if c[1] is not None]
    if not dated:
        return MsDiagnosis(min(c[2] for c in candidates), None, True)
    from_recorded, onset, ref = min(dated)
    return MsDiagnosis(ref, onset, from_recorded)
