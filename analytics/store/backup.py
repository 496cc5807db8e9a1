"""Backups that restore: a consistent copy with a manifest, checked again when it is put back.

A backup is a folder ``park-YYYYMMDD-HHMMSS/`` holding

- the database file, copied with DuckDB's own ``COPY FROM DATABASE`` into a fresh file (a
  consistent snapshot taken while the dashboard keeps running, checkpointed, so no ``.wal``);
- ``uploads/``, the kept raw files of accepted uploads;
- ``manifest.json``: when, from where, and what the copy holds — the row count of every table
  and the KPI JSON (``kpis.park_kpis``) of every year — computed *from the copy*.

The running dashboard makes one a day (kept ``PARK_BACKUP_KEEP_DAYS``); an administrator can make
one now on the 管理 page; ``python -m analytics backup`` makes one while the dashboard is stopped.

:func:`restore` (``python -m analytics restore BACKUP``, dashboard stopped) first checks the
backup against its manifest, then moves the current file *and its WAL* aside (never deletes
them), puts the copy in place and checks the result against the manifest again. A leftover
``park.duckdb.wal`` is exactly what made copying files back by hand unsafe: DuckDB replays it
into the restored file (backup + the crashed upload) or refuses to open.
"""

from __future__ import annotations

import glob
import json
import math
import os
import re
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from .. import settings
from ..access import audit, lockout, permissions, sessions
from .db import DUCKDB_CONFIG, DatabaseLocked, Store, StoreError, locked_message
from .files import MANIFEST, UPLOADS, BackupInfo, _info, backup_dir, list_backups
from .schema import SCHEMA_VERSION


class BackupError(StoreError):
    """A backup that cannot be made, or cannot be trusted to restore; Chinese message."""


# --- what a database holds ---------------------------------------------------------------------

def _table_names(cur: duckdb.DuckDBPyConnection) -> list[str]:
    return [t for (t,) in cur.execute(
        """SELECT table_name FROM duckdb_tables()
           WHERE database_name = current_database() AND schema_name = 'main' ORDER BY 1""").fetchall()]


def _ident(name: str) -> str:
    """A catalog name as a quoted SQL identifier (names come from the catalog, not from users)."""
    return '"' + name.replace('"', '""') + '"'


def snapshot(cur: duckdb.DuckDBPyConnection) -> dict:
    """Row counts of every table and the KPI JSON of every year with data: what a backup holds."""
    from .. import scope
    from ..figures import (
        kpis,  # heavy; only backups and restores need it
        lists,
    )

    counts = {t: cur.execute(f"SELECT count(*) FROM {_ident(t)}").fetchone()[0]  # noqa: S608 - catalog names, quoted
              for t in _table_names(cur)}
    years = lists.available_years(cur)
    figures = {str(y): kpis.park_kpis(cur, scope.Period.year(y)) for y in years}
    return {"tables": counts, "kpis": figures}


def snapshot_of(path: Path) -> dict:
    """:func:`snapshot` of a database file, opened read-only (nothing in it changes)."""
    with Store(path, read_only=True, create=False) as s:
        cur = s.cursor()
        return snapshot(cur)


