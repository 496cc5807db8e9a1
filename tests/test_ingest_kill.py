"""SIGKILL an ingest at random moments (issue 11): after each kill the store opens with every
upload either wholly applied or absent, and no raw file is left that no upload refers to once
the next ingest has started (its sweep), the state an office finds after a crash."""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import signal
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from analytics import contract, ingest
from analytics.store.db import Store

KILLS = 20
ROWS = 5_000
MONTHS = ROWS // 1000
TODAY = date(2026, 11, 28)


def _file(i: int) -> bytes:
    """5,000 duck rows; every other file repeats the previous one's months (replacements, history)."""
    rng = np.random.default_rng(i)
    months = pd.period_range("2001-01", periods=MONTHS, freq="M") + ((i // 2) * MONTHS) % 280
    s = contract.DUCK
    df = pd.DataFrame({"month": np.repeat(months.strftime("%Y-%m"), 1000),
                       "cooperative": np.tile([f"社{k % 10}" for k in range(1000)], MONTHS),
                       "unit": np.tile([f"D-{k:04d}" for k in range(1000)], MONTHS),
                       "stock": rng.integers(3000, 4000, ROWS), "revenue": rng.integers(1, 9e4, ROWS)})
    df.columns = [s.column(c).header for c in df.columns]
    return df.to_csv(index=False).encode()


def _ingest(db: str, data: bytes, name: str) -> None:
    from analytics.access.permissions import SYSTEM

    with Store(db) as store:
        ingest.sweep_uploads(store)  # as the CLI does first
        ingest.ingest(store, data, name, SYSTEM, today=TODAY)


def _noop() -> None:
    pass


def _orphans(db: Path) -> int:
    folder = db.parent / "uploads"
    if not folder.is_dir():
        return 0
    with Store(db, read_only=True) as s:
        referenced = {Path(r[0]).name for r in s.cursor().execute("SELECT stored_path FROM uploads").fetchall()}
    files = [f for f in folder.rglob("*") if f.is_file()]
    return sum(1 for f in files if f.name not in referenced)


def _check(db: Path) -> None:
    with Store(db) as s:  # opening replays the WAL, as the dashboard would after the crash
        cur = s.cursor()
        for uid, n in cur.execute("SELECT upload_id, n_rows FROM uploads WHERE status = 'applied'").fetchall():
            got = cur.execute("""SELECT (SELECT count(*) FROM duck_records WHERE upload_id = $1)
                                      + (SELECT count(*) FROM duck_records_history WHERE upload_id = $1)""",
                              [uid]).fetchall()[0][0]
            assert got == n, f"upload {uid}: {got} of {n} rows"  # a half-applied upload
        assert cur.execute("""SELECT count(*) FROM duck_records r LEFT JOIN uploads u USING (upload_id)
                              WHERE u.upload_id IS NULL""").fetchall() == [(0,)]
        assert cur.execute("""SELECT count(*) FROM duck_records_history h LEFT JOIN uploads u USING (upload_id)
                              WHERE u.upload_id IS NULL""").fetchall() == [(0,)]


def test_sigkill_loop_leaves_no_half_upload_and_no_orphan(tmp_path):
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["analytics.ingest", "analytics.store.db", "pandas", "duckdb", "pyarrow.csv"])
    db = tmp_path / "kill.duckdb"
    Store(db).close()
    rnd = random.Random(11)
    warm = ctx.Process(target=_noop)  # starts the fork server (imports) outside the timing
    warm.start()
    warm.join(120)
    # One run to the end to learn how long an ingest takes here.
    p = ctx.Process(target=_ingest, args=(str(db), _file(0), "f0.csv"))
    t = time.perf_counter()
    p.start()
    p.join(120)
    full = time.perf_counter() - t
    assert p.exitcode == 0
    kills = finished = orphans_seen = 0
    i = 1
    while kills < KILLS and i < 10 * KILLS:
        p = ctx.Process(target=_ingest, args=(str(db), _file(i), f"f{i}.csv"))
        t = time.perf_counter()
        p.start()
        time.sleep(rnd.uniform(0.05, 1.2) * full)
        if p.exitcode is None:
            os.kill(p.pid, signal.SIGKILL)
            kills += 1
        p.join(60)
        if p.exitcode == 0:  # finished before the kill: aim earlier next time (the machine may be busy)
            finished += 1
            full = min(full, time.perf_counter() - t)
        orphans_seen += _orphans(db)
        _check(db)
        i += 1
    # The next ingest's sweep leaves no orphan whatever the kills left.
    p = ctx.Process(target=_ingest, args=(str(db), _file(10_001), "last.csv"))
    p.start()
    p.join(120)
    assert p.exitcode == 0
    _check(db)
    assert _orphans(db) == 0
    with Store(db, read_only=True) as s:
        applied = s.cursor().execute("SELECT count(*) FROM uploads WHERE status = 'applied'").fetchall()[0][0]
    print(f"{kills} kills (ingest ~{full:.2f} s), {finished} runs finished, {applied} uploads applied, "
          f"orphan files seen right after kills: {orphans_seen}, after the next ingest: 0")
    assert kills >= KILLS
