"""One-month 环比 / 同比 from the flags kept on write (rollups.FLAGS) give the figures the join of
two months' per-unit rows gives: on the demo park, on the hand-made park of test_compare (late
units, a missing sector, a unit joining mid-year), after an upload and its undo, after a
cooperative changes town, and on a store migrated from before the flags."""

from __future__ import annotations

import shutil

import pytest

from analytics import ingest
from analytics.access import permissions
from analytics.figures import compare, rollups
from analytics.scope import Filters, Period
from analytics.store import db
from analytics.store.db import Store
from tests.test_compare import JAN, _flat
from tests.test_compare import park as park  # noqa: F401 — the fixture, reused
from tests.test_ingest import TODAY
from tests.test_rollups import assert_rollups_match_a_rebuild, duck_file

MONTHS = ["2021-01", "2021-02", "2022-01", "2022-12", "2023-06", "2023-12", "2024-01"]


def both_ways(fn, *args, **kwargs) -> tuple[object, object, int]:
    """``fn(*args)`` by the flags and by the join, and how often the flag run still joined."""
    joins = []
    real = compare._joined_rows

    def counting(*a, **k):
        joins.append(a)
        return real(*a, **k)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(compare, "_joined_rows", counting)
        flagged = fn(*args, **kwargs)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(compare, "FLAG_DISTANCES", ())
        joined = fn(*args, **kwargs)
    return flagged, joined, len(joins)


def assert_same(got: object, want: object) -> None:
    """Equal, floats within DuckDB's float-summation noise (1e-9 relative)."""
    flat, expected = _flat(got), _flat(want)
    assert flat.keys() == expected.keys()
    for k, v in expected.items():
        if isinstance(v, float):
            assert flat[k] == pytest.approx(v, rel=1e-9, abs=1e-9), k
        else:
            assert flat[k] == v, k


def assert_months_agree(cur, months=MONTHS, filters: Filters = Filters(), by_town: bool = False) -> None:
    for m in months:
        flagged, joined, joins = both_ways(compare.comparisons, cur, Period.months(m, m), filters, by_town)
        assert joins == 0, m  # every one-month comparison read the flags
        assert_same(flagged, joined)


def test_flags_are_the_months_a_unit_reported(demo_store):
    cur = demo_store.cursor()
    for sector in ("duck", "hog", "greenhouse"):
        for name, k in rollups.FLAGS.items():
            (bad,) = cur.execute(f"""
                SELECT count(*) FROM unit_month_{sector} m
                WHERE m.{name} <> EXISTS (SELECT 1 FROM unit_month_{sector} o WHERE o.unit_id = m.unit_id
                                          AND o.last_month = m.last_month + to_months({k}))""").fetchone()
            assert bad == 0, (sector, name)
    # demo: one greenhouse plot's months, by hand from its rows
    rows = cur.execute("""SELECT strftime(last_month, '%Y-%m'), prev_month_reported, next_month_reported,
                                 prev_year_reported, next_year_reported
                          FROM unit_month_duck WHERE unit_id = (SELECT min(unit_id) FROM unit_month_duck)
                          ORDER BY last_month""").fetchall()
    first, last = rows[0], rows[-1]
    assert first[1] is False and first[3] is False  # nothing before a unit's first month
    assert last[2] is False and last[4] is False  # nothing after its last


def test_the_demo_park_by_flags_and_by_join(demo_store):
    cur = demo_store.cursor()
    assert_months_agree(cur)
    coop = cur.execute("SELECT min(cooperative) FROM units WHERE sector = 'duck'").fetchone()[0]
    assert_months_agree(cur, ["2023-12", "2022-01"], Filters(cooperatives=(coop,)))
    # a village filter keeps the join (and gives the same figures as it did)
    village = cur.execute("SELECT min(village) FROM units WHERE village IS NOT NULL").fetchone()[0]
    _, _, joins = both_ways(compare.comparisons, cur, Period.months("2023-12", "2023-12"),
                            Filters(villages=(village,)))
    assert joins == 6
    # a range keeps the join: 同比 of 2023-06..2023-12
    flagged, joined, joins = both_ways(compare.comparisons, cur, Period.months("2023-06", "2023-12"))
    assert joins == 3
    assert_same(flagged, joined)


