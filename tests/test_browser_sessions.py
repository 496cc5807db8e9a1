"""Real Chromium: a login lasts across F5, new tabs, bookmarks and typed addresses; logout, idle and
absolute expiry, and a password change end it; a copied cookie is refused after logout; deep links
never meet Streamlit's English "Page not found"; the language switch keeps the filters."""

from __future__ import annotations

import re
import shutil
import time

import pytest

from analytics.access import accounts, permissions
from analytics.store.db import Store
from tests.conftest import APP_CEILING_MS as CEILING
from tests.conftest import START_CEILING, pick, screenshot, sidebar_log_in, start_app, wait_for_app, wait_until

pytestmark = pytest.mark.browser

PW = "browser-test-pass"
COOP = "兴旺种鸭专业合作社"
NOT_FOUND = "Page not found"
COOKIE = "park_session"


def _app(tmp_path_factory, demo_db_file, name: str, env: dict[str, str] | None = None):
    path = tmp_path_factory.mktemp(name) / "sessions.duckdb"
    shutil.copy(demo_db_file, path)
    with Store(path) as s:
        for user, role, coop in (("wang", "manager", COOP), ("li", "viewer", None), ("zhang", "manager", COOP)):
            accounts.create_user(s, permissions.SYSTEM, user, PW, role, coop)
    return start_app(path, {"PARK_ADMIN_PASSWORD": "browser-admin-pass", **(env or {})})


@pytest.fixture(scope="module")
def sessions_app(tmp_path_factory, demo_db_file):
    proc, url = _app(tmp_path_factory, demo_db_file, "sessions")
    yield url
    proc.terminate()
    proc.wait(timeout=60)


@pytest.fixture(scope="module")
def short_app(tmp_path_factory, demo_db_file):
    """Idle after 6 seconds, every login ends 14.4 seconds after it was made."""
    proc, url = _app(tmp_path_factory, demo_db_file, "short",
                     {"PARK_SESSION_IDLE_MINUTES": "0.1", "PARK_SESSION_MAX_HOURS": "0.004"})
    yield url
    proc.terminate()
    proc.wait(timeout=60)


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    yield ctx
    ctx.close()


def sidebar(page):
    return page.locator('[data-testid="stSidebar"]')


def logged_in(page) -> bool:
    return sidebar(page).get_by_role("button", name="退出登录").count() == 1


def settled(page) -> None:
    """Wait until a script run has drawn the sidebar's login state (the logout button or the
    login form) and finished: right after a load the app also reads "notRunning" before its
    first run has even started."""
    sb = sidebar(page)
    sb.get_by_role("button", name="退出登录").or_(sb.locator('[data-testid="stExpander"]')).first.wait_for(
        timeout=CEILING)
    wait_for_app(page)


def go(page, url: str) -> None:
    page.goto(url)
    settled(page)


def reload(page) -> None:
    page.reload()
    settled(page)


def log_in(page, username: str, password: str = PW) -> None:
    sidebar_log_in(page, username, password)


def session_cookie(ctx) -> dict | None:
    return next((c for c in ctx.cookies() if c["name"] == COOKIE), None)


def heading(page, text: str) -> None:
    page.get_by_role("heading", name=text).first.wait_for(timeout=CEILING)


def nav(page, title: str, path: str) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
    page.wait_for_url(re.compile(rf"/{path}(\?.*)?$"))  # dashboard pages carry the filters along
    wait_for_app(page)


