"""The upload contract (DESIGN.md §4): reading, validation, commit, history, undo, permissions."""

from __future__ import annotations

import io
from datetime import date

import numpy as np
import openpyxl
import pandas as pd
import pytest

from analytics import contract, ingest, scope
from analytics.access.permissions import SYSTEM, Actor, PermissionDenied
from analytics.figures import kpis
from analytics.ingest import apply as ingest_apply
from analytics.ingest import templates
from analytics.store.db import Store

TODAY = date(2026, 11, 28)
DUCK_HEADER = "月份,合作社,棚号,存栏(羽),产蛋(枚),死淘(羽),饲料(公斤),销售收入(元),成本(元),用工(人)"
GOOD_ROW = "2024-01,兴旺种鸭专业合作社,D-001,3900,60000,18,24000,85000,70000,2"


def dump(store: Store) -> dict[str, list]:
    """Every table's content, for "nothing changed" comparisons.

    Small tables row by row; the big record tables as row count plus a sum of row hashes
    (order-independent, and a changed value changes its row's hash).
    """
    cur = store.cursor()
    tables = [r[0] for r in cur.execute("""SELECT table_name FROM information_schema.tables
                                           WHERE table_type = 'BASE TABLE' ORDER BY 1""").fetchall()]
    out = {}
    for t in tables:
        n = cur.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
        src = _derived(cur, t)
        out[t] = (cur.execute(f"SELECT * FROM {src} ORDER BY ALL").fetchall() if n < 5_000 else
                  cur.execute(f"SELECT count(*), sum(hash(x)::HUGEINT) FROM {src} x").fetchall())
    return out


def _derived(cur, table: str) -> str:
    """Tables kept on write from the records (kpis rollups) compare by content: without the
    cache version or the rows that only keep one (no records left), and with sums rounded
    (recomputing adds the same values in another order)."""
    if table == "coop_months":
        return "(SELECT sector, cooperative, month, n_records FROM coop_months WHERE n_records > 0)"
    if not table.startswith("unit_year_"):
        return table
    cols = cur.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
                       "ORDER BY ordinal_position", [table]).fetchall()
    sel = ", ".join(f"round({c}, 6) AS {c}" if ty == "DOUBLE" else c for c, ty in cols)
    return f"(SELECT {sel} FROM {table})"


def dump_data(store: Store) -> dict[str, list]:
    """Everything but the upload log and meta (an undo leaves its upload row, marked undone)."""
    return {k: v for k, v in dump(store).items() if k not in ("uploads", "meta")}


def parse(text: str, sector: str | None = None, enc: str = "utf-8", name: str = "f.csv", lang: str = "zh"):
    return ingest.parse(text.encode(enc), name, sector, lang=lang, today=TODAY)


def xlsx(rows: list[list]) -> bytes:
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def records(store: Store, table: str = "duck_records") -> pd.DataFrame:
    return store.cursor().execute(f"SELECT * FROM {table} ORDER BY month, cooperative, unit").df()


# --- reading what people send -------------------------------------------------------------

