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

import json
import os
import re
import time
from datetime import date
from pathlib import Path
from typing import Any

import streamlit as st

from analytics import charts, fmt, kpis, settings, slides, tables
from analytics.db import Store, default_db_path
from analytics.text import md

LANG_KEY = "lang"


def _leave_legacy_multipage_mode() -> None:
    """Make a deep link such as /duck run through app.py.

    Streamlit treats the sibling pages/ folder as a v1 multipage app until app.py has called
    st.navigation once in the process; a first request for /duck would run pages/duck.py
    alone, without the page config, login and menu. Every page imports this module first,
    so switch to navigation mode here and have the run start again through app.py.

    The rerun is requested, not raised: ``st.rerun()`` here raised its RerunException in the
    middle of importing this module, so the import failed and was undone while other first
    sessions (their own script threads) waited for it — they then held the undone module and
    failed with ``ImportError: cannot import name 'auth' from 'ui'`` (or any other name).
    Requested, it is acted on at the page's first element, after every import has finished.
    This is what ``st.rerun()`` does before it forces the yield point.
    """
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner import RerunData, get_script_run_ctx

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        ctx = get_script_run_ctx()
        if ctx is not None and ctx.script_requests is not None:
            ctx.script_requests.request_rerun(RerunData(
                query_string=ctx.query_string, page_script_hash=ctx.page_script_hash,
                context_info=ctx.context_info))


_leave_legacy_multipage_mode()


# --- language ----------------------------------------------------------------------------

LANG_COOKIE = "park_lang"
_LANG_WRITTEN = "_lang_cookie_written"


def _sent_lang() -> str | None:
    value = st.context.cookies.get(LANG_COOKIE)
    return value if value in ("zh", "en") else None  # AppTest's context is a mock


def lang() -> str:
    """'zh' (default) or 'en': the address's ``?lang=`` first, else the language this browser
    chose last (a cookie, so a reload, a new tab or a bookmark keeps it)."""
    if LANG_KEY not in st.session_state:
        asked = st.query_params.get("lang")
        st.session_state[LANG_KEY] = asked if asked in ("zh", "en") else _sent_lang() or "zh"
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


# Streamlit's own fixed words in its widgets (multiselect, selectbox, dataframe toolbar and
# column menu), which no option translates: a locale file of the exact texts of Streamlit
# 1.67's frontend and their Chinese.
STREAMLIT_ZH: dict[str, str] = json.loads((Path(__file__).with_name("streamlit_zh.json")).read_text("utf-8"))

# Swaps those words for Chinese as Streamlit draws them (texts, tooltips, aria-labels), while
# the page is Chinese: language_css marks it with a CSS variable that English pages lack.
_ZH_WORDS_JS = """<script>
(function () {
  if (window.__parkZhWords) return;
  window.__parkZhWords = true;
  var ZH = %s;
  function chinese() {
    return getComputedStyle(document.documentElement).getPropertyValue("--park-lang").trim() === "zh";
  }
  function swap(root) {
    if (!chinese()) return;
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT), n;
    while ((n = walker.nextNode())) {
      var key = n.nodeValue.trim();
      if (key && ZH.hasOwnProperty(key)) n.nodeValue = n.nodeValue.replace(key, ZH[key]);
    }
    var els = root.querySelectorAll ? root.querySelectorAll("[aria-label],[title],[placeholder]") : [];
    for (var i = 0; i < els.length; i++) {
      ["aria-label", "title", "placeholder"].forEach(function (a) {
        var v = els[i].getAttribute(a);
        if (v && ZH.hasOwnProperty(v)) els[i].setAttribute(a, ZH[v]);
      });
    }
  }
  new MutationObserver(function (records) {
    records.forEach(function (r) {
      if (r.type === "characterData") { swap(r.target.parentNode || document.body); return; }
      r.addedNodes.forEach(function (node) {
        if (node.nodeType === 1) swap(node);
        else if (node.nodeType === 3 && node.parentNode) swap(node.parentNode);
      });
      if (r.type === "attributes") swap(r.target.parentNode || r.target);
    });
  }).observe(document.body, {childList: true, subtree: true, characterData: true, attributes: true,
                             attributeFilter: ["aria-label", "title", "placeholder"]});
  swap(document.body);
})();
</script>"""


