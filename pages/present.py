"""汇报 Presentation mode: the meeting deck as views, one screen each.

Each view is one slide of the deck (:mod:`analytics.meeting.slides`): 16:9, letterboxed into the
window (1366×768, 1920×1080, full screen, a phone), never scrolled, with its title, at most three
figures, one chart and the stamp line (period · 数据截至 · 来源 · 口径 · 示例数据) inside; its outer
element has the class ``park-slide``. ← → (or PageUp/PageDown, or the buttons at the bottom
right) step through the views; 大屏 switches to the dark wall-screen style; 全部 shows every view
for printing (one per A4 landscape page). Below the view: the paragraph to copy with the
精确/概数 choice (the deck uses it too), the deck and the chart PNGs.

Link: ?month=2024-01, ?ytd=2024-03, ?year=2022 or ?from=2023-01&to=2023-06, &view=duck, &style=dark,
&figures=exact. Without a period: the sidebar filter's choice, else 本月 (the landing month, as the
overview opens on).
Figures are whole-park (the sidebar's cooperative/village filters do not apply), the same as
``python -m analytics kpis``.
"""

import html
from urllib.parse import urlencode

import streamlit as st

from analytics import scope
from analytics.meeting import slides, theme
from analytics.text import md
from ui.cache import include_pending, q
from ui.display import figure
from ui.export import deck_download, page_downloads, phone_svg, slide_png
from ui.scaffold import is_demo, no_data
from ui.state import LANG_KEY, lang, period_from_params, period_params, t

PERIOD_KEY, VIEW_KEY, STYLE_KEY, FIGURES_KEY = "_present_period", "_present_view", "_present_style", "_present_figures"


def resolve_period() -> scope.Period | None:
    """Query params, then the sidebar's session value, then 本月 (figures.landing_month)."""
    years = q("available_years")
    if not years:
        return None
    try:
        period = period_from_params(st.query_params)
    except ValueError as e:
        st.error(t(f"链接里的期间有误：{md(e)}；已改用默认期间。",
                   f"Bad period in the link: {md(e)}; using the default."))
        period = None
    ss = st.session_state
    if period is None and ss.get("f_mode") in ("month", "ytd") and ss.get(f"f_{ss['f_mode']}"):
        m = ss[f"f_{ss['f_mode']}"]
        period = scope.Period.months(m if ss["f_mode"] == "month" else f"{m[:4]}-01", m)
    elif period is None and ss.get("f_mode") == "range" and ss.get("f_range"):
        period = scope.Period.months(*ss["f_range"])
    elif period is None and ss.get("f_mode", "year") == "year" and ss.get("f_year"):
        period = scope.Period.year(ss["f_year"])
    # the sidebar's widget values vanish after the first run without the sidebar: keep ours
    period = period or ss.get(PERIOD_KEY)
    if period is None:  # as the overview lands: 本月, the latest month with data
        landing = q("landing_month")
        period = scope.Period.months(landing, landing) if landing else scope.Period.year(q("default_year"))
    ss[PERIOD_KEY] = period
    return period


def _remember(key: str, param: str, default: str, allowed: tuple[str, ...]) -> str:
    """A choice kept in the session and in the link (?view=…), the link winning on arrival."""
    ss, qp = st.session_state, st.query_params
    if key not in ss:
        ss[key] = qp.get(param) if qp.get(param) in allowed else default
    if ss[key] not in allowed:
        ss[key] = default
    return ss[key]


def _set(key: str, param: str, value: str) -> None:
    st.session_state[key] = value
    st.query_params[param] = value


def back_address(p: scope.Period, language: str) -> str:
    """The overview's address for the period shown (./?month=…, ?ytd=…, ?year=…, ?from=…&to=…:
    ui.state.period_params), so the way back keeps the period and the language."""
    params = period_params(p) | ({"lang": "en"} if language == "en" else {})
    return "./?" + urlencode(params)


def _switch_language() -> None:
    new = "en" if lang() == "zh" else "zh"
    st.session_state[LANG_KEY] = new
    st.session_state["_lang_toggle"] = new == "en"  # the sidebar's switch, so it agrees


period = resolve_period()
if period is None:
    no_data()
    st.stop()
