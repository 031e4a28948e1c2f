"""FHIR resources -> :class:`PatientTimeline` (docs/clinical-rules.md, "Inputs" and "Q").

Malformed input never raises: it becomes a data issue and is skipped. Resources with status
entered-in-error (and refuted Conditions) are ignored silently, and so are OperationOutcome
entries; Observations and DiagnosticReports that are not final/amended/corrected and
ImagingStudies that are not ``available`` are not results yet and are skipped silently too.

Partial dates (``YYYY``, ``YYYY-MM``) are resolved conservatively for each use:

* when something was *last done* (EDSS, MRI, JCV, MFIS, SDMT, DMT start): the earliest day, so that
  the next one falls due sooner;
* disease onset: the latest day (never after the as-of date), so that the disease duration is never
  overstated and nobody is called "benign" too early;
* relapse onset: the whole range; an EDSS is unstable when any day of the range lies within 30 days
  before it, and a relapse is in the lookback window when any day of the range is.

A date whose earliest day is after the as-of date is a ``future-date`` and the resource is ignored
(an MS Condition's future onset only loses that date: the diagnosis still counts).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from operator import attrgetter
from typing import Any, TypeVar

from smart_app.domain.context import EvaluationContext
from smart_app.domain.dates import DateRange, add_months, parse_fhir_date
from smart_app.domain.extract_dmt import exposures
from smart_app.domain.extract_readers import READERS, Collector, ConditionRecord
from smart_app.domain.fhir_read import JsonDict
from smart_app.domain.patients import Entry, _normalise, list_entries, subject_of
from smart_app.domain.timeline import (
    DataIssue,
    EdssMeasurement,
    JcvResult,
    MriStudy,
    MsDiagnosis,
    PatientTimeline,
    Relapse,
    Score,
    issues_in_order,
)

#: A result with a date and the reference of the resource it was read from.
_Dated = TypeVar("_Dated", MriStudy, JcvResult, Score)

#: Sort keys, as C-level attribute getters (no Python call per item)
_RELAPSE_ORDER = attrgetter("onset", "onset_latest", "ref")
_FINDING_ORDER = attrgetter("date", "kind", "ref")
_DATE_AND_REF = attrgetter("date", "ref")

#: The resource types the engine reads (the keys of the readers).
CLINICAL_TYPES = frozenset(READERS)
IGNORED_SILENTLY = frozenset({"OperationOutcome"})


def extract_timeline(
    resources: object,
    context: EvaluationContext,
    *,
    unavailable: Iterable[str] = (),
) -> PatientTimeline:
    """Read one patient's resources (Bundle, list of dicts or R4B models) into a timeline.

    ``unavailable``: resource types the server did not offer or refused; each becomes a
    ``resource-unavailable`` data issue, so the report says what could not be looked at.
    """
    triage = _Triage()
    entries: list[Entry] | None = None
    if type(resources) is list:
        triage.plain_list(resources)  # the usual input, named without building entries
    else:
        entries = list_entries(resources)  # read once: the input may be an iterator
        for entry in entries:
            triage.take(entry)
    patient, aliases, birth = _find_patient(triage.patient, entries, resources)
    col = Collector(context, aliases)
    col.birth_date = birth
    col.medications = triage.medications
    col.issues = triage.issues
    for reader, res, ref in triage.to_read:
        try:
            reader(res, ref, col)
        except Exception as exc:  # last line of defence: bad data is a data issue, never a crash
            col.issue("invalid-resource", ref, f"could not be read ({type(exc).__name__})")
    missing = tuple(sorted(set(unavailable))) if unavailable else ()
    for rtype in missing:
        col.issue(
            "resource-unavailable",
            rtype,
            f"the server did not provide {rtype} resources: they could not be looked at",
        )
    return _build(patient, col, missing)


#: A resource to read: its reader, the resource and its reference.
_ToRead = tuple[Callable[[JsonDict, str, Collector], None], JsonDict, str]


class _Triage:
    """One pass before reading: the resources to read (each reference once, entered-in-error
    ones left out), the first Patient with a name, and every Medication by each of its names
    (orders and statements may reference one listed after them). Entries that cannot be read
    become data issues here."""

    def __init__(self) -> None:
        self.to_read: list[_ToRead] = []
        self.patient: Entry | None = None
        self.medications: dict[str, JsonDict] = {}
        self.issues: list[DataIssue] = []
        self.seen: set[str] = set()

    def plain_list(self, items: list[Any]) -> None:
        """A list of resources, as :func:`list_entries` names them (index = position among the
        flattened entries), in one loop: a plain resource of a type the engine reads is taken
        here with the steps of :meth:`take`, anything else (a Bundle, a model, garbage) there."""
        count = 0
        seen, to_read = self.seen, self.to_read
        for item in items:
            rtype = item.get("resourceType") if type(item) is dict else None
            reader = READERS.get(rtype) if type(rtype) is str else None
            rid = item.get("id") if reader is not None else None
            if reader is None or type(rid) is not str or not rid:
                for entry in list_entries([item]):
                    count += 1
                    self.take(entry._replace(raw_index=count))
                continue
            count += 1
            ref = f"{rtype}/{rid}"
            if ref not in seen:  # the first of several copies of a resource counts
                seen.add(ref)
                if item.get("status") != "entered-in-error":
                    to_read.append((reader, item, ref))

    def take(self, entry: Entry) -> None:
        """One entry of any shape."""
        res, ref, full_url, raw_index = entry
        rtype = res.get("resourceType") if res is not None else None
        reader = READERS.get(rtype) if type(rtype) is str else None
        if reader is not None and res is not None and ref is not None:
            if ref not in self.seen:  # the first of several copies of a resource counts
                self.seen.add(ref)
                if res.get("status") != "entered-in-error":
                    self.to_read.append((reader, res, ref))
            return
        if res is None or not isinstance(rtype, str) or not rtype:
            label = ref or f"entry[{raw_index}]"
            self.issues.append(
                DataIssue(
                    "invalid-resource", label, "not a FHIR resource (no resourceType): ignored"
                )
            )
            return
        if ref is None and rtype not in IGNORED_SILENTLY:
            self.issues.append(
                DataIssue(
                    "invalid-resource", f"{rtype}[{raw_index}]", "resource has no id: ignored"
                )
            )
        if rtype == "Patient":
            if self.patient is None and ref:
                self.patient = entry
        elif rtype == "Medication":
            for name in (ref, full_url):
                if name:
                    self.medications[name] = res


def _find_patient(
    found: Entry | None, entries: list[Entry] | None, resources: object
) -> tuple[str, set[str], DateRange | None]:
    """The patient's reference, its other names and birth date; without a Patient resource, the
    first subject named (``entries``: the input's entries, None when it was a plain list)."""
    if found is not None and found.ref and found.resource is not None:
        key = _normalise(found.ref)
        aliases = {found.ref, key}
        if found.full_url:
            aliases |= {found.full_url, _normalise(found.full_url)}
        return key, aliases, parse_fhir_date(found.resource.get("birthDate"))
    if entries is None:
        entries = list_entries(resources)  # a plain list without a Patient (rare)
    subjects = sorted(
        _normalise(s)
        for s in (subject_of(e.resource) for e in entries if e.resource is not None)
        if s
    )
    if subjects:
        return subjects[0], set(), None
    return "Patient/unknown", set(), None


def _build(patient: str, col: Collector, unavailable: tuple[str, ...]) -> PatientTimeline:
    rules = col.context.rules
    relapses = tuple(col.relapses)
    if len(relapses) > 1:  # most records have none or one: nothing to sort
        relapses = tuple(sorted(relapses, key=_RELAPSE_ORDER))
    edss = _edss_series(col.edss_raw, relapses, rules.stable_edss_days_after_relapse)
    unreadable = max(col.edss_unreadable) if col.edss_unreadable else None
    brain = _by_date_and_ref(col.brain)
    findings = tuple(col.findings)
    if len(findings) > 1:
        findings = tuple(sorted(findings, key=_FINDING_ORDER))
    _flag_unstructured_mri(col)
    diagnosis = _diagnosis(col.conditions, relapses, col)
    return PatientTimeline(
        patient=patient,
        context=col.context,
        diagnosis=diagnosis,
        edss=edss,
        relapses=relapses,
        brain_mris=brain,
        spinal_mris=_by_date_and_ref(col.spine),
        mri_findings=findings,
        dmt_exposures=exposures(col.dmts) if col.dmts else (),
        jcv_results=_by_date_and_ref(col.jcv),
        mfis=_by_date_and_ref(col.scores["mfis"]),
        sdmt=_by_date_and_ref(col.scores["sdmt"]),
        data_issues=issues_in_order(col.issues),
        unreadable_edss=unreadable,
        unavailable=unavailable,
    )


def _by_date_and_ref(items: list[_Dated]) -> tuple[_Dated, ...]:
    """Results in (date, resource) order. Each resource is read once (``seen``) and gives at most
    one result of a kind, so the reference alone makes every item distinct: no set is needed."""
    if len(items) < 2:
        return tuple(items)
    return tuple(sorted(items, key=_DATE_AND_REF))


def _edss_series(
    raw: list[tuple[date, float, str]], relapses: tuple[Relapse, ...], days_after: int
) -> tuple[EdssMeasurement, ...]:
    """The EDSS in date order, each unstable when any day of a relapse onset lies within
    ``days_after`` days before it (a loop per measurement only when there are relapses)."""
    readings = sorted(set(raw))
    if not relapses:
        return tuple([EdssMeasurement(day, value, ref, True) for day, value, ref in readings])
    window = timedelta(days=days_after)
    series: list[EdssMeasurement] = []
    for day, value, ref in readings:
        stable = True
        for relapse in relapses:
            if relapse.onset <= day and relapse.onset_latest >= day - window:
                stable = False
                break
        series.append(EdssMeasurement(day, value, ref, stable))
    return tuple(series)


def _flag_unstructured_mri(col: Collector) -> None:
    """``mri-findings-unstructured``: a recent brain MRI with no lesion counts on its date."""
    since = add_months(col.context.as_of, -col.context.rules.mri_unstructured_months)
    counted = {f.date for f in col.findings}
    by_day: dict[date, list[tuple[bool, str]]] = {}
    for study in col.brain:
        if study.date >= since and study.date not in counted:
            by_day.setdefault(study.date, []).append((not study.report, study.ref))
    for day, studies in by_day.items():
        _is_study, ref = min(studies)  # the DiagnosticReport when a study and its report exist
        col.issue(
            "mri-findings-unstructured",
            ref,
            f"brain MRI of {day.isoformat()} has no structured lesion counts: a person should "
            "read the report for new T2 or gadolinium-enhancing lesions",
        )


def _diagnosis(
    conditions: list[ConditionRecord], relapses: tuple[Relapse, ...], col: Collector
) -> MsDiagnosis | None:
    """The MS diagnosis; onset = the earliest date over all MS Conditions and relapses."""
    if not conditions and not relapses:
        return None
    as_of = col.context.as_of
    candidates: list[tuple[date, bool, str]] = []
    for cond in conditions:
        for rng, from_recorded in ((cond.onset, False), (cond.recorded, True)):
            if rng is None:
                continue
            if rng.earliest > as_of:
                what = "recorded date" if from_recorded else "onset"
                col.issue("future-date", cond.ref, f"MS diagnosis {what} after {as_of}: ignored")
                continue
            candidates.append((min(rng.latest, as_of), from_recorded, cond.ref))
    for relapse in relapses:
        candidates.append((relapse.onset_latest, False, relapse.ref))
    refs: set[str] = set()
    any_onset = progressive = False
    confirmed = not conditions  # relapses alone count as confirmed
    for cond in conditions:
        refs.add(cond.ref)
        any_onset = any_onset or cond.onset is not None
        progressive = progressive or cond.progressive
        confirmed = confirmed or not cond.unconfirmed  # one confirmed (or unstated) is enough
    for cond in conditions:
        if cond.onset is None:
            col.issue(
                "onset-missing",
                cond.ref,
                "this MS diagnosis has no onset; the disease onset is the earliest onset of the "
                "other MS diagnoses or of a relapse"
                if any_onset
                else "no MS diagnosis has an onset: disease duration counted from the earliest "
                "recorded date or relapse"
                if candidates
                else "MS diagnosis has no onset and no recorded date",
            )
        if cond.onset is None and cond.recorded is None:
            col.issue(
                "missing-date", cond.ref, "MS diagnosis has no date: disease duration unknown"
            )
    if not conditions:
        first = relapses[0].ref
        col.issue(
            "onset-missing",
            first,
            "no MS diagnosis Condition: the relapses establish the diagnosis, and the disease "
            "is at least as old as the earliest relapse",
        )
    diagnosis_refs = tuple(sorted(refs))
    if not candidates:
        return MsDiagnosis(diagnosis_refs, None, True, (), progressive, confirmed)
    onset = min(candidates)[0]
    from_recorded = True  # the onset comes from recorded dates only
    onset_refs: set[str] = set()
    for day, recorded, ref in candidates:
        if day == onset:
            from_recorded = from_recorded and recorded
            onset_refs.add(ref)
    return MsDiagnosis(
        diagnosis_refs,
        onset,
        from_recorded,
        tuple(sorted(onset_refs)),
        progressive,
        confirmed,
        tuple([r.ref for r in relapses]),
    )


__all__ = ["CLINICAL_TYPES", "DataIssue", "extract_timeline"]
