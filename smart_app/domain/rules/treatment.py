"""Rule T: treatment suggestions (never orders) and the benign-MS treatment statement.

Guidance (docs/clinical-rules.md, T; ECTRIMS/EAN 2018; MAGNIMS-CMSC-NAIMS 2021): a first-line DMT
(interferon beta, glatiramer acetate) may be considered on evidence of disease activity in a
relapsing course; on a DMT with suboptimal response, review or switch; benign MS without activity is
monitored rather than escalated, and AHSCT is not recommended for benign MS; the benign label must
be re-assessed when activity appears.

* Re-baseline: on a DMT, only activity dated at least ``dmt_rebaseline_months`` (6) after the start
  of the current run is a suboptimal response; earlier activity is neither that nor a reason to
  start a DMT.
* ``pml-risk``: natalizumab current, >= 24 months of cumulative exposure and any positive JCV
  result: review the benefit against the PML risk (a benign course rarely justifies it).
* For ``not-benign`` or a progressive course no first-line agent is named: the choice is the
  specialist's.

Where the contract is silent: a suggestion is due ``treatment_review_months`` (1) after the latest
finding it rests on (the latest positive JCV result for ``pml-risk``), its window opening on it.
"""

from __future__ import annotations

from datetime import date

from smart_app.domain.dates import add_months, iso_day
from smart_app.domain.results import Activity, Classification, Finding, Recommendation
from smart_app.domain.rules.common import recommendation
from smart_app.domain.rules.monitoring import NATALIZUMAB, natalizumab_months
from smart_app.domain.sources import CLASSIFICATION, ECTRIMS_EAN_2018, GUIDANCE, MAGNIMS_2021
from smart_app.domain.terminology import Terminology
from smart_app.domain.thresholds import RuleSettings
from smart_app.domain.timeline import DmtExposure, JcvResult, PatientTimeline

FIRST_LINE_STATUSES = frozenset({"benign", "too-early", "indeterminate"})


