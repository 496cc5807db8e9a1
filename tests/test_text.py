"""Text stays text: the escapes of analytics.text, and downloads and charts built with them."""

from __future__ import annotations

import csv
import io

import openpyxl
import pandas as pd
import pytest

from analytics import text
from analytics.figures import tables
from analytics.meeting import charts

# What a cooperative could type as a name (issue 11): Markdown, HTML, a formula, SQL, NUL.
HOSTILE = {
    "markdown": "[点我](http://evil.example/md)合作社",
    "html": "<a href=\"http://evil.example/a\">链接</a><img src=x onerror=alert(1)>",
    "formula": "=HYPERLINK(\"http://evil.example/f\",\"点\")",
    "plus": "+1+cmd|' /C calc'!A0",
    "minus": "-2+3",
    "at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "tab": "\t=1+1",
    "sql": "O'Brien'); DROP TABLE users;--",
    "nul": "空\x00字符社",
    "colour": ":red[红] :material/home: $x^2$ **粗** www.evil.example",
}


@pytest.mark.parametrize("key", HOSTILE)
def test_md_escapes_every_ascii_punctuation_mark(key):
    out = text.md(HOSTILE[key])
    i = 0
    while i < len(out):
        ch = out[i]
        if ch == "\\":
            assert out[i + 1] in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", out
            i += 2
            continue
        assert not (ch.isascii() and not ch.isalnum() and ch != " "), (ch, out)
        assert out[i:i + 4].lower() != "http" or out[i + 4:i + 6].lstrip("s")[:1] == text.WORD_JOINER, out
        assert ord(ch) >= 0x20, out  # no control character survives
        i += 1


def test_md_plain_and_control_characters():
    assert text.md("[a](b)") == r"\[a\]\(b\)"
    wj = text.WORD_JOINER  # breaks GFM's bare-URL and e-mail autolinks, invisibly
    assert text.md("www.x.cn") == "www" + wj + r"\.x\.cn"
    assert text.md("见 http://x 或 a@b.cn") == "见 http" + wj + r"\:\/\/x 或 a" + wj + r"\@b\.cn"
    assert text.md("HTTPS://x") == "HTTPS" + wj + r"\:\/\/x"
    assert text.plain("空\x00字\r\n符\x1b社\u202e") == "空␀字  符␛社\ufffd"
    assert text.plain(None) == ""
    assert text.md(12.5) == r"12\.5"


def test_chart_label_escapes_html_only():
    assert text.chart_label('<a href="x">y</a> & 社') == '&lt;a href="x"&gt;y&lt;/a&gt; &amp; 社'
    assert text.chart_label("山药") == "山药"
    assert text.chart_label("a\x00b") == "a␀b"


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"), ("兴旺社", "兴旺社"), ("a=b", "a=b"), ("空\x00社", "空␀社"),
    (-5, -5), (3.5, 3.5), (None, None),
])
def test_cell_neutralises_formula_leads(value, expected):
    assert text.cell(value) == expected


def hostile_table() -> pd.DataFrame:
    return pd.DataFrame({"合作社": list(HOSTILE.values()), "利润(元)": [-1234.5] * len(HOSTILE),
                         "单元数": range(len(HOSTILE))})


def test_csv_download_cells_are_neutralised():
    rows = list(csv.reader(io.StringIO(tables.to_csv_bytes(hostile_table()).decode("utf-8-sig"))))
    assert rows[0] == ["合作社", "利润(元)", "单元数"]
    names = [r[0] for r in rows[1:]]
    for name in names:
        assert not name.startswith(text.FORMULA_LEAD), name
        assert "\x00" not in name
    assert names[list(HOSTILE).index("formula")] == "'" + HOSTILE["formula"]
    assert names[list(HOSTILE).index("nul")] == "空␀字符社"
    assert {r[1] for r in rows[1:]} == {"-1234.5"}  # numbers stay numbers, minus and all


def test_xlsx_download_holds_text_not_formulas():
    wb = openpyxl.load_workbook(io.BytesIO(tables.to_xlsx_bytes(hostile_table(), "种鸭")))  # formulas kept
    ws = wb["种鸭"]
    cells = [c for row in ws.iter_rows(min_row=2) for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    names = [ws.cell(row=r, column=1).value for r in range(2, ws.max_row + 1)]
    assert names[list(HOSTILE).index("formula")] == "'" + HOSTILE["formula"]
    assert all(not n.startswith(text.FORMULA_LEAD) for n in names)
    assert [ws.cell(row=r, column=2).value for r in range(2, ws.max_row + 1)] == [-1234.5] * len(HOSTILE)


def test_chart_labels_from_data_are_escaped():
    df = pd.DataFrame({"group": [HOSTILE["html"], "山药"], "output_value_per_mu": [1.0, 2.0],
                       "profit_per_mu": [0.5, 1.0], "yield_kg_per_mu": [2_500.0, 2_600.0]})
    for fig in (charts.per_mu_grouped(df, "t"), charts.crop_yield_vs_reference(df)):
        x = list(fig.data[0].x)
        assert x[0].startswith("&lt;a href=") and "<" not in x[0]
        assert x[1] == "山药"
    # The reference band still finds the crop by its real name.
    assert len(charts.crop_yield_vs_reference(df).layout.shapes) == 1
    fig = charts.bar_ranked(pd.DataFrame({"v": [1], "n": [HOSTILE["markdown"] + "<b>"]}), "v", "n", "t")
    assert list(fig.data[0].y) == [HOSTILE["markdown"] + "&lt;b&gt;"]