def test_login_lasts_across_reload_new_tab_and_typed_address(sessions_app, context):
    url = sessions_app
    page = context.new_page()
    # Control: an address that is no page at all does get Streamlit's box, so the check below bites.
    go(page, f"{url}/no-such-page")
    page.get_by_text(NOT_FOUND).first.wait_for(timeout=CEILING)

    # A bookmark to the upload page before logging in: a Chinese explanation, the form open.
    go(page, f"{url}/upload")
    heading(page, "上传月报")
    assert "此页面需要登录：请先在左侧边栏登录，登录后即打开此页" in page.inner_text('[data-testid="stMain"]')
    assert sidebar(page).get_by_label("用户名").is_visible()
    assert page.get_by_text(NOT_FOUND).count() == 0
    log_in(page, "wang")
    assert page.url == f"{url}/upload"  # landed on the page the address asked for
    page.get_by_text(f"您只能上报“{COOP}”的数据").wait_for(timeout=CEILING)
    cookie = session_cookie(context)
    assert cookie and cookie["sameSite"] == "Strict" and cookie["path"] == "/" and len(cookie["value"]) >= 43
    screenshot(page, "sessions-deep-link-after-login")

    reload(page)
    assert logged_in(page) and page.url == f"{url}/upload"
    page.get_by_text(f"您只能上报“{COOP}”的数据").wait_for(timeout=CEILING)

    tab = context.new_page()  # a new tab, the log typed in
    go(tab, f"{url}/uploads")
    assert logged_in(tab)
    heading(tab, "上报记录")
    tab.close()
    bookmark = context.new_page()  # the upload page from a bookmark
    go(bookmark, f"{url}/upload")
    assert logged_in(bookmark)
    bookmark.get_by_text(f"您只能上报“{COOP}”的数据").wait_for(timeout=CEILING)
    # A page this manager may not open: said in Chinese, not "Page not found".
    go(bookmark, f"{url}/admin")
    assert logged_in(bookmark)
    assert "当前账号（合作社管理员）无权打开此页面" in bookmark.inner_text('[data-testid="stMain"]')
    assert not bookmark.get_by_text("新增用户").count()
    assert bookmark.get_by_text(NOT_FOUND).count() == 0
    screenshot(bookmark, "sessions-no-permission")


def test_logout_then_reload_and_a_copied_cookie_are_refused(sessions_app, context, browser):
    url = sessions_app
    page = context.new_page()
    go(page, f"{url}/uploads")
    log_in(page, "li")
    stolen = session_cookie(context)["value"]
    thief = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    try:
        thief.add_cookies([{"name": COOKIE, "value": stolen, "url": url}])
        other = thief.new_page()
        go(other, f"{url}/uploads")
        assert logged_in(other)  # the copy works while the login lasts: the refusal below means something

        sidebar(page).get_by_role("button", name="退出登录").click()
        wait_for_app(page)
        sidebar(page).get_by_text("已退出登录。").wait_for(timeout=CEILING)
        wait_until(page, lambda: session_cookie(context) is None)
        assert session_cookie(context) is None  # deleted in the browser too
        reload(page)
        assert not logged_in(page)
        assert "此页面需要登录" in page.inner_text('[data-testid="stMain"]')

        go(other, f"{url}/uploads")
        assert not logged_in(other)
        assert "此页面需要登录" in other.inner_text('[data-testid="stMain"]')
        sidebar(other).get_by_text("已在其他窗口退出登录").wait_for(timeout=CEILING)
        screenshot(other, "sessions-stolen-cookie-refused")
    finally:
        thief.close()


def test_own_password_change_keeps_this_browser_and_ends_the_others(sessions_app, context, browser):
    url = sessions_app
    page = context.new_page()
    go(page, f"{url}/account")
    log_in(page, "zhang")
    heading(page, "账户")
    second = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    try:
        other = second.new_page()
        go(other, url)
        log_in(other, "zhang")
        main = page.locator('[data-testid="stMain"]')
        main.get_by_label("当前密码").fill(PW)
        main.get_by_label("新密码（至少 8 位）").fill("zhang-new-pass")
        main.get_by_label("再输入一次新密码").fill("zhang-new-pass")
        before = session_cookie(context)["value"]
        main.get_by_role("button", name="修改密码").click()
        wait_for_app(page)
        page.get_by_text("其他设备和浏览器上的登录已失效").wait_for(timeout=CEILING)
        # the page writes the new session's cookie
        assert wait_until(page, lambda: (session_cookie(context) or {}).get("value") not in (None, before))
        reload(page)
        assert logged_in(page), "the browser that changed the password stays logged in after F5"
        nav(other, "种鸭", "duck")
        sidebar(other).get_by_text("密码已更改，请用新密码重新登录").wait_for(timeout=CEILING)
        assert not logged_in(other)
        log_in(other, "zhang", "zhang-new-pass")
        assert logged_in(other)
    finally:
        second.close()


