"""Every way a fault kind can be written (issue 8): totals, footers, units, months, placeholders,
currency, sheet layouts, workbooks — each read right, or refused naming the real cause."""

from __future__ import annotations

import io
from datetime import date, datetime

import numpy as np
import openpyxl
import pytest
import xlwt

from analytics import ingest
from tests.test_ingest import TODAY

HOG_H = ["月份", "合作社", "养殖户", "存栏(头)", "能繁母猪(头)", "出栏(头)", "销售收入(元)", "成本(元)", "用工(人)"]
HOG_ROWS = [["2026-09", "青禾生猪养殖专业合作社", "赵一农", 180, 18, 30, 64000, 58000, 2],
            ["2026-09", "青禾生猪养殖专业合作社", "钱二牧", 95, 9, 12, 27000, 25500, 1]]
RIGHT = {"stock": 275, "sows": 27, "revenue": 91000.0, "cost": 83500.0}


def csv_bytes(rows: list[list], enc: str = "utf-8") -> bytes:
    return "\n".join(",".join("" if v is None else str(v) for v in r) for r in rows).encode(enc) + b"\n"


def xlsx_bytes(sheets: dict[str, list[list]], merges: dict[str, list[str]] | None = None,
               hidden: tuple[str, ...] = ()) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
        for m in (merges or {}).get(name, []):
            ws.merge_cells(m)
        if name in hidden:
            ws.sheet_state = "hidden"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def xls_bytes(sheets: dict[str, list[list]], hidden: tuple[str, ...] = ()) -> bytes:
    wb = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for name, rows in sheets.items():
        ws = wb.add_sheet(name)
        if name in hidden:
            ws.visibility = 1
        for i, r in enumerate(rows):
            for j, v in enumerate(r):
                if isinstance(v, (date, datetime)):
                    ws.write(i, j, v, date_style)
                elif v is not None:
                    ws.write(i, j, v)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def parse(data: bytes, name: str = "f.csv", sector: str | None = None):
    return ingest.parse(data, name, sector, today=TODAY)


def figures(p) -> dict:
    assert p.ok, p.errors
    f = p.frame
    return {"stock": int(f["stock"].sum()), "sows": int(f["sows"].sum()), "revenue": float(f["revenue"].sum()),
            "cost": float(f["cost"].sum())}


# --- total and subtotal rows ---------------------------------------------------------------------

TOTAL_WORDS = ["合计", "合 计", "合\u3000计", "合计：", "合计:", "小计", "总计", "总 计", "共计", "本月合计",
               "全社合计"]


@pytest.mark.parametrize("word", TOTAL_WORDS)
@pytest.mark.parametrize("where", [0, 1, 2])  # in the month, cooperative or farm column
def test_total_rows_are_excluded_and_checked(word, where):
    total = ["2026-09", "青禾生猪养殖专业合作社", "", 275, 27, 42, 91000, 83500, 3]
    total[where] = word
    p = parse(csv_bytes([HOG_H, *HOG_ROWS, total]))
    assert figures(p) == RIGHT
    assert p.sheets[0].layout.totals == [4]
    assert "已跳过合计行第4行" in p.layout_notes()[0]
    assert p.warnings.empty  # the total agrees with its rows


def test_total_row_in_a_sequence_column_and_in_xlsx():
    rows = [["序号", *HOG_H]] + [[i + 1, *r] for i, r in enumerate(HOG_ROWS)] + [["合计", "", "", "", 275, 27]]
    for data, name in ((csv_bytes(rows), "f.csv"), (xlsx_bytes({"9月": rows}), "f.xlsx")):
        p = parse(data, name)
        assert figures(p) == RIGHT


def test_a_total_that_disagrees_is_a_warning_naming_both_figures():
    total = ["合计", "", "", 300, 27, 42, '"91,000"', 83500, 3]
    p = parse(csv_bytes([HOG_H, *HOG_ROWS, total]))
    assert figures(p) == RIGHT
    assert p.warnings[["row", "column"]].values.tolist() == [[4, "存栏(头)"]]
    assert "合计行的“存栏(头)”是 300，但它合计的 2 行之和是 275" in p.warnings.loc[0, "reason"]


def test_subtotals_check_their_own_rows():
    rows = [HOG_H, HOG_ROWS[0], ["2026-09", "青禾生猪养殖专业合作社", "小计", 180, 18],
            HOG_ROWS[1], ["", "", "小计", 95, 9], ["总计", "", "", 275, 27]]
    p = parse(csv_bytes(rows))
    assert figures(p) == RIGHT and p.warnings.empty
    assert p.sheets[0].layout.totals == [3, 5, 6]
    rows[4] = ["", "", "小计", 96, 9]
    assert "之和是 95" in parse(csv_bytes(rows)).warnings.loc[0, "reason"]


