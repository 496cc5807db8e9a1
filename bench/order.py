"""Does storing records in month order help? The period queries, on month order vs unit order.

The 10M store's greenhouse records (9.1M rows) and their monthly chunks (unit_month) are
copied into an in-memory DuckDB twice — sorted by month (what demo load and the rollups
write) and sorted by cooperative, unit, month (what appending each unit's history gives) —
and the two period queries that read records are timed on both, best of ``--repeat``:
- a year's monthly sums (kpis.monthly with a village filter reads the records);
- a six-month per-unit merge (kpis._per_unit for a period that is not whole years).

    .venv/bin/python bench/order.py [--towns 100] [--repeat 5]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import SIZES, best_of, store_for, table  # noqa: E402

from analytics.figures import (
    rollups,
)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--towns", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    db = store_for(args.towns)
    con = duckdb.connect()
    con.execute("ATTACH ? AS p (READ_ONLY)", [str(db)])
    merge = ", ".join(rollups._merge_aggregates("greenhouse"))
    queries = {
        "monthly sums, one year (records)": """SELECT month, count(*), sum(revenue), sum(cost), sum(yield_kg)
            FROM {rec} WHERE month BETWEEN '2023-01-01' AND '2023-12-01' GROUP BY month""",
        "per-unit merge, 2023-01..2023-06 (unit_month)": f"""SELECT count(*), sum(revenue) FROM (
            SELECT m.unit_id, {merge} FROM {{chunks}} m
            WHERE m.last_month BETWEEN '2023-01-01' AND '2023-06-01' GROUP BY m.unit_id)""",
    }
    times = {}
    for order, by_rec, by_chunk in (("month order", "month", "last_month, unit_id"),
                                    ("unit order", "cooperative, unit, month", "unit_id, last_month")):
        con.execute(f"CREATE OR REPLACE TABLE rec AS SELECT * FROM p.greenhouse_records ORDER BY {by_rec}")
        con.execute(f"CREATE OR REPLACE TABLE chunks AS SELECT * FROM p.unit_month_greenhouse ORDER BY {by_chunk}")
        for name, sql in queries.items():
            times[(order, name)] = best_of(con, sql.format(rec="rec", chunks="chunks"), args.repeat)
    rows = [[name, f"{times[('month order', name)] * 1000:.1f} ms", f"{times[('unit order', name)] * 1000:.1f} ms",
             f"{times[('unit order', name)] / times[('month order', name)]:.1f}×"] for name in queries]
    print(f"{SIZES.get(args.towns, args.towns)} records")
    print(table(["query (greenhouse)", "month order", "unit order", "unit / month"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
