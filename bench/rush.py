"""Month-end rush against one live dashboard (issue 20), one run.

Phase "alone": one reader opens every dashboard page twice, then one manager previews a
correction file, imports it and undoes it — nothing else running. Phase "no uploads": READERS
readers open a page every 2 s for half the window, nobody uploading. Phase "rush": READERS
readers open a page every 2 s (each its own session) while MANAGERS managers, after a quarter
of the window (20 s at most), each preview and import a *different* correction (20 December
rows of one cooperative's sheds, revenue +10,000 元 each); when all have imported, one undoes
the upload the 上报记录 page offers first. Afterwards the store's KPIs are compared with a
copy of the same demo store to which the same files were applied one after another (the
ingest API, no server), in the order the server committed them.

Readers are light by default (bench/stclient.py: Streamlit's websocket protocol, no browser),
so that 20 of them leave the 2 cores to the server; ``--browser-readers`` uses one real
Chromium context per reader instead. Managers are always real Chromium (file upload, login).

Printed: readers' p50/p90 page time (the rush's p90 as a ratio to the same readers with no
uploads, and to one reader alone) and each manager's preview and import, as ratios to "alone";
the exception elements seen (and pages whose heading never came: a run that did not draw the
page); the server's CPU share and the load during the rush; "KPIs after the rush = serial:
yes/no" with any differing figure.
Aims (issue 20): 0 exceptions, every preview within 5× alone, readers' p90 within 3× their time
with no uploads, KPIs equal to the same uploads applied one after another.

    .venv/bin/python bench/rush.py [--readers 20] [--managers 5] [--seconds 90]
                                   [--browser-readers] [--py-spy FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from analytics import ingest  # noqa: E402
from analytics.access.permissions import SYSTEM  # noqa: E402
from analytics.figures import kpis  # noqa: E402
from analytics.scope import Period  # noqa: E402
from analytics.store import demo  # noqa: E402
from analytics.store.db import Store  # noqa: E402
from bench.stclient import Reader, RunFailed  # noqa: E402
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, start_app  # noqa: E402
from tests.test_ingest import DUCK_HEADER  # noqa: E402

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
NAV = '[data-testid="stSidebarNav"]'
# (menu label, heading, address)
PAGES = [("总览", "园区总览", ""), ("种鸭", "种鸭", "duck"), ("生猪", "生猪", "hog"), ("大棚", "大棚", "greenhouse"),
         ("亩均对比", "亩均对比", "per_mu")]
QUERY = "year=2023"
PASSWORD = "rush-admin-pass"  # noqa: S105 — the benchmark's own throwaway store
CEILING = 600_000  # ms: a ceiling, never a wait
MONTH = "2023-12"
SPY_RATE = 20  # py-spy samples a second


class Tally:
    """What the readers saw: page times (s), exception elements, runs without their heading."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.exceptions: list[str] = []
        self.headless = 0


# ---- readers ---------------------------------------------------------------------------------

async def light_reader(url: str, until: float, tally: Tally, start: int, clicks: int = 0) -> None:
    """Open the pages in turn, 2 s apart, until ``until`` (or ``clicks`` pages), over the
    websocket; a run counts only if the page's own heading came (the script really ran)."""
    async with Reader.connect(url, QUERY, open_timeout=CEILING / 1000) as r:
        i = start
        while (time.perf_counter() < until) if not clicks else (i - start < clicks):
            _, heading, path = PAGES[i % len(PAGES)]
            try:
                run = await r.open_page(path)
            except RunFailed as e:
                tally.exceptions.append(str(e))
            else:
                tally.times.append(run.seconds)
                tally.exceptions += run.exceptions
                tally.headless += heading not in run.headings
            i += 1
            await asyncio.sleep(2)


async def idle(page) -> None:
    await page.wait_for_selector(IDLE, timeout=CEILING)


async def click_page(page, label: str, heading: str) -> float:
    t0 = time.perf_counter()
    await page.locator(NAV).get_by_text(label, exact=True).click()
    await page.get_by_role("heading", name=heading).first.wait_for(timeout=CEILING)
    await idle(page)
    return time.perf_counter() - t0


