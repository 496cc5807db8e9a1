"""Login in the sidebar, the menu by role, lockout, logout and idle timeout, through AppTest.

The seam: tests log in the way a user does, by filling the sidebar form (``login()``); a test
that only needs "someone is logged in" may instead set ``at.session_state["auth_user"]`` to a
``ui.auth.User`` before the first run (the account must exist: each run re-reads it).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from argon2 import PasswordHasher
from streamlit.testing.v1 import AppTest

from analytics.access import accounts, lockout, passwords, permissions, sessions
from analytics.store.db import Store
from tests.conftest import ROOT
from ui.auth import User

PW = "pass-for-tests"
ADMIN_PW = "admin-pass-for-tests"
COOP = "兴旺种鸭专业合作社"
DASHBOARD = ["pages/overview.py", "pages/duck.py", "pages/hog.py", "pages/greenhouse.py",
             "pages/per_mu.py", "pages/present.py"]


@pytest.fixture(autouse=True)
def app_env(monkeypatch, app_db):
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setattr(passwords, "_dummy_hash", None)
    monkeypatch.setattr(lockout, "_sleep", lambda seconds: None)
    monkeypatch.setenv("PARK_ADMIN_PASSWORD", ADMIN_PW)
    with Store(app_db) as s:
        accounts.create_user(s, permissions.SYSTEM, "wang", PW, "manager", COOP)
        accounts.create_user(s, permissions.SYSTEM, "li", PW, "viewer")
    return app_db


def app(page: str | None = None, user: User | None = None, lang: str = "zh") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = lang
    if user is not None:
        at.session_state["auth_user"] = user
    at.run()
    assert not at.exception, at.exception
    if page:
        at.switch_page(page).run()
        assert not at.exception, at.exception
    return at


def login(at: AppTest, username: str, password: str) -> AppTest:
    at.sidebar.text_input(key="auth_username").input(username)
    at.sidebar.text_input(key="auth_password").input(password)
    next(b for b in at.sidebar.button if b.form_id == "auth_login").click()
    at.run()
    assert not at.exception, at.exception
    return at


def reachable(at: AppTest, page: str) -> bool:
    """Whether the menu offers ``page`` (AppTest refuses to switch to a page not in it)."""
    try:
        at.switch_page(page)
    except ValueError:
        return False
    at.run()
    assert not at.exception, at.exception
    return True


def logged_in_as(at: AppTest) -> User | None:
    return at.session_state["auth_user"] if "auth_user" in at.session_state else None


def sidebar_text(at: AppTest) -> str:
    return " ".join(str(e.value) for kind in ("markdown", "info", "error", "warning")
                    for e in getattr(at.sidebar, kind))


# --- who sees what -------------------------------------------------------------------------

def test_public_sees_the_dashboard_but_not_upload_or_admin():
    at = app()
    assert [t.value for t in at.title] == ["园区总览"]
    assert at.sidebar.text_input(key="auth_username").label == "用户名"
    for page in ("pages/upload.py", "pages/uploads.py", "pages/admin.py"):
        assert not reachable(at, page), page
    assert all(reachable(at, p) for p in DASHBOARD)


def test_without_public_view_only_the_login_prompt(monkeypatch):
    monkeypatch.setenv("PARK_PUBLIC_VIEW", "0")
    at = app()
    assert "查看看板需要登录" in at.info[0].value
    assert not at.metric and not at.title[0].value == "园区总览"
    assert not any(reachable(at, p) for p in [*DASHBOARD, "pages/upload.py"])
    login(at, "li", PW)
    assert [t.value for t in at.title] == ["园区总览"] and at.metric


def test_viewer_cannot_reach_upload_or_admin():
    at = login(app(), "li", PW)
    assert logged_in_as(at) == User("li", "viewer", None)
    assert "**li** · 农业办（只读）" in sidebar_text(at)
    assert not reachable(at, "pages/upload.py")
    assert not reachable(at, "pages/admin.py")
    assert reachable(at, "pages/uploads.py")
    assert reachable(at, "pages/duck.py")


def test_manager_may_upload_but_not_administer():
    at = login(app(), "wang", PW)
    assert logged_in_as(at) == User("wang", "manager", COOP)
    assert COOP in sidebar_text(at)
    assert not reachable(at, "pages/admin.py")
    assert reachable(at, "pages/upload.py") and reachable(at, "pages/uploads.py")


def test_admin_reaches_everything():
    at = login(app(), "admin", ADMIN_PW)  # created on first start from PARK_ADMIN_PASSWORD
    assert logged_in_as(at) == User("admin", "admin", None)
    assert reachable(at, "pages/admin.py")
    assert [t.value for t in at.title] == ["管理"]
    assert reachable(at, "pages/upload.py")


@pytest.mark.parametrize("user, message", [
    (None, "请先在左侧边栏登录"),
    (User("li", "viewer"), "当前账号（农业办（只读））无权打开此页面"),
    (User("wang", "manager", COOP), "当前账号（合作社管理员）无权打开此页面"),
])
def test_admin_page_refuses_when_opened_directly(user, message):
    # The page checks the role itself, so a bypassed menu is no way in.
    at = AppTest.from_file(str(ROOT / "pages" / "admin.py"), default_timeout=60)
    if user:
        at.session_state["auth_user"] = user
    at.run()
    assert not at.exception, at.exception
    shown = [e.value for e in (*at.error, *at.warning)]
    assert any(message in m for m in shown), shown
    assert not at.tabs and not at.text_input and not at.button


# --- login, lockout, logout, idle ----------------------------------------------------------

def test_wrong_password_then_lockout_in_the_sidebar():
    at = app()
    for _ in range(4):
        login(at, "wang", "wrong-password")
        assert logged_in_as(at) is None
    assert "用户名或密码错误。再错 1 次将暂停从这里登录。" in sidebar_text(at)
    login(at, "wang", "wrong-password")
    assert "账号 wang 从本机连续输错密码，已暂停从这里登录此账号" in sidebar_text(at)
    login(at, "wang", PW)  # the right password, but locked
    assert logged_in_as(at) is None
    assert "已暂停从这里登录此账号" in sidebar_text(at)
    assert not reachable(at, "pages/upload.py")


def test_logout():
    at = login(app(), "wang", PW)
    at.sidebar.button(key="auth_logout").click().run()
    assert logged_in_as(at) is None
    assert "已退出登录" in sidebar_text(at)
    assert not reachable(at, "pages/upload.py")


def _session_seen(minutes_ago: float | None = None) -> datetime:
    """The logged-in session's last_seen in the database; with ``minutes_ago``, set it back first."""
    from ui import cache

    s = cache.store()
    if minutes_ago is not None:
        s.run_write(lambda c: c.execute("UPDATE sessions SET last_seen = ?",
                                        [datetime.now() - timedelta(minutes=minutes_ago)]), figures=False)
    return sessions.list_sessions(s.cursor())[0].last_seen


