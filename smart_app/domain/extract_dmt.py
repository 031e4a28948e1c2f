"""Disease-modifying therapy records -> exposures (clinical-rules.md, "Inputs": DMT).

Exposure to a drug starts at the earliest authoredOn / effective start of an unbroken run of records
of that drug. A run is broken only when every record so far has a known end and the next record
starts after it: a record without an end (the usual MedicationRequest) is read as continuing, which
keeps natalizumab exposure long (conservative for PML surveillance).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from smart_app.domain.dates import DateRange, parse_fhir_date
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
from smart_app.domain.timeline import DataIssue, DmtExposure

DMT_STATUSES = frozenset({"active", "completed", "stopped"})


@dataclass(frozen=True, slots=True)
class DmtRecord:
    """One MedicationRequest/MedicationStatement of a DMT."""

    ingredient: DmtIngredient
    start: date
    end: date | None
    current: bool
    ref: str


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
    as_of: date,
    issues: list[DataIssue],
) -> DmtRecord | None:
    """A DMT record, or None when the resource is not a usable DMT record."""
    status = res.get("status")
    if not isinstance(status, str) or status not in DMT_STATUSES:
        return None
    ingredient = match_ingredient(medication_concept(res, medications), terminology, ref, issues)
    if ingredient is None:
        return None
    end: DateRange | None
    if res.get("resourceType") == "MedicationRequest":
        validity = get_dict(get_dict(res, "dispenseRequest") or {}, "validityPeriod") or {}
        start = date_of(res, "authoredOn") or parse_fhir_date(validity.get("start"))
        end = parse_fhir_date(validity.get("end"))
        current = status == "active"
    else:
        period = get_dict(res, "effectivePeriod")
        start = date_of(res, "effectiveDateTime", "effectivePeriod", "dateAsserted")
        end = parse_fhir_date(period.get("end")) if period is not None else None
        open_period = period is not None and (end is None or end.latest > as_of)
        current = status == "active" or (status != "stopped" and open_period)
    if start is None:
        issues.append(DataIssue("missing-date", ref, f"{ingredient.name} record has no date"))
        return None
    if start.earliest > as_of:
        issues.append(
            DataIssue("future-date", ref, f"{ingredient.name} record dated after {as_of}: ignored")
        )
        return None
    return DmtRecord(
        ingredient, start.earliest, end.latest if end is not None else None, current, ref
    )


def exposures(records: list[DmtRecord]) -> tuple[DmtExposure, ...]:
    """Group records into unbroken runs per ingredient."""
    by_drug: dict[str, list[DmtRecord]] = {}
    for record in records:
        by_drug.setdefault(record.ingredient.rxnorm, []).append(record)
    result: list[DmtExposure] = []
    for drug_records in by_drug.values():
        drug_records.sort(key=lambda r: (r.start, r.ref))
        run: list[DmtRecord] = []
        run_end: date | None = None
        for record in drug_records:
            if run and run_end is not None and record.start > run_end:
                result.append(_exposure(run))
                run = []
            run_end = record.end if not run else _later_end(run_end, record.end)
            run.append(record)
        if run:
            result.append(_exposure(run))
    result.sort(key=lambda e: (e.since, e.ingredient))
    return tuple(result)


def _later_end(run_end: date | None, end: date | None) -> date | None:
    if run_end is None or end is None:
        return None
    return max(run_end, end)


def _exposure(run: list[DmtRecord]) -> DmtExposure:
    ingredient = run[0].ingredient
    last = max(max(r.start for r in run), max((r.end for r in run if r.end), default=date.min))
    return DmtExposure(
        ingredient=ingredient.name,
        rxnorm=ingredient.rxnorm,
        first_line=ingredient.first_line,
        since=run[0].start,
        last_date=last,
        current=any(r.current for r in run),
        evidence=tuple(r.ref for r in run),
    )
