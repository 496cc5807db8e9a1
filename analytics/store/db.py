"""The DuckDB store: connection, versioned schema, the single writer.

DuckDB lets one process hold the file read-write and no other process open it at all, so
the dashboard owns the file while it runs. Within the process there is one connection;
every reader takes a ``cursor()`` and every write goes through :meth:`Store.write`, which
serialises writers behind one lock, runs them in one transaction and bumps the data
version.

Page caches are keyed on scoped versions, not on that one number: a write that declares
which records it touched (:meth:`Store.records_changed`, called by an upload's commit and
undo) bumps only the (sector, cooperative, month) rows of ``coop_months``, and refreshes the
per-unit-per-year rollups (``unit_year_<sector>``) of the units it touched, so one
cooperative's upload leaves every other page warm. Any other write that can change figures
rebuilds the rollups and bumps ``figures_version``, which every cache key includes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import duckdb

from ..figures import rollups, warnings
from .files import restore_hint
from .schema import migrate

T = TypeVar("T")


class StoreError(RuntimeError):
    """A problem with the database the user can act on; the message is Chinese."""


class DatabaseLocked(StoreError):
    """Another process (usually the running dashboard) holds the file."""


class DatabaseDamaged(StoreError):
    """The file is truncated, garbled, not a DuckDB file, or not this dashboard's database."""


# For the app's last line of defence: any error DuckDB raises while a page reads.
DuckDBError = duckdb.Error

# No extension is ever fetched at run time: a file DuckDB takes for SQLite or Parquet would
# otherwise make it try to download a scanner from the internet.
DUCKDB_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}

def _looks_like(head: bytes, size: int) -> str | None:
    """What a file that is not a DuckDB database seems to be, in words; None if it could be one."""
    if size == 0:
        return "空文件（0 字节）"
    if head[8:12] == b"DUCK":
        return None
    for magic, what in ((b"SQLite format 3\x00", "SQLite 数据库"), (b"PK\x03\x04", "ZIP 压缩包或 Excel 文件"),
                        (b"\xd0\xcf\x11\xe0", "旧版 Office 文件（.xls 等）"), (b"PAR1", "Parquet 文件")):
        if head.startswith(magic):
            return what
    try:
        head.decode("utf-8")
        return "文本文件"
    except UnicodeDecodeError:
        return "不认识的文件" if size >= 4096 else f"只有 {size} 字节的文件"


def reason(e: BaseException) -> str:
    """DuckDB's reason in plain words where we know it, else its own first line."""
    text = str(e).splitlines()[0] if str(e) else type(e).__name__
    low = text.lower()
    if "could not read enough bytes" in low or "truncat" in low:
        return "文件不完整（可能复制或保存时被截断）"
    if "not a valid duckdb database" in low:
        return "不是有效的 DuckDB 数据库文件"
    if "wal" in low and ("not match" in low or "replay" in low):
        return ("数据库旁的 .wal 日志文件与数据库不符或已损坏（常见于手工把备份复制回来、却留下了旧的 .wal）；"
                "请用恢复命令，它会把 .wal 移开")
    if "checksum" in low or "corrupt" in low:
        return "文件内容已损坏（校验不符）"
    if "version" in low and ("storage" in low or "serializ" in low):
        return f"文件由不同版本的 DuckDB 写入：{text}"
    return text


def _hint(path: Path, *, in_use: bool = False) -> str:
    return restore_hint(path, in_use=in_use)


def locked_message(path: Path) -> str:
    return (f"数据库 {path} 正被另一个程序（通常是正在运行的看板）占用。"
            "请在看板的页面上操作，或先停止看板再使用命令行。\n" + _hint(path, in_use=True))


def damaged_message(path: Path, why: str) -> str:
    return (f"数据库 {path} 无法使用：{why}。看板不会改动这个文件。\n" + _hint(path))


def read_error_message(path: Path, e: BaseException) -> str:
    """For an error met while reading an open store (damage found late, a full disk …)."""
    return f"读取数据库 {path} 时出错：{reason(e)}。\n" + _hint(path)


