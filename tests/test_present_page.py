"""The presentation mode through AppTest: the period it picks, one view at a time and stepping,
its figures against the KPI functions, the 精确/概数 choice shared with the deck, the deck and
the PNGs built from the views' own cached figures and images."""

from __future__ import annotations

import io
import re

import pytest
from pptx import Presentation
from streamlit.testing.v1 import AppTest

from analytics import fmt
from analytics.figures import kpis
from analytics.meeting import export, narrative, slides
from analytics.scope import Period
from analytics.store.db import Store
from tests.conftest import ROOT

PAGE = "pages/present.py"
KEYS = ["cover", "agenda", "overview", "month", "duck", "hog", "greenhouse", "targets", "per_mu", "problems",
        "paragraph", "definitions"]


def open_present(query: dict[str, str] | None = None, session: dict | None = None,
                 lang: str = "zh") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state["lang"] = lang
    for key, value in (session or {}).items():
        at.session_state[key] = value
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.switch_page(PAGE)  # straight to the page, as a link to /present?year=2022 does
    at.run()
    assert not at.exception, at.exception
    return at


def views(at: AppTest) -> list[str]:
    """The HTML of the views on the page (each a .park-slide)."""
    return [h.proto.body for h in at.get("html") if 'class="park-slide' in h.proto.body]


def view_key(at: AppTest) -> str:
    (html,) = views(at)
    return re.search(r'data-slide="([a-z_]+)"', html).group(1)


def text_of(html: str) -> str:
    import html as h

    return h.unescape(re.sub(r"<[^>]+>", " ", re.sub(r'src="data:[^"]+"', "", html)))


def truth(db_path, period: Period) -> tuple[dict, str, str]:
    with Store(db_path) as s:
        cur = s.cursor()
        return (kpis.park_kpis(cur, period), narrative.paragraph(cur, period),
                narrative.paragraph(cur, period, exact=True))


def go_to(at: AppTest, key: str) -> AppTest:
    while view_key(at) != key:
        at.button(key="pv_next").click().run()
        assert not at.exception, at.exception
    return at


def test_one_view_at_a_time_and_stepping(app_db):
    at = open_present(query={"year": "2022"})
    assert view_key(at) == "cover"
    cover = text_of(views(at)[0])
    assert "济阳镇园区生产情况汇报" in cover and "数据截至 2022年12月" in cover and "示例数据" in cover
    assert at.button(key="pv_prev").proto.disabled
    seen = ["cover"]
    for _ in KEYS[1:]:
        at.button(key="pv_next").click().run()
        assert not at.exception, at.exception
        seen.append(view_key(at))
        assert at.query_params["view"] == seen[-1]  # the link reproduces the view
    assert seen == KEYS
    assert at.button(key="pv_next").proto.disabled
    at.button(key="pv_prev").click().run()
    assert view_key(at) == "paragraph"
    # every view but the cover: page number and the stamp line
    for key in KEYS[1:]:
        at = open_present(query={"year": "2022", "view": key})
        text = text_of(views(at)[0])
        assert f"{KEYS.index(key) + 1} / {len(KEYS)}" in text
        assert "2022年 ｜ 数据截至 2022年12月" in text and "示例数据（演示程序生成，非真实统计）" in text, key


def test_figures_equal_park_kpis(app_db):
    k, paragraph, _ = truth(app_db, Period.year(2022))
    at = open_present(query={"year": "2022", "view": "duck"})
    duck = text_of(views(at)[0])
    for figure in (fmt.count(k["duck"]["stock"], "羽"), fmt.money(k["duck"]["profit"]),
                   fmt.count(k["duck"]["jobs"], "人"), "同比 +16.4%"):  # sheds in both years (test_narrative)
        assert figure in duck, figure
    assert 'class="pv-wide" src="data:image/png;base64,' in views(at)[0]  # the chart: the deck's own image
    at = open_present(query={"year": "2022", "view": "hog"})
    hog = text_of(views(at)[0])
    assert fmt.count(k["hog"]["stock"], "头") in hog and fmt.money(k["hog"]["profit"]) in hog
    at = open_present(query={"year": "2022", "view": "paragraph"})
    assert paragraph in text_of(views(at)[0])
    assert at.code[0].value == paragraph  # the paragraph to copy, under the view


def test_default_period_is_the_landing_month(app_db):
    """Opened straight (a link to /present), it shows what the overview lands on: 本月."""
    at = open_present()
    cover = text_of(views(at)[0])
    assert "2023年12月" in cover and "2023-12 至" not in cover  # one month is named once


def test_period_from_query_params_and_sidebar(app_db):
    at = open_present(query={"from": "2023-01", "to": "2023-06", "view": "duck"})
    assert "济阳镇 · 2023年1月—2023年6月" in text_of(views(at)[0])
    at = open_present(session={"f_mode": "year", "f_year": 2021})
    assert "2021年（2021-01 至 2021-12）" in text_of(views(at)[0])
    at.run()  # the sidebar's widget value is gone now; the page keeps the period
    assert "2021年（2021-01 至 2021-12）" in text_of(views(at)[0])


def test_bad_period_in_the_link_is_explained(app_db):
    at = open_present(query={"year": "20x2"})
    assert "链接里的期间有误" in at.error[0].value
    assert "2023年12月" in text_of(views(at)[0])