def test_the_hand_made_park_by_flags_and_by_join(park):  # noqa: F811 — the fixture
    cur = park.cursor()
    assert_months_agree(cur, ["2023-01", "2023-07", "2023-12", "2024-01"])
    # the hand-computed answers of test_compare, through the flags
    c = compare.comparisons(cur, JAN)
    d = c["duck"]["mom"]
    assert (d["units"], d["units_base"], d["units_both"]) == (2, 3, 2)  # D2 late
    assert (d["now"]["revenue"], d["base"]["revenue"]) == (2300, 1900)
    assert c["duck"]["yoy"]["units_both"] == 1  # D3 joined in July 2023: not in 2023-01
    assert c["hog"]["mom"]["now"]["revenue"] is None and c["hog"]["mom"]["change"]["stock"] is None  # 未报
    assert (c["total"]["mom"]["now"]["revenue"], c["total"]["mom"]["base"]["revenue"]) == (3300, 4900)
    g = c["greenhouse"]["mom"]
    assert (g["now"]["profit_per_mu"], g["base"]["profit_per_mu"]) == (100, 1000)


def test_flags_follow_a_cooperative_that_changes_town(park):  # noqa: F811 — the fixture
    with park.write() as cur:
        cur.execute("INSERT INTO cooperatives (name) VALUES ('X社'), ('Y社'), ('Z社'), ('G社')")
    db.add_town(park, "乙镇")
    db.assign_town(park, "X社", "乙镇")
    cur = park.cursor()
    assert_months_agree(cur, ["2023-12", "2024-01"], by_town=True)
    towns = compare.comparisons(cur, JAN, by_town=True)["total"]["mom"]["by_town"]
    # X社's D1 and D3 in 乙镇: revenue 1800 + 500 against 1500 + 400
    assert (towns["乙镇"]["now"]["revenue"], towns["乙镇"]["base"]["revenue"]) == (2300, 1900)
    assert_rollups_match_a_rebuild(park)


def test_an_upload_and_its_undo_keep_the_flags_right(demo_store):
    coop = "兴旺种鸭专业合作社"
    cur = demo_store.cursor()
    before = compare.comparisons(cur, Period.months("2023-12", "2023-12"))
    # A new month for one shed (2024-01: 2023-12's "month after", 2023-01's "year after"), a
    # correction of 2023-12 and a new shed in 2023-12 (2023-11's month after, 2022-12's year after).
    res = ingest.ingest(demo_store, duck_file([("2024-01", coop, "D-001", 5000), ("2023-12", coop, "D-002", 4000),
                                               ("2023-12", coop, "D-NEW", 1000)]),
                        "jan.csv", permissions.SYSTEM, today=TODAY)
    assert res.upload_id
    cur = demo_store.cursor()
    assert_rollups_match_a_rebuild(demo_store)  # the flags too: they are columns of unit_month_duck
    assert_months_agree(cur, ["2022-12", "2023-01", "2023-11", "2023-12", "2024-01"])
    jan = compare.comparisons(cur, JAN)["duck"]
    assert (jan["mom"]["units"], jan["mom"]["units_both"]) == (1, 1)
    assert jan["mom"]["now"]["stock"] == 5000
    ingest.undo(demo_store, res.upload_id, permissions.SYSTEM)
    cur = demo_store.cursor()
    assert_rollups_match_a_rebuild(demo_store)
    assert_months_agree(cur, ["2022-12", "2023-01", "2023-11", "2023-12", "2024-01"])
    assert_same(compare.comparisons(cur, Period.months("2023-12", "2023-12")), before)
    (n,) = cur.execute("SELECT count(*) FROM unit_month_duck WHERE next_month_reported "
                       "AND last_month = '2023-12-01'").fetchone()
    assert n == 0  # nobody reported 2024-01 any more


