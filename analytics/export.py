"""Meeting material: chart PNGs (kaleido + Chromium) and the PPTX deck, from the KPI functions.

PNG rendering uses one persistent kaleido server per process, started on the first export
(never at import: the pages and the test collection must not pay for a browser). Each
image then costs ~0.15–0.3 s. The server is one queue shared by every thread, so calls go
through a lock; a watchdog turns a dead or missing browser into a Chinese message instead
of a hang.

``python -m analytics pack --year 2022 --out 汇报.pptx`` builds the deck from the CLI.
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
from pathlib import Path
from typing import Any

from . import fmt, kpis, narrative

TOWNSHIP = "济阳镇"
# PowerPoint/WPS on the office's Windows machine has Microsoft YaHei; set it as the East
# Asian font of every run so Chinese never falls back to a Latin face (or boxes).
DECK_FONT = "Microsoft YaHei"
PNG_FONT_FAMILY = "Noto Sans CJK SC"

Progress = Callable[[float, str], None]
#: size of the deck's chart images (layout px; ×2 for sharp slides)
DECK_PNG = {"width": 760, "height": 440, "scale": 2.6}


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


def figs_to_zip(figs: dict[str, Any], *, progress: Progress | None = None) -> bytes:
    """A ZIP with one PNG per figure, named after the chart."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:  # PNGs are compressed already
        for i, (name, fig) in enumerate(figs.items()):
            if progress:
                progress(i / max(len(figs), 1), name)
            zf.writestr(f"{safe_filename(name)}.png", fig_to_png(fig))
    if progress:
        progress(1.0, "")
    return buf.getvalue()


def safe_filename(name: str) -> str:
    """Chinese stays, path separators and characters Windows forbids go."""
    bad = '<>:"/\\|?*\n\r\t'
    cleaned = "".join("_" if c in bad else c for c in str(name)).strip(" .")
    return cleaned or "chart"


# --- the figures of the meeting material --------------------------------------------------------

@dataclass(frozen=True)
class MeetingChart:
    section: str  # duck / hog / greenhouse / per_mu
    name: str     # file name and registry key
    fig: Any


SECTIONS = ("duck", "hog", "greenhouse", "per_mu")


def meeting_figures(call: narrative.Call, period: kpis.Period, lang: str = "zh",
                    sections: tuple[str, ...] = SECTIONS) -> list[MeetingChart]:
    """The charts the presentation page and the deck show, from the KPI functions.

    ``call`` is ``ui.common.q`` in the app or :func:`narrative.kpi_caller` elsewhere.
    """
    from . import charts

    L = (lambda zh, en: zh) if lang == "zh" else (lambda zh, en: en)  # noqa: E731
    out: list[MeetingChart] = []
    for sector in ("duck", "hog"):
        if sector not in sections:
            continue
        m = call("monthly", sector, period)
        if m.empty:
            continue
        name = fmt.sector_name(sector, lang)
        out.append(MeetingChart(sector, L(f"{name}_月末存栏", f"{name}_stock"),
                                charts.stock_trend(m, sector, lang)))
        title = L(f"{name}月度收入、成本与利润（万元）", f"{name}: monthly revenue, cost, profit")
        out.append(MeetingChart(sector, L(f"{name}_月度收支", f"{name}_money"),
                                charts.money_trend(m, title, lang)))
    if "greenhouse" in sections:
        crops = call("per_mu_by", "crop", period)
        if not crops.empty:
            title = L("各作物亩均产值与亩均效益（元/亩）", "Output value and profit per mu by crop")
            out.append(MeetingChart("greenhouse", L("大棚_各作物亩均", "greenhouse_per_mu_by_crop"),
                                    charts.per_mu_grouped(crops, title, lang)))
            out.append(MeetingChart("greenhouse", L("大棚_亩产与参考", "greenhouse_yield_vs_reference"),
                                    charts.crop_yield_vs_reference(crops, lang)))
    if "per_mu" in sections:
        cross = call("cross_sector_per_mu", period)
        if not cross.empty:
            out.append(MeetingChart("per_mu", L("各板块亩均对比", "per_mu_by_sector"),
                                    charts.cross_sector(cross, lang)))
    return out