def test_exact_choice_is_shared_by_view_paragraph_and_deck(app_db):
    k, paragraph, exact = truth(app_db, Period.year(2022))
    at = open_present(query={"year": "2022", "view": "paragraph"})
    assert paragraph in text_of(views(at)[0])
    at.segmented_control(key="_present_figures").set_value("exact").run()
    assert exact in text_of(views(at)[0]) and at.code[0].value == exact
    assert at.query_params["figures"] == "exact"
    at.button(key="_deck_build").click().run(timeout=180)
    assert not at.exception, at.exception
    data = at.session_state["_deck_bytes"][1]
    texts = ["\n".join(sh.text_frame.text for sh in s.shapes if sh.has_text_frame)
             for s in Presentation(io.BytesIO(data)).slides]
    assert exact in texts[10]


def test_dark_style_and_english(app_db):
    at = open_present(query={"year": "2022", "view": "hog", "style": "dark"})
    assert 'class="park-slide pv-dark"' in views(at)[0]
    at.button(key="pv_style").click().run()
    assert 'class="park-slide pv-light"' in views(at)[0] and at.query_params["style"] == "light"
    at = open_present(query={"year": "2022", "view": "hog"}, lang="en")
    text = text_of(views(at)[0])
    assert "Hogs" in text and "Data as of 2022-12" in text and "Jiyang · 2022" in text
    at.button(key="pv_lang").click().run()
    assert "生猪养殖" in text_of(views(at)[0])


def test_all_views_for_printing(app_db):
    at = open_present(query={"year": "2022", "view": "all"})
    assert [re.search(r'data-slide="([a-z_]+)"', v).group(1) for v in views(at)] == KEYS
    at.button(key="pv_play").click().run()
    assert view_key(at) == "cover"


def test_deck_and_pngs_reuse_the_views_images(app_db, monkeypatch):
    """Charts drawn for the views are not rendered again for the deck; no KPI twice."""
    renders = []
    real = export.fig_to_png

    def counting(fig, **kw):
        renders.append(kw)
        return real(fig, **kw)

    monkeypatch.setattr(export, "fig_to_png", counting)
    at = open_present(query={"year": "2022"})
    for _ in KEYS[1:]:
        at.button(key="pv_next").click().run()
    assert len(renders) == 7  # one per chart view
    at.button(key="_deck_build").click().run(timeout=180)
    assert not at.exception, at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert "下载汇报 PPT" in labels and "下载本页全部图表 (ZIP)" in labels
    assert len(renders) == 7  # the deck used the views' images
    pngs = sorted(label for label in labels if label.endswith(".png"))
    assert pngs == sorted(f"{name}.png" for name in ("各板块月度利润", "本月环比同比", "种鸭月度收支",
                                                     "生猪月度收支", "大棚各作物亩均效益", "年度目标完成进度",
                                                     "各板块亩均对比"))


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
    # English names in the English UI (the file name adds period and data date, in English too)
    at = open_present(lang="en")
    at.switch_page("pages/duck.py")
    at.run()
    pngs = {b.proto.label for b in at.get("download_button") if b.proto.label.endswith(".png")}
    assert pngs == {"Breeder ducks-stock.png", "Breeder ducks-revenue-cost-profit.png"}


def test_period_without_data(app_db):
    at = open_present(query={"year": "2030", "view": "duck"})
    assert "所选期间没有该板块的上报数据" in text_of(views(at)[0])
    assert at.code[0].value == "2030年，所选期间暂无上报数据。"


@pytest.mark.parametrize("key", KEYS)
def test_each_view_is_text_safe_html(app_db, key):
    """A view's HTML is built by analytics.meeting.slides.to_html, which escapes every text it places."""
    at = open_present(query={"year": "2022", "view": key})
    html = views(at)[0]
    assert "<script" not in html and "onerror" not in html
    assert html.startswith('<div class="park-slide pv-light" data-slide="')
    assert slides.TOWNSHIP in text_of(html)


def test_view_without_chromium_says_why_in_the_charts_place(app_db, monkeypatch):
    monkeypatch.setattr(export, "png_problem", lambda: "无法生成图片：本机未找到 Chromium 浏览器。")
    at = open_present(query={"year": "2022", "view": "duck"})
    html = views(at)[0]
    assert 'src="data:' not in html
    text = text_of(html)
    assert "无法生成图片：本机未找到 Chromium 浏览器。" in text
    k, _, _ = truth(app_db, Period.year(2022))
    assert fmt.count(k["duck"]["stock"], "羽") in text  # the figures and the stamp are still there
    assert "数据截至 2022年12月" in text


def test_the_way_back_keeps_the_period_and_language(app_db):
    """A plain link to the overview of the period shown (st.page_link left the view where it was)."""
    at = open_present(query={"month": "2023-12", "view": "overview"})
    links = [h.proto.body for h in at.get("html") if h.proto.body.startswith("<a class=\"pv-back\"")]
    assert links == ['<a class="pv-back" href="./?month=2023-12" target="_self">← 退出汇报视图，回到总览</a>']
    at = open_present(query={"from": "2023-01", "to": "2023-06"}, lang="en")
    assert any('href="./?from=2023-01&amp;to=2023-06&amp;lang=en"' in h.proto.body for h in at.get("html"))
    at = open_present(query={"year": "2022"})
    assert any('href="./?year=2022"' in h.proto.body for h in at.get("html"))
