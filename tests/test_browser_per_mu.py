"""Real Chromium, 亩均对比 on a month (issue 19): compared on the whole year, said on the page, and
the histogram's 5,000 元/亩 label whole inside the plot at 1366 px."""

from __future__ import annotations

import pytest

from tests.conftest import charts_drawn, screenshot, wait_for_app

pytestmark = pytest.mark.browser


def test_a_month_is_compared_on_the_whole_year_and_the_yardstick_label_is_whole(live_app, browser):
    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    page = ctx.new_page()
    try:
        page.goto(f"{live_app}/per_mu?month=2023-12")
        wait_for_app(page)
        page.get_by_role("heading", name="亩均对比").wait_for()
        page.get_by_text("本页按2023年全年对比", exact=False).wait_for()
        hist = page.locator('[data-testid="stPlotlyChart"]').nth(3)
        hist.scroll_into_view_if_needed()
        charts_drawn(page)
        label = hist.locator("g.annotation-text-g", has_text="5,000 元/亩")
        label.wait_for()
        plot = hist.locator("g.cartesianlayer .bg, rect.bg").first.bounding_box()
        box = label.bounding_box()
        # inside the plot area, not above it where the figure's top cut it
        assert plot["y"] - 1 <= box["y"] and box["y"] + box["height"] <= plot["y"] + plot["height"] + 1, (box, plot)
        svg = hist.locator("svg.main-svg").first.bounding_box()
        assert box["x"] + box["width"] <= svg["x"] + svg["width"] + 1, (box, svg)
        screenshot(page, "per_mu_month_1366")
    finally:
        ctx.close()
