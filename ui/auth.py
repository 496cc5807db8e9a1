"""Login state for the UI: the sidebar login form, logout, the session cookie, which pages a role opens.

The rules live in ``analytics.access``: writes check the acting user there, and a login is a
server-side session stored there as the hash of a random token. This module keeps the token
for this browser tab, puts it in a cookie (SameSite=Strict, Path=/) so that a reload, a new
tab, a bookmark or a typed address stays logged in, and shows the menu that fits.

Session state: ``st.session_state["auth_token"]`` holds the session token and
``st.session_state["auth_user"]`` the :class:`User` it opened at the last run. Every run
resumes the session from the database, so logout in another tab, idle timeout
(``PARK_SESSION_IDLE_MINUTES``), the absolute lifetime (``PARK_SESSION_MAX_HOURS``), a
disabled account, a password or role change take effect at the next click; a cooperative
change applies at once.

The seam for tests: ``st.session_state["auth_user"]`` set to a :class:`User` without a token
is a login with no cookie and no server-side session; each run through app.py re-reads the
account and a disabled one is logged out. Only tests do this: the login form always opens a
session.
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta

import streamlit as st

from analytics import settings
from analytics.access import accounts, lockout, permissions, sessions
from analytics.text import md
from ui import cache
from ui.state import t

SESSION_USER = "auth_user"
SESSION_TOKEN = "auth_token"  # noqa: S105 — a session_state key, not a secret
COOKIE = "park_session"
# The lockout's address for a login whose address came from an X-Forwarded-For header that no
# configured proxy vouches for (see client_address).
FORWARDED = "X-Forwarded-For?"
_NOTICE = "_auth_notice"
_COOKIE_READ = "_auth_cookie_read"        # the browser's cookie was looked at (once per tab)
_COOKIE_EXPIRES = "_auth_cookie_expires"  # when the cookie being written runs out (UTC)
_COOKIE_FORGET = "_auth_cookie_forget"    # logged out: delete the cookie in the browser

DASHBOARD_PAGES = ("overview", "duck", "hog", "greenhouse", "per_mu", "present")
ROLE_PAGES = {
    "viewer": (*DASHBOARD_PAGES, "warnings", "uploads", "reporting", "account"),
    "reviewer": (*DASHBOARD_PAGES, "warnings", "uploads", "reporting", "account"),
    "manager": (*DASHBOARD_PAGES, "upload", "uploads", "account"),
    "admin": (*DASHBOARD_PAGES, "warnings", "upload", "uploads", "reporting", "admin", "account"),
}


# The session keeps the same Actor the writes take; "public" is the role of nobody logged in.
User = permissions.Actor
PUBLIC = User("public", "public")


def role_name(role: str) -> str:
    zh, en = permissions.ROLE_NAMES.get(role, ("访客", "Guest"))
    return t(zh, en)


def _ended_notice(reason: str) -> str:
    hours = f"{settings.session_max_hours():g}"
    return {
        "logout": t("已在其他窗口退出登录。请重新登录。", "You logged out in another window. Please log in again."),
        "password": t("密码已更改，请用新密码重新登录。", "The password was changed. Please log in with the new one."),
        "disabled": t("此账号已停用，已退出登录。", "This account was disabled; you have been logged out."),
        "role": t("账号的角色已更改，请重新登录。", "Your role was changed. Please log in again."),
        "idle": t("长时间未操作，已自动退出登录。请重新登录。",
                  "You were logged out after a period of inactivity. Please log in again."),
        "expired": t(f"登录已超过 {hours} 小时，请重新登录。",
                     f"Logins last {hours} hours at most. Please log in again."),
    }.get(reason, t("登录已失效，请重新登录。", "This login is no longer valid. Please log in again."))


def _logout(notice: str | None = None, *, end: bool = True) -> None:
    """Forget the login in this tab, end its session in the database (``end``) and have the
    browser's cookie deleted."""
    token = st.session_state.pop(SESSION_TOKEN, None)
    if token and end:
        sessions.end_session(cache.store(), token)
    st.session_state.pop(SESSION_USER, None)
    st.session_state.pop(_COOKIE_EXPIRES, None)
    st.session_state[_COOKIE_FORGET] = True
    if notice:
        st.session_state[_NOTICE] = notice


def _login(a: permissions.Actor) -> None:
    """Open a server-side session for ``a``; its token goes into the cookie on the next run."""
    st.session_state[SESSION_TOKEN] = sessions.create_session(cache.store(), a)
    st.session_state[SESSION_USER] = a
    st.session_state[_COOKIE_EXPIRES] = (datetime.now(UTC)
                                         + timedelta(hours=settings.session_max_hours()))
    st.session_state.pop(_COOKIE_FORGET, None)
    st.session_state.pop(_NOTICE, None)


def renew_session(a: permissions.Actor) -> None:
    """After the user's own password change (which ended all their sessions): a new session
    for this tab, so it stays logged in while every other copy of the old cookie is refused."""
    _login(a)


