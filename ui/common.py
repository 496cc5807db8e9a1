"""What every page shares: the store, the language, the sidebar filters, cached queries.

Pages draw; they get numbers only through :func:`q`, which calls a function of
``analytics.kpis`` and caches the answer under two versions: the store's figures version
(bumped by writes that may change anything) and the scoped version of what the call reads
(its sectors, months and towns; ``kpis.scope_version``). A commit or an undo shows
everywhere at once (no timer), and an upload of one cooperative's duck sheet for one month
leaves the hog page, the greenhouse page and other years warm.

``PARK_LAKE=DIR`` serves a Parquet lake read-only instead of the database (analytics/lake.py).
"""

from __future__ import annotations

import os
import time
from datetime import date
from pathlib import Path
from typing import Any

import streamlit as st

from analytics import fmt, kpis, settings
from analytics.db import Store, default_db_path
from analytics.text import md

LANG_KEY = "lang"


def _leave_legacy_multipage_mode() -> None:
    """Make a deep link such as /duck run through app.py.

    Streamlit treats the sibling pages/ folder as a v1 multipage app until app.py has called
    st.navigation once in the process; a first request for /duck would run pages/duck.py
    alone, without the page config, login and menu. Every page imports this module first,
    so switch to navigation mode here and start the run again through app.py.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


_leave_legacy_multipage_mode()


# --- language ----------------------------------------------------------------------------

def lang() -> str:
    """'zh' (default) or 'en'."""
    if LANG_KEY not in st.session_state:
        st.session_state[LANG_KEY] = "en" if st.query_params.get("lang") == "en" else "zh"
    return st.session_state[LANG_KEY]


def t(zh: str, en: str) -> str:
    """Pick the label for the current language; every label passes through here."""
    return zh if lang() == "zh" else en


def _keep_widget_values() -> None:
    """Before a run in the other language, write every widget's value back under its key.

    A radio, selectbox, multiselect, select_slider or segmented_control keeps its choice in
    the browser as the shown label (按年, 2022年); in the other language that label is not
    among the options and the widget comes back empty. Written back through session state,
    the value (the option key) is shown in the new language's label instead. Buttons, file
    uploaders and data editors hold no such value and may not be written (bool, None, objects).
    """
    plain = (str, int, float, date)
    for key in list(st.session_state):
        value = st.session_state[key]
        if key == "_lang_toggle" or isinstance(value, bool):
            continue
        if isinstance(value, plain) or (isinstance(value, list | tuple) and value
                                        and all(isinstance(v, plain) and not isinstance(v, bool) for v in value)):
            st.session_state[key] = value


def language_switch() -> None:
    english = st.sidebar.toggle("English", value=lang() == "en", key="_lang_toggle",
                                on_change=_keep_widget_values)
    st.session_state[LANG_KEY] = "en" if english else "zh"


# --- store and cached queries -----------------------------------------------------------

LAKE_PREFIX = "lake:"


@st.cache_resource(show_spinner=False)
def _store(path: str) -> Store:
    if path.startswith(LAKE_PREFIX):
        from analytics import lake

        return lake.LakeStore(Path(path.removeprefix(LAKE_PREFIX)))
    return Store(Path(path))


def db_path() -> Path:
    return Path(os.environ.get("PARK_DB") or default_db_path())


def _source() -> str:
    lake_dir = settings.get("PARK_LAKE")
    return LAKE_PREFIX + str(Path(lake_dir).resolve()) if lake_dir else str(db_path())


def store() -> Store:
    """The process's one connection to the database (or to the lake, with PARK_LAKE)."""
    return _store(_source())


# Where q() adds up the time spent computing (not cached): bench/pages.py sets it to a list.
QUERY_LOG: list | None = None


@st.cache_data(show_spinner=False, max_entries=512)
def _cached(source: str, version: tuple, fn_name: str, args: tuple, kwargs: tuple) -> Any:
    fn = getattr(kpis, fn_name)
    cur = _store(source).cursor()
    t = time.perf_counter()
    try:
        return fn(cur, *args, **dict(kwargs))
    finally:
        cur.close()
        if QUERY_LOG is not None:
            QUERY_LOG.append((fn_name, time.perf_counter() - t))


def q(fn_name: str, *args: Any, **kwargs: Any) -> Any:
    """Call ``analytics.kpis.<fn_name>(cursor, *args, **kwargs)``, cached under the figures
    version and the scoped version of what the call reads."""
    s = store()
    cur = s.cursor()
    try:
        version = (s.figures_version(), kpis.scope_version(cur, fn_name, args))
    finally:
        cur.close()
    return _cached(_source(), version, fn_name, args, tuple(sorted(kwargs.items())))


# --- sidebar filters ------------------------------------------------------------------