def language_css() -> None:
    """Streamlit's own words that no option translates, in Chinese: the skip link (shown on
    keyboard focus) and the charts' fullscreen tooltip by CSS, the widgets' fixed words
    (STREAMLIT_ZH) by a small script. In either language: the boxes Streamlit draws around
    elements that only hold a style or a script take no room (they would push pages down)."""
    empty = ("[data-testid=\"stMain\"] .stElementContainer:has(> .stHtml > style:only-child),\n"
             "[data-testid=\"stMain\"] .stElementContainer:has(> .stHtml > script:only-child) {display: none}\n")
    if lang() != "zh":
        st.html(f"<style>{empty}</style>")  # text-safe: fixed CSS
        return

    tips = "".join(f'.js-plotly-plot .plotly .modebar-btn[data-title="{en}"]::after {{content: "{zh}" !important}}\n'
                   for en, zh in (("Fullscreen", "全屏"), ("Close fullscreen", "退出全屏"),
                                  ("Exit fullscreen", "退出全屏"), ("Enter fullscreen", "全屏")))
    st.html(f"""<style>
{empty}:root {{--park-lang: zh}}
a[data-testid="stSkipToContent"] {{font-size: 0}}
a[data-testid="stSkipToContent"]::after {{content: "跳到主要内容"; font-size: 1rem}}
{tips}</style>""")  # text-safe: fixed CSS
    st.html(_ZH_WORDS_JS % json.dumps(STREAMLIT_ZH, ensure_ascii=False),
            unsafe_allow_javascript=True)  # text-safe: constants only


def language_switch() -> None:
    english = st.sidebar.toggle("English", value=lang() == "en", key="_lang_toggle",
                                on_change=_keep_widget_values)
    st.session_state[LANG_KEY] = "en" if english else "zh"
    _remember_language()


def _remember_language() -> None:
    """Keep the chosen language in a cookie (SameSite=Strict, Path=/, a year). A preference, not
    a credential: one line of script writes it, where the login's CookieManager would report
    back and rerun the page, which raced the next menu click. Streamlit reads cookies once per
    connection, so after a switch the line is drawn on every run until a reload reports the
    cookie back; the element takes no room (language_css)."""
    ss, now = st.session_state, st.session_state[LANG_KEY]
    if ss.get(_LANG_WRITTEN) is None and now == (_sent_lang() or "zh"):
        return
    st.html(f"<script>document.cookie = '{LANG_COOKIE}={now}; path=/; max-age={365 * 24 * 3600}; "
            "samesite=strict';</script>", unsafe_allow_javascript=True)  # text-safe: 'zh' or 'en'
    ss[_LANG_WRITTEN] = now


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


# --- sidebar filters, shared by every page and kept in the address ---------------------

# The filters in the query string, as a link reproduces them: ?year=2022&coop=…&coop=… or
# ?from=2023-01&to=2023-06&village=…. Names are the data's own, so a link works in either language.
URL_KEYS = ("year", "from", "to", "town", "coop", "village", "zone")
LIST_KEYS = {"town": "f_town", "coop": "f_coop", "village": "f_village", "zone": "f_zone"}
_F_STATE = "_f_state"  # the chosen filters: a page's widgets are its own, this outlives them
_F_URL = "_f_url"      # the filter part of the address as this tab last wrote it


def _url_filters() -> dict[str, list[str]]:
    """The filter part of the address: {key: [values]} for the keys present."""
    qp = st.query_params
    return {k: qp.get_all(k) for k in URL_KEYS if qp.get_all(k)}


def _to_url(state: dict) -> dict[str, list[str]]:
    out: dict[str, list[str]] = ({"year": [str(state["year"])]} if state["mode"] == "year"
                                 else {"from": [state["range"][0]], "to": [state["range"][1]]})
    out.update({k: list(state[k]) for k in LIST_KEYS if state[k]})
    return out