async def new_page(browser, url: str):
    ctx = await browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    ctx.set_default_timeout(CEILING)
    page = await ctx.new_page()
    await page.goto(f"{url}/?{QUERY}")
    await page.get_by_role("heading", name="园区总览").first.wait_for(timeout=CEILING)
    await idle(page)
    return page


async def browser_reader(browser, url: str, until: float, tally: Tally, start: int, clicks: int = 0) -> None:
    """The same reader in a real Chromium context (``--browser-readers``): time from the menu
    click to the heading shown and the app idle."""
    page = await new_page(browser, url)
    i = start
    while (time.perf_counter() < until) if not clicks else (i - start < clicks):
        label, heading, _ = PAGES[i % len(PAGES)]
        tally.times.append(await click_page(page, label, heading))
        for e in await page.locator('[data-testid="stException"]').all_inner_texts():
            tally.exceptions.append(e)
        i += 1
        await asyncio.sleep(2)
    await page.context.close()


# ---- managers (real Chromium) ----------------------------------------------------------------

async def log_in(page) -> None:
    sb = page.locator('[data-testid="stSidebar"]')
    if not await sb.get_by_label("用户名").is_visible():
        await sb.locator('[data-testid="stExpander"] summary').click()
    await sb.get_by_label("用户名").fill("admin")
    await sb.get_by_label("密码").fill(PASSWORD)
    await sb.locator('[data-testid="stFormSubmitButton"] button').click()
    await sb.get_by_role("button", name="退出登录").wait_for(timeout=CEILING)
    await idle(page)
    # As tests.conftest.sidebar_log_in: wait until the page has written the session cookie, so
    # that the managers' later page loads carry it. (The cookie component that once answered
    # with a rerun, and could lose a click made meanwhile, is gone: docs/reliability.md §9.)
    deadline = time.perf_counter() + CEILING / 1000
    while not any(c["name"] == "park_session" for c in await page.context.cookies()):
        if time.perf_counter() > deadline:
            raise TimeoutError("the session cookie was never written")
        await page.wait_for_timeout(100)
    await idle(page)


async def manager_preview(browser, url: str, name: str, data: bytes) -> tuple[object, float]:
    page = await new_page(browser, url)
    await log_in(page)
    await click_page(page, "上传月报", "上传月报")
    t0 = time.perf_counter()
    await page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": data}])
    await page.get_by_role("heading", name="预览").wait_for(timeout=CEILING)
    await idle(page)
    return page, time.perf_counter() - t0


async def manager_import(page) -> float:
    t0 = time.perf_counter()
    await page.get_by_role("button", name="确认导入").click()
    await page.get_by_text("已导入（编号").wait_for(timeout=CEILING)
    await idle(page)
    return time.perf_counter() - t0


async def manager(browser, url: str, name: str, data: bytes) -> tuple[object, float, float]:
    """Log in, preview ``data`` as file ``name``, import it: (page, preview s, import s)."""
    page, preview = await manager_preview(browser, url, name, data)
    return page, preview, await manager_import(page)


async def undo_first(page) -> tuple[float, str]:
    """Undo the upload 上报记录 offers first: (seconds, the undone file's name)."""
    await click_page(page, "上报记录", "上报记录")
    main = page.locator('[data-testid="stMain"]')
    t0 = time.perf_counter()
    await main.get_by_text("我确认要撤销这次上传").click()
    await idle(page)
    await main.get_by_role("button", name="撤销").click()
    done = page.get_by_text("已撤销编号")
    await done.wait_for(timeout=CEILING)
    seconds = time.perf_counter() - t0
    m = re.search(r"已撤销编号 \d+（(.+?)）", await done.first.inner_text())
    return seconds, m.group(1) if m else "?"


async def exceptions_on(page) -> list[str]:
    return await page.locator('[data-testid="stException"]').all_inner_texts()


# ---- the files and the serial replay ----------------------------------------------------------

