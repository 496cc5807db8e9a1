"""The three sector pages share one layout; each page file names its sector."""

from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from analytics import fmt, ingest, scope
from analytics.figures import kpis, tables
from analytics.figures.compare import TURNS, coverage_text, is_good, turn_text
from analytics.meeting import slides
from analytics.store.db import Store
from ui import drill
from ui.cache import q, store
from ui.display import chart, show_chart
from ui.export import page_downloads
from ui.scaffold import metric as _metric
from ui.scaffold import page_start, pinned_names, several_towns
from ui.state import filters_caption, lang, t
from ui.warnings import sows_light

PAGE_SIZE = 50  # units per table page: one screen, far below Streamlit's styled-table limit

TITLES = {"duck": ("种鸭", "Breeder ducks"), "hog": ("生猪", "Hogs"), "greenhouse": ("大棚", "Greenhouses")}


def change_line(delta: float | None, measure: str, *, reported: bool = True, turned: str | None = None) -> None:
    """A month card's 同比 under its 环比 (issue 19.2: every card gives both): "同比 +3.2%" in the
    colour of good or bad news for ``measure`` (compare.is_good: cost up is red), "同比 未报" for a
    sector that has not reported the month, "同比 扭亏为盈" where a loss is on either side
    (``turned``, a compare.TURNS key), "同比 —" without a base a year earlier."""
    if not reported:
        text, colour = t("未报", "not reported"), "gray"
    elif delta is None and turned is not None:
        text, colour = turn_text(turned, lang()), "green" if TURNS[turned][2] else "red"
    else:
        good = is_good(measure, delta)
        text, colour = fmt.pct(delta), "gray" if good is None else "green" if good else "red"
    st.caption(f"{t('同比', 'YoY')} :{colour}[{text}]")  # text-safe: a percentage or a fixed word


def carried_line(sector: str, k: dict, done: pd.DataFrame, period: scope.Period) -> None:
    """Under a month's 存栏 card, when some units have not reported the month: how many, and the
    stock with theirs of the month before — the hollow point of the stock chart (charts.stock_trend),
    so card and chart tell the same story. The card itself is the month's reports (存栏's 口径:
    each unit's value in the last month it reported in the period)."""
    if done is None or done.empty or done.iloc[-1]["month"] != period.label_to or not int(done.iloc[-1]["missing"]):
        return
    last = done.iloc[-1]
    n, su, (noun, noun_en) = int(last["missing"]), fmt.STOCK_UNIT[sector], fmt.UNIT_NOUNS[sector]
    carried = fmt.count(k["stock"] + int(last["missing_stock"]), su[0], su[1], lang())
    st.caption(t(f"另有 {n:,} {noun}未报，按其上月存栏计入合计约 {carried}",  # text-safe: counts
                 f"{n:,} {noun_en if n != 1 else noun_en[:-1]} not reported; with their last month's stock "
                 f"in total ≈ {carried}"))


