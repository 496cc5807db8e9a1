"""环比 / 同比 on a comparable basis (issue 19.2), on a hand-made park whose answers are worked
out in the comments: D2 is late for 2024-01, the hog sector has not reported 2024-01 at all,
D3 joined in 2023-07, P1 is a greenhouse plot of 2 亩."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics.figures import compare
from analytics.scope import UNASSIGNED_TOWN, Filters, Period
from analytics.store import lake

JAN = Period.months("2024-01", "2024-01")


@pytest.fixture
def park(store):
    with store.write() as cur:
        cur.execute("""INSERT INTO units (sector, cooperative, unit, gh_type, village, zone, land_mu) VALUES
            ('duck', 'X社', 'D1', NULL, '甲村', '一区', NULL), ('duck', 'Y社', 'D2', NULL, '乙村', '二区', NULL),
            ('duck', 'X社', 'D3', NULL, '甲村', '一区', NULL), ('hog', 'Z社', 'H1', NULL, '甲村', '三区', NULL),
            ('greenhouse', 'G社', 'P1', '温室', '甲村', NULL, NULL)""")
        cur.execute("""INSERT INTO duck_records (month, cooperative, unit, stock, eggs, revenue, cost, workers)
            VALUES ('2023-01-01', 'X社', 'D1', 100, 10, 1000,  600, 2),
                   ('2023-12-01', 'X社', 'D1', 120, 10, 1500,  900, 2),
                   ('2024-01-01', 'X社', 'D1', 130, 10, 1800, 1200, 3),
                   ('2023-01-01', 'Y社', 'D2',  50,  5,  500,  100, 1),
                   ('2023-12-01', 'Y社', 'D2',  60,  5,  700,  300, 1),
                   ('2023-07-01', 'X社', 'D3',  40,  5,  200,  100, 1),
                   ('2023-12-01', 'X社', 'D3',  45,  5,  400,  200, 1),
                   ('2024-01-01', 'X社', 'D3',  50,  5,  500,  250, 1)""")
        cur.execute("""INSERT INTO hog_records (month, cooperative, unit, stock, sows, sold_head, sold_kg,
                                                deaths, revenue, cost, workers)
            VALUES ('2023-01-01', 'Z社', 'H1', 200, 20, 30, 3600, 1, 60000, 50000, 2),
                   ('2023-12-01', 'Z社', 'H1', 210, 21, 35, 4200, 2, 70000, 52000, 2)""")
        cur.execute("""INSERT INTO greenhouse_records (month, cooperative, unit, gh_type, crop, area_mu,
                                                       yield_kg, revenue, cost, workers)
            VALUES ('2023-01-01', 'G社', 'P1', '温室', '无籽西瓜', 2.0,    0,    0, 1000, 0),
                   ('2023-12-01', 'G社', 'P1', '温室', '无籽西瓜', 2.0, 1000, 3000, 1000, 2),
                   ('2024-01-01', 'G社', 'P1', '温室', '无籽西瓜', 2.0,  500, 1000,  800, 1)""")
    return store


def test_month_on_month_counts_only_the_units_in_both_months(park):
    c = compare.comparisons(park.cursor(), JAN)
    d = c["duck"]["mom"]
    # 2024-01: D1, D3 reported; 2023-12: D1, D2, D3. Both: D1, D3.
    assert (d["units"], d["units_base"], d["units_both"]) == (2, 3, 2)
    # revenue 1800 + 500 = 2300 against 1500 + 400 = 1900 (D2's 700 is not in the base)
    assert (d["now"]["revenue"], d["base"]["revenue"]) == (2300, 1900)
    assert d["change"]["revenue"] == pytest.approx(400 / 1900)
    # stock at each month's end: 130 + 50 = 180 against 120 + 45 = 165
    assert d["change"]["stock"] == pytest.approx(15 / 165)
    assert d["change"]["cost"] == pytest.approx((1450 - 1100) / 1100)
    assert c["mom_base"] == Period.months("2023-12", "2023-12")


def test_year_on_year_counts_only_the_units_in_both_years_months(park):
    d = compare.comparisons(park.cursor(), JAN)["duck"]["yoy"]
    # 2023-01: D1, D2 (D3 joined in July). Both with 2024-01: D1 only: 1800 against 1000.
    assert (d["units"], d["units_base"], d["units_both"]) == (2, 2, 1)
    assert d["change"]["revenue"] == pytest.approx(0.8)
    assert d["change"]["stock"] == pytest.approx(0.3)


def test_a_sector_that_has_not_reported_is_none_never_minus_100(park):
    c = compare.comparisons(park.cursor(), JAN)
    h = c["hog"]["mom"]
    assert (h["units"], h["units_both"]) == (0, 0)
    assert h["now"]["revenue"] is None and h["change"]["revenue"] is None and h["change"]["stock"] is None
    # The park total leaves the hogs out of both sides: 2300 + 1000 = 3300 against 1900 + 3000 = 4900,
    # not against 74,900 (−95.6 % with the hogs' December in the base).
    t = c["total"]["mom"]
    assert (t["now"]["revenue"], t["base"]["revenue"]) == (3300, 4900)
    assert t["change"]["revenue"] == pytest.approx(-1600 / 4900)


def test_per_mu_over_the_plots_in_both(park):
    g = compare.comparisons(park.cursor(), JAN)["greenhouse"]["mom"]
    # P1: profit 1000 − 800 = 200 on 2 亩 = 100 元/亩, against 3000 − 1000 = 2000 on 2 亩 = 1000 元/亩
    assert (g["now"]["profit_per_mu"], g["base"]["profit_per_mu"]) == (100, 1000)
    assert g["change"]["profit"] == pytest.approx(-0.9)
    assert g["change"]["revenue"] == pytest.approx(-2 / 3)


def test_a_year_in_progress_is_compared_with_the_same_months(park):
    c = compare.comparisons(park.cursor(), Period.year(2024))
    assert c["period"] == JAN and c["yoy_base"] == Period.months("2023-01", "2023-01")
    assert c["latest"] == "2024-01"
    assert c["duck"]["yoy"]["change"]["revenue"] == pytest.approx(0.8)
    whole = compare.comparisons(park.cursor(), Period.year(2023))
    assert whole["period"] == Period.year(2023) and whole["mom_base"] is None and whole["total"]["mom"] is None


def test_coverage_of_a_month(park):
    # reported in 2024-01: D1, D3, P1 = 3; expected (2024-01 or 2023-12): D1, D2, D3, H1, P1 = 5
    assert compare.coverage(park.cursor(), JAN) == {"reported": 3, "expected": 5, "sectors_missing": ["hog"]}
    assert compare.coverage(park.cursor(), JAN, Filters(cooperatives=("X社",)))["reported"] == 2


def test_filters_apply_to_both_periods(park):
    d = compare.comparisons(park.cursor(), JAN, Filters(cooperatives=("Y社",)))["duck"]["mom"]
    assert (d["units"], d["units_base"], d["units_both"], d["change"]["revenue"]) == (0, 1, 0, None)


def test_colour_follows_good_not_sign():
    assert compare.delta_color("revenue") == "normal" and compare.delta_color("cost") == "inverse"
    assert compare.is_good("cost", 0.449) is False and compare.is_good("profit", -0.1) is False
    assert compare.is_good("monthly_mortality_permille", -0.2) is True
    assert compare.is_good("revenue", None) is None
    with pytest.raises(KeyError):
        compare.delta_color("undeclared")


def _flat(x: object, path: str = "") -> dict:
    """A nested answer as {path: leaf} (pytest.approx takes no nested dicts)."""
    if isinstance(x, dict):
        return {k: v for key, val in x.items() for k, v in _flat(val, f"{path}/{key}").items()}
    return {path: x}


def test_the_lake_and_spark_give_the_same_comparisons(park, tmp_path):
    lake.export_parquet(park.cursor(), tmp_path / "lake")
    periods = (JAN, Period.year(2023))  # a month (the month groups), a whole year (the year groups)
    expected = [compare.comparisons(park.cursor(), p) for p in periods]
    con = lake.open_lake(tmp_path / "lake")
    try:
        assert [compare.comparisons(con.cursor(), p) for p in periods] == expected
    finally:
        con.close()
    spark = lake.quiet(lake.spark_session("local[2]"))
    cur = lake.attach_lake_spark(spark, tmp_path / "lake")
    for p, e in zip(periods, expected, strict=True):
        flat, want = _flat(compare.comparisons(cur, p)), _flat(e)
        assert flat.keys() == want.keys()
        for k, v in want.items():
            assert flat[k] == (pytest.approx(v) if isinstance(v, float) else v), k


def test_the_landing_month_is_never_one_early_cooperative(park):
    # 2024-01: ducks 2 of 3 (≥ half), the plot 1 of 1: 2024-01 is the landing month.
    assert compare.landing_month(park.cursor()) == "2024-01"
    with park.write() as cur:  # one of three duck sheds reports February early; nobody else does
        cur.execute("""INSERT INTO duck_records (month, cooperative, unit, stock, eggs, revenue, cost, workers)
                       VALUES ('2024-02-01', 'X社', 'D1', 130, 10, 1800, 1200, 3)""")
    assert compare.landing_month(park.cursor()) == "2024-01"
    with park.write() as cur:
        cur.execute("""INSERT INTO duck_records (month, cooperative, unit, stock, eggs, revenue, cost, workers)
                       VALUES ('2024-02-01', 'X社', 'D3', 50, 5, 500, 250, 1)""")
    assert compare.landing_month(park.cursor()) == "2024-02"  # 2 of 3 duck sheds: the month is in


def test_a_small_cooperative_after_a_long_gap_is_not_the_landing_month(park):
    # Two years without reports, then one new shed of a new cooperative: 1 of the 3 ducks sheds
    # the sector last had is not half of it; the park still opens on 2024-01.
    with park.write() as cur:
        cur.execute("""INSERT INTO duck_records (month, cooperative, unit, stock, eggs, revenue, cost, workers)
                       VALUES ('2026-09-01', 'N社', 'N1', 7700, 10, 1800, 1200, 3)""")
    assert compare.landing_month(park.cursor()) == "2024-01"


def test_landing_month_of_an_empty_store(store):
    assert compare.landing_month(store.cursor()) is None


def test_coverage_from_the_kept_tables_equals_the_per_unit_count(park):
    cur = park.cursor()
    for month in ("2023-12", "2024-01", "2023-07"):
        p = Period.months(month, month)
        kept = compare.coverage(cur, p)
        # a village filter that keeps every unit takes the per-unit path
        scanned = compare.coverage(cur, p, Filters(villages=("甲村", "乙村")))
        assert kept == scanned, month


def test_changes_by_town_over_the_units_in_both(park):
    from analytics.store import db

    with park.write() as cur:
        cur.execute("INSERT INTO cooperatives (name) VALUES ('X社'), ('Y社'), ('Z社'), ('G社')")
    db.add_town(park, "乙镇")
    db.assign_town(park, "Y社", "乙镇")
    c = compare.comparisons(park.cursor(), JAN, by_town=True)
    towns = c["total"]["mom"]["by_town"]
    (home,) = park.cursor().execute(
        f"SELECT DISTINCT coalesce(town, '{UNASSIGNED_TOWN}') FROM cooperatives WHERE name <> 'Y社'").fetchone()
    # 乙镇 (Y社: D2) did not report 2024-01: no unit in both, so no row and no change (never −100 %).
    assert "乙镇" not in towns
    # The other cooperatives' town: D1, D3 and P1 in both months. Profit now (1800 − 1200) + (500 − 250)
    # + (1000 − 800) = 1050 against (1500 − 900) + (400 − 200) + (3000 − 1000) = 2800: −62.5 %.
    assert set(towns) == {home}
    rest = towns[home]
    assert rest["units_both"] == 3
    assert (rest["now"]["profit"], rest["base"]["profit"]) == (1050, 2800)
    assert rest["change"]["profit"] == pytest.approx(-0.625)
    # the sector's figures are the sums of its towns
    assert c["duck"]["mom"]["by_town"][home]["now"]["revenue"] == c["duck"]["mom"]["now"]["revenue"] == 2300
    # 同比: only D1 in both (2023-01 and 2024-01) among the ducks; Y社's D2 was in 2023-01, 乙镇 since
    yoy = compare.comparisons(park.cursor(), JAN, by_town=True)["total"]["yoy"]["by_town"]
    assert "by_town" not in compare.comparisons(park.cursor(), JAN)["total"]["yoy"]  # asked for only
    assert yoy[home]["now"]["revenue"] == 1800 + 1000  # D1 and P1


def test_no_percentage_against_a_loss(park):
    assert compare._change(59000, -32272.29) is None  # +282.8 % would read as if the loss grew
    assert compare._change(-500, 1000) is None and compare._change(-500, -300) is None
    assert compare._change(150, 100) == 0.5 and compare._change(0, 100) == -1.0
    with park.write() as cur:  # D1 lost money in December: 1500 − 2000
        cur.execute("UPDATE duck_records SET cost = 2000 WHERE unit = 'D1' AND month = '2023-12-01'")
    d = compare.comparisons(park.cursor(), JAN)["duck"]["mom"]
    # both: D1, D3 — profit 600 + 250 = 850 against −500 + 200 = −300: no percentage; revenue still compared
    assert (d["now"]["profit"], d["base"]["profit"], d["change"]["profit"]) == (850, -300, None)
    assert d["turn"]["profit"] == "to_profit" and d["turn"]["revenue"] is None
    assert [compare.turn(a, b) for a, b in ((-100, 50), (-100, -300), (-300, -100), (5, 3))] == [
        "to_loss", "narrower", "wider", None]
    assert d["change"]["revenue"] == pytest.approx(400 / 1900)


def test_a_turn_is_coloured_in_tables_and_said_on_the_deck():
    from analytics.figures import tables
    from analytics.meeting import slides

    df = pd.DataFrame({"利润同比": ["扭亏为盈", "由盈转亏", "+5.0%", "—"]})
    styled = tables.good_bad(df.style, {"利润同比": "profit"})
    styled._compute()
    colours = {r: dict(v).get("color") for (r, _), v in styled.ctx.items()}
    assert colours == {0: tables.GOOD_COLOUR, 1: tables.BAD_COLOUR, 2: tables.GOOD_COLOUR}
    comp = {"duck": {"mom": {"change": {"profit": None}, "turn": {"profit": "to_profit"}},
                     "yoy": {"change": {"profit": -0.1}, "turn": {"profit": None}}}}
    assert slides._month_note(comp, "duck", "profit", "zh") == ("环比 扭亏为盈 · 同比 -10.0%", 1)
