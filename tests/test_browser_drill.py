"""Real Chromium: drill from a village bar to a cooperative and back by the breadcrumb."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from tests.conftest import screenshot, wait_for_app

pytestmark = pytest.mark.browser


def _params(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def _click_first_bar(page) -> None:
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    chart.wait_for(timeout=60_000)
    bar = chart.locator("g.trace.bars g.point path").last  # the profit bar of the last group
    bar.wait_for(timeout=60_000)
    bar.click(force=True)


def test_drill_from_a_village_bar_to_a_cooperative_and_back(live_app, page):
    page.goto(f"{live_app}/per_mu?year=2023")
    wait_for_app(page)
    page.get_by_role("heading", name="亩均对比").wait_for()
    page.locator('[data-testid="stButtonGroup"]').get_by_text("村", exact=True).click()
    wait_for_app(page)
    _click_first_bar(page)
    page.wait_for_function("() => location.search.includes('village=')", timeout=60_000)
    wait_for_app(page)
    village = _params(page)["village"][0]
    main = page.locator('[data-testid="stMain"]')


    def crumb(name: str):
        return main.locator('[class*="st-key-crumb_"]').get_by_role("button", name=name, exact=True).first

    expect(crumb(village)).to_be_visible(timeout=60_000)
    expect(crumb("全镇")).to_be_visible()
    # The chart now compares the village's cooperatives: a bar drills to one.
    _click_first_bar(page)
    page.wait_for_function("() => location.search.includes('coop=')", timeout=60_000)
    wait_for_app(page)
    coop = _params(page)["coop"][0]
    assert _params(page)["village"] == [village]
    expect(crumb(coop)).to_be_visible(timeout=60_000)
    expect(crumb(coop)).to_be_disabled()  # the level shown is the last part, not a link
    screenshot(page, "drill-cooperative")
    # Back by the breadcrumb: the village part keeps the village and drops the cooperative.
    crumb(village).click()
    page.wait_for_function("() => !location.search.includes('coop=')", timeout=60_000)
    wait_for_app(page)
    assert _params(page)["village"] == [village]
    expect(crumb(coop)).to_have_count(0, timeout=60_000)
    expect(crumb(village)).to_be_disabled()
    crumb("全镇").click()
    page.wait_for_function("() => !location.search.includes('village=')", timeout=60_000)
    wait_for_app(page)
    expect(main.locator('[class*="st-key-crumb_"]')).to_have_count(0, timeout=60_000)
    assert not page.locator('[data-testid="stException"]').all_inner_texts()
