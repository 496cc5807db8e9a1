"""Every column accounted for (issue 17): each file column is read as a contract column, ignored
by a known qualifier or breakdown (named), or not understood — and a not-understood column of
figures whose header names a contract column refuses the file until it is mapped or ignored."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import contract, ingest
from analytics.access.permissions import SYSTEM
from tests.test_ingest import dump
from tests.test_ingest_layouts import HOG_H, HOG_ROWS, csv_bytes, parse, xls_bytes, xlsx_bytes
from tests.test_ingest_property import COOPS, MONTHS, kpis_after, sheets

PLAIN = {"stock": 275, "sows": 27, "sold_head": 42, "revenue": 91000.0, "cost": 83500.0}


def figures(p) -> dict:
    assert p.ok, p.errors.to_dict("records")
    f = p.frame
    return {"stock": int(f["stock"].sum()), "sows": int(f["sows"].sum()), "sold_head": int(f["sold_head"].sum()),
            "revenue": float(f["revenue"].sum()), "cost": float(f["cost"].sum())}


def hog(header: list[str], extra: list[list] | None = None) -> list[list]:
    """The hog rows under ``header`` (出栏 and 销售收入 renamed), extra columns appended."""
    rows = [header + (extra[0] if extra else [])]
    for i, r in enumerate(HOG_ROWS):
        rows.append(list(r) + (extra[i + 1] if extra else []))
    return rows


def renamed(**names: str) -> list[str]:
    h = list(HOG_H)
    for old, new in names.items():
        h[h.index(old)] = new
    return h


CUMULATIVE = [[None], [260], [101]]  # a 本年累计 column's figures: never this month's


# --- this month's figure however it is written ---------------------------------------------------

@pytest.mark.parametrize("sold,revenue", [
    ("本月出栏(头)", "本月销售收入(元)"), ("当月出栏(头)", "当月销售收入(元)"), ("出栏(头)(本月)", "销售收入（本月）"),
    ("出栏（当月）", "销售收入(元)（当月）"), ("本期出栏(头)", "本期销售收入(万元)"), ("本月出栏数", "当月收入"),
])
@pytest.mark.parametrize("fmt", ["csv", "xlsx", "xls"])
def test_this_months_figure_reads_as_the_column(sold, revenue, fmt):
    rows = hog(renamed(**{"出栏(头)": sold, "销售收入(元)": revenue}))
    if "万元" in revenue:
        for r in rows[1:]:
            r[6] = r[6] / 10_000
    data = {"csv": lambda: csv_bytes(rows), "xlsx": lambda: xlsx_bytes({"s": rows}),
            "xls": lambda: xls_bytes({"s": rows})}[fmt]()
    p = parse(data, f"f.{fmt}")
    assert figures(p) == PLAIN
    became = p.columns.set_index("column")["became"]
    assert became[sold].startswith("出栏(头)") and "本月数" in became[sold]


# --- known qualifiers: read as what they are, named, not imported --------------------------------

@pytest.mark.parametrize("qualified,named", [
    ("本年累计出栏(头)", "累计数"), ("累计出栏(头)", "累计数"), ("1-9月累计出栏", "累计数"),
    ("1—9月出栏(头)", "累计数"),
    ("上年同期出栏(头)", "上年同期数"), ("去年同期销售收入(元)", "上年同期数"), ("出栏同比(%)", "同比"),
    ("销售收入环比", "环比"), ("计划出栏(头)", "计划数"), ("目标销售收入(元)", "计划数"), ("存栏占比", "比率"),
    ("上月存栏(头)", "上月或期初数"), ("期初存栏", "上月或期初数"), ("出栏均重(公斤)", "平均数或单价"),
    ("销售单价(元/公斤)", "平均数或单价"), ("比上年增减(%)", "增减"),
])
def test_qualified_columns_are_named_and_not_imported(qualified, named):
    p = parse(csv_bytes(hog(list(HOG_H), [[qualified], [260], [101]])))
    assert figures(p) == PLAIN
    row = p.columns.set_index("column").loc[qualified]
    assert row["status"] == "qualifier" and named in row["became"] and "不导入" in row["became"]


def test_field_case_16_pair_of_this_month_and_this_year():
    h = renamed(**{"出栏(头)": "本月出栏(头)", "销售收入(元)": "本月销售收入(元)"})
    rows = [h[:6] + ["本年累计出栏(头)"] + h[6:7] + ["本年累计销售收入(元)"] + h[7:]]
    for r in HOG_ROWS:
        rows.append(list(r[:6]) + [260] + [r[6]] + [560000] + list(r[7:]))
    for data, name in ((xlsx_bytes({"s": rows}), "f.xlsx"), (csv_bytes(rows), "f.csv")):
        assert figures(parse(data, name)) == PLAIN


# --- two-row headers --------------------------------------------------------------------------------

TOP = ["月份", "合作社", "养殖户", "存栏(头)", "能繁母猪(头)", "出栏(头)", None, None, "销售收入(元)", None, "成本(元)",
       "用工(人)"]


@pytest.mark.parametrize("subs", [
    ("本月", "本年累计", "本月", "本年累计"), ("本月数", "累计数", "当月", "1-9月累计"),
    ("本月", "上年同期", "本月", "同比(%)"), ("当月", "计划", "本月", "同比增减"),
])
@pytest.mark.parametrize("fmt", ["csv", "xlsx", "xls"])
def test_two_row_header_of_qualified_sub_columns(subs, fmt):
    top = ["月份", "合作社", "养殖户", "存栏(头)", "能繁母猪(头)", "出栏(头)", None, "销售收入(元)", None, "成本(元)",
           "用工(人)"]
    sub = [None] * 5 + [subs[0], subs[1], subs[2], subs[3], None, None]
    body = [list(r[:6]) + [999] + [r[6]] + [888_888] + list(r[7:]) for r in HOG_ROWS]
    rows = [top, sub, *body]
    merges = ["A1:A2", "B1:B2", "C1:C2", "D1:D2", "E1:E2", "F1:G1", "H1:I1", "J1:J2", "K1:K2"]
    data = {"csv": lambda: csv_bytes(rows), "xlsx": lambda: xlsx_bytes({"s": rows}, {"s": merges}),
            "xls": lambda: xls_bytes({"s": rows})}[fmt]()
    p = parse(data, f"f.{fmt}")
    assert figures(p) == PLAIN
    assert "表头第1–2行" in p.layout_notes()[0]
    st_ = p.columns.set_index("column")["status"]
    assert st_[f"出栏(头)/{subs[1]}"] == "qualifier" and st_[f"销售收入(元)/{subs[3]}"] == "qualifier"


def test_two_row_header_with_qualifier_groups_over_measures():
    top = ["月份", "合作社", "养殖户", "存栏(头)", "能繁母猪(头)", "本月", None, "本年累计", None, "成本(元)",
           "用工(人)"]
    sub = [None] * 5 + ["出栏(头)", "销售收入(元)", "出栏(头)", "销售收入(元)", None, None]
    body = [list(r[:5]) + [r[5], r[6], 999, 888_888] + list(r[7:]) for r in HOG_ROWS]
    p = parse(xlsx_bytes({"s": [top, sub, *body]}, {"s": ["F1:G1", "H1:I1"]}), "f.xlsx")
    assert figures(p) == PLAIN


@pytest.mark.parametrize("breakdown", [("仔猪", "育肥猪"), ("保育猪", "其中：后备母猪"), ("其中：仔猪", "商品猪")])
@pytest.mark.parametrize("fmt", ["csv", "xlsx", "xls"])
def test_stock_breakdown_sub_columns_are_named_and_ignored(breakdown, fmt):
    top = ["月份", "合作社", "养殖户", "期末存栏(头)", None, None, None, "出栏(头)", "销售收入(元)", "成本(元)",
           "用工(人)"]
    sub = [None, None, None, "合计", "其中：能繁母猪", *breakdown, None, None, None, None]
    body = [list(r[:5]) + [62, 100] + list(r[5:]) for r in HOG_ROWS]
    rows = [top, sub, *body]
    merges = ["A1:A2", "B1:B2", "C1:C2", "D1:G1", "H1:H2", "I1:I2", "J1:J2", "K1:K2"]
    data = {"csv": lambda: csv_bytes(rows), "xlsx": lambda: xlsx_bytes({"s": rows}, {"s": merges}),
            "xls": lambda: xls_bytes({"s": rows})}[fmt]()
    p = parse(data, f"f.{fmt}")
    assert figures(p) == PLAIN
    acc = p.columns.set_index("column")
    for b in breakdown:
        row = acc.loc[f"期末存栏(头)/{b}"]
        assert row["status"] == "breakdown" and row["became"] == f"存栏的分项（{b}），不导入"


def test_one_row_breakdown_with_qiizhong():
    p = parse(csv_bytes(hog(list(HOG_H), [["其中：仔猪(头)"], [62], [31]])))
    assert figures(p) == PLAIN
    assert p.columns.set_index("column").loc["其中：仔猪(头)", "status"] == "breakdown"


# --- not understood: refused naming the column and what it probably is ----------------------------

@pytest.mark.parametrize("header,probably", [
    ("出栏合计(头)", "出栏(头)"), ("出栏头数", "出栏(头)"), ("实际销售收入(元)", "销售收入(元)"),
    ("生猪存栏数(头)", "存栏(头)"), ("其他收入(元)", "销售收入(元)"),
])
def test_a_numeric_column_naming_a_contract_column_is_refused_until_decided(header, probably, demo_store):
    before = dump(demo_store)
    data = csv_bytes(hog(list(HOG_H), [[header], [7], [8]]))
    p = parse(data)
    assert not p.ok
    e = p.errors.iloc[0]
    assert (e["row"], e["column"]) == (1, header)
    assert f"它可能就是“{probably}”" in e["reason"] and f'--ignore-column "{header}"' in e["reason"]
    with pytest.raises(ingest.Rejected):
        ingest.commit(demo_store, p, SYSTEM)
    assert dump(demo_store) == before
    ignored = ingest.parse(data, "f.csv", today=p_today(), columns=ingest.ColumnChoices(ignore={header}))
    assert figures(ignored) == PLAIN
    assert ignored.columns.set_index("column").loc[header, "status"] == "user_ignored"


def p_today():
    from tests.test_ingest import TODAY
    return TODAY


def test_mapping_a_column_reads_it_with_its_unit():
    h = renamed(**{"出栏(头)": "出栏合计(头)", "销售收入(元)": "收入合计(万元)"})
    rows = hog(h)
    for r in rows[1:]:
        r[6] = r[6] / 10_000
    data = csv_bytes(rows)
    assert not parse(data).ok
    choices = ingest.ColumnChoices({"出栏合计(头)": "出栏", "收入合计(万元)": "revenue"})
    p = ingest.parse(data, "f.csv", today=p_today(), columns=choices)
    assert figures(p) == PLAIN
    became = p.columns.set_index("column").loc["收入合计(万元)", "became"]
    assert became == "销售收入(元)（万元→元，×10000）（按您的指定）"


def test_a_text_column_naming_a_contract_column_is_listed_not_refused():
    p = parse(csv_bytes(hog(list(HOG_H), [["出栏去向"], ["屠宰场"], ["本地收购"]])))
    assert figures(p) == PLAIN
    assert p.warnings["column"].tolist() == ["出栏去向"]


def test_cli_column_and_ignore_column(tmp_path, capsys):
    from analytics.__main__ import main

    f = tmp_path / "f.csv"
    f.write_bytes(csv_bytes(hog(renamed(**{"出栏(头)": "出栏合计(头)"}), [["存栏数量合计"], [1], [2]])))
    db = tmp_path / "x.duckdb"
    assert main(["init-db", "--db", str(db)]) == 0
    capsys.readouterr()
    assert main(["ingest", str(f), "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert "“出栏合计(头)”：这一列没有读取" in err and "“存栏数量合计”：这一列没有读取" in err
    assert main(["ingest", str(f), "--db", str(db), "--column", "出栏合计(头)=出栏",
                 "--ignore-column", "存栏数量合计"]) == 0
    out = capsys.readouterr().out
    assert "“出栏合计(头)” → 出栏(头)（按您的指定）" in out and "“存栏数量合计” → 按您的指定忽略" in out
    assert main(["kpis", "--db", str(db), "--year", "2026", "--json"]) == 0
    import json
    assert json.loads(capsys.readouterr().out)["hog"]["sold_head"] == 42
    assert main(["ingest", str(f), "--db", str(db), "--column", "oops"]) == 2


# --- the property of the issue ---------------------------------------------------------------------

def _with_extra(sector: str, df: pd.DataFrame, header: str, values) -> bytes:
    s = contract.sector(sector)
    out = df.copy()
    out.columns = [c.header for c in s.columns]
    out[header] = values
    return out.to_csv(index=False).encode("utf-8")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sheets(), st.data())
def test_this_month_prefix_changes_nothing_and_a_named_unknown_column_is_refused(sheet, data):
    sector, df = sheet
    s = contract.sector(sector)
    measures = [c for c in s.measures if c.kind != contract.CHOICE and c.kind != contract.TEXT]
    col = data.draw(st.sampled_from(measures))
    prefix = data.draw(st.sampled_from(["本月", "当月", "本期"]))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plain = df.copy()
        plain.columns = [c.header for c in s.columns]
        a, _ = kpis_after(folder, "a.csv", plain.to_csv(index=False).encode("utf-8"))
        pre = plain.rename(columns={col.header: prefix + col.header})
        b, _ = kpis_after(folder, "b.csv", pre.to_csv(index=False).encode("utf-8"))
        assert a == b
        # An unknown numeric column whose header contains a contract name: refused, nothing written.
        word = data.draw(st.sampled_from(["合计", "总数", "实际", "小计数", "全部"]))
        header = data.draw(st.sampled_from([f"{col.zh}{word}", f"{word}{col.zh}", f"{col.zh}{word}({col.unit})"
                                            if col.unit else f"{col.zh}{word}"]))
        numbers = data.draw(st.lists(st.integers(0, 10_000), min_size=len(df), max_size=len(df)))
        bad = _with_extra(sector, df, header, numbers)
        from analytics.store.db import Store
        with Store(folder / "c.duckdb") as store:
            p = ingest.parse(bad, "c.csv", today=p_today())
            assert not p.ok and header in p.errors["column"].tolist()
            with pytest.raises(ingest.Rejected):
                ingest.commit(store, p, SYSTEM)
            assert store.cursor().execute(f"SELECT count(*) FROM {s.table}").fetchall() == [(0,)]
    assert set(df["cooperative"]) <= set(COOPS) and set(df["month"]) <= set(MONTHS)
