"""The presentation view in real Chromium: no sidebar, 16:9 views, the paragraph, a chart PNG."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from .conftest import ARTIFACTS, screenshot, wait_for_app

pytestmark = pytest.mark.browser


def test_presentation_view_is_ready_for_slides(live_app, page):
    page.goto(f"{live_app}/present?year=2022")
    wait_for_app(page)
    page.locator(".st-key-pv_paragraph").wait_for()
    path = screenshot(page, "present_2022")
    assert path.exists() and path.stat().st_size > 50_000

    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    assert not page.locator('[data-testid="stHeader"]').is_visible()
    report = page.locator(".st-key-pv_paragraph p.report")
    assert report.is_visible()
    text = report.inner_text()
    assert text.startswith("2022年，全镇流转土地") and "其中养殖种鸭160余棚60余万羽，净利润600余万元" in text

    # every view is a 16:9 frame stamped with period, 数据截至, source and 口径
    for key in ("kpis", "duck", "hog", "greenhouse", "per_mu", "paragraph"):
        view = page.locator(f".st-key-pv_{key}")
        box = view.bounding_box()
        assert box and abs(box["width"] / box["height"] - 16 / 9) < 0.01, (key, box)
        stamp = view.locator(".pv-stamp").inner_text()
        assert "数据截至 2023年12月" in stamp and "示例数据" in stamp and "口径" in stamp
        assert "2022年" in view.locator("h1").inner_text()
        view.screenshot(path=str(ARTIFACTS / f"present_2022_{key}.png"))


def test_chart_png_downloads_with_chinese_name(live_app, page):
    """The PNG is rendered by the running app only when the button is clicked."""
    page.goto(f"{live_app}/present?year=2022")
    wait_for_app(page)
    page.get_by_text("下载图表（PNG，含中文）").click()
    assert page.get_by_role("button", name="下载本页全部图表 (ZIP)").is_visible()
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="种鸭_月末存栏.png").click()
    assert info.value.suggested_filename == "种鸭_月末存栏.png"
    png = Image.open(io.BytesIO(open(info.value.path(), "rb").read()))
    assert png.format == "PNG" and png.size == (2400, 940)  # 1200 × 470 layout px at scale 2
