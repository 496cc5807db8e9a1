"""Meeting material: stamped PNGs with Chinese glyphs, the PPTX deck as designed (slide count,
page numbers and stamps, chart sizes, no overflowing text), the pack command, and the
consistency of paragraph and deck with ``python -m analytics kpis --json``."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
import unicodedata
import zipfile
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest
from PIL import Image
from pptx import Presentation
from pptx.oxml.ns import qn
from pptx.util import Emu

from analytics import figures, fmt, scope
from analytics.__main__ import main
from analytics.meeting import export, narrative, slides, theme
from analytics.store.db import Store

ROOT = Path(__file__).resolve().parent.parent
P2022 = scope.Period.year(2022)
TITLES = ["济阳镇园区生产情况汇报", "目录", "总体情况", "本月情况", "种鸭养殖", "生猪养殖", "大棚种植",
          "年度目标完成情况", "亩均效益对比", "存在问题", "工作报告表述", "口径与数据来源"]
TITLES_EN = ["Jiyang Park: Production Report", "Contents", "Overview", "This month", "Breeder ducks", "Hogs",
             "Greenhouses",
             "Progress against the year's targets", "Profit per mu of land", "Issues", "Report paragraph",
             "Definitions and sources"]
TODAY = date(2024, 3, 5)
PICTURE = 13  # MSO_SHAPE_TYPE.PICTURE


@pytest.fixture(scope="module")
def demo_path(demo_db_file, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("export") / "demo.duckdb"
    shutil.copy(demo_db_file, path)
    return path


@pytest.fixture(scope="module")
def full_deck(demo_path) -> tuple[bytes, list[tuple[float, str]]]:
    """The full 2022 deck with all its charts, built once for the module."""
    calls: list[tuple[float, str]] = []
    with Store(demo_path, read_only=True) as s:
        data = export.build_deck(s.cursor(), P2022, demo=s.is_demo(), today=TODAY,
                                 progress=lambda f, m: calls.append((f, m)))
    return data, calls


@pytest.fixture(scope="module")
def english_deck(demo_path, tmp_path_factory) -> bytes:
    out = tmp_path_factory.mktemp("en") / "report.pptx"
    assert main(["pack", "--db", str(demo_path), "--year", "2022", "--lang", "en", "--out", str(out)]) == 0
    return out.read_bytes()


def shape_text(shape) -> str:
    if shape.has_text_frame:
        return shape.text_frame.text
    return ""


def slide_texts(data: bytes) -> list[str]:
    prs = Presentation(io.BytesIO(data))
    return ["\n".join(shape_text(sh) for sh in slide.shapes) for slide in prs.slides]


def named(slide, name: str):
    return [sh for sh in slide.shapes if sh.name == name]


def kpis_json(capsys, db: Path, *period: str) -> dict:
    assert main(["kpis", "--db", str(db), *period, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


# --- PNG -----------------------------------------------------------------------------------------

def _title_png(title: str) -> np.ndarray:
    fig = go.Figure(go.Bar(x=["a", "b"], y=[1, 2]))
    fig.update_layout(title={"text": title, "font": {"size": 40}}, font={"family": export.PNG_FONT_FAMILY},
                      width=800, height=400, template="plotly_white")
    png = export.fig_to_png(fig, width=800, height=400, scale=1)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    img = np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float)
    assert img.shape == (400, 800)
    return img[:90, :]  # the title band


def test_png_draws_chinese_glyphs():
    empty = _title_png("")
    duck = _title_png("种鸭存栏月度利润")
    hog = _title_png("生猪出栏亩均效益")
    # the title is drawn: dark pixels where the empty figure has none
    assert (empty < 100).sum() == 0
    assert (duck < 100).sum() > 1500
    # and as glyphs, not as identical "tofu" boxes: two different texts look different
    assert np.abs(duck - hog).mean() > 3
    assert ((duck < 100) != (hog < 100)).sum() > 1000


AS_OF = {"latest_month": "2023-12", "last_upload": "2024-01-05 10:12"}


def _stamped(period=P2022, demo=True) -> tuple[np.ndarray, np.ndarray, export.Stamp]:
    fig = go.Figure(go.Bar(x=["一月", "二月"], y=[3, 5], marker_color=theme.LIGHT.accent))
    stamp = export.Stamp(period, AS_OF, demo)
    plain = export.fig_to_png(fig, width=600, height=300, scale=2)
    stamped = export.chart_png(fig, stamp, width=600, height=300, scale=2)
    return (np.asarray(Image.open(io.BytesIO(plain)).convert("RGB"), dtype=int),
            np.asarray(Image.open(io.BytesIO(stamped)).convert("RGB"), dtype=int), stamp)


def test_exported_png_carries_the_stamp_band():
    plain, stamped, stamp = _stamped()
    band = round(export.STAMP_BAND * 2)
    assert plain.shape == (600, 1200, 3)
    assert stamped.shape == (600 + band, 1200, 3)  # the band is inside the image, below the chart
    assert (stamped[:600] == plain).all()  # the chart itself untouched
    strip = stamped[600 + 2:]
    ink = (strip.sum(axis=2) < 600)  # text pixels, darker than the white band
    assert ink.sum() > 3_000
    cols = np.flatnonzero(ink.any(axis=0))
    assert cols.min() < 60 and cols.max() > 1100  # from the left edge to the demo mark at the right
    red = (strip[..., 0] > 140) & (strip[..., 1] < 90) & (strip[..., 2] < 90)
    assert red[:, 900:].sum() > 100 and red[:, :600].sum() == 0  # 示例数据 in red, at the right
    assert stamp.text() == ("2022年 ｜ 数据截至 2022年12月 ｜ 来源：示例数据（演示程序生成，非真实统计） ｜ "
                            "济阳镇园区生产看板")


def test_real_data_stamp_has_no_demo_mark():
    _, stamped, stamp = _stamped(demo=False)
    strip = stamped[600 + 2:]
    red = (strip[..., 0] > 140) & (strip[..., 1] < 90) & (strip[..., 2] < 90)
    assert red.sum() == 0
    assert "各合作社上报的月度报表" in stamp.text() and "示例数据" not in stamp.text()


def _tesseract_chi_sim() -> bool:
    if not shutil.which("tesseract"):
        return False
    out = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30)  # noqa: S607
    return "chi_sim" in (out.stdout + out.stderr).split()


@pytest.mark.skipif(not _tesseract_chi_sim(), reason="tesseract-ocr-chi-sim is not installed")
def test_stamp_band_reads_the_period_by_ocr(tmp_path):
    _, stamped, _ = _stamped(scope.Period.months("2023-01", "2023-06"))
    band = stamped[600:, :]
    img = Image.fromarray(band.astype("uint8")).resize((band.shape[1] * 2, band.shape[0] * 2))
    path = tmp_path / "band.png"
    img.save(path)
    out = subprocess.run(["tesseract", str(path), "stdout", "-l", "chi_sim", "--psm", "7"],  # noqa: S607
                         capture_output=True, text=True, timeout=60).stdout
    text = re.sub(r"\s+", "", out)
    assert "2023年1月" in text and "2023年6月" in text, out
    assert "数据截至" in text, out


@pytest.mark.parametrize(("topic", "period", "lang", "name"), [
    ("种鸭月度收支", P2022, "zh", "种鸭月度收支_2022年_数据截至2022年12月.png"),
    ("总览-各板块月度利润", scope.Period.months("2023-01", "2023-06"), "zh",
     "总览-各板块月度利润_2023年1月-2023年6月_数据截至2023年6月.png"),
    ("ducks-monthly-money", P2022, "en", "ducks-monthly-money_2022_data-as-of-2022-12.png"),
    ("per:mu/sector", scope.Period.months("2023-01", "2023-06"), "en",
     "per_mu_sector_2023-01-to-2023-06_data-as-of-2023-06.png"),
])
def test_png_file_names_say_topic_period_and_data_date(topic, period, lang, name):
    assert export.Stamp(period, AS_OF, True, lang).file_name(topic) == name


def test_zip_of_a_page_is_stamped_and_named(tmp_path):
    figs = {"种鸭/存栏": go.Figure(go.Bar(x=["一月"], y=[1])), "生猪 利润": go.Figure(go.Bar(x=["二月"], y=[2]))}
    seen = []
    stamp = export.Stamp(P2022, AS_OF, True)
    other = export.Stamp(scope.Period.months("2021-01", "2023-12"), AS_OF, True)
    data = export.figs_to_zip(figs, stamp, progress=lambda f, m: seen.append(m), stamps={"生猪 利润": other})
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.namelist() == ["种鸭_存栏_2022年_数据截至2022年12月.png",
                                 "生猪 利润_2021年1月-2023年12月_数据截至2023年12月.png"]
        for n in zf.namelist():
            img = Image.open(io.BytesIO(zf.read(n)))
            assert img.size == (2400, 1000 + 2 * export.STAMP_BAND)  # 1200 × 500 at 2×, plus the band
    assert seen[:2] == ["种鸭/存栏", "生猪 利润"]


def test_missing_chromium_is_a_clear_message(monkeypatch, tmp_path, demo_path, capsys):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-chromium"))
    monkeypatch.setattr(export, "_problem_cache", {})
    with pytest.raises(export.ExportUnavailable, match="未找到 Chromium"):
        export.fig_to_png(go.Figure())
    out = tmp_path / "deck.pptx"
    assert main(["pack", "--db", str(demo_path), "--year", "2022", "--out", str(out)]) == 1
    assert "未找到 Chromium" in capsys.readouterr().err and not out.exists()


def test_missing_fonts_is_a_clear_message(monkeypatch):
    monkeypatch.setattr(export, "_problem_cache", {})
    monkeypatch.setattr(export, "cjk_font_available", lambda: False)
    with pytest.raises(export.ExportUnavailable, match="缺少中文字体"):
        export.fig_to_png(go.Figure())


def test_importing_the_export_layer_starts_no_browser():
    code = ("import analytics.meeting.export, ui.export, kaleido;"
            "print(kaleido._global_server.is_running())")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


# --- the deck as designed ---------------------------------------------------------------------------

def test_deck_slides_titles_page_numbers_and_stamps(full_deck):
    data, calls = full_deck
    prs = Presentation(io.BytesIO(data))
    assert (prs.slide_width, prs.slide_height) == (Emu(12192000), Emu(6858000))  # 16:9
    slides_ = list(prs.slides)
    assert len(slides_) == 12
    for i, (slide, title) in enumerate(zip(slides_, TITLES), start=1):
        (head,) = named(slide, "title")
        assert head.text_frame.text.endswith(title)
        if i == 1:
            text = "\n".join(shape_text(sh) for sh in slide.shapes)
            assert "济阳镇园区生产情况汇报" in text and "2022年（2022-01 至 2022-12）" in text
            assert "汇报日期：2024年3月5日" in text and "数据截至 2022年12月" in text
            assert "示例数据：本材料数字由演示程序生成" in text
            continue
        (page,) = named(slide, "page number")
        assert page.text_frame.text == f"{i} / 12"
        (stamp,) = named(slide, "stamp")
        lines = stamp.text_frame.text.split("\n")
        assert lines[0].startswith("2022年 ｜ 数据截至 2022年12月") and "来源：示例数据" in lines[0], lines
    # the agenda lists the slides after it, with their page numbers
    agenda = named(slides_[1], "body")[0].text_frame.text.split("\n")
    assert agenda == [f"{n:02d}\u3000{title}" for n, title in enumerate(TITLES[2:], start=3)]
    # progress went forwards to 1.0, naming each chart
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert [m for _, m in calls if m.startswith("生成图表")] == [
        "生成图表：各板块月度利润", "生成图表：本月环比同比", "生成图表：种鸭月度收支", "生成图表：生猪月度收支",
        "生成图表：大棚各作物亩均效益", "生成图表：年度目标完成进度", "生成图表：各板块亩均对比"]


def test_charts_fill_the_slide_at_twice_their_box(full_deck):
    prs = Presentation(io.BytesIO(full_deck[0]))
    sw, sh = prs.slide_width, prs.slide_height
    pictures = {i: [s for s in slide.shapes if s.shape_type == PICTURE] for i, slide in enumerate(prs.slides, 1)}
    assert [len(p) for p in pictures.values()] == [0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]  # 本月情况 (4th) too
    for i, pics in pictures.items():
        for pic in pics:
            assert pic.width >= 0.6 * sw or pic.width * pic.height >= 0.45 * sw * sh, (i, pic.width)
            px_w, px_h = Image.open(io.BytesIO(pic.image.blob)).size
            box_w, box_h = pic.width / theme.EMU_PER_PX, pic.height / theme.EMU_PER_PX
            assert (px_w, px_h) == (round(2 * box_w), round(2 * box_h))  # 2× the box: no upscaling blur


def test_topic_slides_have_at_most_three_headline_figures(full_deck):
    prs = Presentation(io.BytesIO(full_deck[0]))
    counts = [sum(1 for sh in slide.shapes if sh.name.startswith("figure ")) for slide in prs.slides]
    assert counts == [0, 0, 3, 3, 3, 3, 3, 2, 3, 0, 0, 0]
    # figures sit above the chart, in one row
    for slide in list(prs.slides)[2:8]:
        figs = [sh for sh in slide.shapes if sh.name.startswith("figure ")]
        pics = [sh for sh in slide.shapes if sh.shape_type == PICTURE]
        assert len({f.top for f in figs}) == 1
        assert all(f.top + f.height <= p.top for f in figs for p in pics)


# Estimated text extent (independent of analytics.meeting.slides): CJK and full-width characters one em,
# Latin 0.62 em, space 0.3 em; words do not break; line height as set on the paragraph.
def _advance(c: str) -> float:
    if unicodedata.east_asian_width(c) in ("W", "F"):
        return 1.0
    return 0.3 if c == " " else 0.62


def _lines(text: str, size_pt: float, width_pt: float) -> int:
    tokens = re.findall(r"[A-Za-z0-9.,%+\-¥'’()/:]+ ?|\s|.", text)
    lines, used = 1, 0.0
    for tok in tokens:
        w = sum(_advance(c) for c in tok) * size_pt
        if used + w > width_pt + 0.01 and used > 0:
            lines, used = lines + 1, w
        else:
            used += w
    return lines


def _text_extent(shape) -> float:
    """Height in pt the text of a text box needs at its font sizes and the box's width."""
    width = shape.width / 12700
    total = 0.0
    for p in shape.text_frame.paragraphs:
        size = max(r.font.size.pt for r in p.runs)
        spacing = p.line_spacing.pt if p.line_spacing is not None and hasattr(p.line_spacing, "pt") else size * 1.2
        after = p.space_after.pt if p.space_after is not None else 0.0
        total += _lines(p.text, size, width) * spacing + after
    return total