def _from_url(url: dict[str, list[str]], years: list[int], months: list[str]) -> tuple[dict, list[str]]:
    """Filters from an address, with what in it was not understood (left out, and said)."""
    bad: list[str] = []
    state: dict = {"mode": "year", "year": q("default_year"), "range": (months[max(0, len(months) - 12)], months[-1])}
    if "year" in url:
        y = url["year"][-1]
        if y.isdigit() and int(y) in years:
            state["year"] = int(y)
        else:
            bad.append(f"year={y}")
    elif "from" in url or "to" in url:
        a, b = url.get("from", [months[0]])[-1], url.get("to", [months[-1]])[-1]
        if a in months and b in months:
            state["mode"], state["range"] = "range", (min(a, b), max(a, b))
        else:
            bad.append(f"from={a}, to={b}")
    known = {"town": q("towns"), "village": q("villages"), "zone": q("zones")}
    for k in ("town", "village", "zone"):
        state[k] = [v for v in url.get(k, []) if v in known[k]]
        bad += [f"{k}={v}" for v in url.get(k, []) if v not in known[k]]
    coops = q("cooperatives", tuple(state["town"]))
    state["coop"] = [v for v in url.get("coop", []) if v in coops]
    bad += [f"coop={v}" for v in url.get("coop", []) if v not in coops]
    return state, bad


def _remember(key: str, field_: str) -> None:
    """A filter widget changed: keep its value for the other pages (runs before the page)."""
    st.session_state[_F_STATE][field_] = st.session_state[key]


def _month_label(m: str) -> str:
    return f"{int(m[:4])}年{int(m[5:])}月" if lang() == "zh" else m


def sidebar_filters() -> tuple[kpis.Period, kpis.Filters] | None:
    """Draw the shared filters; returns the chosen period and filters, or None with no data.

    The same choice holds on every page and is always written to the address
    (:data:`URL_KEYS`), so a link, a bookmark or the back button gives the view back:
    - a tab's first run, or an address carrying filters this tab did not write (a link opened
      inside the app, back or forward to an earlier view): the address sets the filters;
    - an address without filters (Streamlit drops the query string when the menu switches
      pages; back or forward to the entry such a switch left behind): the choice is kept and
      written back, so each such entry stands for the view it was left with;
    - otherwise the choice kept in session state (the widgets' callbacks update it) holds, as
      each page's widgets are new to it.
    """
    years = q("available_years")
    if not years:
        return None
    months = q("available_months")
    ss = st.session_state
    url = _url_filters()
    if _F_STATE not in ss or (url and url != ss.get(_F_URL)):
        ss[_F_STATE], bad = _from_url(url, years, months)
        if bad:
            st.warning(t("链接中的筛选条件无法识别，已忽略：", "Filters in the link not understood, ignored: ")
                       + md("；".join(bad)), icon=":material/link_off:")
    state = ss[_F_STATE]
    all_towns = q("towns")
    coop_options = q("cooperatives", tuple(state["town"]))
    state["coop"] = [c for c in state["coop"] if c in coop_options]  # a town filter narrowed the list
    for key, field_ in (("f_mode", "mode"), ("f_year", "year"), ("f_range", "range"),
                        *((w, k) for k, w in LIST_KEYS.items())):
        ss[key] = state[field_]
    sb = st.sidebar
    sb.subheader(t("筛选", "Filters"))
    # Labels are bound now, not looked up inside format_func: AppTest calls it outside a run.
    modes = {"year": t("按年", "Year"), "range": t("按月份区间", "Months")}
    mode = sb.radio(t("期间", "Period"), list(modes), horizontal=True, key="f_mode", format_func=modes.get,
                    on_change=_remember, args=("f_mode", "mode"))
    if mode == "year":
        year = sb.selectbox(t("年份", "Year"), years[::-1], key="f_year", placeholder=t("选择年份", "Choose a year"),
                            format_func=(lambda y: f"{y}年") if lang() == "zh" else str,
                            on_change=_remember, args=("f_year", "year"))
        period = kpis.Period.year(year)
    else:
        # The value (also in session state) makes it a range slider; without it, one month.
        start, end = sb.select_slider(t("月份区间", "Months"), options=months, key="f_range",
                                      value=state["range"], format_func=_month_label,
                                      on_change=_remember, args=("f_range", "range"))
        period = kpis.Period.months(start, end)
    towns: list[str] = []
    if len(all_towns) > 1:  # a township store has one town: no filter to show
        towns = sb.multiselect(t("乡镇", "Town"), all_towns, key="f_town", placeholder=t("全部", "All"),
                               on_change=_remember, args=("f_town", "town"))
    coops = sb.multiselect(t("合作社", "Cooperative"), coop_options, key="f_coop",
                           placeholder=t("全部", "All"), on_change=_remember, args=("f_coop", "coop"))
    villages = sb.multiselect(t("村", "Village"), q("villages"), key="f_village",
                              placeholder=t("全部", "All"), on_change=_remember, args=("f_village", "village"))
    zones = sb.multiselect(t("小区", "Zone"), q("zones"), key="f_zone", placeholder=t("全部", "All"),
                           on_change=_remember, args=("f_zone", "zone"))
    new = _to_url(state)
    if new != url:  # one update: one history entry per view (replaced, not added, on back/forward)
        others = {k: st.query_params.get_all(k) for k in st.query_params if k not in URL_KEYS}
        st.query_params.from_dict({**others, **new})
    ss[_F_URL] = new
    return period, kpis.Filters(tuple(coops), tuple(villages), tuple(zones), tuple(towns))


