"""Where one page view's time goes (issue 20, month-end rush): queries, figure building,
the screen layout copy, Plotly's template and Streamlit's serialisation.

Each dashboard page runs in Streamlit's AppTest on a copy of the demo park: a first view
(cold: the numbers computed), then ``--views`` more views of the same page by new sessions
with the numbers already cached — what the 2nd…20th reader of a month-end rush costs the one
server process. The warm views run under cProfile; their time is split by the cumulative time
of a few functions (each bucket is inclusive of what it calls, so they can overlap: the split
names them in the order they nest) and printed per view, in milliseconds.

    .venv/bin/python bench/profile_page.py [--pages greenhouse overview] [--views 3] [--top 25]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = {"overview": "pages/overview.py", "duck": "pages/duck.py", "hog": "pages/hog.py",
         "greenhouse": "pages/greenhouse.py", "per_mu": "pages/per_mu.py"}

# (bucket, [(file suffix, function name)…]): the sum of those functions' cumulative times (the
# functions of one bucket never call one another; an indented bucket is part of the one above).
BUCKETS = [
    ("queries (ui.cache.q, cached or not)", [("ui/cache.py", "q")]),
    ("  of which versions (figures, scope, pending)", [("analytics/store/db.py", "figures_version"),
                                                      ("analytics/figures/kpis.py", "scope_version"),
                                                      ("ui/cache.py", "_has_pending")]),
    ("figure building (analytics.meeting.charts)", [("analytics/meeting/charts.py", n) for n in (
        "stock_trend", "money_trend", "monthly_bar", "sector_profit_trend", "sector_split", "progress_bars",
        "per_mu_grouped", "crop_yield_vs_reference", "cross_sector", "distribution_bins", "bar_ranked")]),
    ("  of which go.Figure() (template applied)", [("plotly/basedatatypes.py", "_initialize_layout_template")]),
    ("the chart cache (ui.display.chart: lookup, and any build)", [("ui/display.py", "chart")]),
    ("screen layout copy (ui.display.for_screen)", [("ui/display.py", "for_screen")]),
    ("st.plotly_chart (to_dict + to_json + proto)", [("streamlit/elements/plotly_chart.py", "plotly_chart")]),
    ("  of which fig.to_dict()", [("plotly/basedatatypes.py", "to_dict")]),
    ("  of which plotly.io.to_json", [("plotly/io/_json.py", "to_json")]),
    ("tables (st.dataframe + styling)", [("streamlit/elements/arrow.py", "dataframe")]),
    ("page downloads (ui.export.page_downloads)", [("ui/export.py", "page_downloads")]),
]


def _cumulative(stats: pstats.Stats, wanted: list[tuple[str, str]]) -> float:
    total = 0.0
    for (file, _line, fn), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():
        if any(file.endswith(suffix) and fn == name for suffix, name in wanted):
            total += ct
    return total


PROFILING = {"on": False}  # only the page a warm view switches to is measured


def _profile_script_thread(prof: cProfile.Profile | None) -> None:
    """Profile each script run in its own thread (AppTest runs the page there, not here)."""
    from streamlit.runtime.scriptrunner.script_runner import ScriptRunner

    original = getattr(ScriptRunner, "_unprofiled_run_script", ScriptRunner._run_script)
    ScriptRunner._unprofiled_run_script = original
    if prof is None:
        ScriptRunner._run_script = original
        return

    def run(self, rerun_data):  # noqa: ANN001, ANN202 — Streamlit's own signature
        if not PROFILING["on"]:
            return original(self, rerun_data)
        prof.enable()
        try:
            return original(self, rerun_data)
        finally:
            prof.disable()

    ScriptRunner._run_script = run


def _app(AppTest, year: str):  # noqa: ANN001, ANN202
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.query_params["year"] = year
    return at.run()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", nargs="+", default=list(PAGES))
    ap.add_argument("--views", type=int, default=3)
    ap.add_argument("--year", default="2023", help="the year shown (?year=): the rush's readers open 2023")
    ap.add_argument("--top", type=int, default=0, help="also print the top N functions by own time")
    args = ap.parse_args()

    import streamlit as st
    from streamlit.testing.v1 import AppTest, app_test

    from analytics.store import demo
    from analytics.store.db import Store
    from tests.conftest import NavigationPagesManager

    tmp = Path(tempfile.mkdtemp(prefix="profile-page-"))
    db = tmp / "park.duckdb"
    with Store(db) as s:
        demo.load(s)
    app_test.PagesManager = NavigationPagesManager
    os.environ.update({"PARK_DB": str(db), "PARK_PUBLIC_VIEW": "1", "PARK_BACKUP_KEEP_DAYS": "0"})
    try:
        for key in args.pages:
            page = PAGES[key]
            at = _app(AppTest, args.year)
            t = time.perf_counter()
            at.switch_page(page).run()
            first = time.perf_counter() - t
            if at.exception:
                raise RuntimeError(f"{page}: {at.exception}")
            prof = cProfile.Profile()
            _profile_script_thread(prof)
            walls = []
            for _ in range(args.views):
                at = _app(AppTest, args.year)
                PROFILING["on"] = True
                t = time.perf_counter()
                at.switch_page(page).run()
                PROFILING["on"] = False
                walls.append(time.perf_counter() - t)
            stats = pstats.Stats(prof)
            total = stats.total_tt / args.views
            print(f"\n{key}: first view {first * 1000:,.0f} ms; warm view (numbers cached) "
                  f"{sum(walls) / args.views * 1000:,.0f} ms wall under cProfile, {total * 1000:,.0f} ms profiled "
                  f"(mean of {args.views}); share of the profiled time:")
            for name, wanted in BUCKETS:
                ms = _cumulative(stats, wanted) / args.views * 1000
                print(f"  {name:<48} {ms:8,.0f} ms  {ms / (total * 1000):5.0%}")
            if args.top:
                stats.sort_stats("tottime").print_stats(args.top)
            _profile_script_thread(None)
            plain = []  # the same warm view without the profiler: what a view costs the server
            for _ in range(args.views):
                at = _app(AppTest, args.year)
                t = time.perf_counter()
                at.switch_page(page).run()
                plain.append(time.perf_counter() - t)
            print(f"  warm view without the profiler: {statistics.median(plain) * 1000:,.0f} ms "
                  f"(median of {args.views})")
            st.cache_data.clear()
    finally:
        st.cache_resource.clear()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
