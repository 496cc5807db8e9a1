"""The deck as data (analytics/meeting/slides.py) and the one theme: views and slides in the same boxes,
escaped HTML, stamps on every view, text that fits, charts and views in the theme's colours."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date

import plotly.graph_objects as go
import pytest
from pptx import Presentation

from analytics import figures, fmt, scope
from analytics.meeting import charts, export, narrative, slides, theme
from analytics.meeting.theme import BOXES

P2022 = scope.Period.year(2022)


@pytest.fixture(scope="module")
def deck(demo_db_file):
    from analytics.store.db import Store

    with Store(demo_db_file, read_only=True) as s:
        yield slides.build(narrative.kpi_caller(s.cursor()), P2022, demo=True, today=date(2024, 3, 5))


def test_deck_structure(deck):
    assert [s.key for s in deck.slides] == list(slides.ORDER)
    assert [s.number for s in deck.slides] == list(range(1, 13))  # 本月情况 since issue 19
    for s in deck.slides:
        assert len(s.figures) <= 3
        if s.chart:
            assert s.chart in deck.charts and deck.chart_names[s.chart]
    assert {s.key for s in deck.slides if s.chart} == {"overview", "month", "duck", "hog", "greenhouse", "targets",
                                                       "per_mu"}


def test_every_view_is_stamped_and_numbered(deck):
    for s in deck.slides:
        html = slides.to_html(deck, s, theme.STYLES["light"])
        text = re.sub(r"<[^>]+>", "", html)
        assert html.startswith('<div class="park-slide pv-light"')
        assert "数据截至 2022年12月" in text and "示例数据" in text
        if s.key != "cover":
            assert f"{s.number} / 12" in text
            head, _ = deck.stamp(s)
            assert head.startswith("2022年 ｜ 数据截至 2022年12月") and "来源：示例数据" in head
    # the demo mark stands out in the stamp
    assert '<span class="pv-demo">示例数据（演示程序生成，非真实统计）</span>' in slides.to_html(
        deck, deck.slides[3], theme.STYLES["light"])


def test_views_escape_every_text(deck):
    evil = '<img src=x onerror="alert(1)">'
    slide = replace(deck.slides[3], title=evil, figures=(slides.Headline(evil, evil, evil),), body=(evil,))
    html = slides.to_html(deck, slide, theme.STYLES["dark"], problem=evil)
    assert "<img src=x" not in html and "onerror=\"" not in html
    assert html.count("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;") >= 4


def test_views_and_slides_share_the_boxes(deck, demo_db_file):
    """The title, the figures, the chart and the stamp sit in the same place on the screen and in
    PowerPoint: the views in em (16 design px), the deck in EMU (9,525 per design px)."""
    duck = next(s for s in deck.slides if s.key == "duck")
    html = slides.to_html(deck, duck, theme.STYLES["light"], image=b"\x89PNG")
    data = export.build_deck(lambda fn, *a: _call(demo_db_file, fn, *a), P2022, demo=True, charts=False)
    pptx = Presentation(io.BytesIO(data)).slides[duck.number - 1]
    shapes = {sh.name: sh for sh in pptx.shapes}
    for name, box in (("title", BOXES["title"]), ("stamp", BOXES["stamp"]), ("page number", BOXES["page"]),
                      ("figure 1", slides.figure_box(0)), ("figure 3", slides.figure_box(2))):
        em = f"left:{box.x / 16:.4f}em;top:{box.y / 16:.4f}em;width:{box.w / 16:.4f}em;height:{box.h / 16:.4f}em"
        assert em in html, name
        sh = shapes[name]
        assert (sh.left, sh.top, sh.width, sh.height) == tuple(v * theme.EMU_PER_PX for v in
                                                                (box.x, box.y, box.w, box.h)), name
    chart = duck.chart_box
    assert f"left:{chart.x / 16:.4f}em;top:{chart.y / 16:.4f}em" in html
    assert chart.w / theme.SLIDE_W > 0.9  # the full content width


def _call(path, fn, *args):
    from analytics.store.db import Store

    with Store(path, read_only=True) as s:
        return getattr(figures, fn)(s.cursor(), *args)


def test_text_is_sized_to_fit(deck):
    t = theme.SLIDE_TYPE
    paragraph = next(s for s in deck.slides if s.key == "paragraph")
    box, size, _ = slides.body_layout(paragraph, t)
    assert t.body_min <= size <= t.body
    assert slides.text_height(("　　" + paragraph.body[0],), size, box.w) <= box.h
    long = replace(paragraph, body=(paragraph.body[0] * 4,))
    _, smaller, _ = slides.body_layout(long, t)
    assert smaller < size
    for s in deck.slides[1:]:
        head, defs = deck.stamp(s)
        size = slides.stamp_size(deck, s, t)
        assert slides.line_count(head, size, BOXES["stamp"].w) == 1
        assert slides.line_count(defs, size, BOXES["stamp"].w) == 1
    # headline values stay on one line, shrinking if they must
    wide = slides.Headline("Profit per mu of land", "17,604 yuan/mu")
    _, value, _ = slides.figure_sizes(wide, t)
    assert value < t.figure and slides.line_count(wide.value, value, slides.figure_box(0).w) == 1


def test_line_count_wraps_cjk_by_character_and_latin_by_word():
    assert slides.line_count("种鸭" * 10, 10, 100) == 2   # 20 characters of 10 px in 100 px
    assert slides.line_count("种鸭" * 10, 10, 200) == 1
    assert slides.line_count("alpha beta gamma", 10, 50) == 3  # words are not broken
    assert slides.line_count("alpha beta gamma", 10, 60) == 2


def test_one_theme_for_charts_views_and_deck():
    assert charts.SECTOR_COLORS is theme.LIGHT.sectors and charts.FONT == theme.CHART_FONT
    assert export.DECK_FONT == theme.DECK_FONT
    css = slides.css(theme.STYLES["dark"])
    assert theme.DARK.background in css and theme.DARK.figure in css and theme.CSS_FONT in css
    # a chart built in the light palette comes out in the dark palette's colours, role by role
    fig = charts.money_trend(
        __import__("pandas").DataFrame({"month": ["2022-01", "2022-02"], "revenue": [1e6, 2e6],
                                        "cost": [5e5, 9e5], "profit": [5e5, 1.1e6]}), "t")
    d = theme.for_slide(fig, BOXES["chart"], theme.STYLES["dark"])
    def colours(fig_dict):
        return {(tr.get("marker") or {}).get("color") or (tr.get("line") or {}).get("color") for tr in fig_dict["data"]}

    assert colours(d) == {theme.DARK.revenue, theme.DARK.cost, theme.DARK.profit}
    assert d["layout"]["paper_bgcolor"] == theme.DARK.background
    assert (d["layout"]["width"], d["layout"]["height"]) == (BOXES["chart"].w, BOXES["chart"].h)
    assert d["layout"]["font"]["size"] == theme.SLIDE_TYPE.chart
    light = theme.for_slide(fig, BOXES["chart"])
    assert colours(light) == {theme.LIGHT.revenue, theme.LIGHT.cost, theme.LIGHT.profit}


def test_log_axis_ticks_are_written_out():
    fig = go.Figure(go.Bar(x=["a", "b"], y=[5_420, 60_323]))
    fig.update_yaxes(type="log")
    d = theme.for_slide(fig, BOXES["chart"])
    assert d["layout"]["yaxis"]["ticktext"] == ["5,000", "10,000", "20,000", "50,000", "100,000"]


def test_english_deck_is_english(demo_db_file):
    from analytics.store.db import Store

    with Store(demo_db_file, read_only=True) as s:
        en = slides.build(narrative.kpi_caller(s.cursor()), P2022, lang="en", demo=True)
    assert [s.title for s in en.slides][2:5] == ["Overview", "This month", "Breeder ducks"]
    assert en.kicker == "Jiyang · 2022"
    assert en.stamp(en.slides[3])[0].startswith("2022 ｜ Data as of 2022-12")


def test_the_place_is_the_stores_town_or_its_number_of_towns(deck, demo_db_file):
    assert slides.place_name(["济阳镇"]) == "济阳镇" and slides.place_name(["济阳镇"], "en") == "Jiyang"
    assert slides.place_name(["甲镇", scope.UNASSIGNED_TOWN]) == "甲镇"
    assert slides.place_name(["甲镇", "乙镇", "丙镇"]) == "3个乡镇"
    assert slides.place_name(["甲镇", "乙镇"], "en") == "2 towns"
    assert deck.place == "济阳镇" and slides.cover_title(deck) == "济阳镇园区生产情况汇报"
    from analytics.store.db import Store

    with Store(demo_db_file, read_only=True) as s:
        real = narrative.kpi_caller(s.cursor())

        def county(name, *args):  # the same store, seen as a county of three towns
            return ["甲镇", "乙镇", "丙镇"] if name == "towns" else real(name, *args)

        three = slides.build(county, P2022, demo=True, today=date(2024, 3, 5))
    assert slides.cover_title(three) == "3个乡镇园区生产情况汇报"
    assert three.kicker == "3个乡镇 · 2022年"
    assert "范围：全部3个乡镇（不受页面筛选影响）" in three.slides[-1].body[-1]
    assert export.Stamp(P2022, three.as_of, True, place=three.place).text().endswith("3个乡镇园区生产看板")


def test_png_names_carry_topic_period_and_data_date_without_spaces():
    as_of = {"latest_month": "2023-12"}
    assert slides.chart_file_stem("种鸭-月末存栏", P2022, as_of) == "种鸭-月末存栏_2022年_数据截至2022年12月"
    assert (slides.chart_file_stem("Breeder ducks-stock", P2022, as_of, "en")
            == "Breeder-ducks-stock_2022_data-as-of-2022-12")


def test_the_month_view_speaks_of_the_decks_period(deck, demo_db_file):
    """A 2022 deck's 本月情况 is 2022年12月 (its last month), never the store's latest month."""
    from analytics.store.db import Store

    month = next(s for s in deck.slides if s.key == "month")
    assert "2022-12" in month.chart_note or "2022年12月" in month.chart_note, month.chart_note
    with Store(demo_db_file, read_only=True) as s:
        k = figures.park_kpis(s.cursor(), scope.Period.months("2022-12", "2022-12"))
    assert month.figures[0].value == fmt.money(k["total"]["revenue"])
    assert slides._this_month(P2022, "2023-12", "2023-12") == "2022-12"
    assert slides._this_month(scope.Period.year(2023), "2023-12", "2023-12") == "2023-12"
    assert slides._this_month(scope.Period.year(2024), "2023-12", "2023-12") is None  # no data in 2024
    assert slides._this_month(scope.Period.months("2023-01", "2023-06"), "2023-12", "2023-12") == "2023-06"


# --- an incomplete month said under the title (issue 19.8) ------------------------------------------

DEC = scope.Period.months("2023-12", "2023-12")


def test_month_note_words():
    # 2613 of 2875 units: incomplete; 2875 of 2875: nothing to say
    assert slides.month_note(date(2023, 12, 1), 2613, 2875, short=True) == "12月 2613/2875 个单元已报；未报单元不计入"
    assert slides.month_note(date(2023, 12, 1), 2613, 2875, one_month=False) == \
        "2023年12月 2613/2875 个单元已报；未报单元该月数字不计入"
    assert slides.month_note(date(2023, 12, 1), 2613, 2875, "en") == \
        "Dec 2023: 2,613 of 2,875 units reported; units not reported are not counted"
    assert slides.month_note(date(2023, 12, 1), 2875, 2875) == ""


def _units_reported(path, months: tuple[str, ...]) -> int:
    """Distinct (sector, cooperative, unit) with a record in any of ``months``, straight from the records."""
    from analytics.store.db import Store

    marks = ", ".join("?" * len(months))
    days = [f"{m}-01" for m in months]
    with Store(path, read_only=True) as s:
        return s.cursor().execute(f"""SELECT count(*) FROM (
            SELECT DISTINCT 'duck' AS s, cooperative, unit FROM duck_records WHERE month IN ({marks})
            UNION SELECT DISTINCT 'hog', cooperative, unit FROM hog_records WHERE month IN ({marks})
            UNION SELECT DISTINCT 'greenhouse', cooperative, unit FROM greenhouse_records
                  WHERE month IN ({marks}))""", days * 3).fetchone()[0]


@pytest.fixture(scope="module")
def december(demo_db_file):
    from analytics.store.db import Store

    with Store(demo_db_file, read_only=True) as s:
        yield slides.build(narrative.kpi_caller(s.cursor()), DEC, demo=True, today=date(2024, 1, 5))


def test_an_incomplete_month_is_said_under_the_title(december, deck, demo_db_file):
    # The demo's December 2023 is incomplete: reported = units with a December record; expected =
    # units with a record in November or December (coverage's 口径), counted here from the records.
    reported = _units_reported(demo_db_file, ("2023-12",))
    expected = _units_reported(demo_db_file, ("2023-11", "2023-12"))
    assert reported < expected
    note = f"12月 {reported}/{expected} 个单元已报；未报单元不计入"
    by_key = {s.key: s for s in december.slides}
    assert by_key["overview"].note == note and by_key["per_mu"].note == note
    assert by_key["month"].note == f"2023年12月 {reported}/{expected} 个单元已报；未报单元不计入"
    assert not by_key["paragraph"].note and not by_key["definitions"].note and not by_key["cover"].note
    # the view: under the title, in its own box, in the bad-news colour
    html = slides.to_html(december, by_key["overview"], theme.STYLES["light"])
    box = BOXES["title_note"]
    assert f'left:{box.x / 16:.4f}em;top:{box.y / 16:.4f}em' in html and 'class="pv-text pv-title-note"' in html
    assert note in re.sub(r"<[^>]+>", "", html)
    assert BOXES["title"].y + BOXES["title"].h <= box.y and box.y + box.h <= BOXES["figures"].y
    assert slides.line_count(note, theme.SLIDE_TYPE.title_note, box.w) == 1
    # the 2022 deck: December 2022 complete, and its 本月 view is December 2022 too: no note
    assert [s.key for s in deck.slides if s.note] == []
    assert "pv-title-note" not in slides.to_html(deck, deck.slides[2], theme.STYLES["light"])


def test_the_deck_carries_the_note_under_the_title(december, demo_db_file):
    data = export.build_deck(lambda fn, *a: _call(demo_db_file, fn, *a), DEC, demo=True, charts=False)
    prs = Presentation(io.BytesIO(data))
    overview = prs.slides[december.number_of("overview") - 1]
    (note,) = [sh for sh in overview.shapes if sh.name == "title note"]
    assert note.text_frame.text == next(s.note for s in december.slides if s.key == "overview")
    assert note.text_frame.text.startswith("12月 ") and note.text_frame.text.endswith("个单元已报；未报单元不计入")
    box = BOXES["title_note"]
    assert (note.left, note.top, note.width, note.height) == tuple(v * theme.EMU_PER_PX for v in
                                                                   (box.x, box.y, box.w, box.h))
    definitions = prs.slides[december.number_of("definitions") - 1]
    assert not [sh for sh in definitions.shapes if sh.name == "title note"]


def test_a_chart_note_gets_room_between_title_and_plot_on_a_slide():
    """The incomplete-month note sits under the chart title: on a slide the top margin holds the
    title and each of its lines at the slide's type size (they overprinted at a fixed 56 px)."""
    fig = go.Figure(go.Bar(x=["2023-11", "2023-12"], y=[1, 2]))
    charts.base_layout(fig, "各板块月度利润（万元）")
    plain = theme.for_slide(fig, BOXES["chart"])
    charts._note(fig, "2023-12 数字不全（浅色），尚未上报：<br>生猪：20 户（1 个合作社）"
                      "<br>大棚：242 个大棚（1 个合作社）")
    noted = theme.for_slide(fig, BOXES["chart"])
    ty = theme.SLIDE_TYPE
    assert plain["layout"]["margin"]["t"] == 56
    assert noted["layout"]["margin"]["t"] >= ty.chart_title * 1.5 + 3 * ty.chart * 1.3