def _cards(sector: str, k: dict, comp: dict, ratios: dict, basis: str, done: pd.DataFrame | None = None,
           period: scope.Period | None = None) -> None:
    """The sector's cards: values over every unit that reported, changes (环比 for a month, else
    同比) over the units that reported in both periods (figures.compare), coloured good or bad; a
    month's cards give 同比 too (:func:`change_line`) and its 存栏 card the units not yet reported
    (:func:`carried_line`, from ``done``: completeness.month_completeness of the page)."""
    L = lang()
    c = comp[basis]
    month = basis == "mom"

    def d(key: str) -> float | None:
        return c["change"].get(key) if c else None

    def metric(label: str, value: str, delta: float | None, help: str | None = None, *, key: str) -> None:
        _metric(label, value, delta, help, measure=key, basis=basis,
                turned=c.get("turn", {}).get(key) if c else None)
        if month:
            y = comp["yoy"]
            change_line(y["change"].get(key) if y else None, key, reported=bool(k["units"]),
                        turned=y.get("turn", {}).get(key) if y else None)
    cols = st.columns(6)
    unit_zh, unit_en = {"duck": ("棚", " sheds"), "hog": ("户", " farms"),
                        "greenhouse": ("个", " plots")}[sector]
    with cols[0]:
        metric(t("单元数", "Units"), fmt.count(k["units"], unit_zh, unit_en, L), d("units"), key="units")
    with cols[1]:
        if sector == "greenhouse":
            metric(t("面积", "Area"), f"{fmt.thousands(k['area_mu'], 1)} {t('亩', 'mu')}", d("area_mu"), key="area_mu",
                   help=t("每个大棚取期间内最大面积，不按月累加", "Each plot's largest area in the period"))
        else:
            su = fmt.STOCK_UNIT[sector]
            metric(t("存栏", "Stock"), fmt.count(k["stock"], su[0], su[1], L), d("stock"), key="stock",
                   help=t("各单元期末（最后上报月）存栏之和", "Sum of each unit's last reported stock"))
            if month and period is not None:
                carried_line(sector, k, done, period)
    with cols[2]:
        metric(t("销售收入", "Revenue"), fmt.money(k["revenue"], L), d("revenue"), key="revenue")
    with cols[3]:
        metric(t("成本", "Cost"), fmt.money(k["cost"], L), d("cost"), key="cost")
    with cols[4]:
        metric(t("利润", "Profit"), fmt.money(k["profit"], L), d("profit"), key="profit",
               help=t("利润 = 销售收入 − 成本", "Profit = revenue − cost"))
    with cols[5]:
        metric(t("带动就业", "Jobs"), fmt.count(k["jobs"], "人", " people", L), d("jobs"), key="jobs",
               help=t("各单元期间内月用工峰值之和", "Sum over units of peak monthly workers"))
    r = st.columns(4)
    if sector == "duck":
        r[0].metric(t("每羽产蛋（枚）", "Eggs per bird"), fmt.thousands(ratios["eggs_per_bird"], 1))
        r[1].metric(t("月均死淘率（‰）", "Monthly mortality (‰)"),
                    fmt.thousands(ratios["monthly_mortality_permille"], 2))
        r[2].metric(t("棚均利润", "Profit per shed"), fmt.money(ratios["profit_per_shed"], L))
        r[3].metric(t("产蛋（万枚）", "Eggs (10k)"), fmt.wan(k["eggs"], 1))
    elif sector == "hog":
        r[0].metric(t("出栏（头）", "Marketed (head)"), fmt.thousands(k["sold_head"]))
        r[1].metric(t("头均利润", "Profit per head"), fmt.money(ratios["profit_per_head"], L))
        r[2].metric(t("月均死亡率（‰）", "Monthly mortality (‰)"),
                    fmt.thousands(ratios["monthly_mortality_permille"], 2))
        r[3].metric(t("能繁母猪（头）", "Sows (head)"), fmt.thousands(k["sows"]))
    else:
        r[0].metric(t("亩均产量", "Yield per mu"), fmt.per_mu(k["yield_kg_per_mu"], L, "公斤"))
        r[1].metric(t("亩均产值", "Output value per mu"), fmt.per_mu(k["output_value_per_mu"], L))
        r[2].metric(t("亩均效益", "Profit per mu"), fmt.per_mu(k["profit_per_mu"], L))
        r[3].metric(t("总产量", "Total yield"), f"{fmt.thousands(k['yield_kg'] / 1000, 0)} {t('吨', 't')}")


