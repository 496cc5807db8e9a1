"""Every KPI on a hand-made park whose answers are computed by hand in the comments."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics.figures import completeness, kpis, lists, per_mu
from analytics.scope import Filters, Period

Q1 = Period.months("2023-01", "2023-03")


@pytest.fixture
def park(store):
    with store.write() as cur:
        cur.execute("""INSERT INTO units (sector, cooperative, unit, gh_type, village, zone, land_mu) VALUES
            ('duck', 'X社', 'D1', NULL, '甲村', '一区', 2.0),
            ('duck', 'Y社', 'D2', NULL, '乙村', '二区', NULL),
            ('hog', 'Z社', 'H1', NULL, '甲村', '三区', 5.0),
            ('greenhouse', 'G社', 'P1', '温室', '甲村', NULL, NULL),
            ('greenhouse', 'G社', 'P2', '塑料大棚', '乙村', NULL, NULL)""")
        cur.execute("""INSERT INTO duck_records (month, cooperative, unit, stock, eggs, revenue, cost, workers)
            VALUES ('2023-01-01', 'X社', 'D1', 100, 10, 1000, 600, 2),
                   ('2023-02-01', 'X社', 'D1',  90, 20, 1000, 700, 3),
                   ('2023-03-01', 'X社', 'D1',  80, 30, 1000, 800, 1),
                   ('2023-04-01', 'X社', 'D1', NULL, 0,  100, 100, 1),
                   ('2023-01-01', 'Y社', 'D2',  50,  5,  500, 100, 1),
                   ('2023-02-01', 'Y社', 'D2',  40,  5,  500, 100, 1)""")
        cur.execute("""INSERT INTO hog_records (month, cooperative, unit, stock, sows, sold_head, sold_kg,
                                                deaths, revenue, cost, workers)
            VALUES ('2023-01-01', 'Z社', 'H1', 200, 20, 30, 3600, 1, 60000, 50000, 2),
                   ('2023-02-01', 'Z社', 'H1', 210, 21, 35, 4200, 2, 70000, 52000, 2)""")
        cur.execute("""INSERT INTO greenhouse_records (month, cooperative, unit, gh_type, crop, area_mu,
                                                       yield_kg, revenue, cost, workers)
            VALUES ('2023-01-01', 'G社', 'P1', '温室', '无籽西瓜', 2.0,    0,    0, 1000, 0),
                   ('2023-02-01', 'G社', 'P1', '温室', '无籽西瓜', 2.0, 1000, 2000, 1000, 2),
                   ('2023-03-01', 'G社', 'P1', '温室', '无籽西瓜', 2.5, 4000, 8000, 1000, 3),
                   ('2023-01-01', 'G社', 'P2', '塑料大棚', '山药', 1.0,    0,     0, 500, 1),
                   ('2023-02-01', 'G社', 'P2', '塑料大棚', '山药', 1.0,    0,     0, 500, 1),
                   ('2023-03-01', 'G社', 'P2', '塑料大棚', '山药', 1.0, 2500, 10000, 500, 1)""")
    return store.cursor()


def test_duck_stock_is_each_units_last_reported_value_not_a_sum(park):
    k = kpis.sector_kpis(park, "duck", Q1)
    # D1 last month in Q1 is March (80); D2 last reported in February (40).
    assert k["stock"] == 80 + 40
    assert k["units"] == 2
    assert k["eggs"] == 10 + 20 + 30 + 5 + 5
    assert k["revenue"] == 4000 and k["cost"] == 2300 and k["profit"] == 1700
    # Jobs: peak monthly workers per unit (D1: 3, D2: 1), summed.
    assert k["jobs"] == 3 + 1


def test_stock_skips_a_month_where_stock_was_left_empty(park):
    # In April D1 reported money but left 存栏 empty: its stock is still March's 80.
    k = kpis.sector_kpis(park, "duck", Period.months("2023-01", "2023-04"))
    assert k["stock"] == 80 + 40


def test_stock_for_a_shorter_period_ends_earlier(park):
    assert kpis.sector_kpis(park, "duck", Period.months("2023-01", "2023-02"))["stock"] == 90 + 40


def test_hog_kpis(park):
    k = kpis.sector_kpis(park, "hog", Q1)
    assert k == {"units": 1, "stock": 210, "sows": 21, "sold_head": 65, "revenue": 130000.0,
                 "cost": 102000.0, "profit": 28000.0, "jobs": 2}


def test_greenhouse_area_is_largest_per_plot_never_summed_over_months(park):
    k = kpis.sector_kpis(park, "greenhouse", Q1)
    assert k["area_mu"] == 2.5 + 1.0  # summing months would give 9.5
    assert k["yield_kg"] == 7500
    assert k["profit"] == 20000 - 4500
    assert k["yield_kg_per_mu"] == round(7500 / 3.5, 2) == 2142.86
    assert k["output_value_per_mu"] == 5714.29
    assert k["profit_per_mu"] == 4428.57
    assert k["jobs"] == 3 + 1
    assert k["by_crop"] == {
        "山药": {"area_mu": 1.0, "yield_kg": 2500.0, "revenue": 10000.0, "cost": 1500.0, "yield_kg_per_mu": 2500.0},
        "无籽西瓜": {"area_mu": 2.5, "yield_kg": 5000.0, "revenue": 10000.0, "cost": 3000.0,
                 "yield_kg_per_mu": 2000.0},
    }


def test_park_totals_and_json_shape(park):
    k = kpis.park_kpis(park, Q1)
    assert k["period"] == {"from": "2023-01", "to": "2023-03"}
    # Land: greenhouse area 2.5 + 1.0, duck D1 2.0 (D2 has none), hog H1 5.0.
    assert k["total"] == {"revenue": 154000.0, "cost": 108800.0, "profit": 45200.0, "jobs": 10,
                          "land_mu": 10.5}
    assert set(k["duck"]) == {"units", "stock", "eggs", "revenue", "cost", "profit", "jobs"}
    assert set(k["hog"]) == {"units", "stock", "sows", "sold_head", "revenue", "cost", "profit", "jobs"}
    assert set(k["greenhouse"]) == {"units", "area_mu", "yield_kg", "revenue", "cost", "profit", "jobs",
                                    "yield_kg_per_mu", "output_value_per_mu", "profit_per_mu", "by_crop"}


def test_filters_by_cooperative_village_and_zone(park):
    assert kpis.sector_kpis(park, "duck", Q1, Filters(cooperatives=("X社",)))["stock"] == 80
    assert kpis.sector_kpis(park, "duck", Q1, Filters(villages=("乙村",)))["stock"] == 40
    assert kpis.sector_kpis(park, "duck", Q1, Filters(zones=("一区", "二区")))["units"] == 2
    assert kpis.sector_kpis(park, "hog", Q1, Filters(villages=("乙村",)))["units"] == 0


def test_empty_period_gives_zeros_not_errors(park):
    k = kpis.park_kpis(park, Period.year(2020))
    assert k["duck"]["units"] == 0 and k["duck"]["stock"] == 0
    assert k["greenhouse"]["profit_per_mu"] is None
    assert k["total"]["profit"] == 0


def test_land_and_cross_sector_per_mu(park):
    # Greenhouse area 3.5 + duck D1 land 2.0 (D2 has none) + hog land 5.0.
    assert kpis.land_mu(park, Q1) == 10.5
    cross = per_mu.cross_sector_per_mu(park, Q1).set_index("sector")
    # Ducks: only D1 has land; its profit is 3000 − 2100 = 900 on 2 亩.
    assert cross.loc["duck", "profit_per_mu"] == pytest.approx(450.0)
    assert cross.loc["hog", "profit_per_mu"] == pytest.approx(28000 / 5)
    assert cross.loc["greenhouse", "profit_per_mu"] == pytest.approx(15500 / 3.5)


def test_per_mu_by_type(park):
    df = per_mu.per_mu_by(park, "gh_type", Q1).set_index("group")
    assert df.loc["温室", "yield_kg_per_mu"] == pytest.approx(5000 / 2.5)
    assert df.loc["塑料大棚", "profit_per_mu"] == pytest.approx(8500 / 1.0)


def test_monthly_and_missing_reports(park):
    m = kpis.monthly(park, "duck", Q1)
    assert m["month"].tolist() == ["2023-01", "2023-02", "2023-03"]
    assert m["stock"].tolist() == [150, 130, 80]
    missing = completeness.missing_reports(park, "2023-03")
    # Y社 (ducks) and Z社 (hogs) last reported in February.
    assert sorted(missing["cooperative"]) == ["Y社", "Z社"]


def test_sector_ratios(park):
    r = kpis.sector_ratios(park, "hog", Q1)
    assert r["profit_per_head"] == round(28000 / 65, 2)
    assert r["avg_weight_kg"] == round(7800 / 65, 2)
    # Deaths 3 over 410 head-months.
    assert r["monthly_mortality_permille"] == round(3 * 1000 / 410, 2)


@pytest.mark.parametrize("bad", ["2023-13", "2023/01", "23-01", "", "abc"])
def test_bad_month_is_refused_in_chinese(bad):
    with pytest.raises(ValueError, match="月份"):
        Period.months(bad, "2023-06")


def test_period_order_and_previous_year():
    with pytest.raises(ValueError, match="晚于"):
        Period.months("2023-06", "2023-01")
    p = Period.months("2023-02", "2023-05").previous_year()
    assert (p.label_from, p.label_to) == ("2022-02", "2022-05")


def test_yoy():
    assert kpis.yoy(110, 100) == pytest.approx(0.1)
    assert kpis.yoy(-50, -100) == pytest.approx(0.5)
    assert kpis.yoy(5, 0) is None and kpis.yoy(None, 3) is None


def test_table_number_formats_keep_area_decimals():
    import pandas as pd

    from analytics.figures import tables

    df = pd.DataFrame({"面积(亩)": [1.5], "亩均效益(元/亩)": [2.0], "利润(元)": [4.0], "合作社": ["A"]})
    assert tables.number_formats(df) == {"面积(亩)": "{:,.2f}", "亩均效益(元/亩)": "{:,.0f}", "利润(元)": "{:,.0f}"}


def test_default_year_is_the_latest_complete_year(park, store):
    assert lists.default_year(park) == 2023  # a single year counts even without December
    with store.write() as cur:
        cur.execute("""INSERT INTO duck_records (month, cooperative, unit, stock)
                       VALUES ('2022-12-01', 'X社', 'D1', 1)""")
    assert lists.default_year(store.cursor()) == 2022  # 2023 stops in April
    with store.write() as cur:
        cur.execute("""INSERT INTO duck_records (month, cooperative, unit, stock)
                       VALUES ('2023-12-01', 'X社', 'D1', 1)""")
    assert lists.default_year(store.cursor()) == 2023


def test_default_year_of_an_empty_store(store):
    assert lists.default_year(store.cursor()) is None


def test_a_month_is_complete_when_every_unit_of_the_last_12_months_reported(park, store):
    # Ducks: D1 reports Jan–Apr, D2 (Y社) Jan–Feb. January: both report; February: both again;
    # March: D2 reported in February (stock 40) but not in March; April: D2 is still silent, and
    # still missing (a shed that went quiet is expected for 12 months after its last report:
    # April is 1 of 2, not 1 of 1).
    c = completeness.month_completeness(park, "duck", Period.months("2023-01", "2023-04"))
    assert c.to_dict("records") == [
        {"month": "2023-01", "reported": 2, "expected": 2, "missing": 0, "missing_cooperatives": 0,
         "missing_stock": 0, "complete": True, "awaiting_cooperatives": 0},
        {"month": "2023-02", "reported": 2, "expected": 2, "missing": 0, "missing_cooperatives": 0,
         "missing_stock": 0, "complete": True, "awaiting_cooperatives": 0},
        {"month": "2023-03", "reported": 1, "expected": 2, "missing": 1, "missing_cooperatives": 1,
         "missing_stock": 40, "complete": False, "awaiting_cooperatives": 0},
        {"month": "2023-04", "reported": 1, "expected": 2, "missing": 1, "missing_cooperatives": 1,
         "missing_stock": 40, "complete": False, "awaiting_cooperatives": 0}]
    assert completeness.silent_units(park, "duck", "2023-04")["unit"].tolist() == ["D2"]
    feb = completeness.month_completeness(park, "duck", Period.months("2023-02", "2023-03"))
    assert list(feb["expected"]) == [2, 2] and list(feb["complete"]) == [True, False]
    # Filters select the units: X社 alone reported every month it was expected to.
    x = completeness.month_completeness(park, "duck", Q1, Filters(cooperatives=("X社",)))
    assert list(x["complete"]) == [True, True, True] and list(x["expected"]) == [1, 1, 1]
    # A village filter (the per-unit path) says the same: D2 is in 乙村.
    y = completeness.month_completeness(park, "duck", Period.months("2023-01", "2023-04"), Filters(villages=("乙村",)))
    assert list(y["reported"]) == [1, 1] and list(y["missing"]) == [0, 0]  # months with a record of 乙村 only
    with store.write() as cur:  # 13 months after its last report (2023-02), D2 is no longer expected
        cur.execute("""INSERT INTO duck_records (month, cooperative, unit, stock, eggs, revenue, cost, workers)
                       VALUES ('2024-03-01', 'X社', 'D1', 70, 1, 100, 100, 1)""")
        store.records_changed(cur)
    late = completeness.month_completeness(store.cursor(), "duck", Period.months("2024-03", "2024-03"))
    assert (late["reported"].tolist(), late["missing"].tolist()) == ([1], [0])
    # Plots have no stock: the missing stock is 0; both plots report every month of Q1.
    g = completeness.month_completeness(park, "greenhouse", Q1)
    assert list(g["reported"]) == [2, 2, 2] and g["complete"].all() and not g["missing_stock"].any()



def test_the_silent_units_are_the_missing_of_month_completeness(park):
    # March: D2 (Y社) reported February with 40 birds and not March; no other month misses a unit.
    march = completeness.silent_units(park, "duck", "2023-03")
    assert march.to_dict("records") == [{"cooperative": "Y社", "unit": "D2", "stock": 40.0}]
    assert completeness.silent_units(park, "duck", "2023-02").empty
    assert completeness.silent_units(park, "duck", "2023-03", Filters(cooperatives=("X社",))).empty
    assert len(completeness.silent_units(park, "duck", "2023-03", Filters(cooperatives=("Y社",)))) == 1

def test_mortality_counts_only_months_with_deaths_reported():
    """No deaths reported is not zero deaths: — rather than 0.00, and months without the
    figure are left out of the stock it is divided by."""
    k = {"profit": 0.0, "sold_head": 0, "units": 1, "eggs": 0.0}
    m = pd.DataFrame({"month": ["2023-01", "2023-02", "2023-03"], "stock": [200.0, 300.0, 500.0],
                      "deaths": [None, None, None], "culled": [4.0, None, 6.0],
                      "sold_kg": [0.0, 0.0, 0.0]})
    assert kpis.ratios("hog", k, m)["monthly_mortality_permille"] is None
    # Ducks: 4 + 6 culled over 200 + 500 bird-months (February's 300 has no figure) = 14.29 ‰.
    assert kpis.ratios("duck", k, m)["monthly_mortality_permille"] == 14.29
    m["deaths"] = [1.0, 2.0, 0.0]  # reported, and 0 in March: 3 over 1,000 head-months = 3.0 ‰
    assert kpis.ratios("hog", k, m)["monthly_mortality_permille"] == 3.0
