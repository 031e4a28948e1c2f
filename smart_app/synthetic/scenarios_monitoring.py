"""Scenario patients for the monitoring schedule (M): MRI, PML surveillance, JCV, symptoms.

Sources: brain MRI at least yearly and every 3-4 months when at risk of serious treatment-related
adverse events (MAGNIMS-CMSC-NAIMS 2021); hidden fatigue and cognitive decline in "benign" MS
(Tallantyre, JNNP 2019;90:522).
"""

from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta

from smart_app.synthetic import codes
from smart_app.synthetic.chart import Chart
from smart_app.synthetic.expectations import (
    expect,
    jcv_serology,
    mri_brain,
    neuro_review,
    routine,
    symptom_screen,
    urgent,
)
from smart_app.synthetic.model import Expected, RecommendationCheck
from smart_app.synthetic.scenarios_rules import follow_up, pml_follow_up, screened


def _quiet_benign(
    c: Chart, *, edss: float = 2.0, mri_months_ago: int | None = 6
) -> tuple[date, date | None]:
    """A benign, untreated, quiet patient (15 years of MS): returns (EDSS date, brain MRI date)."""
    c.patient(birth_date=c.ago(years=51, days=96))
    c.ms_diagnosis(c.ago(years=15))
    edss_date = c.edss_series([(c.ago(years=1, months=1), edss), (c.ago(months=3), edss)])
    mri = None
    if mri_months_ago is not None:
        mri = c.ago(months=mri_months_ago)
        c.brain_mri(mri)
    return edss_date, mri


def _review_and_mri(c: Chart, edss_date: date, mri: date | None) -> list[RecommendationCheck]:
    return follow_up(c, edss_date, 12, mri, c.as_of)[:2]


def mri_brain_never(c: Chart) -> Expected:
    """M mri-brain: no brain MRI ever: due today (EDSS given as valueInteger)."""
    c.patient(birth_date=c.ago(years=44, days=77))
    c.ms_diagnosis(c.ago(years=11))
    c.edss(c.ago(months=14), 2.0)
    edss = c.ago(months=2)
    c.edss(edss, 2, as_integer=True)
    return expect(
        "benign",
        strict=True,
        edss=2.0,
        edss_date=edss,
        checks=follow_up(c, edss, 12, None, screened(c)),
    )


def spinal_mri_not_brain(c: Chart) -> Expected:
    """M mri-brain: a recent spinal MRI is not the yearly brain MRI; the brain MRI is overdue."""
    edss, _ = _quiet_benign(c, mri_months_ago=None)
    brain = c.ago(months=20)
    c.brain_mri(brain)
    c.spine_mri(c.ago(months=2))
    return expect(
        "benign",
        strict=True,
        edss=2.0,
        edss_date=edss,
        checks=follow_up(c, edss, 12, brain, screened(c)),
    )


def overdue_follow_up(c: Chart) -> Expected:
    """M + T: review, brain MRI and symptom screen all overdue; overdue review/MRI are urgent."""
    c.patient(birth_date=c.ago(years=60, days=2), gender="male")
    c.ms_diagnosis(c.ago(years=22))
    edss = c.edss_series([(c.ago(years=3), 2.0), (c.ago(months=15), 2.0)])
    mri = c.ago(months=14)
    c.brain_mri(mri)
    due = c.screening(c.ago(months=14))
    return expect(
        "benign", strict=True, edss=2.0, edss_date=edss, checks=follow_up(c, edss, 12, mri, due)
    )


def dmt_reference_scan(c: Chart) -> Expected:
    """M mri-brain: dimethyl fumarate started 5 months ago, last MRI before it: a reference scan is
    due at start + 6 months, earlier than the yearly MRI."""
    c.patient(birth_date=c.ago(years=42, days=64))
    c.ms_diagnosis(c.ago(years=12))
    edss = c.edss_series([(c.ago(years=1), 1.5), (c.ago(months=2), 2.0)])
    start = c.ago(months=5)
    c.dmt_request("dimethyl fumarate", start)
    mri = c.ago(months=8)
    c.brain_mri(mri)
    due = min(mri + relativedelta(months=12), start + relativedelta(months=6))
    return expect(
        "benign",
        strict=True,
        edss=2.0,
        edss_date=edss,
        current_dmt={"dimethyl fumarate"},
        checks=[
            neuro_review(edss, 6, c.as_of),
            mri_brain(due, c.as_of),
            symptom_screen(screened(c), c.as_of),
        ],
    )


def _natalizumab_patient(c: Chart, *, edss: float, onset_years: int) -> date:
    c.patient(birth_date=c.ago(years=40, days=41))
    c.ms_diagnosis(c.ago(years=onset_years), code=codes.RRMS_SNOMED)
    return c.edss_series([(c.ago(years=2), edss), (c.ago(months=3), edss)])


def natalizumab_jcv_positive(c: Chart) -> Expected:
    """M mri-pml-surveillance: natalizumab for 3 years, JCV positive: MRI every 3-4 months replaces
    the yearly MRI (urgent); JCV retested 6-monthly; T review-dmt for PML risk (>= 24 months)."""
    edss = _natalizumab_patient(c, edss=3.5, onset_years=8)
    c.dmt_request("natalizumab", c.ago(years=3))
    jcv = c.ago(months=2)
    c.jcv(jcv, positive=True)
    mri = c.ago(months=2)
    c.brain_mri(mri)
    return expect(
        "not-benign",
        edss=3.5,
        edss_date=edss,
        current_dmt={"natalizumab"},
        checks=[*pml_follow_up(c, edss, mri, jcv), urgent("review-dmt")],
    )