@pytest.mark.parametrize("which", ["zh", "en"])
def test_no_text_box_overflows_or_overlaps(full_deck, english_deck, which):
    prs = Presentation(io.BytesIO(full_deck[0] if which == "zh" else english_deck))
    for n, slide in enumerate(prs.slides, start=1):
        boxes = [sh for sh in slide.shapes if sh.has_text_frame and sh.text_frame.text.strip()]
        for sh in boxes:
            assert sh.left >= 0 and sh.top >= 0
            assert sh.left + sh.width <= prs.slide_width and sh.top + sh.height <= prs.slide_height
            need, room = _text_extent(sh), sh.height / 12700
            assert need <= room + 0.5, (which, n, sh.name, sh.text_frame.text[:40], need, room)
        for a in boxes:
            for b in boxes:
                if a is b:
                    continue
                apart = (a.left + a.width <= b.left or b.left + b.width <= a.left
                         or a.top + a.height <= b.top or b.top + b.height <= a.top)
                assert apart, (which, n, a.name, b.name)


def test_deck_runs_carry_an_east_asian_font(full_deck):
    prs = Presentation(io.BytesIO(full_deck[0]))
    runs = [r for s in prs.slides for sh in s.shapes if sh.has_text_frame
            for p in sh.text_frame.paragraphs for r in p.runs]
    assert runs
    for r in runs:
        ea = r._r.find(qn("a:rPr")).find(qn("a:ea"))
        assert ea is not None and ea.get("typeface") == theme.DECK_FONT == export.DECK_FONT, r.text


