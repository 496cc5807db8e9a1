"""Drill-down through AppTest: a click (a selection event) on a village bar or a unit row narrows the
shared filters, the address carries it, the breadcrumb shows the way and steps back. Tooltips carry units."""

from __future__ import annotations

from analytics.meeting import charts
from analytics.scope import Filters, Period
from tests.conftest import ROOT
from ui import drill
from ui.cache import q

VILLAGE = "前营村"
Y2023 = Period.year(2023)


def _qp(at, key: str) -> list[str]:
    v = at.query_params.get(key)
    return [] if v is None else [v] if isinstance(v, str) else list(v)


def _run(path: str, params: dict | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / path), default_timeout=90)
    at.session_state["lang"] = "zh"
    for k, v in (params or {}).items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def _select_point(at, key: str, name: str) -> None:
    """What the browser sends when a bar is clicked: the chart's selection state."""
    at.session_state[key] = {"selection": {"points": [{"x": name, "customdata": name}], "point_indices": [0],
                                           "box": [], "lasso": []}}


def _crumbs(at) -> list[str]:
    return [b.label for b in at.button if b.key and b.key.startswith("crumb_")]


def test_a_village_bar_drills_to_its_cooperatives_and_the_breadcrumb_steps_back(app_db):
    at = _run("pages/per_mu.py", {"year": "2023"})
    at.segmented_control(key="pm_by").set_value("village").run()
    assert _crumbs(at) == []  # nothing narrowed: no breadcrumb
    key = drill.key_for("per_mu", Filters(), "village", Y2023)
    _select_point(at, key, VILLAGE)
    at.run()
    assert not at.exception, at.exception
    assert _qp(at, "village") == [VILLAGE]
    assert at.segmented_control(key="pm_by").value == "cooperative"
    assert _crumbs(at) == ["全镇", VILLAGE]
    assert at.session_state["f_village"] == [VILLAGE]
    coops = q("per_mu_by", "cooperative", Y2023,
              Filters(villages=(VILLAGE,)))
    coop = coops["group"].iloc[0]
    key = drill.key_for("per_mu", Filters(villages=(VILLAGE,)), "cooperative",
                        Y2023)
    _select_point(at, key, coop)
    at.run()
    assert not at.exception, at.exception
    assert _qp(at, "coop") == [coop] and _qp(at, "village") == [VILLAGE]
    assert _crumbs(at) == ["全镇", VILLAGE, coop]
    # Back by the breadcrumb: the village keeps, the cooperative goes.
    at.button(key="crumb_1").click().run()
    assert not at.exception, at.exception
    assert _crumbs(at) == ["全镇", VILLAGE] and not _qp(at, "coop")
    at.button(key="crumb_0").click().run()
    assert _crumbs(at) == [] and not _qp(at, "village")


def test_a_unit_row_drills_to_the_unit_with_its_as_of_badge(app_db):
    at = _run("pages/hog.py", {"year": "2023"})
    table = at.dataframe[0].value
    assert "最近上报" in table.columns
    first_coop, first_unit = table.iloc[0]["合作社"], table.iloc[0]["养殖户"]
    # The demo's newest month is 2023-12: a unit last reported before 2023-11 is marked ⚠.
    assert all(v in ("2023-12", "2023-11") or v.startswith("⚠ ") for v in table["最近上报"])
    key = drill.key_for("units_hog", Filters(), Period.year(2023), 1)
    at.session_state[key] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception, at.exception
    assert _qp(at, "coop") == [first_coop] and _qp(at, "unit") == [first_unit]
    assert _crumbs(at) == ["全镇", first_coop, first_unit]
    table = at.dataframe[0].value
    assert list(table["养殖户"]) == [first_unit]
    at.button(key="crumb_1").click().run()
    assert _crumbs(at) == ["全镇", first_coop] and not _qp(at, "unit")


def test_an_address_with_a_unit_opens_it_and_a_wrong_one_is_said(app_db):
    at = _run("pages/hog.py", {"year": "2023"})
    row = at.dataframe[0].value.iloc[0]
    at = _run("pages/hog.py", {"year": "2023", "coop": row["合作社"], "unit": row["养殖户"]})
    assert list(at.dataframe[0].value["养殖户"]) == [row["养殖户"]]
    at = _run("pages/hog.py", {"year": "2023", "coop": row["合作社"], "unit": "无此户"})
    assert any("unit\\=无此户" in w.value for w in at.warning)  # Markdown-escaped


def test_tooltips_carry_units():
    import pandas as pd

    df = pd.DataFrame({"group": ["甲村"], "output_value_per_mu": [8000.0], "profit_per_mu": [5200.0]})
    fig = charts.per_mu_grouped(df, "t")
    assert all("元/亩" in tr.hovertemplate for tr in fig.data)
    assert list(fig.data[0].customdata) == ["甲村"]
    m = pd.DataFrame({"month": ["2023-01"], "revenue": [1e5], "cost": [5e4], "profit": [5e4], "sector": ["duck"]})
    assert "万元" in charts.sector_profit_trend(m).data[0].hovertemplate


def test_a_units_history_shows_the_explanations_kept_with_its_values(app_db):
    """Drilled to one unit, the page shows the 上报说明 its uploader gave for a value outside the
    usual range, with the month, what was checked, who and which upload; another unit shows none."""
    from analytics import ingest
    from analytics.access.permissions import SYSTEM
    from tests.test_ingest import TODAY
    from ui.cache import store

    cur = store().cursor()
    (coop, unit), (coop2, unit2) = cur.execute("""SELECT cooperative, unit FROM units WHERE sector = 'hog'
                                                  ORDER BY cooperative, unit LIMIT 2""").fetchall()
    data = ("月份,合作社,养殖户,存栏(头),能繁母猪(头),出栏(头),销售收入(元)\n"
            f"2023-12,{coop},{unit},100,10,10,5000\n").encode()  # 500 元 a head sold: usual 800–6,400
    p = ingest.parse(data, "12月.csv", today=TODAY)
    assert len(p.verify) == 1
    res = ingest.commit(store(), p, SYSTEM, explanations={2: "本月卖的是仔猪"})
    at = _run("pages/hog.py", {"year": "2023", "coop": coop, "unit": unit})
    assert "上报说明" in [h.value for h in at.subheader]
    table = next(d.value for d in at.dataframe if "上报说明" in d.value.columns)
    assert table[["月份", "上报说明", "上报人", "上传编号"]].values.tolist() == [
        ["2023-12", "本月卖的是仔猪", "system", res.upload_id]]
    assert "出栏每头收入 500 元/头" in table["核实内容"].iloc[0]
    other = _run("pages/hog.py", {"year": "2023", "coop": coop2, "unit": unit2})
    assert "上报说明" not in [h.value for h in other.subheader]
    from streamlit.testing.v1 import AppTest

    en = AppTest.from_file(str(ROOT / "pages/hog.py"), default_timeout=90)
    en.session_state["lang"] = "en"
    for k, v in {"year": "2023", "coop": coop, "unit": unit}.items():
        en.query_params[k] = v
    en.run()
    assert not en.exception, en.exception
    assert "Explanations given with the figures" in [h.value for h in en.subheader]
    assert "Explanation" in next(d.value for d in en.dataframe if "Upload" in d.value.columns).columns