def render(sector: str) -> None:
    zh, en = TITLES[sector]
    period, filters = page_start(zh, en)
    L = lang()
    k = q("sector_kpis", sector, period, filters)
    comp = q("sector_comparison", sector, period, filters)
    basis = "mom" if period.is_month else "yoy"
    if not k["units"]:
        st.info(t("所选期间和筛选条件下没有数据。", "No data for this period and filter."))
        return
    m = q("monthly", sector, period, filters)
    done = q("month_completeness", sector, period, filters)  # the latest month drawn as what it is
    # This sector's units, not the park's: a hog page's line counts hog farms.
    cov = q("coverage", scope.Period(comp["period"].end, comp["period"].end), filters, (sector,))
    st.caption(coverage_text(period, cov, L, compared=comp["period"], sector=sector))  # text-safe: counts, months
    _cards(sector, k, comp, kpis.ratios(sector, k, m), basis, done, period)
    if sector == "hog" and not m.empty:
        sows_light(m["month"].iloc[-1], filters)
    cap = filters_caption(period, filters)
    left, right = st.columns(2)
    with left:
        if sector == "greenhouse":
            fig = chart("monthly_bar", m, "yield_kg", t("月度采收产量（吨）", "Monthly harvest (t)"),
                                     scale=1000, sector=sector, completeness=done, lang=L, unit=t("吨", "t"))
            show_chart(fig, t(f"{zh}-月度产量", f"{en}-monthly-harvest"), cap + t("；口径：当月各棚采收产量之和。",
                                                    "; monthly harvest summed over plots."))
        else:
            show_chart(chart("stock_trend", m, sector, L, completeness=done), t(f"{zh}-月末存栏", f"{en}-stock"),
                       cap + t("；口径：当月各单元上报存栏之和（不跨月累加）。",
                               "; sum of the month's reported stock (never summed over months)."))
    with right:
        show_chart(chart("money_trend", m, t(f"{zh}月度收入、成本与利润（万元）",
                                           f"{en}: monthly revenue, cost, profit (10k yuan)"), L,
                                      sector=sector, completeness=done),
                   t(f"{zh}-收入成本利润", f"{en}-revenue-cost-profit"),
                   cap + t("；口径：利润 = 销售收入 − 成本，按月合计。",
                           "; profit = revenue − cost, summed per month."))
    if sector == "greenhouse":
        crops = q("per_mu_by", "crop", period, filters)
        left, right = st.columns(2)
        with left:
            show_chart(chart("crop_yield_vs_reference", crops, L), t("大棚-作物亩产", "greenhouses-yield-by-crop"),
                       cap + t("；口径：亩均产量 = 产量 ÷ 面积（每棚取最大面积）；阴影为参考区间。",
                               "; yield per mu = yield ÷ area (each plot's largest area); band = reference."))
        with right:
            show_chart(chart("per_mu_grouped", crops, t("各作物亩均产值与亩均效益（元/亩）",
                                                      "Output value and profit per mu by crop"), L),
                       t("大棚-作物亩均产值", "greenhouses-per-mu-by-crop"),
                       cap + t("；口径：亩均产值 = 收入 ÷ 面积；亩均效益 = 利润 ÷ 面积。",
                               "; output value per mu = revenue ÷ area; profit per mu = profit ÷ area."))
    unit_explanations(sector, filters)
    st.subheader(t("单元排名（按利润）", "Units ranked by profit"))
    unit_table(sector, period, filters, k["units"], zh)
    st.caption(cap + t("；口径：存栏取各单元期末值；收入、成本按月累加；就业取月用工峰值。"
                       "“最近上报”带 ⚠ 的单元上月未报；点击一行查看该单元。",
                       "; stock is each unit's last value; revenue and cost summed; jobs = peak workers. "
                       "⚠: the unit has not reported last month; click a row to see that unit."))
    page_downloads(zh, period, filters)  # PNG per chart and a ZIP, rendered on click


def _download(sector: str, period: scope.Period, filters: scope.Filters, L: str, kind: str, sheet: str) -> bytes:
    """Every unit of the selection as CSV or Excel: built only when the button is clicked."""
    table = tables.unit_table(q("unit_totals", sector, period, filters), sector, L, town=several_towns())
    return tables.to_csv_bytes(table) if kind == "csv" else tables.to_xlsx_bytes(table, sheet)


def as_of_badges(sector: str, rows: pd.DataFrame) -> list[str]:
    """Each unit's latest report month; ⚠ when older than the month before the newest data
    (it has not reported last month)."""
    latest = q("data_as_of")["latest_month"]
    if not latest or rows.empty:
        return ["—"] * len(rows)
    y, m = int(latest[:4]), int(latest[5:])
    last = f"{y - (m == 1):04d}-{(m - 2) % 12 + 1:02d}"
    seen = q("last_reports", sector, tuple(rows["cooperative"]), tuple(rows["unit"]))
    out = []
    for c, u in zip(rows["cooperative"], rows["unit"], strict=True):
        month = seen.get((c, u))
        out.append("—" if month is None else month if month >= last else f"⚠ {month}")
    return out


