"""Real Chromium against a live server: the .xls that aborts python-calamine is uploaded on the
page; the user reads a Chinese refusal and the dashboard keeps serving (issue 17)."""

from __future__ import annotations

import shutil
import urllib.request

import pytest

from tests.conftest import start_app, wait_for_app
from tests.test_browser_auth import log_in
from tests.test_ingest_isolation import ABORTED, crashing_xls

pytestmark = pytest.mark.browser
PASSWORD = "browser-admin-pass"


@pytest.fixture
def crash_app(tmp_path, demo_db_file):
    path = tmp_path / "crash.duckdb"
    shutil.copy(demo_db_file, path)
    # The extent check off, so the file reaches the native reader: the child process must hold it.
    proc, url = start_app(path, {"PARK_ADMIN_PASSWORD": PASSWORD, "PARK_UPLOAD_XLS_CHECK": "0"})
    yield url, proc
    proc.terminate()
    proc.wait(timeout=20)


def test_a_file_that_aborts_the_reader_leaves_the_dashboard_up(crash_app, page):
    url, proc = crash_app
    page.goto(url)
    wait_for_app(page)
    log_in(page, "admin", PASSWORD)
    page.locator('[data-testid="stSidebarNav"]').get_by_text("上传月报", exact=True).click()
    wait_for_app(page)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        files=[{"name": "生猪.xls", "mimeType": "application/vnd.ms-excel", "buffer": crashing_xls()}])
    page.get_by_text(ABORTED).first.wait_for(timeout=60_000)
    wait_for_app(page)
    assert proc.poll() is None  # the server process is alive
    with urllib.request.urlopen(url + "/_stcore/health", timeout=10) as r:
        assert r.status == 200
    # The next request is answered: the same session moves on to the overview and draws it.
    page.locator('[data-testid="stSidebarNav"]').get_by_text("总览", exact=True).click()
    wait_for_app(page)
    page.get_by_role("heading", name="园区总览").wait_for(timeout=30_000)