def differences(expected: dict, actual: dict, where: str = "") -> list[str]:
    """Where two snapshots differ, in words; [] when equal (floats to 1e-9 relative)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = []
        for k in sorted(set(expected) | set(actual)):
            if k not in actual:
                out.append(f"{where}{k}：备份中有，恢复后没有")
            elif k not in expected:
                out.append(f"{where}{k}：备份中没有，恢复后多出")
            else:
                out += differences(expected[k], actual[k], f"{where}{k}.")
        return out
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        e, a = float(expected), float(actual)
        if (math.isnan(e) and math.isnan(a)) or math.isclose(e, a, rel_tol=1e-9, abs_tol=1e-6):
            return []
    elif expected == actual:
        return []
    return [f"{where.rstrip('.')}：应为 {expected}，实为 {actual}"]


# --- making a backup -------------------------------------------------------------------------------

def make_backup(store: Store, dest: Path | str | None = None, actor: permissions.Actor = permissions.SYSTEM,
                now: datetime | None = None) -> BackupInfo:
    """Copy the open store (and kept upload files) into a new folder under ``dest``.

    ``dest`` defaults to :func:`backup_dir`. Works while the dashboard runs: the copy is one
    consistent snapshot, taken under the writer lock (uploads wait a moment, readers do not).
    The manifest is computed from the finished copy. Raises :class:`BackupError` (Chinese)
    when the folder cannot be written.
    """
    permissions.require_admin(actor, "备份数据库")
    now = now or datetime.now()
    dest = Path(dest) if dest is not None else backup_dir(store.path)
    target = dest / f"park-{now:%Y%m%d-%H%M%S}"
    previous = next((b.path for b in list_backups(dest) if b.manifest), None)
    try:
        target.mkdir(parents=True, exist_ok=False)
    except FileExistsError:
        raise BackupError(f"备份目录 {target} 已存在（一秒内备份了两次？），请稍后再试。") from None
    except OSError as e:
        raise BackupError(f"无法创建备份目录 {target}：{e.strerror or e}") from None
    copy = target / store.path.name
    try:
        cur = store.cursor()
        try:
            source = cur.execute("SELECT current_database()").fetchone()[0]
            with store.writes_paused():
                if not store.read_only:  # the backup is listed in the store it copies
                    with store.write(figures=False) as w:
                        audit.record(w, actor, "backup", target.name, str(dest))
                cur.execute("ATTACH ? AS park_backup (READ_WRITE)", [str(copy)])
                try:
                    cur.execute(f"COPY FROM DATABASE {_ident(source)} TO park_backup")
                    cur.execute("CHECKPOINT park_backup")
                finally:
                    cur.execute("DETACH park_backup")
        finally:
            cur.close()
        uploads = store.path.parent / UPLOADS
        if uploads.is_dir():
            _share_uploads(uploads, target / UPLOADS, previous)
        manifest = {
            "made_at": now.isoformat(timespec="seconds"),
            "source": str(store.path.resolve()),
            "db_file": copy.name,
            "schema_version": SCHEMA_VERSION,
            "duckdb": duckdb.__version__,
            "made_by": actor.username,
            "uploads": sorted(p.name for p in (target / UPLOADS).glob("*")) if uploads.is_dir() else [],
            **snapshot_of(copy),
        }
        (target / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1, default=str),
                                       encoding="utf-8")
    except (OSError, duckdb.Error, StoreError) as e:
        shutil.rmtree(target, ignore_errors=True)
        raise BackupError(f"备份失败，未留下不完整的备份：{e}") from e
    info = _info(target)
    assert info is not None  # noqa: S101 - the folder was just named by this function
    return info


def _share_uploads(src: Path, dst: Path, previous: Path | None) -> None:
    """Put every raw upload file of ``src`` into ``dst``: a hard link to the previous backup's
    copy when it has one, else a copy. Upload files are named by their content
    (``<sha256><ext>``, never changed in place), so the same name is the same bytes: N
    backups of an unchanged uploads/ take its size once. A link to the previous *backup*, not
    to the live file, so damage to a live file never reaches a backup. A file system without
    hard links (or another disk for the previous backup) gets copies, as before."""
    dst.mkdir(parents=True, exist_ok=True)
    for f in sorted(src.iterdir()):
        if not f.is_file():
            continue
        old = previous / UPLOADS / f.name if previous is not None else None
        if old is not None and old.is_file() and old.stat().st_size == f.stat().st_size:
            try:
                os.link(old, dst / f.name)
                continue
            except OSError:
                pass
        shutil.copy2(f, dst / f.name)


_SET_ASIDE = re.compile(r"\.(?:replaced|restoring)-(\d{8}-\d{6})$")


def prune(folder: Path | str, keep_days: int, now: datetime | None = None, *,
          keep_copies: int | None = None, db_path: Path | str | None = None) -> list[Path]:
    """Delete backups older than ``keep_days`` days and, beyond the newest ``keep_copies``
    (default ``PARK_BACKUP_KEEP_COPIES``), the oldest; the newest is always kept. With
    ``db_path``, also the files a restore set aside beside it (``<name>.replaced-<time>``,
    ``.wal.replaced-<time>``, a left-over ``.restoring-<time>``) older than ``keep_days``.
    Returns what went. Unchanged upload files are hard links shared with the newer backups:
    deleting a folder frees only what no other backup holds."""
    now = now or datetime.now()
    keep_copies = settings.backup_keep_copies() if keep_copies is None else max(1, keep_copies)
    cutoff = now - timedelta(days=keep_days)
    gone = []
    for i, b in enumerate(list_backups(folder)):
        if i > 0 and (b.created < cutoff or i >= keep_copies):
            shutil.rmtree(b.path)
            gone.append(b.path)
    if db_path is not None:
        db_path = Path(db_path)
        for f in db_path.parent.glob(f"{glob.escape(db_path.name)}*"):
            m = _SET_ASIDE.search(f.name)
            if m and f.is_file() and datetime.strptime(m.group(1), "%Y%m%d-%H%M%S") < cutoff:
                f.unlink()
                gone.append(f)
    return gone


def housekeeping(store: Store, now: datetime | None = None) -> dict[str, int]:
    """Remove rows that only grow: sessions that have run out and login failures older than a
    day whose lock is over (:func:`sessions.purge`, :func:`lockout.purge_failures`). Run when
    the dashboard starts and with each daily backup; returns the rows removed per table.
    A read-only store (a lake) is left alone."""
    if store.read_only:
        return {"sessions": 0, "login_failures": 0}
    return {"sessions": sessions.purge(store, now=now),
            "login_failures": lockout.purge_failures(store, now=now)}


def daily(store: Store, now: datetime | None = None) -> BackupInfo | None:
    """Make today's backup if there is none yet, then prune; the new backup, or None.

    Does nothing while ``PARK_BACKUP_KEEP_DAYS`` is 0.
    """
    if settings.backup_keep_days() == 0:
        return None
    now = now or datetime.now()
    folder = backup_dir(store.path)
    if any(b.created.date() == now.date() and b.manifest for b in list_backups(folder)):
        return None
    info = make_backup(store, folder, now=now)
    prune(folder, settings.backup_keep_days(), now, db_path=store.path)
    housekeeping(store)
    return info


class DailyBackups:
    """A daemon thread in the dashboard: every ``interval`` seconds, :func:`daily`.

    The first check waits ``first_delay`` seconds, so a start-up is not slowed by a copy.
    Failures are reported on ``log`` (the console that started the dashboard) and tried again
    at the next check; they never reach a visitor's page.
    """

    def __init__(self, store: Store, *, interval: float = 600, first_delay: float = 60,
                 log: Callable[[str], None] = print):
        self.store, self.interval, self.first_delay, self.log = store, interval, first_delay, log
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="park-daily-backup", daemon=True)

    def start(self) -> DailyBackups:
        self.thread.start()
        return self

    def _run(self) -> None:
        if self.stop.wait(self.first_delay):
            return
        while True:
            try:
                made = daily(self.store)
                if made:
                    self.log(f"已自动备份：{made.label()}")
            except Exception as e:  # noqa: BLE001 - a failed night must not end the thread
                self.log(f"自动备份失败（下次检查时重试）：{e}")
            if self.stop.wait(self.interval):
                return


# --- restoring -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RestoreResult:
    backup: BackupInfo
    db_path: Path
    set_aside: list[Path]
    tables: int
    years: int
    uploads_copied: int

    def message(self) -> str:
        aside = "、".join(str(p) for p in self.set_aside) or "无（原来没有数据库文件）"
        return (f"已从备份 {self.backup.path} 恢复到 {self.db_path}。\n"
                f"核对：{self.tables} 张表的行数、{self.years} 个年份的指标与备份清单一致。\n"
                f"原来的文件已改名保留：{aside}\n"
                f"补回原始上传文件 {self.uploads_copied} 个。现在可以启动看板。")


def resolve(path: Path | str) -> BackupInfo:
    """The backup named by a folder, its manifest or its database file; BackupError if none."""
    p = Path(path)
    folder = p.parent if p.is_file() else p
    if not folder.is_dir():
        raise BackupError(f"找不到备份 {path}。")
    info = _info(folder, any_name=True)
    if info.manifest is None and (folder / MANIFEST).exists():
        raise BackupError(f"备份 {folder} 的清单 {MANIFEST} 无法读取，不能核对这个备份。")
    return info


def verify(info: BackupInfo, *, unverified: bool = False) -> dict:
    """Check a backup before it replaces anything: its file opens, is ours, and equals its manifest.

    Returns the snapshot. Raises :class:`BackupError` naming what is wrong. ``unverified``
    accepts a backup without a manifest (made by hand or by an older version) after the
    opening checks.
    """
    db_file = info.db_file
    if db_file is None:
        raise BackupError(f"备份 {info.path} 中没有（或有不止一个）.duckdb 数据库文件。")
    if Path(str(db_file) + ".wal").exists():
        raise BackupError(f"备份 {info.path} 中有未合并的 {db_file.name}.wal，这不是完整的备份；"
                          "请换一个备份。")
    if info.manifest is None and not unverified:
        raise BackupError(f"备份 {info.path} 没有清单 {MANIFEST}，无法核对内容。"
                          "若确认要用它恢复，请加 --unverified。")
    try:
        snap = snapshot_of(db_file)
    except StoreError as e:
        raise BackupError(f"备份 {info.path} 中的数据库无法读取，不能用来恢复：{e}".split("\n")[0]) from e
    except duckdb.Error as e:
        raise BackupError(f"备份 {info.path} 中的数据库已损坏，不能用来恢复：{e}") from e
    if info.manifest is not None:
        diff = differences({k: info.manifest.get(k) for k in ("tables", "kpis")}, snap)
        if diff:
            raise BackupError(f"备份 {info.path} 与它的清单不符（{len(diff)} 处，如：{'；'.join(diff[:3])}），"
                              "不能用来恢复。")
    return snap


def _assert_not_in_use(db_path: Path) -> None:
    """Refuse while another process (the dashboard) holds the file; a damaged file is fine."""
    if not db_path.exists():
        return
    try:
        duckdb.connect(str(db_path), read_only=True, config=DUCKDB_CONFIG).close()
    except duckdb.Error as e:
        if "lock" in str(e).lower():
            raise DatabaseLocked(locked_message(db_path).split("\n")[0]
                                 + "恢复前请先停止看板。") from e


def restore(source: Path | str, db_path: Path | str, *, unverified: bool = False,
            now: datetime | None = None) -> RestoreResult:
    """Put a backup in place of ``db_path`` (dashboard stopped), keeping what it replaces.

    Steps: verify the backup against its manifest; refuse if the database is in use; copy the
    backup beside the target; move the current file and its ``.wal`` aside as
    ``<name>.replaced-<time>``; move the copy in; copy back raw upload files that are missing;
    verify the restored file against the manifest. If the last check fails, the replaced files
    are put back and :class:`BackupError` says why. Nothing is deleted.
    """
    now = now or datetime.now()
    info = resolve(source)
    expected = verify(info, unverified=unverified)
    db_path = Path(db_path)
    _assert_not_in_use(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    stamp = f"{now:%Y%m%d-%H%M%S}"
    incoming = db_path.with_name(f"{db_path.name}.restoring-{stamp}")
    shutil.copyfile(info.db_file, incoming)
    with open(incoming, "rb") as f:
        os.fsync(f.fileno())
    moved: list[tuple[Path, Path]] = []
    for current in (db_path, Path(f"{db_path}.wal")):
        if current.exists():
            aside = current.with_name(f"{current.name}.replaced-{stamp}")
            os.replace(current, aside)
            moved.append((current, aside))
    os.replace(incoming, db_path)
    try:
        diff = differences(expected, snapshot_of(db_path))
    except StoreError as e:
        diff = [str(e).split("\n")[0]]
    if diff or Path(f"{db_path}.wal").exists():
        db_path.unlink(missing_ok=True)
        for current, aside in moved:
            os.replace(aside, current)
        raise BackupError(f"恢复后的核对不通过（{'；'.join(diff[:3]) or '出现了 .wal 文件'}），"
                          "已放回原来的文件。")
    copied = _copy_uploads(info.path / UPLOADS, db_path.parent / UPLOADS)
    with Store(db_path) as s, s.write(figures=False) as cur:  # migrates a backup from an older version
        audit.record(cur, permissions.SYSTEM, "restore", info.path.name,
                    "原文件另存为 " + "、".join(a.name for _, a in moved) if moved else None)
    return RestoreResult(info, db_path, [a for _, a in moved], len(expected["tables"]),
                         len(expected["kpis"]), copied)


def _copy_uploads(src: Path, dst: Path) -> int:
    """Copy raw upload files the target lacks (content-addressed names: same name, same bytes)."""
    if not src.is_dir():
        return 0
    dst.mkdir(parents=True, exist_ok=True)
    n = 0
    for f in src.iterdir():
        if f.is_file() and not (dst / f.name).exists():
            shutil.copy2(f, dst / f.name)
            n += 1
    return n
