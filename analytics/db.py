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


def _towns_and_rollups() -> list[str]:
    """Towns (乡镇) above cooperatives, integer unit ids, and the small tables kept on write.

    - ``towns`` and ``cooperatives.town``: a cooperative belongs to one town. The store's
      first town is registered right after migrating (``PARK_TOWN``, see ``_ensure_town``).
    - ``units.unit_id``: an integer key, so rollups group and join on a number, not on
      (sector, cooperative, unit) strings.
    - ``coop_months``: records per (sector, cooperative, month) with the version of the
      write that last touched them: the month and year lists, the reporting status and the
      scoped cache versions come from it instead of scanning the records.
    - ``unit_year_<sector>``: the per-unit step of every KPI rolled up per year (kpis.py).
    The staging views gain ``unit_id`` and ``town``.
    """
    from . import kpis  # the rollups are KPI definitions; kpis imports nothing from here

    stmts = [
        """CREATE TABLE IF NOT EXISTS towns (
             name VARCHAR PRIMARY KEY,
             created_at TIMESTAMP DEFAULT current_timestamp)""",
        "ALTER TABLE cooperatives ADD COLUMN town VARCHAR",
        "CREATE SEQUENCE IF NOT EXISTS unit_id_seq START 1",
        "ALTER TABLE units ADD COLUMN unit_id BIGINT DEFAULT nextval('unit_id_seq')",
    ]
    for s in contract.SECTORS.values():
        stmts.append(f"""
            CREATE OR REPLACE VIEW v_{s.key} AS
            SELECT r.*, u.unit_id, u.village, u.zone, u.land_mu,
                   u.gh_type AS unit_gh_type, year(r.month) AS year, c.town
            FROM {s.table} r
            JOIN units u ON u.sector = '{s.key}' AND u.cooperative = r.cooperative
                        AND u.unit = r.unit
            LEFT JOIN cooperatives c ON c.name = r.cooperative""")
    return stmts + kpis.rollup_rebuild_sql(version=0)


# Each migration is (version, statements). Never edit a released one: append a new one.
MIGRATIONS: list[tuple[int, Callable[[], list[str]]]] = [
    (1, _base_schema),
    (2, _views),
    (3, _undo_tables),
    (6, _towns_and_rollups),
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
        self._changes: object = None  # what the running write declared it changed
        if not read_only:
            migrate(self.con)
        # Rollups and towns exist from schema 6 on (tests also open older schemas).
        self._rollups = bool(self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'coop_months'").fetchall()[0][0])
        if self._rollups and not read_only:
            _ensure_town(self.con)

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
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            finally:
                self._changes = None
                cur.close()

    def records_changed(self, cur: duckdb.DuckDBPyConnection, sector: str | None = None,
                        upload_id: int | None = None) -> None:
        """Inside a write: declare the records this transaction writes or removes.

        ``(sector, upload_id)``: the rows of that upload — call it once the upload's records
        and registry entries are written (commit), or before they are removed (undo); the
        keys are read at the call. No arguments: anything may have changed (demo load).
        At commit the rollups of the touched units and the versions of the touched
        (sector, cooperative, month) are refreshed, in the same transaction.
        """
        from . import kpis

        if sector is None:
            self._changes = kpis.EVERYTHING
        else:
            self._changes = kpis.capture_changes(cur, sector, int(upload_id), self._changes)

    def _after_figures_write(self, cur: duckdb.DuckDBPyConnection, records: bool) -> None:
        from . import kpis

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
        elif changes is None or changes is kpis.EVERYTHING:
            kpis.rebuild_rollups(cur, version)
            scoped, rebuilt = False, True
        else:
            scoped = kpis.refresh_rollups(cur, changes, version)
        if assigned and not rebuilt:
            kpis.retown_rollups(cur, assigned)  # rows of units they had before this write
        if not scoped:
            set_meta(cur, "figures_version", str(version))

    def run_write(self, fn: Callable[[duckdb.DuckDBPyConnection], T], retries: int = 3, *,
                  figures: bool = True, records: bool = True) -> T:
        """Run ``fn(cursor)`` in a write transaction, retrying on a transaction conflict."""
        for attempt in range(retries):
            try:
                with self.write(figures=figures, records=records) as cur:
                    return fn(cur)
            except duckdb.TransactionException:
                if attempt == retries - 1:
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
    from . import settings

    if con.execute("SELECT count(*) FROM towns").fetchone()[0]:
        return
    from . import kpis

    con.execute("BEGIN")
    try:
        con.execute("INSERT INTO towns (name) VALUES (?) ON CONFLICT DO NOTHING", [settings.get("PARK_TOWN")])
        kpis.retown_rollups(con, _assign_single_town(con))  # rollups built by the migration
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
    from . import kpis

    def write(cur: duckdb.DuckDBPyConnection) -> None:
        if not cur.execute("SELECT count(*) FROM towns WHERE name = ?", [town]).fetchall()[0][0]:
            raise ValueError(f"没有登记乡镇“{town}”：请先运行 python -m analytics towns add {town}")
        n = cur.execute("UPDATE cooperatives SET town = ? WHERE name = ?", [town, cooperative]).fetchall()[0][0]
        if not n:
            raise ValueError(f"没有合作社“{cooperative}”")
        kpis.retown_rollups(cur, [cooperative])  # the rollups carry each unit's town

    store.run_write(write, records=False)


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