def test_idle_session_ends(monkeypatch):
    monkeypatch.setenv("PARK_SESSION_IDLE_MINUTES", "10")
    at = login(app(), "wang", PW)
    _session_seen(minutes_ago=9)
    at.run()
    assert logged_in_as(at) is not None  # 9 minutes: still in, and the clock restarts
    assert datetime.now() - _session_seen() < timedelta(minutes=2)  # touched by this run, not 9 minutes ago
    _session_seen(minutes_ago=11)
    at.run()
    assert logged_in_as(at) is None
    assert "长时间未操作，已自动退出登录" in sidebar_text(at)
    assert not reachable(at, "pages/upload.py")


def test_disabled_account_is_logged_out_at_the_next_click():
    from ui import cache

    at = login(app(), "wang", PW)
    accounts.disable_user(cache.store(), permissions.SYSTEM, "wang")
    at.run()
    assert logged_in_as(at) is None
    assert "此账号已停用" in sidebar_text(at)


def test_role_change_applies_at_the_next_click():
    from ui import cache

    at = login(app(), "wang", PW)
    accounts.assign_cooperative(cache.store(), permissions.SYSTEM, "wang", "金羽种鸭专业合作社")
    at.run()
    assert logged_in_as(at) == User("wang", "manager", "金羽种鸭专业合作社")


def test_login_form_in_english():
    at = app(lang="en", user=User("li", "viewer"))
    assert "**li** · Office (read-only)" in sidebar_text(at)
    assert at.sidebar.button(key="auth_logout").label == "Log out"
    at = app(lang="en")
    assert [at.sidebar.text_input(key=k).label for k in ("auth_username", "auth_password")] == [
        "Username", "Password"]


def test_the_cookie_line_writes_and_deletes_the_login_cookie():
    from datetime import UTC, datetime

    from ui import auth

    when = datetime(2026, 12, 7, 8, 30, tzinfo=UTC)
    line = auth.cookie_line("abc-DEF_123", expires=when, secure=True)
    assert line.startswith('document.cookie = "park_session=abc-DEF_123; Path=/; SameSite=Strict; '
                           'Expires=Mon, 07 Dec 2026 08:30:00 GMT; Max-Age=')
    assert line.endswith('; Secure";')
    assert "Secure" not in auth.cookie_line("abc", expires=when)
    assert auth.cookie_line(None) == ('document.cookie = "park_session=; Path=/; SameSite=Strict; Max-Age=0; '
                                      'Expires=Thu, 01 Jan 1970 00:00:00 GMT";')
    with pytest.raises(ValueError):
        auth.cookie_line('x"; alert(1); "')  # never a script of its own