def corrections(db: Path, n: int) -> list[tuple[str, bytes]]:
    """``n`` different duck corrections of December 2023, ``[(file name, CSV bytes)]``: 20 sheds of
    one cooperative each (the cooperatives in turn, then the next 20 sheds), revenue +10,000 元
    a shed. Disjoint rows, so the order they are applied in cannot change the figures."""
    with Store(db) as s:
        cur = s.cursor()
        first_day = date.fromisoformat(f"{MONTH}-01")
        coops = [r[0] for r in cur.execute("SELECT DISTINCT cooperative FROM duck_records ORDER BY 1").fetchall()]
        out = []
        for i in range(n):
            coop, offset = coops[i % len(coops)], 20 * (i // len(coops))
            df = cur.execute("""SELECT * FROM duck_records WHERE cooperative = ? AND month = ?
                                ORDER BY unit LIMIT 20 OFFSET ?""", [coop, first_day, offset]).df()
            lines = [DUCK_HEADER] + [
                f"{MONTH},{coop},{r.unit},{r.stock},{r.eggs},{r.culled},{r.feed_kg},{r.revenue + 10_000:.2f},"
                f"{r.cost},{r.workers}" for r in df.itertuples()]
            out.append((f"12月更正-{i}.csv", ("\n".join(lines) + "\n").encode("utf-8-sig")))
    return out


def replay(served: Path, serial: Path, files: dict[str, bytes]) -> list[str]:
    """Apply to ``serial`` (a copy of the store before the server started) the uploads and
    undos the server's store ``served`` records, one after another in the order they were
    committed; returns the steps taken."""
    with Store(served, read_only=True) as s:
        log = s.cursor().execute("""SELECT upload_id, filename, uploaded_at, undone_at FROM uploads
                                    WHERE sha256 <> 'demo' ORDER BY upload_id""").fetchall()
    events = sorted([(at, uid, "apply", name) for uid, name, at, _ in log]
                    + [(undone, uid, "undo", name) for uid, name, _, undone in log if undone is not None])
    steps, ids = [], {}
    with Store(serial) as s:
        for _, _, what, name in events:
            if what == "apply":
                ids[name] = ingest.ingest(s, files[name], name, SYSTEM).upload_id
            else:
                ingest.undo(s, ids[name], SYSTEM)
            steps.append(f"{what} {name}")
    return steps


def _flat(prefix: str, v: object, out: dict[str, object]) -> None:
    if isinstance(v, dict):
        for k, x in v.items():
            _flat(f"{prefix}.{k}", x, out)
    elif isinstance(v, list | tuple):
        for k, x in enumerate(v):
            _flat(f"{prefix}[{k}]", x, out)
    else:
        out[prefix] = v


def figures(db: Path) -> dict[str, object]:
    """The KPIs (analytics.figures.kpis.park_kpis) of the year 2023 and of the corrected month,
    and each record table's and history table's row count and content (a sum of row hashes
    without the upload ids, which depend on who committed first), flattened to one dict."""
    out: dict[str, object] = {}
    with Store(db, read_only=True) as s:
        cur = s.cursor()
        for label, period in (("2023", Period.year(2023)), (MONTH, Period.months(MONTH, MONTH))):
            _flat(f"park_kpis({label})", kpis.park_kpis(cur, period), out)
        tables = [r[0] for r in cur.execute("""SELECT table_name FROM information_schema.tables
                   WHERE table_name LIKE '%records' OR table_name LIKE '%records_history'
                   ORDER BY 1""").fetchall()]
        for t in tables:
            cols = {r[0] for r in cur.execute("SELECT column_name FROM information_schema.columns "
                                              "WHERE table_name = ?", [t]).fetchall()}
            drop = ", ".join(c for c in ("upload_id", "replaced_by") if c in cols)
            sel = f"* EXCLUDE ({drop})" if drop else "*"
            n, h = cur.execute(f"SELECT count(*), sum(hash(x)::HUGEINT) FROM (SELECT {sel} FROM {t}) x").fetchall()[0]
            out[f"{t} rows"], out[f"{t} content"] = n, h
    return out


def differences(a: dict[str, object], b: dict[str, object]) -> list[str]:
    """Figures that differ (numbers beyond rounding: 1e-9 relative, 1e-6 absolute)."""
    out = []
    for k in sorted(a.keys() | b.keys()):
        x, y = a.get(k), b.get(k)
        same = (math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-6)
                if isinstance(x, int | float) and isinstance(y, int | float) else x == y)
        if not same:
            out.append(f"{k}: rush {x!r}, serial {y!r}")
    return out


