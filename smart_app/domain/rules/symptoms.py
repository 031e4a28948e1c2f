"""Symptom rules: fatigue (MFIS) and cognition (SDMT), often hidden in "benign" MS.

Tallantyre et al., JNNP 2019;90:522. Where the contract is silent: the action is due
``symptom_action_months`` (3) after the result that triggered it, with the window opening on that
result; an SDMT drop counts when it is >= 4 points *or* >= 10% of the previous score.
"""

from __future__ import annotations

from datetime import date

from smart_app.domain.dates import add_months, iso_day
from smart_app.domain.results import Recommendation
from smart_app.domain.rules.common import recommendation
from smart_app.domain.sources import GUIDANCE, TALLANTYRE_2019
from smart_app.domain.thresholds import RuleSettings
from smart_app.domain.timeline import PatientTimeline


def symptom_recommendations(
    timeline: PatientTimeline, as_of: date, settings: RuleSettings
) -> list[Recommendation]:
    recs: list[Recommendation] = []
    fatigue = symptom_fatigue(timeline, as_of, settings)
    if fatigue is not None:
        recs.append(fatigue)
    cognition = symptom_cognition(timeline, as_of, settings)
    if cognition is not None:
        recs.append(cognition)
    return recs


def symptom_fatigue(
    timeline: PatientTimeline, as_of: date, settings: RuleSettings
) -> Recommendation | None:
    """Latest MFIS within 12 months >= 38: clinically significant fatigue."""
    if not timeline.mfis:
        return None
    latest = timeline.mfis[-1]
    recent = latest.date >= add_months(as_of, -settings.mfis_recent_months)
    if not recent or latest.value < settings.mfis_fatigue_min:
        return None
    return recommendation(
        "symptom-fatigue",
        due=add_months(latest.date, settings.symptom_action_months),
        window_start=latest.date,
        as_of=as_of,
        rationale=(
            f"MFIS {latest.value:g} on {iso_day(latest.date)} (>= "
            f"{settings.mfis_fatigue_min:g}): significant fatigue; assess causes (sleep, mood, "
            "medication) and offer fatigue management."
        ),
        source=(GUIDANCE, TALLANTYRE_2019),
        evidence=(latest.ref,),
        anchor=latest.date,
    )


def symptom_cognition(
    timeline: PatientTimeline, as_of: date, settings: RuleSettings
) -> Recommendation | None:
    """Latest SDMT >= 4 points or >= 10% below the previous one: cognitive decline."""
    if len(timeline.sdmt) < 2:
        return None
    previous, latest = timeline.sdmt[-2], timeline.sdmt[-1]
    drop = previous.value - latest.value
    fraction = drop / previous.value if previous.value > 0 else 0.0
    # a small epsilon so that exactly 10% is not lost to floating point (e.g. 50 -> 45)
    if drop < settings.sdmt_drop_points and fraction < settings.sdmt_drop_fraction - 1e-9:
        return None
    return recommendation(
        "symptom-cognition",
        due=add_months(latest.date, settings.symptom_action_months),
        window_start=latest.date,
        as_of=as_of,
        rationale=(
            f"SDMT fell from {previous.value:g} ({iso_day(previous.date)}) to "
            f"{latest.value:g} ({iso_day(latest.date)}): possible cognitive decline; "
            "consider neuropsychological assessment."
        ),
        source=(GUIDANCE, TALLANTYRE_2019),
        evidence=(previous.ref, latest.ref),
        anchor=latest.date,
    )
