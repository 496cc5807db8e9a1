"""The one look of the dashboard: palette, type scale and slide geometry.

Charts (:mod:`analytics.meeting.charts`), the 汇报 views (:mod:`analytics.meeting.slides`) and the PPTX deck
(:mod:`analytics.meeting.export`) all take their colours, fonts and sizes from here, so a view on the
screen, the same slide in PowerPoint and a chart PNG look like one document.

Two styles: ``light`` (the default, for slides, print and the pages) and ``dark`` (大屏, for a
wall screen: dark background, larger headline figures).

Slide geometry is given in *design pixels* on a 1280 × 720 canvas. The deck is 13.333 × 7.5 in
(PowerPoint's 16:9), so one design pixel is 1/96 in — 9,525 EMU, 0.75 pt — and the views draw
the same boxes in ``em`` of a font size that scales with the window (1 em = 16 design px).
"""

from __future__ import annotations

import copy
import re
import unicodedata
from dataclasses import dataclass, field, replace
from typing import Any

# --- fonts ---------------------------------------------------------------------------------------

#: Plotly's font chain: Noto CJK where kaleido renders (Debian), YaHei/PingFang on office PCs.
CHART_FONT = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
#: the same chain for the views' CSS
CSS_FONT = '"Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif'
#: PowerPoint/WPS on the office's Windows machine has Microsoft YaHei.
DECK_FONT = "Microsoft YaHei"


# --- palettes ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Palette:
    """Colours by role (``#RRGGBB``). Chart builders use the light palette's colours;
    :func:`recolour` maps each role to another palette's colour for the dark style."""

    key: str
    background: str   # slide and chart background
    letterbox: str    # around a 16:9 view in a window of another shape
    text: str
    muted: str        # labels, stamp, axis titles
    title: str        # slide titles, headline figures (light)
    figure: str       # headline figure values
    accent: str       # title bar, rules that mark a slide
    rule: str         # thin lines and borders
    grid: str         # chart grid lines
    demo: str         # the 示例数据 mark
    up: str           # a rise year on year
    down: str         # a fall year on year
    reference: str    # reference and target lines in charts
    sectors: dict[str, str] = field(default_factory=dict)
    revenue: str = ""
    cost: str = ""
    profit: str = ""
    pale: str = ""    # second series next to a sector colour (亩均产值 next to 亩均效益)
    good: str = ""    # target reached
    short: str = ""   # target not reached yet
    band: str = ""    # reference band fill (rgba)
    band_line: str = ""
    note: str = ""    # the note on an incomplete month
    series: tuple[str, ...] = ()


LIGHT = Palette(
    key="light", background="#FFFFFF", letterbox="#E6EAE8", text="#222222", muted="#5F6B66",
    title="#1F4E3D", figure="#1F4E3D", accent="#2E7D5B", rule="#D5DED9", grid="#E6ECE9",
    demo="#B03030", up="#2E7D5B", down="#B03030", reference="#A04040",
    sectors={"duck": "#2E7D5B", "hog": "#C06C3E", "greenhouse": "#3C78B4", "total": "#555555"},
    revenue="#9DC3B0", cost="#E0B48F", profit="#1F4E3D", pale="#9DC3B0", good="#2E7D5B",
    short="#C9A227", band="rgba(46,125,91,0.12)", band_line="rgba(46,125,91,0.6)", note="#8A5A00",
    series=("#2E7D5B", "#C06C3E", "#3C78B4", "#B8A040", "#7A5AA8", "#4A9A9A", "#A04060", "#707070"),
)

DARK = Palette(
    key="dark", background="#0E1F2B", letterbox="#000000", text="#E8F0F2", muted="#9FB3BC",
    title="#FFFFFF", figure="#5EE0C0", accent="#27B48C", rule="#2C4352", grid="#22394A",
    demo="#FF7A6E", up="#5EE0C0", down="#FF7A6E", reference="#FF8A80",
    sectors={"duck": "#3FCB95", "hog": "#F2A45C", "greenhouse": "#5AA8F0", "total": "#B8C4CA"},
    revenue="#3E7F6A", cost="#9A6A45", profit="#5EE0C0", pale="#2F6F5C", good="#3FCB95",
    short="#F2C14E", band="rgba(94,224,192,0.14)", band_line="rgba(94,224,192,0.7)", note="#F2C14E",
    series=("#3FCB95", "#F2A45C", "#5AA8F0", "#E2CF6A", "#B193E6", "#6CD3D3", "#E07C9C", "#B8C4CA"),
)

PALETTES = {"light": LIGHT, "dark": DARK}


