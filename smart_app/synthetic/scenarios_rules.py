"""Scenario patients for classification (C), disease activity (A) and treatment (T).

One patient per rule branch of docs/clinical-rules.md; the EDSS series are built so that a plausible
mis-reading of the rule (an unstable EDSS counted, no re-based reference) gives a different answer.
"""

from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta

from smart_app.synthetic import codes
from smart_app.synthetic.chart import Chart
from smart_app.synthetic.expectations import (
    confirm_edss,
    expect,
    jcv_serology,
    mri_brain,
    neuro_review,
    pml_surveillance,
    symptom_screen,
    urgent,
)
from smart_app.synthetic.model import Expected, RecommendationCheck


def follow_up(
    c: Chart, edss_date: date | None, months: int, mri_date: date | None, screen_due: date
) -> list[RecommendationCheck]:
    """The three recommendations every MS patient gets: review, brain MRI, symptom screen."""
    mri_due = c.as_of if mri_date is None else mri_date + relativedelta(months=12)
    return [
        neuro_review(edss_date, months, c.as_of),
        mri_brain(mri_due, c.as_of),
        symptom_screen(screen_due, c.as_of),
    ]


def pml_follow_up(
    c: Chart, edss_date: date, mri_date: date, *jcv_dates: date | None
) -> list[RecommendationCheck]:
    """What a patient on natalizumab gets: review every 6 months, the PML surveillance MRI,
    JCV serology (one per ``jcv_dates``: the last result, None for never tested), the screen."""
    return [
        neuro_review(edss_date, 6, c.as_of),
        pml_surveillance(mri_date, c.as_of),
        *(jcv_serology(jcv, c.as_of) for jcv in jcv_dates),
        symptom_screen(screened(c), c.as_of),
    ]


def screened(c: Chart) -> date:
    """A recent symptom screen with no fatigue and a stable SDMT; returns its due date."""
    c.sdmt(c.ago(months=16), 55)
    return c.screening(c.ago(months=4), mfis=20, sdmt=56)


# -- C. Classification --------------------------------------------------------------------------
def benign_strict(c: Chart) -> Expected:
    """C5, strict (Pittock 2004): EDSS 2.0 after 15 years; lesion counts of 0 are no activity."""
    c.patient(birth_date=c.ago(years=48, days=40))
    c.ms_diagnosis(c.ago(years=15), code=codes.RRMS_SNOMED)
    edss = c.edss_series(
        [
            (c.ago(years=4), 1.5),
            (c.ago(years=2), 2.0),
            (c.ago(years=1), 2.0),
            (c.ago(months=3), 2.0),
        ]
    )
    mri = c.ago(months=5)
    c.brain_mri(c.ago(months=17))
    c.brain_mri(mri)
    return expect(
        "benign",
        strict=True,
        edss=2.0,
        edss_date=edss,
        checks=follow_up(c, edss, 12, mri, screened(c)),
    )


def benign_non_strict(c: Chart) -> Expected:
    """C5, not strict: EDSS 3.0 after 12 years (ICD-10-CM G35); SDMT 60 -> 57 is no decline."""
    c.patient(birth_date=c.ago(years=52, days=100), gender="male")
    c.ms_diagnosis(c.ago(years=12), code=codes.MS_ICD10)
    edss = c.edss_series([(c.ago(years=2), 2.5), (c.ago(months=3), 3.0)])
    mri = c.ago(months=6)
    c.brain_mri(mri)
    c.sdmt(c.ago(months=16), 60)
    due = c.screening(c.ago(months=4), mfis=25, sdmt=57)
    return expect(
        "benign", strict=False, edss=3.0, edss_date=edss, checks=follow_up(c, edss, 12, mri, due)
    )


def too_early(c: Chart) -> Expected:
    """C4: EDSS 1.5 but only 6 years of disease; review every 6 months (not benign)."""
    c.patient(birth_date=c.ago(years=34, days=200))
    c.ms_diagnosis(c.ago(years=6), code=codes.RRMS_SNOMED)
    edss = c.edss_series([(c.ago(years=1), 1.5), (c.ago(months=2), 1.5)])
    mri = c.ago(months=7)
    c.brain_mri(mri)
    return expect(
        "too-early", edss=1.5, edss_date=edss, checks=follow_up(c, edss, 6, mri, screened(c))
    )


def not_benign(c: Chart) -> Expected:
    """C3: latest stable EDSS 4.5 after 16 years (SPMS); 4.0 -> 4.5 is no worsening (needs +1.0)."""
    c.patient(birth_date=c.ago(years=58, days=10), gender="male")
    c.ms_diagnosis(c.ago(years=16), code=codes.SPMS_SNOMED)
    edss = c.edss_series([(c.ago(years=2), 4.0), (c.ago(months=3), 4.5)])
    mri = c.ago(months=8)
    c.brain_mri(mri)
    return expect(
        "not-benign", edss=4.5, edss_date=edss, checks=follow_up(c, edss, 6, mri, screened(c))
    )


