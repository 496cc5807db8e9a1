"""The product against a pandas notebook at 10M records: load + groupby vs the KPI functions.

The notebook is what an analyst would write against the same DuckDB file: read the three
record tables into pandas, then per unit (sums, peak workers, last reported stock, largest
area) and per sector for one year. It is checked to give the product's figures. Timed in
one run, best of ``--repeat``:
- notebook load (SELECT * into DataFrames) and notebook compute (the groupbys);
- product compute (kpis.park_kpis on an open store: the whole KPI JSON, by town included)
  and product open + compute (a fresh read-only Store, as the CLI does).
Aim (issue 12): product compute at least 5× faster than the notebook's compute alone.

    .venv/bin/python bench/notebook.py [--towns 100] [--year 2023] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import SIZES, store_for, table  # noqa: E402

from analytics import scope
from analytics.figures import kpis  # noqa: E402
from analytics.store.db import Store  # noqa: E402


def notebook_load(cur) -> dict[str, pd.DataFrame]:
    return {s: cur.execute(f"SELECT * FROM {s}_records").df() for s in ("duck", "hog", "greenhouse")}


def notebook_compute(frames: dict[str, pd.DataFrame], year: int) -> dict[str, dict]:
    out = {}
    for sector, df in frames.items():
        d = df[pd.to_datetime(df["month"]).dt.year == year].sort_values("month")
        g = d.groupby(["cooperative", "unit"], sort=False)
        k = {"units": g.ngroups, "revenue": d["revenue"].sum(), "cost": d["cost"].sum(),
             "jobs": int(g["workers"].max().sum())}
        if "stock" in d:
            k["stock"] = int(d.dropna(subset=["stock"]).groupby(["cooperative", "unit"], sort=False)["stock"]
                             .last().sum())
        if "area_mu" in d:
            k["area_mu"] = g["area_mu"].max().sum()
        out[sector] = k
    return out


def best(fn, repeat: int):
    result, t_best = None, float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        t_best = min(t_best, time.perf_counter() - t)
    return result, t_best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--towns", type=int, default=100)
    ap.add_argument("--year", type=int, default=2023)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    db = store_for(args.towns)
    period = scope.Period.year(args.year)
    with Store(db, read_only=True) as s:
        cur = s.cursor()
        loaded, t_load = best(lambda: notebook_load(cur), args.repeat)
        nb, t_nb = best(lambda: notebook_compute(loaded, args.year), args.repeat)
        k, t_product = best(lambda: kpis.park_kpis(cur, period), args.repeat)

    def open_and_compute() -> dict:
        with Store(db, read_only=True) as s:
            return kpis.park_kpis(s.cursor(), period)

    _, t_open = best(open_and_compute, args.repeat)
    for sector, figures in nb.items():  # the notebook and the product agree
        for key, value in figures.items():
            assert abs(k[sector][key] - value) <= 0.01 + 1e-9 * abs(value), (sector, key, k[sector][key], value)
    rows = [["pandas notebook: load (SELECT * → DataFrame)", f"{t_load:.2f} s", ""],
            ["pandas notebook: compute (groupby, one year)", f"{t_nb:.2f} s", ""],
            ["pandas notebook: load + compute", f"{t_load + t_nb:.2f} s", ""],
            ["product: kpis.park_kpis (open store)", f"{t_product * 1000:.0f} ms",
             f"{t_nb / t_product:.0f}× faster than notebook compute"],
            ["product: open store + park_kpis", f"{t_open * 1000:.0f} ms",
             f"{(t_load + t_nb) / t_open:.0f}× faster than notebook load + compute"]]
    print(f"{SIZES.get(args.towns, args.towns)} records, year {args.year}; figures checked equal")
    print(table(["", "time", "ratio"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