def rgb(color: str) -> tuple[int, int, int]:
    """``'#1F4E3D'`` → ``(31, 78, 61)`` for python-pptx."""
    c = color.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def _roles(p: Palette) -> dict[str, str]:
    # first the roles charts use (a light colour shared by two roles maps as the chart's role)
    out = {f"sector_{k}": v for k, v in p.sectors.items()}
    for name in ("revenue", "cost", "profit", "pale", "good", "short", "reference", "band", "band_line", "note",
                 "text", "muted", "title", "accent", "rule", "grid", "demo"):
        out[name] = getattr(p, name)
    out |= {f"series_{i}": v for i, v in enumerate(p.series)}
    return out


def colour_map(src: Palette, dst: Palette) -> dict[str, str]:
    """Each of ``src``'s colours (upper-cased) → ``dst``'s colour of the same role."""
    a, b = _roles(src), _roles(dst)
    out: dict[str, str] = {}
    for role, colour in a.items():
        out.setdefault(colour.upper(), b[role])
    return out


# --- type scale ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class TypeScale:
    """Font sizes in design px (slides: × 0.75 for pt in the deck)."""

    cover: int = 54        # title slide
    cover_sub: int = 28
    cover_note: int = 20
    title: int = 34        # slide title
    title_note: int = 14   # the incomplete-month note under the title
    kicker: int = 18       # town and period at the top right
    figure: int = 44       # headline figure value
    figure_label: int = 18
    figure_note: int = 16
    body: int = 34         # paragraph slide (largest; shrinks to fit)
    body_min: int = 16
    list: int = 26         # agenda, 口径 lists (largest; shrinks to fit)
    stamp: int = 13
    page: int = 14
    chart: int = 16        # chart text on a slide
    chart_title: int = 18
    page_chart: int = 13   # chart text on a dashboard page
    page_chart_title: int = 17
    line_height: float = 1.45
    figure_line_height: float = 1.5  # label, value, note stacked: glyphs of CJK faces are ~1.45 em tall


SLIDE_TYPE = TypeScale()


@dataclass(frozen=True)
class Style:
    """A palette with its type scale: what a view, a chart image or the deck is drawn in."""

    key: str
    palette: Palette
    type: TypeScale


STYLES = {"light": Style("light", LIGHT, SLIDE_TYPE),
          # 大屏: read from across a room — larger headline figures
          "dark": Style("dark", DARK, replace(SLIDE_TYPE, figure=56, figure_label=20, title=36))}


def style(key: str | None) -> Style:
    """``'dark'`` → the 大屏 style; anything else → light."""
    return STYLES.get(key or "light", STYLES["light"])


# --- slide geometry (design px on 1280 × 720) -----------------------------------------------------

SLIDE_W, SLIDE_H = 1280, 720
EMU_PER_PX = 9_525  # 914,400 EMU per inch / 96 px per inch
PT_PER_PX = 0.75


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h


#: where each part of a slide goes; the views and the deck both draw these boxes
BOXES: dict[str, Box] = {
    "bar": Box(40, 34, 7, 44),          # accent bar left of the title
    "title": Box(56, 28, 860, 46),      # one line of the title (36 px × 1.25 at most)
    "title_note": Box(56, 74, 860, 20),  # under the title: an incomplete month's coverage
    "kicker": Box(924, 40, 300, 32),    # 济阳镇 · 2022年, right-aligned
    "figures": Box(56, 94, 1168, 142),  # up to three headline figures side by side
    "chart": Box(56, 244, 1168, 404),   # below the figures, full content width
    "chart_tall": Box(56, 98, 1168, 550),  # a chart without figures
    "body": Box(56, 104, 1168, 544),    # text slides
    "rule": Box(56, 656, 1168, 1),
    "stamp": Box(56, 662, 1040, 48),
    "page": Box(1104, 662, 120, 48),    # page number, right-aligned
    # title slide
    "cover_band": Box(0, 0, 1280, 14),
    "cover_title": Box(80, 200, 1120, 84),
    "cover_sub": Box(80, 300, 1120, 44),
    "cover_date": Box(80, 362, 1120, 34),
    "cover_asof": Box(80, 410, 1120, 30),
    "cover_demo": Box(80, 470, 1120, 34),
}


#: a view's chart on a phone (issue 19.8): drawn at about the card's own width (a 390-px phone's card
#: holds ~340 px), so its text is read at the phone type's size, not the slide's shrunk to a third.
PHONE_CHART = Box(0, 0, 360, 340)
PHONE_TYPE = replace(SLIDE_TYPE, chart=13, chart_title=15)


def _em(text: str) -> float:
    """Width of ``text`` in em: a Chinese character is one, a Latin one a little over half."""
    return sum(1.0 if ord(ch) > 0x2E80 else 0.56 for ch in text)


