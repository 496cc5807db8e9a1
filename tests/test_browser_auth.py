"""Real Chromium: log in from the sidebar; a viewer gets no upload or admin page; a manager
uploads their own file and sees it applied."""

from __future__ import annotations

import shutil

import pytest

from analytics.access import accounts, permissions
from analytics.store.db import Store
from tests.conftest import APP_CEILING_MS as CEILING
from tests.conftest import ROOT, open_login_form, screenshot, sidebar_log_in, start_app, wait_for_app

pytestmark = pytest.mark.browser

PW = "browser-test-pass"
ADMIN_PW = "browser-admin-pass"
COOP = "兴旺种鸭专业合作社"
SAMPLE = ROOT / "data" / "samples" / "duck_2024-01.csv"


@pytest.fixture
def auth_app(tmp_path, demo_db_file):
    """A dashboard of its own (the test writes to it) with a manager and a viewer account."""
    path = tmp_path / "auth.duckdb"
    shutil.copy(demo_db_file, path)
    with Store(path) as s:
        accounts.create_user(s, permissions.SYSTEM, "wang", PW, "manager", COOP)
        accounts.create_user(s, permissions.SYSTEM, "li", PW, "viewer")
    # Review off (PARK_REVIEW=0): these tests are about who may write what; a manager's file
    # waiting for the office is test_browser_review.py's.
    proc, url = start_app(path, {"PARK_ADMIN_PASSWORD": ADMIN_PW, "PARK_REVIEW": "0"})
    yield url, path, proc
    if proc.poll() is None:
        proc.terminate()
        proc.wait(timeout=60)


def sidebar(page):
    return page.locator('[data-testid="stSidebar"]')


def nav_items(page) -> list[str]:
    # Each link reads "<icon name>\n\n<title>": keep the title.
    return [t.split("\n")[-1].strip() for t in page.locator('[data-testid="stSidebarNav"] a').all_inner_texts()]


def log_in(page, username: str, password: str, *, expect_ok: bool = True) -> None:
    if expect_ok:
        sidebar_log_in(page, username, password)
    else:
        sb = open_login_form(page)
        sb.get_by_label("用户名").fill(username)
        sb.get_by_label("密码").fill(password)
        sb.locator('[data-testid="stFormSubmitButton"] button').click()
        sb.get_by_text("用户名或密码错误。").wait_for(timeout=CEILING)
        return
    sb = sidebar(page)
    assert username in sb.locator("strong").all_inner_texts()


def test_viewer_sees_no_upload_or_admin(auth_app, page):
    url, _, _ = auth_app
    page.goto(url)
    wait_for_app(page)
    assert "上传月报" not in nav_items(page) and "管理" not in nav_items(page)
    log_in(page, "li", "not-the-password", expect_ok=False)
    assert "上报记录" not in nav_items(page)
    log_in(page, "li", PW)
    assert "农业办（只读）" in sidebar(page).inner_text()
    items = nav_items(page)
    assert "总览" in items and "上报记录" in items
    assert "上传月报" not in items and "管理" not in items
    screenshot(page, "auth-viewer-menu")
    # Typing the address is no way round: the login lasts (the cookie), but the admin page
    # only says, in Chinese, that this account may not open it.
    page.goto(f"{url}/admin")
    wait_for_app(page)
    assert "农业办（只读）" in sidebar(page).inner_text()
    page.get_by_text("当前账号（农业办（只读））无权打开此页面").wait_for(timeout=CEILING)
    assert not page.get_by_text("新增用户").count()


def test_manager_uploads_own_file_and_sees_it_applied(auth_app, page):
    url, path, proc = auth_app
    page.goto(url)
    wait_for_app(page)
    log_in(page, "wang", PW)
    assert "管理" not in nav_items(page)
    page.locator('[data-testid="stSidebarNav"]').get_by_text("上传月报", exact=True).click()
    wait_for_app(page)
    page.get_by_role("heading", name="上传月报").wait_for()
    assert f"您只能上报“{COOP}”的数据" in page.inner_text('[data-testid="stMain"]')
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(SAMPLE))
    confirm = page.get_by_role("button", name="确认导入")
    confirm.wait_for(timeout=CEILING)
    wait_for_app(page)
    confirm.click()
    done = page.get_by_text("已导入（编号")
    done.wait_for(timeout=CEILING)
    assert "54 行" in done.inner_text()
    screenshot(page, "auth-manager-upload-applied")
    # The dashboard moves on at once: the overview's reporting check is now about 2024-01.
    page.locator('[data-testid="stSidebarNav"]').get_by_text("总览", exact=True).click()
    wait_for_app(page)
    page.get_by_text("尚未上报 2024-01 月报").wait_for(timeout=CEILING)
    proc.terminate()
    proc.wait(timeout=60)
    with Store(path, read_only=True) as s:
        cur = s.cursor()
        assert cur.execute("SELECT uploaded_by, filename, status FROM uploads ORDER BY upload_id DESC "
                           "LIMIT 1").fetchone() == ("wang", "duck_2024-01.csv", "applied")
        assert cur.execute("SELECT count(*), min(cooperative), max(cooperative) FROM duck_records "
                           "WHERE year(month) = 2024").fetchone() == (54, COOP, COOP)


def test_adding_a_user_empties_the_form(auth_app, page):
    """After 已添加用户 the form starts again: nothing typed is left in the browser, the password least of all."""
    url, _, _ = auth_app
    page.goto(url + "/admin")
    wait_for_app(page)
    log_in(page, "admin", ADMIN_PW)
    page.get_by_role("heading", name="新增用户").wait_for(timeout=CEILING)
    form = page.locator('[data-testid="stForm"]').filter(has_text="新增用户")
    form.get_by_label("用户名").fill("zhao")
    form.get_by_label("初始密码（至少 8 位）").fill("zhao-password")
    form.get_by_role("button", name="添加").click()
    page.get_by_text("已添加用户 zhao。").wait_for(timeout=CEILING)
    wait_for_app(page)
    assert form.get_by_label("用户名").input_value() == ""
    assert form.get_by_label("初始密码（至少 8 位）").input_value() == ""
