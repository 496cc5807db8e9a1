"""总览 Overview: the park at a glance."""

import pandas as pd
import streamlit as st

from analytics import contract, fmt, scope
from analytics.figures import annual_targets, tables
from analytics.figures.compare import coverage_text
from ui import drill
from ui.cache import q
from ui.display import chart, show_chart
from ui.export import page_downloads
from ui.scaffold import change_text, page_start
from ui.scaffold import metric as _metric
from ui.sector_page import carried_line, change_line
from ui.state import filters_caption, lang, t
from ui.submissions import awaiting_review
from ui.warnings import warning_block

period, filters = page_start("园区总览", "Park overview")
L = lang()
k = q("park_kpis", period, filters)
# 环比 and 同比 over the units that reported in both periods (figures.compare): a late unit or a
# sector that has not reported changes nothing; the coverage line says who has reported.
several_towns = len(k["by_town"]) > 1  # the by-town table's change column, from the same joins
comp = q("comparisons", period, filters, several_towns)
basis = "mom" if period.is_month else "yoy"
shown = comp["period"]
cov = q("coverage", scope.Period(shown.end, shown.end), filters)
land = k["total"]["land_mu"]
cap = filters_caption(period, filters)
st.caption(coverage_text(period, cov, L, compared=shown))  # text-safe: counts, months, sector names
base = comp["mom_base"] if basis == "mom" else comp["yoy_base"]
# A base month nobody reported is named as such, not as if compared (the cards say 未报 / —).
no_base = not (comp["total"][basis] or {}).get("units_base")
st.caption(t(f"{'环比' if basis == 'mom' else '同比'}基期：{base.label('zh')}"
             + ("（该期无数据，不作比较）" if no_base else ""),
             f"{'Month-on-month' if basis == 'mom' else 'Year-on-year'} base: {base.label('en')}"
             + (" (no data then: not compared)" if no_base else "")))
if period.is_month:  # 年累计 beside 本月
    ytd = scope.Period(period.start.replace(month=1), period.end)
    y = q("park_kpis", ytd, filters)
    st.caption(t(f"年累计（{ytd.label('zh')}）：销售收入 {fmt.money(y['total']['revenue'], 'zh')}，"
                 f"利润 {fmt.money(y['total']['profit'], 'zh')}。",
                 f"Year to date ({ytd.label('en')}): revenue {fmt.money(y['total']['revenue'], 'en')}, "
                 f"profit {fmt.money(y['total']['profit'], 'en')}."))


def change(sector: str, measure: str) -> float | None:
    c = comp[sector][basis]
    return c["change"][measure] if c else None


def reported(sector: str, value: str) -> str:
    return value if k[sector]["units"] else t("未报", "Not reported")


def metric(label: str, value: str, delta: float | None, help: str | None = None, *, measure: str,
           basis: str, sector: str = "total") -> None:
    """A card; a month's card gives its 同比 under the 环比 (issue 19.2)."""
    c = comp[sector][basis]
    _metric(label, value, delta, help, measure=measure, basis=basis,
            turned=c.get("turn", {}).get(measure) if c else None)
    if basis == "mom":
        y = comp[sector]["yoy"]
        change_line(y["change"][measure] if y else None, measure,
                    reported=sector == "total" or bool(k[sector]["units"]),
                    turned=y.get("turn", {}).get(measure) if y else None)


done = q("park_completeness", period, filters)


c = st.columns(6)
with c[0]:
    metric(t("种鸭存栏", "Duck stock"), reported("duck", fmt.count(k["duck"]["stock"], "羽", " birds", L)),
           change("duck", "stock"), help=t("各鸭棚期末存栏之和", "Sum of each shed's last stock"),
           measure="stock", basis=basis, sector="duck")
    if period.is_month:
        carried_line("duck", k["duck"], done["duck"], period)
with c[1]:
    metric(t("生猪存栏", "Hog stock"), reported("hog", fmt.count(k["hog"]["stock"], "头", " head", L)),
           change("hog", "stock"), help=t("各养殖户期末存栏之和", "Sum of each farm's last stock"),
           measure="stock", basis=basis, sector="hog")
    if period.is_month:
        carried_line("hog", k["hog"], done["hog"], period)
with c[2]:
    metric(t("销售收入", "Revenue"), fmt.money(k["total"]["revenue"], L), change("total", "revenue"),
           measure="revenue", basis=basis)
with c[3]:
    metric(t("成本", "Cost"), fmt.money(k["total"]["cost"], L), change("total", "cost"),
           measure="cost", basis=basis)
with c[4]:
    metric(t("利润", "Profit"), fmt.money(k["total"]["profit"], L), change("total", "profit"),
           help=t("利润 = 销售收入 − 成本", "Profit = revenue − cost"), measure="profit", basis=basis)
with c[5]:
    metric(t("带动就业", "Jobs"), fmt.count(k["total"]["jobs"], "人", " people", L), change("total", "jobs"),
           help=t("各单元月用工峰值之和", "Sum of peak monthly workers"), measure="jobs", basis=basis)
land_text = fmt.thousands(land, 0) if land else "—"  # not reported is "—", never 0
st.caption(t(f"占地 {land_text} 亩（大棚面积 + 畜禽单元占地）",
             f"Land {land_text} mu (greenhouse area + livestock land)"))

left, right = st.columns([3, 2])
with left:
    show_chart(chart("sector_profit_trend", q("monthly_total", period, filters), L, completeness=done),
               t("总览-各板块月度利润", "overview-monthly-profit-by-sector"),
               cap + t("；口径：利润 = 销售收入 − 成本，按月、按板块合计。",
                       "; profit = revenue − cost per month and sector."))