def for_slides(fig: Any) -> Any:
    """A copy of a figure with type large enough for a half-slide picture."""
    out = type(fig)(fig)
    out.update_layout(font={"size": 16}, title={"font": {"size": 20}}, height=DECK_PNG["height"])
    return out


# --- 口径 and stamps shared by the page and the deck -------------------------------------------

def source_label(demo: bool, lang: str = "zh") -> str:
    if demo:
        return "示例数据（演示程序生成，非真实统计）" if lang == "zh" else "示例数据 (demo data, not real)"
    return "各合作社上报的月度报表" if lang == "zh" else "monthly reports uploaded by the cooperatives"


def as_of_label(as_of: dict, lang: str = "zh") -> str:
    """'数据截至 2023年12月（最近上传 2024-01-05 10:12）' from kpis.data_as_of."""
    m, up = as_of.get("latest_month"), as_of.get("last_upload")
    if lang == "zh":
        text = f"数据截至 {int(m[:4])}年{int(m[5:])}月" if m else "数据截至 —（尚无数据）"
        return text + (f"（最近上传 {up}）" if up else "")
    text = f"Data as of {m}" if m else "Data as of — (no data yet)"
    return text + (f" (last upload {up})" if up else "")


# --- the deck ------------------------------------------------------------------------------------

def sector_lines(facts: narrative.Facts, lang: str = "zh") -> dict[str, list[tuple[str, str]]]:
    """Per sector the (label, value) lines of the deck and the presentation page.

    Formatted with analytics.fmt, exactly as the dashboard pages show them.
    """
    k = facts.kpis
    d, h, g, t = k["duck"], k["hog"], k["greenhouse"], k["total"]
    zh = lang == "zh"

    def lab(z: str, e: str) -> str:
        return z if zh else e

    def n(x: float, uz: str, ue: str) -> str:
        return fmt.count(x, uz, ue, lang)

    def yoy_line(sector: str, key: str) -> list[tuple[str, str]]:
        change = narrative.yoy(facts, sector, key)
        label = lab(f"{fmt.metric_name(key)}同比", f"{fmt.metric_name(key, 'en')} YoY")
        return [(label, fmt.pct(change))] if change is not None else []

    mu = lab(" 亩", " mu")
    return {
        "duck": [(lab("种鸭棚", "Sheds"), n(d["units"], "棚", " sheds")),
                 (lab("存栏", "Stock"), n(d["stock"], "羽", " birds")),
                 (lab("产蛋", "Eggs"), n(d["eggs"], "枚", " eggs")),
                 (lab("销售收入", "Revenue"), fmt.money(d["revenue"], lang)),
                 (lab("净利润", "Profit"), fmt.money(d["profit"], lang))] + yoy_line("duck", "profit")
                + [(lab("带动就业", "Jobs"), n(d["jobs"], "人", " people"))],
        "hog": [(lab("养猪户", "Farms"), n(h["units"], "户", " farms")),
                (lab("存栏", "Stock"), n(h["stock"], "头", " head")),
                (lab("能繁母猪", "Sows"), n(h["sows"], "头", " head")),
                (lab("出栏", "Marketed"), n(h["sold_head"], "头", " head")),
                (lab("利润", "Profit"), fmt.money(h["profit"], lang))] + yoy_line("hog", "profit")
               + [(lab("带动就业", "Jobs"), n(h["jobs"], "人", " people"))],
        "greenhouse": [(lab("大棚", "Plots"), n(g["units"], "个", " plots")),
                       (lab("面积", "Area"), fmt.thousands(g["area_mu"], 1) + mu),
                       (lab("销售收入", "Revenue"), fmt.money(g["revenue"], lang)),
                       (lab("利润", "Profit"), fmt.money(g["profit"], lang)),
                       (lab("亩均效益", "Profit per mu"), fmt.per_mu(g["profit_per_mu"], lang))]
                      + yoy_line("greenhouse", "profit_per_mu")
                      + [(lab("带动就业", "Jobs"), n(g["jobs"], "人", " people"))],
        "total": [(lab("流转土地", "Land"), fmt.thousands(facts.land_mu, 1) + mu),
                  (lab("养殖小区", "Breeding zones"), n(facts.zones, "个", "")),
                  (lab("总收入", "Revenue"), fmt.money(t["revenue"], lang)),
                  (lab("总利润", "Profit"), fmt.money(t["profit"], lang)),
                  (lab("带动就业", "Jobs"), n(t["jobs"], "人", " people"))],
    }


