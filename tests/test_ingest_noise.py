"""Layout noise (issue 17): a header repeated for printing, a used range that counts formatting,
.ods workbooks, .xls sheet extents checked before the grid is built."""

from __future__ import annotations

import io
import struct
import time

import openpyxl
import pytest
import xlwt
from openpyxl.styles import Border, Side

from analytics import ingest
from tests.ods import ods_bytes
from tests.test_ingest import TODAY
from tests.test_ingest_layouts import HOG_H, csv_bytes, xls_bytes, xlsx_bytes

FOUR = [["2026-09", "青禾生猪养殖专业合作社", "赵一农", 180, 18, 30, 64000, 58000, 2],
        ["2026-09", "青禾生猪养殖专业合作社", "钱二牧", 95, 9, 12, 27000, 25500, 1],
        ["2026-09", "青禾生猪养殖专业合作社", "孙三田", 260, 26, 40, 85000, 80000, 3],
        ["2026-09", "青禾生猪养殖专业合作社", "李四仔", 60, 6, 0, 0, 9000, 1]]
RIGHT4 = {"units": 4, "stock": 595, "sows": 59, "sold_head": 82, "revenue": 176000.0}


def figures(p) -> dict:
    assert p.ok, p.errors.to_dict("records")
    f = p.frame
    return {"units": len(f), "stock": int(f["stock"].sum()), "sows": int(f["sows"].sum()),
            "sold_head": int(f["sold_head"].sum()), "revenue": float(f["revenue"].sum())}


def parse(data: bytes, name: str):
    return ingest.parse(data, name, today=TODAY)


UNITS = [None, None, None, "头", "头", "头", "元", "元", "人"]
PAGE_FORMS = {
    "title 第2页": (["青禾合作社 2026年9月 生猪月报（第1页）"], ["青禾合作社 2026年9月 生猪月报（第2页）"], False),
    "no title": (None, None, False),
    "续表": (None, ["续表"], False),
    "第 2 页 共 2 页": (None, ["第 2 页 共 2 页"], False),
    "with units row": (None, None, True),
}


@pytest.mark.parametrize("form", list(PAGE_FORMS))
@pytest.mark.parametrize("fmt", ["csv", "xlsx", "xls"])
def test_a_header_repeated_mid_sheet_is_skipped_and_named(form, fmt):
    first, second, units = PAGE_FORMS[form]
    rows = ([first] if first else []) + [HOG_H] + ([UNITS] if units else []) + FOUR[:2]
    cut = len(rows) + 1
    rows += ([second] if second else []) + [HOG_H] + ([UNITS] if units else []) + FOUR[2:]
    data = {"csv": lambda: csv_bytes(rows), "xlsx": lambda: xlsx_bytes({"s": rows}),
            "xls": lambda: xls_bytes({"s": rows})}[fmt]()
    p = parse(data, f"f.{fmt}")
    assert figures(p) == RIGHT4
    note = p.layout_notes()[0]
    header_at = cut + (1 if second else 0)
    repeated = f"第{header_at}、{header_at + 1}行" if units else f"第{header_at}行"
    assert f"{repeated}是重复的表头（分页打印），已跳过" in note
    if second:
        assert f"第{cut}行是分页标题，已跳过" in note


def test_a_two_row_header_repeated_mid_sheet():
    top = ["月份", "合作社", "养殖户", "存栏(头)", None, "出栏(头)", "销售收入(元)", "成本(元)", "用工(人)"]
    sub = [None, None, None, "合计", "其中：能繁母猪", None, None, None, None]
    rows = [top, sub, *FOUR[:2], top, sub, *FOUR[2:]]
    p = parse(xlsx_bytes({"s": rows}, {"s": ["D1:E1", "D5:E5"]}), "f.xlsx")
    assert figures(p) == RIGHT4
    assert "第5、6行是重复的表头" in p.layout_notes()[0]


def test_a_data_row_after_a_repeated_header_still_needs_its_keys():
    rows = [HOG_H, *FOUR[:2], HOG_H, ["2026-09", None, "孙三田", 260, 26, 40, 85000, 80000, 3]]
    p = parse(csv_bytes(rows), "f.csv")
    assert not p.ok and p.errors[["row", "column", "reason"]].values.tolist() == [[5, "合作社", "必填，不能为空"]]


# --- the used range counts values, not formatting ---------------------------------------------------

@pytest.mark.parametrize("where", ["I1048576", "XFD1", "XFD1048576", "A1048576"])
def test_a_formatted_empty_cell_far_away_does_not_count(where):
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in [HOG_H, *FOUR[:2]]:
        ws.append(r)
    ws[where].border = Border(left=Side(style="thin"))
    buf = io.BytesIO()
    wb.save(buf)
    p = parse(buf.getvalue(), "f.xlsx")
    assert figures(p)["stock"] == 275


def test_a_value_far_away_still_counts():
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in [HOG_H, *FOUR[:2]]:
        ws.append(r)
    ws["I1048576"] = 1
    buf = io.BytesIO()
    wb.save(buf)
    p = parse(buf.getvalue(), "f.xlsx")
    assert not p.ok and "用到了第 1,048,576 行" in p.errors.iloc[0]["reason"]


def _xls_with_blank_far(row: int, col: int) -> bytes:
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("s")
    for i, r in enumerate([HOG_H, *FOUR[:2]]):
        for j, v in enumerate(r):
            ws.write(i, j, v)
    ws.write(row, col, None, xlwt.easyxf("borders: left thin"))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_an_xls_with_a_formatted_cell_at_the_last_row_and_column_reads_fast():
    t = time.perf_counter()
    p = parse(_xls_with_blank_far(65535, 255), "f.xls")
    assert figures(p)["stock"] == 275
    assert time.perf_counter() - t < 30  # a generous bound: the 16-million-cell grid took minutes


def dims_patched(data: bytes, rows: int = 0xFFFFFFFF, cols: int = 0xFFFF) -> bytes:
    """An .xls whose first DIMENSIONS record (0x0200, length 14) claims ``rows`` × ``cols``."""
    at = data.find(b"\x00\x02\x0e\x00")
    assert at > 0
    out = bytearray(data)
    struct.pack_into("<IIHH", out, at + 4, 0, rows, 0, cols)
    return bytes(out)


def test_an_xls_claiming_more_rows_than_the_format_holds_is_refused_as_damaged():
    data = dims_patched(xls_bytes({"s": [HOG_H, *FOUR[:2]]}))
    p = parse(data, "f.xls")
    assert not p.ok
    assert "这个 .xls 文件已损坏：第 1 张工作表的范围记录写着 4,294,967,295 行" in p.errors.iloc[0]["reason"]


def test_an_xls_whose_claimed_range_is_too_small_or_large_but_possible_reads_its_cells():
    base = xls_bytes({"s": [HOG_H, *FOUR[:2]]})
    for rows, cols in ((65_536, 256), (1, 1)):
        assert figures(parse(dims_patched(base, rows, cols), "f.xls"))["stock"] == 275


# --- .ods ---------------------------------------------------------------------------------------------

def test_ods_reads_like_xlsx():
    p = parse(ods_bytes({"说明": [["每月一张"]], "9月": [HOG_H, *FOUR]}), "月报.ods")
    assert figures(p) == RIGHT4
    assert p.encoding == "ods" and p.ext == ".ods"
    assert "工作表“9月”：读取 4 行" in p.layout_notes()[0]