def _open(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """Connect, turning every failure into a StoreError whose message names the newest backup."""
    if path.exists():
        with open(path, "rb") as f:
            head = f.read(16)
        what = _looks_like(head, path.stat().st_size)
        if what:
            raise DatabaseDamaged(damaged_message(path, f"它不是 DuckDB 数据库，而是{what}"))
    try:
        return duckdb.connect(str(path), read_only=read_only, config=DUCKDB_CONFIG)
    except duckdb.Error as e:
        if "lock" in str(e).lower():
            raise DatabaseLocked(locked_message(path)) from e
        raise DatabaseDamaged(damaged_message(path, reason(e))) from e


def _check_ours(con: duckdb.DuckDBPyConnection, path: Path, had_wal: bool) -> None:
    """Refuse a DuckDB file that holds tables but not ours (another program's database), and
    read the schema versions, which finds a truncated file before anything writes to it."""
    tables = {t for (t,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()").fetchall()}
    if tables and "schema_migrations" not in tables:
        shown = "、".join(sorted(tables)[:5]) + ("……" if len(tables) > 5 else "")
        raise DatabaseDamaged(damaged_message(
            path, f"这是一个 DuckDB 数据库，但不是本看板的（其中的表：{shown}）"))
    if tables:
        con.execute("SELECT count(*), max(version) FROM schema_migrations").fetchall()
    # DuckDB reads a cut-off file without complaint until a query reaches a missing block, so
    # check the file holds at least the blocks in use (three 4 KiB headers + used blocks; free
    # blocks at the end may be truncated away by DuckDB itself). After a WAL replay (a crash)
    # the blocks it added may not be on disk yet: no verdict then.
    _, _, block_size, _, used_blocks, *_ = con.execute("PRAGMA database_size").fetchone()
    if not had_wal and path.stat().st_size < 3 * 4096 + int(block_size) * int(used_blocks):
        raise DatabaseDamaged(damaged_message(path, "文件不完整（可能复制或保存时被截断）"))


# Errors that mean the file's bytes are wrong, as opposed to a mistake in our SQL.
DAMAGE_ERRORS = (duckdb.IOException, duckdb.SerializationException, duckdb.InternalException,
                 duckdb.FatalException)


class Store:
    """One DuckDB file, one connection, one writer at a time."""

    #: Writes committed through this object: the server process is the store's only writer
    #: (DuckDB locks the file to one read-write process), so an unchanged generation means
    #: unchanged data, and what was read under it may be kept (ui.cache keeps its versions).
    generation: int = 0

    def __init__(self, path: Path | str, *, read_only: bool = False, create: bool = True):
        self.path = Path(path)
        if not self.path.exists():
            if not create or read_only:
                raise StoreError(
                    f"数据库 {self.path} 不存在。请先运行 python -m analytics init-db "
                    "或 python -m analytics demo。"
                )
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.read_only = read_only
        had_wal = Path(f"{self.path}.wal").exists()
        self.con = _open(self.path, read_only)
        self._write_lock = threading.RLock()
        self._changes: object = None  # what the running write declared it changed
        try:
            try:
                _check_ours(self.con, self.path, had_wal)
            except duckdb.Error as e:  # damage found while reading the catalog
                raise DatabaseDamaged(damaged_message(self.path, reason(e))) from e
            if not read_only:
                try:
                    migrate(self.con)
                except DAMAGE_ERRORS as e:
                    raise DatabaseDamaged(damaged_message(self.path, reason(e))) from e
            # Rollups and towns exist from schema 6 on (tests also open older schemas).
            self._rollups = bool(self.con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'coop_months'"
            ).fetchall()[0][0])
            if self._rollups and not read_only:
                _ensure_town(self.con)
        except BaseException:
            self.con.close()
            raise

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for one script run or one thread."""
        return self.con.cursor()

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def write(self, *, figures: bool = True, records: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        """One write transaction under the writer lock.

        A write that can change figures (``figures=True``) bumps the data version on commit
        and keeps the rollups and cache versions true (see the module docstring): scoped to
        what :meth:`records_changed` declared, else everything (rollups rebuilt, all page
        caches cold). ``records=False`` declares that no record was touched (targets, unit
        attributes, a town assignment that keeps the rollups in step itself): caches go cold,
        the rollups are left alone. Account writes (logins)
        pass ``figures=False`` and keep the caches warm.
        """
        if self.read_only:
            raise StoreError("数据库以只读方式打开，不能写入")
        with self._write_lock:
            cur = self.con.cursor()
            cur.execute("BEGIN TRANSACTION")
            self._changes = None
            try:
                yield cur
                if figures and self._rollups:
                    self._after_figures_write(cur, records)
                elif figures:
                    cur.execute("""
                    INSERT INTO meta VALUES ('data_version', '1')
                    ON CONFLICT (key) DO UPDATE
                    SET value = CAST(CAST(meta.value AS BIGINT) + 1 AS VARCHAR)""")
                cur.execute("COMMIT")
                self.generation += 1  # after the commit: a reader that sees it sees the data
            except BaseException:
                try:
                    cur.execute("ROLLBACK")
                except duckdb.Error:
                    pass  # the first error is the one to report, not "transaction aborted"
                raise
            finally:
                self._changes = None
                cur.close()

    @contextmanager
    def writes_paused(self) -> Iterator[None]:
        """Hold other writers off (they wait) without a transaction: for copying the database."""
        with self._write_lock:
            yield

    def records_changed(self, cur: duckdb.DuckDBPyConnection, sector: str | None = None,
                        upload_id: int | None = None) -> None:
        """Inside a write: declare the records this transaction writes or removes.

        ``(sector, upload_id)``: the rows of that upload — call it once the upload's records
        and registry entries are written (commit), or before they are removed (undo); the
        keys are read at the call. No arguments: anything may have changed (demo load).
        At commit the rollups of the touched units and the versions of the touched
        (sector, cooperative, month) are refreshed, in the same transaction.
        """

        if sector is None:
            self._changes = rollups.EVERYTHING
        else:
            self._changes = rollups.capture_changes(cur, sector, int(upload_id), self._changes)

    def _after_figures_write(self, cur: duckdb.DuckDBPyConnection, records: bool) -> None:

        cur.execute("""
        INSERT INTO meta VALUES ('data_version', '1')
        ON CONFLICT (key) DO UPDATE
        SET value = CAST(CAST(meta.value AS BIGINT) + 1 AS VARCHAR)""")
        version = int(cur.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchall()[0][0])
        # New cooperatives join the only town before the rollups (which carry towns) are built.
        assigned = _assign_single_town(cur)
        changes = self._changes
        rebuilt = False
        if changes is None and not records:
            scoped = False
        elif changes is None or changes is rollups.EVERYTHING:
            rollups.rebuild_rollups(cur, version)
            scoped, rebuilt = False, True
        else:
            scoped = rollups.refresh_rollups(cur, changes, version)
        if assigned and not rebuilt:
            rollups.retown_rollups(cur, assigned)  # rows of units they had before this write
        if rebuilt or isinstance(changes, rollups.Changes):  # 预警 of the months the records touched
            warnings.evaluate_warnings(cur, None if rebuilt else rollups.touched_months(changes))
        if not scoped:
            set_meta(cur, "figures_version", str(version))

    def run_write(self, fn: Callable[[duckdb.DuckDBPyConnection], T], retries: int = 3, *,
                  figures: bool = True, records: bool = True) -> T:
        """Run ``fn(cursor)`` in a write transaction, retrying on a transaction conflict only
        (another writer got there first); any other error is raised at once, as it came."""
        for attempt in range(retries):
            try:
                with self.write(figures=figures, records=records) as cur:
                    return fn(cur)
            except duckdb.TransactionException as e:
                if attempt == retries - 1 or "conflict" not in str(e).lower():
                    raise
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    def data_version(self) -> int:
        row = self.cursor().execute(
            "SELECT value FROM meta WHERE key = 'data_version'").fetchone()
        return int(row[0]) if row else 0

    def figures_version(self) -> int:
        """Bumped by every write that may change any figure (not by scoped uploads)."""
        return int(self.get_meta("figures_version", "0"))

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.cursor().execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else default

    def is_demo(self) -> bool:
        return self.get_meta("demo") == "1"


def _ensure_town(con: duckdb.DuckDBPyConnection) -> None:
    """A store has at least one town: a township database gets ``PARK_TOWN`` (济阳镇)."""
    from .. import settings

    if con.execute("SELECT count(*) FROM towns").fetchone()[0]:
        return

    con.execute("BEGIN")
    try:
        con.execute("INSERT INTO towns (name) VALUES (?) ON CONFLICT DO NOTHING", [settings.get("PARK_TOWN")])
        rollups.retown_rollups(con, _assign_single_town(con))  # rollups built by the migration
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def _assign_single_town(cur: duckdb.DuckDBPyConnection) -> list[str]:
    """Cooperatives without a town belong to the only town, when there is just one; returns
    the cooperatives it assigned.

    With several towns a new cooperative stays unassigned (shown as 未分配乡镇) until the
    administrator assigns it (``python -m analytics towns assign``).
    """
    names = [r[0] for r in cur.execute("""SELECT name FROM cooperatives WHERE town IS NULL
                                          AND (SELECT count(*) FROM towns) = 1""").fetchall()]
    if names:
        cur.execute("UPDATE cooperatives SET town = (SELECT min(name) FROM towns) WHERE town IS NULL").fetchall()
    return names


def add_town(store: Store, name: str) -> None:
    """Register a town (乡镇). Raises ValueError (Chinese) for a blank or known name."""
    name = (name or "").strip()
    if not name:
        raise ValueError("乡镇名称不能为空")

    def write(cur: duckdb.DuckDBPyConnection) -> None:
        if cur.execute("SELECT count(*) FROM towns WHERE name = ?", [name]).fetchall()[0][0]:
            raise ValueError(f"乡镇“{name}”已经登记过了")
        cur.execute("INSERT INTO towns (name) VALUES (?)", [name]).fetchall()

    store.run_write(write, records=False)


def assign_town(store: Store, cooperative: str, town: str) -> None:
    """Put a cooperative in a registered town; every period's town figures change with it.

    Raises ValueError (Chinese) for an unknown cooperative or town.
    """

    def write(cur: duckdb.DuckDBPyConnection) -> None:
        if not cur.execute("SELECT count(*) FROM towns WHERE name = ?", [town]).fetchall()[0][0]:
            raise ValueError(f"没有登记乡镇“{town}”：请先运行 python -m analytics towns add {town}")
        n = cur.execute("UPDATE cooperatives SET town = ? WHERE name = ?", [town, cooperative]).fetchall()[0][0]
        if not n:
            raise ValueError(f"没有合作社“{cooperative}”")
        rollups.retown_rollups(cur, [cooperative])  # the rollups carry each unit's town

    store.run_write(write, records=False)


def set_meta(cur: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    """Set a meta value inside a write transaction."""
    cur.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = ?",
                [key, value, value])
