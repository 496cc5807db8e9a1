"""A month's or a year's totals read from the groups kept on write (rollups.groupings) and 1—N月
of a year in progress read as its whole year give the figures the per-unit rows give: by hand on
the small park of test_compare, and against the per-unit way on the demo park, filtered or not,
after a unit's land is corrected."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics.access import permissions
from analytics.figures import kpis, per_mu, rollups
from analytics.scope import Filters, Period
from analytics.store import registry
from tests.test_compare import JAN
from tests.test_compare import park as park  # noqa: F401 — the fixture, reused
from tests.test_compare_flags import assert_same
from tests.test_rollups import assert_rollups_match_a_rebuild


def per_unit_way(fn, *args, **kwargs):
    """``fn(*args)`` with neither shortcut: every period from the per-unit rows."""
    with pytest.MonkeyPatch.context() as mp:
        for module in (kpis, per_mu):
            mp.setattr(module, "_from_groups", lambda *a: None)
        mp.setattr(kpis, "_whole_year_if_same", lambda sector, period, ends: period)
        return fn(*args, **kwargs)


def test_a_months_groups_add_up_its_units_by_cooperative_and_flags(park):  # noqa: F811 — the fixture
    rows = park.cursor().execute(f"""SELECT cooperative, prev_month_reported, prev_year_reported, n, stock,
                                            revenue, profit, jobs
                                     FROM {rollups.groups_table('duck')} WHERE month = '2024-01-01'
                                     ORDER BY prev_year_reported""").fetchall()
    # 2024-01: D1 (reported 2023-12 and 2023-01) and D3 (2023-12 only: it joined in July 2023).
    assert rows == [("X社", True, False, 1, 50, 500, 250, 1), ("X社", True, True, 1, 130, 1800, 600, 3)]


def test_a_month_of_plots_from_the_groups_by_hand(park):  # noqa: F811 — the fixture
    cur = park.cursor()
    assert kpis._from_groups([JAN], Filters()) == ("month", "month", [JAN.start])
    g = kpis.park_kpis(cur, JAN)["greenhouse"]
    # P1 in 2024-01: 2.0 亩, 500 公斤, 1000 − 800 元.
    assert (g["units"], g["area_mu"], g["yield_kg"], g["revenue"], g["cost"], g["profit"], g["jobs"]) == (
        1, 2.0, 500, 1000, 800, 200, 1)
    assert (g["yield_kg_per_mu"], g["output_value_per_mu"], g["profit_per_mu"]) == (250, 500, 100)
    assert g["by_crop"] == {"无籽西瓜": {"area_mu": 2.0, "yield_kg": 500, "revenue": 1000, "cost": 800,
                                       "yield_kg_per_mu": 250}}
    assert kpis.park_kpis(cur, JAN, Filters(cooperatives=("X社",)))["greenhouse"]["units"] == 0
    assert kpis.park_kpis(cur, JAN) == per_unit_way(kpis.park_kpis, cur, JAN)


def test_a_year_in_progress_is_read_from_its_year_rollup(park):  # noqa: F811 — the fixture
    with park.write() as cur:
        cur.execute("""INSERT INTO duck_records (month, cooperative, unit, stock, eggs, revenue, cost, workers)
                       VALUES ('2024-02-01', 'X社', 'D1', 140, 10, 2000, 1000, 4)""")
    cur = park.cursor()
    ends = kpis.data_ends(cur)
    ytd, past_data = Period.months("2024-01", "2024-02"), Period.months("2024-01", "2024-03")
    assert kpis._whole_year_if_same("duck", ytd, ends) == Period.year(2024)
    assert kpis._whole_year_if_same("duck", Period.months("2024-01", "2024-01"), ends) != Period.year(2024)
    assert kpis._whole_year_if_same("duck", Period.months("2023-01", "2023-06"), ends) == Period.months(
        "2023-01", "2023-06")  # 2023 goes on to December
    for p in (ytd, past_data):
        d = kpis.park_kpis(cur, p)["duck"]
        # D1 and D3; stock at each one's last report: 140 + 50; jobs: the peaks 4 + 1.
        assert (d["units"], d["stock"], d["revenue"], d["cost"], d["jobs"]) == (2, 190, 4300, 2450, 5)
        assert kpis.park_kpis(cur, p) == per_unit_way(kpis.park_kpis, cur, p)
        assert kpis.sector_kpis(cur, "duck", p) == per_unit_way(kpis.sector_kpis, cur, "duck", p)
    assert kpis.park_kpis(cur, past_data)["period"] == {"from": "2024-01", "to": "2024-03"}


@pytest.mark.parametrize("filters", [Filters(), Filters(towns=("济阳镇",)),
                                     Filters(cooperatives=("甜园西瓜种植专业合作社", "兴旺种鸭专业合作社"))],
                         ids=["all", "town", "coops"])
def test_the_demo_parks_months_agree_with_the_unit_rows(demo_store, filters):
    cur = demo_store.cursor()
    for m in ("2021-01", "2022-06", "2023-11", "2023-12"):
        p = Period.months(m, m)
        assert_same(kpis.park_kpis(cur, p, filters), per_unit_way(kpis.park_kpis, cur, p, filters))
        assert_same(kpis.sector_kpis(cur, "greenhouse", p, filters),
                    per_unit_way(kpis.sector_kpis, cur, "greenhouse", p, filters))
    for p in (Period.year(2023), Period.months("2022-01", "2022-07")):
        assert_same(kpis.park_kpis(cur, p, filters), per_unit_way(kpis.park_kpis, cur, p, filters))
    years = (Period.year(2021), Period.year(2022), Period.year(2023))
    assert_same(kpis.park_kpis_many(cur, years, filters), per_unit_way(kpis.park_kpis_many, cur, years, filters))


def test_a_year_from_the_groups_by_hand(park):  # noqa: F811 — the fixture
    cur = park.cursor()
    assert kpis._from_groups([Period.year(2023)], Filters()) == ("year", "year", [2023])
    d = kpis.park_kpis(cur, Period.year(2023))["duck"]
    # D1 (Jan, Dec), D2 (Jan, Dec), D3 (Jul, Dec): stock at each one's December; jobs their peaks.
    assert (d["units"], d["stock"], d["revenue"], d["cost"], d["jobs"]) == (3, 225, 4300, 2200, 4)
    g = kpis.park_kpis(cur, Period.year(2023))["greenhouse"]
    assert (g["area_mu"], g["yield_kg"], g["profit"], g["by_crop"]["无籽西瓜"]["area_mu"]) == (2.0, 1000, 1000, 2.0)


def test_a_corrected_land_reaches_the_months_groups(demo_store):
    cur = demo_store.cursor()
    dec = Period.months("2023-12", "2023-12")
    unit, land = cur.execute("""SELECT u.unit, coalesce(u.land_mu, 0) FROM units u JOIN duck_records r
                                  ON r.cooperative = u.cooperative AND r.unit = u.unit AND r.month = '2023-12-01'
                                WHERE u.sector = 'duck' AND u.cooperative = '兴旺种鸭专业合作社'
                                ORDER BY u.unit LIMIT 1""").fetchone()
    before = kpis.park_kpis(cur, dec)["total"]["land_mu"]
    registry.update_units(demo_store, permissions.SYSTEM, [{"sector": "duck", "cooperative": "兴旺种鸭专业合作社",
                                                           "unit": unit, "land_mu": land + 12.5}])
    cur = demo_store.cursor()
    after = kpis.park_kpis(cur, dec)
    assert after["total"]["land_mu"] == pytest.approx(before + 12.5)
    assert_same(after, per_unit_way(kpis.park_kpis, cur, dec))
    assert_rollups_match_a_rebuild(demo_store)


@pytest.mark.parametrize("filters", [Filters(), Filters(towns=("济阳镇",)),
                                     Filters(cooperatives=("甜园西瓜种植专业合作社", "兴旺种鸭专业合作社"))],
                         ids=["all", "town", "coops"])
def test_per_mu_from_the_groups_agrees_with_the_unit_rows(demo_store, filters):
    cur = demo_store.cursor()
    for p in (Period.months("2023-07", "2023-07"), Period.year(2022)):
        got = per_mu.cross_sector_per_mu(cur, p, filters)
        pd.testing.assert_frame_equal(got, per_unit_way(per_mu.cross_sector_per_mu, cur, p, filters),
                                      check_exact=False, rtol=1e-9)
        for by in ("crop", "town", "cooperative", "year"):
            got = per_mu.per_mu_by(cur, by, p, filters)
            pd.testing.assert_frame_equal(got, per_unit_way(per_mu.per_mu_by, cur, by, p, filters),
                                          check_exact=False, rtol=1e-9)
    assert len(per_mu.per_mu_by(cur, "crop", Period.year(2022), filters)) > 0 or filters.cooperatives


def test_per_mu_across_sectors_by_hand(park):  # noqa: F811 — the fixture
    # 2024-01: only the plot has land (2.0 亩): profit 200 元, output 1000 元.
    got = per_mu.cross_sector_per_mu(park.cursor(), JAN).set_index("sector")
    assert list(got.index) == ["duck", "greenhouse"]  # no hog farm reported
    assert got.loc["greenhouse", ["units", "land_mu", "profit_per_mu", "output_value_per_mu"]].tolist() == [
        1, 2.0, 100, 500]
    assert got.loc["duck", "units"] == 0 and got.loc["duck", "land_mu"] == 0
