"""The expectation helpers word the contract's date arithmetic exactly.

docs/clinical-rules.md, rule M.
"""

from __future__ import annotations

from datetime import date

from smart_app.synthetic.expectations import (
    ALL_CODES,
    confirm_edss,
    expect,
    jcv_serology,
    mri_brain,
    neuro_review,
    pml_surveillance,
    symptom_screen,
    urgent,
)

AS_OF = date(2026, 11, 24)


def test_calendar_months_clamp_to_month_end() -> None:
    check = neuro_review(date(2025, 8, 31), 6, AS_OF)
    assert check.due == date(2026, 2, 28)
    assert check.window_start == date(2025, 8, 28)


def test_neuro_review_without_edss_is_due_on_as_of_and_not_overdue() -> None:
    check = neuro_review(None, 12, AS_OF)
    assert (check.due, check.overdue, check.priority) == (AS_OF, False, "routine")


def test_overdue_review_and_mri_are_urgent_other_overdue_items_routine() -> None:
    assert neuro_review(date(2025, 1, 1), 12, AS_OF).priority == "urgent"
    assert mri_brain(date(2026, 11, 23), AS_OF).priority == "urgent"
    assert mri_brain(AS_OF, AS_OF).priority == "routine"
    assert symptom_screen(date(2026, 1, 1), AS_OF).priority == "routine"
    jcv = jcv_serology(date(2026, 1, 1), AS_OF)
    # contract v2: an overdue JCV test is urgent too
    assert (jcv.due, jcv.overdue, jcv.priority) == (date(2026, 7, 1), True, "urgent")


def test_pml_surveillance_window_is_three_to_four_months_after_the_mri() -> None:
    check = pml_surveillance(date(2026, 10, 31), AS_OF)
    assert (check.window_start, check.due) == (date(2027, 1, 31), date(2027, 2, 28))
    assert check.priority == "urgent"


def test_confirm_edss_is_twelve_weeks_later_with_a_two_week_window() -> None:
    check = confirm_edss(date(2026, 10, 1), AS_OF)
    assert check.due == date(2026, 12, 24)
    assert check.window_start == date(2026, 12, 10)
    assert check.priority == "routine"


def test_expect_makes_every_unlisted_code_absent_except_unsure_ones() -> None:
    expected = expect(
        "benign", checks=[urgent("consider-dmt")], also={"neuro-review"}, unsure={"mri-brain"}
    )
    assert expected.recommendations == {"consider-dmt", "neuro-review"}
    assert expected.absent == ALL_CODES - {"consider-dmt", "neuro-review", "mri-brain"}
    assert expected.current_dmt == frozenset()
    assert expect("benign", current_dmt=None).current_dmt is None
