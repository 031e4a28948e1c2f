"""Rule M: when the next review, MRI, JCV test, EDSS confirmation and symptom screen are due.

Guidance: neurological assessment every 6-12 months; brain MRI at least yearly, every 3-4 months
when at risk of serious treatment-related adverse events (natalizumab PML); a reference scan after a
DMT starts (MAGNIMS-CMSC-NAIMS 2021; ECTRIMS/EAN 2018). Where the contract is silent:

* "latest EDSS" for the review is any EDSS (a review took place even during a relapse);
* a DMT start counts for the reference scan whether or not the drug is still taken;
* PML surveillance with no brain MRI ever: due now, window one month (its usual width);
* ``jcv-serology`` window: one month before due; ``symptom-screen`` window: six months before due
  (the screen belongs to the neurological review);
* a JCV result that is neither positive nor negative counts as "unknown" risk, and so does one
  older than ``jcv_stale_months`` (6);
* natalizumab exposure for PML surveillance is cumulative over all runs; a stopped natalizumab
  without an end date counts as stopped within the last 12 months.
"""

from __future__ import annotations

from datetime import date

from smart_app.domain.dates import add_days, add_months, iso_day
from smart_app.domain.results import Activity, Classification, Recommendation
from smart_app.domain.rules.common import recommendation
from smart_app.domain.sources import ECTRIMS_EAN_2018, GUIDANCE, KAPPOS_MSPROG, MAGNIMS_2021
from smart_app.domain.sources import TALLANTYRE_2019 as TALLANTYRE
from smart_app.domain.thresholds import RuleSettings
from smart_app.domain.timeline import DmtExposure, JcvResult, MriStudy, PatientTimeline

NATALIZUMAB = "natalizumab"
NO_EVIDENCE: tuple[str, ...] = ()


def monitoring_recommendations(
    timeline: PatientTimeline,
    classification: Classification,
    activity: Activity,
    current: tuple[DmtExposure, ...],
    as_of: date,
    settings: RuleSettings,
) -> list[Recommendation]:
    """The monitoring actions; ``current``: the exposures current on D (found once per patient)."""
    recs = [neuro_review(timeline, classification, activity, current, as_of, settings)]
    pml = pml_surveillance(timeline, as_of, settings)
    recs.append(pml if pml is not None else mri_brain(timeline, as_of, settings))
    if any(d.ingredient == NATALIZUMAB for d in current):
        jcv = jcv_serology(timeline, as_of, settings)
        if jcv is not None:
            recs.append(jcv)
    if activity.unconfirmed_worsening is not None:
        recs.append(confirm_edss(activity, as_of, settings))
    recs.append(symptom_screen(timeline, as_of, settings))
    return recs


def neuro_review(
    timeline: PatientTimeline,
    classification: Classification,
    activity: Activity,
    current: tuple[DmtExposure, ...],
    as_of: date,
    settings: RuleSettings,
) -> Recommendation:
    quiet = classification.status == "benign" and not activity.active and not current
    months = settings.review_interval_stable_months if quiet else settings.review_interval_months
    why = (
        "benign MS without activity and without DMT"
        if quiet
        else _closer_review_why(classification, activity, current, settings)
    )
    latest = timeline.edss[-1] if timeline.edss else None
    if latest is None:
        due, anchor, evidence = as_of, None, NO_EVIDENCE
        rationale = "Neurological assessment with EDSS: no EDSS on record."
    else:
        due, anchor, evidence = add_months(latest.date, months), latest.date, (latest.ref,)
        rationale = (
            f"Neurological assessment with EDSS every {months} months ({why}); "
            f"last EDSS {latest.value:g} on {iso_day(latest.date)}."
        )
    return recommendation(
        "neuro-review",
        due=due,
        window_start=add_months(due, -settings.review_window_months),
        as_of=as_of,
        rationale=rationale,
        source=(GUIDANCE,),
        evidence=evidence,
        anchor=anchor,
    )


def _closer_review_why(
    classification: Classification,
    activity: Activity,
    current: tuple[DmtExposure, ...],
    settings: RuleSettings,
) -> str:
    """Why this patient is reviewed every 6 rather than 12 months, in the patient's terms."""
    reasons: list[str] = []
    if classification.status != "benign":
        reasons.append(f"classified {classification.status} ({classification.reason})")
    if activity.active:
        kinds = ", ".join(sorted({f.kind for f in activity.findings}))
        reasons.append(
            f"disease activity ({kinds}) in the last {settings.activity_lookback_months} months"
        )
    if current:
        reasons.append("on " + ", ".join([d.ingredient for d in current]))
    return "; ".join(reasons)


def _latest(studies: tuple[MriStudy, ...]) -> MriStudy | None:
    return studies[-1] if studies else None


