"""Real Chromium: several first visits to a freshly started dashboard at the same moment (issue 20:
two first sessions at once got ``ImportError: cannot import name 'auth' from 'ui'``). Each
session's first run imports the ui package in its own script thread; every one must draw its
page, with no exception element."""

from __future__ import annotations

import shutil

import pytest

from .conftest import APP_CEILING_MS as CEILING
from .conftest import start_app, wait_for_app

pytestmark = pytest.mark.browser

SESSIONS = 6
# The pages a morning's first visitors open: each imports a different part of ui/ first.
PATHS = ("", "duck", "hog", "greenhouse", "per_mu", "uploads")


@pytest.mark.parametrize("attempt", range(2))
def test_first_visits_at_once_on_a_cold_server(tmp_path, demo_db_file, browser, attempt):
    db = tmp_path / "cold.duckdb"
    shutil.copy(demo_db_file, db)
    proc, url = start_app(db)  # nothing imported yet: the health check runs no script
    contexts = [browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
                for _ in range(SESSIONS)]
    try:
        pages = [ctx.new_page() for ctx in contexts]
        # "commit": return as soon as the answer starts, so all sessions connect together.
        for page, path in zip(pages, PATHS, strict=True):
            page.goto(f"{url}/{path}", wait_until="commit")
        main = '[data-testid="stMain"]'
        for page in pages:
            # Drawn through app.py (its menu), or an exception in its place.
            page.locator('[data-testid="stSidebarNav"], [data-testid="stException"]').first.wait_for(
                timeout=CEILING)
            wait_for_app(page)
        errors = [(path, p.locator('[data-testid="stException"]').all_inner_texts())
                  for p, path in zip(pages, PATHS, strict=True)]
        assert [e for e in errors if e[1]] == []
        titles = [p.locator(f"{main} h1").all_inner_texts() for p in pages]
        assert [t[0] for t in titles[:5]] == ["园区总览", "种鸭", "生猪", "大棚", "亩均对比"]
        # The log needs a login: the page says so (a first request for a deep link in the very
        # moment the process leaves Streamlit's pages/-folder mode may run the page on its own,
        # which says it without the title).
        assert "此页面需要登录" in pages[5].locator(main).inner_text()
    finally:
        for ctx in contexts:
            ctx.close()
        proc.terminate()
        proc.wait(timeout=60)
    log = proc.stdout.read().decode(errors="replace")
    assert "ImportError" not in log and "Traceback" not in log, log[-3000:]
