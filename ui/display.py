"""Chart display: Plotly figures shown in the page's language, titles wrapped to fit, and each
figure registered for the page's PNG and PPTX downloads (:mod:`ui.export`).

Figures are built once per question and its numbers, not once per view (issue 20): :func:`chart`
keeps each built figure, its screen copy and that copy's dict in the process, shared by every
session, so twenty readers of the same page cost one build. Shared means read-only: callers
that want to change one copy it first (``go.Figure(fig)``), as ``charts.legend_below`` does.
"""

from __future__ import annotations

import collections
import hashlib
import weakref
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st

from analytics.meeting import charts, theme
from ui.state import lang

PAGE_FIGS = "_page_figs"
# Figures built by :func:`chart`, by builder name: what the tests count (a cached view adds none).
BUILDS: collections.Counter[str] = collections.Counter()


# Plotly's toolbar in Chinese (plotly.js takes a locale's dictionary with the figure's config).
PLOTLY_ZH = {"locale": "zh-CN", "locales": {"zh-CN": {"dictionary": {
    "Download plot as a PNG": "下载为 PNG 图片", "Download plot as a png": "下载为 PNG 图片",
    "Download plot": "下载图片", "Zoom": "缩放", "Pan": "平移", "Box Select": "框选", "Lasso Select": "套索选择",
    "Zoom in": "放大", "Zoom out": "缩小", "Autoscale": "自动缩放", "Reset axes": "重置坐标轴",
    "Reset": "重置", "Toggle Spike Lines": "显示/隐藏辅助线", "Show closest data on hover": "悬停显示最近的数据",
    "Compare data on hover": "悬停比较数据", "Reset view": "重置视图", "Toggle show closest data on hover":
    "悬停显示最近的数据", "Snapshot succeeded": "已保存图片", "Taking snapshot - this may take a few seconds":
    "正在生成图片，请稍候", "Double-click to zoom back out": "双击恢复原始缩放",
    "Click to enter Colorscale title": "点击输入色标标题", "Click to enter Component A title": "点击输入标题",
    "Click to enter Plot title": "点击输入图表标题", "Click to enter X axis title": "点击输入横轴标题",
    "Click to enter Y axis title": "点击输入纵轴标题", "trace": "系列", "Produced with Plotly.js": "由 Plotly.js 生成",
}, "format": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["¥", ""],
              "days": ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
              "shortDays": ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
              "months": [f"{i}月" for i in range(1, 13)], "shortMonths": [f"{i}月" for i in range(1, 13)],
              "date": "%Y-%m-%d"}}}}


# The title's wrapping is the theme's (the 汇报 cards on a phone wrap theirs the same way).
wrap_title = theme.wrap_title


def for_screen(fig: Any) -> Any:
    """A copy of ``fig`` laid out for any screen width: the title wrapped and set below the chart
    toolbar (always shown on touch screens), the notes of analytics.meeting.charts under it, the legend
    under the month labels (charts.legend_below, which makes the copy)."""
    screen = charts.legend_below(fig)
    title = wrap_title(screen.layout.title.text or "")
    notes = sum(a.text.count("<br>") + 1 for a in screen.layout.annotations
                if a.yref == "paper" and (a.y or 0) >= 1 and a.yanchor == "bottom")
    lines = title.count("<br>") + 1
    top = 30 + 22 * (lines - 1) + 23 * lines + 16 * notes + 12
    # Plotly anchors a title of several lines by its first line: the pad takes the others too.
    screen.update_layout(title={"text": title, "y": 1, "yref": "container", "yanchor": "top",
                                "pad": {"t": 30 + 22 * (lines - 1)}},
                         margin={"t": max(top, (screen.layout.margin.t or 0))})
    # Month labels: as many as the width holds (Plotly thins a category axis by its length when
    # nticks is left to it) and turned only as far as needed, instead of every month at a fixed
    # slant, which overlaps its neighbours and the legend on a phone. None: Plotly's own "auto".
    screen.update_xaxes(tickangle=None, nticks=None)
    return screen


