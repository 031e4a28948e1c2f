"""Rule M: when the next review, MRI, JCV test, EDSS confirmation and symptom screen are due.

Guidance: neurological assessment every 6-12 months; brain MRI at least yearly, every 3-4 months
when at risk of serious treatment-related adverse events (natalizumab PML); a reference scan after a
DMT starts (MAGNIMS-CMSC-NAIMS 2021; ECTRIMS/EAN 2018). Where the spec is silent:

* "latest EDSS" for the review is any EDSS (a review took place even during a relapse);
* a DMT start counts for the reference scan whether or not the drug is still taken;
* PML surveillance with no brain MRI ever: due now, window one month (its usual width);
* ``jcv-serology`` window: one month before due; ``symptom-screen`` window: six months before due
  (the screen belongs to the neurological review);
* a JCV result that is neither positive nor negative counts as "unknown" risk.
"""

from __future__ import annotations

from datetime import date

from smart_app.domain.dates import add_days, add_months
from smart_app.domain.results import Activity, Classification, Recommendation
from smart_app.domain.rules.common import recommendation
from smart_app.domain.sources import ECTRIMS_EAN_2018, GUIDANCE, KAPPOS_MSPROG, MAGNIMS_2021
from smart_app.domain.sources import TALLANTYRE_2019 as TALLANTYRE
from smart_app.domain.thresholds import RuleSettings
from smart_app.domain.timeline import DmtExposure, MriStudy, PatientTimeline

NATALIZUMAB = "natalizumab"
NO_EVIDENCE: tuple[str, ...] = ()


def monitoring_recommendations(
    timeline: PatientTimeline,
    classification: Classification,
    activity: Activity,
    as_of: date,
    settings: RuleSettings,
) -> list[Recommendation]:
    current = [d for d in timeline.dmt_exposures if d.current]
    recs = [neuro_review(timeline, classification, activity, bool(current), as_of, settings)]
    pml = pml_surveillance(timeline, as_of, settings)
    recs.append(pml if pml is not None else mri_brain(timeline, as_of, settings))
    if any(d.ingredient == NATALIZUMAB for d in current):
        recs.append(jcv_serology(timeline, as_of, settings))
    if activity.unconfirmed_worsening is not None:
        recs.append(confirm_edss(activity, as_of, settings))
    recs.append(symptom_screen(timeline, as_of, settings))
    return recs


def neuro_review(
    timeline: PatientTimeline,
    classification: Classification,
    activity: Activity,
    on_dmt: bool,
    as_of: date,
    settings: RuleSettings,
) -> Recommendation:
    quiet = classification.status == "benign" and not activity.active and not on_dmt
    months = settings.review_interval_stable_months if quiet else settings.review_interval_months
    why = (
        "benign MS without activity and without DMT"
        if quiet
        else "not (yet) benign, active, or on a DMT"
    )
    latest = timeline.edss[-1] if timeline.edss else None
    if latest is None:
        due, anchor, evidence = as_of, None, NO_EVIDENCE
        rationale = "Neurological assessment with EDSS: no EDSS on record."
    else:
        due, anchor, evidence = add_months(latest.date, months), latest.date, (latest.ref,)
        rationale = (
            f"Neurological assessment with EDSS every {months} months ({why}); "
            f"last EDSS {latest.value:g} on {latest.date.isoformat()}."
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


def _latest(studies: tuple[MriStudy, ...]) -> MriStudy | None:
    return studies[-1] if studies else None


def mri_brain(timeline: PatientTimeline, as_of: date, settings: RuleSettings) -> Recommendation:
    latest = _latest(timeline.brain_mris)
    if latest is None:
        due, anchor, evidence = as_of, None, NO_EVIDENCE
        rationale = "Brain MRI at least yearly: no brain MRI on record."
    else:
        due = add_months(latest.date, settings.mri_interval_months)
        anchor, evidence = latest.date, (latest.ref,)
        rationale = f"Brain MRI at least yearly; last brain MRI on {latest.date.isoformat()}."
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
                f"starting {exposure.ingredient} on {exposure.since.isoformat()} (no brain MRI "
                f"since {after.isoformat()}); follow-up scans are compared with it."
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


def _pml_risk(timeline: PatientTimeline, as_of: date, settings: RuleSettings) -> str | None:
    natalizumab = [d for d in timeline.dmt_exposures if d.ingredient == NATALIZUMAB]
    latest_jcv = timeline.jcv_results[-1] if timeline.jcv_results else None
    jcv_risk = latest_jcv is None or latest_jcv.positive is not False
    for exposure in natalizumab:
        long_term = add_months(exposure.since, settings.natalizumab_pml_risk_months) <= as_of
        if exposure.current and long_term and jcv_risk:
            jcv = "unknown" if latest_jcv is None or latest_jcv.positive is None else "positive"
            return (
                f"on natalizumab since {exposure.since.isoformat()} "
                f"(>= {settings.natalizumab_pml_risk_months} months) with JCV antibody {jcv}"
            )
    for exposure in natalizumab:
        recent = exposure.last_date >= add_months(as_of, -settings.natalizumab_stopped_months)
        if not exposure.current and recent:
            return f"natalizumab stopped (last record {exposure.last_date.isoformat()})"
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
    last = f"last brain MRI {latest.date.isoformat()}" if latest else "no brain MRI on record"
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


def jcv_serology(timeline: PatientTimeline, as_of: date, settings: RuleSettings) -> Recommendation:
    latest = timeline.jcv_results[-1] if timeline.jcv_results else None
    if latest is None:
        due, anchor, evidence = as_of, None, NO_EVIDENCE
        rationale = "Anti-JCV antibody test while on natalizumab: no result on record."
    else:
        due = add_months(latest.date, settings.jcv_interval_months)
        anchor, evidence = latest.date, (latest.ref,)
        result = {True: "positive", False: "negative", None: "indeterminate"}[latest.positive]
        rationale = (
            f"Anti-JCV antibody every {settings.jcv_interval_months} months while on "
            f"natalizumab; last result {result} on {latest.date.isoformat()}."
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
    worsening = activity.unconfirmed_worsening
    assert worsening is not None
    due = add_days(worsening.date, settings.cdp_confirmation_days)
    return recommendation(
        "confirm-edss",
        due=due,
        window_start=add_days(due, -settings.confirm_window_days),
        as_of=as_of,
        rationale=(
            f"EDSS {worsening.value:g} on {worsening.date.isoformat()} is a worsening from "
            f"{activity.unconfirmed_reference:g}: repeat the EDSS "
            f"{settings.cdp_confirmation_days} days later to confirm or refute progression."
        ),
        source=(KAPPOS_MSPROG,),
        evidence=(worsening.ref,),
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
        missing = " and ".join(name for name, s in (("MFIS", mfis), ("SDMT", sdmt)) if s is None)
        rationale = f"Screen fatigue (MFIS) and cognition (SDMT): no {missing} on record."
    else:
        anchor = min(mfis.date, sdmt.date)
        due = add_months(anchor, settings.symptom_screen_interval_months)
        rationale = (
            f"Screen fatigue (MFIS) and cognition (SDMT) every "
            f"{settings.symptom_screen_interval_months} months; last MFIS "
            f"{mfis.date.isoformat()}, last SDMT {sdmt.date.isoformat()}."
        )
    evidence = tuple(s.ref for s in (mfis, sdmt) if s is not None)
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
