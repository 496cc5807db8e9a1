"""Property: any valid file gives the same KPIs whether sent as UTF-8 CSV, GBK CSV, XLSX, XLS or an XLSX
with one sheet per month (the container never changes a figure)."""

from __future__ import annotations

import io
import tempfile
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import xlwt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import contract, ingest, scope
from analytics.access.permissions import SYSTEM
from analytics.contract import AREA, CHOICE, COUNT, MONEY, TEXT, WEIGHT
from analytics.figures import kpis
from analytics.store.db import Store

TODAY = date(2026, 11, 28)
MONTHS = ["2023-11", "2023-12", "2024-01", "2024-02"]
COOPS = ["兴旺种鸭专业合作社", "甜园西瓜种植专业合作社", "众兴养猪专业合作社"]
UNITS = ["A-1", "A-2", "王建国", "S-0001"]


def _value(col: contract.Column):
    if col.kind == COUNT:
        v = st.integers(0, 50_000)
    elif col.kind == MONEY:
        v = st.integers(0, 5_000_000_00).map(lambda c: c / 100)  # whole fen
    elif col.kind in (WEIGHT, AREA):
        v = st.integers(0, 100_000).map(lambda c: c / 10)
    elif col.kind == CHOICE:
        v = st.sampled_from(col.choices)
    elif col.kind == TEXT:
        v = st.sampled_from(["无籽西瓜", "山药", "辣椒", "药材", "前营村", "东湖种鸭小区"])
    else:
        raise AssertionError(col.kind)
    return st.one_of(st.none(), v) if not col.required else v


@st.composite
def sheets(draw) -> tuple[str, pd.DataFrame]:
    s = contract.SECTORS[draw(st.sampled_from(contract.SECTOR_KEYS))]
    keys = draw(st.lists(st.tuples(st.sampled_from(MONTHS), st.sampled_from(COOPS), st.sampled_from(UNITS)),
                         min_size=1, max_size=12, unique=True))
    rows = []
    for month, coop, unit in keys:
        row = {"month": month, "cooperative": coop, "unit": unit}
        for c in s.columns:
            if c.key not in row:
                row[c.key] = draw(_value(c))
        rows.append(row)
    return s.key, pd.DataFrame(rows, columns=[c.key for c in s.columns])


def as_csv(sector: str, df: pd.DataFrame, encoding: str, wan: bool) -> bytes:
    s = contract.sector(sector)
    out = df.copy()
    headers = []
    for c in s.columns:
        if wan and c.kind == MONEY:  # the GBK file reports money in 万元, as offices often do
            out[c.key] = out[c.key].map(lambda v: None if pd.isna(v) else f"{v / 10_000:.6f}")
            headers.append(f"{c.zh}（万元）")
        else:
            headers.append(c.header)
    out.columns = headers
    return out.to_csv(index=False).encode(encoding)


def as_xlsx(sector: str, df: pd.DataFrame) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["标题：月报"])
    ws.append([c.en for c in contract.sector(sector).columns])
    for row in df.itertuples(index=False):
        ws.append([None if (v is None or (isinstance(v, float) and pd.isna(v))) else v for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def as_xls(sector: str, df: pd.DataFrame) -> bytes:
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("月报")
    for j, c in enumerate(contract.sector(sector).columns):
        ws.write(0, j, c.header)
    for i, row in enumerate(df.itertuples(index=False), start=1):
        for j, v in enumerate(row):
            if not (v is None or (isinstance(v, float) and pd.isna(v))):
                ws.write(i, j, v)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def as_sheet_per_month(sector: str, df: pd.DataFrame) -> bytes:
    """One sheet per month, plus a hidden list sheet and a notes sheet without a header."""
    wb = openpyxl.Workbook()
    wb.active.title = "填表说明"
    wb.active.append(["每月一张表，合计行和签名栏可保留"])
    for month, part in df.groupby("month", sort=True):
        ws = wb.create_sheet(f"{month[-2:]}月")
        ws.append([c.header for c in contract.sector(sector).columns])
        for row in part.itertuples(index=False):
            ws.append([None if (v is None or (isinstance(v, float) and pd.isna(v))) else v for v in row])
        ws.append(["填表人：李会计"])
    hidden = wb.create_sheet("下拉")
    hidden.append(["温室"])
    hidden.sheet_state = "hidden"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def kpis_after(folder: Path, name: str, data: bytes) -> tuple[dict, int]:
    with Store(folder / f"{name}.duckdb") as s:
        res = ingest.ingest(s, data, name, SYSTEM, today=TODAY)
        cur = s.cursor()
        return kpis.park_kpis(cur, scope.Period.months(MONTHS[0], MONTHS[-1])), res.n_rows


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sheets())
def test_same_kpis_whatever_the_container(sheet):
    sector, df = sheet
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        a, n_a = kpis_after(folder, "a.csv", as_csv(sector, df, "utf-8-sig", wan=False))
        b, n_b = kpis_after(folder, "b.csv", as_csv(sector, df, "gbk", wan=True))
        c, n_c = kpis_after(folder, "c.xlsx", as_xlsx(sector, df))
        d, n_d = kpis_after(folder, "d.xls", as_xls(sector, df))
        e, n_e = kpis_after(folder, "e.xlsx", as_sheet_per_month(sector, df))
    assert n_a == n_b == n_c == n_d == n_e == len(df)
    assert a == b == c == d == e
    assert a[sector]["units"] == len(set(zip(df["cooperative"], df["unit"], strict=True)))
    revenue = df["revenue"].dropna().sum()
    assert abs(a[sector]["revenue"] - revenue) < 0.01