def wrap_title(text: str, limit: float = 20.0) -> str:
    """Break a chart title into lines of at most ``limit`` em (a phone's chart is ~21 em wide at
    the title's size), after a colon, comma, semicolon or before a bracket; Plotly does not wrap
    titles (nor notes)."""
    if "<br>" in text or _em(text) <= limit:
        return text
    lines, line = [], ""
    for part in re.split(r"(?<=[:：,，、；;])\s*|\s(?=\()|(?=（)", text):
        if line and _em(line + " " + part) > limit:
            lines.append(line)
            line = part
        else:
            # words are joined by a space; Chinese (and a full-width mark on either side) by nothing
            wide = line and part and any(unicodedata.east_asian_width(c) in "WF" for c in (line[-1], part[0]))
            line = line + part if not line or wide else f"{line} {part}".strip()
    return "<br>".join([*lines, line])


# --- Plotly ----------------------------------------------------------------------------------------

def use_plotly_white() -> None:
    """Make plotly_white Plotly's default template, once per process.

    Passing ``template="plotly_white"`` to every figure validates and deep-copies the whole
    template each time (≈ 35 ms a chart, seconds on a page of many charts, issue 19.6); as the
    default it is applied once, lazily, to each figure that sets none.
    """
    import plotly.io as pio

    if pio.templates.default != "plotly_white":
        pio.templates.default = "plotly_white"


def chart_layout(fig: Any, title: str, *, height: int = 380) -> Any:
    """The dashboard pages' chart look (light palette, page type scale, plotly_white as the
    default template: :func:`use_plotly_white`)."""
    t, p = SLIDE_TYPE, LIGHT
    use_plotly_white()
    fig.update_layout(
        title={"text": title, "x": 0.01, "font": {"size": t.page_chart_title, "color": p.title}},
        font={"family": CHART_FONT, "size": t.page_chart, "color": p.text},
        height=height,
        margin={"l": 60, "r": 20, "t": 60, "b": 50},
        legend={"orientation": "h", "y": -0.18, "x": 0},
        separators=".,",
    )
    return fig


