"""Plotly figure builders. Every chart the pages, the PNG export and the slides show.

Conventions: Chinese font first (so kaleido renders glyphs, not boxes), month axes as
categories (a "2023-01" string would otherwise become an English date axis), money in
万元 on axes, one colour per sector everywhere.

Names from uploads (cooperatives, villages, crops, units) reach axes, ticks and hover text,
where Plotly understands some HTML (``<a href>``, ``<b>``): they pass through
:func:`_labels` (``analytics.text.chart_label``) first and are drawn as typed.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from . import fmt, text, theme

# Colours and fonts come from the one theme (analytics/theme.py) shared with the 汇报 views
# and the deck; builders use the light palette's roles, the dark style recolours by role.
FONT = theme.CHART_FONT
_P = theme.LIGHT
SECTOR_COLORS = _P.sectors
PALETTE = list(_P.series)

# DESIGN.md §6: typical yield per mu (kg) — a low–high band per crop.
CROP_REFERENCE_KG_PER_MU = {"无籽西瓜": (3_000, 5_000), "山药": (2_000, 3_000),
                            "辣椒": (1_500, 2_500), "药材": (300, 400)}
POLICY_PROFIT_PER_MU = 5_000  # 亩均效益 yardstick of the report: "亩均效益5000余元"


def _labels(values: pd.Series) -> list[str]:
    """Category labels from user data, escaped for Plotly's pseudo-HTML."""
    return [text.chart_label(v) for v in values.astype(str)]


