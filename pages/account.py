"""账户 Account: who is logged in, how long a login lasts, and changing one's own password."""

from datetime import datetime

import streamlit as st

from analytics import settings
from analytics.access import lockout, passwords, permissions
from analytics.text import md
from ui import auth
from ui.cache import store
from ui.state import t

_CHANGED = "_account_password_changed"

user = auth.require("account")
st.title(t("账户", "Account"))
# A standing line rather than a one-time message: the cookie write that follows a change
# reruns the page once or twice, which would wipe a one-time message.
who, changed = st.session_state.get(_CHANGED) or (None, None)
if who == user.username:
    st.success(t(f"密码已于 {changed:%H:%M} 修改。其他设备和浏览器上的登录已失效，需用新密码重新登录。",
                 f"Password changed at {changed:%H:%M}. Logins on other devices and browsers have ended; "
                 "they need the new password."), icon=":material/check_circle:")

rows = [(t("用户名", "Username"), user.username), (t("角色", "Role"), auth.role_name(user.role))]
if user.cooperative:
    rows.append((t("合作社", "Cooperative"), user.cooperative))
sep = t("：", ": ")
st.markdown("\n".join(f"- {k}{sep}**{md(v)}**" for k, v in rows))  # text-safe: values pass md()
idle, hours = settings.session_idle_minutes(), settings.session_max_hours()
st.caption(t(f"登录在本浏览器中保持（刷新、新标签页、书签都不必重新登录），直到退出登录、"
             f"{idle:g} 分钟无操作，或登录满 {hours:g} 小时。修改密码会让所有设备上的登录失效。",
             f"A login lasts in this browser (reloads, new tabs, bookmarks) until you log out, after "
             f"{idle:g} idle minutes, or {hours:g} hours after logging in. Changing the password ends "
             "the login on every device."))

st.subheader(t("修改密码", "Change password"))
with st.form("account_password", clear_on_submit=True):
    current = st.text_input(t("当前密码", "Current password"), type="password", key="acct_current")
    new = st.text_input(t(f"新密码（至少 {passwords.MIN_PASSWORD} 位）",
                          f"New password ({passwords.MIN_PASSWORD}+ characters)"),
                        type="password", key="acct_new")
    again = st.text_input(t("再输入一次新密码", "New password again"), type="password", key="acct_again")
    submitted = st.form_submit_button(t("修改密码", "Change password"), type="primary")
if submitted:
    if new != again:
        st.error(t("两次输入的新密码不一致，密码未修改。", "The two new passwords differ; nothing was changed."))
    else:
        try:
            lockout.change_own_password(store(), user, current, new, address=auth.client_address())
        except (lockout.LoginFailed, permissions.AccountError) as e:
            st.error(md(e), icon=":material/block:")
        else:
            auth.renew_session(user)
            st.session_state[_CHANGED] = (user.username, datetime.now())
            st.rerun()  # the sidebar writes the new session's cookie on the next run
