"""What the running dashboard does for the database besides showing it: the daily backup,
and a plain message instead of a traceback when the database cannot be opened or read."""

from __future__ import annotations

import sys

import streamlit as st

from analytics import settings
from analytics.store import backup
from analytics.store.db import StoreError
from analytics.text import md
from ui import cache


def store_or_stop() -> None:
    """Open the database; if it is damaged, foreign or locked, say so (naming the newest backup
    and the restore command, from ``analytics.store.db``) as the only page, and stop."""
    try:
        cache.store()
    except StoreError as e:
        message = str(e)

        def database_error() -> None:
            show_error(message)

        # Through st.navigation, so the sidebar does not fall back to listing the pages/ files.
        st.navigation([st.Page(database_error, title="数据库无法使用", icon=":material/error:",
                               url_path="database-error")], position="hidden").run()
        st.stop()


def show_error(message: str) -> None:
    """A multi-line Chinese message from analytics, each line escaped, as an error box."""
    st.error("  \n".join(md(line) for line in message.splitlines()), icon=":material/error:")


@st.cache_resource(show_spinner=False)
def _daily(db_path: str) -> backup.DailyBackups | None:
    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    try:  # at start, and again with each daily backup: rows that only grow
        backup.housekeeping(cache.store())
    except StoreError as e:
        log(f"清理过期会话和登录失败记录未完成：{e}")
    if settings.backup_keep_days() == 0:
        return None
    return backup.DailyBackups(cache.store(), log=log).start()


def start_daily_backups() -> None:
    """Once per process and database: the thread that makes the day's backup (PARK_BACKUP_KEEP_DAYS)."""
    _daily(str(cache.db_path()))