L = lang()
figures = _remember(FIGURES_KEY, "figures", "report", ("report", "exact"))
style = theme.style(_remember(STYLE_KEY, "style", "light", tuple(theme.STYLES)))
# charts built once per process for the same numbers and shared by every view (ui.display.chart)
deck = slides.build(q, period, lang=L, demo=is_demo(), exact=figures == "exact", pending=include_pending(),
                    make=figure)
keys = [s.key for s in deck.slides]
view = _remember(VIEW_KEY, "view", keys[0], (*keys, "all"))
at = keys.index(view) if view in keys else 0

palette = style.palette
st.html(f"""<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"] {{display: none !important;}}
.stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] {{background: {palette.letterbox};}}
[data-testid="stMainBlockContainer"] {{padding: 0 !important; max-width: 100% !important;}}
[data-testid="stMainBlockContainer"] .stElementContainer:has(> .stHtml > style:only-child),
[data-testid="stMainBlockContainer"] .stElementContainer:has(> .stHtml > script:only-child) {{display: none;}}
.park-slide {{margin-top: max(0px, calc((100vh - 56.25vw) / 2)) !important;}}
.pv-all .park-slide {{margin-bottom: 2rem !important;}}
.st-key-present_nav {{position: fixed; right: .8rem; bottom: .8rem; z-index: 999990; width: auto !important;
  background: rgba(250, 250, 250, .92); border: 1px solid #ccd6d1; border-radius: .5rem; padding: .25rem .4rem;
  opacity: 0; transition: opacity .2s; gap: .3rem; align-items: center;}}
.st-key-present_nav:hover, .st-key-present_nav:focus-within {{opacity: 1;}}
.st-key-present_nav p {{margin: 0; font-size: .85rem; color: #444; white-space: nowrap;}}
.st-key-pv_prev2, .st-key-pv_next2, .st-key-pv_help_phone {{display: none !important;}}
.pv-back {{font-size: 1rem;}}
.st-key-present_material {{background: #fff; max-width: 1100px; margin: 2rem auto 3rem auto; padding: 1.5rem 2rem;
  border-radius: .5rem; color: #222;}}
@media screen and (max-width: 640px) {{
  /* a phone has no hover: the buttons stay visible, under the card, and the cards start at the top */
  .st-key-present_nav {{opacity: 1; position: static; margin: 0 .5rem; justify-content: center;}}
  .park-slide {{margin-top: .75rem !important;}}
  .st-key-pv_help_desk {{display: none !important;}}
  .st-key-pv_help_phone {{display: flex !important;}}
  .st-key-present_material {{margin: 1rem .5rem 3rem .5rem; padding: 1rem; width: calc(100% - 1rem) !important;
    box-sizing: border-box;}}
}}
@media print {{
  .st-key-present_nav, .st-key-present_material {{display: none !important;}}
  .stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"], [data-testid="stMainBlockContainer"] {{
    overflow: visible !important; height: auto !important; position: static !important; background: #fff !important;}}
  .park-slide {{margin: 0 !important;}}
}}
{slides.css(style)}
</style>""")  # text-safe: CSS from the theme's constants, no user text


def show(slide: slides.Slide) -> None:
    png, problem = slide_png(deck, slide, style) if slide.chart is not None else (None, "")
    phone = phone_svg(deck, slide, style) if png is not None else None
    st.html(slides.to_html(deck, slide, style, png, problem, phone))  # text-safe: to_html escapes every text it places


if view == "all":
    with st.container(key="pv_all_views"):
        st.html('<div class="pv-all"></div>')
        for s in deck.slides:
            show(s)
else:
    show(deck.slides[at])

