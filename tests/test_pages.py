"""Every dashboard page through AppTest: renders without exception, shows the KPI figures."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from analytics import fmt, scope
from analytics.figures import compare, kpis, per_mu, tables
from analytics.scope import Period
from analytics.store.db import Store
from tests.conftest import ROOT


def open_page(page: str | None = None, lang: str = "zh", year: int | None = 2023) -> AppTest:
    """A page through the app, on ``?year=`` (the figures tests read the whole of 2023; the
    landing view, 本月, is what ``year=None`` opens: see test_landing_*)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = lang
    if year is not None:
        at.query_params["year"] = str(year)
    at.run()
    assert not at.exception, at.exception
    if page:
        at.switch_page(page)
        at.run()
        assert not at.exception, at.exception
    return at


def expected(db_path, sector: str, year: int = 2023) -> dict:
    with Store(db_path) as s:
        return kpis.park_kpis(s.cursor(), Period.year(year))[sector] if sector else kpis.park_kpis(
            s.cursor(), Period.year(year))


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def fig_arrays(spec: str) -> list[list]:
    """Decode the y arrays of a Plotly chart spec (numbers arrive as base64 `bdata`)."""
    fig = json.loads(spec)
    out = []
    for trace in fig["data"]:
        y = trace.get("y")
        if isinstance(y, dict) and "bdata" in y:
            y = np.frombuffer(base64.b64decode(y["bdata"]), dtype=np.dtype(y["dtype"])).tolist()
        out.append(y)
    return out


def test_overview_cards_equal_the_kpis(app_db):
    at = open_page()
    k = expected(app_db, None)
    m = metrics(at)
    assert at.title[0].value == "园区总览"
    assert m["种鸭存栏"] == fmt.count(k["duck"]["stock"], "羽")
    assert m["生猪存栏"] == fmt.count(k["hog"]["stock"], "头")
    assert m["利润"] == fmt.money(k["total"]["profit"])
    assert m["带动就业"] == f"{k['total']['jobs']} 人"
    assert any("示例数据" in w.value for w in at.warning)
    # Two late cooperatives are listed under 上报情况.
    assert any("尚未上报 2023-12" in w.value for w in at.warning)
    assert at.metric[0].proto.delta  # year-on-year change shown


def test_overview_profit_chart_sums_to_the_total(app_db):
    at = open_page()
    spec = at.get("plotly_chart")[0].proto.spec
    fig = json.loads(spec)
    assert fig["layout"]["xaxis"]["type"] == "category"
    total = sum(sum(v for v in y if v is not None) for y in fig_arrays(spec))
    assert total * 10_000 == pytest.approx(expected(app_db, "total")["profit"], rel=1e-6)


def test_year_filter_changes_the_figures(app_db):
    at = open_page()
    assert at.sidebar.radio(key="f_mode").value == "year"
    at.sidebar.selectbox(key="f_year").set_value(2022).run()
    k = expected(app_db, None, 2022)
    assert metrics(at)["生猪存栏"] == fmt.count(k["hog"]["stock"], "头")


def test_cooperative_filter(app_db):
    at = open_page("pages/hog.py")
    at.sidebar.multiselect(key="f_coop").set_value(["丰华生猪养殖专业合作社"]).run()
    with Store(app_db) as s:
        k = kpis.sector_kpis(s.cursor(), "hog", Period.year(2023),
                             scope.Filters(cooperatives=("丰华生猪养殖专业合作社",)))
    assert metrics(at)["存栏"] == fmt.count(k["stock"], "头")
    assert "合作社：丰华生猪养殖专业合作社" in " ".join(c.value for c in at.caption)