def test_data_as_of_is_the_last_month_the_chart_shows():
    as_of = {"latest_month": "2023-12", "last_upload": "2024-01-05 10:12"}
    assert slides.as_of_within(as_of, P2022) == {"latest_month": "2022-12", "last_upload": "2024-01-05 10:12"}
    assert slides.as_of_within(as_of, scope.Period.months("2023-01", "2023-06"))["latest_month"] == "2023-06"
    assert slides.as_of_within(as_of, scope.Period.year(2023)) == as_of
    assert slides.as_of_within(as_of, scope.Period.year(2024)) == as_of  # a year in progress: the data's last month
    assert slides.as_of_within({"latest_month": None}, P2022) == {"latest_month": None}
    assert slides.as_of_label(slides.as_of_within(as_of, P2022), upload=False) == "数据截至 2022年12月"


# --- the 本月 view's chart (issue 19.7) ---------------------------------------------------------------

def _both(path, sector: str, month: str, base: str) -> tuple[float, float, int]:
    """Profit (元) in ``month`` and ``base`` over the units with a record in both, from the records."""
    from analytics.store.db import Store

    with Store(path, read_only=True) as s:
        return s.cursor().execute(f"""
            WITH a AS (SELECT cooperative, unit, sum(revenue - cost) AS p FROM {sector}_records
                       WHERE month = ? GROUP BY ALL),
                 b AS (SELECT cooperative, unit, sum(revenue - cost) AS p FROM {sector}_records
                       WHERE month = ? GROUP BY ALL)
            SELECT sum(a.p), sum(b.p), count(*) FROM a JOIN b USING (cooperative, unit)""",
                           [f"{month}-01", f"{base}-01"]).fetchone()


