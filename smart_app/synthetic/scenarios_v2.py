"""Scenario patients of clinical contract version 2 (docs/clinical-rules.md, the [v2] branches).

Each states, independently of the engine, what the contract makes of a record shaped like the ones
real EHRs send: progressive phenotypes, unconfirmed diagnoses, stale or unreadable EDSS, relapse
Conditions co-coded as MS, radiology reports without lesion counts, doses given in clinic, JCV
indices, drug holidays, and the DMT re-baseline.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from dateutil.relativedelta import relativedelta

from smart_app.synthetic import codes
from smart_app.synthetic.chart import Chart
from smart_app.synthetic.expectations import (
    expect,
    mri_brain,
    neuro_review,
    symptom_screen,
    urgent,
)
from smart_app.synthetic.model import Expected
from smart_app.synthetic.scenarios_rules import follow_up, pml_follow_up, screened


def _person(c: Chart, onset_years: int = 15, **kwargs: object) -> None:
    c.patient(birth_date=c.ago(years=50, days=77))
    c.ms_diagnosis(c.ago(years=onset_years), **kwargs)  # type: ignore[arg-type]


def _stable_edss_and_mri(
    c: Chart, score: float = 2.0, *, last_edss: int = 3, mri: int = 5
) -> tuple[date, date]:
    """The usual follow-up: EDSS ``score`` a year ago and ``last_edss`` months ago, a brain MRI
    ``mri`` months ago; returns the dates of the last EDSS and of the MRI."""
    edss = c.edss_series([(c.ago(years=1), score), (c.ago(months=last_edss), score)])
    mri_date = c.ago(months=mri)
    c.brain_mri(mri_date)
    return edss, mri_date


def _followed(
    c: Chart, status: str, edss: float, last_edss: date, months: int, mri: date, **kw: Any
) -> Expected:
    """``status`` with EDSS ``edss`` and exactly the routine follow-up: review every ``months``
    from ``last_edss``, the yearly brain MRI, the symptom screen (done recently)."""
    checks = follow_up(c, last_edss, months, mri, screened(c))
    return expect(status, edss=edss, checks=checks, **kw)


def progressive_course(c: Chart) -> Expected:
    """C2: secondary progressive MS with EDSS 2.0 after 15 years is never benign."""
    _person(c, code=codes.SPMS_SNOMED)
    edss, mri = _stable_edss_and_mri(c)
    return _followed(c, "not-benign", 2.0, edss, 6, mri, reason="progressive-course")


def diagnosis_unconfirmed(c: Chart) -> Expected:
    """C8: a provisional MS diagnosis with EDSS 2.0 after 15 years is indeterminate, not benign."""
    _person(c, verification="provisional")
    edss, mri = _stable_edss_and_mri(c)
    return _followed(
        c,
        "indeterminate",
        2.0,
        edss,
        6,
        mri,
        reason="diagnosis-unconfirmed",
        issues={"diagnosis-unconfirmed"},
    )


def edss_stale(c: Chart) -> Expected:
    """C6: the latest EDSS (2.0) is 30 months old: indeterminate, data issue edss-stale."""
    _person(c)
    edss = c.edss_series([(c.ago(years=4), 2.0), (c.ago(months=30), 2.0)])
    mri = c.ago(months=5)
    c.brain_mri(mri)
    return _followed(
        c, "indeterminate", 2.0, edss, 6, mri, reason="edss-stale", issues={"edss-stale"}
    )


def latest_edss_unreadable(c: Chart) -> Expected:
    """C4: the latest EDSS says "see note" instead of a number: indeterminate, never benign on the
    older EDSS 2.0."""
    _person(c)
    edss = c.edss_series([(c.ago(years=1), 2.0), (c.ago(months=5), 2.0)])
    c.observation(codes.EDSS_SNOMED, c.ago(months=1), kind="edss", valueString="see note")
    mri = c.ago(months=5)
    c.brain_mri(mri)
    return _followed(
        c,
        "indeterminate",
        2.0,
        edss,
        6,
        mri,
        reason="latest-edss-unreadable",
        edss_date=edss,
        issues={"invalid-resource"},
    )


def edss_as_text(c: Chart) -> Expected:
    """Inputs: an EDSS recorded as the text "2.5" (a flowsheet row) is read, with edss-as-text."""
    _person(c)
    c.edss(c.ago(years=1), 2.0)
    edss = c.ago(months=2)
    c.observation(codes.EDSS_SNOMED, edss, kind="edss", valueString="2.5")
    mri = c.ago(months=5)
    c.brain_mri(mri)
    return _followed(
        c, "benign", 2.5, edss, 12, mri, strict=False, edss_date=edss, issues={"edss-as-text"}
    )


def relapse_coded_as_ms(c: Chart) -> Expected:
    """Inputs: a recent relapse Condition co-coded G35 stays a relapse: the 16-year-old diagnosis
    keeps the onset (benign), and the relapse is activity."""
    _person(c, onset_years=16)
    relapse = c.relapse(c.ago(months=4))
    relapse["code"]["coding"].append(
        {"system": codes.ICD10CM, "code": "G35", "display": "Multiple sclerosis"}
    )
    edss, mri = _stable_edss_and_mri(c, last_edss=2)
    return expect(
        "benign",
        strict=True,
        edss=2.0,
        activity={"relapse"},
        checks=[
            neuro_review(edss, 6, c.as_of),
            *follow_up(c, edss, 6, mri, screened(c))[1:],
            urgent("consider-dmt"),
            urgent("reassess-benign-status"),
        ],
    )


def relapses_only(c: Chart) -> Expected:
    """Inputs: no MS diagnosis Condition, only relapses 12 and 11 years ago: they establish the
    diagnosis (onset-missing) and date the disease, so EDSS 1.5 is benign."""
    c.patient(birth_date=c.ago(years=44, days=3))
    c.relapse(c.ago(years=12))
    c.relapse(c.ago(years=11))
    edss, mri = _stable_edss_and_mri(c, 1.5)
    return _followed(c, "benign", 1.5, edss, 12, mri, strict=True, issues={"onset-missing"})


def future_onset_recorded_diagnosis(c: Chart) -> Expected:
    """Inputs: an onset typed in the future is ignored (future-date) but the WHO ICD-10 G35
    diagnosis recorded 12 years ago still counts: benign."""
    c.patient(birth_date=c.ago(years=47, days=12))
    c.ms_diagnosis(c.ahead(years=1), code=codes.MS_WHO_ICD10, recorded=c.ago(years=12))
    edss, mri = _stable_edss_and_mri(c)
    return _followed(c, "benign", 2.0, edss, 12, mri, strict=True, issues={"future-date"})


def mri_report_unstructured(c: Chart) -> Expected:
    """Inputs/Q: the last brain MRI is a radiology report coded CPT 70553 with no lesion counts:
    it counts as the yearly MRI, and mri-findings-unstructured asks a person to read it."""
    _person(c)
    edss = c.edss_series([(c.ago(years=1), 2.0), (c.ago(months=3), 2.0)])
    c.brain_mri(c.ago(months=20))
    mri = c.ago(months=4)
    c.mri_report(mri)
    return _followed(
        c, "benign", 2.0, edss, 12, mri, strict=True, issues={"mri-findings-unstructured"}
    )


def natalizumab_infusions(c: Chart) -> Expected:
    """DMT: natalizumab given in clinic every 4 weeks for 20 months (MedicationAdministration):
    current, >= 18 months of exposure, JCV unknown: PML surveillance MRI."""
    _person(c, onset_years=12)
    for dose in range(0, 20 * 30, 28):
        c.dmt_administration("natalizumab", c.ago(days=20 * 30 - dose))
    edss, mri = _stable_edss_and_mri(c, mri=2)
    return expect(
        "benign",
        strict=True,
        edss=2.0,
        current_dmt={"natalizumab"},
        checks=pml_follow_up(c, edss, mri, None),
    )


def natalizumab_on_hold_stale_jcv(c: Chart) -> Expected:
    """DMT: natalizumab order on hold (drug holiday) for 2 years, JCV negative 8 months ago: still
    current, the stale result is unknown risk: PML surveillance, JCV test overdue (urgent)."""
    _person(c, onset_years=9)
    c.dmt_request("natalizumab", c.ago(years=2), status="on-hold")
    jcv = c.ago(months=8)
    c.jcv(jcv, positive=False)
    edss, mri = _stable_edss_and_mri(c, mri=2)
    return expect(
        "too-early",
        edss=2.0,
        current_dmt={"natalizumab"},
        checks=pml_follow_up(c, edss, mri, jcv),
    )


def natalizumab_high_index(c: Chart) -> Expected:
    """JCV index 2.1 (high positive) after 3 years of natalizumab: no further JCV testing, PML
    surveillance, and review-dmt for PML risk."""
    _person(c, onset_years=13)
    c.dmt_request("natalizumab", c.ago(years=3))
    c.jcv_index(c.ago(months=2), 2.1)
    edss, mri = _stable_edss_and_mri(c, mri=2)
    return expect(
        "benign",
        strict=True,
        edss=2.0,
        current_dmt={"natalizumab"},
        checks=[*pml_follow_up(c, edss, mri), urgent("review-dmt")],
    )


def natalizumab_stop_date_unknown(c: Chart) -> Expected:
    """DMT: natalizumab "stopped" without an end date: dmt-stop-date-unknown, and PML
    surveillance continues as if stopped within the last 12 months."""
    _person(c, onset_years=17)
    c.dmt_request("natalizumab", c.ago(years=4), status="stopped")
    edss, mri = _stable_edss_and_mri(c, 4.0, mri=2)
    return expect(
        "not-benign",
        edss=4.0,
        current_dmt=set(),
        issues={"dmt-stop-date-unknown"},
        checks=pml_follow_up(c, edss, mri),
    )


def statement_active_but_ended(c: Chart) -> Expected:
    """DMT: a MedicationStatement "active" whose period ended 3 years ago is not current
    (dmt-status-conflict): a benign patient without DMT reviewed yearly."""
    _person(c)
    c.dmt_statement("glatiramer", c.ago(years=6), end=c.ago(years=3), status="active")
    edss, mri = _stable_edss_and_mri(c)
    return _followed(
        c,
        "benign",
        2.0,
        edss,
        12,
        mri,
        strict=True,
        current_dmt=set(),
        issues={"dmt-status-conflict"},
    )


def dmt_rebaseline(c: Chart) -> Expected:
    """T re-baseline: a relapse 2 months after starting fingolimod (4 months ago) is neither a
    suboptimal response nor a reason to start a DMT: no review-dmt, no consider-dmt."""
    _person(c, onset_years=7)
    c.dmt_request("fingolimod", c.ago(months=4))
    c.relapse(c.ago(months=2))
    edss = c.edss_series([(c.ago(years=1), 2.0), (c.ago(months=6), 2.0)])
    mri = c.ago(months=5)
    c.brain_mri(c.ago(months=6))
    c.brain_mri(mri)
    return expect(
        "too-early",
        edss=2.0,
        activity={"relapse"},
        current_dmt={"fingolimod"},
        checks=[
            neuro_review(edss, 6, c.as_of),
            mri_brain(c.ago(months=4) + relativedelta(months=6), c.as_of),
            symptom_screen(screened(c), c.as_of),
        ],
    )


def cdp_stable_after_event(c: Chart) -> Expected:
    """A cdp: 2.0 worsened to 4.0, dipped to 3.0 and was confirmed at 4.0; the new reference is the
    confirming 4.0 (not the 3.0 in between), so 4.0 ever since is no new progression."""
    _person(c, onset_years=18)
    c.edss_series(
        [
            (c.ago(years=5), 2.0),
            (c.ago(years=4, months=6), 4.0),
            (c.ago(years=4, months=3), 3.0),
            (c.ago(years=4), 4.0),
        ]
    )
    edss = c.edss_series([(c.ago(months=10), 4.0), (c.ago(months=3), 4.0)])
    mri = c.ago(months=5)
    c.brain_mri(mri)
    return _followed(c, "not-benign", 4.0, edss, 6, mri, reason="edss-above-threshold")
