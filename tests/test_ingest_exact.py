"""Exact periods and locale numbers (issue 17): a month cell that is a longer period is refused as a
period; '.' and ',' are read per column from all its cells, or the file is refused naming them."""

from __future__ import annotations

from datetime import datetime

import pytest

from analytics import ingest
from analytics.access.permissions import SYSTEM
from tests.test_ingest import DUCK_HEADER, GOOD_ROW, TODAY, dump
from tests.test_ingest_layouts import csv_bytes, xls_bytes, xlsx_bytes

PERIODS = ["2026.1-9", "2026.01-09", "1-9月", "1—9月", "1—9月累计", "2026年1-9月", "2026年1月-9月",
           "2026.01-2026.09", "202601-202609", "2026年第三季度", "第三季度", "2026Q3", "三季度", "上半年",
           "2026年上半年", "下半年", "全年",
           "2026年全年", "2026年", "2026", "2026年度", "本年累计", "1至9月"]


@pytest.mark.parametrize("period", PERIODS)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_period_in_the_month_column_is_refused_as_a_period(period, fmt, demo_store):
    row = GOOD_ROW.split(",")
    row[0] = period
    rows = [DUCK_HEADER.split(","), row]
    data = csv_bytes(rows) if fmt == "csv" else xlsx_bytes({"s": rows})
    before = dump(demo_store)
    p = ingest.parse(data, f"f.{fmt}", today=TODAY)
    assert not p.ok
    e = p.errors.iloc[0]
    assert (e["row"], e["column"], e["value"]) == (2, "月份", period)
    assert "一段时期" in e["reason"] and "不是一个月份" in e["reason"]
    with pytest.raises(ingest.Rejected):
        ingest.commit(demo_store, p, SYSTEM)
    assert dump(demo_store) == before


def test_a_year_typed_as_a_number_is_a_period():
    rows = [DUCK_HEADER.split(","), [2026, *GOOD_ROW.split(",")[1:]]]
    for data, name in ((xlsx_bytes({"s": rows}), "f.xlsx"), (xls_bytes({"s": rows}), "f.xls")):
        p = ingest.parse(data, name, today=TODAY)
        assert "一段时期" in p.errors.iloc[0]["reason"], name


@pytest.mark.parametrize("day", ["2026/9/1", "2026-09-30", "2026.9.1", "2026年9月1日", "2026-09-30 00:00:00",
                                 "20260901", datetime(2026, 9, 30)])
def test_only_a_real_day_reads_as_its_month(day):
    row = GOOD_ROW.split(",")
    row[0] = day
    rows = [DUCK_HEADER.split(","), row]
    data = xlsx_bytes({"s": rows}) if isinstance(day, datetime) else csv_bytes(rows)
    p = ingest.parse(data, "f.xlsx" if isinstance(day, datetime) else "f.csv", today=TODAY)
    assert p.ok, p.errors
    assert p.months == ["2026-09"]


# --- locale numbers ------------------------------------------------------------------------------------

GH = ["月份", "合作社", "棚号", "棚型", "作物", "面积(亩)", "产量(公斤)", "销售收入(元)", "成本(元)", "用工(人)"]


def gh(rows: list[list], delim: str = ";") -> bytes:
    return ("\n".join(delim.join(str(v) for v in r) for r in [GH, *rows]) + "\n").encode("utf-8")


def row(area, yield_kg, revenue, cost, unit="G-1"):
    return ["2026-09", "绿野蔬菜种植专业合作社", unit, "温室", "辣椒", area, yield_kg, revenue, cost, 1]


@pytest.mark.parametrize("delim", [";", "\t", "|"])
def test_decimal_comma_decides_the_sheet(delim):
    """A decimal comma in one column (2,5 亩) says the file is European: 3.200 is 3,200."""
    data = gh([row("2,5", "3.200", "19.200,50", "6.000"), row("3", "4.800", "12.000", "5.400", "G-2")], delim)
    p = ingest.parse(data, "f.csv", today=TODAY)
    assert p.ok, p.errors.to_dict("records")
    f = p.frame
    assert f["area_mu"].tolist() == [2.5, 3.0] and f["yield_kg"].tolist() == [3200.0, 4800.0]
    assert f["revenue"].tolist() == [19200.5, 12000.0] and f["cost"].tolist() == [6000.0, 5400.0]


def test_dot_grouping_with_several_groups_decides_its_column():
    p = ingest.parse(gh([row(600, "1.234.567", "2.469.134", 600000), row(3, "4.800", "12.000", 5400, "G-2")]),
                     "f.csv", today=TODAY)
    assert p.ok, p.errors.to_dict("records")
    assert p.frame["yield_kg"].tolist() == [1234567.0, 4800.0]
    assert p.frame["revenue"].tolist() == [2469134.0, 12000.0]


def test_a_decimal_point_in_the_column_keeps_three_decimals_decimal():
    p = ingest.parse(csv_bytes([GH, row(2, "3.200", "19200.5", 6000), row(3, "2.5", "12000.25", 5400, "G-2")]),
                     "f.csv", today=TODAY)
    assert p.ok and p.frame["yield_kg"].tolist() == [3.2, 2.5]


@pytest.mark.parametrize("delim", [";", ","])
def test_dot_or_comma_undecidable_is_refused_naming_the_cells(delim, demo_store):
    before = dump(demo_store)
    p = ingest.parse(gh([row(2, "3.200", 19200, 6000), row(3, "4.800", 12000, 5400, "G-2")], delim), "f.csv",
                     today=TODAY)
    assert not p.ok
    assert p.errors[["row", "column", "value"]].values.tolist() == [[2, "产量(公斤)", "3.200"],
                                                                   [3, "产量(公斤)", "4.800"]]
    assert "分不清“.”是小数点还是千位分隔符：3.200、4.800" in p.errors.iloc[0]["reason"]
    with pytest.raises(ingest.Rejected):
        ingest.commit(demo_store, p, SYSTEM)
    assert dump(demo_store) == before


def test_a_column_mixing_decimal_point_and_decimal_comma_is_refused():
    p = ingest.parse(gh([row(2, "3,25", 19200, 6000), row(3, "2.75", 12000, 5400, "G-2")]), "f.csv", today=TODAY)
    mixed = p.errors[p.errors["reason"].str.contains("有的用“.”作小数点，有的用“,”作小数点")]
    assert not p.ok and mixed["value"].tolist() == ["3,25", "2.75"]


def test_comma_thousands_stay_thousands_in_a_chinese_file():
    data = '月份,合作社,棚号,存栏(羽),销售收入(元)\n2024-01,兴旺种鸭专业合作社,D-1,"3,900","85,000"\n'.encode()
    p = ingest.parse(data, "f.csv", today=TODAY)
    assert p.ok and p.frame["stock"].tolist() == [3900] and p.frame["revenue"].tolist() == [85000.0]


def test_a_leading_apostrophe_is_an_export_mark():
    data = ("月份,合作社,棚号,存栏(羽),销售收入(元)\n'2024-01,兴旺种鸭专业合作社,'001,'3900,'85000.5\n"
            "'202402,兴旺种鸭专业合作社,'001,'180,\"' 1,000\"\n").encode()
    p = ingest.parse(data, "f.csv", today=TODAY)
    assert p.ok, p.errors.to_dict("records")
    assert p.frame["unit"].tolist() == ["001", "001"] and p.frame["stock"].tolist() == [3900, 180]
    assert p.frame["revenue"].tolist() == [85000.5, 1000.0] and p.months == ["2024-01", "2024-02"]