def indeterminate_no_edss(c: Chart) -> Expected:
    """C2: an MS diagnosis but no EDSS ever: indeterminate, data issue no-edss, review due now."""
    c.patient(birth_date=c.ago(years=45, days=300))
    c.ms_diagnosis(c.ago(years=11))
    mri = c.ago(months=5)
    c.brain_mri(mri)
    return expect(
        "indeterminate", issues={"no-edss"}, checks=follow_up(c, None, 12, mri, screened(c))
    )


def indeterminate_unstable_edss(c: Chart) -> Expected:
    """C2 + A: the only EDSS is 10 days into a relapse (not stable), so no stable EDSS at all."""
    c.patient(birth_date=c.ago(years=41, days=20))
    c.ms_diagnosis(c.ago(years=12))
    relapse = c.ago(months=2)
    c.relapse(relapse)
    c.edss(relapse + relativedelta(days=10), 3.5)
    mri = c.ago(months=5)
    c.brain_mri(mri)
    due = screened(c)
    return expect(
        "indeterminate",
        issues={"no-edss"},
        activity={"relapse"},
        checks=[
            urgent("consider-dmt"),
            mri_brain(mri + relativedelta(months=12), c.as_of),
            symptom_screen(due, c.as_of),
        ],
        also={"neuro-review"},
    )


def not_applicable_no_ms(c: Chart) -> Expected:
    """C1: neuromyelitis optica with an EDSS: not MS, so no classification and no plan."""
    c.patient(birth_date=c.ago(years=39, days=70))
    c.condition(codes.NMOSD_SNOMED, kind="dx", onset=c.ago(years=12))
    c.edss(c.ago(months=3), 2.0)
    c.brain_mri(c.ago(months=4))
    return expect("not-applicable")


def not_applicable_refuted_ms(c: Chart) -> Expected:
    """C1: one MS diagnosis refuted, another entered in error: neither counts."""
    c.patient(birth_date=c.ago(years=36, days=5), gender="male")
    c.ms_diagnosis(c.ago(years=11), verification="refuted", clinical="inactive")
    c.ms_diagnosis(c.ago(years=11), verification="entered-in-error")
    c.edss(c.ago(months=3), 1.0)
    return expect("not-applicable")


# -- A. Activity and T. Treatment ---------------------------------------------------------------
def activity_relapse(c: Chart) -> Expected:
    """A relapse: benign patient with a relapse 50 days ago; the EDSS 4.0 taken 10 days into it is
    not stable (ignored for status and progression): benign stays, reassess + consider-dmt."""
    c.patient(birth_date=c.ago(years=47, days=150))
    c.ms_diagnosis(c.ago(years=14), code=codes.RRMS_SNOMED)
    c.edss_series([(c.ago(years=3), 2.0), (c.ago(months=6), 2.0)])
    relapse = c.ago(days=50)
    c.relapse(relapse)
    c.edss(relapse + relativedelta(days=10), 4.0)
    mri = c.ago(months=7)
    c.brain_mri(mri)
    due = screened(c)
    return expect(
        "benign",
        strict=True,
        edss=2.0,
        edss_date=c.ago(months=6),
        activity={"relapse"},
        checks=[
            urgent("reassess-benign-status"),
            urgent("consider-dmt"),
            mri_brain(mri + relativedelta(months=12), c.as_of),
            symptom_screen(due, c.as_of),
        ],
        also={"neuro-review"},
    )


def activity_mri_new_t2(c: Chart) -> Expected:
    """A mri: 2 new T2 lesions 3 months ago, untreated benign patient: consider a first-line DMT;
    activity shortens the neuro-review interval to 6 months."""
    c.patient(birth_date=c.ago(years=55, days=222))
    c.ms_diagnosis(c.ago(years=18))
    edss = c.edss_series([(c.ago(years=2), 2.5), (c.ago(months=3), 2.5)])
    mri = c.ago(months=3)
    c.brain_mri(c.ago(months=15))
    c.brain_mri(mri, new_t2=2, gd=0)
    return expect(
        "benign",
        strict=False,
        edss=2.5,
        edss_date=edss,
        activity={"mri"},
        checks=[
            *follow_up(c, edss, 6, mri, screened(c)),
            urgent("reassess-benign-status"),
            urgent("consider-dmt"),
        ],
    )


def activity_mri_gd_on_dmt(c: Chart) -> Expected:
    """A mri + T review-dmt: a Gd-enhancing lesion on glatiramer (too early to call benign)."""
    c.patient(birth_date=c.ago(years=33, days=90))
    c.ms_diagnosis(c.ago(years=7), code=codes.RRMS_ICD10)
    edss = c.edss_series([(c.ago(years=2), 1.0), (c.ago(months=4), 1.5)])
    c.dmt_request("glatiramer", c.ago(years=3))
    mri = c.ago(months=2)
    c.brain_mri(mri, new_t2=0, gd=1)
    return expect(
        "too-early",
        edss=1.5,
        edss_date=edss,
        activity={"mri"},
        current_dmt={"glatiramer"},
        checks=[*follow_up(c, edss, 6, mri, screened(c)), urgent("review-dmt")],
    )