def per_mu_lines(cross: Any, lang: str = "zh") -> list[str]:
    """One line per sector of kpis.cross_sector_per_mu, plus how land is counted."""
    lines = []
    for r in cross.itertuples():
        name = fmt.sector_name(r.sector, lang)
        if lang == "zh":
            lines.append(f"{name}：每亩占地利润 {fmt.per_mu(r.profit_per_mu)}"
                         f"（{fmt.thousands(r.land_mu, 1)} 亩，{r.units:,} 个单元）")
        else:
            lines.append(f"{name}: profit per mu of land {fmt.per_mu(r.profit_per_mu, 'en')} "
                         f"({fmt.thousands(r.land_mu, 1)} mu, {r.units:,} units)")
    lines.append("大棚按种植面积计；种鸭、生猪按填报了占地的棚舍/养殖户计。" if lang == "zh" else
                 "Greenhouses on their area; ducks and hogs on the land of units that report it.")
    return lines


def _set_run(run: Any, size: float, *, bold: bool = False, color: tuple[int, int, int] | None = None) -> None:
    from pptx.dml.color import RGBColor
    from pptx.oxml.ns import qn
    from pptx.util import Pt

    f = run.font
    f.size = Pt(size)
    f.bold = bold
    f.name = DECK_FONT  # a:latin
    if color:
        f.color.rgb = RGBColor(*color)
    rpr = run._r.get_or_add_rPr()
    for tag in ("a:ea", "a:cs"):
        el = rpr.find(qn(tag))
        if el is None:
            el = rpr.makeelement(qn(tag), {})
            latin = rpr.find(qn("a:latin"))
            latin.addnext(el) if tag == "a:ea" else rpr.find(qn("a:ea")).addnext(el)
        el.set("typeface", DECK_FONT)


