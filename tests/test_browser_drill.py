"""Real Chromium: drill from a village bar to a cooperative and back by the breadcrumb.

Every step waits on what the step changes (the chart's title, the address, the breadcrumb), then
on the idle app: "idle" alone can be read right after a click, before the run the click starts
(the page still shows the chart the last run drew, and a bar of it was clicked; CI failed so once).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from tests.conftest import screenshot, settle, wait_for_app

pytestmark = pytest.mark.browser

BARS = "g.trace.bars g.point path"


def _params(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def _chart(page, title: str):
    """The grouped chart once it is the one titled ``title`` (按村：…), drawn by Plotly, the app idle."""
    chart = page.locator('[data-testid="stPlotlyChart"]').filter(has=page.locator(".gtitle", has_text=title))
    chart.locator(BARS).last.wait_for()
    settle(page)
    expect(chart).to_have_count(1)  # still that chart once idle
    return chart


def _click_last_bar(chart) -> None:
    chart.locator(BARS).last.click(force=True)  # the profit bar of the last group


def _address(page, condition: str) -> None:
    """Wait until the address meets ``condition`` (JS on ``location.search``), then for the idle app:
    the address is written by the run a click started, so idle read after it is that run's end."""
    page.wait_for_function(f"() => {condition}")
    wait_for_app(page)


def test_drill_from_a_village_bar_to_a_cooperative_and_back(live_app, page):
    page.goto(f"{live_app}/per_mu?year=2023")
    wait_for_app(page)
    page.get_by_role("heading", name="亩均对比").wait_for()
    group = page.locator('[data-testid="stButtonGroup"]').filter(has=page.get_by_role("radio", name="村"))
    group.get_by_text("村", exact=True).click()
    expect(group.get_by_role("radio", name="村", exact=True)).to_be_checked()
    _click_last_bar(_chart(page, "按村："))
    _address(page, "location.search.includes('village=')")
    # A village's bar drills to its cooperatives: the next run compares them.
    chart = _chart(page, "按合作社：")
    village = _params(page)["village"][0]
    main = page.locator('[data-testid="stMain"]')

    def crumb(name: str):
        return main.locator('[class*="st-key-crumb_"]').get_by_role("button", name=name, exact=True).first

    expect(crumb(village)).to_be_visible()
    expect(crumb("全镇")).to_be_visible()
    # The chart now compares the village's cooperatives: a bar drills to one (and to its crops).
    _click_last_bar(chart)
    _address(page, "location.search.includes('coop=')")
    _chart(page, "按作物：")
    coop = _params(page)["coop"][0]
    assert _params(page)["village"] == [village]
    expect(crumb(coop)).to_be_visible()
    expect(crumb(coop)).to_be_disabled()  # the level shown is the last part, not a link
    screenshot(page, "drill-cooperative")
    # Back by the breadcrumb: the village part keeps the village and drops the cooperative.
    crumb(village).click()
    _address(page, "!location.search.includes('coop=')")
    assert _params(page)["village"] == [village]
    expect(crumb(coop)).to_have_count(0)
    expect(crumb(village)).to_be_disabled()
    crumb("全镇").click()
    _address(page, "!location.search.includes('village=')")
    expect(main.locator('[class*="st-key-crumb_"]')).to_have_count(0)
    assert not page.locator('[data-testid="stException"]').all_inner_texts()
