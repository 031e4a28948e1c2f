"""Rule A: disease activity in the lookback window (relapse, MRI, confirmed progression).

Confirmed disability progression follows Kappos et al. and msprog (Montobbio 2024): the reference is
the first stable EDSS; a worsening is >= reference + 1.5 (reference 0), + 1.0 (0.5-5.5), + 0.5
(> 5.5); it is confirmed by a stable EDSS >= that worsened *level* (reference + increment) measured
>= 84 days later with no stable measurement in between below the level. Readings where the contract
is silent, chosen to flag rather than miss progression:

* after a confirmed event the new reference is the confirming measurement's value (msprog's
  roving reference; docs/clinical-rules.md, A), and scanning resumes after the confirmation;
* a relapse with a partial onset date is in the window when any day of it is; an MRI report counts
  when new/enlarging T2 or gadolinium-enhancing lesions >= 1; reports of the same day are one
  finding.
"""

from __future__ import annotations

from datetime import date
from operator import attrgetter

from smart_app.domain.dates import add_months
from smart_app.domain.results import Activity, Finding, ProgressionEvent
from smart_app.domain.thresholds import RuleSettings
from smart_app.domain.timeline import EdssMeasurement, PatientTimeline


def confirmed_progression(
    series: tuple[EdssMeasurement, ...], settings: RuleSettings
) -> tuple[list[ProgressionEvent], EdssMeasurement | None, EdssMeasurement | None]:
    """Confirmed events, and the pending (unconfirmed) worsening with its reference, if any."""
    events: list[ProgressionEvent] = []
    n = len(series)
    if n == 0:
        return events, None, None
    reference_measurement = series[0]
    reference = reference_measurement.value
    confirm_days = settings.cdp_confirmation_days
    i = 1
    while i < n:
        level = reference + settings.cdp_increment(reference)
        worsening = series[i]
        if worsening.value < level:
            i += 1
            continue
        j = i + 1
        while j < n:
            candidate = series[j]
            if candidate.value < level:
                break
            if (candidate.date - worsening.date).days >= confirm_days:
                events.append(
                    ProgressionEvent(
                        worsening,
                        candidate,
                        reference,
                        tuple([m.ref for m in series[i : j + 1]]),
                        reference_measurement,
                    )
                )
                reference_measurement = candidate
                reference = candidate.value
                break
            j += 1
        else:
            return events, worsening, reference_measurement
        i = j + 1 if series[j].value >= level else i + 1
    return events, None, None


def assess_activity(timeline: PatientTimeline, as_of: date, settings: RuleSettings) -> Activity:
    start = add_months(as_of, -settings.activity_lookback_months)
    findings: list[Finding] = []
    for relapse in timeline.relapses:
        if relapse.onset_latest >= start and relapse.onset <= as_of:
            findings.append(Finding("relapse", max(relapse.onset, start), (relapse.ref,)))
    mri_by_day: dict[date, set[str]] = {}  # a set: both counts of one report name it once
    for finding in timeline.mri_findings:
        if finding.count >= 1 and start <= finding.date <= as_of:
            mri_by_day.setdefault(finding.date, set()).add(finding.ref)
    for day, refs in mri_by_day.items():
        findings.append(Finding("mri", day, tuple(sorted(refs))))
    stable = tuple([m for m in timeline.edss if m.stable])
    events, pending, pending_reference = confirmed_progression(stable, settings)
    for event in events:
        if event.worsening.date >= start:
            findings.append(Finding("cdp", event.worsening.date, event.evidence))
    findings.sort(key=attrgetter("date", "kind", "evidence"))
    return Activity(bool(findings), tuple(findings), pending, pending_reference)
