"""Every threshold of docs/clinical-rules.md as one frozen settings value (the defaults).

Sources: Hawkins & McDonnell, JNNP 1999;67:148 and Sayao et al., Neurology 2007;68:496
(EDSS <= 3 at >= 10 y); Pittock, Ann Neurol 2004;56:303 (strict: EDSS <= 2); Kappos et al. /
msprog (Montobbio 2024) (confirmed disability progression); MAGNIMS-CMSC-NAIMS 2021 and
ECTRIMS/EAN 2018 (MRI monitoring); Tallantyre, JNNP 2019;90:522 (fatigue, cognition).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from smart_app.domain.dates import add_days, add_months


@dataclass(frozen=True, slots=True)
class RuleSettings:
    """Thresholds of rules C, A, M, T (months are calendar months, clamped to month end)."""

    # C. classification
    benign_edss_max: float = 3.0
    strict_benign_edss_max: float = 2.0
    benign_min_duration_years: float = 10.0
    #: False: duration to the as-of date; True: to the classifying EDSS (stricter reading)
    benign_duration_at_edss_date: bool = False
    stable_edss_days_after_relapse: int = 30
    # A. activity
    activity_lookback_months: int = 12
    cdp_increment_at_zero: float = 1.5
    cdp_increment_low: float = 1.0
    cdp_low_band_max: float = 5.5
    cdp_increment_high: float = 0.5
    cdp_confirmation_days: int = 84
    # M. monitoring
    review_interval_stable_months: int = 12
    review_interval_months: int = 6
    review_window_months: int = 6
    mri_interval_months: int = 12
    mri_window_months: int = 3
    dmt_start_lookback_months: int = 12
    dmt_reference_scan_after_months: int = 3
    dmt_reference_scan_due_months: int = 6
    natalizumab_pml_risk_months: int = 18
    pml_window_start_months: int = 3
    pml_window_end_months: int = 4
    natalizumab_stopped_months: int = 12
    jcv_interval_months: int = 6
    jcv_window_months: int = 1
    confirm_window_days: int = 14
    symptom_screen_interval_months: int = 12
    symptom_screen_window_months: int = 6
    # symptoms
    mfis_recent_months: int = 12
    mfis_fatigue_min: float = 38.0
    sdmt_drop_points: float = 4.0
    sdmt_drop_fraction: float = 0.10
    symptom_action_months: int = 3
    edss_stale_months: int = 24
    # T. treatment
    treatment_review_months: int = 1
    dmt_rebaseline_months: int = 6
    pml_review_exposure_months: int = 24
    # JCV antibody index (Plavina et al., Ann Neurol 2014;76:802)
    jcv_index_negative_below: float = 0.20
    jcv_index_positive_above: float = 0.40
    jcv_index_high_above: float = 1.5
    jcv_stale_months: int = 6
    # Q. unstructured MRI reports are flagged for brain MRIs this recent
    mri_unstructured_months: int = 24
    # DMT administrations: dosing interval per ingredient (a run continues while gaps stay within
    # twice the interval; exposure runs to the last administration plus one interval)
    dosing_interval_weeks: tuple[tuple[str, int], ...] = (("natalizumab", 4),)
    dosing_interval_months: tuple[tuple[str, int], ...] = (
        ("ofatumumab", 1),
        ("ocrelizumab", 6),
        ("rituximab", 6),
        ("ublituximab", 6),
        ("alemtuzumab", 24),
        ("cladribine", 24),
    )
    dosing_interval_default_months: int = 3

    def cdp_increment(self, reference: float) -> float:
        """EDSS increase that counts as worsening from ``reference`` (Kappos / msprog bands)."""
        if reference <= 0.0:
            return self.cdp_increment_at_zero
        if reference <= self.cdp_low_band_max:
            return self.cdp_increment_low
        return self.cdp_increment_high

    def after_dosing_intervals(self, ingredient: str, day: date, intervals: int) -> date:
        """``day`` plus ``intervals`` dosing intervals of ``ingredient`` (calendar months)."""
        # a few pairs, scanned without a dict per call; a name listed twice: the last pair counts
        weeks: int | None = None
        for name, count in self.dosing_interval_weeks:
            if name == ingredient:
                weeks = count
        if weeks is not None:
            return add_days(day, 7 * weeks * intervals)
        months = self.dosing_interval_default_months
        for name, count in self.dosing_interval_months:
            if name == ingredient:
                months = count
        return add_months(day, months * intervals)


DEFAULT_SETTINGS = RuleSettings()
