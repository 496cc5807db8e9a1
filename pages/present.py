"""汇报 Presentation view: 16:9 screens for slides, the report paragraph, the deck and PNGs.

No sidebar, no controls above the views; each view carries its title, period, 数据截至,
source and 口径, so a screenshot goes into a slide without cropping. Period: ?year=2022 or
?from=2023-01&to=2023-06, else the sidebar filter's choice, else the latest complete year.
Figures are whole-park (the sidebar's cooperative/village filters do not apply), the same
as ``python -m analytics kpis``.
"""

import html

import streamlit as st

from analytics import export, fmt, kpis, narrative
from analytics.text import md
from ui.common import is_demo, lang, metric, no_data, q, show_chart, t
from ui.export import deck_download, page_downloads

PERIOD_KEY = "_present_period"

st.html("""<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"] {display: none !important;}
[data-testid="stMainBlockContainer"] {padding: 1rem 2rem 3rem 2rem; max-width: 100%;}
[class*="st-key-pv_"] {aspect-ratio: 16 / 9; padding: 1.6rem 2.2rem 1rem 2.2rem; background: #fff;
  border: 1px solid #d9e2dc; border-radius: 6px; margin-bottom: 2.5rem; justify-content: flex-start;}
[class*="st-key-pv_"] > div:last-child {margin-top: auto;}
[class*="st-key-pv_"] h1 {font-size: 2.4rem; padding: 0 0 .2rem 0; color: #1F4E3D;}
[class*="st-key-pv_"] h3 {font-size: 1.6rem; color: #1F4E3D;}
[class*="st-key-pv_"] [data-testid="stMetricValue"] {font-size: 2.3rem;}
[class*="st-key-pv_"] [data-testid="stMetricLabel"] p {font-size: 1.15rem;}
.st-key-pv_paragraph p.report {font-size: 1.75rem; line-height: 2.1; text-indent: 2em; color: #222;
  margin: .6rem 0;}
.pv-lines {font-size: 1.25rem; color: #222; line-height: 1.9;}
.pv-lines b {color: #1F4E3D; font-weight: 600;}
.pv-demo {color: #B03030; font-weight: 600;}
.pv-stamp {font-size: .95rem; color: #555; border-top: 1px solid #d9e2dc; padding-top: .45rem;}
</style>""")


def resolve_period() -> kpis.Period | None:
    """Query params, then the sidebar's session value, then the latest complete year."""
    years = q("available_years")
    if not years:
        return None
    qp = st.query_params
    try:
        if qp.get("year"):
            period = kpis.Period.year(int(qp["year"]))
        elif qp.get("from") and qp.get("to"):
            period = kpis.Period.months(qp["from"], qp["to"])
        else:
            period = None
    except ValueError as e:
        st.error(t(f"链接里的期间有误：{md(e)}；已改用默认期间。",
                   f"Bad period in the link: {md(e)}; using the default."))
        period = None
    ss = st.session_state
    if period is None and ss.get("f_mode") == "range" and ss.get("f_range"):
        period = kpis.Period.months(*ss["f_range"])
    elif period is None and ss.get("f_mode", "year") == "year" and ss.get("f_year"):
        period = kpis.Period.year(ss["f_year"])
    # the sidebar's widget values vanish after the first run without the sidebar: keep ours
    period = period or ss.get(PERIOD_KEY)
    if period is None:
        period = kpis.Period.year(q("default_year"))
    ss[PERIOD_KEY] = period
    return period


period = resolve_period()
if period is None:
    no_data()
    st.stop()
L = lang()
facts = narrative.gather(q, period)
k = facts.kpis
as_of = export.as_of_label(q("data_as_of"), L)
source = export.source_label(is_demo(), L)
plabel = period.label(L)
if not any(k[s]["units"] for s in ("duck", "hog", "greenhouse")):
    st.warning(t(f"{plabel}没有上报数据。可在链接里换一个期间，如 ?year={q('available_years')[-1]:d}。",
                 f"No reports for {plabel}. Try another period, e.g. ?year={q('available_years')[-1]:d}."))


def stamp(*keys: str) -> None:
    """数据截至, 来源 and the 口径 of the figures in the view, as its last line."""
    defs = "；".join(f"{d[0]}：{d[1]}" if L == "zh" else f"{d[0]}: {d[2]}"
                    for d in (narrative.DEFINITIONS[key] for key in keys))
    src = f'<span class="pv-demo">{html.escape(source)}</span>' if is_demo() else html.escape(source)
    st.html(f'<div class="pv-stamp">{html.escape(as_of)} ｜ {t("来源", "Source")}：{src}<br>'
            f'{t("口径", "Definitions")}：{html.escape(defs)}</div>')


def view(key: str, title_zh: str, title_en: str):
    box = st.container(key=f"pv_{key}")
    box.title(f"{t(title_zh, title_en)} · {plabel}", anchor=False)  # text-safe: titles checked at view() calls
    return box


def big(fig, height: int = 470):
    """Larger type and a fixed height so the charts fill a 16:9 view."""
    fig.update_layout(height=height, font={"size": 15}, title={"font": {"size": 19}})
    return fig


