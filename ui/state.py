"""Session state and the address: the language (remembered in a cookie), widget values kept across
pages, and the sidebar filters shared by every page and kept in the URL.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import streamlit as st

from analytics import scope
from analytics.text import md
from ui.cache import include_pending, q

LANG_KEY = "lang"


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
    a credential, written the same way as the login's (ui.auth.cookie_line): one line of script,
    nothing reported back, so no rerun races the next menu click. Streamlit reads cookies once per
    connection, so after a switch the line is drawn on every run until a reload reports the
    cookie back; the element takes no room (language_css)."""
    ss, now = st.session_state, st.session_state[LANG_KEY]
    if ss.get(_LANG_WRITTEN) is None and now == (_sent_lang() or "zh"):
        return
    st.html(f"<script>document.cookie = '{LANG_COOKIE}={now}; path=/; max-age={365 * 24 * 3600}; "
            "samesite=strict';</script>", unsafe_allow_javascript=True)  # text-safe: 'zh' or 'en'
    ss[_LANG_WRITTEN] = now


# --- sidebar filters, shared by every page and kept in the address ---------------------

# The filters in the query string, as a link reproduces them: ?month=2024-01 (one month),
# ?ytd=2024-03 (年累计 2024年1—3月), ?year=2022 (全年), or ?from=2023-01&to=2023-06, with
# &coop=…&village=…. Names are the data's own, so a link works in either language.
URL_KEYS = ("month", "ytd", "year", "from", "to", "town", "coop", "village", "zone", "unit", "pending")
PERIOD_MODES = ("month", "ytd", "year", "range")
LIST_KEYS = {"town": "f_town", "coop": "f_coop", "village": "f_village", "zone": "f_zone"}
_F_STATE = "_f_state"  # the chosen filters: a page's widgets are its own, this outlives them
_F_URL = "_f_url"      # the filter part of the address as this tab last wrote it


def _url_filters() -> dict[str, list[str]]:
    """The filter part of the address: {key: [values]} for the keys present."""
    qp = st.query_params
    return {k: qp.get_all(k) for k in URL_KEYS if qp.get_all(k)}


def period_params(p: scope.Period, mode: str | None = None) -> dict[str, str]:
    """The address's period keys (of :data:`URL_KEYS`) for ``p``, as the sidebar reads them back
    (:func:`_from_url`, :func:`period_from_params`): {"month": "2024-01"}, {"ytd": "2024-03"}
    (January to March of 2024), {"year": "2022"} or {"from": "2023-01", "to": "2023-06"}. ``mode``
    (of :data:`PERIOD_MODES`) is the sidebar's choice, kept as chosen (a 区间 of January to March
    stays a range, 年累计 to March stays 年累计); without it one month, a whole year, else a range.
    The one writer of these keys: the sidebar's address and every link that carries a period
    (汇报's way back)."""
    if mode is None:
        mode = "month" if p.is_month else "year" if p.is_full_year else "range"
    if mode == "month":
        return {"month": p.label_from}
    if mode == "ytd":
        return {"ytd": p.label_to}
    if mode == "year":
        return {"year": str(p.start.year)}
    return {"from": p.label_from, "to": p.label_to}


def period_from_params(params: Mapping[str, str]) -> scope.Period | None:
    """The period an address's keys name (``params`` as ``st.query_params``: key → its last
    value), None when they name none; the keys :func:`period_params` writes, in the sidebar's
    order (month, ytd, year, from and to). Raises ValueError for a month or year that is not one
    ('2024-13', 'abc', a range ending before it starts), with the Chinese message of
    :mod:`analytics.scope`. The sidebar reads the same keys and checks them against the data's
    months (:func:`_from_url`)."""
    if params.get("month"):
        return scope.Period.months(params["month"], params["month"])
    if params.get("ytd"):
        return scope.Period.months(f"{params['ytd'][:4]}-01", params["ytd"])
    if params.get("year"):
        y = params["year"]
        if not y.isdigit():
            raise ValueError(f"年份“{y}”不是数字")
        return scope.Period.year(int(y))
    if params.get("from") and params.get("to"):
        return scope.Period.months(params["from"], params["to"])
    return None


