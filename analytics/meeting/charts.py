"""Plotly figure builders. Every chart the pages, the PNG export and the slides show.

Conventions: Chinese font first (so kaleido renders glyphs, not boxes), month axes as
categories (a "2023-01" string would otherwise become an English date axis), money in
万元 on axes, one colour per sector everywhere.

Names from uploads (cooperatives, villages, crops, units) reach axes, ticks and hover text,
where Plotly understands some HTML (``<a href>``, ``<b>``): they pass through
:func:`_labels` (``analytics.text.chart_label``) first and are drawn as typed.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go

from .. import contract, fmt, text
from ..figures import compare
from . import theme

# Colours and fonts come from the one theme (analytics/meeting/theme.py) shared with the 汇报 views
# and the deck; builders use the light palette's roles, the dark style recolours by role.
FONT = theme.CHART_FONT
_P = theme.LIGHT
# Axis ticks with separators and only the digits they need: 0 · 0.5 · 1 · 1.5 on a small axis
# (",.0f" would print 0 · 1 · 1 · 2), 10,000 · 20,000 on a large one.
TICKS = ",~r"
SECTOR_COLORS = _P.sectors
PALETTE = list(_P.series)

# DESIGN.md §6: typical yield per mu (kg) — a low–high band per crop.
CROP_REFERENCE_KG_PER_MU = {"无籽西瓜": (3_000, 5_000), "山药": (2_000, 3_000),
                            "辣椒": (1_500, 2_500), "药材": (300, 400)}
POLICY_PROFIT_PER_MU = 5_000  # 亩均效益 yardstick of the report: "亩均效益5000余元"

theme.use_plotly_white()  # before any figure here is made: each takes the default template


def _labels(values: pd.Series) -> list[str]:
    """Category labels from user data, escaped for Plotly's pseudo-HTML."""
    return [text.chart_label(v) for v in values.astype(str)]