# --- footers -------------------------------------------------------------------------------------

FOOTERS = ["单位负责人：孙主任", "统计负责人：", "填表人：李会计", "审核人：王五", "报出日期：2026年10月5日",
           "制表：赵六",
           "制表人 赵六", "填报人:", "注：本表数据截至月末", "说明：单位为元"]


@pytest.mark.parametrize("footer", FOOTERS)
@pytest.mark.parametrize("col", [0, 3, 7])
def test_signature_footers_end_the_table(footer, col):
    row = [""] * len(HOG_H)
    row[col] = footer
    p = parse(csv_bytes([HOG_H, *HOG_ROWS, [""] * len(HOG_H), row, ["", "", "", "", "", "", "", "盖章"]]))
    assert figures(p) == RIGHT
    assert p.sheets[0].layout.footer == 5


def test_data_under_a_footer_is_refused_not_dropped():
    p = parse(csv_bytes([HOG_H, HOG_ROWS[0], ["填表人：李会计"], HOG_ROWS[1]]))
    assert not p.ok
    assert p.errors[["row", "reason"]].values.tolist() == [
        [4, "这一行在表尾（签名栏，第 3 行）下面，却像是数据；请把数据移到表尾上方"]]


# --- empty rows: blank, only a 序号, only formatting ------------------------------------------------

def test_prenumbered_sequence_rows_are_empty():
    rows = [["序号", *HOG_H]] + [[i + 1, *r] for i, r in enumerate(HOG_ROWS)] + [[i, *[None] * 9] for i in range(3, 11)]
    for data, name in ((csv_bytes(rows), "f.csv"), (xlsx_bytes({"s": rows}), "f.xlsx")):
        p = parse(data, name)
        assert figures(p) == RIGHT
        assert p.sheets[0].layout.empty == 8


# --- units -------------------------------------------------------------------------------------

@pytest.mark.parametrize("header,value,key,expected", [
    ("存栏(万头)", "0.018", "stock", 180), ("存栏（万只）", "0.018", "stock", 180), ("存栏(头)", "180", "stock", 180),
    ("销售收入(万元)", "6.4", "revenue", 64000), ("销售收入(千元)", "64", "revenue", 64000),
    ("出栏重(市斤)", "1000", "sold_kg", 500), ("出栏重(担)", "10", "sold_kg", 500),
    ("出栏重(万公斤)", "0.05", "sold_kg", 500), ("出栏重(吨)", "0.5", "sold_kg", 500),
    ("占地(公顷)", "2", "land_mu", 30), ("占地(平方米)", "6666.7", "land_mu", 10),
])
def test_header_units(header, value, key, expected):
    p = parse(csv_bytes([["月份", "合作社", "养殖户", header], ["2026-09", "社", "户1", value]]))
    assert p.ok, p.errors
    assert p.frame.loc[0, key] == pytest.approx(expected, rel=1e-4)


@pytest.mark.parametrize("header,value,expected", [
    ("存栏(万羽)", "0.39", 3900), ("产蛋(万枚)", "6", 60000), ("产蛋(千枚)", "60", 60000),
])
def test_duck_wan_units(header, value, expected):
    p = parse(csv_bytes([["月份", "合作社", "棚号", header], ["2026-09", "社", "D-1", value]]))
    assert p.ok, p.errors
    assert p.frame.iloc[0][p.frame.columns[3 if "存栏" in header else 4]] == pytest.approx(expected)


@pytest.mark.parametrize("cell,key,expected", [
    ("180头", "stock", 180), ("180 头", "stock", 180), ("6.4万元", "revenue", 64000), ("64000元", "revenue", 64000),
    ('"￥64,000.00"', "revenue", 64000), ("¥64000", "revenue", 64000), ("2人", "workers", 2), ("2名", "workers", 2),
])
def test_units_typed_in_cells_under_headers_without_a_unit(cell, key, expected):
    header = {"stock": "存栏", "revenue": "销售收入", "workers": "用工"}[key]
    p = parse(csv_bytes([["月份", "合作社", "养殖户", header], ["2026-09", "社", "户1", cell]]))
    assert p.ok, p.errors
    assert p.frame.loc[0, key] == pytest.approx(expected)


