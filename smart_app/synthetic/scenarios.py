"""The ordered list of scenario patients: rule branches, noisy real-world data, then v2 branches.

The order is part of the API: patient ``msm-001`` is always the first scenario, so ids stay stable
(new scenarios are appended). Each scenario's one-line description is its docstring.
"""

from __future__ import annotations

from collections.abc import Callable

from smart_app.synthetic import scenarios_monitoring as m
from smart_app.synthetic import scenarios_noisy as q
from smart_app.synthetic import scenarios_rules as r
from smart_app.synthetic import scenarios_v2 as v
from smart_app.synthetic.chart import Chart
from smart_app.synthetic.model import Expected

Scenario = Callable[[Chart], Expected]

SCENARIOS: tuple[tuple[str, Scenario], ...] = (
    ("benign-strict", r.benign_strict),
    ("benign-non-strict", r.benign_non_strict),
    ("too-early", r.too_early),
    ("not-benign", r.not_benign),
    ("indeterminate-no-edss", r.indeterminate_no_edss),
    ("indeterminate-unstable-edss", r.indeterminate_unstable_edss),
    ("not-applicable-no-ms", r.not_applicable_no_ms),
    ("not-applicable-refuted-ms", r.not_applicable_refuted_ms),
    ("activity-relapse", r.activity_relapse),
    ("activity-mri-new-t2", r.activity_mri_new_t2),
    ("activity-mri-gd-on-dmt", r.activity_mri_gd_on_dmt),
    ("activity-outside-window", r.activity_outside_window),
    ("cdp-confirmed", r.cdp_confirmed),
    ("cdp-rebased-reference", r.cdp_rebased_reference),
    ("cdp-unconfirmed-worsening", r.cdp_unconfirmed_worsening),
    ("neuro-review-on-dmt", r.neuro_review_on_dmt),
    ("mri-brain-never", m.mri_brain_never),
    ("spinal-mri-not-brain", m.spinal_mri_not_brain),
    ("overdue-follow-up", m.overdue_follow_up),
    ("dmt-reference-scan", m.dmt_reference_scan),
    ("natalizumab-jcv-positive", m.natalizumab_jcv_positive),
    ("natalizumab-jcv-unknown", m.natalizumab_jcv_unknown),
    ("natalizumab-jcv-negative", r.natalizumab_jcv_negative),
    ("natalizumab-short-exposure", m.natalizumab_short_exposure),
    ("natalizumab-stopped", m.natalizumab_stopped),
    ("symptom-screen-missing", m.symptom_screen_missing),
    ("symptom-screen-old", m.symptom_screen_old),
    ("symptom-fatigue", m.symptom_fatigue),
    ("symptom-cognition-drop", m.symptom_cognition_drop),
    ("symptom-cognition-ten-percent", m.symptom_cognition_ten_percent),
    ("noisy-unknown-extensions", q.unknown_extensions),
    ("noisy-onset-missing", q.onset_missing),
    ("noisy-onset-age", q.onset_age),
    ("noisy-onset-period", q.onset_period),
    ("noisy-edss-unit-mismatch", q.edss_unit_mismatch),
    ("noisy-edss-invalid-values", q.edss_invalid_values),
    ("noisy-entered-in-error", q.entered_in_error),
    ("noisy-duplicates", q.duplicates),
    ("noisy-future-dated", q.future_dated),
    ("noisy-mri-region-unknown", q.mri_region_unknown),
    ("noisy-dmt-text-only", q.dmt_text_only),
    ("noisy-missing-date", q.missing_date),
    ("noisy-invalid-resource", q.invalid_resource),
    ("progressive-course", v.progressive_course),
    ("diagnosis-unconfirmed", v.diagnosis_unconfirmed),
    ("edss-stale", v.edss_stale),
    ("latest-edss-unreadable", v.latest_edss_unreadable),
    ("edss-as-text", v.edss_as_text),
    ("relapse-coded-as-ms", v.relapse_coded_as_ms),
    ("relapses-only", v.relapses_only),
    ("future-onset-recorded-diagnosis", v.future_onset_recorded_diagnosis),
    ("mri-report-unstructured", v.mri_report_unstructured),
    ("natalizumab-infusions", v.natalizumab_infusions),
    ("natalizumab-on-hold-stale-jcv", v.natalizumab_on_hold_stale_jcv),
    ("natalizumab-high-index", v.natalizumab_high_index),
    ("natalizumab-stop-date-unknown", v.natalizumab_stop_date_unknown),
    ("statement-active-but-ended", v.statement_active_but_ended),
    ("dmt-rebaseline", v.dmt_rebaseline),
    ("cdp-stable-after-event", v.cdp_stable_after_event),
)

SCENARIO_NAMES: tuple[str, ...] = tuple(name for name, _ in SCENARIOS)


def describe(scenario: Scenario) -> str:
    """The scenario's one-line human description (its docstring on one line)."""
    return " ".join((scenario.__doc__ or "").split())


#: scenario name -> one-line description (what the sandbox's patient picker shows).
SCENARIO_DESCRIPTIONS: dict[str, str] = {name: describe(build) for name, build in SCENARIOS}
