"""Real Chromium: log in, upload a correction, preview, confirm, see the overview change, undo."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analytics import fmt, ingest, scope
from analytics.access.permissions import SYSTEM
from analytics.figures import kpis
from analytics.store.db import Store
from tests.conftest import APP_CEILING_MS as CEILING
from tests.conftest import ROOT, screenshot, start_app, wait_for_app
from tests.test_browser_auth import log_in
from tests.test_upload_page import correction

pytestmark = pytest.mark.browser
PASSWORD = "browser-admin-pass"


def metric(page, label: str) -> str:
    card = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return card.locator('[data-testid="stMetricValue"]').inner_text()


@pytest.fixture
def upload_app(tmp_path, demo_db_file):
    """A private copy of the demo park (this test writes to it), the expected profit after the upload."""
    path = tmp_path / "upload.duckdb"
    shutil.copy(demo_db_file, path)
    data, _ = correction(path)
    twin = tmp_path / "twin" / "twin.duckdb"  # the same upload applied offline gives the expected figure
    twin.parent.mkdir()
    shutil.copy(demo_db_file, twin)
    with Store(twin) as s:
        before = fmt.money(kpis.park_kpis(s.cursor(), scope.Period.year(2023))["total"]["profit"], "zh")
        ingest.ingest(s, data, "12月更正.csv", SYSTEM)
        after = fmt.money(kpis.park_kpis(s.cursor(), scope.Period.year(2023))["total"]["profit"], "zh")
    proc, url = start_app(path, {"PARK_ADMIN_PASSWORD": PASSWORD})
    yield url, data, before, after
    proc.terminate()
    proc.wait(timeout=60)


def test_upload_through_the_page_changes_the_overview(upload_app, page):
    url, data, before, after = upload_app
    assert before != after
    page.goto(f"{url}/?year=2023")  # the year `before` and `after` are of (the landing view is 本月)
    wait_for_app(page)
    assert metric(page, "利润") == before

    log_in(page, "admin", PASSWORD)
    nav = page.locator('[data-testid="stSidebarNav"]')
    nav.get_by_text("上传月报", exact=True).click()
    wait_for_app(page)
    page.get_by_role("heading", name="上传月报").wait_for()

    # The template is built when its button is clicked, and arrives as the spec's header row.
    page.get_by_text("下载模板与填写说明").click()
    with page.expect_download() as dl:
        page.get_by_role("button", name="下载 CSV 模板").first.click()
    template = Path(dl.value.path()).read_bytes()
    assert dl.value.suggested_filename == "种鸭月报模板.csv"
    assert template.startswith("\ufeff月份,合作社,棚号,存栏(羽)".encode())

    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        files=[{"name": "12月更正.csv", "mimeType": "text/csv", "buffer": data}])
    page.get_by_role("heading", name="预览").wait_for(timeout=CEILING)
    wait_for_app(page)
    assert metric(page, "替换已有记录") == "20"
    assert "将被替换的数值" in page.inner_text('[data-testid="stMain"]')
    screenshot(page, "upload-preview")

    page.get_by_role("button", name="确认导入").click()
    page.get_by_text("已导入（编号").wait_for(timeout=CEILING)
    wait_for_app(page)
    screenshot(page, "upload-done")

    nav.get_by_text("总览", exact=True).click()
    wait_for_app(page)
    page.get_by_role("heading", name="园区总览").wait_for()
    assert metric(page, "利润") == after

    # Undo it on the log page: the overview is back where it was.
    nav.get_by_text("上报记录", exact=True).click()
    wait_for_app(page)
    main = page.locator('[data-testid="stMain"]')
    screenshot(page, "upload-log")
    main.get_by_text("我确认要撤销这次上传").click()
    wait_for_app(page)
    main.get_by_role("button", name="撤销").click()
    page.get_by_text("已撤销编号").wait_for(timeout=CEILING)
    assert "12月更正.csv" in main.locator('[data-testid="stAlert"]').last.inner_text()
    nav.get_by_text("总览", exact=True).click()
    wait_for_app(page)
    page.get_by_role("heading", name="园区总览").wait_for()
    assert metric(page, "利润") == before


FIELD = ROOT / "tests" / "data" / "field_cases"


def test_a_refusal_reason_is_read_whole(upload_app, page):
    """A file refused for a period in the month column: each reason is shown whole, down to what to
    do, at 1366 px (a grid cut it at its column's edge)."""
    url = upload_app[0]
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{url}/upload")
    wait_for_app(page)
    log_in(page, "admin", PASSWORD)
    page.get_by_role("heading", name="上传月报").wait_for(timeout=CEILING)
    data = (FIELD / "19b_cumulative-period-1-9.csv").read_bytes()
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        files=[{"name": "19b.csv", "mimeType": "text/csv", "buffer": data}])
    table = page.locator('[data-testid="stTable"]').filter(has_text="不是一个月份")
    table.wait_for(timeout=CEILING)
    wait_for_app(page)
    cell = table.locator("td").filter(has_text="不是一个月份").first
    clipped = cell.evaluate("c => c.scrollWidth > c.clientWidth + 1 || c.getBoundingClientRect().right > innerWidth")
    assert not clipped
    assert cell.inner_text().rstrip().endswith("累计数不要填在月份列"), cell.inner_text()  # what to do, whole
    screenshot(page, "upload-refusal-whole")
