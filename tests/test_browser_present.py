"""The presentation mode in real Chromium: every view one screen at 1366×768 and 1920×1080
(wholly inside the viewport, 16:9, stamped with 数据截至, no two text boxes overlapping), the
arrow keys, the 大屏 style, a phone (a card, not a letterboxed slide), the print layout, and a stamped chart PNG."""

from __future__ import annotations

import io
import re
from contextlib import contextmanager

import numpy as np
import pytest
from PIL import Image

from analytics.meeting import export
from tests.conftest import APP_CEILING_MS as CEILING
from tests.conftest import ARTIFACTS, wait_for_app

pytestmark = pytest.mark.browser

KEYS = ["cover", "agenda", "overview", "month", "duck", "hog", "greenhouse", "targets", "per_mu", "problems",
        "paragraph", "definitions"]

# Each .pv-text's text extent (a Range over its contents: the glyphs, not the box).
TEXT_BOXES = """slide => Array.from(slide.querySelectorAll('.pv-text')).map(el => {
    const r = document.createRange(); r.selectNodeContents(el);
    const b = r.getBoundingClientRect();
    return {text: el.innerText.slice(0, 30), x: b.x, y: b.y, w: b.width, h: b.height};
}).filter(b => b.w > 0 && b.h > 0)"""


@contextmanager
def present(browser, live_app: str, width: int, height: int, query: str):
    """A page of the size given, on /present?<query>, after its first view is drawn."""
    ctx = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = ctx.new_page()
    try:
        page.goto(f"{live_app}/present?{query}")
        wait_for_app(page)
        page.locator(".park-slide").first.wait_for()
        ARTIFACTS.mkdir(exist_ok=True)
        yield page
    finally:
        ctx.close()


def check_view(page, width: int, height: int, key: str, as_of: str = "数据截至") -> dict:
    slide = page.locator(".park-slide")
    assert slide.count() == 1
    assert slide.get_attribute("data-slide") == key
    box = slide.bounding_box()
    tol = 0.6
    # wholly inside the viewport, 16:9, filling it in one direction (letterboxed in the other)
    assert box["x"] >= -tol and box["y"] >= -tol, (key, box)
    assert box["x"] + box["width"] <= width + tol and box["y"] + box["height"] <= height + tol, (key, box)
    assert abs(box["width"] / box["height"] - 16 / 9) < 0.01, (key, box)
    assert abs(box["width"] - width) < 1 or abs(box["height"] - height) < 1, (key, box)
    assert as_of in slide.inner_text()
    texts = slide.evaluate(TEXT_BOXES)
    assert len(texts) >= 3
    for t in texts:  # every text inside the view
        assert t["x"] >= box["x"] - tol and t["y"] >= box["y"] - tol, (key, t)
        assert t["x"] + t["w"] <= box["x"] + box["width"] + tol, (key, t)
        assert t["y"] + t["h"] <= box["y"] + box["height"] + tol, (key, t)
    for i, a in enumerate(texts):  # no two text boxes overlap
        for b in texts[i + 1:]:
            apart = (a["x"] + a["w"] <= b["x"] + tol or b["x"] + b["w"] <= a["x"] + tol
                     or a["y"] + a["h"] <= b["y"] + tol or b["y"] + b["h"] <= a["y"] + tol)
            assert apart, (key, str(a), str(b))
    if key not in ("cover", "agenda", "month", "problems", "paragraph", "definitions"):  # views without a chart
        img = slide.locator(".pv-chart img.pv-wide")
        assert img.count() == 1 and img.evaluate("i => i.complete && i.naturalWidth") > 2000
    return box


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (1920, 1080)])
def test_every_view_is_one_screen(live_app, browser, width, height):
    with present(browser, live_app, width, height, "year=2022") as page:
        for i, key in enumerate(KEYS):
            check_view(page, width, height, key)
            # what an official's screen snip gets: the viewport, nothing cropped
            page.screenshot(path=str(ARTIFACTS / f"present_{width}_{i + 1:02d}_{key}.png"))
            page.keyboard.press("ArrowRight")
            wait_for_app(page)
            if key != KEYS[-1]:
                page.wait_for_function(f"() => document.querySelector('.park-slide')?.dataset.slide === "
                                       f"'{KEYS[i + 1]}'", timeout=CEILING)
        assert page.locator(".park-slide").get_attribute("data-slide") == KEYS[-1]  # stays at the last
        page.keyboard.press("ArrowLeft")
        wait_for_app(page)
        page.wait_for_function("() => document.querySelector('.park-slide')?.dataset.slide === 'paragraph'")
        report = page.locator(".park-slide .pv-paragraph").inner_text()
        assert "其中养殖种鸭160余棚60余万羽，净利润600余万元" in report
        assert "view=paragraph" in page.url  # the link reproduces the view


def test_wall_screen_english_and_a_phone(live_app, browser):
    with present(browser, live_app, 1920, 1080, "year=2022&view=hog&style=dark") as page:
        check_view(page, 1920, 1080, "hog")
        shot = np.asarray(Image.open(io.BytesIO(page.locator(".park-slide").screenshot())).convert("L"))
        assert shot.mean() < 80  # a dark screen
        value = page.locator(".pv-value").first
        assert float(value.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) > 80  # large figures
        page.screenshot(path=str(ARTIFACTS / "present_1920_dark_hog.png"))
    for key in ("per_mu", "paragraph", "definitions"):  # English: longer words, the same boxes
        with present(browser, live_app, 1366, 768, f"year=2022&view={key}&lang=en") as page:
            check_view(page, 1366, 768, key, as_of="Data as of 2022-12")
            page.screenshot(path=str(ARTIFACTS / f"present_1366_en_{key}.png"))
    with present(browser, live_app, 390, 844, "year=2022&view=duck") as page:  # a phone, upright
        check_card(page, 390, "duck")
        page.screenshot(path=str(ARTIFACTS / "present_phone_duck.png"), full_page=True)


