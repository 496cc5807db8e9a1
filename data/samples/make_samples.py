"""Regenerate the sample upload files from the demo park (run from the repository root).

    .venv/bin/python data/samples/make_samples.py

Each good sample continues the demo park into 2024-01 for one cooperative, so it applies
cleanly, without warnings, on top of ``python -m analytics demo``.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from analytics import contract  # noqa: E402
from analytics.store import demo  # noqa: E402

HERE = Path(__file__).resolve().parent


def headers(sector: str) -> dict[str, str]:
    return {c.key: c.header for c in contract.sector(sector).columns}


def main() -> None:
    park = demo.build()
    rng = np.random.default_rng(2024)
    dec = pd.Timestamp("2023-12-01").date()

    # Ducks: UTF-8 with BOM, canonical Chinese headers, one cooperative's sheds.
    d = park.records["duck"]
    d = d[(d["month"] == dec) & (d["cooperative"] == "兴旺种鸭专业合作社")].sort_values("unit")
    culled = np.round(d["stock"] * 0.0045 * rng.normal(1, 0.1, len(d))).astype(int)
    stock = d["stock"] - culled
    eggs = np.round(d["eggs"] * rng.normal(0.97, 0.02, len(d))).astype(int)
    duck = pd.DataFrame({"month": "2024-01", "cooperative": d["cooperative"], "unit": d["unit"],
                         "stock": stock, "eggs": eggs, "culled": culled,
                         "feed_kg": np.round(stock * 0.21 * 31), "revenue": np.round(eggs * 1.45 + culled * 18, 2),
                         "cost": np.round(d["cost"] * 1.01, 2), "workers": d["workers"]})
    duck = duck.rename(columns=headers("duck"))
    (HERE / "duck_2024-01.csv").write_bytes(duck.to_csv(index=False).encode("utf-8-sig"))

    # Hogs: GBK as Excel on a Chinese PC saves it, a title line, money in 万元.
    h = park.records["hog"]
    h = h[(h["month"] == dec) & (h["cooperative"] == "丰华生猪养殖专业合作社")].sort_values("unit")
    sold = np.round(h["stock"] * 0.16).astype(int)
    hog = pd.DataFrame({
        "月份": "2024年1月", "合作社": h["cooperative"], "养殖户": h["unit"],
        "存栏（头）": np.round(h["stock"] * 1.01).astype(int), "能繁母猪（头）": h["sows"],
        "出栏（头）": sold, "出栏重（公斤）": np.round(sold * 121.0, 1),
        "死亡（头）": np.round(h["stock"] * 0.005).astype(int),
        "饲料（公斤）": np.round(h["stock"] * 2.4 * 31),
        "销售收入（万元）": np.round(sold * 121.0 * 14.2 / 10_000, 4),
        "成本（万元）": np.round(sold * 121.0 * 13.1 / 10_000, 4), "用工（人）": h["workers"]})
    buf = io.StringIO()
    buf.write("丰华生猪养殖专业合作社 2024年1月生猪生产月报" + "," * (hog.shape[1] - 1) + "\n")
    hog.to_csv(buf, index=False)
    (HERE / "hog_2024-01_gbk.csv").write_bytes(buf.getvalue().encode("gbk"))

    # Greenhouses: XLSX with English headers; the cooperative's 温室 plus two new plots.
    g = park.records["greenhouse"]
    g = g[(g["month"] == dec) & (g["cooperative"] == "绿源果蔬专业合作社") & (g["gh_type"] == "温室")]
    g = g.sort_values("unit")
    new = pd.DataFrame({"cooperative": "绿源果蔬专业合作社", "unit": ["W-31", "W-32"], "gh_type": "温室",
                        "crop": "辣椒", "area_mu": [2.5, 3.0], "cost": [900.0, 1_100.0], "workers": [1, 1]})
    gh = pd.concat([g[["cooperative", "unit", "gh_type", "crop", "area_mu", "cost", "workers"]], new])
    gh.insert(0, "month", "2024-01")
    gh["yield_kg"] = 0.0
    gh["revenue"] = 0.0
    gh["cost"] = np.round(gh["area_mu"] * 380, 2)
    gh["village"] = ["陈楼村" if u in ("W-31", "W-32") else None for u in gh["unit"]]
    out = gh.rename(columns={"month": "month", "cooperative": "cooperative", "unit": "plot", "gh_type": "type",
                             "crop": "crop", "area_mu": "area (mu)", "yield_kg": "yield (kg)",
                             "revenue": "revenue (yuan)", "cost": "cost (yuan)", "workers": "workers",
                             "village": "village"})
    with pd.ExcelWriter(HERE / "greenhouse_2024-01.xlsx", engine="openpyxl") as xw:
        out.to_excel(xw, index=False, startrow=1, sheet_name="2024-01")
        xw.sheets["2024-01"]["A1"] = "绿源果蔬专业合作社 温室月报 2024年1月"

    # A bad file: every kind of mistake, each listed with its row and column.
    bad = (
        "月份,合作社,棚号,存栏(羽),产蛋(枚),死淘(羽),饲料(公斤),销售收入(元),成本(元),用工(人)\n"
        "2024-01,兴旺种鸭专业合作社,D-001,3900,60000,18,24000,85000,70000,2\n"
        "2024-13,兴旺种鸭专业合作社,D-002,3850,59000,17,23500,84000,69000,2\n"
        "2027-01,兴旺种鸭专业合作社,D-003,3800,58000,16,23000,83000,68000,2\n"
        "2024-01,兴旺种鸭专业合作社,,3700,57000,15,22500,82000,67000,1\n"
        "2024-01,兴旺种鸭专业合作社,D-001,3900,60000,18,24000,85000,70000,2\n"
        "2024-01,兴旺种鸭专业合作社,D-004,-5,56000,15,22000,81000,66000,1\n"
        "2024-01,兴旺种鸭专业合作社,D-005,3600.5,55000,十五,21500,80000,65000,1\n"
        "2024-01,兴旺种鸭专业合作社,D-006,3500,54000,14,21000,8万,64000,1\n"
        "合计,,,22350,344000,95,136000,495000,404000,9\n"
    )
    (HERE / "bad_duck.csv").write_bytes(bad.encode("utf-8-sig"))


if __name__ == "__main__":
    main()
