"""Helpers that state what docs/clinical-rules.md (M and T) makes of a scenario's dates.

Due dates are computed exactly as the contract words them (calendar months with month-end clamping,
12 weeks = 84 days), from the same dates the scenario wrote into its resources.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from smart_app.domain.actions import ACTION_CODES
from smart_app.synthetic.model import Expected, RecommendationCheck

ALL_CODES = frozenset(ACTION_CODES)
"""Codes of CodeSystem ms-monitoring-action (the engine's one list)."""

_URGENT_WHEN_OVERDUE = frozenset({"neuro-review", "mri-brain"})
# Rule T, plus rule M: "mri-pml-surveillance ... priority urgent" whether overdue or not.
_ALWAYS_URGENT = frozenset(
    {"consider-dmt", "review-dmt", "reassess-benign-status", "mri-pml-surveillance"}
)


def _months(day: date, months: int) -> date:
    return day + relativedelta(months=months)


def scheduled(code: str, due: date, window_start: date, as_of: date) -> RecommendationCheck:
    """A dated recommendation: overdue when due < as-of; priority per rule T."""
    overdue = due < as_of
    urgent = code in _ALWAYS_URGENT or (overdue and code in _URGENT_WHEN_OVERDUE)
    return RecommendationCheck(
        code,
        due=due,
        window_start=window_start,
        overdue=overdue,
        priority="urgent" if urgent else "routine",
    )


def neuro_review(edss_date: date | None, months: int, as_of: date) -> RecommendationCheck:
    """Neurological review: latest EDSS + 12 months (benign, quiet, untreated) else + 6; none: D."""
    due = as_of if edss_date is None else _months(edss_date, months)
    return scheduled("neuro-review", due, _months(due, -6), as_of)


def mri_brain(due: date, as_of: date) -> RecommendationCheck:
    """Yearly brain MRI (or the DMT reference scan); window opens 3 months before."""
    return scheduled("mri-brain", due, _months(due, -3), as_of)


def pml_surveillance(mri_date: date, as_of: date) -> RecommendationCheck:
    """PML surveillance MRI: latest brain MRI + 3..4 months, due at the window end."""
    return scheduled("mri-pml-surveillance", _months(mri_date, 4), _months(mri_date, 3), as_of)


def jcv_serology(result_date: date | None, as_of: date) -> RecommendationCheck:
    """JCV serology every 6 months on natalizumab; never tested: due now; overdue: urgent (v2).

    The contract gives no window for this one, so its start is not checked.
    """
    due = as_of if result_date is None else _months(result_date, 6)
    overdue = due < as_of
    return RecommendationCheck(
        "jcv-serology", due=due, overdue=overdue, priority="urgent" if overdue else "routine"
    )


def confirm_edss(worsened: date, as_of: date) -> RecommendationCheck:
    """Confirmation visit 12 weeks after an unconfirmed worsening, window opening 14 days before."""
    due = worsened + timedelta(days=84)
    return RecommendationCheck(
        "confirm-edss",
        due=due,
        window_start=due - timedelta(days=14),
        overdue=due < as_of,
        priority="routine",
    )


def symptom_screen(due: date, as_of: date) -> RecommendationCheck:
    """Fatigue/cognition screening; ``due`` is the older screen + 12 months (or D)."""
    return RecommendationCheck("symptom-screen", due=due, overdue=due < as_of, priority="routine")


def urgent(code: str) -> RecommendationCheck:
    """Treatment and re-assessment suggestions are always urgent (rule T)."""
    return RecommendationCheck(code, priority="urgent")


def routine(code: str) -> RecommendationCheck:
    return RecommendationCheck(code, priority="routine")


def expect(
    status: str,
    *,
    checks: Iterable[RecommendationCheck] = (),
    also: Iterable[str] = (),
    unsure: Iterable[str] = (),
    activity: Iterable[str] = (),
    issues: Iterable[str] = (),
    issues_exact: bool = True,
    strict: bool | None = None,
    reason: str | None = None,
    edss: float | None = None,
    edss_date: date | None = None,
    current_dmt: Iterable[str] | None = (),
) -> Expected:
    """An :class:`Expected` whose recommendations are exactly the checked codes plus ``also``.

    Every other action code must be absent, except those listed in ``unsure`` (the contract leaves
    them open for this scenario).
    """
    checks = tuple(checks)
    must = frozenset(c.code for c in checks) | frozenset(also)
    return Expected(
        status=status,
        strict=strict,
        reason=reason,
        edss=edss,
        edss_date=edss_date,
        activity=frozenset(activity),
        recommendations=must,
        absent=ALL_CODES - must - frozenset(unsure),
        data_issues=frozenset(issues),
        data_issues_exact=issues_exact,
        checks=checks,
        current_dmt=None if current_dmt is None else frozenset(current_dmt),
    )
