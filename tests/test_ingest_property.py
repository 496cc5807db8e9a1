"""Property: any valid file gives the same KPIs whether sent as UTF-8 CSV, GBK CSV, XLSX, XLS or an XLSX
with one sheet per month (the container never changes a figure)."""

from __future__ import annotations

import io
import math
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


STEP = {COUNT: 1, MONEY: 0.01, WEIGHT: 0.1, AREA: 0.1}  # whole head, whole fen, 0.1 kg / 亩
BOUND = {COUNT: 50_000, MONEY: 5_000_000, WEIGHT: 10_000, AREA: 10_000}


def _value(col: contract.Column):
    if col.kind in STEP:
        v = _in_steps(col.kind, 0, BOUND[col.kind])
    elif col.kind == CHOICE:
        v = st.sampled_from(col.choices)
    elif col.kind == TEXT:
        v = st.sampled_from(["无籽西瓜", "山药", "辣椒", "药材", "前营村", "东湖种鸭小区"])
    else:
        raise AssertionError(col.kind)
    return st.one_of(st.none(), v) if not col.required else v


def _in_steps(kind: str, lo: float, hi: float):
    """Values of ``kind`` in [lo, hi] on its step (whole fen, 0.1 kg), or nothing when none fit."""
    step = STEP[kind]
    # a hair inside the range: a rate on its very edge must not hang on float rounding
    a, b = math.ceil(lo * (1 + 1e-6) / step), math.floor(hi * (1 - 1e-6) / step)
    if a > b:
        return None
    return st.integers(a, b).map(lambda k: k if kind == COUNT else round(k * step, 2))


def _bounds(s: contract.Sector, key: str, row: dict) -> tuple[float, float]:
    """The range a measure may take given the row's figures drawn so far: every contract.RATES
    range (and sows ≤ stock) that ties it to one of them, so rows are plausible, not refused."""
    lo, hi = 0.0, float(BOUND[s.column(key).kind])

    def given(k):
        v = row.get(k)
        return v if isinstance(v, (int, float)) and v > 0 else None

    for r in contract.rates(s.key):
        if r.crop and not (isinstance(row.get("crop"), str) and r.crop in row["crop"]):
            continue
        if r.numerator == key:
            den = 1 if r.denominator is None else given(r.denominator)
            if den is not None:
                lo, hi = max(lo, r.low * den), min(hi, r.high * den)
        elif r.denominator == key and given(r.numerator) is not None:
            num = given(r.numerator)
            lo, hi = max(lo, num / r.high), min(hi, num / r.low)
    if key == "sows" and isinstance(row.get("stock"), (int, float)):  # a stock of 0 has no sows either
        hi = min(hi, row["stock"])
    return lo, hi


def _plausible(draw, s: contract.Sector, col: contract.Column, row: dict):
    if col.kind not in STEP:
        return draw(_value(col))
    if draw(st.booleans()) and not col.required:
        return None
    if draw(st.integers(0, 9)) == 0:
        return 0  # a zero is never a rate
    v = _in_steps(col.kind, *_bounds(s, col.key, row))
    return None if v is None else draw(v)


@st.composite
def sheets(draw) -> tuple[str, pd.DataFrame]:
    """Random contract files whose rows are plausible (contract.RATES): impossible and implausible
    figures have their own tests (test_ingest_plausible.py)."""
    s = contract.SECTORS[draw(st.sampled_from(contract.SECTOR_KEYS))]
    keys = draw(st.lists(st.tuples(st.sampled_from(MONTHS), st.sampled_from(COOPS), st.sampled_from(UNITS)),
                         min_size=1, max_size=12, unique=True))
    rows = []
    for month, coop, unit in keys:
        row = {"month": month, "cooperative": coop, "unit": unit}
        for c in s.columns:
            if c.key not in row:
                row[c.key] = _plausible(draw, s, c, row)
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
