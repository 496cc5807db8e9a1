"""The presentation view in real Chromium: no sidebar, 16:9 views, the paragraph, the ZIP."""

from __future__ import annotations

import io
import zipfile

import pytest

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


def test_zip_of_the_page_charts_downloads(live_app, page):
    page.goto(f"{live_app}/present?year=2022")
    wait_for_app(page)
    page.get_by_text("下载图表（PNG，含中文）").click()
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="下载本页全部图表 (ZIP)").click()
    data = open(info.value.path(), "rb").read()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        assert "种鸭_月末存栏.png" in names and "各板块亩均对比.png" in names and len(names) == 7
        assert all(zf.read(n)[:4] == b"\x89PNG" for n in names)