# ---- measuring the machine ---------------------------------------------------------------------

def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used (s), from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def watch_load(loads: list[float], until: float) -> None:
    while time.perf_counter() < until:
        loads.append(os.getloadavg()[0])
        await asyncio.sleep(10)


def say(line: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {line}", flush=True)


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


# ---- the run ------------------------------------------------------------------------------------

async def run(url: str, pid: int, files: list[tuple[str, bytes]], args: argparse.Namespace) -> dict:
    from playwright.async_api import async_playwright

    readers, managers, seconds = args.readers, args.managers, args.seconds
    out: dict = {"load_before": os.getloadavg()[0]}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        async def read(until: float, tally: Tally, start: int, clicks: int = 0) -> None:
            if args.browser_readers:
                await browser_reader(browser, url, until, tally, start, clicks)
            else:
                await light_reader(url, until, tally, start, clicks)

        # Alone: one reader through every page twice (the second pass is what a reader sees warm).
        alone = Tally()
        say("alone: one reader")
        await read(0, alone, 0, clicks=2 * len(PAGES))
        say(f"alone: {len(alone.times)} pages; one manager's preview")
        name, data = files[0]
        page, preview_alone, commit_alone = await manager(browser, url, name, data)
        say(f"alone: preview {preview_alone:.2f} s, import {commit_alone:.2f} s; undo")
        undo_alone, undone = await undo_first(page)
        alone.exceptions += await exceptions_on(page)
        await page.context.close()
        assert undone == name, f"alone: undid {undone}, not {name}"

        kind = "browser" if args.browser_readers else "light"
        quiet = Tally()
        say(f"no uploads: {readers} {kind} readers for {seconds / 2:.0f} s")
        until = time.perf_counter() + seconds / 2
        await asyncio.gather(*[read(until, quiet, i) for i in range(readers)])
        say(f"rush: {readers} {kind} readers, then {managers} managers at once")
        rush = Tally()
        t_start = time.perf_counter()
        until = t_start + seconds
        cpu0, loads = cpu_seconds(pid), [os.getloadavg()[0]]
        spy = None
        if args.py_spy:
            # --gil: only the thread holding the GIL is sampled, so the samples are the Python
            # work of the one process, and their count says how busy its one lock was.
            argv = [str(ROOT / ".venv/bin/py-spy"), "record", "--pid", str(pid), "--rate", str(SPY_RATE), "--gil",
                    "--duration", str(int(seconds)), "--format", "raw", "-o", args.py_spy]
            spy = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)  # noqa: S603
        loader = asyncio.create_task(watch_load(loads, until))
        reader_tasks = [asyncio.create_task(read(until, rush, i)) for i in range(readers)]
        await asyncio.sleep(min(20, seconds / 4))  # readers under way
        done = await asyncio.gather(*[manager(browser, url, n, d) for n, d in files[1:1 + managers]])
        say("rush: every manager imported; one undo")
        undo_rush, undone_rush = await undo_first(done[0][0])
        await asyncio.gather(*reader_tasks)
        wall = time.perf_counter() - t_start
        out["server_cpu"] = (cpu_seconds(pid) - cpu0) / wall
        await loader
        loads.append(os.getloadavg()[0])
        if spy:
            spy.wait(timeout=120)
            samples = sum(int(line.rsplit(" ", 1)[1]) for line in Path(args.py_spy).read_text().splitlines()
                          if line.strip())
            out["gil_busy"] = samples / (SPY_RATE * int(seconds))
        for pg, _, _ in done:
            rush.exceptions += await exceptions_on(pg)
            await pg.context.close()
        await browser.close()

    out.update(alone=alone, quiet=quiet, rush=rush, preview_alone=preview_alone, commit_alone=commit_alone,
               undo_alone=undo_alone, previews=[d[1] for d in done], commits=[d[2] for d in done],
               undo_rush=undo_rush, undone_rush=undone_rush, loads=loads, wall=wall)
    return out


