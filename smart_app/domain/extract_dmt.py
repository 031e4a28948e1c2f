"""Disease-modifying therapy records -> exposures (docs/clinical-rules.md, "Inputs": DMT).

Orders (MedicationRequest active/on-hold/completed/stopped), statements (MedicationStatement
active/completed/stopped) and doses (MedicationAdministration completed/in-progress) of one
ingredient form runs. Exposure starts at the earliest record of an unbroken run. A run is broken
only when every record so far has a known end and the next record starts after it: a record
without an end (the usual MedicationRequest) is read as continuing, which keeps natalizumab
exposure long (conservative for PML surveillance). Doses continue a run while the gaps stay
within twice the drug's dosing interval; a dose covers one interval.

Current: an ``active`` or ``on-hold`` order (a drug holiday keeps the risk) whose validity period
has not ended; an ``active`` statement whose period has not ended (one that has:
``dmt-status-conflict``); a dose within twice the dosing interval of D. A stopped record without
an end date: ``dmt-stop-date-unknown``. A completed statement whose period is still open is counted
as current, with ``dmt-status-conflict`` (conservative: it keeps PML surveillance going).
"""

from __future__ import annotations

from datetime import date
from operator import attrgetter

import msgspec

from smart_app.domain.dates import parse_fhir_date
from smart_app.domain.fhir_read import (
    JsonDict,
    codings,
    concept_texts,
    date_of,
    get_dict,
    get_list,
    reference,
)
from smart_app.domain.terminology import DmtIngredient, Terminology
from smart_app.domain.thresholds import RuleSettings
from smart_app.domain.timeline import DataIssue, DmtExposure

DMT_STATUSES = {
    "MedicationRequest": frozenset({"active", "on-hold", "completed", "stopped"}),
    "MedicationStatement": frozenset({"active", "completed", "stopped"}),
    "MedicationAdministration": frozenset({"completed", "in-progress"}),
}
CURRENT_ORDER = frozenset({"active", "on-hold"})


class DmtRecord(msgspec.Struct, frozen=True):
    """One order, statement or dose of a DMT.

    ``end`` is when the exposure of this record ended (None: not stated); ``chain_end`` is the
    last day a following record still continues the same run. An extractor-private record,
    a frozen C struct: cheaper to build than a named tuple or a frozen dataclass.
    """

    ingredient: DmtIngredient
    start: date
    end: date | None
    current: bool
    ref: str
    chain_end: date | None = None
    stop_unknown: bool = False


def match_ingredient(
    concept: object, terminology: Terminology, ref: str, issues: list[DataIssue]
) -> DmtIngredient | None:
    """RxNorm ingredient code first; medication name/brand text second (with a data issue)."""
    for system, code in codings(concept):
        if system == terminology.rxnorm_system:
            found = terminology.dmt_by_rxnorm(code)
            if found is not None:
                return found
    for text in concept_texts(concept):
        found = terminology.dmt_by_text(text)
        if found is not None:
            issues.append(
                DataIssue(
                    "dmt-matched-by-text",
                    ref,
                    f"'{text}' recognised as {found.name} by its name, not by an RxNorm "
                    "ingredient code",
                )
            )
            return found
    return None


def medication_concept(res: JsonDict, medications: dict[str, JsonDict]) -> object:
    """medicationCodeableConcept, or the code of the referenced (possibly contained) Medication."""
    concept = res.get("medicationCodeableConcept")
    if concept is not None:
        return concept
    ref = reference(res, "medicationReference")
    if ref is None:
        return None
    if ref.startswith("#"):
        for contained in get_list(res, "contained"):
            if isinstance(contained, dict) and contained.get("id") == ref[1:]:
                return contained.get("code")
        return None
    medication = medications.get(ref)
    return medication.get("code") if medication is not None else None