def recolour(obj: Any, mapping: dict[str, str]) -> Any:
    """A copy of a figure dict (or part of one) with every colour string in ``mapping`` replaced."""
    if isinstance(obj, dict):
        return {k: recolour(v, mapping) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [recolour(v, mapping) for v in obj]
    if isinstance(obj, str):
        return mapping.get(obj.upper(), mapping.get(obj, obj))
    return obj


def for_slide(fig: Any, box: Box, st: Style | None = None) -> dict:
    """A figure as a slide shows it: the box's size, the slide type scale, the style's colours.

    Returns a plain figure dict (what kaleido renders and what a cache can hash). Charts are
    built in the light palette; the dark style swaps each colour for its role's dark colour.
    """
    st = st or STYLES["light"]
    t, p = st.type, st.palette
    d = copy.deepcopy(fig.to_dict() if hasattr(fig, "to_dict") else dict(fig))
    if p is not LIGHT:
        d = recolour(d, colour_map(LIGHT, p))
    layout = d.setdefault("layout", {})
    layout.pop("template", None)  # plotly_white's own colours would override ours
    # A note under the title (an incomplete month, ``charts._note``) sits between the title and the
    # plot: the top margin makes room for its lines at the slide's type size, or they overprint.
    notes = [a for a in layout.get("annotations", []) or []
             if a.get("yref") == "paper" and a.get("yanchor") == "bottom" and (a.get("y") or 0) >= 1]
    lines = sum(str(a.get("text", "")).count("<br>") + 1 for a in notes)
    top = round(t.chart_title * 1.9 + lines * t.chart * 1.45 + 10) if lines else 56
    layout.update({
        "width": box.w, "height": box.h, "autosize": False,
        "paper_bgcolor": p.background, "plot_bgcolor": p.background,
        "font": {"family": CHART_FONT, "size": t.chart, "color": p.text},
        "margin": {"l": 72, "r": 24, "t": top, "b": 64},
        "separators": ".,",
        "hoverlabel": {"font": {"family": CHART_FONT}},
    })
    title = layout.get("title") or {}
    if isinstance(title, str):
        title = {"text": title}
    layout["title"] = {**title, "x": 0.0, "xanchor": "left", "y": 0.97, "yanchor": "top",
                       "font": {"size": t.chart_title, "color": p.muted, "family": CHART_FONT}}
    legend = layout.get("legend") or {}
    layout["legend"] = {**legend, "orientation": "h", "x": 1.0, "xanchor": "right", "y": 1.02,
                        "yanchor": "bottom", "font": {"size": t.chart, "color": p.text},
                        "bgcolor": "rgba(0,0,0,0)"}
    for axis in [k for k in layout if k.startswith(("xaxis", "yaxis"))] or ["xaxis", "yaxis"]:
        ax = layout.setdefault(axis, {})
        ax.update({"gridcolor": p.grid, "linecolor": p.rule, "zerolinecolor": p.rule,
                   "tickfont": {"size": t.chart, "color": p.muted}, "automargin": True})
        if isinstance(ax.get("title"), dict):
            ax["title"] = {**ax["title"], "font": {"size": t.chart, "color": p.muted}}
        elif isinstance(ax.get("title"), str):
            ax["title"] = {"text": ax["title"], "font": {"size": t.chart, "color": p.muted}}
    for ann in layout.get("annotations", []) or []:
        ann["font"] = {**(ann.get("font") or {}), "size": t.chart, "color": ann.get("font", {}).get("color", p.text)}
    for trace in d.get("data", []):
        if trace.get("type") == "bar" and trace.get("text") is not None:
            # inside a bar Plotly picks black or white against the bar; outside, our text colour
            trace["textfont"] = {"size": t.chart}
            trace["outsidetextfont"] = {"size": t.chart, "color": p.text}
    for axis, letter in [(k, k[0]) for k in layout if k.startswith(("xaxis", "yaxis"))]:
        if layout[axis].get("type") == "log":
            layout[axis].update(_log_ticks(d.get("data", []), letter))
    return d


def for_phone(fig: Any, st: Style | None = None) -> dict:
    """A slide's chart as a phone's card shows it: :data:`PHONE_CHART` wide, the phone type scale
    (13-px ticks, 15-px title at about the card's width), the title wrapped, the legend under the
    plot and month labels turned only as far as needed."""
    st = st or STYLES["light"]
    d = for_slide(fig, PHONE_CHART, replace(st, type=PHONE_TYPE))
    layout, t = d["layout"], PHONE_TYPE
    title = layout["title"]
    title["text"] = wrap_title(str(title.get("text") or ""), limit=(PHONE_CHART.w - 16) / t.chart_title)
    lines = title["text"].count("<br>") + 1
    notes = [a for a in layout.get("annotations", []) or []
             if a.get("yref") == "paper" and a.get("yanchor") == "bottom" and (a.get("y") or 0) >= 1]
    for a in notes:  # a note under the title is one line on a slide; a phone's card cuts it: wrapped too
        size = (a.get("font") or {}).get("size") or t.chart
        a["text"] = "<br>".join(wrap_title(part, limit=(PHONE_CHART.w - 16) / size)
                                for part in str(a.get("text", "")).split("<br>"))
    note_lines = sum(str(a.get("text", "")).count("<br>") + 1 for a in notes)
    legend = len(d.get("data", [])) > 1 and layout.get("showlegend") is not False
    # Plotly anchors a title of several lines by its first line: the pad takes the others too.
    line = round(t.chart_title * 1.3)
    pad = 8 + line * (lines - 1)
    layout["margin"] = {"l": 52, "r": 12, "t": round(pad + line + 10 + note_lines * t.chart * 1.45),
                        "b": 40 + (28 if legend else 0)}
    layout["title"] = {**title, "y": 1, "yref": "container", "yanchor": "top", "pad": {"t": pad}}
    if legend:
        layout["legend"] = {**layout["legend"], "x": 0, "xanchor": "left", "y": 0, "yref": "container",
                            "yanchor": "bottom"}
    for axis in [k for k in layout if k.startswith("xaxis")]:
        layout[axis].pop("tickangle", None)
        layout[axis].pop("nticks", None)
    return d


def _array(values: Any) -> list:
    """A trace's data as a list: Plotly ≥ 6 writes numeric arrays as ``{"dtype", "bdata"}``."""
    if values is None:
        return []
    if isinstance(values, dict) and "bdata" in values:
        import base64

        import numpy as np

        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return list(values)


def _log_ticks(traces: list[dict], letter: str) -> dict:
    """Ticks at 1-2-5 steps, written out (5,000 · 10,000 · 20,000), for a log axis: Plotly's own
    labels a log axis with bare digits (2, 5) between the powers of ten."""
    values = [float(v) for tr in traces for v in _array(tr.get(letter)) if isinstance(v, int | float) and v > 0]
    if not values:
        return {}
    lo, hi = min(values), max(values)
    ticks = []
    decade = 10 ** int(f"{lo:e}".split("e")[1])
    while decade <= hi * 10:
        ticks += [m * decade for m in (1, 2, 5) if lo / 2.5 <= m * decade <= hi * 2.5]
        decade *= 10
    return {"tickvals": ticks, "ticktext": [f"{v:,.0f}" for v in ticks], "minor": {"showgrid": False}}
