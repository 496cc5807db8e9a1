"""Backups that restore: manifest, daily backups, the messages of a bad store, restore and its checks."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from analytics import scope
from analytics.__main__ import main
from analytics.access import audit, permissions
from analytics.figures import kpis, lists
from analytics.store import backup, files
from analytics.store.db import DatabaseDamaged, DatabaseLocked, Store
from tests.conftest import ROOT

T0 = datetime(2024, 3, 1, 2, 0, 0)


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def all_kpis(path: Path) -> dict:
    with Store(path, read_only=True) as s:
        cur = s.cursor()
        return {y: kpis.park_kpis(cur, scope.Period.year(y)) for y in lists.available_years(cur)}


@pytest.fixture
def park(tmp_path, demo_db_file) -> Path:
    """A private copy of the demo park in a folder of its own, with one kept upload file."""
    path = tmp_path / "data" / "park.duckdb"
    path.parent.mkdir()
    shutil.copy(demo_db_file, path)
    (path.parent / "uploads").mkdir()
    (path.parent / "uploads" / "abc.csv").write_bytes(b"raw")
    return path


def make(path: Path, now: datetime = T0) -> files.BackupInfo:
    with Store(path) as s:
        return backup.make_backup(s, now=now)


def held(path: Path) -> subprocess.Popen:
    """Another process holding the database, as the running dashboard does."""
    p = subprocess.Popen([sys.executable, "-c", "import duckdb,sys,time; c=duckdb.connect(sys.argv[1]); "
                          "print('ok',flush=True); time.sleep(120)", str(path)], stdout=subprocess.PIPE)
    assert p.stdout.readline().strip() == b"ok"
    return p


# --- making backups --------------------------------------------------------------------------

def test_backup_holds_the_database_uploads_and_a_manifest_from_the_copy(park):
    before = all_kpis(park)
    info = make(park)
    assert info.path == park.parent / "backups" / "park-20240301-020000"
    assert sorted(p.name for p in info.path.iterdir()) == ["manifest.json", "park.duckdb", "uploads"]
    assert (info.path / "uploads" / "abc.csv").read_bytes() == b"raw"
    m = json.loads((info.path / "manifest.json").read_text(encoding="utf-8"))
    assert m["db_file"] == "park.duckdb" and m["made_by"] == "system" and m["uploads"] == ["abc.csv"]
    assert m["kpis"] == json.loads(json.dumps({str(y): k for y, k in before.items()}))
    with Store(park, read_only=True) as s:
        assert m["tables"]["duck_records"] == s.cursor().execute("SELECT count(*) FROM duck_records").fetchone()[0]
        # The backup is in the audit log of the store it copies, and in the copy itself.
        assert audit.audit_log(s.cursor())["action"].tolist()[0] == "backup"
    assert m["tables"]["audit_log"] == 1
    assert files.newest(park) == info


def test_backup_of_a_running_store_and_paths_with_quotes(tmp_path, demo_db_file):
    """The dashboard backs up its open store; quotes in paths are bound, never pasted into SQL."""
    folder = tmp_path / "O'Brien \"data\""
    folder.mkdir()
    path = folder / "it's \"park\".duckdb"
    shutil.copy(demo_db_file, path)
    with Store(path) as s:
        with s.write() as cur:  # a write just before: it must be in the copy
            cur.execute("INSERT INTO villages VALUES ('新村''s')")
        info = backup.make_backup(s, tmp_path / "bk 'x'", now=T0)
        assert (info.path / path.name).is_file()
    assert backup.snapshot_of(info.path / path.name)["tables"]["villages"] == info.manifest["tables"]["villages"]
    # The message's command survives a shell: quotes in paths are quoted.
    command = files.restore_command(info.path, path)
    assert shlex.split(command) == [files.PYTHON, "-m", "analytics", "restore", str(info.path), "--db", str(path)]
    result = backup.restore(info.path, path, now=T0 + timedelta(hours=1))
    assert result.db_path == path and len(result.set_aside) == 1
    with Store(path, read_only=True) as s:
        assert "新村's" in [v for (v,) in s.cursor().execute("SELECT name FROM villages").fetchall()]


def test_only_an_admin_may_back_up(park):
    with Store(park) as s, pytest.raises(permissions.PermissionDenied, match="备份"):
        backup.make_backup(s, actor=permissions.Actor("wang", "manager", "兴旺种鸭专业合作社"))
    assert not (park.parent / "backups").exists()


def test_daily_backup_once_a_day_kept_n_days(park, monkeypatch):
    monkeypatch.setenv("PARK_BACKUP_KEEP_DAYS", "3")
    with Store(park) as s:
        days = [T0 + timedelta(days=d) for d in range(6)]
        made = [backup.daily(s, now=d) for d in days]
        assert all(made)
        assert backup.daily(s, now=days[-1] + timedelta(hours=5)) is None  # one a day
        left = [b.created for b in files.list_backups(files.backup_dir(park))]
        assert left == [days[5], days[4], days[3], days[2]]  # 3 days back from the newest, and the newest
        monkeypatch.setenv("PARK_BACKUP_KEEP_DAYS", "0")
        assert backup.daily(s, now=days[-1] + timedelta(days=1)) is None


def test_daily_thread_reports_failures_and_keeps_going(park, monkeypatch):
    lines: list[str] = []
    calls = []

    def flaky(store, now=None):
        calls.append(1)
        if len(calls) == 1:
            raise backup.BackupError("磁盘已满")
        return None

    monkeypatch.setattr(backup, "daily", flaky)
    with Store(park) as s:
        job = backup.DailyBackups(s, interval=0.05, first_delay=0, log=lines.append).start()
        deadline = datetime.now() + timedelta(seconds=10)
        while len(calls) < 3 and datetime.now() < deadline:
            job.stop.wait(0.05)
        job.stop.set()
        job.thread.join(5)
    assert len(calls) >= 3 and lines == ["自动备份失败（下次检查时重试）：磁盘已满"]


def test_cli_backup_while_the_dashboard_runs_names_its_newest_backup(park):
    info = make(park)
    holder = held(park)
    try:
        r = subprocess.run([sys.executable, "-m", "analytics", "backup", "--db", str(park)], cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
    finally:
        holder.kill()
        holder.wait()
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "看板正在运行" in r.stderr and str(info.path) in r.stderr
    assert "“管理”页" in r.stderr and "立即备份" in r.stderr


def test_cli_backup_then_restore_command(park, capsys):
    code, out, _ = run_cli(capsys, "backup", "--db", park)
    assert code == 0
    folder = files.newest(park).path
    assert f"python -m analytics restore {folder} --db {park}" in out


# --- a store that cannot be opened ----------------------------------------------------------------

def truncate(p: Path) -> None:
    os.truncate(p, p.stat().st_size // 2)


def garbage(p: Path) -> None:
    p.write_bytes(os.urandom(300_000))


def sqlite_file(p: Path) -> None:
    import sqlite3

    p.unlink()
    with sqlite3.connect(p) as c:
        c.execute("CREATE TABLE x (a)")


def foreign_duckdb(p: Path) -> None:
    p.unlink()
    c = duckdb.connect(str(p))
    c.execute("CREATE TABLE invoices (id INTEGER)")
    c.close()


DAMAGE = {"truncated": (truncate, "文件不完整"), "garbage": (garbage, "不是 DuckDB 数据库"),
          "sqlite": (sqlite_file, "SQLite 数据库"), "foreign": (foreign_duckdb, "不是本看板的"),
          "empty": (lambda p: p.write_bytes(b""), "空文件")}


@pytest.mark.parametrize("kind", DAMAGE)
def test_damaged_store_message_names_the_backup_then_restore_gives_equal_kpis(park, capsys, kind):
    before = all_kpis(park)
    info = make(park)
    damage, words = DAMAGE[kind]
    damage(park)
    damaged = park.read_bytes()
    # CLI: a Chinese message naming the newest backup and the command; no traceback.
    code, _, err = run_cli(capsys, "kpis", "--db", park, "--year", "2023")
    assert code == 1 and "Traceback" not in err
    assert words in err and str(info.path) in err
    assert f"python -m analytics restore {info.path} --db {park}" in err
    assert park.read_bytes() == damaged  # opening it changed nothing
    with pytest.raises(DatabaseDamaged):
        Store(park)  # as the dashboard opens it: read-write, and still nothing written
    assert park.read_bytes() == damaged and not Path(f"{park}.wal").exists()
    code, out, err = run_cli(capsys, "restore", info.path, "--db", park)
    assert code == 0, err
    assert "核对：" in out and "一致" in out
    assert all_kpis(park) == before
    aside = list(park.parent.glob("park.duckdb.replaced-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == damaged


def test_app_start_on_a_damaged_store_shows_the_message(park, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    info = make(park)
    garbage(park)
    monkeypatch.setenv("PARK_DB", str(park))
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    (box,) = at.error
    shown = box.value.replace("\\", "")
    assert "无法使用" in shown and "不是 DuckDB 数据库" in shown
    assert str(info.path) in shown and "python -m analytics restore" in shown
    assert not at.get("plotly_chart")
    st.cache_resource.clear()


def test_app_start_on_a_locked_store_shows_the_message(park, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    info = make(park)
    holder = held(park)
    try:
        monkeypatch.setenv("PARK_DB", str(park))
        st.cache_resource.clear()
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.run()
    finally:
        holder.kill()
        holder.wait()
        st.cache_resource.clear()
    assert not at.exception, at.exception
    shown = at.error[0].value.replace("\\", "")
    assert "正被另一个程序" in shown and str(info.path) in shown
    assert "没有损坏，不需要恢复" in shown  # in use is not damaged: nobody is sent to restore


def test_no_backup_yet_says_so(tmp_path, capsys):
    path = tmp_path / "park.duckdb"
    path.write_bytes(b"not a database at all, just text\n" * 10)
    code, _, err = run_cli(capsys, "kpis", "--db", path, "--year", "2023")
    assert code == 1 and "文本文件" in err and "没有找到备份" in err and "不要删除" in err


# --- restore -------------------------------------------------------------------------------

def crash_with_pending_wal(path: Path) -> None:
    """An upload committed into the WAL, then the process killed before any checkpoint."""
    code = ("import os,sys; from analytics.store.db import Store; from analytics import ingest\n"
            "from analytics.access import permissions\n"
            "s = Store(sys.argv[1])\n"
            "s.cursor().execute('PRAGMA disable_checkpoint_on_shutdown')\n"
            "csv = '月份,合作社,棚号,存栏(羽)\\n2024-01,崩溃合作社,X1,99999\\n'.encode()\n"
            "ingest.ingest(s, csv, 'crash.csv', permissions.SYSTEM)\n"
            "os._exit(0)\n")
    r = subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert Path(f"{path}.wal").exists()


def test_restore_moves_a_leftover_wal_aside(park, capsys):
    """Copying the backup back by hand would replay this WAL: backup + the crashed upload."""
    before = all_kpis(park)
    info = make(park)
    crash_with_pending_wal(park)
    wal = Path(f"{park}.wal").read_bytes()
    code, out, err = run_cli(capsys, "restore", info.path, "--db", park)
    assert code == 0, err
    assert not Path(f"{park}.wal").exists()
    (aside,) = park.parent.glob("park.duckdb.wal.replaced-*")
    assert aside.read_bytes() == wal
    assert all_kpis(park) == before
    with Store(park) as s:
        assert "崩溃合作社" not in lists.cooperatives(s.cursor())
    # What the README used to say (copy the file back, leave the WAL) is what goes wrong: DuckDB
    # replays the WAL (backup + the crashed upload) or, for a backup file, refuses to open.
    shutil.copy(aside, f"{park}.wal")
    shutil.copy(info.path / "park.duckdb", park)
    with pytest.raises(DatabaseDamaged, match=r"\.wal 日志文件与数据库不符"):
        Store(park)


def test_a_backup_copied_elsewhere_under_another_name_restores(park, capsys, tmp_path):
    """The office copies backups to a USB stick and names the folder as it likes."""
    before = all_kpis(park)
    info = make(park)
    stick = tmp_path / "U盘" / "三月的备份"
    shutil.copytree(info.path, stick)
    with Store(park) as s, s.write() as cur:
        cur.execute("DELETE FROM duck_records WHERE month >= '2023-07-01'")
    code, out, err = run_cli(capsys, "restore", stick, "--db", park)
    assert code == 0, err
    assert "一致" in out and all_kpis(park) == before

def untouched(park: Path):
    data = park.read_bytes()
    return lambda: park.read_bytes() == data and not list(park.parent.glob("*.replaced-*"))


def test_restore_refuses_a_damaged_backup(park, capsys):
    info = make(park)
    garbage(info.path / "park.duckdb")
    same = untouched(park)
    code, _, err = run_cli(capsys, "restore", info.path, "--db", park)
    assert code == 1 and "不能用来恢复" in err and "Traceback" not in err
    assert same()


def test_restore_refuses_a_backup_that_differs_from_its_manifest(park, capsys):
    info = make(park)
    m = json.loads((info.path / "manifest.json").read_text(encoding="utf-8"))
    m["kpis"]["2023"]["duck"]["profit"] += 1
    (info.path / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    same = untouched(park)
    code, _, err = run_cli(capsys, "restore", info.path, "--db", park)
    assert code == 1 and "与它的清单不符" in err and "kpis.2023.duck.profit" in err
    assert same()


def test_restore_refuses_a_backup_without_manifest_unless_told(park, capsys):
    info = make(park)
    (info.path / "manifest.json").unlink()
    same = untouched(park)
    code, _, err = run_cli(capsys, "restore", info.path, "--db", park)
    assert code == 1 and "--unverified" in err
    assert same()
    code, out, err = run_cli(capsys, "restore", info.path, "--db", park, "--unverified")
    assert code == 0, err


def test_restore_refuses_a_backup_with_a_wal(park, capsys):
    info = make(park)
    (info.path / "park.duckdb.wal").write_bytes(b"x")
    same = untouched(park)
    code, _, err = run_cli(capsys, "restore", info.path, "--db", park)
    assert code == 1 and ".wal" in err
    assert same()


def test_restore_refuses_while_the_dashboard_runs(park):
    info = make(park)
    same = untouched(park)
    holder = held(park)
    try:
        with pytest.raises(DatabaseLocked, match="先停止看板"):
            backup.restore(info.path, park)
    finally:
        holder.kill()
        holder.wait()
    assert same()


def test_restore_puts_back_missing_upload_files_and_is_audited(park):
    info = make(park)
    (park.parent / "uploads" / "abc.csv").unlink()
    result = backup.restore(info.path / "manifest.json", park)  # the manifest names its folder too
    assert result.uploads_copied == 1 and (park.parent / "uploads" / "abc.csv").read_bytes() == b"raw"
    with Store(park, read_only=True) as s:
        log = audit.audit_log(s.cursor())
    assert log["action"].tolist()[:2] == ["restore", "backup"]


def test_the_running_dashboard_starts_its_daily_backup(app_db, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from ui import maintenance

    monkeypatch.setenv("PARK_BACKUP_KEEP_DAYS", "7")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    job = maintenance._daily(str(app_db))  # the one the run started (cached per process and database)
    try:
        assert job is not None and job.thread.is_alive() and job.store.path == app_db
        assert (job.interval, job.first_delay) == (600, 60)
    finally:
        job.stop.set()
        job.thread.join(5)
        st.cache_resource.clear()