def _to_url(state: dict) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {k: [v] for k, v in period_params(chosen_period(state), state["mode"]).items()}
    out.update({k: list(state[k]) for k in LIST_KEYS if state[k]})
    if state.get("unit"):  # a drill-down to one unit (ui.drill), under its cooperative
        out["unit"] = list(state["unit"])
    if state.get("pending"):
        out["pending"] = ["1"]
    return out


def chosen_period(state: dict) -> scope.Period:
    """The period of a filter state: 月 one month, 年累计 1—N月 of N's year, 全年, or a range."""
    mode = state["mode"]
    if mode == "month":
        return scope.Period.months(state["month"], state["month"])
    if mode == "ytd":
        return scope.Period.months(f"{state['ytd'][:4]}-01", state["ytd"])
    if mode == "year":
        return scope.Period.year(int(state["year"]))
    return scope.Period.months(*state["range"])


def _from_url(url: dict[str, list[str]], years: list[int], months: list[str]) -> tuple[dict, list[str]]:
    """Filters from an address, with what in it was not understood (left out, and said).

    Without a period in the address the view is 本月: the landing month (figures.landing_month,
    the latest month a reasonable share of units reported), 年累计 to the same month beside it."""
    bad: list[str] = []
    landing = q("landing_month") or months[-1]
    state: dict = {"mode": "month", "month": landing, "ytd": landing,
                   "year": int(landing[:4]) if int(landing[:4]) in years else years[-1],
                   "range": (months[max(0, len(months) - 12)], months[-1])}
    if "month" in url or "ytd" in url:
        mode = "month" if "month" in url else "ytd"
        m = url[mode][-1]
        if m in months:
            state["mode"], state[mode] = mode, m
        else:
            bad.append(f"{mode}={m}")
    elif "year" in url:
        y = url["year"][-1]
        if y.isdigit() and int(y) in years:
            state["mode"], state["year"] = "year", int(y)
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
    state["pending"] = url.get("pending", ["0"])[-1] == "1"
    coops = q("cooperatives", tuple(state["town"]))
    state["coop"] = [v for v in url.get("coop", []) if v in coops]
    bad += [f"coop={v}" for v in url.get("coop", []) if v not in coops]
    units = q("unit_names", tuple(state["coop"])) if url.get("unit") else []
    state["unit"] = [v for v in url.get("unit", []) if v in units]
    bad += [f"unit={v}" for v in url.get("unit", []) if v not in units]
    return state, bad


def _remember(key: str, field_: str) -> None:
    """A filter widget changed: keep its value for the other pages (runs before the page)."""
    st.session_state[_F_STATE][field_] = st.session_state[key]


def _month_label(m: str, language: str) -> str:
    return f"{int(m[:4])}年{int(m[5:])}月" if language == "zh" else m


def sidebar_filters() -> tuple[scope.Period, scope.Filters] | None:
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
    # 含待审核数据 switched off: a month or year only the pending submissions had is gone.
    if state["mode"] == "range" and not set(state["range"]) <= set(months):
        state["range"] = (months[max(0, len(months) - 12)], months[-1])
    if state["year"] not in years:
        state["year"] = q("default_year")
    for m in ("month", "ytd"):
        if state[m] not in months:
            state[m] = q("landing_month") or months[-1]
    all_towns = q("towns")
    coop_options = q("cooperatives", tuple(state["town"]))
    state["coop"] = [c for c in state["coop"] if c in coop_options]  # a town filter narrowed the list
    for key, field_ in (("f_mode", "mode"), ("f_month", "month"), ("f_ytd", "ytd"), ("f_year", "year"),
                        ("f_range", "range"),
                        *((w, k) for k, w in LIST_KEYS.items())):
        ss[key] = state[field_]
    sb = st.sidebar
    sb.subheader(t("筛选", "Filters"))
    # Labels are bound now, not looked up inside format_func: AppTest calls it outside a run.
    modes = {"month": t("月", "Month"), "ytd": t("年累计", "Year to date"), "year": t("全年", "Year"),
             "range": t("区间", "Range")}
    mode = sb.radio(t("期间", "Period"), list(modes), horizontal=True, key="f_mode", format_func=modes.get,
                    on_change=_remember, args=("f_mode", "mode"))
    if mode in ("month", "ytd"):
        label = t("月份", "Month") if mode == "month" else t("累计至", "Up to")
        shown = lang()  # bound now, like the labels above
        sb.selectbox(label, months[::-1], key=f"f_{mode}", format_func=lambda m: _month_label(m, shown),
                     placeholder=t("选择月份", "Choose a month"),
                     on_change=_remember, args=(f"f_{mode}", mode))
    elif mode == "year":
        sb.selectbox(t("年份", "Year"), years[::-1], key="f_year", placeholder=t("选择年份", "Choose a year"),
                     format_func=(lambda y: f"{y}年") if lang() == "zh" else str,
                     on_change=_remember, args=("f_year", "year"))
    else:
        # The value (also in session state) makes it a range slider; without it, one month.
        sb.select_slider(t("月份区间", "Months"), options=months, key="f_range", value=state["range"],
                         format_func=lambda m, shown=lang(): _month_label(m, shown),
                         on_change=_remember, args=("f_range", "range"))
    period = chosen_period(state)
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
    pending_switch(state)
    if not state["coop"]:
        state["unit"] = []  # a unit is named within its cooperative
    new = _to_url(state)
    if new != url:  # one update: one history entry per view (replaced, not added, on back/forward)
        others = {k: st.query_params.get_all(k) for k in st.query_params if k not in URL_KEYS}
        st.query_params.from_dict({**others, **new})
    ss[_F_URL] = new
    return period, scope.Filters(tuple(coops), tuple(villages), tuple(zones), tuple(towns),
                                 tuple(state.get("unit", [])))


