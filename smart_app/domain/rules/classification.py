"""Rule C: is this MS "benign"? (Hawkins & McDonnell 1999; Sayao 2007; strict: Pittock 2004).

Benign = latest *stable* EDSS <= 3.0 after >= 10 years of disease. Conservative readings:

* disease duration is counted to the as-of date (``RuleSettings.benign_duration_at_edss_date``
  counts it to the date of the classifying EDSS instead, the stricter reading of "EDSS <= 3 at
  >= 10 years");
* an MS diagnosis without any usable date gives an unknown duration: a low EDSS then yields
  ``indeterminate``, never ``benign``;
* ``strict`` is only ever true for ``benign``.
"""

from __future__ import annotations

from datetime import date

from smart_app.domain.dates import years_between
from smart_app.domain.results import Classification
from smart_app.domain.thresholds import RuleSettings
from smart_app.domain.timeline import EdssMeasurement, PatientTimeline


def latest_stable_edss(timeline: PatientTimeline) -> EdssMeasurement | None:
    for measurement in reversed(timeline.edss):
        if measurement.stable:
            return measurement
    return None


def classify(timeline: PatientTimeline, as_of: date, settings: RuleSettings) -> Classification:
    diagnosis = timeline.diagnosis
    if diagnosis is None:
        return Classification("not-applicable", None, None, None, False, ())
    onset = diagnosis.onset
    duration = round(years_between(onset, as_of), 1) if onset is not None else None
    latest = latest_stable_edss(timeline)
    if latest is None:
        return Classification("indeterminate", None, None, duration, False, (diagnosis.ref,))
    evidence = (diagnosis.ref, latest.ref)
    if latest.value > settings.benign_edss_max:
        return Classification("not-benign", latest.value, latest.date, duration, False, evidence)
    if onset is None:
        return Classification("indeterminate", latest.value, latest.date, None, False, evidence)
    until = latest.date if settings.benign_duration_at_edss_date else as_of
    if years_between(onset, until) < settings.benign_min_duration_years:
        return Classification("too-early", latest.value, latest.date, duration, False, evidence)
    strict = latest.value <= settings.strict_benign_edss_max
    return Classification("benign", latest.value, latest.date, duration, strict, evidence)
