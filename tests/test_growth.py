"""Bounded growth (issue 20): backups share unchanged raw upload files, keep N days and at most M
copies, prune what restores set aside; run-out sessions and old login failures go by age."""

from __future__ import annotations

import hashlib
import os
import random
from datetime import datetime, timedelta
from pathlib import Path

from analytics.access import lockout, sessions
from analytics.access.permissions import Actor
from analytics.store import backup, files

T0 = datetime(2026, 3, 5, 9, 0, 0)


def _upload(folder: Path, size: int, seed: int) -> Path:
    """A raw upload file as ingest keeps it: named by the sha256 of its bytes."""
    data = random.Random(seed).randbytes(size)
    folder.mkdir(exist_ok=True)
    path = folder / (hashlib.sha256(data).hexdigest() + ".xlsx")
    path.write_bytes(data)
    return path


def _own_files(b: files.BackupInfo) -> int:
    """Bytes of a backup besides its uploads/: the database copy and the manifest."""
    return sum(f.stat().st_size for f in b.path.iterdir() if f.is_file())


def test_three_backups_of_unchanged_uploads_take_them_once(store, tmp_path):
    uploads = tmp_path / "uploads"
    for i in range(4):
        _upload(uploads, 300_000, i)
    dest = tmp_path / "backups"
    made = [backup.make_backup(store, dest, now=T0 + timedelta(days=d)) for d in range(3)]
    one_copy = files.disk_usage(uploads)
    assert one_copy == 4 * 300_000
    used = files.disk_usage(dest)
    # ≈ one copy of uploads/: the rest is the three database copies and manifests.
    assert used == one_copy + sum(_own_files(b) for b in made)
    for b in made:
        assert sorted(f.name for f in (b.path / "uploads").iterdir()) == sorted(f.name for f in uploads.iterdir())
        assert all((b.path / "uploads" / f.name).read_bytes() == f.read_bytes() for f in uploads.iterdir())
    # Shared with the previous backup, never with the live file (damage there must not reach a backup).
    name = next(uploads.iterdir()).name
    assert os.path.samefile(made[0].path / "uploads" / name, made[2].path / "uploads" / name)
    assert not os.path.samefile(uploads / name, made[2].path / "uploads" / name)

    # A new upload: the next backup copies that file alone.
    new = _upload(uploads, 100_000, 99)
    fourth = backup.make_backup(store, dest, now=T0 + timedelta(days=3))
    assert files.disk_usage(dest) == used + 100_000 + _own_files(fourth)
    assert (fourth.path / "uploads" / new.name).read_bytes() == new.read_bytes()

    # Deleting the oldest backups frees nothing the newer ones still hold.
    backup.prune(dest, keep_days=365, now=T0 + timedelta(days=3), keep_copies=1)
    assert [b.path for b in files.list_backups(dest)] == [fourth.path]
    assert all((fourth.path / "uploads" / f.name).read_bytes() == f.read_bytes() for f in uploads.iterdir())
    assert files.disk_usage(dest) == files.disk_usage(uploads) + _own_files(fourth)
    sizes = files.store_sizes(store.path)
    wal = Path(f"{store.path}.wal")
    assert sizes["uploads"] == 4 * 300_000 + 100_000
    assert sizes["store"] == store.path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    assert sizes["backups"] == files.disk_usage(dest)  # backups/ beside the database: dest itself


def test_prune_keeps_days_and_copies_and_drops_old_set_aside_files(store, tmp_path):
    dest = tmp_path / "backups"
    for d in range(6):
        backup.make_backup(store, dest, now=T0 + timedelta(days=d))
    now = T0 + timedelta(days=5)
    gone = backup.prune(dest, keep_days=14, now=now, keep_copies=4)
    assert len(gone) == 2
    assert [b.created for b in files.list_backups(dest)] == [T0 + timedelta(days=d) for d in (5, 4, 3, 2)]
    backup.prune(dest, keep_days=2, now=now, keep_copies=30)
    assert [b.created for b in files.list_backups(dest)] == [T0 + timedelta(days=d) for d in (5, 4, 3)]
    # What restores set aside beside the database: older than keep_days goes, newer stays.
    old = store.path.with_name(f"{store.path.name}.replaced-{T0:%Y%m%d-%H%M%S}")
    old_wal = store.path.with_name(f"{store.path.name}.wal.replaced-{T0:%Y%m%d-%H%M%S}")
    recent = store.path.with_name(f"{store.path.name}.replaced-{now:%Y%m%d-%H%M%S}")
    other = tmp_path / f"other.duckdb.replaced-{T0:%Y%m%d-%H%M%S}"  # another database's: not ours
    for f in (old, old_wal, recent, other):
        f.write_bytes(b"x")
    gone = backup.prune(dest, keep_days=2, now=now, db_path=store.path)
    assert sorted(gone) == sorted([old, old_wal])
    assert recent.exists() and other.exists() and store.path.exists()


def test_run_out_sessions_and_old_failures_are_removed_by_age(store, monkeypatch):
    monkeypatch.setenv("PARK_SESSION_IDLE_MINUTES", "30")
    monkeypatch.setenv("PARK_SESSION_MAX_HOURS", "12")
    wang = Actor("wang", "viewer")
    sessions.create_session(store, wang, now=T0 - timedelta(days=3))   # idle for days
    sessions.create_session(store, wang, now=T0 - timedelta(hours=13))  # past its 12 hours
    kept = sessions.create_session(store, wang, now=T0 - timedelta(minutes=5))
    store.run_write(lambda cur: cur.executemany(
        "INSERT INTO login_failures (username, address, failures, last_failure, locked_until) VALUES (?, ?, ?, ?, ?)",
        [["wang", "10.0.0.7", 2, T0 - timedelta(days=2), None],                           # old: goes
         ["", "10.0.0.7", 2, T0 - timedelta(days=2), T0 - timedelta(days=2, minutes=-15)],  # old, lock over: goes
         ["li", "10.0.0.8", 5, T0 - timedelta(days=2), T0 + timedelta(minutes=10)],       # still locked: stays
         ["zhao", "10.0.0.9", 1, T0 - timedelta(hours=2), None]]), figures=False)          # recent: stays
    cur = store.cursor()
    assert cur.execute("SELECT count(*) FROM sessions").fetchone()[0] == 1  # each login clears run-out ones

    # Rows written past the last login (an old store): the purge removes them by age.
    store.run_write(lambda c: c.execute(
        """INSERT INTO sessions (token_hash, username, created_at, last_seen, expires_at)
           VALUES ('old1', 'wang', ?, ?, ?), ('old2', 'wang', ?, ?, ?)""",
        [T0 - timedelta(days=9), T0 - timedelta(days=9), T0 - timedelta(days=8),
         T0 - timedelta(hours=2), T0 - timedelta(hours=1), T0 + timedelta(hours=10)]), figures=False)
    assert backup.housekeeping(store, now=T0) == {"sessions": 2, "login_failures": 2}
    assert [r[0] for r in cur.execute("SELECT token_hash FROM sessions").fetchall()] == [sessions.token_hash(kept)]
    assert sorted(cur.execute("SELECT username, address FROM login_failures").fetchall()) == [
        ("li", "10.0.0.8"), ("zhao", "10.0.0.9")]
    assert lockout.purge_failures(store, now=T0) == 0 and sessions.purge(store, now=T0) == 0
