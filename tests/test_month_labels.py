"""The 本月 chart's percentage labels read on a phone (issue: inside the bars they were shrunk to
about 8 px on the 汇报 card at 390 px): every label keeps the chart's type size, outside its bar;
only a bar cut at ±150 % (no room beyond it) holds its label, which fits it whole."""

from __future__ import annotations

import re

import pytest

from analytics.meeting import charts, export, theme

COMP = {  # mom and yoy per sector: small, middling and beyond-the-cap changes, and a sector not reported
    "duck": {"mom": {"now": {"revenue": 1.5e5, "cost": 1.0e5, "profit": 5.0e4}, "units_both": 40,
                     "base": {"revenue": 1.0e5, "cost": 1.1e5, "profit": -1.0e4},
                     "change": {"revenue": 0.015, "cost": -0.089, "profit": 2.498}},
             "yoy": {"now": {"revenue": 1.5e5, "cost": 1.0e5, "profit": 5.0e4}, "units_both": 40,
                     "base": {"revenue": 2.0e5, "cost": 0.9e5, "profit": 1.1e5},
                     "change": {"revenue": -0.747, "cost": 0.259, "profit": -0.907}}},
    "hog": {"mom": {"now": {"revenue": 2e4, "cost": 1e4, "profit": 1e4}, "units_both": 2,
                    "base": {"revenue": 1e4, "cost": 2e4, "profit": -1e4},
                    "change": {"revenue": 1.0, "cost": -0.5, "profit": -1.8}}, "yoy": None},
    "greenhouse": {"mom": None, "yoy": None},
}


def _rows():
    return charts.month_rows(COMP)


def test_labels_sit_outside_and_keep_their_size_but_at_the_cap():
    fig = charts.month_compare(_rows(), "2024-01")
    mom, yoy = fig.data
    for trace in (mom, yoy):
        assert trace.constraintext == "none"  # never shrunk to a bar's thickness or length
        capped = [abs(x) == charts.MONTH_CAP * 100 for x in trace.x]
        assert list(trace.textposition) == ["inside" if c else "outside" for c in capped]
    assert mom.text[2] == "+249.8%" and mom.textposition[2] == "inside"  # 种鸭 利润: cut at +150 %
    assert mom.text[5] == "-180.0%" and mom.textposition[5] == "inside"
    assert yoy.text[2] == "-90.7%" and yoy.textposition[2] == "outside"
    assert mom.text[6] == "未报" and mom.textposition[6] == "outside"


def _bar_text_px(svg: str) -> dict[str, float]:
    """Each bar label of an SVG as drawn: its font size times the scale Plotly gave it."""
    out = {}
    for m in re.finditer(r'<text class="bartext[^"]*"[^>]*font-size: ([\d.]+)px[^>]*?transform="([^"]*)"[^>]*>'
                         r'(.*?)</text>', svg):
        scale = re.search(r"scale\(([\d.]+)\)", m.group(2))
        out[m.group(3)] = float(m.group(1)) * (float(scale.group(1)) if scale else 1.0)
    return out


def test_on_a_phone_card_every_label_is_drawn_at_the_phone_type_size():
    if export.png_problem():
        pytest.skip(export.png_problem())
    fig = charts.month_compare(_rows(), "2024-01")
    box = theme.PHONE_CHART
    svg = export.fig_to_svg(theme.for_phone(fig), width=box.w, height=box.h).decode()
    sizes = _bar_text_px(svg)
    assert {"+1.5%", "+249.8%", "-90.7%", "-74.7%", "未报"} <= set(sizes)
    # 13 px in a 360-px SVG: ≥ 11 px on a 390-px phone's card (tests/test_browser_month_phone.py).
    assert min(sizes.values()) == pytest.approx(theme.PHONE_TYPE.chart), sizes


def test_the_coverage_note_is_wrapped_on_a_phone():
    """The note under the title was one line, cut at the card's edge after "个单元已报；" at 390 px:
    on a phone it breaks after a mark, each line within the card, nothing lost; the slide keeps it whole."""
    note = "本月（2023年12月） 2613/2875 个单元已报；同比、环比按两期都上报的单元计算"
    fig = charts.month_compare(_rows(), "2023-12", note=note)
    (slide_note,) = [a["text"] for a in theme.for_slide(fig, theme.BOXES["chart"])["layout"]["annotations"]
                     if a["text"].startswith("本月")]
    assert slide_note == note
    (phone,) = [a for a in theme.for_phone(fig)["layout"]["annotations"] if a["text"].startswith("本月")]
    lines = phone["text"].split("<br>")
    assert lines == ["本月（2023年12月） 2613/2875 个单元已报；同比、", "环比按两期都上报的单元计算"]
    size = (phone.get("font") or {}).get("size") or theme.PHONE_TYPE.chart
    assert all(theme._em(x) * size <= theme.PHONE_CHART.w - 16 for x in lines)