# Streamlit's menu switches pages without the query string (only widgets bound to a parameter
# keep theirs), and the run that writes the filters back would leave an entry without them in
# the history: "back" would first land there. So a plain click on a menu entry or page link
# of a page with filters is turned into what the back button does: the address with the
# filters is pushed and Streamlit follows it, in one history entry. Other clicks (new tab,
# other pages) are Streamlit's own.
_CARRY_JS = """<script>
(function () {
  if (window.__parkCarryFilters) return;
  window.__parkCarryFilters = true;
  var KEYS = %s, PAGES = %s;
  document.addEventListener("click", function (e) {
    var a = e.target.closest('[data-testid="stSidebarNav"] a, [data-testid="stPageLink"] a');
    if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    var to = new URL(a.href, window.location.href);
    if (to.origin !== window.location.origin) return;
    var path = to.pathname.split("/").filter(Boolean).pop() || "";
    if (PAGES.indexOf(path) < 0) return;
    var now = new URLSearchParams(window.location.search), carry = new URLSearchParams();
    now.forEach(function (v, k) { if (KEYS.indexOf(k) >= 0) carry.append(k, v); });
    var q = carry.toString();
    e.preventDefault();
    e.stopPropagation();
    window.history.pushState({}, "", to.pathname + (q ? "?" + q : ""));
    window.dispatchEvent(new PopStateEvent("popstate", {state: {}}));
  }, true);
})();
</script>"""


def carry_filters_in_links(pages: tuple[str, ...]) -> None:
    """Keep the filters in the address when the menu opens another page with filters
    (``pages``: their url paths, "" for the overview); see _CARRY_JS."""
    st.html(_CARRY_JS % (json.dumps(list(URL_KEYS)), json.dumps(list(pages))),
            unsafe_allow_javascript=True)  # text-safe: constants and page keys, no user data


def filters_caption(period: kpis.Period, filters: kpis.Filters) -> str:
    """The period and filters in words, for every chart's caption; Markdown-safe (names escaped)."""
    parts = [t("期间：", "Period: ") + period.label(lang())]
    for zh, en, values in (("乡镇", "town", filters.towns), ("合作社", "cooperative", filters.cooperatives),
                           ("村", "village", filters.villages), ("小区", "zone", filters.zones)):
        if values:
            parts.append(f"{t(zh, en)}：{'、'.join(md(v) for v in values)}" if lang() == "zh"
                         else f"{en}: {', '.join(md(v) for v in values)}")
    return t("；", "; ").join(parts)


def filters_banner(period: kpis.Period, filters: kpis.Filters) -> None:
    """The period and filters at the top of the page, where nobody can miss which year it is."""
    scope = "" if any((filters.towns, filters.cooperatives, filters.villages, filters.zones)) else t(
        "；范围：全园区", "; scope: the whole park")
    st.markdown(f":material/filter_alt: **{filters_caption(period, filters)}**{scope}",
                help=t("在左侧边栏更改期间和筛选；地址栏的链接可以收藏或发给别人，打开即是同样的视图。",
                       "Change them in the sidebar; the address can be bookmarked or shared and opens this view."))


# --- page furniture ------------------------------------------------------------------

def is_demo() -> bool:
    return store().is_demo()


def several_towns() -> bool:
    """A county store (more than one town): unit tables then say which town a unit is in."""
    return len(slides.real_towns(q("towns"))) > 1