def _browser_token() -> str | None:
    """The token in the cookie the browser sent when this tab connected (a reload, a new tab,
    a bookmark). Streamlit reads cookies once per connection, so this is looked at only on
    the tab's first run: later it would still show a token this tab has logged out of."""
    if st.session_state.get(_COOKIE_READ):
        return None
    st.session_state[_COOKIE_READ] = True
    return _sent_cookie()


def _sent_cookie() -> str | None:
    value = st.context.cookies.get(COOKIE)
    return value if isinstance(value, str) and value else None  # AppTest's context is a mock


def current_user() -> User:
    """The logged-in user, or PUBLIC; resumes the session from the database on every run."""
    token = st.session_state.get(SESSION_TOKEN)
    if token is None and SESSION_USER not in st.session_state:
        token = _browser_token()
    if token:
        try:
            user = sessions.resume_session(cache.store(), token)
        except sessions.SessionEnded as e:
            _logout(_ended_notice(e.reason), end=False)
            return PUBLIC
        st.session_state[SESSION_TOKEN] = token
        st.session_state[SESSION_USER] = user
        return user
    user = st.session_state.get(SESSION_USER)
    return user if isinstance(user, User) else PUBLIC  # the test seam; sidebar() re-reads it


def client_address() -> str | None:
    """The browser's IP address as the server saw the connection; None on the machine itself.

    Streamlit gives None for 127.0.0.1 and ::1 (``st.context.ip_address``). Its server
    (uvicorn) takes the address from X-Forwarded-For when the connection comes from an address
    in FORWARDED_ALLOW_IPS; ``analytics.serve`` sets that to ``PARK_TRUSTED_PROXY`` (none by
    default). Started some other way (a bare ``streamlit run``), uvicorn trusts this machine,
    so an address the header names may be the client's own choice: all such logins share one
    counter (:data:`FORWARDED`), neither the named address nor this machine's exemption.
    """
    address = st.context.ip_address
    if not (isinstance(address, str) and address):
        return None
    if os.environ.get("FORWARDED_ALLOW_IPS") is None and not settings.trusted_proxies():
        forwarded = _header("X-Forwarded-For") or ""
        if address in (a.strip() for a in forwarded.split(",")):
            return FORWARDED
    return address


def _header(name: str) -> str | None:
    headers = st.context.headers
    try:
        value = headers.get(name)
    except AttributeError:  # AppTest's context is a mock
        return None
    return value if isinstance(value, str) else None


def actor() -> permissions.Actor | None:
    """The logged-in user as ``analytics.access.permissions.Actor`` for writes, or None when nobody is."""
    u = current_user()
    return None if u.role == "public" else u


@st.cache_resource(show_spinner=False)
def _ensure_admin(db_path: str) -> str | None:
    # Once per process and database: creates `admin` on first start (password printed on the console).
    return accounts.ensure_admin(cache.store())


def _refresh(user: User) -> User:
    """A login without a session (the test seam) follows the account: disabled or removed ends it."""
    cur = cache.store().cursor()
    try:
        account = accounts.get_user(cur, user.username)
    finally:
        cur.close()
    if account is None or account.disabled:
        _logout(t("此账号已停用，已退出登录。", "This account was disabled; you have been logged out."))
        return PUBLIC
    fresh = User(account.username, account.role, account.cooperative)
    if fresh != user:
        st.session_state[SESSION_USER] = fresh
    return fresh


def _https() -> bool:
    url = st.context.url
    return isinstance(url, str) and url.startswith("https:")


_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_-]+")  # secrets.token_urlsafe's alphabet: safe inside a cookie and a script


def cookie_line(token: str | None, *, expires: datetime | None = None, secure: bool = False) -> str:
    """The ``document.cookie`` assignment that writes the login cookie (``token``) or deletes it
    (None): SameSite=Strict and Path=/ so every page sends it, Secure when served over HTTPS,
    running out with the session's absolute lifetime (``expires``, UTC)."""
    if token is None:
        parts = [f"{COOKIE}=", "Path=/", "SameSite=Strict", "Max-Age=0", "Expires=Thu, 01 Jan 1970 00:00:00 GMT"]
    else:
        if not _TOKEN_CHARS.fullmatch(token):
            raise ValueError("session token outside the URL-safe alphabet")
        expires = expires or datetime.now(UTC) + timedelta(hours=settings.session_max_hours())
        parts = [f"{COOKIE}={token}", "Path=/", "SameSite=Strict",
                 f"Expires={expires.astimezone(UTC):%a, %d %b %Y %H:%M:%S} GMT",
                 f"Max-Age={max(1, int(settings.session_max_hours() * 3600))}"] + (["Secure"] if secure else [])
    return f"document.cookie = {json.dumps('; '.join(parts))};"