def mri_brain(timeline: PatientTimeline, as_of: date, settings: RuleSettings) -> Recommendation:
    latest = _latest(timeline.brain_mris)
    if latest is None:
        due, anchor, evidence = as_of, None, NO_EVIDENCE
        rationale = (
            f"Brain MRI at least every {settings.mri_interval_months} months: no brain MRI on "
            "record."
        )
    else:
        due = add_months(latest.date, settings.mri_interval_months)
        anchor, evidence = latest.date, (latest.ref,)
        rationale = (
            f"Brain MRI at least every {settings.mri_interval_months} months; last brain MRI on "
            f"{iso_day(latest.date)}."
        )
    started = add_months(as_of, -settings.dmt_start_lookback_months)
    for exposure in timeline.dmt_exposures:
        if not started <= exposure.since <= as_of:
            continue
        after = add_months(exposure.since, settings.dmt_reference_scan_after_months)
        if any(m.date >= after for m in timeline.brain_mris):
            continue
        reference_due = add_months(exposure.since, settings.dmt_reference_scan_due_months)
        if reference_due < due:
            due = reference_due
            evidence = (*evidence, exposure.evidence[0])
            rationale = (
                f"Reference brain MRI {settings.dmt_reference_scan_due_months} months after "
                f"starting {exposure.ingredient} on {iso_day(exposure.since)} (no brain MRI "
                f"since {iso_day(after)}); follow-up scans are compared with it."
            )
    return recommendation(
        "mri-brain",
        due=due,
        window_start=add_months(due, -settings.mri_window_months),
        as_of=as_of,
        rationale=rationale,
        source=(GUIDANCE, MAGNIMS_2021, ECTRIMS_EAN_2018),
        evidence=evidence,
        anchor=anchor,
    )


def natalizumab_months(timeline: PatientTimeline, as_of: date) -> int:
    """Cumulative natalizumab exposure in months: the sum of all runs."""
    return sum(
        d.months_exposed(as_of) for d in timeline.dmt_exposures if d.ingredient == NATALIZUMAB
    )


def jcv_status(
    timeline: PatientTimeline, as_of: date, settings: RuleSettings
) -> tuple[str, JcvResult | None]:
    """The latest JCV result as positive / negative / unknown; older than 6 months is unknown."""
    latest = timeline.jcv_results[-1] if timeline.jcv_results else None
    if latest is None or latest.positive is None:
        return "unknown", latest
    if add_months(latest.date, settings.jcv_stale_months) < as_of:
        return "unknown", latest
    return ("positive" if latest.positive else "negative"), latest


def _pml_risk(timeline: PatientTimeline, as_of: date, settings: RuleSettings) -> str | None:
    natalizumab = [d for d in timeline.dmt_exposures if d.ingredient == NATALIZUMAB]
    if not natalizumab:
        return None
    months = natalizumab_months(timeline, as_of)
    jcv, latest_jcv = jcv_status(timeline, as_of, settings)
    current = [d for d in natalizumab if d.current]
    if current and months >= settings.natalizumab_pml_risk_months and jcv != "negative":
        stale = (
            f" (last result {iso_day(latest_jcv.date)}, older than "
            f"{settings.jcv_stale_months} months)"
            if latest_jcv is not None and latest_jcv.positive is not None and jcv == "unknown"
            else ""
        )
        return (
            f"on natalizumab since {iso_day(current[0].since)}, {months} months of cumulative "
            f"exposure (>= {settings.natalizumab_pml_risk_months}), JCV antibody {jcv}{stale}"
        )
    stopped_since = add_months(as_of, -settings.natalizumab_stopped_months)
    for exposure in reversed(natalizumab):
        if exposure.current:
            continue
        if exposure.stop_unknown:
            return (
                "natalizumab stopped on an unknown date (no end date on the record): treated as "
                f"stopped within the last {settings.natalizumab_stopped_months} months"
            )
        if exposure.last_date >= stopped_since:
            return (
                f"natalizumab stopped within the last {settings.natalizumab_stopped_months} "
                f"months (last record {iso_day(exposure.last_date)})"
            )
    return None


