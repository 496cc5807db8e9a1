"""park_completeness: the three sectors' month_completeness in one read (the overview and the deck
ask all three on every run) gives each sector's own answer, filtered or not; and its cache scope
starts at the month before the period, whose reports make a month's expected units."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics import contract
from analytics.figures import completeness, kpis
from analytics.scope import Filters, Period
from ui.cache import question


@pytest.mark.parametrize("filters", [Filters(), Filters(towns=("济阳镇",)),
                                     Filters(cooperatives=("众兴养猪专业合作社", "兴旺种鸭专业合作社")),
                                     Filters(villages=("李庄村",))], ids=["all", "town", "coops", "village"])
def test_every_sector_read_together_is_each_read_alone(demo_store, filters):
    cur = demo_store.cursor()
    for period in (Period.months("2023-12", "2023-12"), Period.year(2022), Period.months("2021-01", "2023-12")):
        every = completeness.park_completeness(cur, period, filters)
        assert list(every) == list(contract.SECTOR_KEYS)
        for s in contract.SECTOR_KEYS:
            alone = completeness.park_completeness(cur, period, filters, (s,))[s]
            pd.testing.assert_frame_equal(every[s], alone)
            pd.testing.assert_frame_equal(every[s], completeness.month_completeness(cur, s, period, filters))
    dec = completeness.park_completeness(cur, Period.months("2023-12", "2023-12"))
    assert dec["hog"].iloc[0]["missing"] > 0 and dec["duck"].iloc[0]["month"] == "2023-12"


def test_the_cache_scope_takes_the_month_before():
    jan = Period.months("2024-01", "2024-01")
    for fn in ("month_completeness", "park_completeness"):
        args, _ = question(fn, *((("hog",) if fn == "month_completeness" else ()) + (jan,)))
        _, start, end, _ = kpis._scope_of(fn, args)
        assert (start.isoformat(), end.isoformat()) == ("2023-12-01", "2024-01-01")