def lines_html(pairs: list[tuple[str, str]]) -> None:
    st.html('<div class="pv-lines">' + "　".join(f"<b>{html.escape(a)}</b> {html.escape(b)}"
                                                for a, b in pairs) + "</div>")


def sector_metrics(sector: str, rows: list[tuple[str, str, str, float | None]]) -> None:
    st.subheader(fmt.sector_name(sector, L), anchor=False)
    for zh, en, value, change in rows:
        metric(t(zh, en), value, change)


with view("kpis", f"{export.TOWNSHIP}园区生产情况", "Park production at a glance"):
    d, h, g, tot = k["duck"], k["hog"], k["greenhouse"], k["total"]
    c = st.columns(4, gap="large")
    with c[0]:
        sector_metrics("duck", [
            ("种鸭棚数", "Duck sheds", f"{d['units']:,}", None),
            ("种鸭存栏", "Duck stock", fmt.count(d["stock"], "羽", " birds", L), None),
            ("种鸭净利润", "Duck profit", fmt.money(d["profit"], L), narrative.yoy(facts, "duck", "profit")),
            ("种鸭带动就业", "Duck jobs", fmt.count(d["jobs"], "人", " people", L), None)])
    with c[1]:
        sector_metrics("hog", [
            ("养猪户", "Hog farms", f"{h['units']:,}", None),
            ("生猪存栏", "Hog stock", fmt.count(h["stock"], "头", " head", L), None),
            ("生猪利润", "Hog profit", fmt.money(h["profit"], L), narrative.yoy(facts, "hog", "profit")),
            ("生猪带动就业", "Hog jobs", fmt.count(h["jobs"], "人", " people", L), None)])
    with c[2]:
        sector_metrics("greenhouse", [
            ("大棚数", "Greenhouses", f"{g['units']:,}", None),
            ("种植面积", "Area", f"{fmt.thousands(g['area_mu'], 0)} {t('亩', 'mu')}", None),
            ("亩均效益", "Profit per mu", fmt.per_mu(g["profit_per_mu"], L),
             narrative.yoy(facts, "greenhouse", "profit_per_mu")),
            ("大棚带动就业", "Greenhouse jobs", fmt.count(g["jobs"], "人", " people", L), None)])
    with c[3]:
        st.subheader(t("全镇", "Township"), anchor=False)
        metric(t("流转土地", "Land"), f"{fmt.thousands(facts.land_mu, 0)} {t('亩', 'mu')}")
        metric(t("养殖小区", "Breeding zones"), f"{facts.zones}")
        metric(t("总利润", "Total profit"), fmt.money(tot["profit"], L))
        metric(t("带动就业", "Jobs"), fmt.count(tot["jobs"], "人", " people", L))
    stamp("units", "stock", "profit", "jobs", "profit_per_mu", "land")

figs = export.meeting_figures(q, period, L)
lines = export.sector_lines(facts, L)
for section, zh, en, keys in (("duck", "种鸭养殖", "Breeder ducks", ("stock", "profit", "jobs")),
                              ("hog", "生猪养殖", "Hogs", ("stock", "profit", "jobs")),
                              ("greenhouse", "大棚种植", "Greenhouses", ("profit_per_mu", "jobs"))):
    mine = [f for f in figs if f.section == section]
    if not mine:
        continue
    with view(section, zh, en):
        lines_html(lines[section])
        for col, chart in zip(st.columns(len(mine)), mine):
            with col:
                show_chart(big(chart.fig), chart.name, "")
        stamp(*keys)

cross_figs = [f for f in figs if f.section == "per_mu"]
if cross_figs:
    with view("per_mu", "亩均效益对比", "Per-mu comparison"):
        left, right = st.columns([2, 3], gap="large")
        with left:
            *figures, note = export.per_mu_lines(q("cross_sector_per_mu", period), L)
            st.html('<div class="pv-lines">' + "<br>".join(html.escape(x) for x in figures)
                    + f'<br><small style="color:#555">{html.escape(note)}</small></div>')
        with right:
            show_chart(big(cross_figs[0].fig, 540), cross_figs[0].name, "")
        stamp("profit_per_mu", "land")

with view("paragraph", "工作报告表述", "Report paragraph"):
    text = narrative.compose(facts, lang=L)
    st.html(f'<p class="report">{html.escape(text)}</p>')
    stamp("rounding", "yoy", "land", "zones")

st.divider()
st.subheader(t("会后材料", "Material for the meeting"), anchor=False)
exact = st.toggle(t("精确数字（不按“余/多”取整）", "Exact figures (no rounding)"), key="_present_exact")
st.caption(t("复制下面的段落（右上角复制按钮）：", "Copy the paragraph (copy button at the top right):"))
st.code(narrative.compose(facts, lang=L, exact=exact), language=None, wrap_lines=True)
deck_download(period)
page_downloads(t("汇报", "presentation"))
st.caption(t(f"链接带上期间即可直接打开本页，例如 ?year={period.start.year} 或 "
             f"?from={period.label_from}&to={period.label_to}",
             f"Open this view for a period with ?year={period.start.year} or "
             f"?from={period.label_from}&to={period.label_to}"))
st.page_link("pages/overview.py", label=t("退出汇报视图，回到总览", "Leave the presentation view"),
             icon=":material/arrow_back:")