def first_line_names(terminology: Terminology) -> str:
    """The first-line DMTs of the guidance, named from the terminology (never retyped)."""
    names = list(terminology.first_line_dmt_names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _describe(findings: list[Finding]) -> str:
    return ", ".join(f"{f.kind} on {iso_day(f.date)}" for f in findings)


def treatment_recommendations(
    timeline: PatientTimeline,
    classification: Classification,
    activity: Activity,
    current: tuple[DmtExposure, ...],
    as_of: date,
    settings: RuleSettings,
) -> list[Recommendation]:
    """The treatment suggestions; ``current``: the exposures current on D."""
    recs: list[Recommendation] = []
    review = review_dmt(timeline, activity, current, as_of, settings)
    if review is not None:
        recs.append(review)
    if activity.active and not current:
        recs.append(consider_dmt(timeline, classification, activity, as_of, settings))
    if activity.active and classification.status == "benign":
        findings = list(activity.findings)
        latest = findings[-1]
        recs.append(
            recommendation(
                "reassess-benign-status",
                due=add_months(latest.date, settings.treatment_review_months),
                window_start=latest.date,
                as_of=as_of,
                rationale=(
                    f"Classified benign but with disease activity ({_describe(findings)}): the "
                    "benign label can change and must be re-assessed."
                ),
                source=(GUIDANCE, *CLASSIFICATION),
                evidence=tuple(ref for f in findings for ref in f.evidence),
                anchor=latest.date,
            )
        )
    return recs


def consider_dmt(
    timeline: PatientTimeline,
    classification: Classification,
    activity: Activity,
    as_of: date,
    settings: RuleSettings,
) -> Recommendation:
    findings = list(activity.findings)
    latest = findings[-1]
    progressive = timeline.diagnosis is not None and timeline.diagnosis.progressive
    if classification.status in FIRST_LINE_STATUSES and not progressive:
        advice = (
            "consider a first-line DMT, "
            f"{first_line_names(timeline.context.terminology)}, as the guidance says"
        )
    else:
        course = "a progressive course" if progressive else f"a {classification.status} course"
        advice = (
            f"for {course} the choice of therapy is the specialist's (higher-efficacy therapy; "
            "in primary progressive MS ocrelizumab is the licensed option)"
        )
    return recommendation(
        "consider-dmt",
        due=add_months(latest.date, settings.treatment_review_months),
        window_start=latest.date,
        as_of=as_of,
        rationale=(
            f"Disease activity ({_describe(findings)}) without a current DMT: {advice}. "
            "A suggestion for the clinician, not an order."
        ),
        source=(GUIDANCE, ECTRIMS_EAN_2018),
        evidence=tuple(ref for f in findings for ref in f.evidence),
        anchor=latest.date,
    )


def _pml_risk_result(
    timeline: PatientTimeline, current: tuple[DmtExposure, ...], as_of: date, settings: RuleSettings
) -> JcvResult | None:
    """The latest positive JCV result when the PML-risk review applies, else None."""
    if not any(d.ingredient == NATALIZUMAB for d in current):
        return None
    if natalizumab_months(timeline, as_of) < settings.pml_review_exposure_months:
        return None
    positives = [j for j in timeline.jcv_results if j.positive]
    return positives[-1] if positives else None


def review_dmt(
    timeline: PatientTimeline,
    activity: Activity,
    current: tuple[DmtExposure, ...],
    as_of: date,
    settings: RuleSettings,
) -> Recommendation | None:
    """One review per patient, listing every reason: suboptimal response and/or PML risk."""
    if not current:
        return None
    rebaseline = min(add_months(d.since, settings.dmt_rebaseline_months) for d in current)
    on_treatment = [f for f in activity.findings if f.date >= rebaseline]
    positive = _pml_risk_result(timeline, current, as_of, settings)
    if not on_treatment and positive is None:
        return None
    names = ", ".join(f"{d.ingredient} (current run since {iso_day(d.since)})" for d in current)
    reasons: list[str] = []
    evidence: list[str] = []
    anchors: list[date] = []
    if on_treatment:
        reasons.append(
            f"disease activity ({_describe(on_treatment)}) at least "
            f"{settings.dmt_rebaseline_months} months after starting {names}: suboptimal "
            "response; review adherence and consider a switch (another first-line or a "
            "second-line DMT)"
        )
        evidence += [ref for f in on_treatment for ref in f.evidence]
        anchors.append(on_treatment[-1].date)
    if positive is not None:
        months = natalizumab_months(timeline, as_of)
        index = f", index {positive.index:g}" if positive.index is not None else ""
        reasons.append(
            f"pml-risk: {months} months of cumulative natalizumab exposure (>= "
            f"{settings.pml_review_exposure_months}) and a positive JCV antibody result "
            f"({iso_day(positive.date)}{index}): review the benefit against the PML risk; a "
            "benign course rarely justifies it"
        )
        evidence.append(positive.ref)
        anchors.append(positive.date)
    anchor = max(anchors)
    return recommendation(
        "review-dmt",
        due=add_months(min(anchors), settings.treatment_review_months),
        window_start=min(anchors),
        as_of=as_of,
        rationale="Review the DMT: " + "; ".join(reasons) + ".",
        source=(GUIDANCE, ECTRIMS_EAN_2018, MAGNIMS_2021),
        evidence=(*evidence, *(d.evidence[-1] for d in current)),
        anchor=anchor,
    )


def treatment_statement(classification: Classification, activity: Activity) -> str | None:
    """The plan's statement for benign MS without activity (monitoring, not escalation)."""
    if classification.status != "benign" or activity.active:
        return None
    return (
        "Benign MS without disease activity: monitoring rather than treatment escalation. "
        "AHSCT is not recommended for benign MS. The benign label can change and is re-assessed "
        "at every review."
    )