def pml_surveillance(
    timeline: PatientTimeline, as_of: date, settings: RuleSettings
) -> Recommendation | None:
    """Brain MRI every 3-4 months while at risk of PML; replaces the yearly ``mri-brain``."""
    risk = _pml_risk(timeline, as_of, settings)
    if risk is None:
        return None
    latest = _latest(timeline.brain_mris)
    if latest is None:
        due, anchor, evidence = as_of, None, NO_EVIDENCE
        window_start = add_months(
            as_of, settings.pml_window_start_months - settings.pml_window_end_months
        )
    else:
        due = add_months(latest.date, settings.pml_window_end_months)
        window_start = add_months(latest.date, settings.pml_window_start_months)
        anchor, evidence = latest.date, (latest.ref,)
    evidence = (*evidence, *_natalizumab_evidence(timeline.dmt_exposures))
    last = f"last brain MRI {iso_day(latest.date)}" if latest else "no brain MRI on record"
    return recommendation(
        "mri-pml-surveillance",
        due=due,
        window_start=window_start,
        as_of=as_of,
        rationale=(
            f"PML surveillance brain MRI every {settings.pml_window_start_months}-"
            f"{settings.pml_window_end_months} months: {risk}; {last}."
        ),
        source=(GUIDANCE, MAGNIMS_2021),
        evidence=evidence,
        anchor=anchor,
    )


def _natalizumab_evidence(exposures: tuple[DmtExposure, ...]) -> tuple[str, ...]:
    refs = [d.evidence[-1] for d in exposures if d.ingredient == NATALIZUMAB]
    return tuple(refs[-1:])


def jcv_serology(
    timeline: PatientTimeline, as_of: date, settings: RuleSettings
) -> Recommendation | None:
    """Anti-JCV antibody every 6 months on natalizumab, unless already high positive."""
    latest = timeline.jcv_results[-1] if timeline.jcv_results else None
    stale = latest is not None and add_months(latest.date, settings.jcv_stale_months) < as_of
    if latest is not None and latest.high and not stale:
        return None
    if latest is None:
        due, anchor, evidence = as_of, None, NO_EVIDENCE
        rationale = "Anti-JCV antibody test while on natalizumab: no result on record."
    else:
        due = add_months(latest.date, settings.jcv_interval_months)
        anchor, evidence = latest.date, (latest.ref,)
        result = {True: "positive", False: "negative", None: "indeterminate"}[latest.positive]
        index = f" (index {latest.index:g})" if latest.index is not None else ""
        rationale = (
            f"Anti-JCV antibody every {settings.jcv_interval_months} months while on "
            f"natalizumab; last result {result}{index} on {iso_day(latest.date)}."
        )
    return recommendation(
        "jcv-serology",
        due=due,
        window_start=add_months(due, -settings.jcv_window_months),
        as_of=as_of,
        rationale=rationale,
        source=(GUIDANCE,),
        evidence=evidence,
        anchor=anchor,
    )


def confirm_edss(activity: Activity, as_of: date, settings: RuleSettings) -> Recommendation:
    worsening, reference = activity.unconfirmed_worsening, activity.unconfirmed_reference
    assert worsening is not None
    assert reference is not None
    due = add_days(worsening.date, settings.cdp_confirmation_days)
    return recommendation(
        "confirm-edss",
        due=due,
        window_start=add_days(due, -settings.confirm_window_days),
        as_of=as_of,
        rationale=(
            f"EDSS {worsening.value:g} on {iso_day(worsening.date)} is a worsening from the "
            f"reference EDSS {reference.value:g} of {iso_day(reference.date)}: repeat the "
            f"EDSS {settings.cdp_confirmation_days} days after the worsening to confirm or "
            "refute progression."
        ),
        source=(KAPPOS_MSPROG,),
        evidence=(worsening.ref, reference.ref),
        anchor=worsening.date,
    )


def symptom_screen(
    timeline: PatientTimeline, as_of: date, settings: RuleSettings
) -> Recommendation:
    """Fatigue and cognition are often impaired in "benign" MS (Tallantyre 2019): screen yearly."""
    mfis = timeline.mfis[-1] if timeline.mfis else None
    sdmt = timeline.sdmt[-1] if timeline.sdmt else None
    if mfis is None or sdmt is None:
        due, anchor = as_of, None
        missing = (
            "MFIS and SDMT" if mfis is None and sdmt is None else "MFIS" if mfis is None else "SDMT"
        )
        rationale = f"Screen fatigue (MFIS) and cognition (SDMT): no {missing} on record."
    else:
        anchor = min(mfis.date, sdmt.date)
        due = add_months(anchor, settings.symptom_screen_interval_months)
        rationale = (
            f"Screen fatigue (MFIS) and cognition (SDMT) every "
            f"{settings.symptom_screen_interval_months} months; last MFIS "
            f"{iso_day(mfis.date)}, last SDMT {iso_day(sdmt.date)}."
        )
    evidence = tuple([s.ref for s in (mfis, sdmt) if s is not None])
    return recommendation(
        "symptom-screen",
        due=due,
        window_start=add_months(due, -settings.symptom_screen_window_months),
        as_of=as_of,
        rationale=rationale,
        source=(GUIDANCE, TALLANTYRE),
        evidence=evidence,
        anchor=anchor,
    )