@pytest.mark.parametrize("header,cell,reason", [
    ("销售收入(元)", "6.4万元", "与表头的单位“元”不一致"),
    ("存栏(头)", "0.018万头", "与表头的单位“头”不一致"),
    ("存栏", "180元", "单位"),
    ("销售收入", "64000头", "单位"),
])
def test_units_in_cells_that_contradict_are_refused(header, cell, reason):
    p = parse(csv_bytes([["月份", "合作社", "养殖户", header], ["2026-09", "社", "户1", cell]]))
    assert not p.ok
    assert p.errors[["row", "value"]].values.tolist() == [[2, cell]]
    assert reason in p.errors.loc[0, "reason"]


def test_a_units_row_under_the_header():
    rows = [["月份", "合作社", "养殖户", "存栏", "能繁母猪", "出栏", "销售收入", "成本", "用工"],
            ["—", "", "", "头", "头", "头", "万元", "万元", "人"],
            ["2026-09", "青禾生猪养殖专业合作社", "赵一农", 180, 18, 30, 6.4, 5.8, 2],
            ["2026-09", "青禾生猪养殖专业合作社", "钱二牧", 95, 9, 12, 2.7, 2.55, 1]]
    for data, name in ((csv_bytes(rows), "f.csv"), (xlsx_bytes({"s": rows}), "f.xlsx")):
        p = parse(data, name)
        assert figures(p) == RIGHT
        assert "单位行第2行" in p.layout_notes()[0]


def test_a_units_row_contradicting_the_header_is_refused():
    p = parse(csv_bytes([HOG_H, ["", "", "", "头", "头", "头", "万元", "元", "人"], *HOG_ROWS]))
    assert not p.ok
    assert p.errors[["row", "column", "value"]].values.tolist() == [[2, "销售收入(元)", "万元"]]
    assert "与表头的单位“元”不一致" in p.errors.loc[0, "reason"]


def test_a_column_code_row_is_skipped():
    rows = [HOG_H, ["甲", "乙", "丙", 1, 2, 3, 4, 5, 6], *HOG_ROWS]
    p = parse(csv_bytes(rows))
    assert figures(p) == RIGHT
    assert "已跳过栏目代码行第2行" in p.layout_notes()[0]


# --- months --------------------------------------------------------------------------------------

@pytest.mark.parametrize("month", ["2026年6月份", "2026年06月份", "26年6月", "2026.6", "2026-06", "2026/6/1", "46174",
                                   "2026年6月", "202606"])
def test_month_forms(month):
    p = parse(csv_bytes([HOG_H, [month, *HOG_ROWS[0][1:]]]))
    assert p.ok, p.errors
    assert p.months == ["2026-06"]


@pytest.mark.parametrize("cell", [datetime(2026, 6, 1), date(2026, 6, 15), 46174, "2026年6月份", 202606])
def test_month_cells_in_workbooks(cell):
    rows = [HOG_H, [cell, *HOG_ROWS[0][1:]]]
    for data, name in ((xlsx_bytes({"s": rows}), "f.xlsx"), (xls_bytes({"s": rows}), "f.xls")):
        p = parse(data, name)
        assert p.ok, p.errors
        assert p.months == ["2026-06"]


# --- placeholders and currency ---------------------------------------------------------------------

@pytest.mark.parametrize("cell,expected,reading", [
    ("—", None, "未上报"), ("－", None, "未上报"), ("-", None, "未上报"), ("/", None, "未上报"), ("／", None, "未上报"),
    ("——", None, "未上报"), ("无", 0, "按 0"), (" - ", 0, "按 0"), ("￥-", 0, "按 0"),
])
def test_placeholders_are_read_and_listed(cell, expected, reading):
    p = parse(csv_bytes([HOG_H, ["2026-09", "社", "户1", 180, cell, 1, 2000, 1800, 1]]))
    assert p.ok, p.errors
    got = p.frame.loc[0, "sows"]
    assert (np.isnan(got) if expected is None else got == expected)
    assert p.readings[["row", "column", "value"]].values.tolist() == [[2, "能繁母猪(头)", cell]]
    assert reading in p.readings.loc[0, "reason"]


@pytest.mark.parametrize("cell,expected", [("￥85,000.00", 85000), ("¥ 85,000", 85000), ("85,000元", 85000),
                                           ("RMB85000", 85000), ("(1,000)", None)])
