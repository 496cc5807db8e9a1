"""The DuckDB store: connection, versioned schema, the single writer.

DuckDB lets one process hold the file read-write and no other process open it at all, so
the dashboard owns the file while it runs. Within the process there is one connection;
every reader takes a ``cursor()`` and every write goes through :meth:`Store.write`, which
serialises writers behind one lock, runs them in one transaction and bumps the data
version that page caches are keyed on.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import duckdb

from . import contract

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = ROOT / "data" / "park.duckdb"

T = TypeVar("T")


class StoreError(RuntimeError):
    """A problem with the database the user can act on; the message is Chinese."""


class DatabaseLocked(StoreError):
    pass


def default_db_path() -> Path:
    """`PARK_DB` if set, else data/park.duckdb in the repository."""
    env = os.environ.get("PARK_DB")
    return Path(env) if env else DEFAULT_DB


def _base_schema() -> list[str]:
    stmts = [
        """CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)""",
        """CREATE TABLE IF NOT EXISTS villages (name VARCHAR PRIMARY KEY)""",
        """CREATE TABLE IF NOT EXISTS zones (name VARCHAR PRIMARY KEY)""",
        """CREATE TABLE IF NOT EXISTS cooperatives (
             name VARCHAR PRIMARY KEY,
             village VARCHAR,
             created_at TIMESTAMP DEFAULT current_timestamp,
             created_by_upload BIGINT)""",
        # One row per shed / farm / plot. Village, zone and land are unit attributes:
        # uploads may set them, the admin page corrects them.
        """CREATE TABLE IF NOT EXISTS units (
             sector VARCHAR NOT NULL,
             cooperative VARCHAR NOT NULL,
             unit VARCHAR NOT NULL,
             gh_type VARCHAR,
             village VARCHAR,
             zone VARCHAR,
             land_mu DOUBLE,
             created_at TIMESTAMP DEFAULT current_timestamp,
             created_by_upload BIGINT,
             PRIMARY KEY (sector, cooperative, unit))""",
        """CREATE TABLE IF NOT EXISTS targets (
             year INTEGER NOT NULL,
             sector VARCHAR NOT NULL,
             metric VARCHAR NOT NULL,
             value DOUBLE NOT NULL,
             PRIMARY KEY (year, sector, metric))""",
        """CREATE SEQUENCE IF NOT EXISTS upload_seq START 1""",
        """CREATE TABLE IF NOT EXISTS uploads (
             upload_id BIGINT PRIMARY KEY,
             sha256 VARCHAR NOT NULL,
             filename VARCHAR,
             sector VARCHAR,
             uploaded_by VARCHAR,
             uploaded_at TIMESTAMP DEFAULT current_timestamp,
             n_rows INTEGER,
             n_new INTEGER,
             n_replaced INTEGER,
             months VARCHAR,
             status VARCHAR NOT NULL DEFAULT 'applied',
             undone_by VARCHAR,
             undone_at TIMESTAMP,
             stored_path VARCHAR)""",
        """CREATE TABLE IF NOT EXISTS users (
             username VARCHAR PRIMARY KEY,
             display_name VARCHAR,
             role VARCHAR NOT NULL,
             cooperative VARCHAR,
             password_hash VARCHAR NOT NULL,
             disabled BOOLEAN NOT NULL DEFAULT false,
             failed_logins INTEGER NOT NULL DEFAULT 0,
             locked_until TIMESTAMP,
             created_at TIMESTAMP DEFAULT current_timestamp)""",
    ]
    for s in contract.SECTORS.values():
        stmts.append(contract.record_table_ddl(s))
        stmts.append(contract.history_table_ddl(s))
    return stmts


def _views() -> list[str]:
    """Staging views: each sector's records joined to its unit attributes, one shape."""
    stmts = []
    for s in contract.SECTORS.values():
        stmts.append(f"""
            CREATE OR REPLACE VIEW v_{s.key} AS
            SELECT r.*, u.village, u.zone, u.land_mu,
                   u.gh_type AS unit_gh_type, year(r.month) AS year
            FROM {s.table} r
            JOIN units u ON u.sector = '{s.key}' AND u.cooperative = r.cooperative
                        AND u.unit = r.unit""")
    return stmts


def _undo_tables() -> list[str]:
    """What an upload changed outside the record tables, so that undo restores it exactly:
    unit attributes it overwrote, and village / zone names it registered."""
    return [
        """CREATE TABLE IF NOT EXISTS units_history (
             sector VARCHAR NOT NULL,
             cooperative VARCHAR NOT NULL,
             unit VARCHAR NOT NULL,
             gh_type VARCHAR,
             village VARCHAR,
             zone VARCHAR,
             land_mu DOUBLE,
             replaced_by BIGINT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS upload_names (
             upload_id BIGINT NOT NULL,
             kind VARCHAR NOT NULL,
             name VARCHAR NOT NULL)""",
    ]


