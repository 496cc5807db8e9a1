"""How fast is the upload path? Ratios against baselines run in the same process.

1. CSV, 100,000 rows (1,000 sheds × 100 months): DuckDB ``read_csv`` + ``INSERT`` of the same
   UTF-8 file into a fresh store, against the whole path (``ingest.ingest``: decode, find the
   table, normalise, validate in a child process, commit) in UTF-8 (with BOM) and in GBK, then
   split: the parse in its child process, the same parse in this process, the commit; and the
   child's fixed cost on a one-row file. Aim ≤ 2× (issue 17).
2. XLSX, the same 100,000 rows: a bare python-calamine read of the file (bytes → rows of cells)
   against our parse and against the whole path.
3. A 40-row greenhouse correction against the demo park (~100k records) and against a ~10M-record
   store (the demo park replicated 100× in SQL under distinct cooperative and unit names, stored
   by month as uploads arrive): preview + commit, and the ratio 10M / 100k. Aim ≤ 1.5× (issue 12).

    .venv/bin/python bench/ingest.py [--rows 100000] [--repeat 3] [--skip-scale]
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analytics import contract, ingest  # noqa: E402
from analytics.access.permissions import SYSTEM  # noqa: E402
from analytics.store import demo
from analytics.store.db import Store  # noqa: E402

TODAY = date(2026, 11, 28)
DUCK_HEADER = "月份,合作社,棚号,存栏(羽),产蛋(枚),死淘(羽),饲料(公斤),销售收入(元),成本(元),用工(人)"


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
        "stock": rng.integers(3_000, 4_000, rows), "eggs": rng.integers(30_000, 60_000, rows),  # 8–20 a bird
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
        ingest.ingest(store, data, name, SYSTEM, today=TODAY)
        return time.perf_counter() - t


def xlsx_of(df: pd.DataFrame) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("种鸭月报")
    ws.append(list(df.columns))
    for row in df.itertuples(index=False):
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def calamine_read(data: bytes) -> float:
    from python_calamine import CalamineWorkbook

    t = time.perf_counter()
    wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    rows = wb.get_sheet_by_index(0).to_python(skip_empty_area=False)
    assert len(rows) > 1
    return time.perf_counter() - t


def csv_and_xlsx(rows: int, repeat: int) -> None:
    df = build_file(rows)
    text = df.to_csv(index=False)
    utf8, gbk = text.encode("utf-8-sig"), text.encode("gbk")
    print(f"{rows:,} rows, {len(utf8) / 1e6:.1f} MB (UTF-8), best of {repeat}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        csv_path = tmp / "bench.csv"
        csv_path.write_bytes(utf8)
        times: dict[str, list[float]] = {"duckdb": [], "utf8": [], "gbk": []}
        for i in range(repeat):
            times["duckdb"].append(baseline(csv_path, tmp / f"base{i}.duckdb"))
            times["utf8"].append(ours(utf8, "bench.csv", tmp / f"utf8_{i}.duckdb"))
            times["gbk"].append(ours(gbk, "bench_gbk.csv", tmp / f"gbk_{i}.duckdb"))
        base = min(times["duckdb"])
        print(f"  DuckDB read_csv + INSERT        {base * 1000:8.0f} ms   1.00×")
        for key, label in (("utf8", "ingest, UTF-8 with BOM"), ("gbk", "ingest, GBK")):
            best = min(times[key])
            print(f"  {label:<31} {best * 1000:8.0f} ms   {best / base:.2f}×")
        # Where the time goes: the parse in its child process (isolation on, as the page and the CLI
        # run it), the same parse in this process, and the commit (records, registry, rollups).
        split: dict[str, list[float]] = {"child": [], "inline": [], "commit": []}
        for i in range(repeat):
            for data, name in ((utf8, "bench.csv"), (gbk, "bench_gbk.csv")):
                t = time.perf_counter()
                p = ingest.parse(data, name, today=TODAY, isolate=True)
                split["child"].append(time.perf_counter() - t)
                t = time.perf_counter()
                ingest.parse(data, name, today=TODAY, isolate=False)
                split["inline"].append(time.perf_counter() - t)
            with Store(tmp / f"split_{i}.duckdb") as store:
                t = time.perf_counter()
                ingest.commit(store, p, SYSTEM)
                split["commit"].append(time.perf_counter() - t)
        for key, label in (("child", "  of which parse, child process"), ("inline", "  (parse in this process)"),
                           ("commit", "  of which commit")):
            best = min(split[key])
            print(f"  {label:<31} {best * 1000:8.0f} ms   {best / base:.2f}×")
        small = (DUCK_HEADER + "\n" + "2024-01,兴旺种鸭专业合作社,D-001,3900,60000,18,24000,85000,70000,2\n").encode()
        one = {True: [], False: []}
        for _ in range(10):
            for iso in (True, False):
                t = time.perf_counter()
                ingest.parse(small, "one.csv", today=TODAY, isolate=iso)
                one[iso].append(time.perf_counter() - t)
        print(f"  a one-row file: parse in a child {min(one[True]) * 1000:.0f} ms, "
              f"in this process {min(one[False]) * 1000:.0f} ms (the child's fixed cost)")
        xlsx = xlsx_of(df)
        bare, parse, whole = [], [], []
        for i in range(repeat):
            bare.append(calamine_read(xlsx))
            t = time.perf_counter()
            p = ingest.parse(xlsx, "bench.xlsx", today=TODAY)
            parse.append(time.perf_counter() - t)
            assert p.ok, p.errors
            whole.append(ours(xlsx, "bench.xlsx", tmp / f"xlsx_{i}.duckdb"))
        b = min(bare)
        print(f"XLSX, same rows ({len(xlsx) / 1e6:.1f} MB)")
        print(f"  python-calamine read (bare)     {b * 1000:8.0f} ms   1.00×")
        print(f"  parse (read, layout, checks)    {min(parse) * 1000:8.0f} ms   {min(parse) / b:.2f}×")
        print(f"  ingest (parse + commit)         {min(whole) * 1000:8.0f} ms   {min(whole) / b:.2f}×")


# --- a small upload against a township and against a province ------------------------------------

def replicate(store: Store, copies: int) -> int:
    """The demo park ``copies`` times under distinct cooperative and unit names, in SQL, records
    stored by month (as monthly uploads arrive)."""
    with store.write() as cur:
        for s in contract.SECTORS.values():
            cols = contract.record_columns(s)
            sel = ", ".join("cooperative || '·' || i" if c == "cooperative" else c for c in cols)
            cur.execute(f"CREATE TEMP TABLE _base AS SELECT * FROM {s.table}")
            cur.execute(f"DELETE FROM {s.table}")
            cur.execute(f"""INSERT INTO {s.table} ({', '.join(cols)}, upload_id)
                            SELECT {', '.join(cols)}, upload_id FROM (
                                SELECT * FROM _base
                                UNION ALL
                                SELECT {sel}, upload_id FROM _base, range(1, {copies}) t(i))
                            ORDER BY month""")
            cur.execute("DROP TABLE _base")
        # Columns named: units gained unit_id (its sequence numbers the copies) and
        # cooperatives their town since this was written.
        cur.execute(f"""INSERT INTO units (sector, cooperative, unit, gh_type, village, zone, land_mu, created_at,
                                           created_by_upload)
                        SELECT sector, cooperative || '·' || i, unit, gh_type, village, zone, land_mu, created_at,
                               created_by_upload FROM units, range(1, {copies}) t(i)""")
        cur.execute(f"""INSERT INTO cooperatives (name, village, created_at, created_by_upload, town)
                        SELECT name || '·' || i, village, created_at, created_by_upload, town
                        FROM cooperatives, range(1, {copies}) t(i)""")
        return sum(cur.execute(f"SELECT count(*) FROM {s.table}").fetchall()[0][0] for s in contract.SECTORS.values())


def small_upload(store: Store, repeat: int) -> float:
    """Best time of preview + commit of a 40-row greenhouse correction (last month, one cooperative)."""
    cur = store.cursor()
    coop = cur.execute("""SELECT cooperative FROM units WHERE sector = 'greenhouse' GROUP BY 1
                          HAVING count(*) >= 40 ORDER BY 1 LIMIT 1""").fetchall()[0][0]
    rows = cur.execute("""SELECT unit, r.gh_type, crop, area_mu, yield_kg, revenue, cost, workers
                          FROM greenhouse_records r JOIN units u USING (cooperative, unit)
                          WHERE u.sector = 'greenhouse' AND r.cooperative = ? AND r.month = DATE '2023-12-01'
                          ORDER BY unit LIMIT 40""", [coop]).fetchall()
    header = "月份,合作社,棚号,棚型,作物,面积(亩),产量(公斤),销售收入(元),成本(元),用工(人)"
    best = float("inf")
    for r in range(repeat):
        lines = [header] + [f"2023-12,{coop},{u},{g or ''},{c or ''},{a or ''},{y or ''},{(v or 0) + r + 1},"
                            f"{k or ''},{w or ''}" for u, g, c, a, y, v, k, w in rows]
        data = ("\n".join(lines) + "\n").encode()
        p = ingest.parse(data, f"更正{r}.csv", today=TODAY)
        assert p.ok and len(p.frame) == 40, p.errors
        t = time.perf_counter()
        pv = ingest.preview(store.cursor(), p)
        ingest.commit(store, p, SYSTEM)
        best = min(best, time.perf_counter() - t)
        assert pv.n_replaced == 40
    return best


def scale(repeat: int, copies: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp) / "park.duckdb"
        with Store(small) as s:
            demo.load(s)
        big = Path(tmp) / "province.duckdb"
        shutil.copy(small, big)
        with Store(small) as s:
            n_small = sum(s.cursor().execute(f"SELECT count(*) FROM {x.table}").fetchall()[0][0]
                          for x in contract.SECTORS.values())
            t_small = small_upload(s, repeat)
        t = time.perf_counter()
        with Store(big) as s:
            n_big = replicate(s, copies)
        built = time.perf_counter() - t
        with Store(big) as s:
            t_big = small_upload(s, repeat)
    print(f"40-row greenhouse correction, preview + commit (best of {repeat}); big store built in {built:.0f} s")
    print(f"  {n_small:>12,} records   {t_small * 1000:8.0f} ms   1.00×")
    print(f"  {n_big:>12,} records   {t_big * 1000:8.0f} ms   {t_big / t_small:.2f}×")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--copies", type=int, default=100, help="demo parks in the big store (100 ≈ 10M records)")
    ap.add_argument("--skip-scale", action="store_true")
    args = ap.parse_args()
    csv_and_xlsx(args.rows, args.repeat)
    if not args.skip_scale:
        scale(args.repeat, args.copies)


if __name__ == "__main__":
    main()