def sidebar_filters() -> tuple[kpis.Period, kpis.Filters] | None:
    """Draw the shared filters; returns the chosen period and filters, or None with no data."""
    years = q("available_years")
    if not years:
        return None
    sb = st.sidebar
    sb.subheader(t("筛选", "Filters"))
    # Labels are bound now, not looked up inside format_func: AppTest calls it outside a run.
    modes = {"year": t("按年", "Year"), "range": t("按月份区间", "Months")}
    mode = sb.radio(t("期间", "Period"), list(modes), horizontal=True, key="f_mode", format_func=modes.get)
    if mode == "year":
        default = q("default_year")
        year = sb.selectbox(t("年份", "Year"), years[::-1], key="f_year",
                            index=years[::-1].index(default),
                            format_func=(lambda y: f"{y}年") if lang() == "zh" else str)
        period = kpis.Period.year(year)
    else:
        months = q("available_months")
        start, end = sb.select_slider(t("月份区间", "Months"), options=months, key="f_range",
                                      value=(months[max(0, len(months) - 12)], months[-1]))
        period = kpis.Period.months(start, end)
    all_towns = q("towns")
    towns: list[str] = []
    if len(all_towns) > 1:  # a township store has one town: no filter to show
        towns = sb.multiselect(t("乡镇", "Town"), all_towns, key="f_town", placeholder=t("全部", "All"))
    coops = sb.multiselect(t("合作社", "Cooperative"), q("cooperatives", tuple(towns)), key="f_coop",
                           placeholder=t("全部", "All"))
    villages = sb.multiselect(t("村", "Village"), q("villages"), key="f_village",
                              placeholder=t("全部", "All"))
    zones = sb.multiselect(t("小区", "Zone"), q("zones"), key="f_zone", placeholder=t("全部", "All"))
    return period, kpis.Filters(tuple(coops), tuple(villages), tuple(zones), tuple(towns))


def filters_caption(period: kpis.Period, filters: kpis.Filters) -> str:
    """The period and filters in words, for every chart's caption; Markdown-safe (names escaped)."""
    parts = [t("期间：", "Period: ") + period.label(lang())]
    for zh, en, values in (("乡镇", "town", filters.towns), ("合作社", "cooperative", filters.cooperatives),
                           ("村", "village", filters.villages), ("小区", "zone", filters.zones)):
        if values:
            parts.append(f"{t(zh, en)}：{'、'.join(md(v) for v in values)}" if lang() == "zh"
                         else f"{en}: {', '.join(md(v) for v in values)}")
    return t("；", "; ").join(parts)


# --- page furniture ------------------------------------------------------------------

def is_demo() -> bool:
    return store().is_demo()


def demo_badge() -> None:
    if is_demo():
        st.warning(t("示例数据：本页数字由演示程序生成，并非真实统计。",
                     "示例数据 (demo data): these figures are generated, not real statistics."),
                   icon=":material/science:")


def page_header(title_zh: str, title_en: str) -> None:
    st.title(t(title_zh, title_en))  # text-safe: titles checked at every page_header/page_start call
    demo_badge()


def no_data() -> None:
    st.info(t("数据库里还没有数据。请在“上传”页上传月报，或运行 python -m analytics demo 生成示例数据。",
              "No data yet. Upload a monthly sheet, or run python -m analytics demo for demo data."))


def page_start(title_zh: str, title_en: str) -> tuple[kpis.Period, kpis.Filters]:
    """Title, demo notice and the sidebar filters; stops the page with a hint when there is no data."""
    page_header(title_zh, title_en)  # text-safe: titles checked at every page_start call
    chosen = sidebar_filters()
    if chosen is None:
        no_data()
        st.stop()
    return chosen


PAGE_FIGS = "_page_figs"


def show_chart(fig: Any, name: str, caption: str) -> None:
    """Draw a chart with its caption; the figure is remembered for the page's PNG downloads.

    Plotly's own camera button is taken off: its PNG would carry no period, no 数据截至 and no
    示例数据 mark. Every PNG comes from the page's download buttons (ui.export.page_downloads),
    stamped inside the image and named ``<主题>_<期间>_<数据截至>.png``.
    """
    st.plotly_chart(fig, width="stretch", config={"displaylogo": False, "modeBarButtonsToRemove": ["toImage"]})
    st.caption(caption)  # text-safe: captions checked at every show_chart call
    st.session_state.setdefault(PAGE_FIGS, {})[name] = fig


def metric(label: str, value: str, delta: float | None = None, help: str | None = None) -> None:
    st.metric(label, value, delta=fmt.pct(delta) if delta is not None else None, help=help,
              delta_description=t("同比", "YoY") if delta is not None else None)