def demo_badge() -> None:
    if is_demo():
        st.warning(t("示例数据：本页数字由演示程序生成，并非真实统计。",
                     "Demo data: these figures are generated, not real statistics."),
                   icon=":material/science:")


def page_header(title_zh: str, title_en: str) -> None:
    st.title(t(title_zh, title_en))  # text-safe: titles checked at every page_header/page_start call
    demo_badge()


def no_data() -> None:
    st.info(t("数据库里还没有数据。请在“上传”页上传月报，或运行 python -m analytics demo 生成示例数据。",
              "No data yet. Upload a monthly sheet, or run python -m analytics demo for demo data."))


def page_start(title_zh: str, title_en: str) -> tuple[kpis.Period, kpis.Filters]:
    """Title, the period and filters in words, demo notice and the sidebar filters; stops the
    page with a hint when there is no data."""
    st.title(t(title_zh, title_en))  # text-safe: titles checked at every page_start call
    chosen = sidebar_filters()
    if chosen is None:
        demo_badge()
        no_data()
        st.stop()
    filters_banner(*chosen)
    demo_badge()
    return chosen


def tabs(key: str, labels: dict[str, str]) -> dict[str, Any]:
    """``st.tabs`` that keep the open tab when the language switches: {tab key: container}.

    A tab's state is its label, which the other language does not have; the open tab is
    remembered by its key (``labels``: key → label in the current language) and given back
    in the new language's label. Tabs rerun the page when switched, so the state is known.
    """
    ss, keep = st.session_state, f"_{key}_open"
    shown = list(labels.values())
    if ss.get(key) in shown:
        ss[keep] = next(k for k, v in labels.items() if v == ss[key])
    elif ss.get(keep) in labels:
        ss[key] = labels[ss[keep]]
    return dict(zip(labels, st.tabs(shown, key=key, on_change="rerun"), strict=True))


def uploader_texts(key: str, max_mb: int) -> None:
    """The file uploader's own texts ("Upload", "50MB per file • CSV, …") in the UI's language.

    Streamlit offers no option for them: its texts are hidden and ours drawn in their place
    by CSS, scoped to the uploader with this ``key``.
    """
    button = t("选择文件", "Choose a file")
    note = t(f"拖放文件到这里，或点击“选择文件”；单个文件不超过 {max_mb:d} MB；CSV、TXT 或 Excel",
             f"Drag a file here or choose one; up to {max_mb:d} MB; CSV, TXT or Excel")
    box = f".st-key-{key} [data-testid='stFileUploaderDropzone']"
    st.html(f"""<style>
{box} button [data-testid='stMarkdownContainer'] {{display: none}}
{box} button span[data-has-shortcut]::after {{content: "{button}"}}
{box} [data-testid='stFileUploaderDropzoneInstructions'] > * {{display: none}}
{box} [data-testid='stFileUploaderDropzoneInstructions']::after {{content: "{note}"; font-size: .875rem;
  color: rgba(49, 51, 63, .6)}}
</style>""")  # text-safe: fixed texts and a number, in CSS strings


PAGE_FIGS = "_page_figs"

# Plotly's toolbar in Chinese (plotly.js takes a locale's dictionary with the figure's config).
PLOTLY_ZH = {"locale": "zh-CN", "locales": {"zh-CN": {"dictionary": {
    "Download plot as a PNG": "下载为 PNG 图片", "Download plot as a png": "下载为 PNG 图片",
    "Download plot": "下载图片", "Zoom": "缩放", "Pan": "平移", "Box Select": "框选", "Lasso Select": "套索选择",
    "Zoom in": "放大", "Zoom out": "缩小", "Autoscale": "自动缩放", "Reset axes": "重置坐标轴",
    "Reset": "重置", "Toggle Spike Lines": "显示/隐藏辅助线", "Show closest data on hover": "悬停显示最近的数据",
    "Compare data on hover": "悬停比较数据", "Reset view": "重置视图", "Toggle show closest data on hover":
    "悬停显示最近的数据", "Snapshot succeeded": "已保存图片", "Taking snapshot - this may take a few seconds":
    "正在生成图片，请稍候", "Double-click to zoom back out": "双击恢复原始缩放",
    "Click to enter Colorscale title": "点击输入色标标题", "Click to enter Component A title": "点击输入标题",
    "Click to enter Plot title": "点击输入图表标题", "Click to enter X axis title": "点击输入横轴标题",
    "Click to enter Y axis title": "点击输入纵轴标题", "trace": "系列", "Produced with Plotly.js": "由 Plotly.js 生成",
}, "format": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["¥", ""],
              "days": ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
              "shortDays": ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
              "months": [f"{i}月" for i in range(1, 13)], "shortMonths": [f"{i}月" for i in range(1, 13)],
              "date": "%Y-%m-%d"}}}}