def _sync_cookie() -> None:
    """Make the browser's cookie match this tab: the token after a login, none after a logout.

    One line of page script writes it (Streamlit has no way to set a cookie on its own
    responses), as the language cookie is (ui.state). Not a component: a component reports
    back and reruns the page it was drawn on, and a menu click made in between, right after a
    login, was lost (the page stayed where it was). The line is drawn on every run until the
    browser reports the cookie back (a reload), so a write the browser missed is made again;
    the element takes no room (ui.state.language_css).
    """
    token = st.session_state.get(SESSION_TOKEN)
    sent = _sent_cookie()
    if (token and token == sent) or (not token and not st.session_state.get(_COOKIE_FORGET)):
        return
    line = cookie_line(token or None, expires=st.session_state.get(_COOKIE_EXPIRES), secure=_https())
    st.html(f"<script>{line}</script>", unsafe_allow_javascript=True)  # text-safe: a checked token, fixed words


def sidebar(*, login_wanted: bool = False) -> User:
    """Draw login / logout in the sidebar and keep the cookie in step; returns the acting user.

    ``login_wanted``: the address asks for a page that needs a login, so the form is open.
    """
    sb = st.sidebar
    try:
        _ensure_admin(str(cache.db_path()))
    except permissions.AccountError as e:
        sb.error(md(e))
    user = current_user()
    if user.role != "public" and SESSION_TOKEN not in st.session_state:
        user = _refresh(user)
    # Kept until the next login, not shown once: writing or deleting the cookie makes the
    # component answer with a rerun or two, which would wipe a one-time notice at once.
    if user.role == "public" and (notice := st.session_state.get(_NOTICE)):
        sb.info(md(notice))
    if user.role != "public":
        who = f"**{md(user.username)}** · {role_name(user.role)}"
        sb.markdown(f":material/person: {who}" + (f"  \n{md(user.cooperative)}" if user.cooperative else ""))
        if sb.button(t("退出登录", "Log out"), key="auth_logout", icon=":material/logout:"):
            _logout(t("已退出登录。", "Logged out."))
            st.rerun()
        _sync_cookie()
        return user
    with sb.expander(t("登录", "Log in"), icon=":material/login:",
                     expanded=login_wanted or not public_view()):
        with st.form("auth_login", clear_on_submit=True, border=False):
            username = st.text_input(t("用户名", "Username"), key="auth_username")
            password = st.text_input(t("密码", "Password"), type="password", key="auth_password")
            submitted = st.form_submit_button(t("登录", "Log in"), type="primary", width="stretch")
        if submitted:
            try:
                _login(lockout.authenticate(cache.store(), username, password, address=client_address()))
            except lockout.LoginFailed as e:
                st.error(md(e))
            else:
                st.rerun()
    _sync_cookie()
    return user


def public_view() -> bool:
    """Viewing without a login: ``PARK_PUBLIC_VIEW`` if set, else only while this server
    listens on the machine alone (its ``server.address``, which ``make run`` sets from HOST)."""
    from streamlit import config

    return settings.public_view(config.get_option("server.address") or None)


def may_open(user: User, page_key: str) -> bool:
    """Which pages a role may open; the menu shows only these."""
    if user.role == "public":
        return page_key in DASHBOARD_PAGES and public_view()
    return page_key in ROLE_PAGES.get(user.role, ())


def _refuse(user: User) -> None:
    if user.role == "public":
        st.warning(t("此页面需要登录：请先在左侧边栏登录，登录后即打开此页。",
                     "This page needs a login: log in in the sidebar and it opens."), icon=":material/lock:")
    else:
        st.error(t(f"当前账号（{role_name(user.role)}）无权打开此页面。如需使用，请联系管理员。",
                   f"Your account ({role_name(user.role)}) may not open this page. Ask an administrator "
                   "if you need it."), icon=":material/block:")


def require(page_key: str) -> User:
    """Stop the page with a Chinese message unless the current user may open it.

    Pages that change data call this first, so reaching them by URL or directly is no way round.
    """
    user = current_user()
    if not may_open(user, page_key):
        _refuse(user)
        st.stop()
    return user


def closed_page(page_key: str, title: str) -> None:
    """Stands in, at the page's own address and hidden from the menu, for a page this user
    may not open: a bookmark or typed address gets an explanation instead of Streamlit's
    "Page not found", and after a login that allows it the same address shows the page."""
    user = current_user()
    if user.role == "public" and page_key in DASHBOARD_PAGES:
        login_page()  # viewing needs a login (PARK_PUBLIC_VIEW=0)
        return
    st.title(title)  # text-safe: a page title from PAGES (constants)
    _refuse(user)


def login_page() -> None:
    """Shown instead of every page when viewing needs a login (PARK_PUBLIC_VIEW=0)."""
    st.title(t("园区生产看板", "Park Production Dashboard"))
    st.info(t("查看看板需要登录。请在左侧边栏输入用户名和密码。",
              "Viewing the dashboard requires a login. Please log in in the sidebar."), icon=":material/lock:")
