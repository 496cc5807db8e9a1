"""Meeting material: stamped chart PNGs (kaleido + Chromium) and the PPTX deck.

PNG rendering uses one persistent kaleido server per process, started on the first export
(never at import: the pages and the test collection must not pay for a browser). Each
image then costs ~0.15–0.3 s. The server is one queue shared by every thread, so calls go
through a lock; a watchdog turns a dead or missing browser into a Chinese message instead
of a hang.

Every exported PNG carries a stamp band inside the image (period, filters, 数据截至, 来源,
示例数据 where demo) and is named ``<主题>_<期间>_<数据截至>.png`` (:class:`Stamp`).

The deck is :mod:`analytics.meeting.slides` drawn into PowerPoint: the same slides, boxes and theme as
the 汇报 views, charts embedded at 2× their box. ``python -m analytics pack --year 2022 --out
汇报.pptx [--lang en]`` builds it from the CLI.

One piece: the PNG renderer and the deck builder share the stamp, the theme's boxes and the
one renderer process.
"""

from __future__ import annotations

import glob
import io
import os
import shutil
import subprocess
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from .. import scope
from . import charts, narrative, slides, theme
from .slides import TOWNSHIP, as_of_label, source_label  # noqa: F401 - the pages' names for them

# PowerPoint/WPS on the office's Windows machine has Microsoft YaHei; set it as the East
# Asian font of every run so Chinese never falls back to a Latin face (or boxes).
DECK_FONT = theme.DECK_FONT
PNG_FONT_FAMILY = "Noto Sans CJK SC"

Progress = Callable[[float, str], None]
#: ``render(figure_dict, width, height, scale) -> PNG bytes``; the app passes a cached one
Render = Callable[[dict, int, int, float], bytes]
#: charts are embedded at twice the size of their box on the slide (sharp when projected)
DECK_SCALE = 2


class ExportUnavailable(RuntimeError):
    """PNG export cannot run on this machine (no Chromium, no Chinese fonts); Chinese message."""


class ExportError(RuntimeError):
    """Rendering one image failed; Chinese message."""


# --- can this machine render PNGs? ------------------------------------------------------------

def chromium_path() -> str | None:
    """The browser kaleido should drive: $BROWSER_PATH, else Debian's chromium."""
    env = os.environ.get("BROWSER_PATH")
    if env:
        return env if Path(env).exists() else None
    for name in ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def cjk_font_available() -> bool:
    """Whether fontconfig knows a Noto Sans CJK face (else Chinese renders as boxes)."""
    if shutil.which("fc-list"):
        try:
            # fontconfig's own tool from PATH, fixed arguments, only asked which fonts exist.
            out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True,  # noqa: S607
                                 timeout=10).stdout
            return "Noto Sans CJK" in out or "Microsoft YaHei" in out
        except (OSError, subprocess.SubprocessError):
            pass
    return bool(glob.glob("/usr/share/fonts/**/NotoSansCJK*", recursive=True))


_problem_cache: dict[str, str | None] = {}


def png_problem() -> str | None:
    """None when PNG export can run, else the Chinese reason (cached per process)."""
    if "p" not in _problem_cache:
        if chromium_path() is None:
            msg = ("无法生成图片：本机未找到 Chromium 浏览器。请让管理员运行 make system-deps"
                   "（安装 chromium 和 fonts-noto-cjk），或设置环境变量 BROWSER_PATH。")
        elif not cjk_font_available():
            msg = ("无法生成图片：本机缺少中文字体（fonts-noto-cjk），图中的中文会显示成方块。"
                   "请让管理员运行 make system-deps。")
        else:
            msg = None
        _problem_cache["p"] = msg
    return _problem_cache["p"]


# --- the one kaleido server of this process ----------------------------------------------------

_lock = threading.Lock()
_RENDER_TIMEOUT = 90.0


def _server() -> Any:
    import kaleido

    return kaleido._global_server  # the singleton behind start_sync_server; checked for liveness


def _server_alive() -> bool:
    srv = _server()
    return srv.is_running() and srv._thread.is_alive()