def _em(text: str) -> float:
    """Width of ``text`` in em: a Chinese character is one, a Latin one a little over half."""
    return sum(1.0 if ord(ch) > 0x2E80 else 0.56 for ch in text)


def wrap_title(text: str, limit: float = 20.0) -> str:
    """Break a chart title into lines of at most ``limit`` em (a phone's chart is ~21 em wide at
    the title's size), after a colon, comma or before a bracket; Plotly does not wrap titles."""
    if "<br>" in text or _em(text) <= limit:
        return text
    lines, line = [], ""
    for part in re.split(r"(?<=[:：,，、])\s*|\s(?=\()|(?=（)", text):
        if line and _em(line + " " + part) > limit:
            lines.append(line)
            line = part
        else:
            line = f"{line} {part}".strip() if line and not line.endswith(("：", "，", "、")) else line + part
    return "<br>".join([*lines, line])


def for_screen(fig: Any) -> Any:
    """A copy of ``fig`` laid out for any screen width: the title wrapped and set below the chart
    toolbar (always shown on touch screens), the notes of analytics.charts under it, the legend
    under the month labels (charts.legend_below, which makes the copy)."""
    screen = charts.legend_below(fig)
    title = wrap_title(screen.layout.title.text or "")
    notes = sum(a.text.count("<br>") + 1 for a in screen.layout.annotations
                if a.yref == "paper" and (a.y or 0) >= 1 and a.yanchor == "bottom")
    lines = title.count("<br>") + 1
    top = 30 + 22 * (lines - 1) + 23 * lines + 16 * notes + 12
    # Plotly anchors a title of several lines by its first line: the pad takes the others too.
    screen.update_layout(title={"text": title, "y": 1, "yref": "container", "yanchor": "top",
                                "pad": {"t": 30 + 22 * (lines - 1)}},
                         margin={"t": max(top, (screen.layout.margin.t or 0))})
    # Month labels: as many as the width holds (Plotly thins a category axis by its length when
    # nticks is left to it) and turned only as far as needed, instead of every month at a fixed
    # slant, which overlaps its neighbours and the legend on a phone. None: Plotly's own "auto".
    screen.update_xaxes(tickangle=None, nticks=None)
    return screen


def show_chart(fig: Any, name: str, caption: str) -> None:
    """Draw a chart with its caption; the figure is remembered for the page's PNG downloads.

    Plotly's own camera button is taken off: its PNG would carry no period, no 数据截至 and no
    示例数据 mark. Every PNG comes from the page's download buttons (ui.export.page_downloads),
    stamped inside the image and named ``<主题>_<期间>_<数据截至>.png``; those are drawn from the
    figure as built (for_screen only fits it to the browser's box).
    """
    st.plotly_chart(for_screen(fig), width="stretch", config={
        "displaylogo": False,
        "modeBarButtonsToRemove": ["toImage"],
        **(PLOTLY_ZH if lang() == "zh" else {}),
    })
    st.caption(caption)  # text-safe: captions checked at every show_chart call
    st.session_state.setdefault(PAGE_FIGS, {})[name] = fig


def pinned_names(table: Any) -> dict:
    """column_config that keeps a ranked table's name columns in view when it scrolls sideways
    (the ranking column follows them: tables.unit_table)."""
    names = {tables.column_label(s, k, lang()) for s in ("duck", "hog", "greenhouse") for k in tables.NAME_COLUMNS}
    return {c: st.column_config.Column(pinned=True) for c in table.columns if c in names}


def metric(label: str, value: str, delta: float | None = None, help: str | None = None) -> None:
    st.metric(label, value, delta=fmt.pct(delta) if delta is not None else None, help=help,
              delta_description=t("同比", "YoY") if delta is not None else None)