def unit_table(sector: str, period: scope.Period, filters: scope.Filters, n_units: int, zh: str) -> None:
    """Units ranked by profit, one page of PAGE_SIZE at a time (paged in SQL), and downloads
    of all of them built on click."""
    L = lang()
    pages = max(1, -(-n_units // PAGE_SIZE))
    page = 1
    # The page number goes under the table: above it, the table's toolbar covers its − + buttons.
    slot = st.container()
    if pages > 1:
        page = int(st.number_input(t(f"页码（共 {pages:,} 页）", f"Page (of {pages:,})"), 1, pages, 1,
                                   key=f"units_page_{sector}"))
    rows = q("unit_totals", sector, period, filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    table = tables.unit_table(rows, sector, L, wan=True, town=several_towns())
    table.index = table.index + (page - 1) * PAGE_SIZE
    ranked = rows.sort_values("profit", ascending=False).reset_index(drop=True)  # the table's row order
    # After the names and the ranking column, which a 1366-pixel screen must show first.
    table.insert(sum(c in table.columns for c in tables.column_names(sector, L)) + 1, t("最近上报", "Latest report"),
                 as_of_badges(sector, ranked))
    event = slot.dataframe(tables.styled(table), width="stretch", height=360, column_config=pinned_names(table),
                           on_select="rerun", selection_mode="single-row",
                           key=drill.key_for(f"units_{sector}", filters, period, page))
    if (i := drill.picked_row(event)) is not None and not filters.units:
        drill.go_unit(ranked.loc[i, "cooperative"], ranked.loc[i, "unit"])
    first = (page - 1) * PAGE_SIZE + 1
    st.caption(t(f"第 {first:,}–{first + len(table) - 1:,} 名，共 {n_units:,} 个单元",
                 f"Ranks {first:,}–{first + len(table) - 1:,} of {n_units:,} units"))
    label = slides.file_period(period, L)
    name = t(f"{zh}-单元排名_{label}", f"{sector}-units-ranked_{label}")
    c1, c2, _ = st.columns([1, 1, 4])
    c1.download_button(t("下载 CSV", "Download CSV"), partial(_download, sector, period, filters, L, "csv", zh),
                       f"{name}.csv", "text/csv", on_click="ignore", key=f"units_csv_{sector}")
    c2.download_button(t("下载 Excel", "Download Excel"), partial(_download, sector, period, filters, L, "xlsx", zh),
                       f"{name}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       on_click="ignore", key=f"units_xlsx_{sector}")


EXPLANATION_COLUMNS = {"month": ("月份", "Month"), "checks": ("核实内容", "What was checked"),
                       "explanation": ("上报说明", "Explanation"), "uploaded_by": ("上报人", "Uploaded by"),
                       "upload_id": ("上传编号", "Upload")}


def unit_explanations(sector: str, filters: scope.Filters) -> None:
    """Drilled down to one unit, its history is on screen: beside it, the 上报说明 its uploader
    wrote for values outside the usual ranges (upload_explanations), newest first, every month
    kept — so whoever reads a surprising figure reads why it was reported so."""
    if len(filters.units) != 1 or len(filters.cooperatives) != 1:
        return
    s = store()
    if not isinstance(s, Store):  # the Parquet lake carries the figures, not the upload records
        return
    cur = s.cursor()
    try:
        got = ingest.explanations(cur, sector=sector, cooperative=filters.cooperatives[0], unit=filters.units[0])
    finally:
        cur.close()
    if got.empty:
        return
    st.subheader(t("上报说明", "Explanations given with the figures"))
    st.caption(t("这个单元超出常见范围、上报时写明了原因的数值（最新的在前，含所选期间以外的月份）。",
                 "Values of this unit outside the usual ranges, with the reason given when they were "
                 "uploaded (newest first, months outside the chosen period included)."))
    shown = got.assign(month=pd.to_datetime(got["month"]).dt.strftime("%Y-%m"))[list(EXPLANATION_COLUMNS)]
    st.dataframe(shown.rename(columns={k: t(*v) for k, v in EXPLANATION_COLUMNS.items()}), hide_index=True,
                 width="stretch", key=f"unit_explanations_{sector}")