def _L(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def base_layout(fig: go.Figure, title: str, *, height: int = 380) -> go.Figure:
    return theme.chart_layout(fig, title, height=height)


def _month_axis(fig: go.Figure) -> None:
    fig.update_xaxes(type="category", tickangle=-45, nticks=18)


def incomplete_run(completeness: pd.DataFrame | None, months: pd.Series | None = None) -> list[dict]:
    """The incomplete months that end ``completeness`` (its rows, in month order) among ``months``;
    [] when the last is complete. A quiet unit is missing for up to 12 months, so each such month
    is drawn apart, not only the last (a solid January of 2 sheds in 180 read as a collapse)."""
    if completeness is None or completeness.empty:
        return []
    shown = set(months) if months is not None else None
    run: list[dict] = []
    for row in reversed(completeness.to_dict("records")):
        if bool(row["complete"]) or (shown is not None and row["month"] not in shown):
            break
        run.append(row)
    return run[::-1]


def _missing_units(sector: str, row: dict, lang: str) -> str:
    """'20 户（1 个合作社）' / '20 farms (1 cooperative)'."""
    n, coops = int(row["missing"]), int(row["missing_cooperatives"])
    zh_unit, en_unit = fmt.UNIT_NOUNS[sector]
    if lang == "zh":
        return f"{n:,} {zh_unit}（{coops:,} 个合作社）"
    return f"{n:,} {en_unit if n != 1 else en_unit[:-1]} ({coops:,} cooperative{'s' if coops != 1 else ''})"


def incomplete_note(sector: str, row: dict, lang: str = "zh", *, carried: bool = False) -> str:
    """The note an incomplete month carries, in short lines that fit a phone:
    '2023-12 尚有 20 户（1 个合作社）未上报<br>空心点含未报单元的上月存栏'."""
    units = _missing_units(sector, row, lang)
    waiting = int(row.get("awaiting_cooperatives") or 0)  # 待审核 is not "not reported"
    if lang == "zh":
        head = (f"{row['month']} 尚有 {units}未计入，其中 {waiting:,} 个合作社待审核" if waiting
                else f"{row['month']} 尚有 {units}未上报")
        return head + "<br>" + ("空心点含未报单元的上月存栏" if carried else "该月数字不全（浅色）")
    head = (f"{row['month']}: {units} not counted yet, {waiting:,} cooperative{'s' if waiting != 1 else ''} "
            "awaiting review" if waiting else f"{row['month']}: {units} not reported yet")
    return head + "<br>" + ("hollow point: with their last month's stock" if carried
                            else "pale: the month is incomplete")


def _note(fig: go.Figure, text_: str) -> None:
    """A note under the title, part of the figure, so the PNG and the deck carry it too."""
    fig.add_annotation(text=text_, xref="paper", yref="paper", x=0, y=1.0, xanchor="left", yanchor="bottom",
                       showarrow=False, font={"size": 12, "color": _P.note}, align="left")
    fig.update_layout(margin={"t": 100})


def stock_trend(df: pd.DataFrame, sector: str, lang: str = "zh", *,
                completeness: pd.DataFrame | None = None) -> go.Figure:
    """Month-end stock: the sum of that month's reports, in the unit the stock card uses
    (万羽 from 100,000 in Chinese, thousands in English; ``fmt.count_scale``).

    With ``completeness`` (``completeness.month_completeness`` of the same selection), a latest month
    that is not complete (and each incomplete month just before it: :func:`incomplete_run`) is
    drawn as a dashed segment to a hollow point: the reports plus the missing units' last
    stock (what the stock card counts for them), with a note naming how many units are missing.
    """
    divisor, unit = fmt.count_scale(df["stock"].max() if len(df) else 0, fmt.STOCK_UNIT[sector], lang)
    run = incomplete_run(completeness, df["month"])
    gap = run[-1] if run else None
    y = df["stock"] / divisor
    hover = "%{x}<br>%{y:,." + ("1" if divisor > 1 else "0") + "f}" + unit + "<extra></extra>"
    apart = {r["month"] for r in run}
    solid = df[~df["month"].isin(apart)]
    fig = go.Figure(go.Scatter(
        x=solid["month"], y=y[solid.index], mode="lines+markers", line={"color": SECTOR_COLORS[sector]},
        name=_L(lang, "存栏", "Stock"), hovertemplate=hover))
    if gap is not None:
        # Each incomplete month at its reports plus the missing units' last stock (hollow points).
        estimates = [(float(df.loc[df["month"] == r["month"], "stock"].iloc[0]) + r["missing_stock"]) / divisor
                     for r in run]
        xs = [*solid["month"].iloc[-1:], *(r["month"] for r in run)]
        ys = [*y[solid.index].iloc[-1:], *estimates]
        fig.add_scatter(
            x=xs, y=ys, mode="lines+markers", line={"color": SECTOR_COLORS[sector], "dash": "dash"},
            marker={"symbol": ["circle"] * (len(xs) - len(run)) + ["circle-open"] * len(run), "size": 10},
            name=_L(lang, f"{gap['month']}（未报齐）", f"{gap['month']} (incomplete)"),
            hovertemplate=hover)
        _note(fig, incomplete_note(sector, gap, lang, carried=True))
    base_layout(fig, _L(lang, f"{fmt.sector_name(sector)}月末存栏（{unit.strip()}）",
                        f"{fmt.sector_name(sector, 'en')}: stock at month end ({unit.strip()})"))
    if gap is not None:
        fig.update_layout(margin={"t": 100})
    fig.update_yaxes(tickformat=TICKS, rangemode="tozero")
    _month_axis(fig)
    return fig


def _pale_last(fig: go.Figure, months: pd.Series, run: list[dict]) -> None:
    """Bars of the incomplete months at the end (:func:`incomplete_run`): pale and hatched, so
    the drop is not read as real."""
    if not run:
        return
    apart = {r["month"] for r in run}
    pale = [m in apart for m in months]
    for trace in fig.data:
        if isinstance(trace, go.Bar) and list(trace.x) == list(months):
            trace.marker.opacity = [0.35 if p else 1.0 for p in pale]
            trace.marker.pattern = {"shape": ["/" if p else "" for p in pale], "solidity": 0.3}


def money_trend(df: pd.DataFrame, title: str, lang: str = "zh", *, sector: str | None = None,
                completeness: pd.DataFrame | None = None) -> go.Figure:
    """Monthly revenue and cost as bars, profit as a line, in 万元.

    With ``sector`` and its ``completeness``, the incomplete months at the end (an incomplete
    latest month, and those before it that are incomplete too) are pale and hatched, their
    profit points hollow, with the note naming how many units are missing in the latest.
    """
    run = incomplete_run(completeness, df["month"]) if sector else []
    gap = run[-1] if run else None
    apart = {r["month"] for r in run}
    fig = go.Figure()
    for col, zh, en, color in (("revenue", "销售收入", "Revenue", _P.revenue),
                               ("cost", "成本", "Cost", _P.cost)):
        fig.add_bar(x=df["month"], y=df[col] / 10_000, name=_L(lang, zh, en), marker_color=color,
                    hovertemplate="%{x}<br>%{y:,.1f} " + _L(lang, "万元", "×10k yuan") + "<extra></extra>")
    fig.add_scatter(x=df["month"], y=df["profit"] / 10_000, name=_L(lang, "利润", "Profit"),
                    mode="lines+markers", line={"color": _P.profit, "width": 2.5},
                    marker={"symbol": ["circle-open" if m in apart else "circle" for m in df["month"]], "size": 8},
                    hovertemplate="%{x}<br>%{y:,.1f} " + _L(lang, "万元", "×10k yuan") + "<extra></extra>")
    _pale_last(fig, df["month"], run)
    base_layout(fig, title)
    fig.update_layout(barmode="group")
    fig.update_yaxes(title=_L(lang, "万元", "10k yuan"), tickformat=TICKS, rangemode="tozero")
    _month_axis(fig)
    if gap is not None:
        _note(fig, incomplete_note(sector, gap, lang))
    return fig


def sector_profit_trend(df: pd.DataFrame, lang: str = "zh", *,
                        completeness: dict[str, pd.DataFrame] | None = None) -> go.Figure:
    """Monthly profit per sector, stacked; df from kpis.monthly_total.

    ``completeness`` maps a sector to its ``completeness.month_completeness``: a sector whose latest
    month is incomplete has those bars pale and hatched (:func:`incomplete_run`), and the note names
    its missing units.
    """
    fig = go.Figure()
    notes = []
    for sector, part in df.groupby("sector", sort=False):
        fig.add_bar(x=part["month"], y=part["profit"] / 10_000, name=fmt.sector_name(sector, lang),
                    marker_color=SECTOR_COLORS[sector],
                    hovertemplate="%{x}<br>%{y:,.1f} " + _L(lang, "万元", "×10k yuan") + "<extra>"
                    + fmt.sector_name(sector, lang) + "</extra>")
        run = incomplete_run((completeness or {}).get(sector), part["month"])
        if run and run[-1]["month"] == df["month"].max():
            pale = [m in {r["month"] for r in run} for m in part["month"]]
            fig.data[-1].marker.opacity = [0.35 if p else 1.0 for p in pale]
            fig.data[-1].marker.pattern = {"shape": ["/" if p else "" for p in pale], "solidity": 0.3}
            notes.append((run[-1]["month"], fmt.sector_name(sector, lang) + _L(lang, "：", ": ")
                          + _missing_units(sector, run[-1], lang)))
    base_layout(fig, _L(lang, "各板块月度利润（万元）", "Monthly profit by sector (10k yuan)"))
    fig.update_layout(barmode="relative")
    fig.update_yaxes(tickformat=TICKS, rangemode="tozero")
    _month_axis(fig)
    if notes:
        month = notes[0][0]
        head = _L(lang, f"{month} 数字不全（浅色），尚未上报：", f"{month} is incomplete (pale); not reported yet:")
        _note(fig, "<br>".join([head, *(n for _, n in notes)]))
        fig.update_layout(margin={"t": 70 + 16 * (len(notes) + 1)})
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
    fig.update_xaxes(tickformat=value_format, rangemode="tozero")
    if reference is not None:
        fig.add_vline(x=reference, line_dash="dash", line_color=_P.reference,
                      annotation_text=reference_label, annotation_position="top")
    return fig


def crop_yield_vs_reference(df: pd.DataFrame, lang: str = "zh", *,
                            reference: Mapping[str, tuple[float, float]] | None = CROP_REFERENCE_KG_PER_MU
                            ) -> go.Figure:
    """Yield per mu per crop (公斤/亩) with each crop's reference band of DESIGN.md §6
    (``reference``: crop → (low, high) 公斤/亩); None draws no band (the yields are yearly
    yardsticks: a period shorter than a year is not set against them)."""
    fig = go.Figure(go.Bar(
        x=_labels(pd.Series([fmt.crop_name(c, lang) for c in df["group"]], dtype=object)),
        y=df["yield_kg_per_mu"], marker_color=_P.sectors["greenhouse"],
        name=_L(lang, "亩均产量", "Yield per mu"),
        text=[f"{v:,.0f}" for v in df["yield_kg_per_mu"]], textposition="outside",
        hovertemplate="%{x}<br>%{y:,.0f} " + _L(lang, "公斤/亩", "kg/mu") + "<extra></extra>"))
    for i, crop in enumerate(df["group"]):
        band = (reference or {}).get(crop)
        if band:
            fig.add_shape(type="rect", xref="x", yref="y", x0=i - 0.45, x1=i + 0.45,
                          y0=band[0], y1=band[1], fillcolor=_P.band,
                          line={"color": _P.band_line, "dash": "dot"}, layer="below")
    base_layout(fig, _L(lang, "各作物亩均产量与参考区间（公斤/亩）", "Yield per mu by crop vs reference (kg/mu)"))
    fig.update_xaxes(type="category")
    fig.update_yaxes(tickformat=TICKS, rangemode="tozero")
    return fig


def per_mu_grouped(df: pd.DataFrame, title: str, lang: str = "zh", *,
                   reference: float | None = POLICY_PROFIT_PER_MU) -> go.Figure:
    """Output value and profit per mu (元/亩) side by side for each group; df from per_mu.per_mu_by.
    ``reference``: the 亩均效益 yardstick's line (元/亩, a yearly figure); None draws none."""
    fig = go.Figure()
    # Crops and plot types in English get their English names (fmt.crop_name); others as typed.
    groups = _labels(pd.Series([fmt.crop_name(g, lang) for g in df["group"]], dtype=object))
    # customdata: the group's own name, which a click on the bar drills down to (ui.drill).
    per_mu = "%{x}<br>%{y:,.0f} " + _L(lang, "元/亩", "yuan/mu") + "<extra></extra>"
    fig.add_bar(x=groups, y=df["output_value_per_mu"], name=_L(lang, "亩均产值", "Output value per mu"),
                marker_color=_P.pale, hovertemplate=per_mu, customdata=df["group"].astype(str))
    fig.add_bar(x=groups, y=df["profit_per_mu"], name=_L(lang, "亩均效益", "Profit per mu"),
                marker_color=_P.accent, hovertemplate=per_mu, customdata=df["group"].astype(str))
    if reference is not None:
        fig.add_hline(y=reference, line_dash="dash", line_color=_P.reference,
                      annotation_text=_L(lang, f"亩均效益 {reference:,.0f} 元", f"{reference:,.0f} yuan/mu"),
                      annotation_position="top left")
    base_layout(fig, title)
    fig.update_layout(barmode="group")
    fig.update_xaxes(type="category")
    fig.update_yaxes(title=_L(lang, "元/亩", "yuan/mu"), tickformat=TICKS, rangemode="tozero")
    return fig


def distribution(values: pd.Series, title: str, x_title: str, *, reference: float | None = None,
                 reference_label: str = "") -> go.Figure:
    """Histogram of a per-unit figure across units."""
    fig = go.Figure(go.Histogram(x=values, nbinsx=40, marker_color=_P.sectors["greenhouse"],
                                 hovertemplate="%{x}<br>%{y}<extra></extra>"))
    base_layout(fig, title)
    fig.update_xaxes(title=x_title, tickformat=TICKS)
    fig.update_yaxes(title="#", rangemode="tozero")
    if reference is not None:
        fig.add_vline(x=reference, line_dash="dash", line_color=_P.reference,
                      annotation_text=reference_label)
    return fig


def distribution_bins(bins: pd.DataFrame, title: str, x_title: str, *, reference: float | None = None,
                      reference_label: str = "", y_title: str = "#") -> go.Figure:
    """Histogram counted in SQL (kpis.unit_histogram: x0, x1, units): the figure carries 40
    bars, not one value per plot; ``y_title`` says what a bar counts (大棚地块数)."""
    fig = go.Figure(go.Bar(x=(bins["x0"] + bins["x1"]) / 2, y=bins["units"], width=bins["x1"] - bins["x0"],
                           marker_color=_P.sectors["greenhouse"], customdata=bins[["x0", "x1"]],
                           hovertemplate="%{customdata[0]:,.0f}–%{customdata[1]:,.0f} " + x_title
                           + "<br>%{y:,}<extra></extra>"))
    base_layout(fig, title)
    fig.update_layout(bargap=0.02)
    fig.update_xaxes(title=x_title, tickformat=TICKS)
    fig.update_yaxes(title=y_title, rangemode="tozero")
    if reference is not None:
        fig.add_vline(x=reference, line_dash="dash", line_color=_P.reference,
                      annotation_text=reference_label)
    return fig


def cross_sector(df: pd.DataFrame, lang: str = "zh", *, reference: float | None = POLICY_PROFIT_PER_MU) -> go.Figure:
    """Profit per mu of land across sectors (per_mu.cross_sector_per_mu), 元/亩. ``reference``:
    the 亩均效益 yardstick's line (元/亩, a yearly figure); None draws none."""
    names = [fmt.sector_name(s, lang) for s in df["sector"]]
    fig = go.Figure(go.Bar(
        x=names, y=df["profit_per_mu"], marker_color=[SECTOR_COLORS[s] for s in df["sector"]],
        text=[f"{v:,.0f}" if pd.notna(v) else "" for v in df["profit_per_mu"]], textposition="outside",
        hovertemplate="%{x}<br>%{y:,.0f} " + _L(lang, "元/亩", "yuan/mu") + "<extra></extra>"))
    if reference is not None:
        fig.add_hline(y=reference, line_dash="dash", line_color=_P.reference,
                      annotation_text=_L(lang, f"亩均效益 {reference:,.0f} 元", f"{reference:,.0f} yuan/mu"))
        # The line's label as a key above the plot, in the line's colour: beside the line it met
        # the bars' value labels (a sector near 5,000 元/亩 has its label right there).
        fig.layout.annotations[-1].update(text="┄ " + fig.layout.annotations[-1].text, x=1, xref="paper",
                                          xanchor="right", y=1.02, yref="paper", yanchor="bottom",
                                          font={"color": _P.reference})
    base_layout(fig, _L(lang, "各板块每亩占地利润（元/亩）", "Profit per mu of land by sector (yuan/mu)"))
    fig.update_xaxes(type="category")
    # A linear axis from zero: magnitudes that differ a lot are read from the value labels,
    # never from a log scale (where 5,690 looks like a sliver beside 17,794).
    known = [float(v) for v in df["profit_per_mu"] if pd.notna(v)]
    top, bottom = max([*known, reference or 0.0]), min([*known, 0.0])
    fig.update_yaxes(type="linear", rangemode="tozero", range=[bottom * 1.15, top * 1.15],
                     title=_L(lang, "元/亩", "yuan/mu"), tickformat=TICKS)
    fig.update_traces(cliponaxis=False)
    return fig


def year_compare(df: pd.DataFrame, title: str, lang: str = "zh") -> go.Figure:
    """Per-mu figures by year (per_mu.per_mu_by(..., 'year'))."""
    d = df.assign(group=df["group"].astype(str))
    return per_mu_grouped(d, title, lang)


def progress_bars(df: pd.DataFrame, lang: str = "zh") -> go.Figure:
    """Actual as a share of the year's target per target (annual_targets.target_progress)."""
    from ..figures.annual_targets import TARGET_METRICS

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
                color: str = _P.sectors["greenhouse"], value_format: str = ",.0f", sector: str | None = None,
                completeness: pd.DataFrame | None = None, lang: str = "zh", unit: str = "") -> go.Figure:
    """One monthly figure as bars on a category month axis (e.g. harvest in tonnes, ``unit`` in the tooltip); with
    ``sector`` and its ``completeness`` an incomplete latest month is pale, with the note."""
    fig = go.Figure(go.Bar(x=df["month"], y=df[column] / scale, marker_color=color,
                           hovertemplate="%{x}<br>%{y:" + value_format + "}" + (f" {unit}" if unit else "")
                           + "<extra></extra>"))
    run = incomplete_run(completeness, df["month"]) if sector else []
    gap = run[-1] if run else None
    _pale_last(fig, df["month"], run)
    base_layout(fig, title)
    fig.update_yaxes(tickformat=value_format, rangemode="tozero")
    _month_axis(fig)
    if gap is not None:
        _note(fig, incomplete_note(sector, gap, lang))
    return fig


