"""Sessions in the UI and the 账户 page, through AppTest: a login is a server-side session that
another tab with the cookie resumes; logout, idle, absolute expiry, password and role change end
it with a Chinese notice; every logged-in role changes its own password on 账户.

A second AppTest given the first one's token stands for a new tab or a reload: the token is what
the browser's cookie would send (the real cookie is tested in test_browser_sessions.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from analytics.access import accounts, lockout, permissions
from analytics.access import sessions as access_sessions
from tests.conftest import ROOT
from tests.test_auth_ui import ADMIN_PW, COOP, PW, app_env, logged_in_as, login, reachable  # noqa: F401
from ui.auth import User

WANG = User("wang", "manager", COOP)


def app(token: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = "zh"
    if token:
        at.session_state["auth_token"] = token  # what the cookie of a reloaded or new tab carries
    at.run()
    assert not at.exception, at.exception
    return at


def notices(at: AppTest) -> str:
    return " ".join(str(e.value) for e in at.sidebar.info)


def sessions() -> list[access_sessions.Session]:
    from ui import cache

    return access_sessions.list_sessions(cache.store().cursor())


def sql(statement: str, params: list) -> None:
    from ui import cache

    cache.store().run_write(lambda c: c.execute(statement, params), figures=False)


# --- sessions ------------------------------------------------------------------------------

def test_login_opens_a_session_that_a_new_tab_resumes():
    at = login(app(), "wang", PW)
    token = at.session_state["auth_token"]
    assert [(s.username, s.token_hash, s.ended_why) for s in sessions()] == [
        ("wang", access_sessions.token_hash(token), None)]
    tab = app(token)
    assert logged_in_as(tab) == WANG and reachable(tab, "pages/upload.py")
    assert [t.value for t in tab.title] == ["上传月报"]


def test_logout_ends_the_session_for_every_tab():
    at = login(app(), "wang", PW)
    tab = app(at.session_state["auth_token"])
    at.sidebar.button(key="auth_logout").click().run()
    assert logged_in_as(at) is None and "auth_token" not in at.session_state
    assert [s.ended_why for s in sessions()] == ["logout"]
    tab.run()
    assert logged_in_as(tab) is None
    assert "已在其他窗口退出登录" in notices(tab)
    assert not reachable(tab, "pages/upload.py")


def test_absolute_lifetime_ends_an_active_session(monkeypatch):
    monkeypatch.setenv("PARK_SESSION_MAX_HOURS", "8")
    at = login(app(), "wang", PW)
    sql("UPDATE sessions SET expires_at = ?", [datetime.now() - timedelta(seconds=1)])
    at.run()
    assert logged_in_as(at) is None
    assert "登录已超过 8 小时，请重新登录" in notices(at)
    # The notice stays until the next login (the cookie's deletion reruns the page).
    at.run()
    assert "登录已超过 8 小时" in notices(at)
    login(at, "wang", PW)
    assert logged_in_as(at) == WANG and not at.sidebar.info


@pytest.mark.parametrize("change, notice", [
    (lambda s: accounts.set_password(s, permissions.SYSTEM, "wang", "reset-by-admin"),
     "密码已更改，请用新密码重新登录"),
    (lambda s: accounts.assign_cooperative(s, permissions.SYSTEM, "wang", None, role="viewer"), "账号的角色已更改"),
    (lambda s: accounts.disable_user(s, permissions.SYSTEM, "wang"), "此账号已停用"),
])
def test_admin_changes_end_the_users_sessions_at_the_next_click(change, notice):
    from ui import cache

    at = login(app(), "wang", PW)
    change(cache.store())
    at.run()
    assert logged_in_as(at) is None
    assert notice in notices(at)


# --- the 账户 page ---------------------------------------------------------------------------

def test_account_page_for_every_logged_in_role():
    assert not reachable(app(), "pages/account.py")
    for name, password, role in (("li", PW, "农业办（只读）"), ("wang", PW, "合作社管理员"),
                                 ("admin", ADMIN_PW, "管理员")):
        at = login(app(), name, password)
        assert reachable(at, "pages/account.py"), name
        assert [t.value for t in at.title] == ["账户"]
        text = " ".join(m.value for m in at.main.markdown)
        assert f"用户名：**{name}**" in text and f"角色：**{role}**" in text, text
        assert "30 分钟无操作" in " ".join(c.value for c in at.caption)


def change_password(at: AppTest, current: str, new: str, again: str) -> AppTest:
    at.text_input(key="acct_current").input(current)
    at.text_input(key="acct_new").input(new)
    at.text_input(key="acct_again").input(again)
    next(b for b in at.button if b.form_id == "account_password").click()
    at.run()
    assert not at.exception, at.exception
    return at


def test_change_own_password_keeps_this_tab_and_ends_the_others():
    at = login(app(), "wang", PW)
    elsewhere = login(app(), "wang", PW)
    old = at.session_state["auth_token"]
    assert reachable(at, "pages/account.py")

    change_password(at, "not-my-password", "brand-new-pass", "brand-new-pass")
    assert "当前密码不正确" in at.error[0].value
    change_password(at, PW, "brand-new-pass", "brand-new-typo")
    assert "两次输入的新密码不一致" in at.error[0].value
    change_password(at, PW, "short", "short")
    assert "至少需要 8 个字符" in at.error[0].value
    from ui import cache

    assert lockout.authenticate(cache.store(), "wang", PW) == WANG  # nothing changed so far
    assert all(s.ended_why is None for s in sessions())

    change_password(at, PW, "brand-new-pass", "brand-new-pass")
    assert not at.error
    assert "密码已于" in at.success[0].value and "其他设备和浏览器上的登录已失效" in at.success[0].value
    assert logged_in_as(at) == WANG and at.session_state["auth_token"] != old
    assert sorted(s.ended_why or "open" for s in sessions()) == ["open", "password", "password"]
    elsewhere.run()
    assert logged_in_as(elsewhere) is None and "密码已更改" in notices(elsewhere)
    assert lockout.authenticate(cache.store(), "wang", "brand-new-pass") == WANG
    at.run()  # the standing line survives the reruns that write the new cookie
    assert "密码已于" in at.success[0].value