class _Deck:
    """A 16:9 python-pptx presentation with the few shapes the deck needs."""

    W, H = 13.333, 7.5
    DARK = (0x1F, 0x4E, 0x3D)
    GREY = (0x66, 0x66, 0x66)

    def __init__(self, footer: str) -> None:
        from pptx import Presentation
        from pptx.util import Emu, Inches

        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = Emu(12_192_000), Emu(6_858_000)  # 16:9, as PowerPoint
        self.footer = footer
        self.Inches = Inches

    def text(self, slide: Any, x: float, y: float, w: float, h: float, lines: list[str] | str,
             size: float = 18, *, bold: bool = False, color: tuple[int, int, int] | None = None,
             center: bool = False) -> Any:
        from pptx.enum.text import PP_ALIGN

        inch = self.Inches
        box = slide.shapes.add_textbox(inch(x), inch(y), inch(w), inch(h))
        tf = box.text_frame
        tf.word_wrap = True
        for i, line in enumerate([lines] if isinstance(lines, str) else lines):
            p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
            if center:
                p.alignment = PP_ALIGN.CENTER
            run = p.add_run()
            run.text = line
            _set_run(run, size, bold=bold, color=color)
        return box

    def slide(self, title: str | None = None) -> Any:
        s = self.prs.slides.add_slide(self.prs.slide_layouts[6])  # blank
        if title:
            self.text(s, 0.5, 0.3, self.W - 1, 0.8, title, 30, bold=True, color=self.DARK)
        self.text(s, 0.5, self.H - 0.5, self.W - 1, 0.35, self.footer, 10, color=self.GREY)
        return s

    def cards(self, slide: Any, y: float, pairs: list[tuple[str, str]], per_row: int = 4) -> float:
        """Label-over-value figures in rows of ``per_row``; returns the y below them."""
        w = (self.W - 1.2) / per_row
        for i, (label, value) in enumerate(pairs):
            x, row_y = 0.6 + (i % per_row) * w, y + (i // per_row) * 0.8
            self.text(slide, x, row_y, w, 0.3, label, 13, color=self.GREY)
            self.text(slide, x, row_y + 0.26, w, 0.45, value, 20, bold=True, color=self.DARK)
        return y + 0.8 * -(-len(pairs) // per_row)

    def picture(self, slide: Any, png: bytes, x: float, y: float, w: float) -> None:
        inch = self.Inches
        slide.shapes.add_picture(io.BytesIO(png), inch(x), inch(y), width=inch(w))

    def table(self, slide: Any, x: float, y: float, w: float, rows: list[list[str]],
              size: float = 16) -> None:
        inch = self.Inches
        shape = slide.shapes.add_table(len(rows), len(rows[0]), inch(x), inch(y), inch(w),
                                       inch(0.5 * len(rows)))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                cell = shape.table.cell(r, c)
                cell.text = ""
                run = cell.text_frame.paragraphs[0].add_run()
                run.text = value
                _set_run(run, size, bold=(r == 0 or c == 0))

    def bytes(self) -> bytes:
        buf = io.BytesIO()
        self.prs.save(buf)
        return buf.getvalue()


def _memo(call: narrative.Call) -> narrative.Call:
    seen: dict[tuple, Any] = {}

    def cached(fn_name: str, *args: Any) -> Any:
        key = (fn_name, *args)
        if key not in seen:
            seen[key] = call(fn_name, *args)
        return seen[key]

    return cached


SECTION_TITLES = {"duck": "种鸭养殖", "hog": "生猪养殖", "greenhouse": "大棚种植", "per_mu": "亩均效益对比"}


def build_deck(cur: kpis.Cursor, period: kpis.Period, *, demo: bool, progress: Progress | None = None,
               charts: bool = True, today: date | None = None) -> bytes:
    """The meeting deck (PPTX bytes, 16:9): title, KPIs, one slide per sector with its charts,
    per-mu comparison, the report paragraph, 口径 and source.

    ``progress(fraction, message)`` is called as it goes; ``charts=False`` leaves the images
    out (for quick checks). Every figure comes from :mod:`analytics.kpis` via the same
    :class:`narrative.Facts` as the paragraph.
    """
    report = progress or (lambda f, m: None)
    report(0.0, "计算指标")
    call = _memo(narrative.kpi_caller(cur))  # the slides ask for some figures twice
    facts = narrative.gather(call, period)
    as_of = kpis.data_as_of(cur)
    plabel = period.label("zh")
    footer = f"{TOWNSHIP} · {plabel} · {as_of_label(as_of)} · 来源：{source_label(demo)}"
    deck = _Deck(footer)
    lines = sector_lines(facts)
    figs = meeting_figures(call, period) if charts else []
    steps = len(figs) + 4
    done = 0

    def step(msg: str) -> None:
        nonlocal done
        done += 1
        report(min(done / steps, 0.99), msg)

    pngs: dict[str, bytes] = {}
    for chart in figs:
        step(f"生成图表：{chart.name}")
        pngs[chart.name] = fig_to_png(for_slides(chart.fig), **DECK_PNG)

    step("排版幻灯片")
    today = today or date.today()
    s = deck.slide()
    deck.text(s, 0.8, 2.2, deck.W - 1.6, 1.2, f"{TOWNSHIP}园区生产情况汇报", 44, bold=True,
              color=deck.DARK, center=True)
    deck.text(s, 0.8, 3.5, deck.W - 1.6, 0.7, f"{plabel}（{period.label_from} 至 {period.label_to}）",
              24, center=True)
    deck.text(s, 0.8, 4.3, deck.W - 1.6, 0.6, f"{today.year}年{today.month}月{today.day}日", 20,
              center=True, color=deck.GREY)
    if demo:
        deck.text(s, 0.8, 5.1, deck.W - 1.6, 0.6, "示例数据：本材料数字由演示程序生成，并非真实统计", 18,
                  center=True, color=(0xB0, 0x30, 0x30))

    s = deck.slide(f"主要指标 · {plabel}")
    k = facts.kpis
    rows = [["板块", "单元数", "存栏 / 面积", "利润", "利润同比", "带动就业"]]
    for sector, unit_word in (("duck", "棚"), ("hog", "户"), ("greenhouse", "个")):
        b = k[sector]
        stock = fmt.count(b["stock"], fmt.STOCK_UNIT[sector][0]) if sector in fmt.STOCK_UNIT else \
            f"{fmt.thousands(b['area_mu'], 1)} 亩"
        rows.append([fmt.sector_name(sector), f"{b['units']:,} {unit_word}", stock, fmt.money(b["profit"]),
                     fmt.pct(narrative.yoy(facts, sector, "profit")), f"{b['jobs']:,} 人"])
    rows.append(["合计", "", "", fmt.money(k["total"]["profit"]), "", f"{k['total']['jobs']:,} 人"])
    deck.table(s, 0.6, 1.4, deck.W - 1.2, rows, 18)
    deck.text(s, 0.6, 4.5, deck.W - 1.2, 0.4, "全镇", 16, bold=True, color=deck.DARK)
    deck.cards(s, 4.95, lines["total"], per_row=5)

    for sector in ("duck", "hog", "greenhouse"):
        step(f"排版：{SECTION_TITLES[sector]}")
        s = deck.slide(f"{SECTION_TITLES[sector]} · {plabel}")
        if not k[sector]["units"]:
            deck.text(s, 0.6, 1.5, deck.W - 1.2, 1, "所选期间没有该板块的上报数据。", 20)
            continue
        below = deck.cards(s, 1.15, lines[sector])
        mine = [c for c in figs if c.section == sector]
        for i, chart in enumerate(mine[:2]):
            deck.picture(s, pngs[chart.name], 0.5 + i * 6.2, below + 0.1, 6.1)

    s = deck.slide(f"亩均效益对比 · {plabel}")
    cross = call("cross_sector_per_mu", period)
    deck.text(s, 0.6, 1.3, 5.0, 4.5, per_mu_lines(cross), 16)
    for chart in (c for c in figs if c.section == "per_mu"):
        deck.picture(s, pngs[chart.name], 5.8, 1.3, 7.0)

    step("写入报告段落")
    s = deck.slide("工作报告表述")
    deck.text(s, 0.8, 1.4, deck.W - 1.6, 4.8, narrative.compose(facts), 22)

    s = deck.slide("口径与数据来源")
    defs = [f"{zh}：{text}" for zh, text, _ in narrative.DEFINITIONS.values()]
    defs += [f"数据来源：{source_label(demo)}", as_of_label(as_of),
             f"统计期间：{period.label_from} 至 {period.label_to}；范围：全镇（不受页面筛选影响）"]
    deck.text(s, 0.6, 1.2, deck.W - 1.2, 5.6, defs, 15)

    data = deck.bytes()
    report(1.0, "完成")
    return data