#: the measures of the 本月 chart, in its order (money: 万元 in the tooltips)
MONTH_MEASURES = ("revenue", "cost", "profit")


def month_rows(comp: dict) -> pd.DataFrame:
    """:func:`figures.compare.comparisons` of one month as rows for :func:`month_compare`.

    One row per (basis 'mom'/'yoy', sector, measure of :data:`MONTH_MEASURES`): ``now`` and
    ``base`` in 元 over the units in both periods, ``change`` (fraction, None: 未报 or no base),
    ``units_both``, ``good`` (True/False/None, :func:`compare.is_good`; a turn's own verdict) and
    ``turn`` (a :data:`compare.TURNS` key where a loss is on either side). Sectors in the
    contract's order; a sector with no unit in both periods keeps its rows with None figures.
    """
    def fixed(x: float | None, digits: int) -> float | None:
        # Sums of floats come back from a parallel aggregate in any order, off in the last bits:
        # rounded (元 to the fen, a change to 1e-6), the same numbers make the same chart, and a
        # chart already rendered is not rendered again.
        return None if x is None else round(float(x), digits)

    rows = []
    for basis in ("mom", "yoy"):
        for sector in contract.SECTOR_KEYS:
            c = (comp.get(sector) or {}).get(basis)
            for m in MONTH_MEASURES:
                change = fixed(c["change"][m], 6) if c else None
                turned = c.get("turn", {}).get(m) if c else None
                rows.append({"basis": basis, "sector": sector, "measure": m,
                             "now": fixed(c["now"][m], 2) if c else None,
                             "base": fixed(c["base"][m], 2) if c else None,
                             "change": change, "units_both": c["units_both"] if c else 0,
                             "good": compare.is_good(m, change) if turned is None else compare.TURNS[turned][2],
                             "turn": turned})
    return pd.DataFrame(rows)