with st.container(key="present_nav", horizontal=True):
    last = len(keys) - 1
    if view == "all":
        st.button(t("放映", "Slides"), key="pv_play", icon=":material/slideshow:",
                  on_click=_set, args=(VIEW_KEY, "view", keys[0]))
    else:
        prev_key, next_key = keys[max(at - 1, 0)], keys[min(at + 1, last)]
        st.button("‹", key="pv_prev", shortcut="Left", disabled=at == 0, help=t("上一屏 (←)", "Previous (←)"),
                  on_click=_set, args=(VIEW_KEY, "view", prev_key))
        st.markdown(f"{at + 1:d} / {len(keys):d}")
        st.button("›", key="pv_next", shortcut="Right", disabled=at == last, help=t("下一屏 (→)", "Next (→)"),
                  on_click=_set, args=(VIEW_KEY, "view", next_key))
        # presentation clickers send PageUp / PageDown
        st.button("‹", key="pv_prev2", shortcut="PageUp", disabled=at == 0, on_click=_set,
                  args=(VIEW_KEY, "view", prev_key))
        st.button("›", key="pv_next2", shortcut="PageDown", disabled=at == last, on_click=_set,
                  args=(VIEW_KEY, "view", next_key))
        st.button(t("全部", "All"), key="pv_all", icon=":material/print:",
                  help=t("显示全部页面，可打印（每页一屏，A4 横向）",
                         "Every view, for printing (one per A4 landscape page)"),
                  on_click=_set, args=(VIEW_KEY, "view", "all"))
    dark = style.key == "dark"
    st.button(t("标准", "Light") if dark else t("大屏", "Wall"), key="pv_style", icon=":material/contrast:",
              help=t("大屏：深色背景、大号数字", "Wall screen: dark background, large figures"),
              on_click=_set, args=(STYLE_KEY, "style", "light" if dark else "dark"))
    st.button("EN" if L == "zh" else "中文", key="pv_lang", on_click=_switch_language)

with st.container(key="present_material"):
    st.subheader(t("会后材料", "Material for the meeting"), anchor="material")
    with st.container(key="pv_help_desk"):
        st.caption(t("放映：← → 键翻页（翻页笔的 PageUp/PageDown 也可），鼠标移到右下角显示按钮；F11 全屏。"
                     "每一屏都可直接截图。",
                     "Slides: ← → (or a clicker's PageUp/PageDown) step through the views; the buttons appear at "
                     "the bottom right under the mouse; F11 for full screen. Any view can be screenshot as it is."))
    with st.container(key="pv_help_phone"):  # a phone has no keys, mouse or F11
        st.caption(t("手机上：点卡片下方的 ‹ › 翻页；每一屏都可直接截图。",
                     "On a phone: tap ‹ › under the card to step through the views; any view can be screenshot."))
    choices = {"report": t("概数（余/多）", "Report style"), "exact": t("精确数字", "Exact figures")}
    st.segmented_control(t("报告段落与汇报 PPT 的数字", "Figures in the paragraph and the deck"), list(choices),
                         key=FIGURES_KEY, format_func=choices.get,
                         on_change=lambda: st.query_params.__setitem__("figures", st.session_state[FIGURES_KEY]
                                                                       or "report"))
    paragraph = next(s for s in deck.slides if s.key == "paragraph").body[0]
    st.caption(t("复制下面的段落（右上角复制按钮）：", "Copy the paragraph (copy button at the top right):"))
    st.code(paragraph, language=None, wrap_lines=True)
    deck_download(period, exact=figures == "exact")
    by_key = {sl.key: sl for sl in deck.slides}
    page_downloads(t("汇报", "presentation"), period,
                   figs={deck.chart_names[key]: fig for key, fig in deck.charts.items()},
                   notes={deck.chart_names[key]: by_key[key].note for key in deck.charts if key in by_key})
    st.caption(t(f"链接带上期间即可直接打开本页，例如 ?year={period.start.year} 或 "
                 f"?from={period.label_from}&to={period.label_to}；加 &view=duck 打开某一屏，&style=dark 为大屏样式。",
                 f"Open this view for a period with ?year={period.start.year} or "
                 f"?from={period.label_from}&to={period.label_to}; add &view=duck for one view, &style=dark for the "
                 "wall-screen style."))
    # A plain link, not st.page_link: from this page (no sidebar, the overview being the default
    # page at "/") the page link left the view where it was. A link loads the overview with the
    # period; the login and the language are kept by their cookies.
    back = t("退出汇报视图，回到总览", "Leave the presentation view")
    st.html(f'<a class="pv-back" href="{html.escape(back_address(period, L))}" target="_self">'
            f"← {html.escape(back)}</a>")  # text-safe: escaped; the address from the period's own labels
