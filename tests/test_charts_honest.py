"""Charts that tell the truth (issue 9.3), on hand-made frames: an incomplete latest month is drawn
apart with a note, stock axes in the cards' unit, bars from zero on a linear axis."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import pytest

from analytics.meeting import charts

MONTHS = ["2023-04", "2023-05", "2023-06"]
# June: 1 shed of 1 cooperative missing, with 90,000 birds in May.
LATE = pd.DataFrame({"month": MONTHS, "reported": [3, 3, 2], "expected": [3, 3, 3], "missing": [0, 0, 1],
                     "missing_cooperatives": [0, 0, 1], "missing_stock": [0, 0, 90_000],
                     "complete": [True, True, False]})
DUCK = pd.DataFrame({"month": MONTHS, "stock": [120_000, 120_000, 30_000], "revenue": [3e5, 3e5, 1e5],
                     "cost": [2e5, 2e5, 6e4], "profit": [1e5, 1e5, 4e4], "yield_kg": [0, 0, 0]})


def test_the_latest_incomplete_month_carries_the_missing_units_stock_dashed_with_a_note():
    fig = charts.stock_trend(DUCK, "duck", "zh", completeness=LATE)
    solid, late = fig.data
    # 120,000 birds ≥ 100,000: the axis is in 万羽, as the card writes 12.0 万羽.
    assert "万羽" in fig.layout.title.text and list(solid.y) == [12.0, 12.0]
    assert list(late.x) == ["2023-05", "2023-06"] and list(late.y) == [12.0, 12.0]  # 3.0 + 9.0 carried
    assert late.line.dash == "dash" and list(late.marker.symbol) == ["circle", "circle-open"]
    assert [a.text for a in fig.layout.annotations] == [
        "2023-06 尚有 1 个鸭棚（1 个合作社）未上报<br>空心点含未报单元的上月存栏"]


def test_a_complete_month_or_no_completeness_draws_one_line_as_before():
    assert len(charts.stock_trend(DUCK, "duck", "zh").data) == 1
    done = LATE.assign(missing=0, complete=True)
    fig = charts.stock_trend(DUCK, "duck", "en", completeness=done)
    assert len(fig.data) == 1 and not fig.layout.annotations and "k birds" in fig.layout.title.text


def test_flows_of_an_incomplete_month_are_pale_and_named():
    fig = charts.money_trend(DUCK, "t", "en", sector="duck", completeness=LATE)
    bars = [t for t in fig.data if isinstance(t, go.Bar)]
    assert [list(b.marker.opacity) for b in bars] == [[1.0, 1.0, 0.35]] * 2
    assert fig.layout.annotations[0].text == ("2023-06: 1 shed (1 cooperative) not reported yet<br>"
                                              "pale: the month is incomplete")
    total = DUCK[["month", "profit"]].assign(sector="duck")
    stacked = charts.sector_profit_trend(total, "zh", completeness={"duck": LATE})
    assert list(stacked.data[0].marker.opacity) == [1.0, 1.0, 0.35]
    assert stacked.layout.annotations[0].text == "2023-06 数字不全（浅色），尚未上报：<br>种鸭：1 个鸭棚（1 个合作社）"


def test_cross_sector_bars_are_linear_from_zero_with_labels():
    df = pd.DataFrame({"sector": ["duck", "hog", "greenhouse"], "profit_per_mu": [17_794.0, 250.0, 5_690.0]})
    fig = charts.cross_sector(df, "zh")
    assert fig.layout.yaxis.type == "linear" and fig.layout.yaxis.range[0] == 0
    assert list(fig.data[0].text) == ["17,794", "250", "5,690"]


@pytest.mark.parametrize("build", [
    lambda: charts.money_trend(DUCK, "t"),
    lambda: charts.monthly_bar(DUCK, "revenue", "t"),
    lambda: charts.sector_profit_trend(DUCK[["month", "profit"]].assign(sector="duck")),
    lambda: charts.per_mu_grouped(pd.DataFrame({"group": ["甲"], "output_value_per_mu": [9e3],
                                                "profit_per_mu": [4e3]}), "t"),
    lambda: charts.crop_yield_vs_reference(pd.DataFrame({"group": ["山药"], "yield_kg_per_mu": [2500.0]})),
    lambda: charts.bar_ranked(pd.DataFrame({"v": [3.0, 9.0], "n": ["a", "b"]}), "v", "n", "t"),
    lambda: charts.distribution_bins(pd.DataFrame({"x0": [0.0], "x1": [1.0], "units": [3]}), "t", "x"),
])
def test_every_bar_axis_is_linear_and_starts_at_zero(build):
    fig = build()
    horizontal = any(isinstance(t, go.Bar) and t.orientation == "h" for t in fig.data)
    axis = fig.layout.xaxis if horizontal else fig.layout.yaxis
    assert axis.type in (None, "linear", "-") and axis.rangemode == "tozero"


def test_exported_pngs_put_the_legend_under_the_month_labels(monkeypatch):
    """A paper-anchored legend lands on turned month labels in the PNG: the export moves it to
    the bottom of the image's box, as the screen does."""
    from analytics import scope
    from analytics.meeting import export

    fig = charts.stock_trend(DUCK, "duck", "zh", completeness=LATE)  # two traces: a legend
    seen = {}

    def fake_png(f, **kw):
        seen["layout"] = f.layout
        return b""

    monkeypatch.setattr(export, "fig_to_png", fake_png)
    monkeypatch.setattr(export, "stamp_png", lambda png, stamp, scale: png)
    export.chart_png(fig, export.Stamp(scope.Period.year(2023), {}, False))
    legend = seen["layout"].legend
    assert (legend.yref, legend.y, legend.yanchor) == ("container", 0, "bottom")
    assert seen["layout"].margin.b >= 118 and seen["layout"].xaxis.automargin
    assert fig.layout.legend.yref != "container"  # the page's figure itself is left as built