@pytest.mark.parametrize("sector", ["duck", "hog", "greenhouse"])
def test_sector_pages(app_db, sector):
    at = open_page(f"pages/{sector}.py")
    k = expected(app_db, sector)
    m = metrics(at)
    assert m["利润"] == fmt.money(k["profit"])
    assert m["带动就业"] == f"{k['jobs']} 人"
    assert len(at.get("plotly_chart")) >= 2
    # No unstamped camera PNG: charts are exported by the page's stamped download buttons.
    config = json.loads(at.get("plotly_chart")[0].proto.config)
    assert "toImage" in config["modeBarButtonsToRemove"]
    assert any(b.proto.label.startswith(fmt.sector_name(sector)) and b.proto.label.endswith(".png")
               for b in at.get("download_button"))
    # One page of the ranking, paged in SQL; the caption counts every unit.
    table = at.dataframe[0].value
    assert len(table) == min(50, k["units"])
    assert table["利润(万元)"].is_monotonic_decreasing
    # Names, then the column it is ranked by (visible at 1366 px), money in 万元 like the cards.
    assert list(table.columns[:3]) == ["合作社", tables.column_label(sector, "unit"), "利润(万元)"]
    assert table["利润(万元)"].sum() * 10_000 == pytest.approx(
        sum(table["利润(万元)"]) * 10_000) and table["利润(万元)"].abs().max() < 1_000
    assert f"共 {k['units']:,} 个单元" in " ".join(c.value for c in at.caption)
    assert [b.proto.label for b in at.get("download_button")][:2] == ["下载 CSV", "下载 Excel"]