def _ensure_server() -> None:
    """Start kaleido's sync server once; restart it if its browser thread died."""
    import kaleido

    problem = png_problem()
    if problem:
        raise ExportUnavailable(problem)
    srv = _server()
    if srv.is_running() and not srv._thread.is_alive():
        srv.close(silence_warnings=True)
    if not srv.is_running():
        # mathjax=False: no CDN fetch (the office machine may be offline)
        kaleido.start_sync_server(mathjax=False, path=chromium_path(), silence_warnings=True)


def _render(fig_dict: dict, opts: dict) -> bytes:
    import kaleido

    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["png"] = kaleido.calc_fig_sync(fig_dict, opts=opts)
        except BaseException as e:  # noqa: BLE001 - handed to the caller below
            box["err"] = e

    t = threading.Thread(target=work, daemon=True, name="png-export")
    t.start()
    deadline = time.monotonic() + _RENDER_TIMEOUT
    while t.is_alive():
        t.join(0.1)
        # a browser that fails to start kills the server thread and leaves the caller
        # waiting on its queue forever: detect it and say so
        if t.is_alive() and (not _server_alive() or time.monotonic() > deadline):
            raise ExportUnavailable("无法生成图片：Chromium 浏览器未能启动或没有响应。"
                                    "请检查 chromium 是否安装完整（make system-deps）。")
    if "err" in box:
        e = box["err"]
        if type(e).__name__ == "ChromeNotFoundError":
            raise ExportUnavailable("无法生成图片：未找到 Chromium 浏览器。请运行 make system-deps。") from e
        raise ExportError(f"生成图片失败：{e}") from e
    return box["png"]


def fig_to_png(fig: Any, *, width: int = 1200, height: int | None = None, scale: float = 2) -> bytes:
    """PNG bytes of a Plotly figure, Chinese text included.

    The first call in a process starts the browser (~3 s); later calls take ~0.2 s.
    Raises ExportUnavailable (no Chromium / no fonts) or ExportError, both in Chinese.
    """
    fig_dict = fig.to_dict() if hasattr(fig, "to_dict") else dict(fig)
    layout = fig_dict.get("layout", {})
    height = height or layout.get("height") or 500
    opts = {"format": "png", "width": width, "height": height, "scale": scale}
    with _lock:
        _ensure_server()
        return _render(fig_dict, opts)


def fig_to_svg(fig: Any, *, width: int, height: int) -> bytes:
    """SVG bytes of a Plotly figure (its text as text, in the figure's font sizes): the 汇报 card's
    chart on a phone. Raises as :func:`fig_to_png`."""
    fig_dict = fig.to_dict() if hasattr(fig, "to_dict") else dict(fig)
    with _lock:
        _ensure_server()
        return _render(fig_dict, {"format": "svg", "width": width, "height": height, "scale": 1})


def render_png(fig_dict: dict, width: int, height: int, scale: float) -> bytes:
    """The plain :data:`Render`: :func:`fig_to_png` at that size."""
    return fig_to_png(fig_dict, width=width, height=height, scale=scale)


# --- the stamp of every exported image ---------------------------------------------------------

@dataclass(frozen=True)
class Stamp:
    """What an exported chart says about itself: period, filters, 数据截至, source, demo.

    ``scope`` is the filters in words ("合作社：兴旺种鸭专业合作社"), plain text; empty for
    the whole park.
    """

    period: scope.Period
    as_of: dict
    demo: bool
    lang: str = "zh"
    scope: str = ""
    place: str = TOWNSHIP  # slides.place_name(): the town, or '3个乡镇'
    note: str = ""  # slides.month_note(): the month shown is incomplete (a line of its own in the band)

    def text(self) -> str:
        """'2022年 ｜ 数据截至 2022年12月 ｜ 来源：示例数据（…） ｜ 济阳镇园区生产看板': 数据截至 is the
        last month the chart shows (slides.as_of_within), not the store's latest month."""
        zh = self.lang == "zh"
        parts = [self.period.label(self.lang)] + ([self.scope] if self.scope else [])
        parts += [as_of_label(slides.as_of_within(self.as_of, self.period), self.lang, upload=False),
                  ("来源：" if zh else "Source: ") + source_label(self.demo, self.lang),
                  f"{self.place}园区生产看板" if zh else f"{self.place} park dashboard"]
        return " ｜ ".join(parts)

    def file_name(self, topic: str, ext: str = "png") -> str:
        """``<主题>_<期间>_<数据截至>.png``, safe on Windows."""
        return safe_filename(slides.chart_file_stem(topic, self.period, self.as_of, self.lang)) + f".{ext}"