def test_the_month_view_has_a_chart_of_mom_and_yoy(december, demo_db_file):
    month = next(s for s in december.slides if s.key == "month")
    assert month.chart == "month" and december.chart_names["month"] == "本月环比同比"
    fig = december.charts["month"]
    mom, yoy = fig.data  # left: against November 2023, right: against December 2022
    assert list(mom.y)[:3] == ["种鸭 销售收入", "种鸭 成本", "种鸭 利润"] and len(mom.y) == 9
    # hand-checked from the records: hog profit over the farms that reported in both months
    now, base, n = _both(demo_db_file, "hog", "2023-12", "2022-12")
    assert n == 35 and round(now, 2) == 131_140.02 and round(base, 2) == 1_415_532.75
    i = list(yoy.y).index("生猪 利润")
    assert yoy.text[i] == fmt.pct((now - base) / base) == "-90.7%"
    assert yoy.x[i] == pytest.approx((now - base) / base * 100)
    assert yoy.marker.color[i] == theme.LIGHT.down  # a fall in profit is bad news
    assert "本月 13.1 万元 · 上年同月 141.6 万元" in yoy.customdata[i] and "35 户" in yoy.customdata[i]
    now, base, n = _both(demo_db_file, "greenhouse", "2023-12", "2023-11")
    j = list(mom.y).index("大棚 利润")
    assert n == 2395 and mom.text[j] == fmt.pct((now - base) / base) == "-50.7%"
    # cost up is bad news: red, though the bar points up
    k = list(yoy.y).index("生猪 成本")
    assert yoy.text[k] == "+25.9%" and yoy.marker.color[k] == theme.LIGHT.down
    # duck profit: a loss in November, a profit in December: words, not +249.8 % (compare.TURNS)
    d = list(mom.y).index("种鸭 利润")
    assert mom.x[d] == 0 and mom.text[d] == "扭亏为盈" and mom.marker.color[d] == theme.LIGHT.up
    # coverage stated on the chart itself
    assert any("2613/2875 个单元已报" in a.text for a in fig.layout.annotations)


def test_month_rows_say_not_reported_for_a_sector_without_units():
    comp = {"duck": {"mom": None, "yoy": None},
            "hog": {"mom": {"now": {"revenue": 2e4, "cost": 1e4, "profit": 1e4}, "units_both": 2,
                            "base": {"revenue": 1e4, "cost": 2e4, "profit": -1e4},
                            "change": {"revenue": 1.0, "cost": -0.5, "profit": 2.0}}, "yoy": None},
            "greenhouse": {"mom": None, "yoy": None}}
    rows = charts.month_rows(comp)
    assert len(rows) == 18
    hog = rows[(rows["basis"] == "mom") & (rows["sector"] == "hog")].set_index("measure")
    assert hog.loc["cost", "good"] is True and hog.loc["revenue", "good"] is True
    fig = charts.month_compare(rows, "2024-01", "en")
    assert fig.data[0].text[0] == "not reported" and fig.data[0].text[4] == "-50.0%"
    assert fig.data[0].marker.color[4] == theme.LIGHT.up  # cost down is good news