def test_unit_table_pages_through_every_unit_in_profit_order(app_db):
    at = open_page("pages/greenhouse.py")
    k = expected(app_db, "greenhouse")
    first = at.dataframe[0].value
    at.number_input(key="units_page_greenhouse").set_value(2).run()
    second = at.dataframe[0].value
    assert list(second.index) == list(range(51, 101))
    assert first["利润(万元)"].iloc[-1] >= second["利润(万元)"].iloc[0]
    last_page = -(-k["units"] // 50)
    at.number_input(key="units_page_greenhouse").set_value(last_page).run()
    assert at.dataframe[0].value.index[-1] == k["units"]
    with Store(app_db) as s:
        every = kpis.unit_totals(s.cursor(), "greenhouse", Period.year(2023))
    assert second["棚号"].tolist() == every["unit"].iloc[50:100].tolist()


def test_greenhouse_page_yield_per_crop_chart(app_db):
    at = open_page("pages/greenhouse.py")
    k = expected(app_db, "greenhouse")
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    crop_fig = next(f for f in specs if "亩均产量" in f["layout"]["title"]["text"])
    assert sorted(crop_fig["data"][0]["x"]) == sorted(k["by_crop"])


def test_per_mu_page(app_db):
    at = open_page("pages/per_mu.py")
    k = expected(app_db, "greenhouse")
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    crops = spec["data"][1]["x"]
    profit_per_mu = fig_arrays(at.get("plotly_chart")[0].proto.spec)[1]
    with Store(app_db) as s:
        df = per_mu.per_mu_by(s.cursor(), "crop", Period.year(2023)).set_index("group")
    for crop, v in zip(crops, profit_per_mu):
        assert v == pytest.approx(df.loc[crop, "profit_per_mu"])
    assert set(crops) == set(k["by_crop"])
    assert len(at.get("plotly_chart")) == 4
    # the tables: top 10 highest first, bottom 10 lowest first, the by-crop table by 亩均效益
    top, bottom = (d.value for d in at.dataframe[:2])
    assert list(top["亩均效益(元/亩)"]) == sorted(top["亩均效益(元/亩)"], reverse=True)
    assert list(bottom["亩均效益(元/亩)"]) == sorted(bottom["亩均效益(元/亩)"])
    assert bottom["亩均效益(元/亩)"].iloc[0] < top["亩均效益(元/亩)"].iloc[-1]
    by_crop = at.dataframe[2].value
    assert list(by_crop["亩均效益(元/亩)"]) == sorted(by_crop["亩均效益(元/亩)"], reverse=True)


def test_per_mu_by_year_compares_every_year(app_db):
    at = open_page("pages/per_mu.py")
    at.get("button_group")[0].set_value("year").run()
    assert not at.exception
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert [str(x) for x in spec["data"][0]["x"]] == ["2021", "2022", "2023"]


def test_english_switch_changes_labels(app_db):
    at = open_page(lang="en")
    assert at.title[0].value == "Park overview"
    labels = [m.label for m in at.metric]
    assert "Duck stock" in labels and "Profit" in labels
    assert not any("种鸭存栏" in lbl for lbl in labels)


def test_empty_database_shows_a_hint_not_an_error(monkeypatch, tmp_path):
    import streamlit as st

    monkeypatch.setenv("PARK_DB", str(tmp_path / "empty.duckdb"))
    st.cache_data.clear()
    st.cache_resource.clear()
    at = open_page()
    assert any("还没有数据" in i.value for i in at.info)
    st.cache_resource.clear()


def test_filters_come_from_the_address_and_go_back_to_it(app_db):
    """A link's ?year=…&coop=… sets the filters; a change is written back (the browser half,
    pages and the back button, is in test_browser_daily.py)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = "zh"
    at.query_params["year"] = "2022"
    at.query_params["coop"] = "丰华生猪养殖专业合作社"
    at.run()
    assert not at.exception, at.exception
    assert at.sidebar.selectbox(key="f_year").value == 2022
    assert at.sidebar.multiselect(key="f_coop").value == ["丰华生猪养殖专业合作社"]
    with Store(app_db) as s:
        k = kpis.park_kpis(s.cursor(), Period.year(2022), scope.Filters(cooperatives=("丰华生猪养殖专业合作社",)))
    assert metrics(at)["生猪存栏"] == fmt.count(k["hog"]["stock"], "头")
    assert at.markdown[0].value.endswith("**期间：2022年；合作社：丰华生猪养殖专业合作社**") or any(
        "期间：2022年；合作社：丰华生猪养殖专业合作社" in m.value for m in at.markdown)
    at.sidebar.radio(key="f_mode").set_value("range").run()
    at.sidebar.select_slider(key="f_range").set_range("2023-03", "2023-06").run()
    assert {k: at.query_params[k] for k in at.query_params} == {
        "from": "2023-03", "to": "2023-06", "coop": "丰华生猪养殖专业合作社"}


def test_landing_is_this_month_with_its_coverage_and_ytd_beside(app_db):
    """No period in the address: 本月 = the latest month a reasonable share reported (2023-12 in
    the demo), 环比 over the units in both months, the coverage line, 年累计 beside it."""
    at = open_page(year=None)
    assert at.sidebar.radio(key="f_mode").value == "month"
    assert at.sidebar.selectbox(key="f_month").value == "2023-12"
    assert {k: at.query_params[k] for k in at.query_params} == {"month": "2023-12"}
    with Store(app_db) as s:
        k = kpis.park_kpis(s.cursor(), Period.months("2023-12", "2023-12"))
        units = sum(k[x]["units"] for x in ("duck", "hog", "greenhouse"))
    assert metrics(at)["利润"] == fmt.money(k["total"]["profit"])
    captions = [c.value for c in at.caption]
    assert any(c.startswith(f"本月（2023年12月） {units}/") and "同比、环比按两期都上报的单元计算" in c
               for c in captions), captions
    assert any(c.startswith("年累计（2023年）：销售收入") for c in captions), captions
    assert all(m.proto.delta_description in ("环比", "") for m in at.metric)


def test_month_and_ytd_links(app_db):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = "zh"
    at.query_params["ytd"] = "2023-06"
    at.run()
    assert not at.exception, at.exception
    assert at.sidebar.radio(key="f_mode").value == "ytd"
    with Store(app_db) as s:
        k = kpis.park_kpis(s.cursor(), Period.months("2023-01", "2023-06"))
    assert metrics(at)["销售收入"] == fmt.money(k["total"]["revenue"])
    assert any("期间：2023年1月—2023年6月" in m.value for m in at.markdown)
    at.sidebar.radio(key="f_mode").set_value("month").run()
    at.sidebar.selectbox(key="f_month").set_value("2023-03").run()
    assert {k: at.query_params[k] for k in at.query_params} == {"month": "2023-03"}
    assert any("期间：2023年3月" in m.value for m in at.markdown)


def test_overview_table_says_not_reported_never_zero(app_db):
    with Store(app_db) as s, s.write() as cur:  # nobody has reported hogs for December
        cur.execute("DELETE FROM hog_records WHERE month = DATE '2023-12-01'")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = "zh"
    at.query_params["month"] = "2023-12"
    at.run()
    assert not at.exception, at.exception
    table = next(d.value for d in at.dataframe if "板块" in d.value.columns).set_index("板块")
    assert table.loc["生猪", "单元数"] == "未报" and table.loc["生猪", "带动就业(人)"] == "—"
    assert table.loc["种鸭", "带动就业(人)"] not in ("—", "0")


def _month_page(page: str | None, lang: str = "zh") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = lang
    at.query_params["month"] = "2023-12"
    at.run()
    assert not at.exception, at.exception
    if page:
        at.switch_page(page)
        at.run()
        assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_month_cards_give_mom_and_yoy(app_db, lang):
    """/?month=2023-12: each card its 环比 as the delta and its 同比 on a line under it (issue 19.2),
    coloured by good or bad news: over the units in both Decembers, profit fell 38.3 % (red),
    cost rose 2.5 % (red too: cost up is bad)."""
    from analytics.figures import compare

    at = _month_page(None, lang)
    with Store(app_db) as s:
        comp = compare.comparisons(s.cursor(), Period.months("2023-12", "2023-12"))
    yoy = {m: fmt.pct(comp["total"]["yoy"]["change"][m]) for m in ("revenue", "cost", "profit")}
    assert (yoy["profit"], yoy["cost"]) == ("-38.3%", "+2.5%")
    assert all(m.proto.delta_description == ("环比" if lang == "zh" else "MoM") for m in at.metric[:6])
    word = "同比" if lang == "zh" else "YoY"
    lines = [c.value for c in at.caption if c.value.startswith(word + " ")]
    assert len(lines) == 6, lines  # one under each card
    assert f"{word} :red[{yoy['profit']}]" in lines and f"{word} :red[{yoy['cost']}]" in lines
    assert f"{word} :green[{yoy['revenue']}]" not in lines  # revenue fell: not drawn as good news
    assert f"{word} :red[{yoy['revenue']}]" in lines


def test_a_sector_not_reported_says_so_in_its_yoy_line(app_db):
    with Store(app_db) as s, s.write() as cur:  # nobody has reported hogs for December
        cur.execute("DELETE FROM hog_records WHERE month = DATE '2023-12-01'")
    at = _month_page(None)
    assert metrics(at)["生猪存栏"] == "未报"
    assert "同比 :gray[未报]" in [c.value for c in at.caption]


def test_hog_month_stock_card_and_chart_tell_one_story(app_db):
    """/hog?month=2023-12: the card is the December reports (38 farms); 20 farms have not reported,
    and the card's line counts them at their November stock — the chart's hollow point."""
    at = _month_page("pages/hog.py")
    with Store(app_db) as s:
        cur = s.cursor()
        reported = cur.execute("SELECT sum(stock) FROM hog_records WHERE month = '2023-12-01'").fetchone()[0]
        late = cur.execute("""SELECT count(*), sum(stock) FROM hog_records WHERE month = '2023-11-01'
                              AND (cooperative, unit) NOT IN (SELECT (cooperative, unit) FROM hog_records
                                                              WHERE month = '2023-12-01')""").fetchone()
    assert (reported, late[0]) == (6_334, 20)
    assert metrics(at)["存栏"] == "6,334 头"
    line = f"另有 20 户未报，按其上月存栏计入合计约 {reported + late[1]:,} 头"
    assert line in [c.value for c in at.caption]
    assert line in [c.value for c in _month_page(None).caption]  # the overview's 生猪存栏 card says it too
    stock = json.loads(at.get("plotly_chart")[0].proto.spec)
    hollow = stock["data"][-1]
    assert hollow["x"][-1] == "2023-12" and hollow["y"][-1] == pytest.approx(reported + late[1])
    # the year to date counts each farm at its last report: the same figure
    ytd = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    ytd.session_state["lang"] = "zh"
    ytd.query_params["ytd"] = "2023-12"
    ytd.run()
    ytd.switch_page("pages/hog.py")
    ytd.run()
    assert metrics(ytd)["存栏"] == f"{reported + late[1]:,} 头"


def test_a_base_month_without_data_is_said_not_compared(app_db):
    """The store's first month: its 环比 base has no data, and the line says so (a new user read
    "环比基期：2026年8月" over cards that compared nothing)."""
    with Store(app_db) as s:
        first = s.cursor().execute("SELECT strftime(min(month), '%Y-%m') FROM duck_records").fetchone()[0]
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = "zh"
    at.query_params["month"] = first
    at.run()
    assert not at.exception, at.exception
    captions = [c.value for c in at.caption]
    assert any(c.startswith("环比基期：") and c.endswith("（该期无数据，不作比较）") for c in captions), captions
    at = open_page(year=None)  # 2023-12 against 2023-11: compared, no such words
    assert not any("不作比较" in c.value for c in at.caption)


def test_reporting_box_names_the_month_it_is_about(app_db):
    """The chase is about the newest month; on an older view its heading says so (a new user read a
    2023 view's box as being about 2023)."""
    at = open_page(year=2022)
    assert any(h.value == "上报情况（最新月份 2023-12）" for h in at.subheader), [h.value for h in at.subheader]


def test_a_sector_page_states_its_own_coverage(app_db):
    """The 生猪 page's line counts hog farms (户), not the park's units (a new user read
    "2613/2875 户已报" beside "单元数 38 户")."""
    from analytics.figures import compare

    month = Period.months("2023-12", "2023-12")
    with Store(app_db) as s:
        cov = compare.coverage(s.cursor(), month, sectors=("hog",))
        park = compare.coverage(s.cursor(), month)
    assert cov["expected"] < park["expected"]
    at = open_page("pages/hog.py", year=None)
    captions = [c.value for c in at.caption]
    line = f"本月（2023年12月） {cov['reported']}/{cov['expected']} 户已报；"
    assert any(c.startswith(line) for c in captions), captions
    assert not any(f"{park['reported']}/{park['expected']}" in c for c in captions)


def test_a_change_that_rounds_to_nothing_is_grey_without_an_arrow(app_db):
    """The hog farms' jobs in December 2023 against November, over the farms in both months, change
    by less than 0.05 % (+0.0 % was drawn with a green up arrow, as if better). Other cards keep theirs."""
    at = open_page("pages/hog.py", year=None)
    cards = {m.proto.label: m.proto for m in at.metric}
    jobs = cards["带动就业"]
    assert jobs.delta == "0.0%" and jobs.color == jobs.MetricColor.GRAY
    assert jobs.direction == jobs.MetricDirection.NONE
    moved = [c for c in cards.values() if c.delta and c.delta not in ("0.0%",)]
    assert moved and all(c.direction != c.MetricDirection.NONE for c in moved)


def test_a_profit_after_a_loss_is_said_in_words_not_a_percentage(app_db):
    """The duck sheds over the units in both months lost money in November 2023 and made a profit
    in December: the card says 扭亏为盈 in green without an arrow (+249.8 % read as if a profit grew)."""
    with Store(app_db) as s:
        mom = compare.comparisons(s.cursor(), Period.months("2023-12", "2023-12"))["duck"]["mom"]
    assert mom["base"]["profit"] < 0 < mom["now"]["profit"] and mom["change"]["profit"] is None
    at = open_page("pages/duck.py", year=None)
    profit = {m.proto.label: m.proto for m in at.metric}["利润"]
    assert profit.delta == "扭亏为盈" and profit.color == profit.MetricColor.GREEN
    assert profit.direction == profit.MetricDirection.NONE
