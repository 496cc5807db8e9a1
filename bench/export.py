"""How much does the deck cost on top of its images? build_deck vs bare kaleido, demo and 1M records.

For each store (the demo park, ~99k records, and a 10-town copy of it, ~1M records, built in
a temporary directory unless --db is given), in one run:
- baseline: the deck's chart figures (analytics.meeting.slides + export.slide_figure: the same dicts,
  the same box sizes at 2×), each rendered by a bare ``kaleido.calc_fig_sync`` on the same
  already-running kaleido server;
- ours: ``export.build_deck`` for the same period from a cold start — every KPI query of the
  deck (each once), the figures, the same PNGs, python-pptx layout and save.
The kaleido server is started and warmed up first (start-up is paid once per process, by both).
Prints the median of each and their ratio. Aim: ≤ 1.5× on both stores.

    .venv/bin/python bench/export.py [--db PATH] [--year 2022] [--repeat 3] [--towns 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analytics import scope
from analytics.meeting import export, narrative, slides
from analytics.store import demo  # noqa: E402
from analytics.store.db import Store  # noqa: E402


def deck_figures(cur, period: scope.Period) -> list[tuple[dict, int, int]]:
    """The figure dicts the deck renders, with their box sizes (what bare kaleido gets)."""
    deck = slides.build(narrative.kpi_caller(cur), period, demo=True)
    return [(export.slide_figure(deck, s), s.chart_box.w, s.chart_box.h) for s in deck.slides if s.chart]


def measure(path: Path, period: scope.Period, repeat: int) -> tuple[float, float, int, int]:
    import kaleido

    with Store(path, read_only=True) as s:
        cur = s.cursor()
        records = sum(cur.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608 - fixed table names
                      for t in ("duck_records", "hog_records", "greenhouse_records"))
        figs = deck_figures(cur, period)
        bare, deck = [], []
        for _ in range(repeat):
            t = time.perf_counter()
            for fig, w, h in figs:
                kaleido.calc_fig_sync(fig, opts={"format": "png", "width": w, "height": h,
                                                 "scale": export.DECK_SCALE})
            bare.append(time.perf_counter() - t)
            t = time.perf_counter()
            data = export.build_deck(s.cursor(), period, demo=s.is_demo())
            deck.append(time.perf_counter() - t)
    return statistics.median(bare), statistics.median(deck), len(figs), records, len(data)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, help="measure this store only")
    ap.add_argument("--year", type=int, default=2022)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--towns", type=int, default=10, help="towns of the large store (10 ≈ 1M records)")
    args = ap.parse_args()
    problem = export.png_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    period = scope.Period.year(args.year)
    with tempfile.TemporaryDirectory() as tmp:
        stores: list[tuple[str, Path]] = []
        if args.db:
            stores.append((args.db.name, args.db))
        else:
            for label, towns in (("demo", 1), (f"{args.towns} towns", args.towns)):
                path = Path(tmp) / f"park-{towns}.duckdb"
                t = time.perf_counter()
                with Store(path) as s:
                    demo.load(s, towns=towns)
                print(f"{label}: store built in {time.perf_counter() - t:.1f} s (not counted)")
                stores.append((label, path))
        with Store(stores[0][1], read_only=True) as s:
            t = time.perf_counter()
            fig, w, h = deck_figures(s.cursor(), period)[0]
            export.render_png(fig, w, h, export.DECK_SCALE)
            print(f"kaleido server start + first image: {time.perf_counter() - t:.2f} s (not counted)")
        worst = 0.0
        for label, path in stores:
            b, d, n, records, size = measure(path, period, args.repeat)
            worst = max(worst, d / b)
            print(f"{label} ({records:,} records): bare kaleido, {n} charts: {b:.2f} s "
                  f"({b / n * 1000:.0f} ms per image); build_deck ({size / 1024:,.0f} KB): {d:.2f} s; "
                  f"ratio {d / b:.2f}×  (aim ≤ 1.5×)")
    print(f"worst ratio: {worst:.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