def report(r: dict, args: argparse.Namespace) -> None:
    alone, quiet, rush = r["alone"], r["quiet"], r["rush"]
    kind = "browser" if args.browser_readers else "light (websocket)"
    print(f"readers: {kind}")
    for label, t in (("one reader alone", alone), (f"{args.readers} readers, no uploads", quiet)):
        if t.times:
            print(f"{label}: n={len(t.times)} p50 {statistics.median(t.times):.2f} s p90 {pct(t.times, 0.9):.2f} s "
                  f"max {max(t.times):.1f} s")
    a90 = pct(alone.times, 0.9)
    q90 = pct(quiet.times, 0.9) if quiet.times else math.nan
    if rush.times:
        r50, r90 = statistics.median(rush.times), pct(rush.times, 0.9)
        against = (f"{r90 / q90:.1f}× the same readers with no uploads (aim ≤ 3×)" if quiet.times else
                   "no page finished in the no-uploads window (a longer --seconds)")
        print(f"{args.readers} readers in the rush: n={len(rush.times)} p50 {r50:.2f} s p90 {r90:.2f} s "
              f"max {max(rush.times):.1f} s → p90 {against}, {r90 / a90:.1f}× one reader alone")
    else:  # every reader's first page took longer than the whole window
        print(f"readers rush ({args.readers}): no page finished within {args.seconds:.0f} s")
    times = sorted(r["previews"])
    print(f"preview alone {r['preview_alone']:.2f} s; rush ({args.managers} at once): "
          + ", ".join(f"{t:.1f}" for t in times) + f" s → worst {times[-1] / r['preview_alone']:.1f}× (aim ≤ 5×)")
    print(f"import alone {r['commit_alone']:.2f} s; in the rush "
          + ", ".join(f"{t:.1f}" for t in sorted(r["commits"])) + " s")
    print(f"undo alone {r['undo_alone']:.2f} s, in the rush {r['undo_rush']:.2f} s ({r['undone_rush']})")
    print(f"exception elements: alone {len(alone.exceptions)}, no uploads {len(quiet.exceptions)}, "
          f"rush {len(rush.exceptions)}"
          + "".join(f"\n  {e[:200]}" for e in rush.exceptions[:5]))
    if not args.browser_readers:
        print(f"reader runs without their page's heading: alone {alone.headless}, no uploads {quiet.headless}, "
              f"rush {rush.headless}")
    print(f"server CPU during the rush: {100 * r['server_cpu']:.0f} % of one core over {r['wall']:.0f} s; "
          f"load before {r['load_before']:.1f}, during "
          f"{min(r['loads']):.1f}–{max(r['loads']):.1f}")
    if "gil_busy" in r:
        print(f"py-spy: a thread held the server's GIL in {100 * r['gil_busy']:.0f} % of the samples "
              f"over the first {args.seconds:.0f} s of the rush ({args.py_spy})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--readers", type=int, default=20)
    ap.add_argument("--managers", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=90)
    ap.add_argument("--browser-readers", action="store_true",
                    help="readers in real Chromium (one context each) instead of the websocket client")
    ap.add_argument("--py-spy", metavar="FILE",
                    help="py-spy record the server's GIL holder during the rush (raw stacks, 20 a second) into FILE")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="rush-"))
    db, serial = tmp / "served" / "rush.duckdb", tmp / "serial" / "rush.duckdb"
    with Store(db) as s:
        demo.load(s)
    serial.parent.mkdir()
    shutil.copy(db, serial)
    files = corrections(db, 1 + args.managers)
    proc, url = start_app(db, {"PARK_ADMIN_PASSWORD": PASSWORD})
    t_cpu = time.process_time()
    try:
        r = asyncio.run(run(url, proc.pid, files, args))
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    print(f"this benchmark's own CPU (readers, Playwright's client): {time.process_time() - t_cpu:.1f} s "
          f"over the whole run")
    report(r, args)
    try:
        before = figures(serial)
        steps = replay(db, serial, dict(files))
        after, serial_after = figures(db), figures(serial)
        diff = differences(after, serial_after)
        print(f"serial replay: {'; '.join(steps)}")
        print(f"the uploads changed {len(differences(before, serial_after))} of {len(before)} figures compared")
        print(f"KPIs after the rush = serial: {'no' if diff else 'yes'}"
              + "".join(f"\n  {d}" for d in diff[:20]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
