"""park_completeness: the three sectors' month_completeness in one read (the overview and the deck
ask all three on every run) gives each sector's own answer, filtered or not; its cache scope starts
12 months before the period, whose reports make a month's expected units; and a month after most
units went quiet counts them as missing."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics import contract
from analytics.figures import compare, completeness, kpis
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


def test_the_cache_scope_takes_the_12_months_before():
    jan = Period.months("2024-01", "2024-01")
    for fn in ("month_completeness", "park_completeness"):
        args, _ = question(fn, *((("hog",) if fn == "month_completeness" else ()) + (jan,)))
        _, start, end, _ = kpis._scope_of(fn, args)
        assert (start.isoformat(), end.isoformat()) == ("2023-01-01", "2024-01-01")


def test_two_sheds_in_a_year_in_progress_are_two_of_180(demo_store):
    """The fresh-user trial's case: two of 兴旺's sheds report 2024-01 and 2024-02, the other 178
    sheds went quiet after 2023-12. February was "2/2 已报" (only January's reporters were
    expected); the 178 are missing until they report, for 12 months after their last report."""
    coop = "兴旺种鸭专业合作社"
    with demo_store.write() as cur:
        sheds = [u for (u,) in cur.execute("SELECT unit FROM units WHERE sector = 'duck' AND cooperative = ? "
                                           "ORDER BY unit LIMIT 2", [coop]).fetchall()]
        for month in ("2024-01-01", "2024-02-01"):
            for shed in sheds:
                cur.execute("""INSERT INTO duck_records (month, cooperative, unit, stock, eggs, revenue, cost, workers)
                               VALUES (?, ?, ?, 3450, 100, 80000, 50000, 2)""", [month, coop, shed])
        demo_store.records_changed(cur)
    cur = demo_store.cursor()
    feb = Period.months("2024-02", "2024-02")
    cov = compare.coverage(cur, feb, sectors=("duck",))
    assert (cov["reported"], cov["expected"]) == (2, 180)
    assert compare.coverage_text(feb, cov, sector="duck").startswith("本月（2024年2月） 2/180 棚已报")
    done = completeness.month_completeness(cur, "duck", Period.months("2024-01", "2024-02"))
    assert done["missing"].tolist() == [178, 178] and not done["complete"].any()
    assert len(completeness.silent_units(cur, "duck", "2024-02")) == 178


def test_every_incomplete_month_at_the_end_is_drawn_apart(demo_store):
    """The retrial's case: in 1—2月 of 2024 both months are 2 of 180 sheds. January drawn solid at
    6,900 羽 and February hollow at 67.4 万 read as a hundredfold growth: both are drawn apart."""
    from analytics.meeting import charts

    coop = "兴旺种鸭专业合作社"
    with demo_store.write() as cur:
        sheds = [u for (u,) in cur.execute("SELECT unit FROM units WHERE sector = 'duck' AND cooperative = ? "
                                           "ORDER BY unit LIMIT 2", [coop]).fetchall()]
        for month in ("2024-01-01", "2024-02-01"):
            for shed in sheds:
                cur.execute("""INSERT INTO duck_records (month, cooperative, unit, stock, eggs, revenue, cost, workers)
                               VALUES (?, ?, ?, 3450, 100, 80000, 50000, 2)""", [month, coop, shed])
        demo_store.records_changed(cur)
    cur = demo_store.cursor()
    ytd = Period.months("2024-01", "2024-02")
    done = completeness.month_completeness(cur, "duck", ytd)
    assert [r["month"] for r in charts.incomplete_run(done)] == ["2024-01", "2024-02"]
    df = kpis.monthly(cur, "duck", ytd)
    fig = charts.stock_trend(df, "duck", completeness=done)
    solid, dashed = fig.data
    assert list(solid.x) == [] and list(dashed.x) == ["2024-01", "2024-02"]
    assert list(dashed.marker.symbol) == ["circle-open", "circle-open"]
    assert dashed.y[0] == pytest.approx(dashed.y[1])  # the same sheds' stock carried both months
    bars = charts.money_trend(df, "x", sector="duck", completeness=done)
    assert [list(t.marker.opacity) for t in bars.data if t.type == "bar"] == [[0.35, 0.35]] * 2
    # a complete December before an incomplete January: only January apart, as before
    year = Period.months("2023-10", "2024-01")
    done = completeness.month_completeness(cur, "duck", year)
    fig = charts.stock_trend(kpis.monthly(cur, "duck", year), "duck", completeness=done)
    assert list(fig.data[0].x) == ["2023-10", "2023-11", "2023-12"] and list(fig.data[1].x) == ["2023-12", "2024-01"]
