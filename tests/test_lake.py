"""The Parquet lake: the same KPI JSON from the store, from the lake with DuckDB, and from the
lake with Spark (local mode, one session), all from the one SQL of analytics/figures/kpis.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analytics.figures import kpis, lists
from analytics.scope import Filters, Period
from analytics.store import demo, lake
from analytics.store.db import Store
from tests.test_cli import run_cli

PERIODS = [Period.year(2022), Period.months("2022-07", "2023-03")]


@pytest.fixture(scope="module")
def two_town_lake(tmp_path_factory) -> tuple[Path, Path]:
    """The demo park in two towns, and its lake."""
    root = tmp_path_factory.mktemp("lake")
    db = root / "two.duckdb"
    with Store(db) as s:
        demo.load(s, towns=2)
        lake.export_parquet(s.cursor(), root / "lake")
    return db, root / "lake"


def store_json(db: Path, period: Period, filters: Filters = Filters()) -> dict:
    with Store(db, read_only=True) as s:
        return kpis.park_kpis(s.cursor(), period, filters)


def test_lake_layout_is_hive_partitioned_by_sector_year_town(two_town_lake):
    _, out = two_town_lake
    years = sorted(p.name for p in (out / "records" / "sector=greenhouse").iterdir())
    assert years == ["year=2021", "year=2022", "year=2023"]
    towns = sorted(p.name for p in (out / "records" / "sector=duck" / "year=2022").iterdir())
    assert len(towns) == 2 and all(t.startswith("town=") for t in towns)
    manifest = json.loads((out / "lake.json").read_text(encoding="utf-8"))
    with Store(two_town_lake[0], read_only=True) as s:
        assert manifest["records"]["greenhouse"] == s.cursor().execute(
            "SELECT count(*) FROM greenhouse_records").fetchall()[0][0]


@pytest.mark.parametrize("period", PERIODS, ids=lambda p: f"{p.label_from}..{p.label_to}")
def test_duckdb_over_the_lake_gives_the_stores_json(two_town_lake, period):
    db, out = two_town_lake
    expected = store_json(db, period)
    assert len(expected["by_town"]) == 2
    assert lake.lake_kpis(out, period) == expected
    town = Filters(towns=(demo.town_names(2)[1],))
    assert lake.lake_kpis(out, period, filters=town) == store_json(db, period, town)


def test_spark_over_the_lake_gives_the_stores_json(two_town_lake):
    db, out = two_town_lake
    spark = lake.quiet(lake.spark_session("local[2]"))
    cur = lake.attach_lake_spark(spark, out)
    for period in PERIODS:
        assert kpis.park_kpis(cur, period) == store_json(db, period), period


def test_the_dashboards_lake_store_is_read_only(two_town_lake):
    db, out = two_town_lake
    s = lake.LakeStore(out)
    assert kpis.park_kpis(s.cursor(), PERIODS[0]) == store_json(db, PERIODS[0])
    assert lists.available_months(s.cursor())[-1] == "2023-12" and s.is_demo()
    with pytest.raises(lake.StoreError, match="只读"):
        with s.write():
            pass


def test_cli_export_and_kpis_over_the_lake(capsys, tmp_path, demo_db_file):
    out = tmp_path / "lk"
    code, text, _ = run_cli(capsys, "export-parquet", "--db", str(demo_db_file), "--out", str(out))
    assert code == 0 and "已导出数据湖" in text
    code, text, _ = run_cli(capsys, "kpis", "--lake", str(out), "--year", "2022", "--json")
    assert code == 0 and json.loads(text) == store_json(demo_db_file, Period.year(2022))
    # A folder that is not a lake is neither overwritten nor read.
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("x")
    code, _, err = run_cli(capsys, "export-parquet", "--db", str(demo_db_file), "--out", str(tmp_path / "other"))
    assert code == 1 and "不是空的" in err and (tmp_path / "other" / "notes.txt").exists()
    code, _, err = run_cli(capsys, "kpis", "--lake", str(tmp_path / "other"), "--year", "2022")
    assert code == 1 and "不是数据湖目录" in err
    code, _, err = run_cli(capsys, "kpis", "--db", str(demo_db_file), "--engine", "spark", "--year", "2022")
    assert code == 2 and "--lake" in err


def test_cli_towns(capsys, tmp_path, demo_db_file):
    import shutil

    db = tmp_path / "t.duckdb"
    shutil.copy(demo_db_file, db)
    code, text, _ = run_cli(capsys, "towns", "list", "--db", str(db))
    assert code == 0 and text.splitlines() == ["济阳镇\t12 个合作社"]
    assert run_cli(capsys, "towns", "add", "回河镇", "--db", str(db))[0] == 0
    code, text, _ = run_cli(capsys, "towns", "assign", "兴旺种鸭专业合作社", "回河镇", "--db", str(db))
    assert code == 0 and "已把合作社" in text
    code, _, err = run_cli(capsys, "towns", "assign", "兴旺种鸭专业合作社", "无此镇", "--db", str(db))
    assert code == 2 and "没有登记乡镇“无此镇”" in err
    code, text, _ = run_cli(capsys, "kpis", "--db", str(db), "--year", "2022", "--json", "--town", "回河镇")
    k = json.loads(text)
    assert list(k["by_town"]) == ["回河镇"] and k["hog"]["units"] == 0 and k["duck"]["units"] > 0


def test_the_dashboard_serves_a_lake(two_town_lake, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest, app_test

    from analytics import fmt
    from tests.conftest import ROOT, NavigationPagesManager

    db, out = two_town_lake
    monkeypatch.setattr(app_test, "PagesManager", NavigationPagesManager)
    monkeypatch.setenv("PARK_LAKE", str(out))
    monkeypatch.setenv("PARK_DB", str(out / "no-database-here.duckdb"))
    monkeypatch.setenv("PARK_PUBLIC_VIEW", "1")
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.query_params["year"] = "2023"  # the whole year, as computed below (the landing view is 本月)
        at.run()
        assert not at.exception, at.exception
        k = store_json(db, Period.year(2023))
        assert {m.label: m.value for m in at.metric}["利润"] == fmt.money(k["total"]["profit"])
        assert not (out / "no-database-here.duckdb").exists()  # the lake is read, no database is made
        at.switch_page("pages/greenhouse.py").run()
        assert not at.exception, at.exception
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()
