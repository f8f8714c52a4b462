"""The time window: a custom window stays within ten years, and a slider over it offers a bounded number of steps."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest

from components import filters

TODAY = date(2026, 11, 30)


@pytest.mark.parametrize(("first", "last", "unit"), [
    (date(2026, 11, 1), TODAY, "day"),
    (date(2026, 10, 1), TODAY, "day"),
    (date(2026, 1, 1), TODAY, "week"),
    (date(2022, 1, 17), TODAY, "month"),
    (date(2016, 1, 1), TODAY, "year"),
])
def test_slider_steps_cover_the_window_exactly_once_in_the_finest_unit_that_fits(first, last, unit):
    chosen, steps = filters.window_steps(first, last)
    assert chosen == unit and 0 < len(steps) <= filters.MAX_STEPS
    # Contiguous, in order, covering [first, last] with no gap or overlap (independent of how they were made).
    assert steps[0][0] == first and steps[-1][1] == last
    assert all(following[0] == previous[1] + timedelta(days=1) for previous, following in pairwise(steps))
    if unit == "day":
        assert len(steps) == (last - first).days + 1
    if unit == "month":
        assert all(start.day == 1 for start, _ in steps[1:]) and all(
            (end + timedelta(days=1)).day == 1 for _, end in steps[:-1])


def test_a_custom_window_from_the_year_1_is_the_last_ten_years():
    first, last = filters.period_days("custom", TODAY, (date(1, 1, 1), date(2999, 1, 1)))
    assert (first, last) == (date(TODAY.year - filters.CUSTOM_YEARS_BACK, 1, 1), TODAY)
    unit, steps = filters.window_steps(first, last)
    assert unit == "year" and len(steps) == filters.CUSTOM_YEARS_BACK + 1
