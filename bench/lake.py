"""The lake at scale: export time and size, and the KPI JSON over it with DuckDB and Spark.

On the store of ``--towns`` towns (bench/scale.py), in one run: ``export-parquet`` into
bench/out/lake-N (time, size on disk); then the year's KPI JSON from the store (open store),
from the lake with DuckDB (views over the Parquet folder), and from the lake with Spark in
local mode (session start timed apart; then the same JSON, twice: the second run reads the
files from the OS cache). All three JSONs are checked equal.

    .venv/bin/python bench/lake.py [--towns 100] [--year 2023] [--no-spark]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import OUT, SIZES, store_for, table  # noqa: E402

from analytics import scope
from analytics.figures import kpis  # noqa: E402
from analytics.store import lake
from analytics.store.db import Store  # noqa: E402


def size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def timed(fn):
    t = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--towns", type=int, default=100)
    ap.add_argument("--year", type=int, default=2023)
    ap.add_argument("--no-spark", action="store_true")
    args = ap.parse_args()
    db = store_for(args.towns)
    out = OUT / f"lake-{args.towns}"
    period = scope.Period.year(args.year)
    with Store(db, read_only=True) as s:
        if out.exists():
            shutil.rmtree(out)
        _, t_export = timed(lambda: lake.export_parquet(s.cursor(), out))
        expected, t_store = timed(lambda: kpis.park_kpis(s.cursor(), period))
    rows = [["store file (DuckDB)", f"{db.stat().st_size / 1e6:,.0f} MB", ""],
            ["export-parquet", f"{t_export:.1f} s", f"lake {size_mb(out):,.0f} MB"],
            ["KPI JSON, store (open)", f"{t_store * 1000:,.0f} ms", "1.0×"]]
    got, t_duck = timed(lambda: lake.lake_kpis(out, period))
    assert got == expected, "DuckDB over the lake differs from the store"
    rows.append(["KPI JSON, lake + DuckDB (views, rollups computed per query)", f"{t_duck:.2f} s",
                 f"{t_duck / t_store:.0f}×"])
    if not args.no_spark:
        spark, t_start = timed(lambda: lake.quiet(lake.spark_session("local[2]")))
        cur, t_attach = timed(lambda: lake.attach_lake_spark(spark, out))
        first, t_first = timed(lambda: kpis.park_kpis(cur, period))
        second, t_second = timed(lambda: kpis.park_kpis(cur, period))
        assert first == expected and second == expected, "Spark over the lake differs from the store"
        rows += [["Spark local[2]: session start + register lake", f"{t_start + t_attach:.1f} s", ""],
                 ["KPI JSON, lake + Spark (first / second run)", f"{t_first:.1f} s / {t_second:.1f} s",
                  f"{t_second / t_store:.0f}×"]]
        spark.stop()
    print(f"{SIZES.get(args.towns, args.towns)} records, year {args.year}; the three JSONs are equal")
    print(table(["", "time / size", "note"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