def dmt_record(
    res: JsonDict,
    ref: str,
    *,
    medications: dict[str, JsonDict],
    terminology: Terminology,
    settings: RuleSettings,
    as_of: date,
    issues: list[DataIssue],
) -> DmtRecord | None:
    """A DMT record, or None when the resource is not a usable DMT record."""
    rtype = str(res.get("resourceType"))
    status = res.get("status")
    if not isinstance(status, str) or status not in DMT_STATUSES.get(rtype, ()):
        return None
    ingredient = match_ingredient(medication_concept(res, medications), terminology, ref, issues)
    if ingredient is None:
        return None
    if rtype == "MedicationAdministration":
        return _dose(res, ref, ingredient, settings, as_of, issues)
    end_date: date | None
    if rtype == "MedicationRequest":
        validity = get_dict(get_dict(res, "dispenseRequest") or {}, "validityPeriod") or {}
        start = date_of(res, "authoredOn") or parse_fhir_date(validity.get("start"))
        end = parse_fhir_date(validity.get("end"))
        end_date = end.latest if end is not None else None
        current = status in CURRENT_ORDER and (end_date is None or end_date >= as_of)
    else:
        period = get_dict(res, "effectivePeriod")
        start = date_of(res, "effectiveDateTime", "effectivePeriod", "dateAsserted")
        end = parse_fhir_date(period.get("end")) if period is not None else None
        end_date = end.latest if end is not None else None
        open_period = period is not None and (end_date is None or end_date >= as_of)
        current = (status == "active" and (end_date is None or end_date >= as_of)) or (
            status == "completed" and open_period
        )
        if status == "completed" and open_period:
            issues.append(
                DataIssue(
                    "dmt-status-conflict",
                    ref,
                    f"{ingredient.name} is recorded as completed but its period has not ended: "
                    "counted as current (the conservative reading)",
                )
            )
        if status == "active" and not current:
            issues.append(
                DataIssue(
                    "dmt-status-conflict",
                    ref,
                    f"{ingredient.name} is recorded as active but its period ended on "
                    f"{end_date}: not counted as current",
                )
            )
    if start is None:
        issues.append(DataIssue("missing-date", ref, f"{ingredient.name} record has no date"))
        return None
    if start.earliest > as_of:
        issues.append(
            DataIssue("future-date", ref, f"{ingredient.name} record dated after {as_of}: ignored")
        )
        return None
    stop_unknown = status == "stopped" and end_date is None
    if stop_unknown:
        issues.append(
            DataIssue(
                "dmt-stop-date-unknown",
                ref,
                f"{ingredient.name} is stopped but the record has no end date: stop date unknown",
            )
        )
    return DmtRecord(
        ingredient, start.earliest, end_date, current, ref, end_date, stop_unknown=stop_unknown
    )


def _dose(
    res: JsonDict,
    ref: str,
    ingredient: DmtIngredient,
    settings: RuleSettings,
    as_of: date,
    issues: list[DataIssue],
) -> DmtRecord | None:
    given = date_of(res, "effectiveDateTime", "effectivePeriod", "occurenceDateTime")
    if given is None:
        issues.append(DataIssue("missing-date", ref, f"{ingredient.name} dose has no date"))
        return None
    if given.earliest > as_of:
        issues.append(
            DataIssue("future-date", ref, f"{ingredient.name} dose dated after {as_of}: ignored")
        )
        return None
    day = given.earliest
    chain_end = settings.after_dosing_intervals(ingredient.name, day, 2)
    return DmtRecord(
        ingredient,
        day,
        settings.after_dosing_intervals(ingredient.name, day, 1),
        chain_end >= as_of,
        ref,
        chain_end,
    )


def exposures(records: list[DmtRecord]) -> tuple[DmtExposure, ...]:
    """Group records into unbroken runs per ingredient."""
    by_drug: dict[str, list[DmtRecord]] = {}
    for record in records:
        by_drug.setdefault(record.ingredient.rxnorm, []).append(record)
    result: list[DmtExposure] = []
    for drug_records in by_drug.values():
        drug_records.sort(key=attrgetter("start", "ref"))
        run: list[DmtRecord] = []
        run_end: date | None = None
        for record in drug_records:
            if run and run_end is not None and record.start > run_end:
                result.append(_exposure(run))
                run = []
            run_end = record.chain_end if not run else _later_end(run_end, record.chain_end)
            run.append(record)
        if run:
            result.append(_exposure(run))
    result.sort(key=attrgetter("since", "ingredient", "evidence"))
    return tuple(result)


def _later_end(run_end: date | None, end: date | None) -> date | None:
    if run_end is None or end is None:
        return None
    return max(run_end, end)


def _exposure(run: list[DmtRecord]) -> DmtExposure:
    """The exposure of one run: it lasts to its latest start or end, and is open-ended, current
    or of unknown stop when any of its records is."""
    ingredient = run[0].ingredient
    last = date.min
    open_ended = current = stop_unknown = False
    for record in run:
        last = max(last, record.start, record.end or date.min)
        open_ended = open_ended or record.end is None
        current = current or record.current
        stop_unknown = stop_unknown or record.stop_unknown
    return DmtExposure(
        ingredient.name,
        ingredient.rxnorm,
        ingredient.first_line,
        run[0].start,
        last,
        current,
        tuple([r.ref for r in run]),
        None if open_ended else last,
        stop_unknown,
    )