def _name_aliases() -> list[str]:
    """Names an admin mapped to registered ones at upload ("青禾生猪合作社" is 青禾生猪养殖专业合作社),
    so next month's file maps by itself; an undo removes the aliases its upload created."""
    return [
        """CREATE TABLE IF NOT EXISTS name_aliases (
             kind VARCHAR NOT NULL,
             sector VARCHAR NOT NULL,
             cooperative VARCHAR NOT NULL,
             alias VARCHAR NOT NULL,
             name VARCHAR NOT NULL,
             created_by_upload BIGINT,
             created_at TIMESTAMP DEFAULT current_timestamp,
             PRIMARY KEY (kind, sector, cooperative, alias))""",
    ]


# Each migration is (version, statements). Never edit a released one: append a new one.
MIGRATIONS: list[tuple[int, Callable[[], list[str]]]] = [
    (1, _base_schema),
    (2, _views),
    (3, _undo_tables),
    (4, _name_aliases),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply pending migrations; returns the schema version now in the file."""
    con.execute("""CREATE TABLE IF NOT EXISTS schema_migrations (
                     version INTEGER PRIMARY KEY,
                     applied_at TIMESTAMP DEFAULT current_timestamp)""")
    done = {v for (v,) in con.execute("SELECT version FROM schema_migrations").fetchall()}
    for version, statements in MIGRATIONS:
        if version in done:
            continue
        con.execute("BEGIN")
        try:
            for sql in statements():
                con.execute(sql)
            con.execute("INSERT INTO schema_migrations (version) VALUES (?)", [version])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return max(done | {v for v, _ in MIGRATIONS})


def _open(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as e:
        if "lock" in str(e).lower():
            raise DatabaseLocked(
                f"数据库 {path} 正被另一个程序（通常是正在运行的看板）占用。"
                "请在看板的页面上操作，或先停止看板再使用命令行。"
            ) from e
        raise StoreError(f"无法打开数据库 {path}：{e}") from e


class Store:
    """One DuckDB file, one connection, one writer at a time."""

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
        self.con = _open(self.path, read_only)
        self._write_lock = threading.RLock()
        if not read_only:
            migrate(self.con)

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
    def write(self, *, figures: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        """One write transaction under the writer lock.

        A write that can change figures (``figures=True``) bumps the data version on commit,
        which every page cache is keyed on; account writes (logins) pass False and keep the
        caches warm.
        """
        if self.read_only:
            raise StoreError("数据库以只读方式打开，不能写入")
        with self._write_lock:
            cur = self.con.cursor()
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
                if figures:
                    cur.execute("""
                    INSERT INTO meta VALUES ('data_version', '1')
                    ON CONFLICT (key) DO UPDATE
                    SET value = CAST(CAST(meta.value AS BIGINT) + 1 AS VARCHAR)""")
                cur.execute("COMMIT")
            except BaseException:
                try:
                    cur.execute("ROLLBACK")
                except duckdb.Error:
                    pass  # the first error is the one to report, not "transaction aborted"
                raise
            finally:
                cur.close()

    def run_write(self, fn: Callable[[duckdb.DuckDBPyConnection], T], retries: int = 3, *,
                  figures: bool = True) -> T:
        """Run ``fn(cursor)`` in a write transaction, retrying on a transaction conflict only
        (another writer got there first); any other error is raised at once, as it came."""
        for attempt in range(retries):
            try:
                with self.write(figures=figures) as cur:
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

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.cursor().execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else default

    def is_demo(self) -> bool:
        return self.get_meta("demo") == "1"


def set_meta(cur: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    """Set a meta value inside a write transaction."""
    cur.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = ?",
                [key, value, value])


def backup(store: Store, dest_dir: Path) -> Path:
    """Copy the whole database (and the kept upload files) into a new timestamped folder.

    Works on the open store, so the dashboard can back up while it runs; the copy is a
    consistent snapshot taken in one transaction.
    """
    import shutil
    from datetime import datetime

    target = Path(dest_dir) / f"park-{datetime.now():%Y%m%d-%H%M%S}"
    target.mkdir(parents=True, exist_ok=False)
    copy = target / store.path.name
    cur = store.cursor()
    name = cur.execute("SELECT current_database()").fetchone()[0]
    with store._write_lock:
        cur.execute(f"ATTACH '{copy}' AS park_backup")
        try:
            cur.execute(f'COPY FROM DATABASE "{name}" TO park_backup')
        finally:
            cur.execute("DETACH park_backup")
    uploads = store.path.parent / "uploads"
    if uploads.is_dir():
        shutil.copytree(uploads, target / "uploads")
    return target
