"""亩均对比 Per-mu comparison: yield, output value and profit per mu of land."""

import plotly.graph_objects as go
import streamlit as st

from analytics import fmt
from analytics.figures import per_mu, tables
from analytics.meeting import charts
from analytics.scope import Period
from ui import drill
from ui.cache import q
from ui.display import chart, show_chart
from ui.export import page_downloads
from ui.scaffold import name_widths, page_start, pinned_names
from ui.state import filters_caption, lang, t

chosen, filters = page_start("亩均对比", "Per-mu comparison")
L = lang()
months = q("available_months")
# 亩均效益 5,000 元/亩 and the reference yields are yearly: the page compares a whole year
# (per_mu.yearly_basis), and says so when that is not the period chosen in the sidebar.
basis = per_mu.yearly_basis(chosen, months)
period = basis or chosen
yardsticks = basis is not None
if basis is None:
    st.warning(t(f"亩均对比按全年计：还没有一整年（1—12月都有数据）的数据，下面是{chosen.label(L)}的数字，"
                 "不画亩均效益 5,000 元/亩和参考亩产这些全年标准。",
                 f"Per-mu figures are yearly: no calendar year has all twelve months of data yet. Below are "
                 f"the figures of {chosen.label(L)}, without the yearly yardsticks (5,000 yuan/mu, reference "
                 "yields)."), icon=":material/info:")
elif basis != chosen:
    st.info(t(f"亩均对比按全年计：亩均效益 5,000 元/亩和参考亩产是全年标准，大棚的收成只落在几个月，"
              f"一个月或不满一年的累计与之相比都不真实。所选期间为{chosen.label(L)}，本页按"
              f"{basis.label(L)}全年对比。",
              f"Per-mu figures are yearly: 5,000 yuan/mu and the reference yields are yardsticks for a whole "
              f"year, and a plot's harvest falls in a few months, so a month or part of a year set against them "
              f"misleads. The period chosen is {chosen.label(L)}; this page compares the whole of "
              f"{basis.label(L)}."), icon=":material/calendar_month:")
cap = filters_caption(period, filters)
DEF = t("口径：亩均产值 = 销售收入 ÷ 面积；亩均效益 = (收入 − 成本) ÷ 面积；每棚面积取期间内最大值，不按月累加。",
        "Definition: output value per mu = revenue ÷ area; profit per mu = (revenue − cost) ÷ area; "
        "each plot's largest area in the period, never summed over months.")

GROUPS = {"crop": ("作物", "Crop"), "gh_type": ("棚型", "Type"), "cooperative": ("合作社", "Cooperative"),
          "village": ("村", "Village"), "year": ("年份", "Year")}
group_labels = {g: t(*names) for g, names in GROUPS.items()}
by = st.segmented_control(t("对比维度", "Compare by"), list(GROUPS), default="crop", key="pm_by",
                          format_func=group_labels.get) or "crop"
# Years are compared over every whole year, whatever the period filter says (a year in
# progress beside whole ones is the same mistake as a month against a yearly yardstick).
span = per_mu.years_basis(months) or Period.months(months[0], months[-1])
group_period = span if by == "year" else period


df = q("per_mu_by", by, group_period, filters)
if df.empty:
    st.info(t("所选期间和筛选条件下没有大棚数据。", "No greenhouse data for this period and filter."))
    st.stop()
name = t(*GROUPS[by])
by_name = t(f"亩均对比-按{GROUPS[by][0]}", f"per-mu-by-{GROUPS[by][1].lower()}")
# A village's bar drills to its cooperatives, a cooperative's to its crops (ui.drill).
DRILLS = {"village": ("village", "cooperative"), "cooperative": ("coop", "crop")}
# The yearly yardsticks (5,000 元/亩, the reference yields) are drawn only against a whole year;
# with one, the builders' defaults, so the build is the one the sector page and the deck share.
no_yardstick = {} if yardsticks else {"reference": None}
grouped = chart("per_mu_grouped", df, t(f"按{name}：亩均产值与亩均效益（元/亩）",
                                        f"By {name.lower()}: output value and profit per mu"), L, **no_yardstick)
event = show_chart(grouped,
                   by_name, filters_caption(group_period, filters) + t("；", "; ") + DEF
                   + (t("点击柱子可查看其下一级。", " Click a bar to see the level below.") if by in DRILLS else ""),
                   select_key=drill.key_for("per_mu", filters, by, group_period) if by in DRILLS else None)
if by in DRILLS and (picked := drill.picked_point(event)):
    drill.go(DRILLS[by][0], picked, pm_by=DRILLS[by][1])

