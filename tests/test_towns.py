"""Towns (乡镇) above cooperatives: registry, filters and the KPI JSON, on hand-computed figures."""

from __future__ import annotations

import pytest

from analytics.figures import kpis, lists
from analytics.scope import Filters, Period
from analytics.store import db, demo, schema
from analytics.store.db import Store

Y = Period.year(2023)


@pytest.fixture
def two_towns(store):
    """甲镇 has A社 (one duck shed, one plot); 乙镇 has B社 (one hog farm); C社 has no town yet."""
    db.add_town(store, "乙镇")
    with store.write() as cur:
        cur.execute("""INSERT INTO cooperatives (name, town) VALUES ('A社', '济阳镇'), ('B社', '乙镇'),
                                                                    ('C社', NULL)""")
        cur.execute("""INSERT INTO units (sector, cooperative, unit, gh_type, village, zone, land_mu) VALUES
            ('duck', 'A社', 'D1', NULL, '甲村', NULL, 2.0),
            ('greenhouse', 'A社', 'P1', '温室', '甲村', NULL, NULL),
            ('hog', 'B社', 'H1', NULL, '乙村', NULL, 5.0),
            ('duck', 'C社', 'D9', NULL, '丙村', NULL, 1.0)""")
        cur.execute("""INSERT INTO duck_records (month, cooperative, unit, stock, eggs, revenue, cost, workers) VALUES
            ('2023-01-01', 'A社', 'D1', 100, 10, 1000, 600, 2), ('2023-02-01', 'A社', 'D1', 90, 20, 1000, 700, 3),
            ('2023-01-01', 'C社', 'D9', 10, 1, 50, 20, 1)""")
        cur.execute("""INSERT INTO hog_records (month, cooperative, unit, stock, sows, sold_head, revenue, cost,
                                                workers)
            VALUES ('2023-01-01', 'B社', 'H1', 200, 20, 30, 60000, 50000, 2)""")
        cur.execute("""INSERT INTO greenhouse_records (month, cooperative, unit, gh_type, crop, area_mu, yield_kg,
                                                       revenue, cost, workers)
            VALUES ('2023-01-01', 'A社', 'P1', '温室', '辣椒', 2.0, 100, 400, 100, 1),
                   ('2023-02-01', 'A社', 'P1', '温室', '辣椒', 2.5, 300, 1200, 100, 2)""")
    return store


def test_a_township_store_is_one_town_and_new_cooperatives_join_it(store):
    cur = store.cursor()
    assert lists.towns(cur) == ["济阳镇"]
    with store.write() as w:
        w.execute("INSERT INTO cooperatives (name) VALUES ('新社')")
    # With one town, a cooperative registered without one (an upload's new cooperative) joins it.
    assert store.cursor().execute("SELECT town FROM cooperatives WHERE name = '新社'").fetchall() == [("济阳镇",)]


def test_the_first_town_comes_from_the_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("PARK_TOWN", "回河镇")
    with Store(tmp_path / "p.duckdb") as s:
        assert lists.towns(s.cursor()) == ["回河镇"]


def test_by_town_and_land_in_the_kpi_json(two_towns):
    k = kpis.park_kpis(two_towns.cursor(), Y)
    # 济阳镇: A社's shed D1 (revenue 2000, cost 1300, jobs 3, land 2.0) and plot P1
    # (revenue 1600, cost 200, jobs 2, area 2.5 = its largest).
    assert k["by_town"]["济阳镇"] == {"units": 2, "revenue": 3600.0, "cost": 1500.0, "profit": 2100.0,
                                     "jobs": 5, "land_mu": 4.5}
    # 乙镇: B社's farm H1.
    assert k["by_town"]["乙镇"] == {"units": 1, "revenue": 60000.0, "cost": 50000.0, "profit": 10000.0,
                                   "jobs": 2, "land_mu": 5.0}
    # C社 has no town: its shed is counted, under 未分配乡镇, never dropped.
    assert k["by_town"]["未分配乡镇"] == {"units": 1, "revenue": 50.0, "cost": 20.0, "profit": 30.0,
                                      "jobs": 1, "land_mu": 1.0}
    assert k["total"] == {"revenue": 63650.0, "cost": 51520.0, "profit": 12130.0, "jobs": 8, "land_mu": 10.5}
    assert list(k)[:5] == ["period", "duck", "hog", "greenhouse", "total"]