def cdp_confirmed(c: Chart) -> Expected:
    """A cdp: reference 1.0, worsening to 2.5 eight months ago confirmed 4 months later."""
    c.patient(birth_date=c.ago(years=44, days=31), gender="male")
    c.ms_diagnosis(c.ago(years=12))
    edss = c.edss_series(
        [
            (c.ago(years=4), 1.0),
            (c.ago(years=2), 1.0),
            (c.ago(months=8), 2.5),
            (c.ago(months=4), 2.5),
        ]
    )
    mri = c.ago(months=5)
    c.brain_mri(mri)
    return expect(
        "benign",
        strict=False,
        edss=2.5,
        edss_date=edss,
        activity={"cdp"},
        checks=[
            *follow_up(c, edss, 6, mri, screened(c)),
            urgent("reassess-benign-status"),
            urgent("consider-dmt"),
        ],
    )


def cdp_rebased_reference(c: Chart) -> Expected:
    """A cdp, re-based: 1.0 -> 2.0 confirmed years ago makes 2.0 the reference, so the recent
    2.5, 2.5 is no worsening (without re-basing it would look like progression in the window)."""
    c.patient(birth_date=c.ago(years=50, days=61))
    c.ms_diagnosis(c.ago(years=15))
    edss = c.edss_series(
        [
            (c.ago(years=4), 1.0),
            (c.ago(years=3), 2.0),
            (c.ago(years=2, months=6), 2.0),
            (c.ago(months=7), 2.5),
            (c.ago(months=3), 2.5),
        ]
    )
    mri = c.ago(months=6)
    c.brain_mri(mri)
    return expect(
        "benign",
        strict=False,
        edss=2.5,
        edss_date=edss,
        checks=follow_up(c, edss, 12, mri, screened(c)),
    )


def cdp_unconfirmed_worsening(c: Chart) -> Expected:
    """A: latest EDSS 3.0 is a worsening from 2.0 a month ago, not yet confirmable: confirm-edss,
    no activity, status stays benign (3.0 <= 3.0)."""
    c.patient(birth_date=c.ago(years=53, days=17), gender="male")
    c.ms_diagnosis(c.ago(years=16))
    worsened = c.ago(months=1)
    edss = c.edss_series([(c.ago(years=3), 2.0), (c.ago(years=1), 2.0), (worsened, 3.0)])
    mri = c.ago(months=4)
    c.brain_mri(mri)
    return expect(
        "benign",
        strict=False,
        edss=3.0,
        edss_date=edss,
        checks=[*follow_up(c, edss, 12, mri, screened(c)), confirm_edss(worsened, c.as_of)],
    )


def activity_outside_window(c: Chart) -> Expected:
    """A: a relapse 2 years ago and new T2 lesions 14 months ago are outside the lookback."""
    c.patient(birth_date=c.ago(years=49, days=3))
    c.ms_diagnosis(c.ago(years=20), code=codes.RRMS_SNOMED)
    c.relapse(c.ago(years=2))
    edss = c.edss_series([(c.ago(years=3), 1.5), (c.ago(months=20), 1.5), (c.ago(months=2), 1.5)])
    c.brain_mri(c.ago(months=14), new_t2=3, gd=1)
    mri = c.ago(months=2)
    c.brain_mri(mri)
    return expect(
        "benign",
        strict=True,
        edss=1.5,
        edss_date=edss,
        checks=follow_up(c, edss, 12, mri, screened(c)),
    )


def neuro_review_on_dmt(c: Chart) -> Expected:
    """M: a quiet benign patient on interferon beta-1a is reviewed every 6 months, not 12."""
    c.patient(birth_date=c.ago(years=46, days=111))
    c.ms_diagnosis(c.ago(years=13))
    edss = c.edss_series([(c.ago(years=1), 1.5), (c.ago(months=3), 1.5)])
    c.dmt_statement("interferon beta-1a", c.ago(years=4))
    mri = c.ago(months=6)
    c.brain_mri(mri)
    return expect(
        "benign",
        strict=True,
        edss=1.5,
        edss_date=edss,
        current_dmt={"interferon beta-1a"},
        checks=follow_up(c, edss, 6, mri, screened(c)),
    )


def natalizumab_jcv_negative(c: Chart) -> Expected:
    """M: natalizumab for 2 years, JCV negative 4 months ago: yearly brain MRI, JCV retest due."""
    c.patient(birth_date=c.ago(years=38, days=45))
    c.ms_diagnosis(c.ago(years=9), code=codes.RRMS_SNOMED)
    edss = c.edss_series([(c.ago(years=2), 2.0), (c.ago(months=2), 2.0)])
    c.dmt_request("natalizumab", c.ago(years=2))
    jcv = c.ago(months=4)
    c.jcv(jcv, positive=False)
    mri = c.ago(months=6)
    c.brain_mri(mri)
    return expect(
        "too-early",
        edss=2.0,
        edss_date=edss,
        current_dmt={"natalizumab"},
        checks=[*follow_up(c, edss, 6, mri, screened(c)), jcv_serology(jcv, c.as_of)],
    )