_MEASURE_NAMES = {"revenue": ("销售收入", "Revenue"), "cost": ("成本", "Cost"), "profit": ("利润", "Profit")}
MONTH_CAP = 1.5  # bars end at ±150 %: a small base's +250 % would flatten every other bar; its label is exact


def month_compare(rows: pd.DataFrame, month: str, lang: str = "zh", *, note: str = "") -> go.Figure:
    """The 本月 view (issue 19.7): per sector and measure the change against the month before
    (环比, left) and the same month a year earlier (同比, right), each over the units that
    reported in both months; bars green when the change is good news, red when bad
    (:data:`compare.UP_IS_GOOD`: cost up is red), labelled with the exact change, 未报 where a
    sector has no unit in both. Tooltips give both months' figures in 万元 and the units counted.
    Labels sit outside their bars at the chart's type size, never shrunk (inside, a phone's card
    drew them at 8 px); only a bar cut at ±150 % holds its label, having no room beyond it.

    ``rows`` from :func:`month_rows`; ``month`` 'YYYY-MM' (the title); ``note`` the coverage line
    (:func:`compare.coverage_text`), under the title.
    """
    from plotly.subplots import make_subplots

    zh = lang == "zh"
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.04)
    wan = _L(lang, "万元", "×10k yuan")
    for col, (basis, base_name) in enumerate((("mom", ("上月", "month before")),
                                              ("yoy", ("上年同月", "a year earlier"))), start=1):
        part = rows[rows["basis"] == basis]
        labels = [f"{fmt.sector_name(s, lang)} {_MEASURE_NAMES[m][0 if zh else 1]}"
                  for s, m in zip(part["sector"], part["measure"], strict=True)]
        x, texts, colors, hover, where = [], [], [], [], []
        for r in part.itertuples():
            known = r.change is not None and not pd.isna(r.change)
            x.append(max(-MONTH_CAP, min(MONTH_CAP, r.change)) * 100 if known else 0)
            where.append("inside" if known and abs(r.change) > MONTH_CAP else "outside")
            if known:
                texts.append(fmt.pct(r.change))
            elif r.now is None or pd.isna(r.now):
                texts.append(_L(lang, "未报", "not reported"))
            else:  # a loss on either side: words, not a percentage (compare.TURNS), or no base at all
                texts.append(compare.turn_text(r.turn, lang) if isinstance(r.turn, str) else "—")
            colors.append(_P.muted if r.good is None or pd.isna(r.good) else _P.up if r.good else _P.down)
            noun = fmt.UNIT_NOUNS[r.sector][0 if zh else 1]
            if r.now is None or pd.isna(r.now):
                hover.append(_L(lang, "两期都上报的单元：无", "no unit reported in both months"))
            else:
                hover.append(_L(lang, f"本月 {r.now / 10_000:,.1f} {wan} · {base_name[0]} {r.base / 10_000:,.1f} {wan}"
                                      f"<br>两期都上报 {r.units_both:,} {noun}",
                                f"this month {r.now / 10_000:,.1f} {wan} · {base_name[1]} {r.base / 10_000:,.1f} {wan}"
                                f"<br>{r.units_both:,} {noun} in both"))
        fig.add_bar(x=x, y=labels, orientation="h", marker_color=colors, text=texts, textposition=where,
                    constraintext="none",
                    customdata=hover, hovertemplate="%{y}<br>%{text}<br>%{customdata}<extra></extra>",
                    showlegend=False, row=1, col=col)
        fig.add_vline(x=0, line_color=_P.muted, line_width=1, row=1, col=col)
        # the panel's name under its axis: above it, it would meet the coverage note
        fig.update_xaxes(title=_L(lang, "环比（与上月比）" if basis == "mom" else "同比（与上年同月比）",
                                  "MoM (against the month before)" if basis == "mom"
                                  else "YoY (against the month a year earlier)"), row=1, col=col)
    label = f"{int(month[:4])}年{int(month[5:])}月" if zh else month
    base_layout(fig, _L(lang, f"本月（{label}）环比、同比（两期都上报的单元）",
                        f"This month ({label}): MoM and YoY over the units in both months"),
                height=120 + 34 * len(labels))
    fig.update_yaxes(type="category", autorange="reversed")
    fig.update_xaxes(ticksuffix="%", range=[-MONTH_CAP * 110, MONTH_CAP * 110], zeroline=False)
    fig.update_traces(cliponaxis=False)
    if note:
        _note(fig, note)
    return fig


def reference_text() -> str:
    """The reference yields in words: 无籽西瓜3,000–5,000、…公斤/亩."""
    return "、".join(f"{crop}{lo:,}–{hi:,}" for crop, (lo, hi) in CROP_REFERENCE_KG_PER_MU.items()) + "公斤/亩"


def legend_below(fig: go.Figure) -> go.Figure:
    """A copy of ``fig`` with its legend at the bottom of the figure's box, under the month
    labels however far they turn (Plotly places a paper-anchored legend by the plot's height,
    into them): for the screen and for the exported PNG alike."""
    out = go.Figure(fig)
    out.update_xaxes(automargin=True)
    if out.layout.showlegend is not False and len(out.data) > 1:
        out.update_layout(legend={"yref": "container", "y": 0, "yanchor": "bottom", "x": 0},
                          margin={"b": max(out.layout.margin.b or 0, 118)})
    return out