left, right = st.columns(2)
with left:
    crops = q("per_mu_by", "crop", period, filters)
    yields = chart("crop_yield_vs_reference", crops, L, **no_yardstick)
    show_chart(yields, t("亩均对比-作物亩产", "per-mu-yield-by-crop"),
               cap + (t(f"；阴影为参考区间（{charts.reference_text()}）。",
                        "; bands: reference yields per crop (kg/mu).") if yardsticks else
                      t("；参考亩产是全年标准，不满一年不画。", "; reference yields are yearly, not drawn.")))
with right:
    cross = q("cross_sector_per_mu", period, filters)
    by_sector = chart("cross_sector", cross, L, **no_yardstick)
    show_chart(by_sector, t("亩均对比-跨板块", "per-mu-by-sector"),
               cap + t("；种鸭、生猪按占地（亩）计，只含填报了占地的单元；大棚按种植面积计。",
                       "; ducks and hogs per mu of land (units with land only); greenhouses per mu planted."))

bins = q("unit_histogram", "greenhouse", "profit_per_mu", period, filters)
histogram = chart("distribution_bins", bins, t("各大棚亩均效益分布", "Profit per mu across plots"),
                  t("元/亩", "yuan/mu"), reference=charts.POLICY_PROFIT_PER_MU if yardsticks else None,
                  reference_label=t("5,000 元/亩", "5,000 yuan/mu"), y_title=t("大棚地块数（个）", "Plots")).fig
if yardsticks:
    # The line's label inside the plot, under its top edge and beside the line: above the plot
    # it was cut by the figure's top (the chart is shared, so a copy is changed).
    histogram = go.Figure(histogram)
    histogram.update_annotations(y=1, yref="paper", yanchor="top", xanchor="left", xshift=4,
                                 bgcolor="rgba(255,255,255,0.85)")
show_chart(histogram, t("亩均对比-效益分布", "per-mu-distribution"), cap + t("；", "; ") + DEF)

st.subheader(t("亩均效益最高和最低的大棚", "Top and bottom plots by profit per mu"))
# One above the other, each the page's width: side by side, half a 1366-px screen cut the crop column.
top, bottom = st.container(), st.container()
LOWEST = ("**后 10 名**（第 1 行为最低）", "**Bottom 10** (row 1 is the lowest)")
for col, zh, en, descending in ((top, "**前 10 名**", "**Top 10**", True), (bottom, *LOWEST, False)):
    rows = q("unit_totals", "greenhouse", period, filters, sort_by="profit_per_mu", descending=descending,
             limit=10, with_value=True)
    col.markdown(t(zh, en))  # text-safe: fixed labels from the tuple above
    # Names and the ranking column first.
    table = tables.unit_table(rows, "greenhouse", L, sort_by="profit_per_mu", ascending=not descending,
                              columns=("cooperative", "unit", "crop", "area_mu", "profit_per_mu"))
    config = pinned_names(table)
    names = [tables.column_label("greenhouse", k, L) for k in ("cooperative", "crop")]
    for c, width in name_widths(table, names).items():
        config[c] = {**config.get(c, {}), "width": width}
    col.dataframe(tables.styled(table), width="stretch", column_config=config)
shown_groups = [fmt.crop_name(g, L) for g in df["group"]] if by in ("crop", "gh_type") else df["group"]
table = df.assign(group=shown_groups, **{c: df[c] / 10_000 for c in ("revenue", "cost", "profit")}).rename(columns={
    "group": name, "profit_per_mu": t("亩均效益(元/亩)", "Profit/mu (yuan)"), "plots": t("大棚数", "Plots"),
    "area_mu": t("面积(亩)", "Area (mu)"), "yield_kg": t("产量(公斤)", "Yield (kg)"),
    "revenue": t("收入(万元)", "Revenue (10k yuan)"), "cost": t("成本(万元)", "Cost (10k yuan)"),
    "profit": t("利润(万元)", "Profit (10k yuan)"), "yield_kg_per_mu": t("亩均产量(公斤)", "Yield/mu (kg)"),
    "output_value_per_mu": t("亩均产值(元/亩)", "Output/mu (yuan)")})
first = [name, t("亩均效益(元/亩)", "Profit/mu (yuan)")]
if by != "year":  # ranked by the column it leads with; years stay in order
    table = table.sort_values(first[1], ascending=False, na_position="last")
st.dataframe(tables.styled(table[first + [c for c in table.columns if c not in first]]), width="stretch",
             hide_index=True, column_config={c: {"width": w} for c, w in name_widths(table, [name]).items()})
st.caption(DEF)  # text-safe: a fixed definition

page_downloads(t("亩均对比", "per_mu"), period, filters,
               periods={by_name: group_period})  # PNG per chart and a ZIP, rendered on click