def check_card(page, width: int, key: str) -> dict:
    """On a phone a view is a card (issue 19.8): as wide as the screen less its margins, taller
    than a 16:9 slide of that width, its texts inside it, none overlapping, its chart drawn."""
    slide = page.locator(".park-slide")
    assert slide.count() == 1 and slide.get_attribute("data-slide") == key
    box = slide.bounding_box()
    tol = 0.6
    assert box["x"] >= -tol and box["x"] + box["width"] <= width + tol, (key, box)
    assert box["width"] >= width - 40 and box["height"] > box["width"] * 9 / 16 * 1.5, (key, box)
    assert "数据截至" in slide.inner_text()
    texts = slide.evaluate(TEXT_BOXES)
    assert len(texts) >= 3
    for t in texts:
        assert box["x"] - tol <= t["x"] and t["x"] + t["w"] <= box["x"] + box["width"] + tol, (key, t)
        assert box["y"] - tol <= t["y"] and t["y"] + t["h"] <= box["y"] + box["height"] + tol, (key, t)
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            apart = (a["x"] + a["w"] <= b["x"] + tol or b["x"] + b["w"] <= a["x"] + tol
                     or a["y"] + a["h"] <= b["y"] + tol or b["y"] + b["h"] <= a["y"] + tol)
            assert apart, (key, str(a), str(b))
    # the chart drawn for the card (SVG), not the slide's PNG shrunk: its text read at a phone's size
    assert slide.locator(".pv-chart img.pv-wide").evaluate("i => getComputedStyle(i).display") == "none"
    img = slide.locator(".pv-chart img.pv-phone")
    assert img.count() == 1 and img.evaluate("i => i.complete && i.naturalWidth") > 0
    sizes = chart_text_px(img)
    assert min(sizes["tick"]) >= 11 and min(sizes["title"]) >= 13, sizes
    return box


# The font sizes of an <img>'s SVG as drawn: each text's font-size times the image's drawn width
# over the SVG's own width (axis ticks, and the chart's title).
SVG_TEXT_PX = """async img => {
    const svg = new DOMParser().parseFromString(await (await fetch(img.src)).text(), 'image/svg+xml');
    const scale = img.getBoundingClientRect().width / parseFloat(svg.documentElement.getAttribute('width'));
    const px = sel => [...svg.querySelectorAll(sel)].map(t => parseFloat(t.style.fontSize) * scale);
    return {tick: px('.xtick text, .ytick text'), title: px('.gtitle'), scale: scale};
}"""


def chart_text_px(img) -> dict:
    sizes = img.evaluate(SVG_TEXT_PX)
    assert sizes["tick"] and sizes["title"], sizes
    return sizes


def test_print_puts_one_view_per_a4_landscape_page(live_app, browser):
    with present(browser, live_app, 1366, 768, "year=2022&view=all") as page:
        page.wait_for_function("() => document.querySelectorAll('.park-slide').length === 12")
        page.wait_for_function("() => Array.from(document.querySelectorAll('.park-slide img')).every(i => i.complete)")
        pdf = page.pdf(prefer_css_page_size=True, print_background=True)
        (ARTIFACTS / "present_print.pdf").write_bytes(pdf)
        pages = re.findall(rb"/Type\s*/Page\b", pdf)
        assert len(pages) == 12
        boxes = {tuple(round(float(v)) for v in m) for m in
                 re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)}
        assert boxes == {(842, 595)}  # A4 landscape, in points
        page.goto(f"{live_app}/present?year=2022&view=duck")  # Ctrl+P on one view: that view, one page
        wait_for_app(page)
        page.locator(".park-slide img.pv-wide").wait_for()
        assert len(re.findall(rb"/Type\s*/Page\b", page.pdf(prefer_css_page_size=True))) == 1


def test_chart_png_is_stamped_and_named(live_app, page):
    """The PNG is rendered by the running app only when the button is clicked."""
    page.goto(f"{live_app}/present?year=2022")
    wait_for_app(page)
    page.get_by_text("下载图表（PNG，含期间与数据截至）").click()
    assert page.get_by_role("button", name="下载本页全部图表 (ZIP)").is_visible()
    with page.expect_download(timeout=CEILING) as info:
        page.get_by_role("button", name="种鸭月度收支.png").click()
    assert info.value.suggested_filename == "种鸭月度收支_2022年_数据截至2022年12月.png"
    png = Image.open(io.BytesIO(open(info.value.path(), "rb").read()))
    band = 2 * export.STAMP_BAND
    assert png.format == "PNG" and png.size == (2400, 760 + band)  # 1200 × 380 at 2×, and the stamp band
    strip = np.asarray(png.convert("RGB"), dtype=int)[760 + 2:]
    assert (strip.sum(axis=2) < 600).sum() > 3_000  # the stamp line is drawn
