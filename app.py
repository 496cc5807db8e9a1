"""园区生产看板 — entry point: page config, login, shared sidebar, navigation by role and deep links."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import streamlit as st

from analytics.store.db import DuckDBError, read_error_message
from ui import auth, maintenance
from ui.cache import db_path
from ui.display import PAGE_FIGS
from ui.state import carry_filters_in_links, language_css, language_switch, t

# A local icon: a Material icon as favicon is fetched from fonts.gstatic.com, which an office
# network may not reach (nothing is downloaded at run time).
st.set_page_config(page_title="园区生产看板", page_icon=str(Path(__file__).parent / "ui" / "icon.png"),
                   layout="wide")
# Six KPI cards must fit a 1366-pixel office screen without "…": smaller metric values.
st.html("<style>[data-testid='stMetricValue']{font-size:1.55rem}</style>")

# (key, file, Chinese title, English title, icon). The key is what auth.may_open checks.
PAGES = [
    ("overview", "pages/overview.py", "总览", "Overview", ":material/dashboard:"),
    ("duck", "pages/duck.py", "种鸭", "Breeder ducks", ":material/egg:"),
    ("hog", "pages/hog.py", "生猪", "Hogs", ":material/savings:"),
    ("greenhouse", "pages/greenhouse.py", "大棚", "Greenhouses", ":material/eco:"),
    ("per_mu", "pages/per_mu.py", "亩均对比", "Per-mu comparison", ":material/compare_arrows:"),
    ("present", "pages/present.py", "汇报", "Presentation", ":material/slideshow:"),
    ("upload", "pages/upload.py", "上传月报", "Upload", ":material/upload_file:"),
    ("uploads", "pages/uploads.py", "上报记录", "Upload log", ":material/history:"),
    ("reporting", "pages/reporting.py", "报送进度", "Reporting", ":material/fact_check:"),
    ("admin", "pages/admin.py", "管理", "Admin", ":material/admin_panel_settings:"),
    ("account", "pages/account.py", "账户", "Account", ":material/manage_accounts:"),
]

# The title sits above the language toggle but is written after it, so it is in the new
# language on the very run the toggle changes it.
title = st.sidebar.empty()
language_switch()
title.markdown(f"### {t('园区生产看板', 'Park Production Dashboard')}")
language_css()
maintenance.store_or_stop()  # a damaged, foreign or locked database: a message naming the backup
maintenance.start_daily_backups()
user = auth.current_user()
# Every page is registered at its address, so a reload, a bookmark or a typed address never
# meets Streamlit's "Page not found". A page this user may not open is a hidden stand-in that
# says why (log in, or no permission); after a login that allows it, the same address shows
# the page itself (a page's identity is its url_path).
pages, stand_ins = [], []
for key, path, zh, en, icon in PAGES:
    if auth.may_open(user, key):
        pages.append(st.Page(path, title=t(zh, en), icon=icon, url_path=key, default=(key == "overview")))
    else:
        stand_ins.append(st.Page(partial(auth.closed_page, key, t(zh, en)), title=t(zh, en), icon=icon,
                                 url_path=key, default=(key == "overview"), visibility="hidden"))
        pages.append(stand_ins[-1])
page = st.navigation(pages)
carry_filters_in_links(tuple("" if k == "overview" else k for k in auth.DASHBOARD_PAGES))
auth.sidebar(login_wanted=page in stand_ins)
# Each run starts with no registered charts, so a page's ZIP holds only its own.
st.session_state[PAGE_FIGS] = {}
try:
    page.run()
except DuckDBError as e:  # damage found while a page reads: the same message, not a traceback
    maintenance.show_error(read_error_message(db_path(), e))