@lru_cache(maxsize=8)
def _stamp_font(size: int) -> Any:
    """A CJK face for the stamp band (the one kaleido uses on Debian; YaHei on Windows)."""
    from PIL import ImageFont

    candidates: list[tuple[str, int]] = []
    if shutil.which("fc-match"):
        try:
            # fontconfig's own tool from PATH, fixed arguments
            query = ["fc-match", "-f", "%{file}|%{index}", "Noto Sans CJK SC:lang=zh-cn"]
            out = subprocess.run(query, capture_output=True, text=True, timeout=10).stdout  # noqa: S603, S607
            if "|" in out:
                path, index = out.rsplit("|", 1)
                candidates.append((path, int(index or 0)))
        except (OSError, subprocess.SubprocessError, ValueError):
            pass
    candidates += [("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
                   ("C:/Windows/Fonts/msyh.ttc", 0), ("/System/Library/Fonts/PingFang.ttc", 0)]
    for path, index in candidates:
        if Path(path).exists():
            try:
                return ImageFont.truetype(path, size, index=index)
            except OSError:
                continue
    raise ExportUnavailable("无法生成图片：本机缺少中文字体（fonts-noto-cjk），图中的中文会显示成方块。"
                            "请让管理员运行 make system-deps。")


#: the stamp band under an exported chart, in layout px (× the PNG's scale)
STAMP_BAND, STAMP_FONT, STAMP_PAD = 30, 13, 12
STAMP_NOTE_LINE = 22  # the note's line above the stamp line


def stamp_png(png: bytes, stamp: Stamp, *, scale: float = 2, palette: theme.Palette = theme.LIGHT) -> bytes:
    """The chart with a band below it carrying the stamp line; the 示例数据 mark in red.

    The band is part of the image (it survives any copy and paste); a text wider than the
    image is shortened in the middle, never cut at the end where 数据截至 and 来源 are. A
    stamp's ``note`` (an incomplete month) takes a line of its own above, in the bad-news colour.
    """
    from PIL import Image, ImageDraw

    chart = Image.open(io.BytesIO(png)).convert("RGB")
    w, h = chart.size
    band = round(STAMP_BAND * scale)
    extra = round(STAMP_NOTE_LINE * scale) if stamp.note else 0
    out = Image.new("RGB", (w, h + band + extra), palette.background)
    out.paste(chart, (0, 0))
    draw = ImageDraw.Draw(out)
    draw.line([(0, h), (w, h)], fill=palette.rule, width=max(1, round(scale)))
    font = _stamp_font(round(STAMP_FONT * scale))
    pad = round(STAMP_PAD * scale)
    if stamp.note:
        draw.text((pad, h + extra // 2 + round(2 * scale)), stamp.note, font=font, fill=palette.down, anchor="lm")
        h += extra
    text = stamp.text()
    demo_mark = ("示例数据" if stamp.lang == "zh" else "DEMO DATA") if stamp.demo else ""
    room = w - 2 * pad - (font.getlength(demo_mark) + pad if demo_mark else 0)
    while font.getlength(text) > room and len(text) > 8:
        mid = len(text) // 2
        text = text[: mid - 1] + "…" + text[mid + 1:]
        text = text.replace("……", "…")
    y = h + band // 2
    draw.text((pad, y), text, font=font, fill=palette.muted, anchor="lm")
    if demo_mark:
        draw.text((w - pad, y), demo_mark, font=font, fill=palette.demo, anchor="rm")
    buf = io.BytesIO()
    out.save(buf, "PNG", optimize=False)
    return buf.getvalue()


def chart_png(fig: Any, stamp: Stamp, *, width: int = 1200, height: int | None = None, scale: float = 2) -> bytes:
    """An exported chart: the figure rendered as PNG with the stamp band inside the image; the
    legend under the month labels (``charts.legend_below``), as on the screen."""
    if hasattr(fig, "to_dict"):
        fig = charts.legend_below(fig)
    return stamp_png(fig_to_png(fig, width=width, height=height, scale=scale), stamp, scale=scale)


def figs_to_zip(figs: dict[str, Any], stamp: Stamp, *, progress: Progress | None = None,
                stamps: dict[str, Stamp] | None = None) -> bytes:
    """A ZIP with one stamped PNG per figure, each named ``<主题>_<期间>_<数据截至>.png``.

    ``stamps`` gives a chart its own stamp (e.g. a chart over every year on a page of one year).
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:  # PNGs are compressed already
        for i, (name, fig) in enumerate(figs.items()):
            if progress:
                progress(i / max(len(figs), 1), name)
            own = (stamps or {}).get(name, stamp)
            zf.writestr(own.file_name(name), chart_png(fig, own))
    if progress:
        progress(1.0, "")
    return buf.getvalue()


def safe_filename(name: str) -> str:
    """Chinese stays, path separators and characters Windows forbids go."""
    bad = '<>:"/\\|?*\n\r\t'
    cleaned = "".join("_" if c in bad else c for c in str(name)).strip(" .")
    return cleaned or "chart"




# --- the deck ------------------------------------------------------------------------------------

def phone_figure(deck: slides.Deck, slide: slides.Slide, style: theme.Style | None = None) -> dict | None:
    """The figure dict of a slide's chart as a phone's card draws it (:func:`theme.for_phone`)."""
    if slide.chart is None:
        return None
    return theme.for_phone(deck.charts[slide.chart], style or theme.STYLES["light"])


def slide_figure(deck: slides.Deck, slide: slides.Slide, style: theme.Style | None = None) -> dict | None:
    """The figure dict of a slide's chart, sized to its box and drawn in ``style``."""
    if slide.chart is None:
        return None
    return theme.for_slide(deck.charts[slide.chart], slide.chart_box, style or theme.STYLES["light"])


def _set_run(run: Any, size_px: float, *, bold: bool = False, color: str | None = None) -> None:
    from pptx.dml.color import RGBColor
    from pptx.oxml.ns import qn
    from pptx.util import Pt

    f = run.font
    f.size = Pt(size_px * theme.PT_PER_PX)
    f.bold = bold
    f.name = DECK_FONT  # a:latin
    if color:
        f.color.rgb = RGBColor(*theme.rgb(color))
    rpr = run._r.get_or_add_rPr()
    for tag in ("a:ea", "a:cs"):
        el = rpr.find(qn(tag))
        if el is None:
            el = rpr.makeelement(qn(tag), {})
            latin = rpr.find(qn("a:latin"))
            latin.addnext(el) if tag == "a:ea" else rpr.find(qn("a:ea")).addnext(el)
        el.set("typeface", DECK_FONT)


@dataclass(frozen=True)
class Line:
    """One paragraph of a deck text box."""

    text: str
    size: float  # design px
    color: str
    bold: bool = False
    mark: str = ""        # a part of the text drawn in mark_color, bold (the 示例数据 source)
    mark_color: str = ""


class _Pptx:
    """A 16:9 python-pptx presentation drawn in the design px of :mod:`analytics.meeting.theme`."""

    def __init__(self) -> None:
        from pptx import Presentation
        from pptx.util import Emu

        self.prs = Presentation()
        self.prs.slide_width = Emu(theme.SLIDE_W * theme.EMU_PER_PX)   # 12,192,000: PowerPoint's 16:9
        self.prs.slide_height = Emu(theme.SLIDE_H * theme.EMU_PER_PX)  # 6,858,000
        self.palette = theme.LIGHT

    @staticmethod
    def emu(px: float) -> Any:
        from pptx.util import Emu

        return Emu(round(px * theme.EMU_PER_PX))

    def slide(self) -> Any:
        s = self.prs.slides.add_slide(self.prs.slide_layouts[6])  # blank
        fill = s.background.fill
        fill.solid()
        from pptx.dml.color import RGBColor

        fill.fore_color.rgb = RGBColor(*theme.rgb(self.palette.background))
        return s

    def rect(self, slide: Any, box: theme.Box, color: str) -> Any:
        from pptx.dml.color import RGBColor
        from pptx.enum.shapes import MSO_SHAPE

        shape = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, self.emu(box.x), self.emu(box.y),
                                       self.emu(box.w), self.emu(box.h))
        shape.fill.solid()
        shape.fill.fore_color.rgb = RGBColor(*theme.rgb(color))
        shape.line.fill.background()
        shape.shadow.inherit = False
        return shape

    def text(self, slide: Any, box: theme.Box, lines: list[Line], *, align: str = "left",
             line_height: float = theme.SLIDE_TYPE.line_height, gap: float = 0.0, name: str = "") -> Any:
        """A text box exactly on ``box``: no insets, wrapping on, exact line spacing (as the views)."""
        from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
        from pptx.util import Pt

        shape = slide.shapes.add_textbox(self.emu(box.x), self.emu(box.y), self.emu(box.w), self.emu(box.h))
        if name:
            shape.name = name
        tf = shape.text_frame
        tf.word_wrap = True
        tf.auto_size = MSO_AUTO_SIZE.NONE
        tf.vertical_anchor = MSO_ANCHOR.TOP
        tf.margin_left = tf.margin_right = tf.margin_top = tf.margin_bottom = 0
        for i, line in enumerate(lines):
            p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
            p.alignment = {"left": PP_ALIGN.LEFT, "right": PP_ALIGN.RIGHT, "center": PP_ALIGN.CENTER}[align]
            p.line_spacing = Pt(line.size * theme.PT_PER_PX * line_height)
            if gap and i < len(lines) - 1:
                p.space_after = Pt(line.size * theme.PT_PER_PX * gap)
            parts = [(line.text, line.color, line.bold)]
            if line.mark and line.mark in line.text:
                before, after = line.text.split(line.mark, 1)
                parts = [(before, line.color, line.bold), (line.mark, line.mark_color, True),
                         (after, line.color, line.bold)]
            for text, color, bold in parts:
                if text or len(parts) == 1:  # an empty line keeps its run (and its font size)
                    run = p.add_run()
                    run.text = text
                    _set_run(run, line.size, bold=bold, color=color)
        return shape

    def picture(self, slide: Any, box: theme.Box, png: bytes) -> Any:
        return slide.shapes.add_picture(io.BytesIO(png), self.emu(box.x), self.emu(box.y),
                                        self.emu(box.w), self.emu(box.h))

    def bytes(self) -> bytes:
        buf = io.BytesIO()
        self.prs.save(buf)
        return buf.getvalue()


def _draw_cover(out: _Pptx, deck: slides.Deck, slide: slides.Slide) -> None:
    p, t, b = out.palette, theme.SLIDE_TYPE, theme.BOXES
    s = out.slide()
    out.rect(s, b["cover_band"], p.accent)
    out.text(s, b["cover_title"], [Line(slides.cover_title(deck), slides.cover_title_size(deck, t), p.title, True)],
             align="center", line_height=1.2, name="title")
    out.text(s, b["cover_sub"], [Line(slides.cover_subtitle(deck), t.cover_sub, p.text)], align="center")
    out.text(s, b["cover_date"], [Line(slides.cover_date(deck), t.cover_note, p.muted)], align="center")
    out.text(s, b["cover_asof"], [Line(slides.cover_as_of(deck), t.figure_note, p.muted)], align="center",
             name="stamp")
    if deck.demo:
        out.text(s, b["cover_demo"], [Line(slides.demo_note(deck), t.cover_note, p.demo, True)], align="center")


def _draw_slide(out: _Pptx, deck: slides.Deck, slide: slides.Slide, png: bytes | None, problem: str) -> None:
    p, t, b = out.palette, theme.SLIDE_TYPE, theme.BOXES
    s = out.slide()
    out.rect(s, b["bar"], p.accent)
    out.text(s, b["title"], [Line(slide.title, t.title, p.title, True)], line_height=1.25, name="title")
    out.text(s, b["kicker"], [Line(deck.kicker, t.kicker, p.muted)], align="right")
    if slide.note:
        out.text(s, b["title_note"], [Line(slide.note, t.title_note, p.down, True)], line_height=1.4,
                 name="title note")
    for i, fig in enumerate(slide.figures):
        label, value, note = slides.figure_sizes(fig, t)
        lines = [Line(fig.label, label, p.muted), Line(fig.value, value, p.figure, True)]
        if fig.note:
            lines.append(Line(fig.note, note, p.up if fig.trend > 0 else p.down if fig.trend < 0 else p.muted))
        out.text(s, slides.figure_box(i), lines, line_height=t.figure_line_height, name=f"figure {i + 1}")
    if slide.chart is not None and png is not None:
        out.picture(s, slide.chart_box, png).name = f"chart {slide.key}"
    elif slide.chart is not None or slide.chart_note:
        note = problem if slide.chart is not None else slide.chart_note
        out.text(s, slide.chart_box, [Line(note, t.list, p.muted)], align="center")
    if slide.body:
        box, size, _ = slides.body_layout(slide, t)
        body = slide.body
        if slide.key == "paragraph":
            body = ("\u3000\u3000" + body[0],)  # the report's two-character indent
        out.text(s, box, [Line(x, size, p.text) for x in body], gap=0.4, name="body")
    out.rect(s, b["rule"], p.rule)
    head, defs = deck.stamp(slide)
    size = slides.stamp_size(deck, slide, t)
    mark = slides.source_label(deck.demo, deck.lang) if deck.demo else ""
    out.text(s, b["stamp"], [Line(head, size, p.muted, mark=mark, mark_color=p.demo), Line(defs, size, p.muted)],
             line_height=1.4, name="stamp")
    out.text(s, b["page"], [Line(deck.page_label(slide), t.page, p.muted)], align="right", name="page number")


def _memo(call: narrative.Call) -> narrative.Call:
    """Each (function, arguments) computed once per deck, however often the slides ask."""
    seen: dict[tuple, Any] = {}

    def cached(fn_name: str, *args: Any) -> Any:
        key = (fn_name, *args)
        if key not in seen:
            seen[key] = call(fn_name, *args)
        return seen[key]

    return cached


def build_deck(source: scope.Cursor | narrative.Call, period: scope.Period, *, demo: bool, lang: str = "zh",
               exact: bool = False, progress: Progress | None = None, charts: bool = True,
               today: date | None = None, render: Render | None = None, pending: bool = False,
               make: slides.Make = slides.make_chart) -> bytes:
    """The meeting deck (PPTX bytes, 16:9) — the 汇报 views as slides.

    ``source`` is a cursor (the CLI) or a ``call(fn_name, *args)`` into ``analytics.figures.kpis``
    (the page's cached ``ui.cache.q``, so the deck reuses what the pages computed); either
    way each KPI query runs at most once for the deck. ``render`` turns a figure dict into PNG
    (the page passes its cached renderer, so charts already drawn for the views are reused).
    ``exact`` writes the paragraph with exact figures (the page's 精确/概数 choice);
    ``charts=False`` leaves the images out (quick checks). ``progress(fraction, message)``
    is called as it goes. Raises ExportUnavailable / ExportError (Chinese) from rendering.
    """
    report = progress or (lambda f, m: None)
    report(0.0, "计算指标")
    call = _memo(source if callable(source) else narrative.kpi_caller(source))
    deck = slides.build(call, period, lang=lang, demo=demo, exact=exact, today=today, pending=pending, make=make)
    render = render or render_png
    with_charts = [s for s in deck.slides if s.chart is not None] if charts else []
    steps = len(with_charts) + 2
    pngs: dict[str, bytes] = {}
    for i, slide in enumerate(with_charts):
        report((i + 1) / steps, f"生成图表：{deck.chart_names[slide.key]}")
        box = slide.chart_box
        pngs[slide.key] = render(slide_figure(deck, slide), box.w, box.h, DECK_SCALE)
    report((len(with_charts) + 1) / steps, "排版幻灯片")
    out = _Pptx()
    problem = "" if charts else "（图表未生成）"
    for slide in deck.slides:
        if slide.key == "cover":
            _draw_cover(out, deck, slide)
        else:
            _draw_slide(out, deck, slide, pngs.get(slide.key), problem)
    data = out.bytes()
    report(1.0, "完成")
    return data
