"""Real Chromium, end to end: back up, the store gets damaged, the dashboard's start page names
the backup and the command, the command restores it, the dashboard shows the same figures."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from analytics import fmt, scope
from analytics.figures import kpis
from analytics.store import backup
from analytics.store.db import Store
from tests.conftest import APP_CEILING_MS as CEILING
from tests.conftest import ROOT, screenshot, start_app, wait_for_app

pytestmark = pytest.mark.browser


def profit_card(page) -> str:
    card = page.locator('[data-testid="stMetric"]').filter(has_text="利润").first
    return card.locator('[data-testid="stMetricValue"]').inner_text()


def test_damaged_store_then_restore(tmp_path, demo_db_file, browser):
    path = tmp_path / "data" / "park.duckdb"
    path.parent.mkdir()
    shutil.copy(demo_db_file, path)
    with Store(path) as s:
        expected = fmt.money(kpis.park_kpis(s.cursor(), scope.Period.year(2023))["total"]["profit"], "zh")
        made = backup.make_backup(s)
    os.truncate(path, path.stat().st_size // 3)  # a copy cut short, a full disk …

    page = browser.new_page(viewport={"width": 1440, "height": 900})
    proc, url = start_app(path)
    try:
        page.goto(url)
        wait_for_app(page)
        alert = page.locator('[data-testid="stAlert"]').first
        alert.wait_for(timeout=CEILING)
        shown = alert.inner_text()
        screenshot(page, "damaged-store")
        assert "文件不完整" in shown and str(made.path) in shown
        assert f"python -m analytics restore {made.path} --db {path}" in shown.replace("\n", "")
        assert "app" not in page.locator('[data-testid="stSidebar"]').inner_text().split()  # no file list
        assert not page.locator('[data-testid="stException"]').count()
    finally:
        proc.terminate()
        proc.wait(timeout=60)

    r = subprocess.run([sys.executable, "-m", "analytics", "restore", str(made.path), "--db", str(path)],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr

    proc, url = start_app(path)
    try:
        page.goto(f"{url}/?year=2023")  # the whole year, as `expected` (the landing view is 本月)
        wait_for_app(page)
        page.get_by_role("heading", name="园区总览").wait_for(timeout=CEILING)
        assert profit_card(page) == expected
        screenshot(page, "restored-store")
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        page.close()
