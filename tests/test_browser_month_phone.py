"""Real Chromium at 390 px: the 汇报 本月 card's chart (an SVG at the card's width) draws its
percentage labels at a size a phone reads (≥ 11 px, as its axis labels), none shrunk into a bar."""

from __future__ import annotations

import pytest

from tests.conftest import ARTIFACTS
from tests.test_browser_present import chart_text_px, present

pytestmark = pytest.mark.browser

# Each bar label of the <img>'s SVG as drawn: font-size × the scale Plotly gave it × the image's
# drawn width over the SVG's own.
BAR_TEXT_PX = """async img => {
    const svg = new DOMParser().parseFromString(await (await fetch(img.src)).text(), 'image/svg+xml');
    const scale = img.getBoundingClientRect().width / parseFloat(svg.documentElement.getAttribute('width'));
    return [...svg.querySelectorAll('text.bartext')].map(t => {
        const m = /scale\\(([\\d.]+)/.exec(t.getAttribute('transform') || '');
        return {text: t.textContent, px: parseFloat(t.style.fontSize) * (m ? parseFloat(m[1]) : 1) * scale};
    });
}"""


def test_the_month_cards_labels_read_on_a_phone(live_app, browser):
    with present(browser, live_app, 390, 844, "month=2023-12&view=month") as page:
        slide = page.locator('.park-slide[data-slide="month"]')
        img = slide.locator(".pv-chart img.pv-phone")
        img.wait_for()
        labels = img.evaluate(BAR_TEXT_PX)
        texts = [x["text"] for x in labels]
        # the demo's December: duck profit back in profit after November's loss (words, not +249.8 %),
        # hog profit −90.7 % on a year before
        assert "扭亏为盈" in texts and "-90.7%" in texts and len(labels) >= 17, texts
        assert min(x["px"] for x in labels) >= 11, labels
        assert min(chart_text_px(img)["tick"]) >= 11
        page.screenshot(path=str(ARTIFACTS / "present_phone_month.png"), full_page=True)