def test_currency_forms(cell, expected):
    p = parse(csv_bytes([HOG_H, ["2026-09", "社", "户1", 180, 18, 1, f'"{cell}"', 1, 1]]))
    if expected is None:  # an accounting negative is still a negative
        assert "不能为负数" in p.errors.loc[0, "reason"]
    else:
        assert p.frame.loc[0, "revenue"] == expected


def test_a_percentage_in_an_unknown_column_is_ignored_and_in_a_money_column_refused():
    p = parse(csv_bytes([HOG_H + ["成活率"], HOG_ROWS[0] + ["99.5%"]]))
    assert p.ok and p.warnings.empty  # a rate: a known qualifier, named in the column account
    assert p.columns.set_index("column").loc["成活率", "became"] == "比率，不导入"
    p = parse(csv_bytes([HOG_H + ["备注"], HOG_ROWS[0] + ["新建"]]))
    assert p.ok and p.warnings["column"].tolist() == ["备注"]
    p = parse(csv_bytes([HOG_H, ["2026-09", "社", "户1", 180, 18, 1, "95%", 1, 1]]))
    assert p.errors.loc[0, "reason"] == "不是数字"


# --- sheet layouts and workbooks ---------------------------------------------------------------------

TWO_ROW = [["月份", "合作社", "养殖户", "存栏(头)", None, "出栏(头)", "销售收入(元)", "成本(元)", "用工(人)"],
           [None, None, None, "合计", "其中：能繁母猪", None, None, None, None], *HOG_ROWS]


def test_two_row_header_in_csv_and_merged_in_xlsx():
    merges = ["A1:A2", "B1:B2", "C1:C2", "D1:E1", "F1:F2", "G1:G2", "H1:H2", "I1:I2"]
    for data, name in ((csv_bytes(TWO_ROW), "f.csv"), (xlsx_bytes({"9月": TWO_ROW}, {"9月": merges}), "f.xlsx"),
                       (xls_bytes({"9月": TWO_ROW}), "f.xls")):
        p = parse(data, name)
        assert figures(p) == RIGHT, name
        assert "表头第1–2行" in p.layout_notes()[0]


def test_a_title_and_a_group_header_above_the_header():
    rows = [["青禾合作社 2026年9月 生猪月报"], ["基本情况", None, None, "生产情况"], HOG_H, *HOG_ROWS]
    p = parse(xlsx_bytes({"s": rows}), "f.xlsx")
    assert figures(p) == RIGHT and p.header_row == 3


def test_merged_down_cooperative_and_month_in_xlsx_fill_every_row():
    extra = ["2026-09", "青禾生猪养殖专业合作社", "孙三田", 10, 1, 0, 1000, 1000, 1]
    rows = [HOG_H, *[list(r) for r in HOG_ROWS], extra]
    rows[2][0] = rows[2][1] = rows[3][0] = rows[3][1] = None
    p = parse(xlsx_bytes({"s": rows}, {"s": ["A2:A4", "B2:B4"]}), "f.xlsx")
    assert p.ok, p.errors
    assert p.frame["cooperative"].tolist() == ["青禾生猪养殖专业合作社"] * 3 and p.months == ["2026-09"]


def test_a_blank_key_cell_in_csv_stays_an_error():
    rows = [HOG_H, HOG_ROWS[0], [None, None, *HOG_ROWS[1][2:]]]
    p = parse(csv_bytes(rows))
    assert p.errors[["row", "column", "reason"]].values.tolist() == [
        [3, "月份", "必填，不能为空"], [3, "合作社", "必填，不能为空"]]


def test_a_number_merged_over_rows_is_refused():
    rows = [HOG_H, *HOG_ROWS]
    p = parse(xlsx_bytes({"s": rows}, {"s": ["H2:H3"]}), "f.xlsx")
    assert not p.ok and "合并单元格" in p.errors.loc[0, "reason"]


@pytest.mark.parametrize("fmt", ["xlsx", "xls"])
def test_one_sheet_per_month_hidden_and_headerless_sheets(fmt):
    months = {f"{m}月": [HOG_H, *[[f"2026-0{m}", *r[1:]] for r in HOG_ROWS]] for m in (7, 8, 9)}
    sheets = {"说明": [["本表每月一张"]], **months, "下拉": [["赵一农"], ["钱二牧"]]}
    data = xlsx_bytes(sheets, hidden=("下拉",)) if fmt == "xlsx" else xls_bytes(sheets, hidden=("下拉",))
    p = parse(data, f"f.{fmt}")
    assert p.ok, p.errors
    assert p.months == ["2026-07", "2026-08", "2026-09"] and len(p.frame) == 6
    notes = p.layout_notes()
    assert notes[:3] == [f"工作表“{m}月”：读取 2 行，月份 2026-0{m}；表头第1行" for m in (7, 8, 9)]
    assert "工作表“下拉”：已跳过（隐藏的工作表）" in notes
    assert "工作表“说明”：已跳过（没有可识别的表头）" in notes


