"""Real Chromium: open every dashboard page, switch to English and back, keep screenshots."""

from __future__ import annotations

import re

import pytest

from tests.conftest import APP_CEILING_MS as CEILING
from tests.conftest import ARTIFACTS, pick, screenshot, wait_for_app

pytestmark = pytest.mark.browser

PAGES = [("overview", "园区总览", "Park overview"), ("duck", "种鸭", "Breeder ducks"),
         ("hog", "生猪", "Hogs"), ("greenhouse", "大棚", "Greenhouses"),
         ("per_mu", "亩均对比", "Per-mu comparison")]


def no_exception(page) -> None:
    errors = page.locator('[data-testid="stException"]').all_inner_texts()
    assert not errors, errors


@pytest.mark.parametrize("key, zh, en", PAGES)
def test_page_opens_with_chinese_rendered(live_app, page, key, zh, en):
    page.goto(f"{live_app}/{key}" if key != "overview" else live_app)
    wait_for_app(page)
    page.get_by_role("heading", name=zh).first.wait_for()
    page.locator('[data-testid="stPlotlyChart"]').nth(1).wait_for(timeout=CEILING)
    no_exception(page)
    # The CJK font is installed and used: Chinese is drawn as glyphs, not boxes.
    assert page.evaluate("document.fonts.check('16px \"Noto Sans CJK SC\"', '园区总览')")
    assert "示例数据" in page.inner_text('[data-testid="stMain"]')
    screenshot(page, f"page-{key}")


def test_navigation_and_language_switch(live_app, page):
    page.goto(live_app)
    wait_for_app(page)
    nav = page.locator('[data-testid="stSidebarNav"]')
    for _, zh, _ in PAGES[1:]:
        nav.get_by_text(zh, exact=True).click()
        wait_for_app(page)
        page.get_by_role("heading", name=zh).first.wait_for()
        no_exception(page)
    page.locator('[data-testid="stSidebar"]').get_by_text("English").click()
    wait_for_app(page)
    page.get_by_role("heading", name="Per-mu comparison").wait_for()
    assert "亩均对比" not in page.inner_text('[data-testid="stMain"] h1')
    nav.get_by_text("Overview", exact=True).click()
    wait_for_app(page)
    page.get_by_role("heading", name="Park overview").wait_for()
    assert "Duck stock" in page.inner_text('[data-testid="stMain"]')
    screenshot(page, "overview-english")
    page.locator('[data-testid="stSidebar"]').get_by_text("English").click()
    wait_for_app(page)
    page.get_by_role("heading", name="园区总览").wait_for()
    no_exception(page)


def test_deep_link_runs_through_the_app(live_app, browser):
    """A first visit straight to /hog still gets the app's menu (not Streamlit's file list)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = ctx.new_page()
    pg.goto(f"{live_app}/hog")
    wait_for_app(pg)
    nav = pg.locator('[data-testid="stSidebarNav"]').inner_text()
    assert "总览" in nav and "app" not in nav.split()
    ctx.close()


def test_filter_changes_figures(live_app, page):
    page.goto(f"{live_app}/hog?year=2023")  # 全年, so the first box is the year's
    wait_for_app(page)
    before = page.locator('[data-testid="stMetricValue"]').first.inner_text()
    sidebar = page.locator('[data-testid="stSidebar"]')
    pick(page, sidebar.locator('[data-testid="stSelectbox"]').first, "2022年")
    page.wait_for_url(re.compile(r"year=2022"))  # the run that took the choice has written the address
    wait_for_app(page)
    page.locator('[data-testid="stMetricValue"]').filter(has_text="55 户").first.wait_for()
    after_units = page.locator('[data-testid="stMetricValue"]').first.inner_text()
    assert after_units == "55 户" and before != after_units
    screenshot(page, "hog-2022")


def test_the_sows_light_judges_the_last_complete_month_with_a_drawn_dot(live_app, page):
    """The demo's December: 20 of 58 hog farms have not reported. The light judges November and
    says so; its dot is a coloured ● in the page's font (an emoji had no glyph here: a box)."""
    page.goto(f"{live_app}/hog?year=2023")
    wait_for_app(page)
    light = page.locator('[data-testid="stMarkdownContainer"]').filter(has_text="能繁母猪 绿色区域")
    light.first.wait_for(timeout=CEILING)
    text = light.first.inner_text()
    assert "按 2023年11月（最近一个全部上报的月份）判断；12月 20 户未报" in text
    assert "96.7%" in text and "63.4%" not in text
    dot = light.first.locator("span", has_text="●").last
    rgb = [int(v) for v in dot.evaluate("e => getComputedStyle(e).color").split("(")[1].split(")")[0].split(",")[:3]]
    assert rgb[1] > rgb[0] and rgb[1] > rgb[2], rgb  # green
    assert page.evaluate("document.fonts.check('16px \"Noto Sans CJK SC\"', '●')")
    no_exception(page)
    ARTIFACTS.mkdir(exist_ok=True)
    light.first.screenshot(path=str(ARTIFACTS / "hog-sows-light.png"))
