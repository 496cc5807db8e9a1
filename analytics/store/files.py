"""The store's files on disk: where the database lives by default, where its backups are kept,
the newest backup, and the restore hint every database error ends with.

Apart from :mod:`.backup` so that :mod:`.db` can word its errors without importing the backup
machinery (which builds on :mod:`.db`).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import stat
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .. import settings

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DB = ROOT / "data" / "park.duckdb"


def default_db_path() -> Path:
    """`PARK_DB` if set, else data/park.duckdb in the repository."""
    env = os.environ.get("PARK_DB")
    return Path(env) if env else DEFAULT_DB


MANIFEST = "manifest.json"
UPLOADS = "uploads"
_FOLDER = re.compile(r"^park-(\d{8}-\d{6})$")


# The interpreter the office should type: the project's own .venv when that is what runs us
# (a bare `python` there lacks the packages), else the one running now.
_VENV_PY = DEFAULT_DB.parent.parent / ".venv" / "bin" / "python"
PYTHON = ".venv/bin/python" if Path(sys.prefix).resolve() == _VENV_PY.parent.parent.resolve() else "python"
RESTORE_COMMAND = f"{PYTHON} -m analytics restore"


def backup_dir(db_path: Path | str) -> Path:
    """``PARK_BACKUP_DIR`` if set, else ``backups/`` beside the database file."""
    configured = settings.get("PARK_BACKUP_DIR")
    return Path(configured) if configured else Path(db_path).parent / "backups"


@dataclass(frozen=True)
class BackupInfo:
    """One backup folder as listed: when it was made, its size, its manifest (None if unreadable)."""

    path: Path
    created: datetime
    size: int
    manifest: dict | None = field(default=None, compare=False, repr=False)

    @property
    def db_file(self) -> Path | None:
        name = (self.manifest or {}).get("db_file")
        if name and (self.path / name).is_file():
            return self.path / name
        found = sorted(self.path.glob("*.duckdb"))
        return found[0] if len(found) == 1 else None

    def label(self) -> str:
        return f"{self.path}（{self.created:%Y-%m-%d %H:%M}，{self.size / 1e6:,.1f} MB）"


def _info(folder: Path, *, any_name: bool = False) -> BackupInfo | None:
    """A backup folder as the dashboard names it (park-YYYYMMDD-HHMMSS); with ``any_name`` also
    one the office renamed or copied elsewhere (a USB stick), dated by its manifest."""
    m = _FOLDER.match(folder.name)
    if not folder.is_dir() or not (m or any_name):
        return None
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = None
    if m:
        created = datetime.strptime(m.group(1), "%Y%m%d-%H%M%S")
    else:
        try:
            created = datetime.fromisoformat((manifest or {})["made_at"])
        except (KeyError, TypeError, ValueError):
            created = datetime.fromtimestamp(folder.stat().st_mtime)
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    return BackupInfo(folder, created, size, manifest)


def list_backups(folder: Path | str) -> list[BackupInfo]:
    """Backup folders under ``folder``, newest first; [] if there is none (or no folder)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = [i for i in (_info(p) for p in folder.iterdir()) if i is not None]
    return sorted(found, key=lambda i: i.created, reverse=True)


def newest(db_path: Path | str) -> BackupInfo | None:
    """The newest backup with a manifest in the database's backup folder."""
    return next((b for b in list_backups(backup_dir(db_path)) if b.manifest), None)


def restore_command(backup_path: Path | str, db_path: Path | str) -> str:
    """The shell command that restores ``backup_path`` into ``db_path`` (``--db`` unless it is
    the repository's data/park.duckdb: the person typing it may not have PARK_DB set)."""
    db_arg = "" if Path(db_path).resolve() == DEFAULT_DB.resolve() else f" --db {shlex.quote(str(db_path))}"
    return f"{RESTORE_COMMAND} {shlex.quote(str(backup_path))}{db_arg}"


def restore_hint(db_path: Path | str, *, in_use: bool = False) -> str:
    """Two lines for an error message: the newest backup and the command that restores it.

    ``in_use``: the database is merely held by the running dashboard, not damaged; the lines
    then say that nothing needs restoring."""
    b = newest(db_path)
    if in_use:
        if b is None:
            return "数据库本身没有损坏，不需要恢复。"
        return (f"数据库本身没有损坏，不需要恢复。最近的备份：{b.label()}"
                f"（只有数据库损坏时才用 {restore_command(b.path, db_path)} 恢复）。")
    if b is None:
        return (f"没有找到备份（备份目录 {backup_dir(db_path)}）。请不要删除或覆盖这个文件，"
                "先复制一份再请技术人员处理。")
    return (f"最近的备份：{b.label()}。\n"
            f"恢复方法：先停止看板，再运行 {restore_command(b.path, db_path)}"
            "（原文件会改名保留，不会删除）。")


def disk_usage(*paths: Path | str) -> int:
    """Bytes on disk of the files under ``paths`` (files or folders), each counted once: the
    backups share unchanged upload files as hard links, so summing each folder would count
    them again and again. Missing paths count 0."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for path in map(Path, paths):
        if not path.exists():
            continue
        for f in [path] if path.is_file() else path.rglob("*"):
            try:
                st = f.lstat()
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode) and (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_size
    return total


def store_sizes(db_path: Path | str) -> dict[str, int]:
    """What the store takes on disk, in bytes: ``store`` (the database file and its .wal),
    ``uploads`` (the raw upload files, the record: never pruned) and ``backups`` (every backup,
    shared files once)."""
    db_path = Path(db_path)
    return {"store": disk_usage(db_path, Path(f"{db_path}.wal")),
            "uploads": disk_usage(db_path.parent / UPLOADS),
            "backups": disk_usage(backup_dir(db_path))}