def _L(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def base_layout(fig: go.Figure, title: str, *, height: int = 380) -> go.Figure:
    return theme.chart_layout(fig, title, height=height)


def _month_axis(fig: go.Figure) -> None:
    fig.update_xaxes(type="category", tickangle=-45, nticks=18)


def stock_trend(df: pd.DataFrame, sector: str, lang: str = "zh") -> go.Figure:
    """Month-end stock: the sum of that month's reports."""
    unit = fmt.STOCK_UNIT[sector][0] if lang == "zh" else ""
    fig = go.Figure(go.Scatter(
        x=df["month"], y=df["stock"], mode="lines+markers", line={"color": SECTOR_COLORS[sector]},
        name=_L(lang, "存栏", "Stock"),
        hovertemplate="%{x}<br>%{y:,.0f}" + unit + "<extra></extra>"))
    base_layout(fig, _L(lang, f"{fmt.sector_name(sector)}月末存栏（{unit}）",
                        f"{fmt.sector_name(sector, 'en')}: stock at month end"))
    fig.update_yaxes(tickformat=",.0f", rangemode="tozero")
    _month_axis(fig)
    return fig


def money_trend(df: pd.DataFrame, title: str, lang: str = "zh") -> go.Figure:
    """Monthly revenue and cost as bars, profit as a line, in 万元."""
    fig = go.Figure()
    for col, zh, en, color in (("revenue", "销售收入", "Revenue", _P.revenue),
                               ("cost", "成本", "Cost", _P.cost)):
        fig.add_bar(x=df["month"], y=df[col] / 10_000, name=_L(lang, zh, en), marker_color=color,
                    hovertemplate="%{x}<br>%{y:,.1f} " + _L(lang, "万元", "×10k yuan") + "<extra></extra>")
    fig.add_scatter(x=df["month"], y=df["profit"] / 10_000, name=_L(lang, "利润", "Profit"),
                    mode="lines+markers", line={"color": _P.profit, "width": 2.5},
                    hovertemplate="%{x}<br>%{y:,.1f} " + _L(lang, "万元", "×10k yuan") + "<extra></extra>")
    base_layout(fig, title)
    fig.update_layout(barmode="group")
    fig.update_yaxes(title=_L(lang, "万元", "10k yuan"), tickformat=",.0f")
    _month_axis(fig)
    return fig


def sector_profit_trend(df: pd.DataFrame, lang: str = "zh") -> go.Figure:
    """Monthly profit per sector, stacked; df from kpis.monthly_total."""
    fig = go.Figure()
    for sector, part in df.groupby("sector", sort=False):
        fig.add_bar(x=part["month"], y=part["profit"] / 10_000, name=fmt.sector_name(sector, lang),
                    marker_color=SECTOR_COLORS[sector],
                    hovertemplate="%{x}<br>%{y:,.1f}<extra>" + fmt.sector_name(sector, lang) + "</extra>")
    base_layout(fig, _L(lang, "各板块月度利润（万元）", "Monthly profit by sector (10k yuan)"))
    fig.update_layout(barmode="relative")
    fig.update_yaxes(tickformat=",.0f")
    _month_axis(fig)
    return fig


def sector_split(values: dict[str, float], title: str, lang: str = "zh") -> go.Figure:
    """Share of a total by sector (e.g. revenue or jobs)."""
    keys = [k for k, v in values.items() if v and v > 0]
    fig = go.Figure(go.Pie(
        labels=[fmt.sector_name(k, lang) for k in keys], values=[values[k] for k in keys],
        marker={"colors": [SECTOR_COLORS[k] for k in keys]}, hole=0.45, sort=False,
        textinfo="label+percent"))
    base_layout(fig, title, height=340)
    fig.update_layout(showlegend=False)
    return fig


def bar_ranked(df: pd.DataFrame, x: str, y: str, title: str, *, color: str = _P.accent,
               value_format: str = ",.0f", reference: float | None = None,
               reference_label: str = "") -> go.Figure:
    """Horizontal bars sorted by value, with an optional reference line."""
    d = df.sort_values(x)
    fig = go.Figure(go.Bar(x=d[x], y=_labels(d[y]), orientation="h", marker_color=color,
                           text=[format(v, value_format) if pd.notna(v) else "" for v in d[x]],
                           textposition="auto", hovertemplate="%{y}<br>%{x:" + value_format + "}<extra></extra>"))
    base_layout(fig, title, height=max(300, 36 * len(d) + 120))
    fig.update_yaxes(type="category")
    fig.update_xaxes(tickformat=value_format)
    if reference is not None:
        fig.add_vline(x=reference, line_dash="dash", line_color=_P.reference,
                      annotation_text=reference_label, annotation_position="top")
    return fig


def crop_yield_vs_reference(df: pd.DataFrame, lang: str = "zh") -> go.Figure:
    """Yield per mu per crop with the reference band of DESIGN.md §6."""
    fig = go.Figure(go.Bar(
        x=_labels(df["group"]), y=df["yield_kg_per_mu"], marker_color=_P.sectors["greenhouse"],
        name=_L(lang, "亩均产量", "Yield per mu"),
        text=[f"{v:,.0f}" for v in df["yield_kg_per_mu"]], textposition="outside",
        hovertemplate="%{x}<br>%{y:,.0f} " + _L(lang, "公斤/亩", "kg/mu") + "<extra></extra>"))
    for i, crop in enumerate(df["group"]):
        band = CROP_REFERENCE_KG_PER_MU.get(crop)
        if band:
            fig.add_shape(type="rect", xref="x", yref="y", x0=i - 0.45, x1=i + 0.45,
                          y0=band[0], y1=band[1], fillcolor=_P.band,
                          line={"color": _P.band_line, "dash": "dot"}, layer="below")
    base_layout(fig, _L(lang, "各作物亩均产量与参考区间（公斤/亩）", "Yield per mu by crop vs reference (kg/mu)"))
    fig.update_xaxes(type="category")
    fig.update_yaxes(tickformat=",.0f", rangemode="tozero")
    return fig


def per_mu_grouped(df: pd.DataFrame, title: str, lang: str = "zh") -> go.Figure:
    """Output value and profit per mu side by side for each group; df from kpis.per_mu_by."""
    fig = go.Figure()
    groups = _labels(df["group"])
    fig.add_bar(x=groups, y=df["output_value_per_mu"], name=_L(lang, "亩均产值", "Output value per mu"),
                marker_color=_P.pale, hovertemplate="%{x}<br>%{y:,.0f}<extra></extra>")
    fig.add_bar(x=groups, y=df["profit_per_mu"], name=_L(lang, "亩均效益", "Profit per mu"),
                marker_color=_P.accent, hovertemplate="%{x}<br>%{y:,.0f}<extra></extra>")
    fig.add_hline(y=POLICY_PROFIT_PER_MU, line_dash="dash", line_color=_P.reference,
                  annotation_text=_L(lang, "亩均效益 5,000 元", "5,000 yuan/mu"),
                  annotation_position="top left")
    base_layout(fig, title)
    fig.update_layout(barmode="group")
    fig.update_xaxes(type="category")
    fig.update_yaxes(title=_L(lang, "元/亩", "yuan/mu"), tickformat=",.0f")
    return fig


def distribution(values: pd.Series, title: str, x_title: str, *, reference: float | None = None,
                 reference_label: str = "") -> go.Figure:
    """Histogram of a per-unit figure across units."""
    fig = go.Figure(go.Histogram(x=values, nbinsx=40, marker_color=_P.sectors["greenhouse"],
                                 hovertemplate="%{x}<br>%{y}<extra></extra>"))
    base_layout(fig, title)
    fig.update_xaxes(title=x_title, tickformat=",.0f")
    fig.update_yaxes(title="#")
    if reference is not None:
        fig.add_vline(x=reference, line_dash="dash", line_color=_P.reference,
                      annotation_text=reference_label)
    return fig


def distribution_bins(bins: pd.DataFrame, title: str, x_title: str, *, reference: float | None = None,
                      reference_label: str = "") -> go.Figure:
    """Histogram counted in SQL (kpis.unit_histogram: x0, x1, units): the figure carries 40
    bars, not one value per plot."""
    fig = go.Figure(go.Bar(x=(bins["x0"] + bins["x1"]) / 2, y=bins["units"], width=bins["x1"] - bins["x0"],
                           marker_color=_P.sectors["greenhouse"], customdata=bins[["x0", "x1"]],
                           hovertemplate="%{customdata[0]:,.0f}–%{customdata[1]:,.0f}<br>%{y:,}<extra></extra>"))
    base_layout(fig, title)
    fig.update_layout(bargap=0.02)
    fig.update_xaxes(title=x_title, tickformat=",.0f")
    fig.update_yaxes(title="#")
    if reference is not None:
        fig.add_vline(x=reference, line_dash="dash", line_color=_P.reference,
                      annotation_text=reference_label)
    return fig


def cross_sector(df: pd.DataFrame, lang: str = "zh") -> go.Figure:
    """Profit per mu of land across sectors (kpis.cross_sector_per_mu)."""
    names = [fmt.sector_name(s, lang) for s in df["sector"]]
    fig = go.Figure(go.Bar(
        x=names, y=df["profit_per_mu"], marker_color=[SECTOR_COLORS[s] for s in df["sector"]],
        text=[f"{v:,.0f}" if pd.notna(v) else "" for v in df["profit_per_mu"]], textposition="outside",
        hovertemplate="%{x}<br>%{y:,.0f}<extra></extra>"))
    fig.add_hline(y=POLICY_PROFIT_PER_MU, line_dash="dash", line_color=_P.reference,
                  annotation_text=_L(lang, "亩均效益 5,000 元", "5,000 yuan/mu"))
    # on a log axis an annotation's y is the log of the value (the line's shape takes the value)
    fig.layout.annotations[-1].y = math.log10(POLICY_PROFIT_PER_MU)
    base_layout(fig, _L(lang, "各板块每亩占地利润（元/亩）", "Profit per mu of land by sector (yuan/mu)"))
    fig.update_xaxes(type="category")
    fig.update_yaxes(type="log", title=_L(lang, "元/亩（对数坐标）", "yuan/mu (log scale)"))
    return fig


def year_compare(df: pd.DataFrame, title: str, lang: str = "zh") -> go.Figure:
    """Per-mu figures by year (kpis.per_mu_by(..., 'year'))."""
    d = df.assign(group=df["group"].astype(str))
    return per_mu_grouped(d, title, lang)


def progress_bars(df: pd.DataFrame, lang: str = "zh") -> go.Figure:
    """Actual as a share of the year's target per target (kpis.target_progress)."""
    from .kpis import TARGET_METRICS

    labels = [TARGET_METRICS.get((s, m), (m, m))[0 if lang == "zh" else 1]
              for s, m in zip(df["sector"], df["metric"])]
    share = [min(v, 1.5) * 100 if v is not None and pd.notna(v) else 0 for v in df["share"]]
    fig = go.Figure(go.Bar(x=share, y=labels, orientation="h",
                           marker_color=[_P.good if s >= 100 else _P.short for s in share],
                           text=[f"{s:.0f}%" for s in share], textposition="auto",
                           hovertemplate="%{y}<br>%{x:.0f}%<extra></extra>"))
    fig.add_vline(x=100, line_dash="dash", line_color=_P.sectors["total"])
    base_layout(fig, _L(lang, "年度目标完成进度", "Progress against the year's targets"),
                height=60 * len(df) + 120)
    fig.update_yaxes(type="category", autorange="reversed")
    fig.update_xaxes(ticksuffix="%", range=[0, 150])
    return fig


def monthly_bar(df: pd.DataFrame, column: str, title: str, *, scale: float = 1.0,
                color: str = _P.sectors["greenhouse"], value_format: str = ",.0f") -> go.Figure:
    """One monthly figure as bars on a category month axis (e.g. harvest in tonnes)."""
    fig = go.Figure(go.Bar(x=df["month"], y=df[column] / scale, marker_color=color,
                           hovertemplate="%{x}<br>%{y:" + value_format + "}<extra></extra>"))
    base_layout(fig, title)
    fig.update_yaxes(tickformat=value_format, rangemode="tozero")
    _month_axis(fig)
    return fig


def reference_text() -> str:
    """The reference yields in words: 无籽西瓜3,000–5,000、…公斤/亩."""
    return "、".join(f"{crop}{lo:,}–{hi:,}" for crop, (lo, hi) in CROP_REFERENCE_KG_PER_MU.items()) + "公斤/亩"