with right:
    show_chart(chart("sector_split", {s: k[s]["revenue"] for s in ("duck", "hog", "greenhouse")},
                                   t("销售收入构成", "Revenue by sector"), L),
               t("总览-收入构成", "overview-revenue-by-sector"),
               cap + t("；口径：期间销售收入合计。", "; revenue summed over the period."))

def _pct(sector: str, key: str) -> str:
    return change_text(comp[sector][key], "profit")


profit_cols = {t("利润同比", "Profit YoY"): "yoy"} | ({t("利润环比", "Profit MoM"): "mom"} if period.is_month else {})
rows = pd.DataFrame([{
    t("板块", "Sector"): fmt.sector_name(s, L),
    t("单元数", "Units"): k[s]["units"] if k[s]["units"] else t("未报", "Not reported"),
    t("销售收入", "Revenue"): fmt.money(k[s]["revenue"], L) if k[s]["units"] else "—",
    t("利润", "Profit"): fmt.money(k[s]["profit"], L) if k[s]["units"] else "—",
    **{col: _pct(s, key) for col, key in profit_cols.items()},
    t("带动就业(人)", "Jobs"): fmt.thousands(k[s]["jobs"], 0) if k[s]["units"] else "—"}  # 未报 is never 0
    for s in contract.SECTOR_KEYS])
st.dataframe(tables.good_bad(tables.styled(rows), {col: "profit" for col in profit_cols}), width="stretch",
             hide_index=True)

if several_towns:
    st.subheader(t("各乡镇", "By town"))
    # the town's profit change over its units in both periods (figures.compare), as the cards
    town_comp = (comp["total"][basis] or {}).get("by_town", {})
    town_col = t("利润环比", "Profit MoM") if basis == "mom" else t("利润同比", "Profit YoY")

    def _town_pct(town: str) -> str:
        return change_text(town_comp.get(town), "profit")

    towns = pd.DataFrame([{
        t("乡镇", "Town"): town, t("利润", "Profit"): fmt.money(b["profit"], L), town_col: _town_pct(town),
        t("单元数", "Units"): b["units"], t("销售收入", "Revenue"): fmt.money(b["revenue"], L),
        t("带动就业(人)", "Jobs"): b["jobs"], t("占地(亩)", "Land (mu)"): b["land_mu"]}
        for town, b in sorted(k["by_town"].items(), key=lambda kv: -kv[1]["profit"])])
    towns.index = towns.index + 1
    picked = st.dataframe(tables.good_bad(tables.styled(towns), {town_col: "profit"}), width="stretch",
                          height=min(38 + 35 * len(towns), 400),
                          on_select="rerun", selection_mode="single-row", key=drill.key_for("towns", filters, period))
    if (i := drill.picked_row(picked)) is not None and not filters.towns:  # a town's row drills to it
        drill.go("town", towns.iloc[i][t("乡镇", "Town")])

if period.is_full_year:
    progress = annual_targets.progress(q("targets", period.start.year), k)  # the same KPIs as the cards
    if len(progress) and (filters.towns or filters.cooperatives or filters.villages or filters.zones):
        # Targets are set for the whole park: a cooperative's figures against them mean nothing.
        st.caption(t(f"{period.start.year}年目标是全园区的目标，选了乡镇、合作社、村或小区时不显示完成进度"
                     "（管理员没有为所选范围设定目标）。清除这些筛选即可查看。",
                     f"The {period.start.year} targets are park-wide: progress is not shown under a town, "
                     "cooperative, village or zone filter (no target is set for that selection). "
                     "Clear those filters to see it."))
    elif len(progress):
        show_chart(chart("progress_bars", progress, L),
                   t(f"总览-{period.start.year}年目标进度", f"overview-targets-{period.start.year}"),
                   cap + t("；目标为全园区目标，由管理员在“管理”页设定。",
                           "; park-wide targets, set by the admin."))

warning_block()  # 预警: the open count, for the office

# The chase is about the newest month with data, whatever period is shown; the heading names
# it, so an older view is not read as being about its own month.
latest = q("data_as_of")["latest_month"]
st.subheader(t(f"上报情况（最新月份 {latest}）", f"Reporting (latest month {latest})") if latest  # text-safe: YYYY-MM
             else t("上报情况", "Reporting"))
missing = q("missing_reports", latest, filters)
if missing.empty:
    st.success(t(f"近 12 个月上报过的合作社都已上报 {latest} 月报。",  # text-safe: YYYY-MM from lists.data_as_of
                 f"Every cooperative that reported in the last 12 months has reported {latest}."))
else:
    st.warning(t(f"以下合作社近 12 个月上报过，尚未上报 {latest} 月报：",  # text-safe: YYYY-MM from lists.data_as_of
                 f"Reported in the last 12 months, not yet for {latest}:"))
    missing = awaiting_review(missing, latest)  # 待审核 is not missing: it awaits the office
    st.dataframe(tables.styled(missing.assign(sector=[fmt.sector_name(s, L) for s in missing["sector"]]).rename(
        columns={"sector": t("板块", "Sector"), "cooperative": t("合作社", "Cooperative"),
                 "status": t("状态", "Status"),
                 "last_month": t("最近上报月份", "Last month reported"), "units": t("单元数", "Units")})),
        hide_index=True, width="stretch")

page_downloads(t("总览", "overview"), period, filters)  # PNG per chart and a ZIP, rendered on click