def test_idle_and_absolute_expiry(short_app, context):
    url = short_app
    page = context.new_page()
    go(page, f"{url}/uploads")
    log_in(page, "wang")
    page.wait_for_timeout(8_000)  # idle longer than 0.1 minutes: the time passing is what is tested
    reload(page)
    assert not logged_in(page)
    sidebar(page).get_by_text("长时间未操作，已自动退出登录").wait_for(timeout=CEILING)
    screenshot(page, "sessions-idle")

    log_in(page, "wang")
    start = time.time()
    nav(page, "账户", "account")
    expired = sidebar(page).get_by_text("登录已超过 0.004 小时，请重新登录")
    while time.time() - start < START_CEILING and not expired.count():
        page.wait_for_timeout(1_500)  # busy, by design: a click every 1.5 s, never 6 idle seconds
        page.get_by_role("heading", name="账户").first.click()
        page.keyboard.press("r")  # Streamlit's rerun key: a request like any click
        wait_for_app(page)
    expired.wait_for(timeout=CEILING)
    assert time.time() - start >= 12  # not before the lifetime (14.4 s, less the time logging in took)
    assert not logged_in(page)
    reload(page)
    assert not logged_in(page)


def test_language_switch_keeps_the_filters(live_app, context):
    page = context.new_page()
    go(page, f"{live_app}/duck?year=2023")  # 全年: the landing view is 本月
    sb = sidebar(page)
    pick(page, sb.get_by_role("combobox", name="年份"), "2022年")
    page.wait_for_url(re.compile(r"year=2022"))
    wait_for_app(page)
    pick(page, sb.get_by_role("combobox", name="合作社"), COOP)
    page.keyboard.press("Escape")
    wait_for_app(page)

    def radio() -> list[bool]:
        boxes = sb.locator('[data-testid="stRadio"] input[type="radio"]')
        return [boxes.nth(i).is_checked() for i in range(boxes.count())]

    def chosen_coops() -> str:
        return sb.locator('[data-testid="stMultiSelect"]').first.inner_text()

    assert radio() == [False, False, True, False] and sb.get_by_role("combobox", name="年份").input_value() == "2022年"
    assert COOP in chosen_coops()
    sb.get_by_text("English", exact=True).click()
    page.get_by_role("heading", name="Breeder ducks").wait_for(timeout=CEILING)
    wait_for_app(page)
    assert radio() == [False, False, True, False], "the Period radio kept 'Year'"
    assert sb.get_by_role("combobox", name="Year").input_value() == "2022"
    assert COOP in chosen_coops()
    screenshot(page, "sessions-language-keeps-filters")
    sb.get_by_text("Range", exact=True).click()
    page.wait_for_url(re.compile(r"from="))  # the run that took the choice has written the address
    wait_for_app(page)
    sb.get_by_text("English", exact=True).click()
    wait_for_app(page)
    page.get_by_role("heading", name="种鸭").wait_for(timeout=CEILING)
    wait_for_app(page)
    assert radio() == [False, False, False, True], "the Period radio kept 'Range'"
    assert COOP in chosen_coops()


def test_the_chosen_language_survives_a_reload_and_a_new_tab(live_app, context):
    page = context.new_page()
    go(page, f"{live_app}/duck?year=2022")
    sidebar(page).get_by_text("English", exact=True).click()
    page.get_by_role("heading", name="Breeder ducks").wait_for(timeout=CEILING)
    # the page writes the cookie; the browser has it within a moment
    wait_until(page, lambda: any(c["name"] == "park_lang" for c in context.cookies()))
    cookie = next(c for c in context.cookies() if c["name"] == "park_lang")
    assert cookie["value"] == "en" and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    page.reload()
    page.get_by_role("heading", name="Breeder ducks").wait_for(timeout=CEILING)
    other = context.new_page()
    other.goto(f"{live_app}/hog")
    other.get_by_role("heading", name="Hogs").wait_for(timeout=CEILING)
    # back to Chinese: the cookie follows, and so does the next reload
    sidebar(other).get_by_text("English", exact=True).click()
    other.get_by_role("heading", name="生猪").wait_for(timeout=CEILING)
    wait_until(other, lambda: next(c for c in context.cookies() if c["name"] == "park_lang")["value"] == "zh")
    other.reload()
    other.get_by_role("heading", name="生猪").wait_for(timeout=CEILING)
    wait_for_app(other)
    assert other.get_by_role("heading", name="Hogs").count() == 0
