"""Every page's data at 100k / 1M / 10M records against one bare scan, and the growth 1M → 10M.

For each size (1, 10, 100 copies of the demo park; bench/scale.py), each dashboard page runs
through Streamlit's AppTest with empty caches; the time spent inside the KPI functions it
calls (ui.cache.QUERY_LOG: the page's uncached data) is summed, best of ``--repeat`` runs,
and divided by one bare DuckDB aggregate over every record of the same store, measured in
the same run. The whole script run (data + drawing) is printed too.
Aims (issue 12): data at 10M ≤ 10× the bare scan and < 1 s; growth 1M → 10M ≤ 10×.

    .venv/bin/python bench/pages.py [--towns 1 10 100] [--repeat 3] [--calls] [--flags] [--view year=2023]

``--view KEY=VALUE`` opens every page on that address (``year=2023``, ``ytd=2023-06``,
``month=2023-06``, ``from=2022-03&to=2023-02``) instead of the landing view (本月).

``--flags`` also times, on each store, the landing month's comparisons (本月 against the month
before and a year earlier, every sector, by town when the store has several) read from the
month rollups' flags against the same by joining two months' per-unit rows (the way before
the flags), in one process, and checks they give the same figures.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import ROOT, SIZES, bare_scan, store_for, table  # noqa: E402

PAGES = {"总览 overview": "pages/overview.py", "种鸭 duck": "pages/duck.py", "生猪 hog": "pages/hog.py",
         "大棚 greenhouse": "pages/greenhouse.py", "亩均对比 per-mu": "pages/per_mu.py",
         "汇报 presentation": "pages/present.py"}


def measure(db: Path, repeat: int,
            view: dict[str, str] | None = None) -> tuple[float, dict[str, tuple[float, float, list]]]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest, app_test

    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import NavigationPagesManager

    from ui import cache

    app_test.PagesManager = NavigationPagesManager
    os.environ["PARK_DB"] = str(db)
    os.environ["PARK_PUBLIC_VIEW"] = "1"
    st.cache_resource.clear()
    st.cache_data.clear()
    out = {}
    bare = None
    for name, page in PAGES.items():
        best_data, best_run, calls = float("inf"), float("inf"), []
        for _ in range(repeat):
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
            for k, v in (view or {}).items():
                at.query_params[k] = v
            at.run()
            st.cache_data.clear()
            cache.QUERY_LOG = []
            t = time.perf_counter()
            at.switch_page(page).run()
            run = time.perf_counter() - t
            if at.exception:
                raise RuntimeError(f"{page}: {at.exception}")
            data = sum(s for _, s in cache.QUERY_LOG)
            if data < best_data:
                best_data, calls = data, list(cache.QUERY_LOG)
            best_run = min(best_run, run)
        out[name] = (best_data, best_run, calls)
        if bare is None:  # the app's own connection: a second one to the same file is refused
            bare = bare_scan(cache.store().cursor())
    cache.QUERY_LOG = None
    st.cache_resource.clear()
    return bare, out


def flags_against_join(db: Path, repeat: int) -> tuple[float, float]:
    """Best seconds of the landing month's comparisons by the flags and by the join."""
    from analytics.figures import compare
    from analytics.scope import Period
    from analytics.store.db import Store

    with Store(db, read_only=True) as s:
        cur = s.cursor()
        month = compare.landing_month(cur)
        period = Period.months(month, month)
        by_town = cur.execute("SELECT count(*) FROM towns").fetchone()[0] > 1
        best = {}
        got = {}
        for way, distances in (("join", ()), ("flags", compare.FLAG_DISTANCES), ("join", ()),
                               ("flags", compare.FLAG_DISTANCES)):
            saved, compare.FLAG_DISTANCES = compare.FLAG_DISTANCES, distances
            try:
                for _ in range(repeat):
                    t = time.perf_counter()
                    got[way] = compare.comparisons(cur, period, by_town=by_town)
                    best[way] = min(best.get(way, float("inf")), time.perf_counter() - t)
            finally:
                compare.FLAG_DISTANCES = saved
    a, b = got["flags"]["total"], got["join"]["total"]
    for k in ("mom", "yoy"):
        for side in ("now", "base"):
            for m, v in b[k][side].items():
                assert v is None or abs(a[k][side][m] - v) <= 1e-9 * max(1.0, abs(v)), (k, side, m)
    return best["join"], best["flags"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--towns", type=int, nargs="+", default=[1, 10, 100])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--calls", action="store_true", help="list each page's KPI calls at the largest size")
    ap.add_argument("--flags", action="store_true", help="time the landing month's comparisons by flags and by join")
    ap.add_argument("--view", default="", help="the pages' address instead of the landing view, e.g. year=2023")
    args = ap.parse_args()
    view = dict(kv.split("=", 1) for kv in args.view.split("&") if kv)
    results = {}
    flags = {}
    for towns in args.towns:
        if args.flags:
            flags[towns] = flags_against_join(store_for(towns), args.repeat)
        results[towns] = measure(store_for(towns), args.repeat, view)
        print(f"{SIZES.get(towns, towns)}: bare scan {results[towns][0] * 1000:.1f} ms", file=sys.stderr)
    sizes = args.towns
    if view:
        print(f"every page on ?{args.view}")
    headers = ["page (data, no cache)"] + [f"{SIZES.get(n, n)} (× bare)" for n in sizes]
    if 10 in sizes and 100 in sizes:
        headers.append("growth 1M → 10M")
    rows = []
    for name in PAGES:
        row = [name]
        for n in sizes:
            bare, pages = results[n]
            data = pages[name][0]
            row.append(f"{data * 1000:,.0f} ms (×{data / bare:.1f})")
        if 10 in sizes and 100 in sizes:
            row.append(f"×{results[100][1][name][0] / results[10][1][name][0]:.1f}")
        rows.append(row)
    rows.append(["bare scan (count, sum over every record)"] + [f"{results[n][0] * 1000:.1f} ms" for n in sizes]
                + ([f"×{results[100][0] / results[10][0]:.1f}"] if 10 in sizes and 100 in sizes else []))
    print(table(headers, rows))
    print()
    print(table(["page (whole script run: data + drawing)"] + [SIZES.get(n, str(n)) for n in sizes],
                [[name] + [f"{results[n][1][name][1] * 1000:,.0f} ms" for n in sizes] for name in PAGES]))
    if args.flags:
        print()
        print(table(["landing month's comparisons (本月: 环比 and 同比, every sector)", "by join (before)",
                     "by flags (now)", "flags ÷ join"],
                    [[SIZES.get(n, str(n)), f"{j * 1000:,.1f} ms", f"{f * 1000:,.1f} ms", f"×{f / j:.2f}"]
                     for n, (j, f) in flags.items()]))
    if args.calls:
        n = sizes[-1]
        for name in PAGES:
            print(f"\n{name} at {SIZES.get(n, n)}:")
            for fn, s in results[n][1][name][2]:
                print(f"  {fn:<26} {s * 1000:8.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