DRILL_LEVELS = ("town", "village", "coop", "unit")  # the breadcrumb's order, top down


def drill(level: str, value: str | None) -> None:
    """Narrow the shared filters to ``value`` at ``level`` (DRILL_LEVELS) and clear the levels below
    it; ``None`` clears ``level`` too. The caller reruns; the address follows on that run."""
    state = st.session_state.get(_F_STATE)
    if state is None:
        return
    i = DRILL_LEVELS.index(level)
    for k in DRILL_LEVELS[i:]:
        state[k] = []
    if value is not None:
        state[level] = [value]


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


def filters_caption(period: scope.Period, filters: scope.Filters) -> str:
    """The period and filters in words, for every chart's caption; Markdown-safe (names escaped)."""
    parts = [t("期间：", "Period: ") + period.label(lang())]
    for zh, en, values in (("乡镇", "town", filters.towns), ("合作社", "cooperative", filters.cooperatives),
                           ("村", "village", filters.villages), ("小区", "zone", filters.zones),
                           ("单元", "unit", filters.units)):
        if values:
            parts.append(f"{t(zh, en)}：{'、'.join(md(v) for v in values)}" if lang() == "zh"
                         else f"{en}: {', '.join(md(v) for v in values)}")
    if include_pending():
        parts.append(t("含待审核数据", "incl. pending submissions"))
    return t("；", "; ").join(parts)


def pending_switch(state: dict) -> None:
    """含待审核数据 (``pending=1``): the figures add the submissions awaiting review; off by default."""
    st.session_state["f_pending"] = bool(state.get("pending"))
    st.sidebar.toggle(t("含待审核数据", "Include pending"), key="f_pending", on_change=_remember,
                      args=("f_pending", "pending"),
                      help=t("打开后，数字包含合作社已提交、农业办尚未审核通过的报送（不是正式数字）。",
                             "Adds the submissions the office has not accepted yet (not the official figures)."))


def pending_note() -> str:
    """The words a page and its stamp carry while 含待审核数据 is on ('' when off)."""
    return t("含待审核数据", "incl. pending submissions") if include_pending() else ""


def filters_banner(period: scope.Period, filters: scope.Filters) -> None:
    """The period and filters at the top of the page, where nobody can miss which year it is."""
    scope = "" if any((filters.towns, filters.cooperatives, filters.villages, filters.zones)) else t(
        "；范围：全园区", "; scope: the whole park")
    if include_pending():
        st.warning(t("含待审核数据：以下数字包含尚未审核通过的报送，不是正式数字。",
                     "Including pending submissions: these figures are not the accepted ones."),
                   icon=":material/pending_actions:")
    st.markdown(f":material/filter_alt: **{filters_caption(period, filters)}**{scope}",
                help=t("在左侧边栏更改期间和筛选；地址栏的链接可以收藏或发给别人，打开即是同样的视图。",
                       "Change them in the sidebar; the address can be bookmarked or shared and opens this view."))