def natalizumab_jcv_unknown(c: Chart) -> Expected:
    """M mri-pml-surveillance: natalizumab for 2 years, never JCV-tested (unknown counts as risk);
    the surveillance MRI is overdue; JCV serology due today."""
    edss = _natalizumab_patient(c, edss=2.5, onset_years=14)
    c.dmt_request("natalizumab", c.ago(years=2))
    mri = c.ago(months=5)
    c.brain_mri(mri)
    return expect(
        "benign",
        strict=False,
        edss=2.5,
        edss_date=edss,
        current_dmt={"natalizumab"},
        checks=pml_follow_up(c, edss, mri, None),
    )


def natalizumab_short_exposure(c: Chart) -> Expected:
    """M: JCV positive but natalizumab for only 10 months (< 18): yearly brain MRI still applies;
    the reference scan after the start was done (MRI >= start + 3 months)."""
    edss = _natalizumab_patient(c, edss=2.0, onset_years=4)
    c.dmt_request("natalizumab", c.ago(months=10))
    c.brain_mri(c.ago(months=11))
    mri = c.ago(months=5)
    c.brain_mri(mri)
    jcv = c.ago(months=1)
    c.jcv(jcv, positive=True)
    return expect(
        "too-early",
        edss=2.0,
        edss_date=edss,
        current_dmt={"natalizumab"},
        checks=[*follow_up(c, edss, 6, mri, screened(c)), jcv_serology(jcv, c.as_of)],
    )


def natalizumab_stopped(c: Chart) -> Expected:
    """M mri-pml-surveillance: natalizumab stopped 4 months ago (PML risk persists ~6-12 months);
    no longer on it, so no JCV serology and no current DMT."""
    edss = _natalizumab_patient(c, edss=4.0, onset_years=17)
    c.dmt_statement("natalizumab", c.ago(years=3), end=c.ago(months=4), status="stopped")
    c.jcv(c.ago(months=9), positive=True)
    mri = c.ago(months=2)
    c.brain_mri(mri)
    return expect(
        "not-benign",
        edss=4.0,
        edss_date=edss,
        current_dmt=set(),
        checks=pml_follow_up(c, edss, mri),
    )


def symptom_screen_missing(c: Chart) -> Expected:
    """M symptom-screen: fatigue screened but cognition (SDMT) never: screen due today."""
    edss, mri = _quiet_benign(c)
    c.mfis(c.ago(months=4), 20)
    return expect(
        "benign",
        strict=True,
        edss=2.0,
        edss_date=edss,
        checks=[*_review_and_mri(c, edss, mri), symptom_screen(c.as_of, c.as_of)],
    )


def symptom_screen_old(c: Chart) -> Expected:
    """M symptom-screen: MFIS 20 months and SDMT 14 months ago: due at the older + 12 months,
    overdue; the high MFIS is too old for symptom-fatigue."""
    edss, mri = _quiet_benign(c)
    mfis = c.ago(months=20)
    c.mfis(mfis, 45)
    c.sdmt(c.ago(months=14), 50)
    return expect(
        "benign",
        strict=True,
        edss=2.0,
        edss_date=edss,
        checks=[
            *_review_and_mri(c, edss, mri),
            symptom_screen(mfis + relativedelta(months=12), c.as_of),
        ],
    )


def symptom_fatigue(c: Chart) -> Expected:
    """M symptom-fatigue: MFIS 44 (>= 38) two months ago in a strictly benign patient."""
    edss, mri = _quiet_benign(c, edss=1.5)
    c.mfis(c.ago(months=14), 30)
    c.sdmt(c.ago(months=14), 54)
    due = c.screening(c.ago(months=2), mfis=44, sdmt=55)
    return expect(
        "benign",
        strict=True,
        edss=1.5,
        edss_date=edss,
        checks=[
            *_review_and_mri(c, edss, mri),
            symptom_screen(due, c.as_of),
            routine("symptom-fatigue"),
        ],
    )


def symptom_cognition_drop(c: Chart) -> Expected:
    """M symptom-cognition: SDMT 52 -> 46 (6 points, >= 4)."""
    edss, mri = _quiet_benign(c)
    c.sdmt(c.ago(months=14), 52)
    due = c.screening(c.ago(months=2), mfis=20, sdmt=46)
    return expect(
        "benign",
        strict=True,
        edss=2.0,
        edss_date=edss,
        checks=[
            *_review_and_mri(c, edss, mri),
            symptom_screen(due, c.as_of),
            routine("symptom-cognition"),
        ],
    )


def symptom_cognition_ten_percent(c: Chart) -> Expected:
    """M symptom-cognition: SDMT 25 -> 22: only 3 points but 12% below the previous test."""
    edss, mri = _quiet_benign(c, edss=3.0)
    c.sdmt(c.ago(months=13), 25)
    due = c.screening(c.ago(months=1), mfis=22, sdmt=22)
    return expect(
        "benign",
        strict=False,
        edss=3.0,
        edss_date=edss,
        checks=[
            *_review_and_mri(c, edss, mri),
            symptom_screen(due, c.as_of),
            routine("symptom-cognition"),
        ],
    )
