"""Login state for the UI: the sidebar login form, logout, idle timeout, which pages a role opens.

The rules themselves live in ``analytics.auth`` (writes check the acting user there); this
module only keeps who is logged in for this browser session and shows the menu that fits.

Session state (also the seam for tests): ``st.session_state["auth_user"]`` holds the
:class:`User` and ``st.session_state["auth_seen"]`` the time (``time.time()``) of the last
script run. A session idle longer than ``PARK_SESSION_IDLE_MINUTES`` is logged out. Each run
re-reads the account, so a user the admin disables is logged out at their next click.
"""

from __future__ import annotations

import time

import streamlit as st

from analytics import auth as core
from analytics import settings
from analytics.text import md
from ui import common
from ui.common import t

SESSION_USER = "auth_user"
SESSION_SEEN = "auth_seen"
_NOTICE = "_auth_notice"

DASHBOARD_PAGES = ("overview", "duck", "hog", "greenhouse", "per_mu", "present")
ROLE_PAGES = {
    "viewer": (*DASHBOARD_PAGES, "uploads"),
    "manager": (*DASHBOARD_PAGES, "upload", "uploads"),
    "admin": (*DASHBOARD_PAGES, "upload", "uploads", "admin"),
}


# The session keeps the same Actor the writes take; "public" is the role of nobody logged in.
User = core.Actor
PUBLIC = User("public", "public")


def role_name(role: str) -> str:
    zh, en = core.ROLE_NAMES.get(role, ("访客", "Guest"))
    return t(zh, en)


def _logout(notice: str | None = None) -> None:
    st.session_state.pop(SESSION_USER, None)
    st.session_state.pop(SESSION_SEEN, None)
    if notice:
        st.session_state[_NOTICE] = notice


def _login(a: core.Actor) -> None:
    st.session_state[SESSION_USER] = a
    st.session_state[SESSION_SEEN] = time.time()


def current_user() -> User:
    """The logged-in user, or PUBLIC; ends the session after the idle time."""
    user = st.session_state.get(SESSION_USER)
    if not isinstance(user, User):
        return PUBLIC
    now = time.time()
    if now - st.session_state.get(SESSION_SEEN, now) > settings.session_idle_minutes() * 60:
        _logout(t("长时间未操作，已自动退出登录。请重新登录。",
                  "You were logged out after a period of inactivity. Please log in again."))
        return PUBLIC
    st.session_state[SESSION_SEEN] = now
    return user


def client_address() -> str | None:
    """The browser's IP address as the server saw the connection; None on the machine itself.

    Streamlit gives None for 127.0.0.1 and ::1 (``st.context.ip_address``). Its server honours
    X-Forwarded-For only from a proxy on this machine, so a remote visitor cannot pose as local.
    """
    address = st.context.ip_address
    return address if isinstance(address, str) and address else None


def actor() -> core.Actor | None:
    """The logged-in user as ``analytics.auth.Actor`` for writes, or None when nobody is."""
    u = current_user()
    return None if u.role == "public" else u


@st.cache_resource(show_spinner=False)
def _ensure_admin(db_path: str) -> str | None:
    # Once per process and database: creates `admin` on first start (password printed on the console).
    return core.ensure_admin(common.store())


def _refresh(user: User) -> User:
    """Follow the account in the database: disabled or removed ends the session."""
    cur = common.store().cursor()
    try:
        account = core.get_user(cur, user.username)
    finally:
        cur.close()
    if account is None or account.disabled:
        _logout(t("此账号已停用，已退出登录。", "This account was disabled; you have been logged out."))
        return PUBLIC
    fresh = User(account.username, account.role, account.cooperative)
    if fresh != user:
        st.session_state[SESSION_USER] = fresh
    return fresh


def sidebar() -> User:
    """Draw login / logout in the sidebar; returns the acting user."""
    sb = st.sidebar
    try:
        _ensure_admin(str(common.db_path()))
    except core.AccountError as e:
        sb.error(md(e))
    user = current_user()
    if user.role != "public":
        user = _refresh(user)
    if notice := st.session_state.pop(_NOTICE, None):
        sb.info(md(notice))
    if user.role != "public":
        who = f"**{md(user.username)}** · {role_name(user.role)}"
        sb.markdown(f":material/person: {who}" + (f"  \n{md(user.cooperative)}" if user.cooperative else ""))
        if sb.button(t("退出登录", "Log out"), key="auth_logout", icon=":material/logout:"):
            _logout(t("已退出登录。", "Logged out."))
            st.rerun()
        return user
    with sb.expander(t("登录", "Log in"), icon=":material/login:", expanded=not settings.public_view()):
        with st.form("auth_login", clear_on_submit=True, border=False):
            username = st.text_input(t("用户名", "Username"), key="auth_username")
            password = st.text_input(t("密码", "Password"), type="password", key="auth_password")
            submitted = st.form_submit_button(t("登录", "Log in"), type="primary", width="stretch")
        if submitted:
            try:
                _login(core.authenticate(common.store(), username, password, address=client_address()))
            except core.LoginFailed as e:
                st.error(md(e))
            else:
                st.rerun()
    return user


def may_open(user: User, page_key: str) -> bool:
    """Which pages a role may open; the menu shows only these."""
    if user.role == "public":
        return page_key in DASHBOARD_PAGES and settings.public_view()
    return page_key in ROLE_PAGES.get(user.role, ())


def require(page_key: str) -> User:
    """Stop the page with a Chinese message unless the current user may open it.

    Pages that change data call this first, so reaching them by URL or directly is no way round.
    """
    user = current_user()
    if not may_open(user, page_key):
        if user.role == "public":
            st.warning(t("请先在左侧边栏登录。", "Please log in in the sidebar first."), icon=":material/lock:")
        else:
            st.error(t(f"当前账号（{role_name(user.role)}）无权打开此页面。",
                       f"Your account ({role_name(user.role)}) may not open this page."), icon=":material/block:")
        st.stop()
    return user


def login_page() -> None:
    """Shown instead of every page when viewing needs a login (PARK_PUBLIC_VIEW=0)."""
    st.title(t("园区生产看板", "Park Production Dashboard"))
    st.info(t("查看看板需要登录。请在左侧边栏输入用户名和密码。",
              "Viewing the dashboard requires a login. Please log in in the sidebar."), icon=":material/lock:")