def test_a_store_from_before_the_flags_gets_them_by_migration(demo_db_file, tmp_path):
    path = tmp_path / "old.duckdb"
    shutil.copy(demo_db_file, path)
    with Store(path) as s:
        want = s.cursor().execute("SELECT * FROM unit_month_greenhouse ORDER BY ALL").df()
        with s.write(figures=False) as cur:  # as a store of schema 13 had it
            for sector in ("duck", "hog", "greenhouse"):
                for name in rollups.FLAGS:
                    cur.execute(f"ALTER TABLE unit_month_{sector} DROP COLUMN {name}")
            cur.execute("DELETE FROM schema_migrations WHERE version = 14")
    with Store(path) as s:
        cur = s.cursor()
        got = cur.execute("SELECT * FROM unit_month_greenhouse ORDER BY ALL").df()
        assert list(got.columns) == list(want.columns)
        assert got.equals(want)
        assert_months_agree(cur, ["2023-12"])


def test_year_flags_are_the_years_a_unit_reported(demo_store):
    cur = demo_store.cursor()
    for table in ("unit_year_duck", "unit_year_hog", "unit_year_greenhouse", "unit_year_greenhouse_crop"):
        for name, k in rollups.YEAR_FLAGS.items():
            (bad,) = cur.execute(f"""
                SELECT count(*) FROM {table} m
                WHERE m.{name} <> EXISTS (SELECT 1 FROM {table} o WHERE o.unit_id = m.unit_id
                                          AND o.year = m.year + {k})""").fetchone()
            assert bad == 0, (table, name)


def test_a_whole_year_against_the_year_before_by_flags_and_by_join(demo_store):
    cur = demo_store.cursor()
    coop = cur.execute("SELECT min(cooperative) FROM units WHERE sector = 'hog'").fetchone()[0]
    for filters in (Filters(), Filters(cooperatives=(coop,)), Filters(towns=("济阳镇",))):
        for year in (2021, 2022, 2023):
            for by_town in (False, True):
                flagged, joined, joins = both_ways(compare.comparisons, cur, Period.year(year), filters, by_town)
                assert joins == 0, year  # the year groups answered
                assert_same(flagged, joined)
    y = compare.comparisons(cur, Period.year(2023))
    assert y["mom_base"] is None and y["duck"]["mom"] is None and y["duck"]["yoy"]["units_both"] > 0


def test_a_whole_year_by_hand(park):  # noqa: F811 — the fixture
    with park.write() as cur:  # a year before for D1 only: 2022-06
        cur.execute("""INSERT INTO duck_records (month, cooperative, unit, stock, eggs, revenue, cost, workers)
                       VALUES ('2022-06-01', 'X社', 'D1', 90, 8, 800, 500, 2)""")
    d = compare.comparisons(park.cursor(), Period.year(2023))["duck"]["yoy"]
    # 2023: D1, D2, D3; 2022: D1. Both: D1 — 1000 + 1500 against 800; stock at each year's end 120 against 90.
    assert (d["units"], d["units_base"], d["units_both"]) == (3, 1, 1)
    assert (d["now"]["revenue"], d["base"]["revenue"], d["now"]["stock"], d["base"]["stock"]) == (2500, 800, 120, 90)
    assert_same(*both_ways(compare.comparisons, park.cursor(), Period.year(2023))[:2])


def test_a_store_from_before_the_groups_gets_them_by_migration(demo_db_file, tmp_path):
    path = tmp_path / "old.duckdb"
    shutil.copy(demo_db_file, path)
    with Store(path) as s:
        cur = s.cursor()
        want = {t: cur.execute(f"SELECT * FROM {t} ORDER BY ALL").df()
                for t in ["unit_year_greenhouse_crop", *(g.table for g in rollups.groupings())]}
        with s.write(figures=False) as cur:  # as a store of schema 14 had it
            for r in rollups.rollups():
                if r.keys is not None:
                    for name in rollups.YEAR_FLAGS:
                        cur.execute(f"ALTER TABLE {r.table} DROP COLUMN {name}")
            for g in rollups.groupings():
                cur.execute(f"DROP TABLE {g.table}")
            cur.execute("DELETE FROM schema_migrations WHERE version = 15")
    with Store(path) as s:
        cur = s.cursor()
        for t, df in want.items():
            got = cur.execute(f"SELECT * FROM {t} ORDER BY ALL").df()
            assert list(got.columns) == list(df.columns), t
            assert got.equals(df), t