def test_deck_in_the_theme(full_deck):
    """One theme: the deck's title colour, figure colour and accent bar are the palette's."""
    prs = Presentation(io.BytesIO(full_deck[0]))
    slide = prs.slides[3]
    (title,) = named(slide, "title")
    assert str(title.text_frame.paragraphs[0].runs[0].font.color.rgb) == theme.LIGHT.title.lstrip("#").upper()
    value = named(slide, "figure 1")[0].text_frame.paragraphs[1].runs[0]
    assert str(value.font.color.rgb) == theme.LIGHT.figure.lstrip("#").upper()
    assert value.font.size.pt == theme.SLIDE_TYPE.figure * theme.PT_PER_PX


def test_english_deck(english_deck):
    texts = slide_texts(english_deck)
    assert len(texts) == 12
    for text, title in zip(texts, TITLES_EN):
        assert title in text
    for text in texts:  # no Chinese at all in the English deck (the demo mark is DEMO DATA)
        cjk = {c for c in text if unicodedata.east_asian_width(c) == "W" and c not in "｜　"}
        assert not cjk, cjk
    assert "DEMO DATA" in texts[0]
    assert texts[0].strip().startswith("Jiyang Park: Production Report")
    assert "In 2022, the park holds over 4,500 mu" in texts[10]


