"""The presentation view through AppTest: the period it picks, its figures, the paragraph."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from analytics import fmt, kpis, narrative
from analytics.db import Store
from analytics.kpis import Period

from .conftest import ROOT

PAGE = "pages/present.py"


def open_present(query: dict[str, str] | None = None, session: dict | None = None,
                 lang: str = "zh") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = lang
    for key, value in (session or {}).items():
        at.session_state[key] = value
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.switch_page(PAGE)  # straight to the page, as a link to /present?year=2022 does
    at.run()
    assert not at.exception, at.exception
    return at


def truth(db_path, period: Period) -> tuple[dict, str, str]:
    with Store(db_path) as s:
        cur = s.cursor()
        return (kpis.park_kpis(cur, period), narrative.paragraph(cur, period),
                narrative.paragraph(cur, period, exact=True))


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_default_is_the_latest_complete_year_and_figures_equal_park_kpis(app_db):
    at = open_present()
    k, paragraph, _ = truth(app_db, Period.year(2023))
    assert at.title[0].value == "济阳镇园区生产情况 · 2023年"
    m = metrics(at)
    assert m["种鸭棚数"] == f"{k['duck']['units']:,}"
    assert m["种鸭存栏"] == fmt.count(k["duck"]["stock"], "羽")
    assert m["种鸭净利润"] == fmt.money(k["duck"]["profit"])
    assert m["生猪存栏"] == fmt.count(k["hog"]["stock"], "头")
    assert m["生猪利润"] == fmt.money(k["hog"]["profit"])
    assert m["亩均效益"] == fmt.per_mu(k["greenhouse"]["profit_per_mu"])
    assert m["大棚带动就业"] == fmt.count(k["greenhouse"]["jobs"], "人")
    assert m["总利润"] == fmt.money(k["total"]["profit"])
    assert m["带动就业"] == fmt.count(k["total"]["jobs"], "人")
    # the paragraph, ready to copy
    assert at.code[0].value == paragraph
    # seven charts: ducks, hogs, greenhouses two each, and the per-mu comparison
    assert len(at.get("plotly_chart")) == 7


def test_period_from_query_params(app_db):
    at = open_present(query={"year": "2022"})
    k, paragraph, exact = truth(app_db, Period.year(2022))
    assert at.title[0].value == "济阳镇园区生产情况 · 2022年"
    assert metrics(at)["种鸭存栏"] == fmt.count(k["duck"]["stock"], "羽")
    assert at.code[0].value == paragraph and "160余棚60余万羽" in paragraph
    at.toggle(key="_present_exact").set_value(True).run()
    assert at.code[0].value == exact

    at = open_present(query={"from": "2023-01", "to": "2023-06"})
    assert at.title[0].value == "济阳镇园区生产情况 · 2023年1月—2023年6月"


def test_period_from_the_sidebar_filter(app_db):
    at = open_present(session={"f_mode": "year", "f_year": 2021})
    k, _, _ = truth(app_db, Period.year(2021))
    assert at.title[0].value.endswith("2021年")
    assert metrics(at)["生猪存栏"] == fmt.count(k["hog"]["stock"], "头")
    at.run()  # the sidebar's widget value is gone now; the page keeps the period
    assert at.title[0].value.endswith("2021年")


def test_bad_period_in_the_link_is_explained(app_db):
    at = open_present(query={"year": "20x2"})
    assert "链接里的期间有误" in at.error[0].value
    assert at.title[0].value.endswith("2023年")


def test_english(app_db):
    at = open_present(query={"year": "2022"}, lang="en")
    assert at.title[0].value == "Park production at a glance · 2022"
    assert at.code[0].value.startswith("In 2022, the park holds over 4,700 mu")


def test_deck_button_builds_a_deck(app_db):
    at = open_present(query={"year": "2022"})
    assert not at.get("download_button") or all("PPT" not in b.proto.label for b in at.get("download_button"))
    at.button(key="_deck_build").click().run(timeout=120)
    assert not at.exception, at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert "下载汇报 PPT" in labels
    assert "下载本页全部图表 (ZIP)" in labels


def test_dashboard_pages_offer_their_own_charts_as_png(app_db):
    at = open_present()
    at.switch_page("pages/duck.py")
    at.run()
    assert not at.exception, at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert "下载本页全部图表 (ZIP)" in labels
    pngs = {label for label in labels if label.endswith(".png")}
    assert pngs == {"种鸭-月末存栏.png", "种鸭-收入成本利润.png"}  # this page's charts, none of /present's
    at.switch_page("pages/overview.py")
    at.run()
    pngs = {b.proto.label for b in at.get("download_button") if b.proto.label.endswith(".png")}
    assert "总览-各板块月度利润.png" in pngs and not any(p.startswith("种鸭") for p in pngs)


def test_period_without_data(app_db):
    at = open_present(query={"year": "2030"})
    assert "2030年没有上报数据" in at.warning[0].value
    assert at.code[0].value == "2030年，所选期间暂无上报数据。"
    assert len(at.get("plotly_chart")) == 0