class _Shown(go.Figure):
    """The screen copy of a shared chart: its dict (what ``st.plotly_chart`` serialises, through
    ``to_dict``, a deep copy of every property and the template) is made once, not per view."""

    def to_dict(self) -> dict:
        spec = self.__dict__.get("_spec")
        if spec is None:
            spec = self.__dict__["_spec"] = super().to_dict()
        return spec


@dataclass(frozen=True, eq=False)
class Chart:
    """A built chart shared by every view of the same numbers: ``fig`` as built (what the PNG
    and the deck export), ``screen`` laid out for the browser (:func:`for_screen`), and the
    digest of both at build time (a test checks that no page changes them afterwards)."""

    fig: go.Figure
    screen: _Shown
    digest: str


# The charts the cache holds now (weakly: the cache's eviction frees them), for the tests.
BUILT: weakref.WeakSet[Chart] = weakref.WeakSet()


def digest(*figs: go.Figure) -> str:
    """A figure's content (data, layout and template) as one hash."""
    return hashlib.sha256("".join(pio.to_json(f, validate=False) for f in figs).encode()).hexdigest()


@st.cache_resource(show_spinner=False, max_entries=256)
def _built(builder: str, args: tuple, kwargs: tuple, template: str) -> Chart:
    # The key is the question and its numbers themselves (DataFrames hashed by content), the
    # language and titles (passed in the arguments) and the template: a commit or an undo that
    # changes a chart's numbers builds it anew, one that does not leaves it warm.
    BUILDS[builder] += 1
    fig = getattr(charts, builder)(*args, **dict(kwargs))
    screen = _Shown(for_screen(fig))
    screen.to_dict()  # made here, under the cache's lock, not by the first view
    built = Chart(fig, screen, digest(fig, screen))
    BUILT.add(built)
    return built


def chart(builder: str, *args: Any, **kwargs: Any) -> Chart:
    """``analytics.meeting.charts.<builder>(*args, **kwargs)``, built once per process for the
    same arguments (numbers, titles, language) and shared by every session: read-only.
    Cost on a hit: hashing the arguments (DataFrames of a few dozen rows, well under 1 ms)."""
    return _built(builder, args, tuple(sorted(kwargs.items())), str(pio.templates.default))


# The shared figures :func:`figure` handed out, by id (checked against the figure itself): what
# lets a caller holding only the figure (a deck's slide) find its build, and that build's digest.
_BY_FIG: weakref.WeakValueDictionary[int, Chart] = weakref.WeakValueDictionary()


def figure(builder: str, *args: Any, **kwargs: Any) -> go.Figure:
    """``chart(...).fig``: the shared figure as built, for callers that take a builder function
    (``slides.build(make=figure)``, the 汇报 views and their deck). Read-only."""
    built = chart(builder, *args, **kwargs)
    _BY_FIG[id(built.fig)] = built
    return built.fig


def shared(fig: Any) -> Chart | None:
    """The shared build that ``fig`` is (from :func:`figure`), or None for a figure of its own."""
    built = _BY_FIG.get(id(fig))
    return built if built is not None and built.fig is fig else None


def show_chart(fig: Chart | go.Figure, name: str, caption: str, *, select_key: str | None = None) -> Any:
    """Draw a chart with its caption; the figure is remembered for the page's PNG downloads.

    Plotly's own camera button is taken off: its PNG would carry no period, no 数据截至 and no
    示例数据 mark. Every PNG comes from the page's download buttons (ui.export.page_downloads),
    stamped inside the image and named ``<主题>_<期间>_<数据截至>.png``; those are drawn from the
    figure as built (for_screen only fits it to the browser's box).
    """
    # select_key: a click on a bar is a selection event the page reads (a drill-down, ui.drill).
    pick = {"on_select": "rerun", "selection_mode": "points", "key": select_key} if select_key else {}
    screen = fig.screen if isinstance(fig, Chart) else for_screen(fig)
    fig = fig.fig if isinstance(fig, Chart) else fig
    event = st.plotly_chart(screen, width="stretch", config={
        "displaylogo": False,
        "modeBarButtonsToRemove": ["toImage"],
        **(PLOTLY_ZH if lang() == "zh" else {}),
    }, **pick)
    st.caption(caption)  # text-safe: captions checked at every show_chart call
    st.session_state.setdefault(PAGE_FIGS, {})[name] = fig
    return event
