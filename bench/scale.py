"""Stores of N towns for the scale benchmarks, built once into bench/out/ and reused.

``store_for(100)`` is the demo park copied into 100 towns (9,863,700 records), made by
``python -m analytics demo --towns 100`` (the bulk path); a store is rebuilt when the code's
schema or rollup definitions changed (a fingerprint kept in its meta table).
"""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analytics.figures import rollups  # noqa: E402
from analytics.store import demo  # noqa: E402
from analytics.store.db import Store, set_meta  # noqa: E402
from analytics.store.schema import SCHEMA_VERSION  # noqa: E402

OUT = ROOT / "bench" / "out"
SIZES = {1: "100k", 10: "1M", 100: "10M"}


def store_for(towns: int, *, quiet: bool = False) -> Path:
    """Path of a store with ``towns`` copies of the demo park (built if missing or stale)."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"park-{towns}.duckdb"
    fingerprint = hashlib.sha256(f"{SCHEMA_VERSION} {towns} {rollups.rollup_rebuild_sql(0)}".encode()).hexdigest()
    if path.exists():
        with Store(path, read_only=True) as s:
            fresh = s.get_meta("bench_fingerprint") == fingerprint
        if fresh:
            return path
        path.unlink()
    t = time.perf_counter()
    with Store(path) as s:
        counts = demo.load(s, towns=towns)
        with s.write(figures=False) as cur:
            set_meta(cur, "bench_fingerprint", fingerprint)
    if not quiet:
        print(f"built {path.name}: {sum(counts.values()):,} records in {time.perf_counter() - t:.1f} s "
              f"(python -m analytics demo --towns {towns})", file=sys.stderr)
    return path


def best_of(cur, sql: str, repeat: int = 5) -> float:
    """Seconds of the fastest of ``repeat`` runs of a query (the machines here are noisy)."""
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        cur.execute(sql).fetchall()
        best = min(best, time.perf_counter() - t)
    return best


def bare_scan(cur, repeat: int = 5) -> float:
    """One bare DuckDB aggregate over every record: count and sum of revenue, best of ``repeat``."""
    return best_of(cur, """SELECT count(*), sum(revenue) FROM (SELECT revenue FROM duck_records UNION ALL
                           SELECT revenue FROM hog_records UNION ALL SELECT revenue FROM greenhouse_records)""",
                   repeat)


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A Markdown table (docs/performance.md takes them as printed)."""
    out = ["| " + " | ".join(headers) + " |", "| " + " | ".join("---" for _ in headers) + " |"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)
