"""Noisy real-world scenario patients (docs/clinical-rules.md, Q: data quality).

Every resource stays valid FHIR R4 that a HAPI server accepts; "invalid" means clinically invalid
(EDSS 12, EDSS 2.3, a unit of centimetres). The single schema-invalid resource lives in
``Chart.offline_only`` and is only ever put in a collection Bundle for ``ms-monitor evaluate``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dateutil.relativedelta import relativedelta

from smart_app.synthetic import codes
from smart_app.synthetic.chart import Chart, add_unknown_extension
from smart_app.synthetic.expectations import expect, urgent
from smart_app.synthetic.model import Expected
from smart_app.synthetic.scenarios_rules import follow_up, screened


def _history(c: Chart, *, onset_years: int | None = 15, **onset: Any) -> None:
    """Patient and MS diagnosis, with an onset in years before as-of or an explicit onset[x]."""
    c.patient(birth_date=c.ago(years=45, days=180))
    when = None if onset_years is None else c.ago(years=onset_years)
    c.ms_diagnosis(when, **onset)


def _benign_strict(c: Chart, issues: Iterable[str] = (), *, exact: bool = True) -> Expected:
    """Shared tail: EDSS 2.0 three months ago, brain MRI 6 months ago, screened.

    ``exact``: the listed issues are the only ones (entered-in-error records and duplicates are
    ignored silently; the contract has no code for them).
    """
    edss = c.ago(months=3)
    c.edss(c.ago(years=1), 2.0)
    c.edss(edss, 2.0)
    mri = c.ago(months=6)
    c.brain_mri(mri)
    return expect(
        "benign",
        strict=True,
        edss=2.0,
        edss_date=edss,
        issues=issues,
        issues_exact=exact,
        checks=follow_up(c, edss, 12, mri, screened(c)),
    )


def unknown_extensions(c: Chart) -> Expected:
    """Unknown extensions everywhere and a brain MRI recognised only by its series bodySite."""
    _history(c)
    edss = c.ago(months=3)
    c.edss(c.ago(years=1), 2.0, code=codes.EDSS_MSOBS)
    c.edss(edss, 2.0)
    mri = c.ago(months=6)
    c.brain_mri(mri, by_body_site=True)
    due = screened(c)
    for index, resource in enumerate(c.resources):
        add_unknown_extension(resource, f"row-{index}")
    return expect(
        "benign", strict=True, edss=2.0, edss_date=edss, checks=follow_up(c, edss, 12, mri, due)
    )


def onset_missing(c: Chart) -> Expected:
    """Q onset-missing: no onset[x]; the recordedDate (13 years ago) stands in for it."""
    _history(c, onset_years=None, recorded=c.ago(years=13))
    return _benign_strict(c, {"onset-missing"})


def onset_age(c: Chart) -> Expected:
    """Onset as Age: 25 years old with birthDate 45 years ago -> about 20 years of disease."""
    _history(
        c,
        onset_years=None,
        recorded=c.ago(years=18),
        onsetAge={"value": 25, "unit": "a", "system": codes.UCUM, "code": "a"},
    )
    return _benign_strict(c)


def onset_period(c: Chart) -> Expected:
    """Onset as Period (start 12 years ago), coded with ICD-9 340 only."""
    _history(
        c,
        onset_years=None,
        code=codes.MS_ICD9,
        recorded=c.ago(years=11),
        onsetPeriod={"start": c.ago(years=12).isoformat()},
    )
    return _benign_strict(c)


def edss_unit_mismatch(c: Chart) -> Expected:
    """Q unit-mismatch: an EDSS recorded in centimetres (a mis-mapped interface field)."""
    _history(c)
    c.edss(c.ago(years=2), 2.0, unit="cm")
    return _benign_strict(c, {"unit-mismatch"})


def edss_invalid_values(c: Chart) -> Expected:
    """Q edss-out-of-range (12) and edss-invalid-step (2.3), both older than the latest valid EDSS
    2.0: skipped, and the patient stays benign on the newer valid value."""
    _history(c)
    c.edss(c.ago(months=5), 2.3)
    c.edss(c.ago(months=4), 12)
    return _benign_strict(c, {"edss-out-of-range", "edss-invalid-step"})


def entered_in_error(c: Chart) -> Expected:
    """Entered-in-error EDSS 6.5, relapse and MRI are ignored silently: no activity, no issue."""
    _history(c)
    c.edss(c.ago(months=1), 6.5, status="entered-in-error")
    c.relapse(c.ago(months=2), verification="entered-in-error")
    c.brain_mri(c.ago(months=1), new_t2=None, gd=None, status="entered-in-error")
    c.observation(
        codes.NEW_T2,
        c.ago(months=1),
        kind="lesions",
        category="imaging",
        status="entered-in-error",
        valueInteger=4,
    )
    return _benign_strict(c)


def duplicates(c: Chart) -> Expected:
    """The same diagnosis, EDSS and MRI sent twice by two feeds (different ids, same content)."""
    _history(c)
    expected = _benign_strict(c)
    for resource in list(c.resources):
        if resource["resourceType"] in {"Condition", "ImagingStudy"} or resource["id"].endswith(
            "-edss-2"
        ):
            c.duplicate(resource)
    return expected


def future_dated(c: Chart) -> Expected:
    """Q future-date: an EDSS 5.0, an MRI and 3 new T2 lesions dated after as-of are ignored."""
    _history(c)
    c.edss(c.ahead(months=2), 5.0)
    c.brain_mri(c.ahead(months=1), new_t2=3, gd=None)
    return _benign_strict(c, {"future-date"})


def mri_region_unknown(c: Chart) -> Expected:
    """Q mri-region-unknown: a recent MR study of the knee is neither brain nor spine."""
    _history(c)
    c.imaging(c.ago(months=2), procedure=None, body_site=codes.KNEE_SITE)
    return _benign_strict(c, {"mri-region-unknown"})


def dmt_text_only(c: Chart) -> Expected:
    """Q dmt-matched-by-text: glatiramer named only in text still counts as current, so new
    Gd-enhancing lesions call for review-dmt, not consider-dmt."""
    _history(c, onset_years=13)
    c.dmt_statement("glatiramer acetate", c.ago(years=2), text_only=True)
    edss = c.edss_series([(c.ago(years=1), 2.0), (c.ago(months=3), 2.0)])
    mri = c.ago(months=3)
    c.brain_mri(mri, new_t2=0, gd=2)
    return expect(
        "benign",
        strict=True,
        edss=2.0,
        edss_date=edss,
        activity={"mri"},
        issues={"dmt-matched-by-text"},
        current_dmt={"glatiramer"},
        checks=[
            *follow_up(c, edss, 6, mri, screened(c)),
            urgent("review-dmt"),
            urgent("reassess-benign-status"),
        ],
    )


def missing_date(c: Chart) -> Expected:
    """Q missing-date: an EDSS 5.0 without effective[x] is skipped, not guessed."""
    _history(c)
    c.edss(None, 5.0)
    return _benign_strict(c, {"missing-date"})


def invalid_resource(c: Chart) -> Expected:
    """Q invalid-resource: an EDSS whose value is the string "two" fails R4 validation (offline
    Bundle only; a server would reject it)."""
    _history(c)
    expected = _benign_strict(c, {"invalid-resource"})
    bad = {
        "resourceType": "Observation",
        "id": f"{c.patient_id}-edss-invalid-1",
        "status": "final",
        "code": {"coding": [{"system": codes.SNOMED, "code": "273554001"}]},
        "subject": c.subject,
        "effectiveDateTime": (c.as_of - relativedelta(months=4)).isoformat(),
        "valueQuantity": {"value": "two", "unit": "score"},
    }
    c.offline_only.append(bad)
    return expected
