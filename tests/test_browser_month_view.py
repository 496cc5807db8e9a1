"""Real Chromium, on the demo's 2023年12月 as the office opens it: every card gives 环比 and 同比,
the 生猪 存栏 card says the farms not reported yet with the figure the stock chart's hollow point
shows, and the 汇报 page's 本月情况 view has its chart (issue 19)."""

from __future__ import annotations

import pytest

from tests.conftest import APP_CEILING_MS, charts_drawn, screenshot, wait_for_app

pytestmark = pytest.mark.browser


def test_month_cards_give_yoy_under_mom(live_app, page):
    page.goto(f"{live_app}/?month=2023-12")
    wait_for_app(page)
    page.locator('[data-testid="stMetric"]').first.wait_for()
    screenshot(page, "month-cards-yoy")
    main = page.locator('[data-testid="stMain"]')
    # over the units in both Decembers: profit −38.3 %, cost +2.5 % — both bad news, both red
    for text in ("-38.3%", "+2.5%"):
        span = main.get_by_text(text, exact=True).first
        assert span.is_visible()
        rgb = span.evaluate("el => getComputedStyle(el).color")
        r, g, b = (int(x) for x in rgb[rgb.index("(") + 1:rgb.index(")")].split(",")[:3])
        assert r > g and r > b, (text, rgb)  # red: bad news
    assert main.inner_text().count("同比 ") >= 6
    assert "另有 20 户未报，按其上月存栏计入合计约 9,421 头" in main.inner_text()


def test_hog_month_card_and_chart(live_app, page):
    page.goto(f"{live_app}/hog?month=2023-12")
    # Right after navigation the app can say it is idle before its first run has begun: wait for the card.
    page.get_by_text("另有 20 户未报", exact=False).first.wait_for(timeout=APP_CEILING_MS)
    charts_drawn(page)
    screenshot(page, "hog-month-card-and-chart")
    body = page.locator('[data-testid="stMain"]').inner_text()
    assert "6,334 头" in body and "另有 20 户未报，按其上月存栏计入合计约 9,421 头" in body


def test_present_month_view_has_its_chart(live_app, page):
    page.goto(f"{live_app}/present?month=2023-12&view=month")
    wait_for_app(page)
    slide = page.locator('.park-slide[data-slide="month"]')
    slide.wait_for()
    img = slide.locator(".pv-chart img.pv-wide")  # the slide's image (a phone gets .pv-phone)
    img.wait_for()
    assert img.get_attribute("alt") == "本月环比同比"
    assert img.evaluate("i => i.complete && i.naturalWidth > 1000")
    assert slide.locator(".pv-missing").count() == 0
    screenshot(page, "present-month-view")
