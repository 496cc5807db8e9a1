"""How much does the deck cost on top of its images? build_deck vs a bare kaleido call.

On the demo park (built in a temporary directory unless --db is given), in one run:
- baseline: the deck's figures (analytics.export.meeting_figures), each rendered by a bare
  ``kaleido.calc_fig_sync`` on the same already-running kaleido server, same size;
- ours: ``export.build_deck`` for the same period — KPI queries, figures, the same PNGs,
  python-pptx layout and save.
The server is started and warmed up first (start-up is paid once per process, by both).
Prints the median of each and their ratio. Aim: ≤ 1.5×.

    .venv/bin/python bench/export.py [--db PATH] [--year 2022] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analytics import demo, export, kpis, narrative  # noqa: E402
from analytics.db import Store  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path)
    ap.add_argument("--year", type=int, default=2022)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    problem = export.png_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    import kaleido

    with tempfile.TemporaryDirectory() as tmp:
        path = args.db
        if path is None:
            path = Path(tmp) / "demo.duckdb"
            t = time.perf_counter()
            with Store(path) as s:
                demo.load(s)
            print(f"demo park built in {time.perf_counter() - t:.1f} s")
        with Store(path, read_only=True) as s:
            cur = s.cursor()
            period = kpis.Period.year(args.year)
            t = time.perf_counter()
            export.fig_to_png(export.meeting_figures(narrative.kpi_caller(cur), period)[0].fig)
            print(f"kaleido server start + first image: {time.perf_counter() - t:.2f} s (not counted)")
            figs = [export.for_slides(c.fig).to_dict()
                    for c in export.meeting_figures(narrative.kpi_caller(cur), period)]
            opts = {"format": "png", **export.DECK_PNG}

            bare, deck = [], []
            for _ in range(args.repeat):
                t = time.perf_counter()
                for f in figs:
                    kaleido.calc_fig_sync(f, opts=opts)
                bare.append(time.perf_counter() - t)
                t = time.perf_counter()
                data = export.build_deck(cur, period, demo=s.is_demo())
                deck.append(time.perf_counter() - t)
    b, d = statistics.median(bare), statistics.median(deck)
    print(f"bare kaleido, {len(figs)} figures: {b:.2f} s ({b / len(figs) * 1000:.0f} ms per image)")
    print(f"build_deck ({len(data) / 1024:,.0f} KB, {len(figs)} charts): {d:.2f} s")
    print(f"ratio deck / bare kaleido: {d / b:.2f}×  (aim ≤ 1.5×)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
