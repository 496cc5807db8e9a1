"""The demo park reproduces the township report's 2022 sentence through the KPI definitions."""

from __future__ import annotations

import pytest

from analytics.figures import kpis, lists
from analytics.scope import Period
from analytics.store import demo


@pytest.fixture(scope="module")
def k2022(demo_db_file):
    from analytics.store.db import Store

    with Store(demo_db_file) as s:
        cur = s.cursor()
        p = Period.year(2022)
        yield {"kpis": kpis.park_kpis(cur, p), "land": kpis.land_mu(cur, p),
               "zones": kpis.zones_count(cur, p), "types": kpis.greenhouse_type_counts(cur, p),
               "coops": lists.cooperatives(cur), "villages": lists.villages(cur)}


def test_ducks_160_odd_sheds_600k_birds_6m_profit_200_jobs(k2022):
    d = k2022["kpis"]["duck"]
    assert 160 <= d["units"] <= 169
    assert 600_000 <= d["stock"] <= 699_999
    assert 6_000_000 <= d["profit"] < 7_000_000
    assert 200 <= d["jobs"] <= 222  # 200多人 under the paragraph's 10% rule


def test_hogs_55_farms_10000_head_20m_profit(k2022):
    h = k2022["kpis"]["hog"]
    assert h["units"] == 55
    assert h["stock"] == 10_000  # 存栏生猪10000头, exactly as the report
    assert 20_000_000 <= h["profit"] <= 22_200_000  # 2000余万元


def test_greenhouses_20_odd_and_2500_odd_5000_per_mu_300_jobs(k2022):
    g = k2022["kpis"]["greenhouse"]
    assert 21 <= k2022["types"]["温室"] <= 22  # 20余个: more than 20, at most 10% more
    assert 2_500 <= k2022["types"]["塑料大棚"] <= 2_599
    assert set(g["by_crop"]) == {"无籽西瓜", "山药", "药材", "辣椒"}
    assert 5_000 <= g["profit_per_mu"] < 6_000
    assert 5_000 < g["profit_per_mu"] <= 5_500
    assert 301 <= g["jobs"] <= 333


def test_land_zones_villages_cooperatives(k2022):
    assert 4_500 < k2022["land"] <= 4_550  # 4500多亩
    assert k2022["zones"] == 5
    assert len(k2022["villages"]) >= 5
    assert len(k2022["coops"]) >= 8


def test_same_seed_same_numbers_other_seed_other_numbers():
    a, b, c = demo.build(7), demo.build(7), demo.build(8)
    for sector in ("duck", "hog", "greenhouse"):
        assert a.records[sector].equals(b.records[sector])
    assert not a.records["hog"]["revenue"].equals(c.records["hog"]["revenue"])


def test_seasonality_watermelon_in_summer_yam_in_autumn():
    gh = demo.build().records["greenhouse"]
    months = gh.assign(m=[d.month for d in gh["month"]]).groupby(["crop", "m"])["yield_kg"].sum()
    assert months["无籽西瓜"].idxmax() in (6, 7)
    assert months["山药"].idxmax() in (10, 11, 12)
    assert months["无籽西瓜"][1] == 0


def test_demo_marks_itself_as_demo(demo_store):
    assert demo_store.is_demo()