def test_the_same_key_on_two_sheets_is_named_with_its_sheet():
    p = parse(xlsx_bytes({"9月": [HOG_H, HOG_ROWS[0]], "9月(2)": [HOG_H, HOG_ROWS[0]]}), "f.xlsx")
    assert p.errors[["sheet", "row"]].values.tolist() == [["9月(2)", 2]]
    assert "与工作表“9月”第 2 行重复" in p.errors.loc[0, "reason"]


def test_a_sheet_of_the_sector_lacking_a_column_is_refused_not_skipped():
    broken = [["月份", "合作社", "存栏(头)", "销售收入(元)"], ["2026-09", "社", 1, 1]]
    p = parse(xlsx_bytes({"8月": [HOG_H, HOG_ROWS[0]], "9月": broken}), "f.xlsx")
    assert not p.ok and "工作表“9月”" in p.errors.loc[0, "reason"] and "缺少必填列" in p.errors.loc[0, "reason"]


def test_sheets_of_two_sectors_are_refused():
    duck = [["月份", "合作社", "棚号", "存栏(羽)"], ["2026-09", "社", "D-1", 100]]
    p = parse(xlsx_bytes({"猪": [HOG_H, HOG_ROWS[0]], "鸭": duck}), "f.xlsx")
    assert "一个文件只能是一个板块" in p.errors.loc[0, "reason"]


def test_xls_reads_the_same_as_xlsx_and_csv():
    rows = [HOG_H, *HOG_ROWS]
    frames = [parse(d, n).frame for d, n in ((csv_bytes(rows), "a.csv"), (xlsx_bytes({"s": rows}), "a.xlsx"),
                                            (xls_bytes({"s": rows}), "a.xls"))]
    assert frames[0].equals(frames[1]) and frames[0].equals(frames[2])


def test_xls_formula_without_a_result_is_refused():
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("s")
    for j, h in enumerate(HOG_H):
        ws.write(0, j, h)
    for i, r in enumerate(HOG_ROWS, start=1):
        for j, v in enumerate(r):
            ws.write(i, j, xlwt.Formula("D2*2") if j == 3 and i == 1 else v)
    buf = io.BytesIO()
    wb.save(buf)
    p = parse(buf.getvalue(), "f.xls")
    assert p.errors[["row", "column", "value"]].values.tolist() == [[2, "存栏(头)", "D2"]]
    assert "公式" in p.summary()


def test_utf16_tab_separated_text_as_excel_saves_it():
    text = "\r\n".join("\t".join(str(v) for v in r) for r in [HOG_H, *HOG_ROWS])
    for data in (b"\xff\xfe" + text.encode("utf-16-le"), text.encode("utf-16-le")):
        assert figures(parse(data, "Unicode 文本.txt")) == RIGHT


@pytest.mark.parametrize("delim", [";", "|", "\t"])
def test_other_csv_dialects(delim):
    text = "\n".join(delim.join(str(v) for v in r) for r in [HOG_H, *HOG_ROWS]) + "\n"
    assert figures(parse(text.encode(), "f.csv")) == RIGHT


def test_old_mac_line_ends():
    text = "\r".join(",".join(str(v) for v in r) for r in [HOG_H, *HOG_ROWS]) + "\r"
    assert figures(parse(text.encode(), "f.csv")) == RIGHT


@pytest.mark.parametrize("data,name,says", [
    (b"<html><body><table><tr><td>\xe6\x9c\x88\xe4\xbb\xbd</td></tr></table></body></html>", "f.xls", "网页（HTML）"),
    (b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>', "f.xls",
     "Excel 2003 的 XML"),
    (b"%PDF-1.4 binary", "f.xls", "PDF"),
    (b"\x89PNG\r\n\x1a\n....", "f.xlsx", "图片"),
])
def test_files_disguised_as_spreadsheets_say_what_they_are(data, name, says):
    p = parse(data, name)
    assert not p.ok and says in p.errors.loc[0, "reason"]


def test_a_text_file_named_xls_is_read_as_text():
    assert figures(parse(csv_bytes([HOG_H, *HOG_ROWS]).replace(b",", b"\t"), "导出.xls")) == RIGHT
