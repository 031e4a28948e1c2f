"""Each evidence reference named as what it is in the clinic, from the patient's timeline.

The dashboard cites the resources behind every finding and action (docs/clinical-rules.md,
"Evidence"); a neurologist reads "EDSS 2.5, 2026-08-28", not ``Observation/msm-022-edss-2``.
The one mapping is :func:`evidence_labels` (reference -> label), built from the extracted timeline
(the values the rules used) and the plan resources read back from the EHR; a reference it does not
know keeps its id. Pure: no Flask, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from smart_app.domain import PatientTimeline
from smart_app.domain.plan import ACTION_DISPLAY
from smart_app.domain.timeline import MriFinding, MriStudy

LESION_WORDS = {"new-t2-lesions": "new T2", "gd-lesions": "Gd+"}
SCAN_WORDS = {"brain": "Brain MRI", "spine": "Spinal MRI"}


def _n(value: float) -> str:
    return f"{value:g}"


def edss_label(value: float, day: date, *, stable: bool = True) -> str:
    """``EDSS 2.5, 2026-08-28`` (marked when measured too soon after a relapse to count)."""
    text = f"EDSS {value:.1f}, {day.isoformat()}"
    return text if stable else f"{text} (within a relapse: not stable)"


def scan_label(study: MriStudy | None, day: date, findings: Iterable[MriFinding]) -> str:
    """``Brain MRI 2026-06-24: 0 new T2, 0 Gd+`` (the lesion counts reported for that day)."""
    what = SCAN_WORDS.get(study.region, "MRI") if study else "MRI report"
    counts = {f.kind: f.count for f in findings}
    parts = [f"{_n(counts[k])} {word}" for k, word in LESION_WORDS.items() if k in counts]
    return f"{what} {day.isoformat()}" + (f": {', '.join(parts)}" if parts else "")


def evidence_labels(
    timeline: PatientTimeline, plan: Iterable[Mapping[str, Any]] = ()
) -> dict[str, str]:
    """Reference -> what it is, for every reference the timeline and the plan resources hold."""
    labels: dict[str, str] = {}
    if timeline.diagnosis is not None:
        onset = timeline.diagnosis.onset
        for ref in timeline.diagnosis.refs:
            labels[ref] = "MS diagnosis" + (f", onset {onset.isoformat()}" if onset else "")
    for m in timeline.edss:
        labels[m.ref] = edss_label(m.value, m.date, stable=m.stable)
    for r in timeline.relapses:
        labels[r.ref] = f"Relapse {r.onset.isoformat()}" + (
            f" to {r.onset_latest.isoformat()}" if r.onset_latest != r.onset else ""
        )
    by_day: dict[date, list[MriFinding]] = {}
    for f in timeline.mri_findings:
        by_day.setdefault(f.date, []).append(f)
    studies = sorted((*timeline.brain_mris, *timeline.spinal_mris), key=lambda s: s.region)
    for study in studies:  # a day's counts belong to its brain scan first (as on the chart)
        labels[study.ref] = scan_label(study, study.date, by_day.get(study.date, ()))
    brain_days = {s.date: s for s in reversed(studies)}
    for day, found in by_day.items():
        text = scan_label(brain_days.get(day), day, found)
        for f in found:
            labels.setdefault(f.ref, text)
    for d in timeline.dmt_exposures:
        text = f"{d.ingredient} since {d.since.isoformat()}" + (
            "" if d.current else f" (last {d.last_date.isoformat()})"
        )
        for ref in d.evidence:
            labels.setdefault(ref, text)
    for j in timeline.jcv_results:
        result = {True: "positive", False: "negative", None: "unknown"}[j.positive]
        index = f", index {_n(j.index)}" if j.index is not None else ""
        labels[j.ref] = f"Anti-JCV {result}{index}, {j.date.isoformat()}"
    for name, scores in (("MFIS", timeline.mfis), ("SDMT", timeline.sdmt)):
        for s in scores:
            labels[s.ref] = f"{name} {_n(s.value)}, {s.date.isoformat()}"
    for resource in plan:
        ref = f"{resource.get('resourceType')}/{resource.get('id')}"
        labels[ref] = plan_label(resource)
    return labels


def plan_label(resource: Mapping[str, Any]) -> str:
    """A written CarePlan or Task by its action ("Task: Brain MRI"), not its server id."""
    kind = str(resource.get("resourceType", ""))
    for coding in (resource.get("code") or {}).get("coding") or []:
        if isinstance(coding, dict) and coding.get("code"):
            code = str(coding["code"])
            return f"{kind}: {ACTION_DISPLAY.get(code, code)}"
    title = resource.get("title") or resource.get("description")
    return f"{kind}: {title}" if title else kind


def label_of(ref: str, labels: Mapping[str, str]) -> str:
    """The label of ``ref``; the reference itself when the timeline does not know it."""
    return labels.get(ref, ref)
