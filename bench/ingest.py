"""How fast is the upload path? 100,000 monthly rows, full path vs DuckDB's own CSV reader.

Builds one duck file of 100,000 rows (1,000 sheds × 100 months), then times, in one run:
- baseline: DuckDB ``read_csv`` + ``INSERT`` of the same UTF-8 file into a fresh store;
- ours: decode → find header → normalise → validate → upsert (``ingest.ingest``) into a
  fresh store, for the file in UTF-8 (with BOM) and in GBK.
Prints each time and its ratio to the baseline. Aim: ≤ 3× for UTF-8. Also prints the time
of the page's preview (diffs and warnings against the store), which the CLI and page add.

    .venv/bin/python bench/ingest.py [--rows 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analytics import contract, ingest  # noqa: E402
from analytics.auth import SYSTEM  # noqa: E402
from analytics.db import Store  # noqa: E402


def build_file(rows: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sheds = 1_000
    n_months = -(-rows // sheds)
    months = pd.period_range("2010-01", periods=n_months, freq="M").strftime("%Y-%m")
    s = contract.DUCK
    df = pd.DataFrame({
        "month": np.repeat(months, sheds)[:rows],
        "cooperative": np.tile([f"合作社{i % 20:02d}" for i in range(sheds)], n_months)[:rows],
        "unit": np.tile([f"D-{i:04d}" for i in range(sheds)], n_months)[:rows],
        "stock": rng.integers(3_000, 4_000, rows), "eggs": rng.integers(0, 60_000, rows),
        "culled": rng.integers(0, 30, rows), "feed_kg": rng.integers(10_000, 30_000, rows),
        "revenue": np.round(rng.uniform(1e4, 9e4, rows), 2), "cost": np.round(rng.uniform(1e4, 9e4, rows), 2),
        "workers": rng.integers(1, 3, rows)})
    df.columns = [s.column(c).header for c in df.columns]
    return df


def baseline(path: Path, db: Path) -> float:
    s = contract.DUCK
    with Store(db) as store:
        t = time.perf_counter()
        with store.write() as cur:
            cols = [c.header for c in s.columns if c.role != contract.ATTR]
            sel = ", ".join([f"strptime(\"{cols[0]}\", '%Y-%m')::DATE"] + [f'"{c}"' for c in cols[1:]])
            cur.execute(f"INSERT INTO {s.table} ({', '.join(contract.record_columns(s))}) "
                        f"SELECT {sel} FROM read_csv(?, header = true)", [str(path)])
        return time.perf_counter() - t


def ours(data: bytes, name: str, db: Path) -> float:
    with Store(db) as store:
        t = time.perf_counter()
        ingest.ingest(store, data, name, SYSTEM, today=date(2026, 11, 28))
        return time.perf_counter() - t


def preview_time(data: bytes, db: Path) -> tuple[float, float]:
    """Preview (diffs, warnings) of the file against an empty store and against itself applied."""
    with Store(db) as store:
        p = ingest.parse(data, "bench.csv", today=date(2026, 11, 28))
        t = time.perf_counter()
        ingest.preview(store.cursor(), p)
        fresh = time.perf_counter() - t
        ingest.commit(store, p, SYSTEM)
        changed = data.replace(b",1,", b",2,")  # a re-upload that changes some values
        p = ingest.parse(changed, "bench2.csv", today=date(2026, 11, 28))
        t = time.perf_counter()
        ingest.preview(store.cursor(), p)
        return fresh, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    df = build_file(args.rows)
    text = df.to_csv(index=False)
    utf8 = text.encode("utf-8-sig")
    gbk = text.encode("gbk")
    print(f"{args.rows:,} rows, {len(utf8) / 1e6:.1f} MB (UTF-8), best of {args.repeat}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        csv_path = tmp / "bench.csv"
        csv_path.write_bytes(utf8)
        times: dict[str, list[float]] = {"duckdb": [], "utf8": [], "gbk": []}
        for i in range(args.repeat):
            times["duckdb"].append(baseline(csv_path, tmp / f"base{i}.duckdb"))
            times["utf8"].append(ours(utf8, "bench.csv", tmp / f"utf8_{i}.duckdb"))
            times["gbk"].append(ours(gbk, "bench_gbk.csv", tmp / f"gbk_{i}.duckdb"))
        fresh, replace = preview_time(utf8, tmp / "preview.duckdb")
    base = min(times["duckdb"])
    print(f"DuckDB read_csv + INSERT      {base * 1000:8.0f} ms   1.00×")
    for key, label in (("utf8", "ingest, UTF-8 with BOM"), ("gbk", "ingest, GBK")):
        best = min(times[key])
        print(f"{label:<29} {best * 1000:8.0f} ms   {best / base:.2f}×")
    print(f"(page only) preview, new rows  {fresh * 1000:7.0f} ms")
    print(f"(page only) preview, all keys replaced {replace * 1000:7.0f} ms")


if __name__ == "__main__":
    main()
