"""The per-mu chart builders draw their yearly yardstick (亩均效益 5,000 元/亩 line, the reference
yield bands) by default and none with ``reference=None`` (亩均对比 without a whole year)."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics.meeting import charts

GROUPS = pd.DataFrame({"group": ["山药", "辣椒"], "output_value_per_mu": [9_000.0, 7_000.0],
                       "profit_per_mu": [4_000.0, 2_500.0], "yield_kg_per_mu": [2_500.0, 1_800.0]})
SECTORS = pd.DataFrame({"sector": ["duck", "hog", "greenhouse"], "profit_per_mu": [17_794.0, 5_690.0, 3_100.0]})


def _lines(fig) -> list:
    return [s for s in fig.layout.shapes if s.type == "line"]


@pytest.mark.parametrize("build", [
    lambda **kw: charts.per_mu_grouped(GROUPS, "t", "zh", **kw),
    lambda **kw: charts.cross_sector(SECTORS, "zh", **kw),
])
def test_the_policy_line_is_drawn_at_5000_and_none_without_a_reference(build):
    fig = build()
    assert [(s.y0, s.y1) for s in _lines(fig)] == [(5_000, 5_000)]
    assert [a.text for a in fig.layout.annotations if "5,000" in a.text]
    plain = build(reference=None)
    assert not plain.layout.shapes and not plain.layout.annotations
    assert [list(t.y) for t in plain.data] == [list(t.y) for t in fig.data]  # the figures stay


def test_a_reference_of_its_own_is_drawn_where_asked():
    fig = charts.per_mu_grouped(GROUPS, "t", "en", reference=6_000)
    assert [(s.y0, s.y1) for s in _lines(fig)] == [(6_000, 6_000)]
    assert [a.text for a in fig.layout.annotations] == ["6,000 yuan/mu"]


def test_cross_sector_axis_reaches_the_line_only_when_drawn():
    low = SECTORS.assign(profit_per_mu=[1_000.0, 800.0, 500.0])
    assert charts.cross_sector(low).layout.yaxis.range[1] == pytest.approx(5_000 * 1.15)
    assert charts.cross_sector(low, reference=None).layout.yaxis.range[1] == pytest.approx(1_000 * 1.15)


def test_the_yield_bands_are_the_crops_reference_and_none_without():
    fig = charts.crop_yield_vs_reference(GROUPS)
    bands = [(s.y0, s.y1) for s in fig.layout.shapes if s.type == "rect"]
    assert bands == [charts.CROP_REFERENCE_KG_PER_MU["山药"], charts.CROP_REFERENCE_KG_PER_MU["辣椒"]]
    plain = charts.crop_yield_vs_reference(GROUPS, reference=None)
    assert not plain.layout.shapes
    assert list(plain.data[0].y) == [2_500.0, 1_800.0]
