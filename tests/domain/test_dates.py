"""Calendar-month arithmetic: same as dateutil's relativedelta (clamps to month end)."""

from __future__ import annotations

from datetime import date

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from smart_app.domain.dates import add_months


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        pytest.param(date(2025, 3, 15), 6, date(2025, 9, 15), id="spec-example"),
        pytest.param(date(2025, 8, 31), 6, date(2026, 2, 28), id="clamp-feb"),
        pytest.param(date(2023, 8, 31), 6, date(2024, 2, 29), id="clamp-leap-feb"),
        pytest.param(date(2026, 5, 31), -3, date(2026, 2, 28), id="backwards-clamp"),
        pytest.param(date(2026, 1, 31), 1, date(2026, 2, 28), id="jan-31-plus-1"),
    ],
)
def test_add_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)), st.integers(-60, 60))
def test_add_months_matches_relativedelta(day: date, months: int) -> None:
    assert add_months(day, months) == day + relativedelta(months=months)
