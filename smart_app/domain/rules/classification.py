"""Rule C: is this MS "benign"? (Hawkins & McDonnell 1999; Sayao 2007; strict: Pittock 2004).

Benign = latest *stable* EDSS <= 3.0 after >= 10 years of a relapsing-onset disease
(docs/clinical-rules.md, C). The steps, in order, each with its ``reason``:

1. no MS diagnosis: ``not-applicable`` (``no-ms-diagnosis``);
2. a progressive phenotype (SPMS, PPMS): ``not-benign`` (``progressive-course``);
3. no stable EDSS: ``indeterminate`` (``no-stable-edss``);
4. the latest EDSS cannot be read: ``indeterminate`` (``latest-edss-unreadable``), never benign on
   an older value;
5. latest stable EDSS > 3.0: ``not-benign`` (``edss-above-threshold``);
6. latest stable EDSS older than 24 months: ``indeterminate`` (``edss-stale``);
7. fewer than 10 years of disease: ``too-early`` (``duration-below-threshold``); no usable onset:
   ``indeterminate`` (``onset-unknown``), never benign on an unknown duration;
8. every MS Condition unconfirmed: ``indeterminate`` (``diagnosis-unconfirmed``);
9. ``benign``; ``strict`` when that EDSS <= 2.0.

N years of disease are reached on the Nth calendar anniversary of the onset (2016-02-29 + 10 years
= 2026-02-28). ``RuleSettings.benign_duration_at_edss_date`` counts the duration to the classifying
EDSS instead of D (the stricter reading of "EDSS <= 3 at >= 10 years").
"""

from __future__ import annotations

import functools
import math
from datetime import date

from smart_app.domain.dates import add_months, years_between
from smart_app.domain.results import Classification
from smart_app.domain.thresholds import RuleSettings
from smart_app.domain.timeline import EdssMeasurement, MsDiagnosis, PatientTimeline


def latest_stable_edss(timeline: PatientTimeline) -> EdssMeasurement | None:
    for measurement in reversed(timeline.edss):
        if measurement.stable:
            return measurement
    return None


def anniversaries_reached(onset: date, day: date) -> int:
    """Whole years of disease on ``day``: calendar anniversaries of ``onset`` reached."""
    years = day.year - onset.year
    if years > 0 and add_months(onset, 12 * years) > day:
        years -= 1
    return max(years, 0)


#: Durations by (onset, as-of date): a population shares a few onsets and one as-of date (the
#: values are immutable floats; ``functools.lru_cache``, as ``dates.add_months``).
@functools.lru_cache(maxsize=65_536)
def disease_duration(onset: date, as_of: date) -> float:
    """Days / 365.25 to one decimal, never showing a year whose anniversary is not reached
    (9.9 the day before the tenth anniversary, 10.0 on it)."""
    whole = anniversaries_reached(onset, as_of)
    shown = round(years_between(onset, as_of), 1)
    if shown >= whole + 1:
        shown = whole + 0.9
    return max(round(shown, 1), 0.0)


def has_reached_years(onset: date, day: date, years: float) -> bool:
    """True on and after the calendar anniversary ``years`` after ``onset``."""
    return add_months(onset, math.ceil(years * 12)) <= day


def _evidence(diagnosis: MsDiagnosis, edss: EdssMeasurement | None) -> tuple[str, ...]:
    """Diagnosis Condition(s), relapses that establish or antedate it, the classifying EDSS."""
    dating = [r for r in diagnosis.onset_refs if r in diagnosis.relapse_refs]
    if not diagnosis.refs:
        dating = list(diagnosis.relapse_refs)
    refs = (*diagnosis.refs, *sorted(set(dating)))
    return (*refs, edss.ref) if edss is not None else refs


def classify(timeline: PatientTimeline, as_of: date, settings: RuleSettings) -> Classification:
    diagnosis = timeline.diagnosis
    if diagnosis is None:
        return Classification(
            "not-applicable", "no-ms-diagnosis", None, None, None, None, False, ()
        )
    onset = diagnosis.onset
    duration = disease_duration(onset, as_of) if onset is not None else None
    latest = latest_stable_edss(timeline)

    def result(status: str, reason: str, strict: bool = False) -> Classification:
        return Classification(
            status,
            reason,
            latest.value if latest else None,
            latest.date if latest else None,
            onset,
            duration,
            strict,
            _evidence(diagnosis, latest),
        )

    if diagnosis.progressive:
        return result("not-benign", "progressive-course")
    if latest is None:
        return result("indeterminate", "no-stable-edss")
    unreadable = timeline.unreadable_edss
    if unreadable is not None and unreadable[0] >= timeline.edss[-1].date:
        return result("indeterminate", "latest-edss-unreadable")
    if latest.value > settings.benign_edss_max:
        return result("not-benign", "edss-above-threshold")
    if edss_is_stale(latest.date, as_of, settings):
        return result("indeterminate", "edss-stale")
    if onset is None:
        return result("indeterminate", "onset-unknown")
    until = latest.date if settings.benign_duration_at_edss_date else as_of
    if not has_reached_years(onset, until, settings.benign_min_duration_years):
        return result("too-early", "duration-below-threshold")
    if not diagnosis.confirmed:
        return result("indeterminate", "diagnosis-unconfirmed")
    return result("benign", "benign", latest.value <= settings.strict_benign_edss_max)


def edss_is_stale(edss_date: date | None, as_of: date, settings: RuleSettings) -> bool:
    """The latest stable EDSS (of ``edss_date``, as the classification found it) is older than
    the staleness limit (24 months)."""
    return edss_date is not None and add_months(edss_date, settings.edss_stale_months) < as_of