def test_town_filter(two_towns):
    cur = two_towns.cursor()
    k = kpis.park_kpis(cur, Y, Filters(towns=("济阳镇",)))
    assert (k["duck"]["units"], k["duck"]["stock"], k["hog"]["units"]) == (1, 90, 0)
    assert k["greenhouse"]["area_mu"] == 2.5 and list(k["by_town"]) == ["济阳镇"]
    assert kpis.sector_kpis(cur, "duck", Y, Filters(towns=("未分配乡镇",)))["stock"] == 10
    assert lists.cooperatives(cur, ("乙镇",)) == ["B社"]
    assert lists.towns(cur) == ["乙镇", "济阳镇", "未分配乡镇"]
    m = kpis.monthly(cur, "duck", Y, Filters(towns=("济阳镇",)))
    assert m["revenue"].tolist() == [1000, 1000]


def test_assign_and_add_towns_refuse_unknown_names(two_towns):
    with pytest.raises(ValueError, match="没有登记乡镇“丙镇”"):
        db.assign_town(two_towns, "C社", "丙镇")
    with pytest.raises(ValueError, match="已经登记过了"):
        db.add_town(two_towns, "乙镇")
    before = two_towns.figures_version()
    db.assign_town(two_towns, "C社", "乙镇")
    k = kpis.park_kpis(two_towns.cursor(), Y)
    assert "未分配乡镇" not in k["by_town"] and k["by_town"]["乙镇"]["units"] == 2
    assert two_towns.figures_version() > before  # every period's town figures changed: caches go cold


def test_demo_towns_scale_every_figure_exactly(tmp_path, demo_db_file):
    with Store(tmp_path / "three.duckdb") as s:
        counts = demo.load(s, towns=3)
        k3 = kpis.park_kpis(s.cursor(), Period.year(2022))
        towns = lists.towns(s.cursor())
    with Store(demo_db_file, read_only=True) as s:
        k1 = kpis.park_kpis(s.cursor(), Period.year(2022))
        one = sum(s.cursor().execute(f"SELECT count(*) FROM {t}_records").fetchall()[0][0]
                  for t in ("duck", "hog", "greenhouse"))
    assert sum(counts.values()) == 3 * one
    assert towns == sorted(demo.town_names(3)) and demo.town_names(3)[0] == "济阳镇"
    for sector, key in (("duck", "stock"), ("duck", "units"), ("hog", "sold_head"), ("greenhouse", "units"),
                        ("total", "jobs")):
        assert k3[sector][key] == 3 * k1[sector][key]
    assert k3["total"]["profit"] == pytest.approx(3 * k1["total"]["profit"], abs=0.05)
    assert k3["greenhouse"]["profit_per_mu"] == k1["greenhouse"]["profit_per_mu"]
    # Each town is a copy of the park: its figures are the one-town totals.
    for town in towns:
        assert k3["by_town"][town]["profit"] == pytest.approx(k1["total"]["profit"], abs=0.05)
        assert k3["by_town"][town]["land_mu"] == k1["total"]["land_mu"]


def test_two_years_in_one_pass_give_each_years_json(demo_db_file):
    with Store(demo_db_file, read_only=True) as s:
        cur = s.cursor()
        for periods in ((Period.year(2023), Period.year(2022)),
                        (Period.months("2023-02", "2023-07"), Period.months("2022-02", "2022-07"))):
            both = kpis.park_kpis_many(cur, periods, Filters(villages=("李庄村", "前营村")))
            for p, k in zip(periods, both, strict=True):
                assert k == kpis.park_kpis(cur, p, Filters(villages=("李庄村", "前营村")))


def test_an_older_database_upgrades_into_one_town(tmp_path, monkeypatch):
    path = tmp_path / "old.duckdb"
    monkeypatch.setattr(schema, "MIGRATIONS", [m for m in schema.MIGRATIONS if m[0] <= 3])  # before towns
    with Store(path) as s, s.write() as cur:
        cur.execute("INSERT INTO cooperatives (name) VALUES ('A社')")
        cur.execute("INSERT INTO units (sector, cooperative, unit, land_mu) VALUES ('duck', 'A社', 'D1', 2.0)")
        cur.execute("""INSERT INTO duck_records (month, cooperative, unit, stock, revenue, cost, workers)
                       VALUES ('2023-01-01', 'A社', 'D1', 7, 100, 40, 1)""")
    monkeypatch.undo()
    with Store(path) as s:
        k = kpis.park_kpis(s.cursor(), Y)
    # The rollups built by the upgrade carry the town the store then gets, not 未分配乡镇.
    assert k["by_town"] == {"济阳镇": {"units": 1, "revenue": 100.0, "cost": 40.0, "profit": 60.0, "jobs": 1,
                                      "land_mu": 2.0}}
    assert k["duck"]["stock"] == 7