@pytest.mark.parametrize("enc", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_encodings_read_the_same(enc):
    p = parse(f"{DUCK_HEADER}\n{GOOD_ROW}\n", enc=enc)
    assert p.ok, p.errors
    assert p.frame.loc[0, "cooperative"] == "兴旺种鸭专业合作社"
    assert p.frame.loc[0, "stock"] == 3900


def test_gbk_is_decoded_not_latin1():
    p = parse(f"{DUCK_HEADER}\n{GOOD_ROW}\n", enc="gbk")
    assert p.encoding == "gb18030"
    assert p.cooperatives == ["兴旺种鸭专业合作社"]


@pytest.mark.parametrize("month", ["2023-06", "2023/06", "2023/6", "2023.6", "2023年6月", "202306",
                                   "2023-06-15", "2023/6/15", "2023年6月15日", " 2023-06 ", "２０２３-０６",
                                   "2023-06-01 00:00:00"])
def test_month_formats(month):
    p = parse(f"{DUCK_HEADER}\n{GOOD_ROW.replace('2024-01', month)}\n")
    assert p.ok, p.errors
    assert p.months == ["2023-06"]


@pytest.mark.parametrize("header,value,expected", [
    ("销售收入(元)", "85000", 85000.0),
    ("销售收入(万元)", "8.5", 85000.0),
    ("销售收入（万元）", "8.5", 85000.0),
    ("销售收入 ( 万元 )", "8.5", 85000.0),
    ("销售收入万元", "8.5", 85000.0),
    ("revenue (10k yuan)", "8.5", 85000.0),
    ("revenue", "85000", 85000.0),
    ("销售收入", '"85,000"', 85000.0),
    ("销售收入", "８５０００", 85000.0),
    ("销售收入", '" 85 000 "', 85000.0),
    ("销售收入", "85000.456", 85000.46),
])
def test_money_units_and_number_formats(header, value, expected):
    text = f"{DUCK_HEADER.replace('销售收入(元)', header)}\n{GOOD_ROW.replace('85000', value)}\n"
    p = parse(text)
    assert p.ok, p.errors
    assert p.frame.loc[0, "revenue"] == pytest.approx(expected)


@pytest.mark.parametrize("header,value,expected", [
    ("饲料(公斤)", "1000", 1000), ("饲料(千克)", "1000", 1000), ("饲料(kg)", "1000", 1000),
    ("饲料(KG)", "1000", 1000), ("饲料(斤)", "1000", 500), ("饲料(吨)", "1.5", 1500), ("feed (t)", "2", 2000),
])
def test_weight_units(header, value, expected):
    p = parse(f"{DUCK_HEADER.replace('饲料(公斤)', header)}\n{GOOD_ROW.replace('24000', value)}\n")
    assert p.ok, p.errors
    assert p.frame.loc[0, "feed_kg"] == pytest.approx(expected)


@pytest.mark.parametrize("header,value,expected", [
    ("面积(亩)", "2", 2.0), ("面积(平方米)", "1333.34", 2.0), ("面积(㎡)", "666.67", 1.0), ("area (mu)", "3", 3.0),
])
def test_area_units(header, value, expected):
    text = f"月份,合作社,棚号,棚型,作物,{header}\n2023-06,绿源果蔬专业合作社,W-01,温室,辣椒,{value}\n"
    p = parse(text)
    assert p.ok, p.errors
    assert p.sector == "greenhouse"
    assert p.frame.loc[0, "area_mu"] == pytest.approx(expected, abs=1e-3)


def test_title_line_and_english_headers():
    text = ("兴旺种鸭专业合作社 2024年1月 月报,,,\n\n"
            "month,cooperative,shed,stock,eggs,culled,feed_kg,revenue,cost,workers\n" + GOOD_ROW + "\n")
    p = parse(text)
    assert p.ok, p.errors
    assert p.header_row == 3 and p.sector == "duck"
    assert p.rows.tolist() == [4]


def test_row_numbers_count_title_and_blank_lines():
    text = f"标题\n{DUCK_HEADER}\n{GOOD_ROW}\n,,,,,,,,,\n\n{GOOD_ROW.replace('3900', '-1').replace('D-001', 'D-2')}\n"
    p = parse(text)
    assert p.errors[["row", "column", "value"]].values.tolist() == [[6, "存栏(羽)", "-1"]]


def test_xlsx_first_sheet_with_title_and_dates():
    data = xlsx([["2024年1月报表"], DUCK_HEADER.split(","),
                 [pd.Timestamp("2023-06-01").to_pydatetime(), "兴旺种鸭专业合作社", "D-001", 3900, 60000, 18,
                  24000, 85000.5, 70000, 2],
                 [202307, "兴旺种鸭专业合作社", "D-001", "3,800", None, None, None, None, None, None]])
    p = ingest.parse(data, "a.xlsx", today=TODAY)
    assert p.ok, p.errors
    assert p.encoding == "xlsx" and p.header_row == 2
    assert p.months == ["2023-06", "2023-07"]
    assert p.frame["stock"].tolist() == [3900, 3800]
    assert p.rows.tolist() == [3, 4]  # Excel's own row numbers
    assert np.isnan(p.frame.loc[1, "eggs"])  # empty means not reported, not zero


def test_xlsx_errors_name_excel_rows():
    data = xlsx([DUCK_HEADER.split(","), [], ["2023-06", "兴旺种鸭专业合作社", "D-001", -1],
                 [2023.1, "兴旺种鸭专业合作社", "D-002", 5]])
    p = ingest.parse(data, "a.xlsx", today=TODAY)
    assert p.errors[["row", "column", "reason"]].values.tolist() == [
        [3, "存栏(羽)", "不能为负数"],
        [4, "月份", "这一格是数字 2023.1，Excel 会把 2023.10 也存成 2023.1，分不清 1 月还是 10 月；"
                    "请写成 2023-01 或 2023-10"]]


def test_stray_spaces_and_full_width_in_names():
    p = parse(f"{DUCK_HEADER}\n2024-01, 兴旺种鸭专业合作社 ,Ｄ－００１,3900,,,,,,\n")
    assert p.ok, p.errors
    assert (p.frame.loc[0, "cooperative"], p.frame.loc[0, "unit"]) == ("兴旺种鸭专业合作社", "D-001")


@pytest.mark.parametrize("header,sector", [
    ("月份,合作社,棚号,存栏(羽),产蛋(枚)", "duck"),
    ("月份,合作社,养殖户,存栏(头),出栏(头)", "hog"),
    ("月份,合作社,棚号,作物,面积(亩)", "greenhouse"),
    ("month,cooperative,farm,stock", "hog"),
    ("month,cooperative,plot,crop", "greenhouse"),
])
def test_sector_detected_from_headers(header, sector):
    n = header.count(",") + 1
    p = parse(f"{header}\n2023-06,某合作社,X-1" + ",1" * (n - 3) + "\n")
    assert p.ok, p.errors
    assert p.sector == sector


def test_ambiguous_headers_ask_for_the_sector():
    p = parse("月份,合作社,棚号,用工(人)\n2023-06,某合作社,X-1,2\n")
    assert not p.ok
    assert "无法从表头判断板块" in p.errors.loc[0, "reason"]
    assert parse("月份,合作社,棚号,用工(人)\n2023-06,某合作社,X-1,2\n", sector="duck").ok


def test_unknown_columns_are_warned_not_rejected():
    p = parse(f"{DUCK_HEADER},备注\n{GOOD_ROW},好\n")
    assert p.ok
    assert p.warnings[["column", "reason"]].values.tolist() == [["备注", "未识别的列，已忽略"]]


# --- rejections: every problem listed, nothing written ----------------------------------------

H = DUCK_HEADER
R = GOOD_ROW
BAD_CASES = {
    # name: (file text, sector, expected (row, column, value) or None for file-level, reason part)
    "negative": (f"{H}\n{R.replace('3900', '-5')}", None, (2, "存栏(羽)", "-5"), "不能为负数"),
    "not_a_number": (f"{H}\n{R.replace('85000', '八万')}", None, (2, "销售收入(元)", "八万"), "不是数字"),
    "number_with_unit": (f"{H}\n{R.replace('85000', '8万')}", None, (2, "销售收入(元)", "8万"), "单位"),
    "fraction_count": (f"{H}\n{R.replace('3900', '3900.5')}", None, (2, "存栏(羽)", "3900.5"), "应为整数"),
    "future_month": (f"{H}\n{R.replace('2024-01', '2026-12')}", None, (2, "月份", "2026-12"), "月份在未来"),
    "before_2000": (f"{H}\n{R.replace('2024-01', '1999-12')}", None, (2, "月份", "1999-12"), "早于 2000"),
    "bad_month": (f"{H}\n{R.replace('2024-01', '2024-13')}", None, (2, "月份", "2024-13"), "月份格式不对"),
    "month_words": (f"{H}\n{R.replace('2024-01', '一月')}", None, (2, "月份", "一月"), "月份格式不对"),
    "missing_month": (f"{H}\n{R.replace('2024-01', '')}", None, (2, "月份", ""), "必填"),
    "missing_unit": (f"{H}\n{R.replace('D-001', ' ')}", None, (2, "棚号", " "), "必填"),
    "duplicate_key": (f"{H}\n{R}\n{R.replace('3900', '3901')}", None, (3, "棚号", "D-001"), "与第 2 行重复"),
    "extra_cell": (f"{H}\n{R},多余", None, (2, "#11", "多余"), "表头范围之外"),
    "bad_gh_type": ("月份,合作社,棚号,棚型\n2023-06,绿源果蔬专业合作社,W-01,玻璃房", "greenhouse",
                    (2, "棚型", "玻璃房"), "温室、塑料大棚"),
    "unknown_unit": (f"{H.replace('饲料(公斤)', '饲料(袋)')}\n{R}", None, (1, "饲料(袋)", "袋"), "单位“袋”无法识别"),
    "same_column_twice": (f"{H},stock\n{R},1", None, (1, "stock", "stock"), "重复"),
    "missing_required_column": ("月份,合作社,存栏(羽)\n2024-01,兴旺种鸭专业合作社,3900", "duck", None,
                                "缺少必填列：棚号"),
    "no_header": ("a,b,c\n1,2,3", None, None, "找不到表头"),
    "wrong_sector_chosen": (f"{H}\n{R}", "hog", None, "表头是种鸭月报，但选择的板块是“生猪”"),
    "unknown_sector": (f"{H}\n{R}", "fish", None, "未知板块"),
    "empty_file": ("", None, None, "文件是空的"),
    "header_only": (f"{H}\n", None, None, "没有数据行"),
}


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_bad_file_is_rejected_whole_and_writes_nothing(case, demo_store):
    text, sector, where, reason = BAD_CASES[case]
    before = dump(demo_store)
    p = parse(text, sector)
    assert not p.ok
    if where is None:  # a problem with the whole file
        assert len(p.errors) == 1 and p.errors.loc[0, "row"] is None
        assert reason in p.errors.loc[0, "reason"]
    else:
        hits = p.errors[(p.errors["row"] == where[0]) & (p.errors["column"] == where[1])]
        assert len(hits) == 1, p.errors
        assert hits.iloc[0]["value"] == where[2]
        assert reason in hits.iloc[0]["reason"]
    with pytest.raises(ingest.Rejected) as e:
        ingest.commit(demo_store, p, SYSTEM)
    assert "未导入" in str(e.value)
    assert dump(demo_store) == before
    assert not ingest.upload_dir(demo_store).exists()


@pytest.mark.parametrize("data,name,reason", [
    (b"\xff\xfe\x00" + bytes(range(128, 256)) * 3, "x.csv", "无法识别文件编码"),
    (b"\x81\x30\x81" * 5 + b"\xff\xff\xff", "x.csv", "无法识别文件编码"),
    (b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "x.xls", "已损坏"),
    (b"PK\x03\x04broken", "x.xlsx", "无法打开这个 Excel 文件"),
    (b"\xef\xbb\xbf" + DUCK_HEADER.encode() + b"\n\xb2\xe2\xca\xd4", "x.csv", "UTF-8"),
])
def test_unreadable_files(data, name, reason, demo_store):
    before = dump(demo_store)
    p = ingest.parse(data, name, today=TODAY)
    assert not p.ok
    assert reason in p.errors.loc[0, "reason"]
    with pytest.raises(ingest.Rejected):
        ingest.commit(demo_store, p, SYSTEM)
    assert dump(demo_store) == before


def test_many_duplicates_each_name_their_first_row():
    rows = [R.replace("D-001", f"D-{i % 3}") for i in range(9)]
    p = parse(f"{H}\n" + "\n".join(rows) + "\n")
    assert p.errors[["row", "reason"]].values.tolist() == [
        [r, f"与第 {2 + (r - 2) % 3} 行重复：同一月份、合作社、棚号只能出现一次"] for r in range(5, 11)]


def test_every_problem_is_listed_in_spreadsheet_order():
    text = (f"说明行\n{H}\n{R.replace('3900', '-1').replace('85000', 'x')}\n{R.replace('2024-01', '2030-01')}\n"
            f"{R.replace('D-001', '')}\n")
    p = parse(text)
    assert p.errors[["row", "column"]].values.tolist() == [
        [3, "存栏(羽)"], [3, "销售收入(元)"], [4, "月份"], [5, "棚号"]]
    assert "4 处问题" in p.summary() and "3 行" in p.summary()


def test_messages_in_english_when_asked():
    p = parse(f"{H}\n{R.replace('3900', '-1')}\n", lang="en")
    assert p.errors.loc[0, "reason"] == "must not be negative"
    assert "nothing was imported" in p.summary()
    assert "Unknown sector" in parse(f"{H}\n{R}\n", "fish", lang="en").errors.loc[0, "reason"]


def test_the_bad_sample_lists_its_errors():
    from tests.conftest import ROOT

    p = ingest.parse((ROOT / "data/samples/bad_duck.csv").read_bytes(), "bad_duck.csv", today=TODAY)
    assert len(p.errors) == 8
    assert set(p.errors["reason"].str.slice(0, 4)) >= {"月份格式", "月份在未", "必填，不", "不能为负", "应为整数",
                                                       "不是数字", "与第 2"}
    assert 10 not in set(p.errors["row"])  # the 合计 row is not data: excluded, and checked against its rows


# --- commit, replace, history, undo ----------------------------------------------------------

def test_commit_writes_rows_registers_units_and_keeps_the_file(store):
    text = f"{H},村,小区,占地(亩)\n{R},前营村,东湖种鸭小区,2.5\n{R.replace('D-001', 'D-002')},前营村,,\n"
    # The apply half itself (a manager's file through ingest.ingest waits for review: test_review.py).
    res = ingest_apply.ingest(store, text.encode("gbk"), "jan.csv", Actor("wang", "manager", "兴旺种鸭专业合作社"),
                              today=TODAY)
    assert (res.n_rows, res.n_new, res.n_replaced, res.n_new_units) == (2, 2, 0, 2)
    assert res.new_cooperatives == ["兴旺种鸭专业合作社"]
    cur = store.cursor()
    assert cur.execute("SELECT unit, stock, revenue, upload_id FROM duck_records ORDER BY unit").fetchall() == [
        ("D-001", 3900, 85000.0, res.upload_id), ("D-002", 3900, 85000.0, res.upload_id)]
    assert cur.execute("SELECT unit, village, zone, land_mu FROM units ORDER BY unit").fetchall() == [
        ("D-001", "前营村", "东湖种鸭小区", 2.5), ("D-002", "前营村", None, None)]
    assert cur.execute("SELECT * FROM villages").fetchall() == [("前营村",)]
    up = cur.execute("SELECT uploaded_by, n_rows, status, sha256, stored_path FROM uploads").fetchall()[0]
    assert up[:3] == ("wang", 2, "applied")
    stored = store.path.parent / "uploads" / f"{up[3]}.csv"
    assert up[4] == str(stored) and stored.read_bytes() == text.encode("gbk")


def test_same_file_twice_is_not_applied_twice(demo_store):
    data = f"{H}\n{R}\n".encode()
    ingest.ingest(demo_store, data, "a.csv", SYSTEM, today=TODAY)
    before = dump(demo_store)
    with pytest.raises(ingest.AlreadyApplied, match="已于 .* 上传过"):
        ingest.ingest(demo_store, data, "renamed.csv", SYSTEM, today=TODAY)
    assert dump(demo_store) == before
    p = ingest.parse(data, "a.csv", today=TODAY)
    assert ingest.preview(demo_store.cursor(), p).duplicate_of["filename"] == "a.csv"


def test_reupload_replaces_and_undo_restores_exactly(demo_store):
    before = dump_data(demo_store)
    old = demo_store.cursor().execute("""SELECT * FROM duck_records WHERE unit = 'D-001'
                                         AND month = DATE '2023-12-01'""").fetchall()[0]
    coop = old[1]
    fix = f"{H}\n2023-12,{coop},D-001,3000,50000,10,20000,99999,1000,5\n"
    first = ingest.ingest(demo_store, fix.encode(), "fix.csv", SYSTEM, today=TODAY)
    assert (first.n_new, first.n_replaced) == (0, 1)
    cur = demo_store.cursor()
    row = cur.execute("SELECT stock, revenue, upload_id FROM duck_records WHERE unit = 'D-001' "
                      "AND month = DATE '2023-12-01'").fetchall()
    assert row == [(3000, 99999.0, first.upload_id)]
    assert cur.execute("SELECT * EXCLUDE (replaced_by) FROM duck_records_history").fetchall() == [old]

    second = ingest.ingest(demo_store, fix.replace("99999", "77777").encode(), "fix2.csv", SYSTEM, today=TODAY)
    with pytest.raises(ingest.UndoRefused, match=f"编号 {second.upload_id}"):
        ingest.undo(demo_store, first.upload_id, SYSTEM)
    ingest.undo(demo_store, second.upload_id, SYSTEM)
    assert cur.execute("SELECT revenue FROM duck_records WHERE unit = 'D-001' AND month = DATE '2023-12-01'"
                       ).fetchall() == [(99999.0,)]
    ingest.undo(demo_store, first.upload_id, SYSTEM)
    assert dump_data(demo_store) == before
    log = ingest.uploads_log(demo_store.cursor())
    assert log.loc[log["upload_id"] == first.upload_id, ["status", "undone_by"]].values.tolist() == [
        ["undone", "system"]]
    with pytest.raises(ingest.UndoRefused, match="已经撤销"):
        ingest.undo(demo_store, first.upload_id, SYSTEM)
    # Undone, the same file may be applied again.
    ingest.ingest(demo_store, fix.encode(), "fix.csv", SYSTEM, today=TODAY)


def test_undo_removes_new_units_cooperatives_names_and_restores_attributes(demo_store):
    before = dump_data(demo_store)
    text = (f"{H},村,小区,占地(亩)\n"
            f"2024-01,新禽合作社,N-1,100,1000,1,500,2000,1000,1,新村,新小区,1.5\n"
            f"2024-01,兴旺种鸭专业合作社,D-001,3900,60000,18,24000,85000,70000,2,,,9.9\n")
    p = ingest.parse(text.encode(), "n.csv", today=TODAY)
    pv = ingest.preview(demo_store.cursor(), p)
    assert pv.new_cooperatives == ["新禽合作社"]
    assert pv.new_units.values.tolist() == [["新禽合作社", "N-1"]]
    assert pv.rows["_new_unit"].tolist() == [True, False]
    assert pv.diff[["unit", "column", "new"]].values.tolist() == [["D-001", "占地(亩)", 9.9]]
    res = ingest.commit(demo_store, p, SYSTEM)
    cur = demo_store.cursor()
    assert cur.execute("SELECT land_mu FROM units WHERE unit = 'D-001'").fetchall() == [(9.9,)]
    assert cur.execute("SELECT count(*) FROM villages WHERE name = '新村'").fetchall() == [(1,)]
    ingest.undo(demo_store, res.upload_id, SYSTEM)
    assert dump_data(demo_store) == before


def test_undo_refused_when_a_later_upload_uses_a_new_unit(store):
    a = ingest.ingest(store, f"{H}\n2024-01,社,N-1,1,,,,,,\n".encode(), "a.csv", SYSTEM, today=TODAY)
    ingest.ingest(store, f"{H}\n2024-02,社,N-1,1,,,,,,\n".encode(), "b.csv", SYSTEM, today=TODAY)
    with pytest.raises(ingest.UndoRefused, match="b.csv"):
        ingest.undo(store, a.upload_id, SYSTEM)


def test_demo_data_cannot_be_undone(demo_store):
    with pytest.raises(ingest.UndoRefused, match="示例数据"):
        ingest.undo(demo_store, 1, SYSTEM)


@pytest.mark.parametrize("actor,allowed", [
    (SYSTEM, True), (Actor("boss", "admin"), True),
    (Actor("wang", "manager", "兴旺种鸭专业合作社"), True),
    (Actor("zhao", "manager", "金羽种鸭专业合作社"), False),
    (Actor("li", "viewer"), False), (None, False),
])
def test_permissions_on_upload(actor, allowed, demo_store):
    before = dump(demo_store)
    data = f"{H}\n{R}\n".encode()
    if allowed:
        assert ingest.ingest(demo_store, data, "a.csv", actor, today=TODAY).n_rows == 1
    else:
        with pytest.raises(PermissionDenied):
            ingest.ingest(demo_store, data, "a.csv", actor, today=TODAY)
        assert dump(demo_store) == before
        assert not ingest.upload_dir(demo_store).exists()


def test_manager_may_undo_only_own_uploads(demo_store, monkeypatch):
    res = ingest.ingest(demo_store, f"{H}\n{R}\n".encode(), "a.csv", SYSTEM, today=TODAY)
    with pytest.raises(PermissionDenied, match="兴旺种鸭专业合作社"):
        ingest.undo(demo_store, res.upload_id, Actor("zhao", "manager", "金羽种鸭专业合作社"))
    # While review is on, applied figures are the office's to undo (tests/test_review.py); without review:
    with pytest.raises(PermissionDenied, match="已通过的数据只能由农业办撤销"):
        ingest.undo(demo_store, res.upload_id, Actor("wang", "manager", "兴旺种鸭专业合作社"))
    monkeypatch.setenv("PARK_REVIEW", "0")
    ingest.undo(demo_store, res.upload_id, Actor("wang", "manager", "兴旺种鸭专业合作社"))
    assert ingest.uploads_log(demo_store.cursor()).loc[0, "undone_by"] == "wang"


@pytest.mark.parametrize("where", ["_write_records", "_write_registry"])
def test_failure_mid_commit_leaves_nothing(where, demo_store, monkeypatch):
    before = dump(demo_store)
    real = getattr(ingest.apply, where)

    def boom(cur, *args):
        real(cur, *args)  # the first statements ran inside the transaction
        raise RuntimeError("disk full")

    monkeypatch.setattr(ingest.apply, where, boom)
    with pytest.raises(RuntimeError):
        ingest.ingest(demo_store, f"{H}\n{R.replace('2024-01', '2023-12')}\n".encode(), "a.csv", SYSTEM,
                      today=TODAY)
    assert dump(demo_store) == before
    assert [f for f in ingest.upload_dir(demo_store).rglob("*") if f.is_file()] == []


def test_commit_goes_through_the_single_writer(demo_store):
    v = demo_store.data_version()
    ingest.ingest(demo_store, f"{H}\n{R}\n".encode(), "a.csv", SYSTEM, today=TODAY)
    assert demo_store.data_version() == v + 1


# --- warnings before commit --------------------------------------------------------------------

def test_plausibility_warnings_do_not_block(demo_store):
    cur = demo_store.cursor()
    unit, coop, stock = cur.execute("""SELECT unit, cooperative, stock FROM duck_records
                                       WHERE month = DATE '2023-12-01' ORDER BY unit LIMIT 1""").fetchall()[0]
    text = (f"{H}\n2024-01,{coop},{unit},{stock // 2},1000,1,20000,100,100,1\n"
            f"2024-01,{coop},NEW-1,50000,1000,1,20000,100,100,1\n"
            f"2024-02,{coop},{unit},{stock * 3},1000,1,20000,100,100,1\n")
    p = ingest.parse(text.encode(), "w.csv", today=TODAY)
    assert p.ok
    w = ingest.preview(cur, p).warnings
    reasons = w.groupby("row")["reason"].apply(" | ".join).to_dict()
    assert "多于死淘/出栏" in reasons[2]
    assert "数值偏大" in reasons[3]
    assert "远高于该单元往常水平" in reasons[4]
    assert ingest.commit(demo_store, p, SYSTEM).n_rows == 3


def test_yield_per_mu_outside_reference_is_warned(store):
    text = ("月份,合作社,棚号,棚型,作物,面积(亩),产量(公斤)\n"
            "2024-06,甜园,S-1,塑料大棚,无籽西瓜,1,9000\n2024-06,甜园,S-2,塑料大棚,无籽西瓜,1,4000\n")
    p = ingest.parse(text.encode(), "g.csv", today=TODAY)
    w = ingest.preview(store.cursor(), p).warnings
    assert w["row"].tolist() == [2]
    assert "超出参考范围 3,000–5,000" in w.loc[0, "reason"]


@pytest.mark.parametrize("name", ["duck_2024-01.csv", "hog_2024-01_gbk.csv", "greenhouse_2024-01.xlsx"])
def test_samples_apply_cleanly_on_the_demo(name, demo_store):
    from tests.conftest import ROOT

    data = (ROOT / "data/samples" / name).read_bytes()
    p = ingest.parse(data, name, today=TODAY)
    assert p.ok, p.errors
    pv = ingest.preview(demo_store.cursor(), p)
    assert pv.warnings.empty, pv.warnings
    assert pv.n_replaced == 0 and pv.n_new == pv.n_rows
    res = ingest.commit(demo_store, p, SYSTEM)
    assert res.months == "2024-01"
    if name.startswith("hog"):  # GBK, a title line, Chinese headers with full-width brackets, 万元
        assert p.encoding == "gb18030" and p.header_row == 2
        assert [n for n in p.notes if "万元" in n] == ["“销售收入（万元）”已按 万元 换算为 元",
                                                    "“成本（万元）”已按 万元 换算为 元"]
    if name.startswith("greenhouse"):
        assert res.n_new_units == 2 and p.encoding == "xlsx"
    k = kpis.park_kpis(demo_store.cursor(), scope.Period.months("2024-01", "2024-01"))
    assert k[p.sector]["units"] == res.n_rows


# --- templates and help come from the spec --------------------------------------------------

@pytest.mark.parametrize("sector", contract.SECTOR_KEYS)
def test_templates_round_trip(sector):
    s = contract.sector(sector)
    csv_bytes = templates.template_csv(sector)
    assert csv_bytes.startswith(b"\xef\xbb\xbf")
    assert csv_bytes[3:].decode().strip().split(",") == [c.header for c in s.columns]
    row = {"month": "2024-01", "cooperative": "社", "unit": "U-1", "gh_type": "温室", "crop": "辣椒"}
    plausible = {"stock": "100", "sows": "10", "sold_head": "10", "sold_kg": "1100", "revenue": "25000",
                 "cost": "20000", "eggs": "2000", "feed_kg": "500", "area_mu": "2", "yield_kg": "1000"}
    values = [row.get(c.key, plausible.get(c.key, "1")) for c in s.columns]
    p = ingest.parse(csv_bytes + (",".join(values) + "\r\n").encode(), "t.csv", today=TODAY)
    assert p.ok and p.sector == sector, p.errors
    wb = openpyxl.load_workbook(io.BytesIO(templates.template_xlsx(sector)))
    ws = wb.active
    ws.append(values)
    buf = io.BytesIO()
    wb.save(buf)
    p = ingest.parse(buf.getvalue(), "t.xlsx", today=TODAY)
    assert p.ok and p.sector == sector and p.header_row == 2, p.errors
    help_zh = templates.help_table(sector)
    assert help_zh["表头"].tolist() == [c.header for c in s.columns]
    assert help_zh.loc[help_zh["必填"] == "是", "表头"].tolist() == [c.header for c in s.required]
    assert templates.help_table(sector, "en").columns[0] == "Header"


def test_the_months_of_an_upload_read_as_the_preview_writes_them():
    from analytics.ingest import apply

    assert apply.months_text("2026-06,2026-07") == "2026-06、2026-07"
    assert apply.months_text("2026-06,2026-07", "en") == "2026-06, 2026-07"
    assert apply.months_text(apply._months_label([f"2026-0{m}" for m in range(1, 10)])) == "2026-01 至 2026-09"
    assert apply.months_text("2026-01..2026-09", "en") == "2026-01 to 2026-09"
