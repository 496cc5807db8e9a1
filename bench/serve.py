"""The dashboard in real Chromium at 100k and 10M records, and its peak memory serving every page.

For each size, ``streamlit run app.py`` serves the store (bench/scale.py) and Debian's
Chromium (Playwright) opens every dashboard page twice: first with the server's caches
empty (cold), then again in a new tab (warm: the cached KPIs, only drawing). The time is
from navigation until the page's script has finished and its title is shown. After the
last page, the server's peak resident memory (VmHWM) is read from /proc.
Aims (issue 12): every page renders without error at 10M; peak RSS under 1 GB at 10M.

    .venv/bin/python bench/serve.py [--towns 1 100]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import ROOT, SIZES, store_for, table  # noqa: E402

sys.path.insert(0, str(ROOT))
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, start_app  # noqa: E402

PAGES = {"总览 overview": "", "种鸭 duck": "duck", "生猪 hog": "hog", "大棚 greenhouse": "greenhouse",
         "亩均对比 per-mu": "per_mu", "汇报 presentation": "present"}
DONE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def open_page(browser, url: str) -> tuple[float, list[str]]:
    ctx = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    t = time.perf_counter()
    page.goto(url)
    page.wait_for_selector("h1", timeout=300_000)
    page.wait_for_selector(DONE, timeout=300_000)
    elapsed = time.perf_counter() - t
    errors = page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').all_inner_texts()
    ctx.close()
    return elapsed, errors


def serve(db: Path, browser) -> tuple[dict[str, tuple[float, float]], float]:
    proc, url = start_app(db, {"PARK_ADMIN_PASSWORD": "bench-admin-password"})
    try:
        open_page(browser, f"{url}/uploads")  # the process's first run imports plotly & co.: not counted
        times = {}
        for name, path in PAGES.items():
            cold, errors = open_page(browser, f"{url}/{path}")
            if errors:
                raise RuntimeError(f"{name}: {errors}")
            warm, _ = open_page(browser, f"{url}/{path}")
            times[name] = (cold, warm)
        return times, peak_rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--towns", type=int, nargs="+", default=[1, 100])
    args = ap.parse_args()
    if not Path(CHROMIUM).exists():
        print("需要 /usr/bin/chromium：请运行 make system-deps", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("PARK_PUBLIC_VIEW", "1")
    results = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for towns in args.towns:
            results[towns] = serve(store_for(towns), browser)
        browser.close()
    headers = ["page in Chromium (cold / warm cache)"] + [SIZES.get(n, str(n)) for n in args.towns]
    rows = [[name] + [f"{results[n][0][name][0]:.2f} s / {results[n][0][name][1]:.2f} s" for n in args.towns]
            for name in PAGES]
    rows.append(["server peak RSS after every page"] + [f"{results[n][1]:,.0f} MB" for n in args.towns])
    print(table(headers, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
