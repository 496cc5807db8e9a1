"""Meeting material: PNGs with Chinese glyphs, the PPTX deck, the pack command, and the
consistency of paragraph and deck with ``python -m analytics kpis --json``."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest
from PIL import Image
from pptx import Presentation
from pptx.oxml.ns import qn
from pptx.util import Emu

from analytics import export, fmt, kpis, narrative
from analytics.__main__ import main
from analytics.db import Store

ROOT = Path(__file__).resolve().parent.parent
P2022 = kpis.Period.year(2022)
TITLES = ["", "主要指标 · 2022年", "种鸭养殖 · 2022年", "生猪养殖 · 2022年", "大棚种植 · 2022年",
          "亩均效益对比 · 2022年", "工作报告表述", "口径与数据来源"]


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
        data = export.build_deck(s.cursor(), P2022, demo=s.is_demo(),
                                 progress=lambda f, m: calls.append((f, m)))
    return data, calls


def slide_texts(data: bytes) -> list[str]:
    prs = Presentation(io.BytesIO(data))
    out = []
    for slide in prs.slides:
        parts = []
        for shape in slide.shapes:
            if shape.has_text_frame:
                parts.append(shape.text_frame.text)
            if shape.has_table:
                parts.extend(c.text for row in shape.table.rows for c in row.cells)
        out.append("\n".join(parts))
    return out


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


def test_zip_of_a_page(tmp_path):
    figs = {"种鸭/存栏": go.Figure(go.Bar(x=["一月"], y=[1])), "生猪 利润": go.Figure(go.Bar(x=["二月"], y=[2]))}
    seen = []
    data = export.figs_to_zip(figs, progress=lambda f, m: seen.append(m))
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.namelist() == ["种鸭_存栏.png", "生猪 利润.png"]
        assert all(zf.read(n)[:4] == b"\x89PNG" for n in zf.namelist())
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
    code = ("import analytics.export, ui.export, kaleido;"
            "print(kaleido._global_server.is_running())")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


# --- the deck ------------------------------------------------------------------------------------

def test_full_deck_slides_titles_and_figures(full_deck, demo_path):
    data, calls = full_deck
    prs = Presentation(io.BytesIO(data))
    assert (prs.slide_width, prs.slide_height) == (Emu(12192000), Emu(6858000))  # 16:9
    texts = slide_texts(data)
    assert len(texts) == 8
    for text, title in zip(texts, TITLES):
        assert title in text
    assert "济阳镇园区生产情况汇报" in texts[0] and "示例数据" in texts[0]
    pictures = [sum(1 for sh in s.shapes if sh.shape_type == 13) for s in prs.slides]
    assert pictures == [0, 0, 2, 2, 2, 1, 0, 0]
    with Store(demo_path, read_only=True) as s:
        k = kpis.park_kpis(s.cursor(), P2022)
        paragraph = narrative.paragraph(s.cursor(), P2022)
    assert fmt.count(k["duck"]["stock"], "羽") in texts[2]          # 62.1 万羽
    assert fmt.money(k["hog"]["profit"]) in texts[3]                 # 2,460 万元
    assert fmt.per_mu(k["greenhouse"]["profit_per_mu"]) in texts[4]  # 5,420 元/亩
    assert paragraph in texts[6]
    assert "存栏：各单元期间内最后一次上报的存栏之和" in texts[7] and "数据来源：示例数据" in texts[7]
    # progress went forwards to 1.0, naming each chart
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert sum(m.startswith("生成图表") for _, m in calls) == 7


def test_deck_runs_carry_an_east_asian_font(full_deck):
    prs = Presentation(io.BytesIO(full_deck[0]))
    runs = [r for s in prs.slides for sh in s.shapes if sh.has_text_frame
            for p in sh.text_frame.paragraphs for r in p.runs]
    assert runs
    for r in runs:
        ea = r._r.find(qn("a:rPr")).find(qn("a:ea"))
        assert ea is not None and ea.get("typeface") == export.DECK_FONT, r.text


def test_deck_without_data_says_so(store):
    data = export.build_deck(store.cursor(), P2022, demo=False, charts=False)
    texts = slide_texts(data)
    assert len(texts) == 8
    assert "所选期间没有该板块的上报数据" in texts[2]
    assert "2022年，所选期间暂无上报数据。" in texts[6]
    assert "示例数据" not in "".join(texts) and "各合作社上报的月度报表" in texts[7]


def test_pack_cli(demo_path, tmp_path, capsys):
    out = tmp_path / "会议" / "汇报.pptx"
    assert main(["pack", "--db", str(demo_path), "--from", "2023-01", "--to", "2023-06",
                 "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "汇报材料已生成" in captured.out
    assert re.search(r"\[\s*\d+%\] 生成图表：种鸭_月末存栏", captured.err)
    assert "[100%] 完成" in captured.err
    texts = slide_texts(out.read_bytes())
    assert "主要指标 · 2023年1月—2023年6月" in texts[1]
    assert main(["pack", "--db", str(demo_path), "--year", "2022", "--out", str(tmp_path / "x.ppt")]) == 2


# --- consistency: paragraph and deck say what `kpis --json` says ----------------------------------

def test_paragraph_and_deck_equal_kpis_json(full_deck, demo_path, capsys):
    k = kpis_json(capsys, demo_path, "--year", "2022")
    with Store(demo_path, read_only=True) as s:
        cur = s.cursor()
        exact = narrative.paragraph(cur, P2022, exact=True)
        rounded = narrative.paragraph(cur, P2022)
    d, h, g = k["duck"], k["hog"], k["greenhouse"]
    # the exact paragraph carries the JSON figures themselves
    for figure in (f"{d['units']}棚", f"{d['stock']}羽", f"{d['profit'] / 1e4:.2f}万元", f"带动{d['jobs']}人",
                   f"养猪户{h['units']}户", f"{h['stock']}头", f"{h['profit'] / 1e4:.2f}万元", f"带动{h['jobs']}人",
                   f"亩均效益{g['profit_per_mu']:.0f}元", f"带动{g['jobs']}人"):
        assert figure in exact, figure
    # the report paragraph carries the same figures through the rounding rule
    r = narrative.report_number
    for figure in (r(d["units"], "棚", digits=narrative.FACILITY) + r(d["stock"], "羽"),
                   "净利润" + r(d["profit"], "元"), f"带动{r(d['jobs'], '人', more='多')}就业",
                   "存栏生猪" + r(h["stock"], "头"), "利润" + r(h["profit"], "元"),
                   "亩均效益" + r(g["profit_per_mu"], "元"), f"带动{r(g['jobs'], '人')}就业"):
        assert figure in rounded, figure
    # the deck's own text boxes show the JSON figures as the pages format them
    texts = slide_texts(full_deck[0])
    deck = "\n".join(texts)
    assert rounded in texts[6]
    for figure in (fmt.count(d["stock"], "羽"), fmt.money(d["profit"]), f"{d['jobs']:,} 人",
                   fmt.count(h["stock"], "头"), fmt.money(h["profit"]), f"{h['jobs']:,} 人",
                   fmt.per_mu(g["profit_per_mu"]), fmt.money(g["profit"]), f"{g['jobs']:,} 人",
                   fmt.money(k["total"]["profit"]), f"{k['total']['jobs']:,} 人"):
        assert figure in deck, figure
    # and the KPI table row by row
    table = texts[1]
    assert f"{d['units']:,} 棚" in table and f"{h['units']:,} 户" in table and f"{g['units']:,} 个" in table