def test_deck_without_data_says_so(store):
    data = export.build_deck(store.cursor(), P2022, demo=False, charts=False)
    texts = slide_texts(data)
    assert len(texts) == 11
    assert "所选期间没有该板块的上报数据" in texts[3]
    assert "2022年尚未设定年度目标" in texts[6]
    assert "2022年，所选期间暂无上报数据。" in texts[9]
    assert "示例数据" not in "".join(texts) and "各合作社上报的月度报表" in texts[10]


def test_pack_cli(demo_path, tmp_path, capsys):
    out = tmp_path / "会议" / "汇报.pptx"
    assert main(["pack", "--db", str(demo_path), "--from", "2023-01", "--to", "2023-06",
                 "--exact", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "汇报材料已生成" in captured.out
    assert re.search(r"\[\s*\d+%\] 生成图表：种鸭月度收支", captured.err)
    assert "[100%] 完成" in captured.err
    texts = slide_texts(out.read_bytes())
    assert "济阳镇 · 2023年1月—2023年6月" in texts[4]
    assert "年度目标按全年设定" in texts[7]  # a half year is not compared with the year's targets
    with Store(demo_path, read_only=True) as s:
        exact = narrative.paragraph(s.cursor(), scope.Period.months("2023-01", "2023-06"), exact=True)
    assert exact in texts[10]  # --exact: the paragraph as the page's 精确 choice writes it
    assert main(["pack", "--db", str(demo_path), "--year", "2022", "--out", str(tmp_path / "x.ppt")]) == 2


# --- one computation per figure -------------------------------------------------------------------------

def test_no_kpi_is_computed_twice_for_one_deck(demo_path):
    seen: Counter = Counter()
    with Store(demo_path, read_only=True) as s:
        cur = s.cursor()

        def call(fn_name, *args):
            seen[(fn_name, *args)] += 1
            return getattr(figures, fn_name)(cur, *args)

        export.build_deck(call, P2022, demo=True, charts=False)
    assert seen and max(seen.values()) == 1, [k for k, n in seen.items() if n > 1]
    names = Counter(k[0] for k in seen)
    # the year once (同比 from the comparison, not the whole year before); targets measured on that
    # same KPI JSON; then the 本月情况 view's month
    assert "park_kpis_many" not in names and "target_progress" not in names
    assert [(k[1].is_month, k[1].start.year) for k in seen if k[0] == "park_kpis"] == [(False, 2022), (True, 2022)]


def test_deck_reuses_rendered_charts(demo_path):
    """A render cache shared with the views: the second deck renders nothing again."""
    cache: dict[str, bytes] = {}
    renders = []

    def render(fig, w, h, scale):
        key = json.dumps(fig, sort_keys=True, default=str) + f"{w}x{h}@{scale}"
        if key not in cache:
            renders.append(key)
            cache[key] = export.render_png(fig, w, h, scale)
        return cache[key]

    with Store(demo_path, read_only=True) as s:
        export.build_deck(s.cursor(), P2022, demo=True, render=render)
        assert len(renders) == 7  # one per chart slide, 本月情况 included
        export.build_deck(s.cursor(), P2022, demo=True, render=render)
    assert len(renders) == 7


# --- consistency: paragraph and deck say what `kpis --json` says ----------------------------------

def test_paragraph_and_deck_equal_kpis_json(full_deck, demo_path, capsys):
    k = kpis_json(capsys, demo_path, "--year", "2022")
    with Store(demo_path, read_only=True) as s:
        cur = s.cursor()
        exact = narrative.paragraph(cur, P2022, exact=True)
        rounded = narrative.paragraph(cur, P2022)
    d, h, g = k["duck"], k["hog"], k["greenhouse"]
    # the exact paragraph carries the JSON figures themselves
    for figure in (f"{d['units']:,}棚", f"{d['stock']:,}羽", f"{d['profit'] / 1e4:,.2f}万元",
                   f"带动{d['jobs']:,}人", f"养猪户{h['units']}户", f"{h['stock']:,}头",
                   f"{h['profit'] / 1e4:,.2f}万元", f"带动{h['jobs']:,}人",
                   f"亩均效益{g['profit_per_mu']:,.0f}元", f"带动{g['jobs']:,}人"):
        assert figure in exact, figure
    # the report paragraph carries the same figures through the rounding rule
    r = narrative.report_number
    for figure in (r(d["units"], "棚") + r(d["stock"], "羽"),
                   "净利润" + r(d["profit"], "元"), f"带动{r(d['jobs'], '人', more='多')}就业",
                   "存栏生猪" + r(h["stock"], "头"), "利润" + r(h["profit"], "元"),
                   "亩均效益" + r(g["profit_per_mu"], "元"), f"带动{r(g['jobs'], '人')}就业"):
        assert figure in rounded, figure
    # the deck's own text boxes show the JSON figures as the pages format them
    texts = slide_texts(full_deck[0])
    assert rounded in texts[10]
    assert fmt.money(k["total"]["profit"]) in texts[2] and f"{k['total']['jobs']:,} 人" in texts[2]
    for figure in (fmt.count(d["stock"], "羽"), fmt.money(d["profit"]), f"{d['jobs']:,} 人",
                   f"种鸭棚 {d['units']:,} 个"):
        assert figure in texts[4], figure
    for figure in (fmt.count(h["stock"], "头"), fmt.count(h["sold_head"], "头"), fmt.money(h["profit"]),
                   f"养猪户 {h['units']:,} 户"):
        assert figure in texts[5], figure
    for figure in (fmt.per_mu(g["profit_per_mu"]), f"{g['jobs']:,} 人", f"{fmt.thousands(g['area_mu'], 0)} 亩"):
        assert figure in texts[6], figure
    # 同比 on the slide is the same change the paragraph states
    assert "同比 +16.4%" in texts[4] and "（同比增长16.4%）" in rounded  # comparable basis
    assert slides.TOWNSHIP in texts[0]


def test_an_incomplete_month_note_takes_a_line_of_its_own_in_the_band():
    fig = go.Figure(go.Bar(x=["一月", "二月"], y=[3, 5], marker_color=theme.LIGHT.accent))
    plain = export.fig_to_png(fig, width=600, height=300, scale=2)
    note = "12月 2613/2875 个单元已报；未报单元不计入"
    stamp = export.Stamp(P2022, AS_OF, False, note=note)
    img = np.asarray(Image.open(io.BytesIO(export.stamp_png(plain, stamp, scale=2))).convert("RGB"), dtype=int)
    line, band = round(export.STAMP_NOTE_LINE * 2), round(export.STAMP_BAND * 2)
    assert img.shape == (600 + line + band, 1200, 3)
    red = (img[..., 0] > 140) & (img[..., 1] < 90) & (img[..., 2] < 90)  # theme.LIGHT.down
    assert red[600:600 + line].sum() > 300 and red[600 + line:].sum() == 0  # the note in red, the stamp not
    assert note not in stamp.text()  # its own line, never shortened with the stamp line
